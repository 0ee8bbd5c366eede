"""Drawing the TF-IDF page: the classic example, a corpus step by step, search, and the classifier's results.

Text a learner typed is shown inert: in tables, code blocks or st.text, never as Markdown.
"""

from functools import lru_cache

import numpy as np
import pandas as pd
import streamlit as st

from charts import tfidf as charts
from charts.training import accuracy_figure, loss_figure
from engine import lesson_search, tfidf
from engine import text_classifier as tc
from jobs import Job
from lessons import load_all
from ui.figures import chart
from ui.page_state import PageState
from ui.section_views import result_key, say, show_code, table, widget_row
from ui.tfidf_params import DOC_BOXES, DOC_CHARS, tfidf_config

# The classic example


def classic_view(state: PageState) -> None:
    widget_row(state, "cl_count", "cl_length", "cl_docs", "cl_df", "cl_base")
    v = state.values()
    try:
        result = tfidf.classic(v["cl_count"], v["cl_length"], v["cl_docs"], v["cl_df"], v["cl_base"])
    except ValueError as problem:
        st.warning(str(problem))
        return
    log = {"e": r"\ln", "10": r"\log_{10}", "2": r"\log_2"}[v["cl_base"]]
    cols = st.columns(3)
    cols[0].metric("TF", f"{result.tf:.6g}")
    cols[1].metric("IDF", f"{result.idf:.6g}")
    cols[2].metric("TF-IDF", f"{result.tfidf:.6g}")
    n = {name: f"{v[name]:,}".replace(",", "{,}") for name in ("cl_count", "cl_length", "cl_docs", "cl_df")}
    st.latex(rf"\mathrm{{TF}} = \frac{{{n['cl_count']}}}{{{n['cl_length']}}} = {result.tf:.6g},\quad "
             rf"\mathrm{{IDF}} = {log}\frac{{{n['cl_docs']}}}{{{n['cl_df']}}} = {result.idf:.6g},\quad "
             rf"\mathrm{{TF\text{{-}}IDF}} = {result.tf:.6g} \times {result.idf:.6g} = {result.tfidf:.6g}")


# A corpus, step by step


def corpus(state: PageState) -> list[str]:
    """The documents of the chosen corpus: the boxes that are not blank, the lesson questions, or the reviews."""
    values = state.values()
    if values["corpus"] == "lessons":
        return [d.text for d in lesson_search.documents()]
    if values["corpus"] == "reviews":
        return tc.reviews()["text"].tolist()
    return [values[f"doc{i}"] for i in range(1, DOC_BOXES + 1) if values[f"doc{i}"].strip()]


def corpus_controls(state: PageState) -> None:
    state.widget("corpus")
    if state.values()["corpus"] == "own":
        st.caption(f"Each box holds up to {DOC_CHARS:,} characters; a box left empty is not a document, and the "
                   "documents are numbered in order without it. Emoji, "
                   "punctuation and any language are welcome.")
        cols = st.columns(2)
        for i in range(1, DOC_BOXES + 1):
            state.widget(f"doc{i}", cols[(i - 1) % 2])


def variant_controls(state: PageState) -> None:
    cols = st.columns(2)
    cols[0].button("scikit-learn's defaults", key="tf_use_sklearn", on_click=_use, args=(state, tfidf.SKLEARN),
                   help="TfidfVectorizer(): raw counts, smoothed IDF + 1 with ln, L2 rows.")
    cols[1].button("The textbook setting", key="tf_use_textbook", on_click=_use, args=(state, tfidf.TEXTBOOK),
                   help="Count ÷ document length, log₁₀(N / df), no normalization: the classic example's.")
    widget_row(state, "tf", "idf", "plus1", "base")
    widget_row(state, "norm", "stop", "ngrams")


def _use(state: PageState, config: tfidf.TfidfConfig) -> None:
    state.set(tf=config.tf, idf=config.idf, plus1="on" if config.add_one else "off", base=config.base,
              norm=config.norm, stop="on" if config.stop_words else "off", ngrams=config.ngrams)


def fitted(state: PageState) -> tfidf.Tfidf | None:
    """The corpus's TF-IDF under the page's settings, or None after saying why it cannot be computed."""
    try:
        return _fit(tuple(corpus(state)), tfidf_config(state.values()))
    except ValueError as problem:
        st.warning(str(problem))
        return None


@lru_cache(maxsize=8)  # shared by every session; the reviews' model is a few MB
def _fit(docs: tuple[str, ...], config: tfidf.TfidfConfig) -> tfidf.Tfidf:
    return tfidf.fit(list(docs), config, lesson_search.LIMITS if len(docs) > tfidf.LIMITS.docs else tfidf.LIMITS)


