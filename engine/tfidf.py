"""TF-IDF computed in the open: tokens, counts, term frequency, document frequency, IDF, the matrix, and search.

Pure NumPy. The default config is scikit-learn's `TfidfVectorizer()`: the token pattern r"(?u)\\b\\w\\w+\\b" on
lowercased text, raw counts, IDF = ln((1 + N) / (1 + df)) + 1, and L2-normalized rows. Documents with no terms
keep a row of zeros and still count in N, as in scikit-learn.
"""

import math
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

TOKEN_PATTERN = re.compile(r"(?u)\b\w\w+\b")  # runs of two or more letters or digits, in any script
TF_KINDS = {"raw": "raw count", "length": "count ÷ terms in the document", "sublinear": "1 + ln(count)"}
IDF_KINDS = {"smooth": "log((1 + N) / (1 + df))", "plain": "log(N / df)", "none": "no IDF (every term weighs 1)"}
BASES = {"e": math.e, "10": 10.0, "2": 2.0}
NORMS = {"l2": "L2 (unit length)", "l1": "L1 (entries sum to 1)", "none": "none"}
# A short English list of our own. Like scikit-learn's, it holds "not" and "no": a stop-word filter erases negation.
STOP_WORDS = frozenset(
    "a about after all also am an and any are as at be been before but by can could did do does doing for from "
    "had has have he her here hers him his how if in into is it its itself me my no nor not of off on once only "
    "or our ours out over she so some such than that the their them then there these they this those through to "
    "too under until up very was we were what when where which while who whom why will with would you your".split())


@dataclass(frozen=True)
class Limits:
    docs: int = 200  # documents in a corpus
    chars: int = 5000  # characters in one document
    vocabulary: int = 5000  # distinct terms


LIMITS = Limits()
QUERY_CHARS = 500  # characters in a search query


@dataclass(frozen=True)
class TfidfConfig:
    tf: str = "raw"  # a key of TF_KINDS; scikit-learn counts
    idf: str = "smooth"  # a key of IDF_KINDS; scikit-learn smooths, as if one more document held every term
    add_one: bool = True  # add 1 to every IDF (scikit-learn does), so a term in every document keeps some weight
    base: str = "e"  # the IDF's logarithm, a key of BASES; scikit-learn uses the natural log
    norm: str = "l2"  # a key of NORMS: each document's row scaled to unit length, as scikit-learn does
    stop_words: bool = False  # drop the words of STOP_WORDS first
    ngrams: int = 1  # terms are runs of 1 to `ngrams` consecutive tokens (2: words and word pairs)
    lowercase: bool = True


SKLEARN = TfidfConfig()  # TfidfVectorizer() exactly
TEXTBOOK = TfidfConfig(tf="length", idf="plain", add_one=False, base="10", norm="none")  # the classic example


def check_config(config: TfidfConfig) -> None:
    """Raise ValueError, in a sentence, for a setting that does not exist."""
    for value, table, what in ((config.tf, TF_KINDS, "term frequency"), (config.idf, IDF_KINDS, "IDF"),
                               (config.base, BASES, "log base"), (config.norm, NORMS, "normalization")):
        if value not in table:
            raise ValueError(f"Unknown {what} {value!r}: choose one of {', '.join(table)}.")
    if not 1 <= config.ngrams <= 3:
        raise ValueError("Terms can be runs of 1 to 3 words.")


