"""Search over the app's own lessons: an interview question in your own words finds the lesson that answers it.

Each lesson question is searched through three fields, each with its own TF-IDF model (engine.tfidf, English stop
words dropped, sublinear TF):

- the head: the question and its short answer, the words closest to what a learner asks;
- the body: the deep answer, the common wrong answers and their corrections, the Try-it links, and the quiz items
  that check the question (prompt, options and why, explanation): the neighbouring words a learner may use instead
  ("slope", "blow up", "NaN");
- the lesson: its title and introduction, which say what the whole topic is about; this model has one row per
  lesson, shared by the lesson's questions.

A question's score is the weighted sum of the query's cosine similarity with its three fields (FIELDS), so it stays
in [0, 1]. Before counting, words are lightly stemmed (`stem`): "iterations", "iteration" and "iterate" become one
term, as do "normalize", "normalized" and "normalization", so the learner's form of a word finds the lesson's.
"""

from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np

from engine import tfidf
from lessons import Lesson, Question, load_all

CONFIG = tfidf.TfidfConfig(stop_words=True, tf="sublinear")  # a repeated word counts, but less each time
LIMITS = tfidf.Limits(docs=2000, chars=20_000, vocabulary=50_000)  # every lesson, with room to grow
FIELDS = {"head": 0.6, "body": 0.3, "lesson": 0.1}  # each field's weight in the score; they sum to 1


@dataclass(frozen=True)
class Doc:
    lesson_id: str
    question_id: str
    lesson_title: str
    question: str
    text: str  # the head: the question and its short answer
    body: str  # the deep answer, wrong answers, Try-it links and the quiz items that check the question
    lesson: str  # the lesson's title and introduction


@dataclass(frozen=True)
class Hit:
    lesson_id: str
    question_id: str
    lesson_title: str
    question: str
    score: float  # weighted cosine similarity with the query, in [0, 1]
    terms: tuple[str, ...]  # the query's words it shares, biggest contribution first


@dataclass(frozen=True)
class Index:
    docs: tuple[Doc, ...]
    models: dict[str, tfidf.Tfidf]  # field name -> its TF-IDF model, over the stemmed texts of that field
    rows: dict[str, np.ndarray]  # field name -> (n_docs,) each document's row in the field's model


def _body(lesson: Lesson, q: Question) -> str:
    parts = [q.deep_answer]
    parts += [f"{w.claim}\n{w.correction}" for w in q.wrong_answers]
    parts += [f"{t.label}\n{t.look_for}" for t in q.try_it]
    for item in lesson.quiz:
        if q.id in item.covers:
            parts += [item.prompt, *(f"{o.text}\n{o.why}" for o in item.options), item.explanation]
    return "\n".join(parts)


def _doc(lesson: Lesson, q: Question) -> Doc:
    return Doc(lesson.id, q.id, lesson.title, q.question, f"{q.question}\n{q.short_answer}", _body(lesson, q),
               f"{lesson.title}\n{lesson.intro}")


def documents() -> list[Doc]:
    """Every lesson question as a document, in syllabus order."""
    return [_doc(lesson, q) for lesson in load_all() for q in lesson.questions]


# --- light stemming ---------------------------------------------------------------------------------------------

# Endings a word loses, the longest that fits first: (ending, what replaces it, the fewest letters the stem keeps).
_ENDINGS = sorted([(e, "", 3) for e in ("ational", "ations", "ation", "ative", "ities", "ity", "ates", "ated", "ating",
                                         "ate", "ives", "ive", "ings", "ing", "ed", "ers", "er", "es", "s", "e")]
                  + [("ies", "y", 3), ("sion", "s", 3), ("sions", "s", 3), ("tion", "t", 3), ("tions", "t", 3),
                     ("ly", "", 4)], key=lambda e: -len(e[0]))
_KEEP_S = ("ss", "us", "is", "as")  # "loss", "virus", "analysis", "bias" are not plurals


@lru_cache(maxsize=1 << 16)  # the lessons' words are stemmed once; queries add a few each
def stem(word: str) -> str:
    """A word's light stem: one common ending removed ("trained", "training" → "train"; "compression" → "compress").

    Words of 3 letters or fewer, stop words and tokens with digits stay as they are. Both sides of the search are
    stemmed alike, so a stem need not be a word ("normalize", "normalization" → "normaliz").
    """
    if len(word) <= 3 or word in tfidf.STOP_WORDS or not word.isalpha():
        return word
    for ending, replacement, keep in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= keep:
            if ending == "s" and word.endswith(_KEEP_S):
                continue
            word = word[:-len(ending)] + replacement
            break
    if len(word) >= 4 and word[-1] == word[-2] and word[-1] not in "lsz":  # "dropped" → "dropp" → "drop"
        word = word[:-1]
    return word


