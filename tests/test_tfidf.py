"""TF-IDF against scikit-learn's TfidfVectorizer, the classic worked example, cosine search and bad input."""

import math

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from engine import tfidf
from engine.tfidf import SKLEARN, TEXTBOOK, Limits, TfidfConfig, classic, fit, rank, sklearn_kwargs, tokenize

CORPORA = {
    "animals": ["The cat sat on the mat.", "The dog sat on the log.", "Cats and dogs: not the same animals at all!"],
    "repeats": ["deep deep deep learning", "learning to learn", "deep water", "water water everywhere"],
    "with an empty row": ["Good food, good prices.", "!!! ??? ...", "", "Bad food; bad, bad service."],
    "unicode": ["Ünïcode café CAFÉ naïve", "Привет мир, привет", "我喜欢机器学习 😀 ok", "cafe 42 42x x"],
    "one document": ["only one document here, one"],
    "a term everywhere": ["spam eggs", "spam ham", "spam spam"],
}
VARIANTS = [SKLEARN, TfidfConfig(tf="sublinear"), TfidfConfig(idf="plain"), TfidfConfig(idf="none"),
            TfidfConfig(norm="l1"), TfidfConfig(norm="none", idf="plain", tf="sublinear"),
            TfidfConfig(stop_words=True), TfidfConfig(ngrams=2), TfidfConfig(ngrams=3, stop_words=True),
            TfidfConfig(lowercase=False)]


