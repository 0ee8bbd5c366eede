"""The TF-IDF page in AppTest: the classic numbers, a corpus step by step, search, bad input, and the classifier."""

from tests.test_pages import charts, no_exception, open_page, settle

PAGE = "app_pages/tf_idf.py"


def trained(at) -> bool:
    return no_exception(at) and any(m.label == "Test accuracy" for m in at.metric)


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_the_classic_example_shows_0_03_times_4_and_follows_its_boxes():
    at = open_page(PAGE)
    no_exception(at)
    assert (metric(at, "TF"), metric(at, "IDF"), metric(at, "TF-IDF")) == ("0.03", "4", "0.12")
    at.number_input(key="tf_cl_df").set_value(100_000).run()
    assert (metric(at, "IDF"), metric(at, "TF-IDF")) == ("2", "0.06")
    at.number_input(key="tf_cl_df").set_value(20_000_000).run()
    assert any("cannot occur in 20,000,000 documents of a corpus of 10,000,000" in w.value for w in at.warning)


def test_the_default_corpus_matches_scikit_learn_and_explains_the_chosen_term():
    at = open_page(PAGE)
    assert any("Checked against scikit-learn" in c.value for c in at.caption)
    at.selectbox(key="tf_pick").set_value("neural").run()
    no_exception(at)
    assert any("“neural” occurs in 2 of the N = 5 documents" in t.value for t in at.text)
    assert any(c.proto.id.endswith("fig_tf_heat_0") for c in charts(at))


def test_a_pasted_document_of_several_lines_is_one_document():
    at = open_page(PAGE)
    at.text_area(key="tf_doc1").set_value("First line about networks.\nSecond line about networks.").run()
    no_exception(at)
    documents = next(d.value for d in at.dataframe if "document" in d.value.columns and "terms" in d.value.columns)
    assert documents["document"].iloc[0] == "First line about networks.\nSecond line about networks."
    assert documents["terms"].iloc[0].split(" · ").count("networks") == 2


def test_the_textbook_button_switches_every_variant_and_says_scikit_learn_has_no_such_setting():
    at = open_page(PAGE)
    at.button(key="tf_use_textbook").click().run()
    no_exception(at)
    assert at.selectbox(key="tf_tf").value == "length" and at.selectbox(key="tf_base").value == "10"
    assert at.query_params["tf"] == "length" and at.query_params["norm"] == "none"
    assert any("has no setting for this variant" in c.value for c in at.caption)


def test_search_ranks_the_corpus_and_names_terms_it_never_uses():
    at = open_page(PAGE, {"search": "rare words zebra"})
    no_exception(at)
    assert any("zebra" in t.value for t in at.text)
    ranking = next(d.value for d in at.dataframe if "contribution" in d.value.columns)
    assert ranking["document"].iloc[0] == "doc 4" and set(ranking["term"]) == {"rare", "words"}


def test_bad_corpora_get_a_sentence_and_no_traceback():
    empty = {f"doc{i}": "" for i in range(1, 7)}
    at = open_page(PAGE, empty)
    no_exception(at)
    assert any("The corpus is empty" in w.value for w in at.warning)
    at = open_page(PAGE, empty | {"doc1": "!!! ???", "doc2": "a b c"})
    assert any("No document has a term to count" in w.value for w in at.warning)
    at = open_page(PAGE, {"doc6": "😀 !!!", "doc5": "我喜欢机器学习 café"})
    no_exception(at)
    infos = " ".join(i.value for i in at.info)
    assert "Document 6 has no term to count" in infos and "Emoji" in infos and "without spaces" in infos
    at = open_page(PAGE, {"doc1": "the and of it", "stop": "on"})
    assert any("Document 1 has no term to count (only punctuation, emoji, single characters or stop words)"
               in i.value for i in at.info)


def test_learner_text_is_shown_inert_never_as_markdown():
    link = "[click](https://example.com) ![img](https://example.com/x.png) <b>bold</b>"
    at = open_page(PAGE, {"doc1": link, "search": "click"})
    no_exception(at)
    rendered = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    assert not any("example.com" in value for value in rendered)
    documents = next(d.value for d in at.dataframe if "document" in d.value.columns and "terms" in d.value.columns)
    assert documents["document"].iloc[0] == link


def test_the_lesson_corpus_and_the_lesson_search_work():
    at = open_page(PAGE, {"corpus": "lessons", "ask": "how many iterations are in one epoch"})
    no_exception(at)
    assert any("Checked against scikit-learn" in c.value for c in at.caption)
    assert any("weighted cosine similarity" in c.value for c in at.caption)
    assert any("iteration" in link.label.lower() for link in at.get("page_link"))


def test_the_classifier_trains_on_opening_and_shows_its_terms_and_failures():
    at = settle(open_page(PAGE, {"cls_steps": "100"}), trained)
    assert float(metric(at, "Test accuracy").rstrip("%")) > 50
    failures = next(d.value for d in at.dataframe if "same vector as" in d.value.columns)
    assert failures["same vector as"].iloc[0] == "example 2"
    assert any("Your own sentence: P(positive)" in t.value for t in at.text)
    assert any("TfidfVectorizer" in c.value for c in at.code)
    assert any(c.proto.id.endswith("fig_tf_cls_top") for c in charts(at))