def tokenize(text: str, config: TfidfConfig = SKLEARN) -> list[str]:
    """The document's terms, in order: tokens (lowercased), stop words dropped, then n-grams of them."""
    tokens = TOKEN_PATTERN.findall(text.lower() if config.lowercase else text)
    if config.stop_words:
        tokens = [t for t in tokens if t not in STOP_WORDS]
    terms = list(tokens)
    for n in range(2, config.ngrams + 1):  # as scikit-learn's ngram_range=(1, n): pairs joined by a space
        terms += [" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    return terms


def check_corpus(docs: list[str], limits: Limits = LIMITS) -> None:
    """Raise ValueError, in a sentence, for a corpus over the limits or with nothing in it."""
    if not docs:
        raise ValueError("The corpus is empty: write at least one document.")
    if len(docs) > limits.docs:
        raise ValueError(f"The corpus is limited to {limits.docs:,} documents; this one has {len(docs):,}.")
    for i, doc in enumerate(docs, 1):
        if len(doc) > limits.chars:
            raise ValueError(f"A document is limited to {limits.chars:,} characters; document {i} has "
                             f"{len(doc):,}.")


@dataclass
class Tfidf:
    """Every step of the computation, for a corpus and a config."""

    config: TfidfConfig
    docs: list[str]
    terms: list[str]  # the vocabulary, sorted as scikit-learn sorts it
    counts: np.ndarray  # (n_docs, n_terms) how often each term occurs in each document
    lengths: np.ndarray  # (n_docs,) terms in each document, repeats included
    tf: np.ndarray  # (n_docs, n_terms) term frequency, per config.tf
    df: np.ndarray  # (n_terms,) documents that contain each term
    idf: np.ndarray  # (n_terms,)
    weights: np.ndarray  # (n_docs, n_terms) tf · idf, before normalization
    matrix: np.ndarray  # (n_docs, n_terms) the TF-IDF matrix: weights with each row normalized per config.norm
    notes: list[str] = field(default_factory=list)  # sentences about the input (empty rows, dropped emoji...)

    @property
    def n_docs(self) -> int:
        return len(self.docs)

    def frame(self, values: np.ndarray) -> pd.DataFrame:
        """A (documents × terms) array as a table with named rows and columns."""
        return pd.DataFrame(values, index=doc_labels(self.n_docs), columns=self.terms)


def doc_labels(n: int) -> list[str]:
    return [f"doc {i}" for i in range(1, n + 1)]


def fit(docs: list[str], config: TfidfConfig = SKLEARN, limits: Limits = LIMITS) -> Tfidf:
    """Learn the vocabulary and IDF of `docs` and compute their TF-IDF matrix."""
    check_config(config)
    check_corpus(docs, limits)
    tokenized = [tokenize(doc, config) for doc in docs]
    terms = sorted({t for doc in tokenized for t in doc})
    if not terms:
        raise ValueError("No document has a term to count: the tokenizer keeps runs of two or more letters or "
                         "digits, so punctuation, emoji and single characters are dropped"
                         + (", and stop words are switched on." if config.stop_words else "."))
    if len(terms) > limits.vocabulary:
        raise ValueError(f"The vocabulary is limited to {limits.vocabulary:,} distinct terms; this corpus has "
                         f"{len(terms):,}.")
    counts = _counts(tokenized, {t: j for j, t in enumerate(terms)})
    df = (counts > 0).sum(0)  # (n_terms,)
    idf = idf_values(df, len(docs), config)
    tf = tf_values(counts, config.tf)
    weights = tf * idf  # (n_docs, n_terms)
    model = Tfidf(config, list(docs), terms, counts, counts.sum(1), tf, df, idf, weights,
                  normalize(weights, config.norm))
    model.notes = _notes(model, tokenized)
    return model


def _counts(tokenized: list[list[str]], index: dict[str, int]) -> np.ndarray:
    counts = np.zeros((len(tokenized), len(index)), dtype=np.int64)  # (n_docs, n_terms)
    for i, doc in enumerate(tokenized):
        for term in doc:
            if term in index:
                counts[i, index[term]] += 1
    return counts


def tf_values(counts: np.ndarray, kind: str) -> np.ndarray:
    """Term frequency from counts: raw, divided by the document's length, or 1 + ln(count) (0 stays 0)."""
    counts = counts.astype(np.float64)
    if kind == "length":
        lengths = counts.sum(-1, keepdims=True)
        return np.divide(counts, lengths, out=np.zeros_like(counts), where=lengths > 0)  # an empty row stays 0
    if kind == "sublinear":
        return np.where(counts > 0, 1 + np.log(np.maximum(counts, 1)), 0.0)
    return counts


def idf_values(df: np.ndarray, n_docs: int, config: TfidfConfig) -> np.ndarray:
    """Inverse document frequency of each term, from its document frequency df in a corpus of n_docs."""
    df = np.asarray(df, dtype=np.float64)
    if config.idf == "none":
        return np.ones_like(df)
    ratio = (1 + n_docs) / (1 + df) if config.idf == "smooth" else n_docs / df
    return np.log(ratio) / math.log(BASES[config.base]) + (1.0 if config.add_one else 0.0)


def normalize(weights: np.ndarray, norm: str) -> np.ndarray:
    """Each row scaled to unit L2 or L1 length; a row of zeros stays zeros."""
    if norm == "none":
        return weights.copy()
    size = np.sqrt((weights ** 2).sum(-1, keepdims=True)) if norm == "l2" else np.abs(weights).sum(-1, keepdims=True)
    return np.divide(weights, size, out=np.zeros_like(weights), where=size > 0)


def transform(model: Tfidf, texts: list[str]) -> np.ndarray:
    """New texts as rows in the model's space: its vocabulary and IDF; unknown terms are ignored."""
    return vectorize(texts, model.terms, model.idf, model.config)


def vectorize(texts: list[str], terms: list[str], idf: np.ndarray, config: TfidfConfig) -> np.ndarray:
    """Texts as TF-IDF rows over a fixed vocabulary and IDF (a fitted model's): (n_texts, n_terms)."""
    counts = _counts([tokenize(text, config) for text in texts], {t: j for j, t in enumerate(terms)})
    return normalize(tf_values(counts, config.tf) * idf, config.norm)


# --- notes on the input ------------------------------------------------------------------------------------------

_UNSPACED = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR")  # scripts written without spaces


def _notes(model: Tfidf, tokenized: list[list[str]]) -> list[str]:
    notes = []
    empty = [i for i, doc in enumerate(tokenized, 1) if not doc]
    if empty:
        which = _listing(empty)
        kinds = "punctuation, emoji, single characters" + (", stop words" if model.config.stop_words else "")
        kinds = " or ".join(kinds.rsplit(", ", 1))
        notes.append(f"{which} {'has' if len(empty) == 1 else 'have'} no term to count (only {kinds}), so "
                     f"{'its row is' if len(empty) == 1 else 'their rows are'} all zeros; "
                     f"{'it still counts' if len(empty) == 1 else 'they still count'} in N = {model.n_docs}.")
    text = "".join(model.docs)
    text = "" if text.isascii() else "".join(c for c in text if not c.isascii())  # emoji and scripts are not ASCII
    if any(unicodedata.category(c) == "So" for c in text):
        notes.append("Emoji and other symbols are not letters or digits, so the tokenizer drops them.")
    if any(_unspaced(c) for c in text):
        notes.append("Chinese, Japanese and Thai are written without spaces between words, so each unbroken run "
                     "of their characters becomes a single term: splitting them into words needs a tokenizer made "
                     "for the language.")
    if any(not t.isascii() for t in model.terms):
        notes.append("Letters outside English count like any others: lowercasing works in every script, but "
                     "accents are kept, so “café” and “cafe” are different terms"
                     + (", and the stop-word list is English only." if model.config.stop_words else "."))
    return notes


def _unspaced(char: str) -> bool:
    return char.isalpha() and unicodedata.name(char, "").startswith(_UNSPACED)


def _listing(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10]) + (" and others" if len(numbers) > 10 else "")
    return f"Document {shown}" if len(numbers) == 1 else f"Documents {shown}"


