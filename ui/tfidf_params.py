"""The TF-IDF page's parameters, each declared once, its task, and the configs built from them."""

from engine.text_classifier import MODELS, TINY_CLASSIFIER, ClassifierConfig, run_classifier
from engine.tfidf import IDF_KINDS, NORMS, QUERY_CHARS, TF_KINDS, TfidfConfig
from ui.params import Choice, Number, Text
from ui.topics import DemoTask

DOC_BOXES = 6  # document boxes on the page
DOC_CHARS = 1000  # characters one box holds
DEFAULT_DOCS = (
    "Deep learning trains neural networks on large data sets.",
    "A neural network learns its own features from raw data.",
    "TF-IDF weighs a word by how rare it is across the documents.",
    "Rare words get a high IDF, and common words like the get a low one.",
    "Search engines rank documents by their cosine similarity with the query.",
    "",
)
CORPORA = {"own": "the documents below", "lessons": "the app's lesson questions", "reviews": "the classifier's reviews"}
BASE_LABELS = {"e": "e (natural log, ln)", "10": "10", "2": "2"}
ON_OFF = ("off", "on")
LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
DECAYS = (0.0, 0.0001, 0.001, 0.01, 0.1)


def _g(v) -> str:
    return f"{v:g}"


PARAMS = {
    # The classic example
    "cl_count": Number("Times the term occurs in the document", 3, 0, 1000, integer=True, box=True),
    "cl_length": Number("Words in the document", 100, 1, 100_000, integer=True, box=True),
    "cl_docs": Number("Documents in the corpus, N", 10_000_000, 1, 1_000_000_000, integer=True, box=True),
    "cl_df": Number("Documents that contain the term, df", 1000, 1, 1_000_000_000, integer=True, box=True),
    "cl_base": Choice("Log base", "10", tuple(BASE_LABELS), display=BASE_LABELS.get),
    # Any corpus
    "corpus": Choice("Corpus", "own", tuple(CORPORA), display=CORPORA.get),
    **{f"doc{i}": Text(f"Document {i}", DEFAULT_DOCS[i - 1], DOC_CHARS, help=f"Up to {DOC_CHARS:,} characters; "
                       "a box left empty is not a document.", area=True) for i in range(1, DOC_BOXES + 1)},
    "tf": Choice("Term frequency (TF)", "raw", tuple(TF_KINDS), display=TF_KINDS.get),
    "idf": Choice("Inverse document frequency (IDF)", "smooth", tuple(IDF_KINDS), display=IDF_KINDS.get),
    "plus1": Choice("Add 1 to the IDF", "on", ON_OFF,
                    help="scikit-learn adds 1, so that a term found in every document keeps some weight."),
    "base": Choice("Log base of the IDF", "e", tuple(BASE_LABELS), display=BASE_LABELS.get),
    "norm": Choice("Row normalization", "l2", tuple(NORMS), display=NORMS.get),
    "stop": Choice("Drop English stop words", "off", ON_OFF),
    "ngrams": Number("Longest run of words per term (n-grams)", 1, 1, 3, integer=True),
    # Search
    "search": Text("Query", "neural networks learn from data", QUERY_CHARS),
    "ask": Text("An interview question, in your own words", "how does tf-idf weigh rare words", QUERY_CHARS),
    # Classification
    "cls_model": Choice("Model", "logistic", tuple(MODELS), display=MODELS.get),
    "cls_width": Number("Hidden units (MLP)", 16, 4, 64, integer=True, allowed=(4, 8, 16, 32, 64)),
    "cls_steps": Number("Steps", 200, 10, 2000, step=10, integer=True),
    "cls_lr": Number("Learning rate (Adam)", 0.1, 0.001, 1.0, allowed=LEARNING_RATES, display=_g),
    "cls_decay": Number("Weight decay", 0.0, 0.0, 0.1, allowed=DECAYS, display=_g),
    "cls_ngrams": Number("Terms: words (1) or words and word pairs (2)", 1, 1, 2, integer=True),
    "cls_stop": Choice("Drop English stop words (“not” is one)", "off", ON_OFF),
    "cls_seed": Number("Seed", 0, 0, 9999, integer=True, box=True),
    "cls_text": Text("Your own sentence", "The staff were friendly, but the room was not clean.", QUERY_CHARS),
}


def tfidf_config(values: dict) -> TfidfConfig:
    return TfidfConfig(tf=values["tf"], idf=values["idf"], add_one=values["plus1"] == "on", base=values["base"],
                       norm=values["norm"], stop_words=values["stop"] == "on", ngrams=values["ngrams"])


def classifier_config(values: dict) -> ClassifierConfig:
    return ClassifierConfig(model=values["cls_model"], width=values["cls_width"], steps=values["cls_steps"],
                            lr=values["cls_lr"], weight_decay=values["cls_decay"], ngrams=values["cls_ngrams"],
                            stop_words=values["cls_stop"] == "on", seed=int(values["cls_seed"]))


TASKS = (DemoTask(run_classifier, classifier_config, TINY_CLASSIFIER),)