@pytest.mark.parametrize("corpus", CORPORA.values(), ids=CORPORA.keys())
def test_the_default_setting_is_tfidfvectorizers_defaults_to_1e_9(corpus):
    reference = TfidfVectorizer()
    expected = reference.fit_transform(corpus).toarray()
    model = fit(corpus)
    assert model.terms == reference.get_feature_names_out().tolist()
    np.testing.assert_allclose(model.idf, reference.idf_, rtol=0, atol=1e-9)
    np.testing.assert_allclose(model.matrix, expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(tfidf.transform(model, ["the cat and the unknown zebra"]),
                               reference.transform(["the cat and the unknown zebra"]).toarray(), rtol=0, atol=1e-9)


@pytest.mark.parametrize("config", VARIANTS, ids=lambda c: str(sklearn_kwargs(c)))
@pytest.mark.parametrize("corpus", CORPORA.values(), ids=CORPORA.keys())
def test_every_variant_scikit_learn_has_matches_it(corpus, config):
    reference = TfidfVectorizer(**sklearn_kwargs(config))
    try:
        expected = reference.fit_transform(corpus).toarray()
    except ValueError:  # scikit-learn's "empty vocabulary": ours says so in a sentence
        with pytest.raises(ValueError, match="No document has a term"):
            fit(corpus, config)
        return
    model = fit(corpus, config)
    assert model.terms == reference.get_feature_names_out().tolist()
    np.testing.assert_allclose(model.matrix, expected, rtol=0, atol=1e-9)


def test_variants_scikit_learn_lacks_have_no_kwargs():
    assert sklearn_kwargs(TEXTBOOK) is None
    assert sklearn_kwargs(TfidfConfig(base="10")) is None
    assert sklearn_kwargs(TfidfConfig(add_one=False)) is None
    assert sklearn_kwargs(TfidfConfig(base="2", idf="none")) == {"use_idf": False}  # no IDF, no base
    assert "TfidfVectorizer()" in tfidf.code(SKLEARN)
    assert "no setting" in tfidf.code(TEXTBOOK)


def test_each_step_follows_its_formula_on_a_hand_worked_corpus():
    # doc 1 "a b b" has terms b, b (a is one letter); "aa bb" -> aa, bb
    model = fit(["aa bb bb", "aa cc", "dd"], TfidfConfig(tf="length", idf="plain", add_one=False, base="2",
                                                        norm="none"))
    assert model.terms == ["aa", "bb", "cc", "dd"]
    np.testing.assert_array_equal(model.counts, [[1, 2, 0, 0], [1, 0, 1, 0], [0, 0, 0, 1]])
    np.testing.assert_array_equal(model.lengths, [3, 2, 1])
    np.testing.assert_array_equal(model.df, [2, 1, 1, 1])
    np.testing.assert_allclose(model.tf[0], [1 / 3, 2 / 3, 0, 0])
    np.testing.assert_allclose(model.idf, [math.log2(3 / 2), math.log2(3), math.log2(3), math.log2(3)])
    np.testing.assert_allclose(model.matrix[0], [math.log2(1.5) / 3, 2 * math.log2(3) / 3, 0, 0])


def test_sublinear_tf_is_one_plus_the_log_of_the_count_and_zero_stays_zero():
    model = fit(["xx xx xx xx yy", "zz"], TfidfConfig(tf="sublinear", norm="none", idf="none"))
    np.testing.assert_allclose(model.tf, [[1 + math.log(4), 1, 0], [0, 0, 1]])


def test_l1_rows_sum_to_one_and_l2_rows_have_unit_length():
    corpus = CORPORA["repeats"]
    np.testing.assert_allclose(np.abs(fit(corpus, TfidfConfig(norm="l1")).matrix).sum(1), 1)
    np.testing.assert_allclose(np.linalg.norm(fit(corpus).matrix, axis=1), 1)


def test_the_classic_example_to_the_exact_digits():
    result = classic(3, 100, 10_000_000, 1000)
    assert result.tf == 0.03 and result.idf == 4.0 and result.tfidf == 0.12
    assert f"{result.tfidf:g}" == "0.12"
    natural = classic(3, 100, 10_000_000, 1000, "e")
    assert natural.idf == pytest.approx(math.log(10_000))
    assert classic(3, 100, 10_000_000, 1000, "2").idf == pytest.approx(math.log2(10_000))


def test_the_textbook_setting_on_a_corpus_reproduces_the_classic_numbers():
    # doc 1: 100 words, "target" 3 times; the term is in 1 of 10 documents, so IDF = log10(10) = 1
    docs = ["target target target " + " ".join(f"w{i}" for i in range(97))] + [f"other{i}" for i in range(9)]
    model = fit(docs, TEXTBOOK)
    j = model.terms.index("target")
    assert model.tf[0, j] == pytest.approx(0.03) and model.idf[j] == pytest.approx(1.0)
    assert model.matrix[0, j] == pytest.approx(0.03)


@pytest.mark.parametrize("args, message", [
    ((4, 3, 10, 1), "cannot occur 4 times in a document of 3 words"),
    ((1, 10, 5, 6), "cannot occur in 6 documents of a corpus of 5"),
    ((1, 0, 5, 1), "at least 1 word"),
    ((1, 10, 0, 0), "at least 1 document"),
])
def test_impossible_classic_numbers_get_a_sentence(args, message):
    with pytest.raises(ValueError, match=message):
        classic(*args)


def test_cosine_ranking_on_a_hand_checked_case():
    # idf none and raw counts: the vectors are plain counts. Query "apple banana" = (1, 1, 0).
    docs = ["apple apple", "apple banana", "cherry", "banana cherry cherry"]
    model = fit(docs, TfidfConfig(idf="none", norm="none"))
    ranking = rank(model, "Apple banana!")
    expected = [1 / math.sqrt(2), 1.0, 0.0, 1 / (math.sqrt(2) * math.sqrt(5))]
    np.testing.assert_allclose(ranking.scores, expected)
    assert ranking.order.tolist() == [1, 0, 3, 2]
    shares = ranking.contributions
    np.testing.assert_allclose(shares.groupby("document")["contribution"].sum().sort_index(),
                               [expected[0], expected[1], expected[3]])
    assert shares[shares.document == "doc 2"]["contribution"].tolist() == pytest.approx([0.5, 0.5])


def test_cosine_scores_equal_scikit_learns_dot_products():
    corpus = CORPORA["animals"]
    reference = TfidfVectorizer().fit(corpus)
    expected = (reference.transform(corpus) @ reference.transform(["a cat on a log"]).T).toarray()[:, 0]
    np.testing.assert_allclose(rank(fit(corpus), "a cat on a log").scores, expected, atol=1e-12)


def test_a_query_with_no_known_terms_scores_every_document_zero_and_says_why():
    model = fit(CORPORA["animals"])
    ranking = rank(model, "zebra")
    assert ranking.unknown == ["zebra"] and not ranking.scores.any() and ranking.contributions.empty
    assert "None of the query's terms occurs" in ranking.message
    assert "no term to search for" in rank(model, "?! a").message
    with pytest.raises(ValueError, match="limited to 500 characters; this one has 501"):
        rank(model, "x" * 501)


def test_an_empty_corpus_and_documents_without_terms_get_sentences():
    with pytest.raises(ValueError, match="The corpus is empty"):
        fit([])
    with pytest.raises(ValueError, match="No document has a term to count"):
        fit(["", "!!! ...", "a b c"])
    with pytest.raises(ValueError, match="and stop words are switched on"):
        fit(["the and of", "not a"], TfidfConfig(stop_words=True))
    model = fit(["good food", "...", "  "])
    assert "Documents 2, 3 have no term to count" in model.notes[0] and "N = 3" in model.notes[0]
    assert not model.matrix[1:].any() and np.isfinite(model.matrix).all()
    length = fit(["good food", "..."], TfidfConfig(tf="length"))
    assert np.isfinite(length.tf).all() and not length.tf[1].any()


def test_a_document_of_only_stop_words_has_a_zero_row_and_a_note():
    model = fit(["the food was good", "it was not the"], TfidfConfig(stop_words=True))
    assert model.terms == ["food", "good"]
    assert not model.matrix[1].any()
    assert "Document 2 has no term to count (only punctuation, emoji, single characters or stop words)" \
           in model.notes[0]


def test_non_english_text_and_emoji_are_tokenized_and_explained():
    model = fit(CORPORA["unicode"])
    assert {"café", "привет", "我喜欢机器学习", "ok"} <= set(model.terms)
    assert model.counts[1, model.terms.index("привет")] == 2  # lowercased in Cyrillic too
    notes = " ".join(model.notes)
    assert "Emoji" in notes and "without spaces" in notes and "accents are kept" in notes


def test_the_size_limits_are_stated_in_a_sentence():
    with pytest.raises(ValueError, match="The corpus is limited to 200 documents; this one has 201."):
        fit(["word"] * 201)
    with pytest.raises(ValueError, match="limited to 5,000 characters; document 2 has 12,345."):
        fit(["fine", "x" * 12_345])
    with pytest.raises(ValueError, match="limited to 3 distinct terms; this corpus has 4"):
        fit(["aa bb cc dd"], limits=Limits(vocabulary=3))


def test_unknown_settings_get_a_sentence():
    with pytest.raises(ValueError, match="Unknown IDF 'max'"):
        fit(["aa"], TfidfConfig(idf="max"))


def test_tokenize_keeps_runs_of_two_or_more_word_characters_and_builds_ngrams():
    assert tokenize("I'm a GPU-bound model, v2 x") == ["gpu", "bound", "model", "v2"]
    assert tokenize("not good at all", TfidfConfig(ngrams=2)) == ["not", "good", "at", "all", "not good",
                                                                  "good at", "at all"]


def test_explain_term_gives_df_idf_and_each_documents_numbers():
    model = fit(CORPORA["repeats"])
    sentence, table = tfidf.explain_term(model, "deep")
    assert "occurs in 2 of the N = 4 documents" in sentence and "ln((1 + N) / (1 + df)) + 1 = 1.511" in sentence
    assert table["document"].tolist() == ["doc 1", "doc 3"] and table["count"].tolist() == [3, 1]
    np.testing.assert_allclose(table["TF × IDF"], [3 * model.idf[model.terms.index("deep")], model.idf[0]])