def corpus_view(model: tfidf.Tfidf) -> None:
    for note in model.notes:
        st.info(note)
    config = model.config
    st.caption(f"{model.n_docs:,} documents, {len(model.terms):,} distinct terms. TF: {tfidf.TF_KINDS[config.tf]}; "
               f"{tfidf.idf_formula(config)}; rows normalized: {tfidf.NORMS[config.norm]}.")
    key = (tuple(model.docs), config)
    steps = {"TF-IDF matrix": model.matrix, "Counts": model.counts, "TF": model.tf, "TF × IDF, before "
             "normalization": model.weights}
    for i, (tab, (name, values)) in enumerate(zip(st.tabs(list(steps)), steps.items(), strict=True)):
        with tab:
            frame = model.frame(values)
            chart(("tf_heat", name, key), lambda f=frame, n=name: charts.heatmap_figure(f, n), f"fig_tf_heat_{i}")
            st.dataframe(frame.round(4))
    idf_table = pd.DataFrame({"term": model.terms, "df": model.df, "IDF": model.idf}).sort_values("IDF")
    with st.expander("Document frequency and IDF of every term"):
        chart(("tf_idf_curves", model.n_docs, config), lambda: charts.idf_curves_figure(model.n_docs, config),
              "fig_tf_idf_curves")
        st.dataframe(idf_table.round(4), hide_index=True)
    with st.expander("The documents, as the tokenizer sees them"):
        st.dataframe(pd.DataFrame({"document": model.docs, "terms": [" · ".join(tfidf.tokenize(d, config))
                                                                     for d in model.docs]},
                                  index=tfidf.doc_labels(model.n_docs)))
    sklearn_check(model)
    show_code(tfidf.code(config))


def term_view(state: PageState, model: tfidf.Tfidf) -> None:
    heaviest = model.terms[int(np.argmax(model.matrix.max(0)))]
    term = st.selectbox("Explain a term", model.terms, index=model.terms.index(heaviest), key="tf_pick")
    sentence, numbers = tfidf.explain_term(model, term)
    st.text(sentence)
    st.dataframe(numbers.round(4), hide_index=True)


def sklearn_check(model: tfidf.Tfidf) -> None:
    kwargs = tfidf.sklearn_kwargs(model.config)
    if kwargs is None:
        st.caption("scikit-learn's TfidfVectorizer has no setting for this variant.")
        return
    from sklearn.feature_extraction.text import TfidfVectorizer

    reference = TfidfVectorizer(**kwargs).fit_transform(model.docs).toarray()
    st.caption(f"Checked against scikit-learn: TfidfVectorizer with these settings gives the same matrix, the "
               f"largest difference being {np.abs(reference - model.matrix).max():.1g}.")


# Search


def search_view(state: PageState, model: tfidf.Tfidf) -> None:
    query = state.widget("search")
    ranking = tfidf.rank(model, query)
    st.caption(ranking.message)
    if ranking.unknown:
        st.text("Terms the corpus never uses, which match nothing (there is no stemming: “learn” and “learns” are "
                "different terms): " + ", ".join(ranking.unknown))
    if not ranking.contributions.empty:
        chart(("tf_rank", tuple(model.docs), model.config, query), lambda: charts.ranking_figure(ranking),
              "fig_tf_rank")
        st.dataframe(ranking.contributions.round(4), hide_index=True)


def lesson_search_view(state: PageState) -> None:
    from ui.navigation import lesson_page

    query = state.widget("ask")
    hits = lesson_search.search(query, k=3)
    if not hits:
        st.caption("No lesson question shares a word with this one (common words such as “what” and “is” do not "
                   "count). Try other words.")
    lessons = {lesson.id: lesson for lesson in load_all()}
    for hit in hits:
        st.page_link(lesson_page(lessons[hit.lesson_id]), label=f"{hit.question} ({hit.lesson_title})",
                     icon=":material/school:")
        st.caption(f"Score {hit.score:.2f} (weighted cosine similarity), through: {', '.join(hit.terms[:6])}")


# Classification


def classifier_controls(state: PageState) -> None:
    widget_row(state, "cls_model", "cls_width", "cls_steps", "cls_lr")
    widget_row(state, "cls_decay", "cls_ngrams", "cls_stop", "cls_seed")
    state.widget("cls_text")


def classifier_live(rows: pd.DataFrame):
    return loss_figure(rows, "Loss so far")


def classifier_result(job: Job) -> None:
    result = job.result
    say(result)
    cols = st.columns(3)
    cols[0].metric("Training accuracy", f"{result.train_acc:.0%}")
    cols[1].metric("Test accuracy", f"{result.test_acc:.0%}")
    cols[2].metric("Vocabulary", f"{len(result.terms):,} terms")
    cols = st.columns(2)
    chart(result_key(job, "loss"), lambda: loss_figure(result.history), "fig_tf_cls_loss", cols[0])
    chart(result_key(job, "acc"), lambda: accuracy_figure(result.history), "fig_tf_cls_acc", cols[1])
    if not result.top_terms.empty:
        chart(result_key(job, "top"), lambda: charts.top_terms_figure(result.top_terms), "fig_tf_cls_top")
        own = st.session_state.get("tf_cls_text", "")
        if own.strip():
            st.text(f"Your own sentence: P(positive) = {tc.predict(result, [own])[0]:.2f}")
        st.subheader("Where a bag of words breaks")
        st.dataframe(result.failures.round(2), hide_index=True)
        for shows, text in tc.LIMITS_OF_BAG_OF_WORDS.items():
            st.markdown(f"**{shows.capitalize()}.** {text}")
        with st.expander(f"Test reviews the model gets wrong ({len(result.mistakes)})"):
            st.dataframe(table(result.mistakes, {"text": "review", "label": "label", "P(positive)": "P(positive)"}),
                         hide_index=True)
    st.caption(f"{result.n_train} training and {result.n_test} test reviews. Trained on {result.device}.")
    show_code(result.code)
