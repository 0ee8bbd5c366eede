"""Searching the lessons: every question findable by its own words, ranking as TF-IDF cosine, and empty queries."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from engine import lesson_search, tfidf
from engine.lesson_search import Hit, search
from lessons import load_all


def test_every_lesson_question_is_a_document_with_its_short_answer():
    docs = lesson_search.documents()
    questions = [(lesson.id, q.id) for lesson in load_all() for q in lesson.questions]
    assert [(d.lesson_id, d.question_id) for d in docs] == questions
    first = load_all()[0].questions[0]
    assert docs[0].text == f"{first.question}\n{first.short_answer}"


@pytest.mark.parametrize("doc", lesson_search.documents()[::5], ids=lambda d: d.question_id)
def test_a_question_asked_word_for_word_finds_itself_first(doc):
    hit = search(doc.question, k=1)[0]
    assert (hit.lesson_id, hit.question_id) == (doc.lesson_id, doc.question_id)
    assert 0 < hit.score <= 1 + 1e-12


def test_a_question_in_other_words_finds_its_lesson():
    hit, *_ = search("How many iterations are there in one epoch?")
    assert hit.question_id == "epoch-batch-iteration" or "iteration" in hit.question.lower()
    assert "epoch" in hit.terms or "iterations" in hit.terms


def test_scores_are_the_cosine_of_scikit_learns_vectors_with_the_same_settings():
    docs, model = lesson_search.index()
    kwargs = tfidf.sklearn_kwargs(lesson_search.CONFIG)
    reference = TfidfVectorizer(**kwargs).fit([d.text for d in docs])
    query = "why does dropout regularize a network"
    cosine = (reference.transform([d.text for d in docs]) @ reference.transform([query]).T).toarray()[:, 0]
    hits = search(query, k=5)
    best = np.argsort(-cosine, kind="stable")[:5]
    assert [(h.lesson_id, h.question_id) for h in hits] == [(docs[i].lesson_id, docs[i].question_id) for i in best]
    np.testing.assert_allclose([h.score for h in hits], cosine[best], atol=1e-9)
    assert all(isinstance(h, Hit) and h.terms for h in hits)


def test_queries_that_share_no_term_find_nothing():
    assert search("") == [] and search("what is the") == [] and search("zzqx 😀") == []


def test_k_limits_the_hits_and_a_huge_query_gets_a_sentence():
    assert len(search("learning rate", k=2)) == 2
    with pytest.raises(ValueError, match="limited to 500 characters"):
        search("word " * 200)