# --- one term, explained ----------------------------------------------------------------------------------------


def idf_formula(config: TfidfConfig) -> str:
    """The IDF formula of a config, in words and symbols."""
    if config.idf == "none":
        return "IDF = 1"
    log = {"e": "ln", "10": "log₁₀", "2": "log₂"}[config.base]
    inner = "(1 + N) / (1 + df)" if config.idf == "smooth" else "N / df"
    return f"IDF = {log}({inner})" + (" + 1" if config.add_one else "")


def explain_term(model: Tfidf, term: str) -> tuple[str, pd.DataFrame]:
    """A sentence on the term's document frequency and IDF, and its numbers in every document that has it."""
    j = model.terms.index(term)
    config = model.config
    sentence = (f"“{term}” occurs in {model.df[j]} of the N = {model.n_docs} documents, so df = {model.df[j]} and "
                f"{idf_formula(config)} = {model.idf[j]:.4g}.")
    rows = np.flatnonzero(model.counts[:, j])
    table = pd.DataFrame({
        "document": [f"doc {i + 1}" for i in rows],
        "count": model.counts[rows, j],
        "terms in the document": model.lengths[rows],
        f"TF ({TF_KINDS[config.tf]})": model.tf[rows, j],
        "IDF": model.idf[j],
        "TF × IDF": model.weights[rows, j],
        "TF-IDF" if config.norm == "none" else f"after {config.norm.upper()} normalization": model.matrix[rows, j],
    })
    return sentence, table


