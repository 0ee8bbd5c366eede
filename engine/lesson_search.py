"""Search over the app's own lessons: an interview question in your own words finds the lesson that answers it.

Each lesson question is one document: its question and its short answer. Ranking is TF-IDF cosine similarity
(engine.tfidf) with English stop words dropped, so "what is" and "how does" match nothing by themselves.
"""

from dataclasses import dataclass
from functools import cache

import numpy as np

from engine import tfidf
from lessons import load_all

CONFIG = tfidf.TfidfConfig(stop_words=True, tf="sublinear")  # a repeated word counts, but less each time
LIMITS = tfidf.Limits(docs=2000, chars=20_000, vocabulary=50_000)  # every lesson, with room to grow


@dataclass(frozen=True)
class Doc:
    lesson_id: str
    question_id: str
    lesson_title: str
    question: str
    text: str  # what is searched: the question and its short answer


@dataclass(frozen=True)
class Hit:
    lesson_id: str
    question_id: str
    lesson_title: str
    question: str
    score: float  # cosine similarity with the query, in [0, 1]
    terms: tuple[str, ...]  # the shared terms, biggest contribution first


def documents() -> list[Doc]:
    """Every lesson question as a document, in syllabus order."""
    return [Doc(lesson.id, q.id, lesson.title, q.question, f"{q.question}\n{q.short_answer}")
            for lesson in load_all() for q in lesson.questions]


@cache
def index() -> tuple[tuple[Doc, ...], tfidf.Tfidf]:
    """The documents and their TF-IDF model, built once per process."""
    docs = tuple(documents())
    return docs, tfidf.fit([d.text for d in docs], CONFIG, LIMITS)


def search(query: str, k: int = 3) -> list[Hit]:
    """The k lesson questions most similar to the query, best first; only those sharing a term with it.

    An empty query, or one whose words no lesson uses, finds nothing. A query over tfidf.QUERY_CHARS characters
    raises ValueError with a sentence.
    """
    docs, model = index()
    ranking = tfidf.rank(model, query)
    q = tfidf.transform(model, [query])[0]  # (n_terms,)
    hits = []
    for i in ranking.order[:k]:
        if not ranking.scores[i] > 0:
            break
        shares = model.matrix[i] * q  # (n_terms,) each term's part of the cosine (both rows have unit length)
        shared = [model.terms[j] for j in np.argsort(-shares, kind="stable") if shares[j] > 0]
        d = docs[i]
        hits.append(Hit(d.lesson_id, d.question_id, d.lesson_title, d.question, float(ranking.scores[i]),
                        tuple(shared)))
    return hits
