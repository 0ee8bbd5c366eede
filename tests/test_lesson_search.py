"""Searching the lessons: every question findable by its own words, ranking as weighted TF-IDF cosines over three
fields of stemmed text, and empty queries."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from engine import lesson_search, tfidf
from engine.lesson_search import Hit, search
from lessons import load_all


def test_every_lesson_question_is_a_document_with_its_answers_quiz_and_lesson():
    docs = lesson_search.documents()
    questions = [(lesson.id, q.id) for lesson in load_all() for q in lesson.questions]
    assert [(d.lesson_id, d.question_id) for d in docs] == questions
    lesson = load_all()[0]
    first = lesson.questions[0]
    assert docs[0].text == f"{first.question}\n{first.short_answer}"
    assert docs[0].body.startswith(first.deep_answer)
    item = next(item for item in lesson.quiz if first.id in item.covers)
    assert item.prompt in docs[0].body and item.explanation in docs[0].body
    assert all(w.claim in docs[0].body for w in first.wrong_answers)
    assert all(t.look_for in docs[0].body for t in first.try_it)
    assert docs[0].lesson == f"{lesson.title}\n{lesson.intro}"
    assert sum(lesson_search.FIELDS.values()) == pytest.approx(1)


@pytest.mark.parametrize("words", [("iterations", "iteration", "iterate"), ("normalize", "normalized", "normalizing",
                                   "normalization"), ("dropped", "dropping", "drop"), ("compression", "compresses"),
                                   ("biases", "bias"), ("activations", "activation", "activated")])
def test_forms_of_a_word_share_a_stem(words):
    assert len({lesson_search.stem(w) for w in words}) == 1, [lesson_search.stem(w) for w in words]


def test_short_words_stop_words_and_non_plurals_keep_their_form():
    assert [lesson_search.stem(w) for w in ("loss", "bias", "analysis", "does", "this", "gru", "l2")] == [
        "loss", "bias", "analysis", "does", "this", "gru", "l2"]


@pytest.mark.parametrize("doc", lesson_search.documents()[::5], ids=lambda d: d.question_id)
def test_a_question_asked_word_for_word_finds_itself_first(doc):
    hit = search(doc.question, k=1)[0]
    assert (hit.lesson_id, hit.question_id) == (doc.lesson_id, doc.question_id)
    assert 0 < hit.score <= 1 + 1e-12


def test_a_question_in_other_words_finds_its_lesson():
    hit, *_ = search("How many iterations are there in one epoch?")
    assert hit.question_id == "epoch-batch-iteration" or "iteration" in hit.question.lower()
    assert "epoch" in hit.terms or "iterations" in hit.terms


def test_the_shared_terms_are_the_learners_own_words_and_abbreviations_are_spelled_out():
    hit, *_ = search("normalizing inputs")
    assert set(hit.terms) <= {"normalizing", "inputs"} and "normalizing" in hit.terms
    hit, *_ = search("ML versus DL")
    assert hit.question_id == "what-is-deep-learning" and set(hit.terms) == {"ml", "dl"}


@pytest.mark.parametrize("query", ["why does dropout regularize a network", "my loss explodes to NaN, step by step"])
def test_scores_are_weighted_cosines_of_scikit_learns_vectors_with_the_same_settings(query):
    ix = lesson_search.index()
    kwargs = tfidf.sklearn_kwargs(lesson_search.CONFIG)
    stems = " ".join(dict.fromkeys(lesson_search.stemmed(query).split()))  # each word once
    expected = np.zeros(len(ix.docs))
    for field, weight in lesson_search.FIELDS.items():
        texts = lesson_search.field_texts(ix.docs, field)
        reference = TfidfVectorizer(**kwargs).fit(texts)
        cosine = (reference.transform(texts) @ reference.transform([stems]).T).toarray()[:, 0]  # (n_texts,)
        expected += weight * cosine[ix.rows[field]]
    lessons = list(dict.fromkeys(d.lesson for d in ix.docs))
    assert [lessons[i] for i in ix.rows["lesson"]] == [d.lesson for d in ix.docs]
    hits = search(query, k=5)
    best = np.argsort(-expected, kind="stable")[:5]
    assert [(h.lesson_id, h.question_id) for h in hits] == [(ix.docs[i].lesson_id, ix.docs[i].question_id)
                                                          for i in best]
    np.testing.assert_allclose([h.score for h in hits], expected[best], atol=1e-9)
    assert all(isinstance(h, Hit) and h.terms for h in hits)


def test_queries_that_share_no_term_find_nothing():
    assert search("") == [] and search("what is the") == [] and search("zzqx 😀") == []


def test_k_limits_the_hits_and_a_huge_query_gets_a_sentence():
    assert len(search("learning rate", k=2)) == 2
    with pytest.raises(ValueError, match="limited to 500 characters"):
        search("word " * 200)
