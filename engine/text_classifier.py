"""TF-IDF features into a small PyTorch classifier, trained on short reviews, and where a bag of words breaks.

The reviews (engine/data/reviews.csv) are 200 short sentences written for this app, half positive and half
negative, with negations on both sides ("not bad", "not good"). The TF-IDF vocabulary and IDF are learned from
the training rows only, so the test rows are new text to the model, unknown words included.
"""

import csv
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from engine import tfidf
from engine.device import describe, pick_device
from engine.models import MLP, init_uniform
from engine.trainer import Hooks, Report, TrainSettings, train

DATA = Path(__file__).parent / "data" / "reviews.csv"
CLASSES = ("negative", "positive")  # class indices 0 and 1
MODELS = {"logistic": "logistic regression (one linear layer)", "mlp": "MLP (one hidden ReLU layer)"}
REPORT_EVERY = 10  # steps between history rows
TOP_TERMS = 12  # terms shown per class

# (shows, text, what it means): sentences where counting words fails, and the limit each one exposes.
FAILURES = (
    ("order", "The food was good, not bad.", "positive"),
    ("order", "The food was bad, not good.", "negative"),
    ("order", "I expected it to be terrible, but it was great.", "positive"),
    ("order", "I expected it to be great, but it was terrible.", "negative"),
    ("negation", "The staff were not rude.", "positive"),
    ("negation", "The screen is not sharp.", "negative"),
    ("meaning", "The evening was stellar.", "positive"),
    ("meaning", "The evening was abysmal.", "negative"),
    ("sarcasm", "Just perfect, the battery died again.", "negative"),
)
LIMITS_OF_BAG_OF_WORDS = {
    "order": "The two sentences of each pair hold the same words, so they get the same TF-IDF vector and the same "
             "prediction, whatever the model on top: a bag of words cannot see which word “not” or “but” applies "
             "to. A sequence model (an RNN, or a transformer with position information) reads the words in order "
             "and can tell them apart.",
    "negation": "“not rude” is counted as “not” plus “rude”, each weighed on its own: the model can only add up "
                "what the words mean by themselves, so a negated word pushes the same way it always does, and "
                "“not” pushes the same way whatever it negates. Word pairs (bigrams) give “not rude” a feature of "
                "its own, but only for pairs seen in training, and not for “not at all rude”; a sequence model "
                "learns how a negation changes the words that follow it.",
    "meaning": "“stellar” and “abysmal” never occur in the reviews, so both sentences reduce to the same "
               "vector of known words: TF-IDF knows that words differ, never that two are similar. Learned word "
               "embeddings, trained on large text, place “stellar” near “excellent” and “abysmal” near “awful”.",
    "sarcasm": "The words are positive, the meaning is not: telling them apart needs context and tone that no "
               "word count holds, and even large sequence models get it wrong at times.",
}


@dataclass(frozen=True)
class ClassifierConfig:
    model: str = "logistic"  # a key of MODELS
    width: int = 16  # the MLP's hidden units
    steps: int = 200  # full-batch Adam updates
    lr: float = 0.1  # Adam
    weight_decay: float = 0.0  # Adam's L2 term on every parameter
    ngrams: int = 1  # 2: word pairs are features too, so "not good" gets its own column
    stop_words: bool = False  # drop tfidf.STOP_WORDS first (which erases "not")
    test_fraction: float = 0.25  # of each class, held out
    seed: int = 0  # the split and the initial weights
    device: str = ""  # "" picks the best available


TINY_CLASSIFIER = ClassifierConfig(steps=2)  # trains in a few milliseconds


@dataclass
class ClassifierResult:
    config: ClassifierConfig
    status: str  # "finished", "diverged", "cancelled" or "out of time"
    message: str
    device: str
    seconds: float
    steps_done: int
    history: pd.DataFrame  # step, batch_loss, train_loss, test_loss, train_acc, test_acc
    train_acc: float
    test_acc: float
    n_train: int
    n_test: int
    terms: list[str]  # the vocabulary learned from the training rows
    idf: np.ndarray  # (n_terms,)
    layers: list[tuple[np.ndarray, np.ndarray]]  # each linear layer's (weight (out, in), bias (out,)); ReLU between
    top_terms: pd.DataFrame  # class, term, score: the change in log-odds of "positive" from the term alone
    mistakes: pd.DataFrame  # text, label, P(positive): test rows the model gets wrong
    failures: pd.DataFrame  # shows, text, meaning, P(positive), same vector as: the bag-of-words failure examples
    code: str

    @property
    def cacheable(self) -> bool:
        return self.status != "out of time"

    @property
    def features(self) -> tfidf.TfidfConfig:
        return feature_config(self.config)


@cache
def reviews() -> pd.DataFrame:
    """The labelled reviews: text, label ("positive" or "negative")."""
    with DATA.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return pd.DataFrame(rows, columns=["label", "text"])