# --- the classic worked example ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Classic:
    tf: float  # count / length
    idf: float  # log(N / df)
    tfidf: float


def classic(count: int, length: int, n_docs: int, df: int, base: str = "10") -> Classic:
    """TF = count / length, IDF = log(N / df), TF-IDF = TF · IDF; a ValueError in a sentence for impossible numbers."""
    if length < 1:
        raise ValueError("The document needs at least 1 word.")
    if not 0 <= count <= length:
        raise ValueError(f"A term cannot occur {count:,} times in a document of {length:,} words.")
    if n_docs < 1 or df < 1:
        raise ValueError("The corpus needs at least 1 document, and the term must occur in at least 1 of them.")
    if df > n_docs:
        raise ValueError(f"A term cannot occur in {df:,} documents of a corpus of {n_docs:,}.")
    tf = count / length
    idf = math.log(n_docs / df, BASES[base]) if base != "10" else math.log10(n_docs / df)
    return Classic(tf, idf, tf * idf)


# --- search --------------------------------------------------------------------------------------------------------


@dataclass
class Ranking:
    query: str
    terms: list[str]  # the query's terms found in the vocabulary
    unknown: list[str]  # the query's terms the corpus never uses: they cannot match anything
    scores: np.ndarray  # (n_docs,) cosine similarity of each document with the query
    order: np.ndarray  # (n_docs,) document indices, best first (ties keep corpus order)
    contributions: pd.DataFrame  # document, term, query weight, document weight, contribution: summing to the score
    message: str  # one sentence for the learner


def rank(model: Tfidf, query: str) -> Ranking:
    """Cosine similarity of the query with every document, and each shared term's share of it."""
    if len(query) > QUERY_CHARS:
        raise ValueError(f"A query is limited to {QUERY_CHARS} characters; this one has {len(query):,}.")
    words = list(dict.fromkeys(tokenize(query, model.config)))
    known = set(model.terms)
    unknown = [w for w in words if w not in known]
    q = transform(model, [query])[0]  # (n_terms,)
    q_norm = np.linalg.norm(q)
    d_norm = np.linalg.norm(model.matrix, axis=1)  # (n_docs,)
    denominator = q_norm * d_norm
    products = model.matrix * q  # (n_docs, n_terms) each term's part of the dot product
    shares = np.divide(products, denominator[:, None], out=np.zeros_like(products), where=denominator[:, None] > 0)
    scores = shares.sum(1)
    order = np.argsort(-scores, kind="stable")
    used = np.flatnonzero(q)
    rows = [{"document": f"doc {i + 1}", "term": model.terms[j], "query weight": q[j],
             "document weight": model.matrix[i, j], "contribution": shares[i, j]}
            for i in order for j in used if shares[i, j] != 0]
    contributions = pd.DataFrame(rows, columns=["document", "term", "query weight", "document weight",
                                                "contribution"])
    return Ranking(query, [model.terms[j] for j in used], unknown, scores, order, contributions,
                   _rank_message(words, used, scores))


