"""The TF-IDF page's figures: what each draws, finite numbers only, and Plotly's full validation."""

import numpy as np
import plotly.graph_objects as go
import pytest

from charts.tfidf import MAX_TERMS, heatmap_figure, idf_curves_figure, ranking_figure, top_terms_figure
from engine import tfidf
from engine.text_classifier import ClassifierConfig, run_classifier

DOCS = ["The cat sat on the mat.", "The dog sat on the log.", "Cats and dogs!", "..."]


def assert_plots_only_finite_numbers(fig: go.Figure) -> None:
    """Every numeric x, y and z of every trace is finite (term and document names are the other axis)."""
    for trace in fig.data:
        for name in ("x", "y", "z"):
            values = trace.to_plotly_json().get(name)
            if values is not None and not isinstance(np.asarray(values).flat[0], str):
                assert np.isfinite(np.asarray(values, dtype=float)).all(), (fig.layout.title.text, name)


@pytest.fixture(scope="module")
def model():
    return tfidf.fit(DOCS)


@pytest.fixture(scope="module")
def classifier():
    return run_classifier(ClassifierConfig(steps=20))


def test_the_heatmap_draws_the_matrix_cell_for_cell(model):
    fig = heatmap_figure(model.frame(model.matrix), "TF-IDF")
    heat, = fig.data
    np.testing.assert_allclose(np.asarray(heat.z), model.matrix)
    assert list(heat.x) == model.terms and list(heat.y) == ["doc 1", "doc 2", "doc 3", "doc 4"]
    assert fig.layout.title.text == "TF-IDF"


def test_a_big_matrix_shows_its_heaviest_terms_and_says_so():
    docs = [" ".join(f"w{i}x{j}" for j in range(i + 1)) for i in range(40)]
    big = tfidf.fit(docs)
    fig = heatmap_figure(big.frame(big.matrix), "TF-IDF")
    z = np.asarray(fig.data[0].z)
    assert z.shape == (25, MAX_TERMS)
    assert "the first 25 of 40 documents, the 30 heaviest of 820 terms" in fig.layout.title.text
    wide = tfidf.fit([" ".join(f"w{j}" for j in range(40))])
    assert heatmap_figure(wide.frame(wide.matrix), "TF").layout.title.text == "TF (the 30 heaviest of 40 terms)"


def test_the_idf_curves_fall_with_document_frequency_and_mark_the_chosen_variant():
    fig = idf_curves_figure(10, tfidf.SKLEARN)
    assert [t.name for t in fig.data] == ["IDF = ln(N / df)", "IDF = ln(N / df) + 1", "IDF = ln((1 + N) / (1 + df))",
                                          "IDF = ln((1 + N) / (1 + df)) + 1"]
    plain = np.asarray(fig.data[0].y)
    assert plain[0] == pytest.approx(np.log(10)) and plain[-1] == 0 and (np.diff(plain) < 0).all()
    assert [t.line.dash for t in fig.data] == ["dot", "dot", "dot", "solid"]


def test_the_ranking_chart_stacks_each_terms_share_up_to_the_cosine(model):
    ranking = tfidf.rank(model, "cat on a log")
    fig = ranking_figure(ranking)
    totals = np.sum([np.asarray(t.x) for t in fig.data], axis=0)
    shown = [int(d.split()[1]) - 1 for d in fig.data[0].y]
    np.testing.assert_allclose(totals, ranking.scores[shown])
    assert shown == [i for i in ranking.order if ranking.scores[i] > 0]
    assert ranking_figure(tfidf.rank(model, "zebra")).data == ()


def test_the_top_terms_chart_has_one_bar_per_term_and_class(classifier):
    fig = top_terms_figure(classifier.top_terms)
    positive, negative = fig.data
    assert len(positive.y) == len(negative.y) == 12
    assert (np.asarray(positive.x) > 0).all() and (np.asarray(negative.x) < 0).all()


def test_every_figure_passes_plotlys_full_validation_and_plots_only_finite_numbers(model, classifier):
    figures = [heatmap_figure(model.frame(model.counts), "Counts"), idf_curves_figure(1, tfidf.TEXTBOOK),
               idf_curves_figure(200, tfidf.SKLEARN), ranking_figure(tfidf.rank(model, "the cat")),
               top_terms_figure(classifier.top_terms)]
    for fig in figures:
        checked = go.Figure(fig.to_dict())  # raises on any invalid property
        assert checked.layout.template.layout.plot_bgcolor == "white"
        assert_plots_only_finite_numbers(fig)