def feature_config(config: ClassifierConfig) -> tfidf.TfidfConfig:
    """scikit-learn's TF-IDF, with the classifier's word pairs and stop words."""
    return tfidf.TfidfConfig(ngrams=config.ngrams, stop_words=config.stop_words)


def check(config: ClassifierConfig) -> None:
    """Raise ValueError, in a sentence, for settings that cannot run."""
    problems = {
        config.model not in MODELS: f"Unknown model {config.model!r}: choose {' or '.join(map(repr, MODELS))}.",
        config.width < 1: "The MLP needs at least 1 hidden unit.",
        config.steps < 1: "Train for at least 1 step.",
        not config.lr > 0: "The learning rate must be positive.",
        config.weight_decay < 0: "The weight decay cannot be negative.",
        not 0 < config.test_fraction < 1: "The test fraction must be between 0 and 1.",
        not 1 <= config.ngrams <= 2: "Terms can be single words or word pairs (1 or 2).",
    }
    for bad, sentence in problems.items():
        if bad:
            raise ValueError(sentence)


def split(config: ClassifierConfig, generator: torch.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training and test rows, whole pairs held out.

    The reviews come in pairs on one subject, the k-th positive and the k-th negative ("The pasta was fresh..."
    and "The pasta was cold..."). Holding out whole pairs keeps a test review's subject words from giving its
    label away: were one of a pair in training, its subject words would vote for the wrong class.
    """
    data = reviews()
    pair = data.groupby("label").cumcount().to_numpy()  # (n,) the row's place within its class
    pairs = int(pair.max()) + 1
    held = torch.randperm(pairs, generator=generator).numpy()[:max(1, round(config.test_fraction * pairs))]
    is_test = np.isin(pair, held)
    return data[~is_test].reset_index(drop=True), data[is_test].reset_index(drop=True)


def build_net(config: ClassifierConfig, n_terms: int) -> MLP:
    """Logistic regression (a linear layer to two class scores) or one hidden ReLU layer before it."""
    return MLP(n_terms, config.width, ("relu",) if config.model == "mlp" else (), len(CLASSES))


def labels(frame: pd.DataFrame) -> np.ndarray:
    return (frame["label"].to_numpy() == "positive").astype(np.int64)  # (n,) 1 for positive


def run_classifier(config: ClassifierConfig, on_report: Report | None = None, should_stop=None,
                   deadline=None) -> ClassifierResult:
    """Fit TF-IDF on the training reviews, train the classifier on its rows, and test it on the held-out ones."""
    check(config)
    hooks = Hooks(on_report, should_stop, deadline)
    device = pick_device(config.device or None)
    generator = torch.Generator().manual_seed(config.seed)
    train_rows, test_rows = split(config, generator)
    features = tfidf.fit(train_rows["text"].tolist(), feature_config(config))
    X_train = torch.tensor(features.matrix, dtype=torch.float32, device=device)  # (n_train, n_terms)
    X_test = torch.tensor(tfidf.transform(features, test_rows["text"].tolist()), dtype=torch.float32,
                          device=device)  # (n_test, n_terms)
    y_train = torch.tensor(labels(train_rows), device=device)  # (n_train,)
    y_test = torch.tensor(labels(test_rows), device=device)  # (n_test,)
    net = build_net(config, len(features.terms))
    init_uniform(net, generator)
    net = net.to(device)

    @torch.no_grad()
    def measure(_: int, __: float) -> dict:
        out_train, out_test = net(X_train), net(X_test)  # (n, 2) logits
        return {"train_loss": nn.functional.cross_entropy(out_train, y_train).item(),
                "test_loss": nn.functional.cross_entropy(out_test, y_test).item(),
                "train_acc": (out_train.argmax(1) == y_train).float().mean().item(),
                "test_acc": (out_test.argmax(1) == y_test).float().mean().item()}

    settings = TrainSettings(steps=config.steps, optimizer="adam", lr=config.lr,
                             hyper=(("weight_decay", config.weight_decay),), report_every=REPORT_EVERY)
    outcome = train(net, X_train, y_train, nn.functional.cross_entropy, settings, generator, measure, hooks)
    layers = [(layer.weight.detach().cpu().numpy().astype(np.float64), layer.bias.detach().cpu().numpy()
               .astype(np.float64)) for layer in net.linear_layers()]
    final = measure(0, 0.0)
    if not all(math.isfinite(v) for v in final.values()):
        final = {k: 0.0 for k in final}
    result = ClassifierResult(
        config, outcome.status, outcome.message, describe(device), outcome.seconds, outcome.steps_done,
        outcome.history, final["train_acc"], final["test_acc"], len(train_rows), len(test_rows), features.terms,
        features.idf, layers, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), _code(config))
    if all(np.isfinite(w).all() and np.isfinite(b).all() for w, b in layers):
        result.top_terms = top_terms(result)
        result.mistakes = _mistakes(result, test_rows)
        result.failures = failures(result)
    return result


# --- reading the trained model ---------------------------------------------------------------------------------


def log_odds(result: ClassifierResult, X: np.ndarray) -> np.ndarray:
    """The trained network on TF-IDF rows: log P(positive) − log P(negative), (n, n_terms) -> (n,)."""
    h = X
    for i, (w, b) in enumerate(result.layers):
        h = h @ w.T + b
        if i < len(result.layers) - 1:
            h = np.maximum(h, 0)  # ReLU
    return h[:, 1] - h[:, 0]


def predict(result: ClassifierResult, texts: list[str]) -> np.ndarray:
    """P(positive) for each text, (n,): its TF-IDF row over the training vocabulary, through the network."""
    X = tfidf.vectorize(texts, result.terms, result.idf, result.features)
    return 1 / (1 + np.exp(-np.clip(log_odds(result, X), -60, 60)))


def term_scores(result: ClassifierResult) -> np.ndarray:
    """How much each term alone moves the log-odds of "positive", from the empty document, (n_terms,).

    A one-term document's L2-normalized TF-IDF row is that term's unit vector, so for logistic regression the
    score is exactly the term's weight for "positive" minus its weight for "negative".
    """
    n = len(result.terms)
    return log_odds(result, np.eye(n)) - log_odds(result, np.zeros((1, n)))[0]


def top_terms(result: ClassifierResult, k: int = TOP_TERMS) -> pd.DataFrame:
    """The k terms that push hardest towards each class."""
    scores = term_scores(result)
    order = np.argsort(scores, kind="stable")
    rows = [("positive", result.terms[j], scores[j]) for j in order[::-1][:k]]
    rows += [("negative", result.terms[j], scores[j]) for j in order[:k]]
    return pd.DataFrame(rows, columns=["class", "term", "score"])


def _mistakes(result: ClassifierResult, test_rows: pd.DataFrame) -> pd.DataFrame:
    p = predict(result, test_rows["text"].tolist())
    wrong = (p > 0.5) != (labels(test_rows) == 1)
    return pd.DataFrame({"text": test_rows["text"][wrong], "label": test_rows["label"][wrong],
                         "P(positive)": p[wrong]}).reset_index(drop=True)


def failures(result: ClassifierResult) -> pd.DataFrame:
    """The failure examples: what each means, what the model says, and which ones share a TF-IDF vector."""
    texts = [text for _, text, _ in FAILURES]
    X = tfidf.vectorize(texts, result.terms, result.idf, result.features)  # (n_examples, n_terms)
    same = []
    for i in range(len(texts)):
        twins = [j + 1 for j in range(len(texts)) if j != i and np.array_equal(X[i], X[j])]
        same.append(", ".join(f"example {j}" for j in twins))
    unknown = [", ".join(t for t in dict.fromkeys(tfidf.tokenize(text, result.features)) if t not in
                         set(result.terms)) for text in texts]
    return pd.DataFrame({"example": range(1, len(texts) + 1), "shows": [shows for shows, _, _ in FAILURES],
                         "text": texts, "meaning": [label for _, _, label in FAILURES],
                         "P(positive)": predict(result, texts), "same vector as": same,
                         "terms never seen in training": unknown})


def _code(config: ClassifierConfig) -> str:
    hidden = (f"nn.Linear(n_terms, {config.width}), nn.ReLU(), nn.Linear({config.width}, 2)"
              if config.model == "mlp" else "nn.Linear(n_terms, 2)")
    kwargs = tfidf.sklearn_kwargs(feature_config(config)) or {}
    shown = ", ".join(f"{k}={'STOP_WORDS' if k == 'stop_words' else repr(v)}" for k, v in kwargs.items())
    decay = f", weight_decay={config.weight_decay:g}" if config.weight_decay else ""
    return "\n".join([
        "import torch",
        "from torch import nn",
        "from sklearn.feature_extraction.text import TfidfVectorizer",
        "",
        f"vectorizer = TfidfVectorizer({shown})  # what engine/tfidf.py computes, step by step",
        "X_train = torch.tensor(vectorizer.fit_transform(train_texts).toarray(), dtype=torch.float32)",
        "X_test = torch.tensor(vectorizer.transform(test_texts).toarray(), dtype=torch.float32)  # unknown words: 0",
        "n_terms = X_train.shape[1]",
        f"net = nn.Sequential({hidden})  # two class scores: negative, positive",
        f"optimizer = torch.optim.Adam(net.parameters(), lr={config.lr:g}{decay})",
        f"for step in range({config.steps}):  # full batch",
        "    loss = nn.functional.cross_entropy(net(X_train), y_train)",
        "    optimizer.zero_grad()",
        "    loss.backward()",
        "    optimizer.step()",
        "accuracy = (net(X_test).argmax(1) == y_test).float().mean()",
    ])