def stems(text: str) -> list[tuple[str, str]]:
    """Each word of the text (lowercased) with its stem, in order."""
    return [(w, stem(w)) for w in tfidf.TOKEN_PATTERN.findall(text.lower())]


def stemmed(text: str) -> str:
    """The text as its words' stems, stop words left out, ready for the TF-IDF tokenizer."""
    return " ".join(s for _, s in stems(text) if s not in tfidf.STOP_WORDS)


# Shorthand a learner types, searched for as written and spelled out ("ML" also finds "machine learning").
ABBREVIATIONS = {"ml": "machine learning", "dl": "deep learning", "nn": "neural network", "nns": "neural networks",
                 "net": "network", "nets": "networks", "lr": "learning rate", "mse": "mean squared error",
                 "backprop": "backpropagation", "init": "initialization"}


def query_stems(query: str) -> list[tuple[str, str]]:
    """The query's words with their stems, as `stems`, and each abbreviation's spelled-out words after it."""
    return [(w, s) for w, _ in stems(query) for s in map(stem, [w, *ABBREVIATIONS.get(w, "").split()])]


# --- the index and the search -------------------------------------------------------------------------------------


def field_texts(docs: tuple[Doc, ...] | list[Doc], field: str) -> list[str]:
    """The stemmed texts of one field, as its TF-IDF model sees them: one per document, or one per lesson."""
    texts = [d.text if field == "head" else getattr(d, field) for d in docs]
    return [stemmed(t) for t in (dict.fromkeys(texts) if field == "lesson" else texts)]


@cache
def index() -> Index:
    """The documents and one TF-IDF model per field, built once per process."""
    docs = tuple(documents())
    lessons = list(dict.fromkeys(d.lesson for d in docs))
    rows = {field: np.arange(len(docs)) for field in FIELDS}
    rows["lesson"] = np.array([lessons.index(d.lesson) for d in docs])
    return Index(docs, {field: tfidf.fit(field_texts(docs, field), CONFIG, LIMITS) for field in FIELDS}, rows)


def scores(query: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Every document's score for the query (n_docs,), and each stem's part of it: stem -> (n_docs,).

    A query over tfidf.QUERY_CHARS characters raises ValueError with a sentence.
    """
    if len(query) > tfidf.QUERY_CHARS:
        raise ValueError(f"A query is limited to {tfidf.QUERY_CHARS} characters; this one has {len(query):,}.")
    ix = index()
    # Each stem once: in a short query a repeat is phrasing ("step by step"), not emphasis.
    text = " ".join(dict.fromkeys(s for _, s in query_stems(query) if s not in tfidf.STOP_WORDS))
    total = np.zeros(len(ix.docs))
    parts: dict[str, np.ndarray] = {}
    for field, weight in FIELDS.items():
        model, rows = ix.models[field], ix.rows[field]
        q = tfidf.transform(model, [text])[0]  # (n_terms,) unit length, or zeros
        for j in np.flatnonzero(q):
            share = weight * model.matrix[rows, j] * q[j]  # (n_docs,) the term's part of the cosine (unit rows)
            parts[model.terms[j]] = parts.get(model.terms[j], 0) + share
            total += share
    return total, parts


def search(query: str, k: int = 3) -> list[Hit]:
    """The k lesson questions most similar to the query, best first; only those sharing a term with it.

    An empty query, or one whose words no lesson uses, finds nothing. A query over tfidf.QUERY_CHARS characters
    raises ValueError with a sentence.
    """
    total, parts = scores(query)
    words = {}  # stem -> the query's first word with that stem, shown to the learner
    for word, s in query_stems(query):
        words.setdefault(s, word)
    docs = index().docs
    hits = []
    for i in np.argsort(-total, kind="stable")[:k]:
        if not total[i] > 0:
            break
        shared = sorted((s for s in parts if parts[s][i] > 0), key=lambda s: -parts[s][i])
        d = docs[i]
        hits.append(Hit(d.lesson_id, d.question_id, d.lesson_title, d.question, float(total[i]),
                        tuple(dict.fromkeys(words[s] for s in shared))))
    return hits