def _rank_message(words: list[str], used: np.ndarray, scores: np.ndarray) -> str:
    if not words:
        return "The query has no term to search for: write a word of two or more letters or digits."
    if not len(used):
        return "None of the query's terms occurs in the corpus, so every document scores 0."
    if not scores.max() > 0:
        return "The query's terms occur in every document with zero weight, so every document scores 0."
    return f"{int((scores > 0).sum())} of {len(scores)} documents share a term with the query."


# --- scikit-learn ---------------------------------------------------------------------------------------------------


def sklearn_kwargs(config: TfidfConfig) -> dict | None:
    """The TfidfVectorizer arguments that compute the same matrix, or None when scikit-learn has no such setting."""
    if config.tf == "length" or (config.idf != "none" and (not config.add_one or config.base != "e")):
        return None
    kwargs = {}
    if config.tf == "sublinear":
        kwargs["sublinear_tf"] = True
    if config.idf == "none":
        kwargs["use_idf"] = False
    elif config.idf == "plain":
        kwargs["smooth_idf"] = False
    if config.norm != "l2":
        kwargs["norm"] = None if config.norm == "none" else "l1"
    if config.stop_words:
        kwargs["stop_words"] = sorted(STOP_WORDS)
    if config.ngrams > 1:
        kwargs["ngram_range"] = (1, config.ngrams)
    if not config.lowercase:
        kwargs["lowercase"] = False
    return kwargs


def code(config: TfidfConfig) -> str:
    """The computation in NumPy, and the scikit-learn call that matches it where there is one."""
    kwargs = sklearn_kwargs(config)
    shown = {k: ("STOP_WORDS" if k == "stop_words" else repr(v)) for k, v in (kwargs or {}).items()}
    call = f"TfidfVectorizer({', '.join(f'{k}={v}' for k, v in shown.items())})"
    log = {"e": "np.log", "10": "np.log10", "2": "np.log2"}[config.base]
    tf = {"raw": "counts", "length": "counts / counts.sum(1, keepdims=True)",
          "sublinear": "np.where(counts > 0, 1 + np.log(np.maximum(counts, 1)), 0)"}[config.tf]
    idf = {"smooth": f"{log}((1 + N) / (1 + df))", "plain": f"{log}(N / df)", "none": "np.ones(len(vocab))"}
    plus = " + 1" if config.add_one and config.idf != "none" else ""
    norm = {"l2": "X / np.linalg.norm(X, axis=1, keepdims=True)", "l1": "X / np.abs(X).sum(1, keepdims=True)",
            "none": "X"}[config.norm]
    lines = [
        "import re", "import numpy as np", "",
        'TOKEN = re.compile(r"(?u)\\b\\w\\w+\\b")  # two or more letters or digits',
        f"tokens = [TOKEN.findall(doc{'.lower()' if config.lowercase else ''}) for doc in docs]",
    ]
    if config.stop_words:
        lines.append("tokens = [[t for t in doc if t not in STOP_WORDS] for doc in tokens]")
    if config.ngrams > 1:
        lines.append(f"tokens = [doc + [' '.join(doc[i:i + n]) for n in range(2, {config.ngrams + 1}) "
                     "for i in range(len(doc) - n + 1)] for doc in tokens]")
    lines += [
        "vocab = sorted({t for doc in tokens for t in doc})",
        "counts = np.array([[doc.count(t) for t in vocab] for doc in tokens], dtype=float)  # (docs, terms)",
        "N, df = len(docs), (counts > 0).sum(0)",
        f"tf = {tf}", f"idf = {idf[config.idf]}{plus}", "X = tf * idf", f"X = {norm}  # rows of zeros need a guard",
        "",
    ]
    if kwargs is None:
        lines.append("# scikit-learn's TfidfVectorizer has no setting for this variant.")
    else:
        lines += ["from sklearn.feature_extraction.text import TfidfVectorizer",
                  f"X_sklearn = {call}.fit_transform(docs).toarray()  # the same matrix"]
    return "\n".join(lines)
