import streamlit as st

from ui.topics import BY_SLUG

TOPIC = BY_SLUG["tf-idf"]
st.title(TOPIC.title)
st.write(
    "TF-IDF turns text into numbers: a word weighs more the more often it occurs in a document (term frequency) "
    "and the fewer documents it occurs in (inverse document frequency). Compute it step by step on text you choose, "
    "search with it, train a classifier on it, and see where counting words stops working."
)

# On a fresh server these imports load torch (seconds); the browser draws the title meanwhile.
from ui import tfidf_views as views  # noqa: E402
from ui.job_panel import start_workers, training_section  # noqa: E402
from ui.lesson_view import lesson_links  # noqa: E402
from ui.page_state import PageState  # noqa: E402

CLASSIFIER, = TOPIC.tasks
state = PageState("tf_", TOPIC.params)
for note in state.start():
    st.warning(note)

st.header("The classic example")
st.write("A term occurs 3 times in a 100-word document, and 1,000 of 10,000,000 documents contain it. Change any "
         "number.")


@st.fragment
def classic() -> None:
    views.classic_view(state)
    state.sync()


classic()

st.header("Any corpus, step by step")
st.write("Counts, then term frequency, then document frequency and IDF, then their product, then each row scaled "
         "to unit length. Switch the variants and watch every table change.")


@st.fragment
def steps() -> None:
    views.corpus_controls(state)
    views.variant_controls(state)
    state.sync()
    model = views.fitted(state)
    if model is None:
        return
    views.corpus_view(model)
    views.term_view(state, model)
    st.subheader("Search this corpus")
    st.write("The query becomes a TF-IDF vector over the corpus's vocabulary; documents rank by the cosine of the "
             "angle between their vector and the query's. Words the corpus never uses cannot match anything.")
    views.search_view(state, model)
    state.sync()


steps()

st.header("Search the lessons")
st.write("Every lesson question of this app is searched by TF-IDF cosine similarity: its question and short answer "
         "weigh most, then the rest of its answer and its lesson, with words reduced to their stems. Ask an interview "
         "question in your own words to find the lesson that answers it.")


@st.fragment
def ask() -> None:
    views.lesson_search_view(state)
    state.sync()


ask()

st.header("TF-IDF features for a classifier")
st.write("200 short reviews, half positive and half negative, written for this app (none are downloaded). The "
         "vocabulary and IDF come from the training reviews; a logistic regression or a small MLP in PyTorch "
         "learns from their TF-IDF rows, and is tested on 50 reviews it never saw.")
training_section(state, "tf_classify", CLASSIFIER, views.classifier_controls, views.classifier_result,
                 views.classifier_live, autostart=True)

lesson_links(TOPIC.slug)
start_workers()
