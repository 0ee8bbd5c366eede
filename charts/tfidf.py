"""Figures of the TF-IDF page: a matrix as a heatmap, IDF against document frequency, a query's ranking, and
the terms a classifier leans on."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.style import COLORS, axis, figure
from engine.tfidf import Ranking, TfidfConfig, idf_formula, idf_values

MAX_DOCS = 25  # rows a heatmap shows
MAX_TERMS = 30  # columns a heatmap shows
MAX_RANKED = 10  # documents the ranking chart shows


def heatmap_figure(frame: pd.DataFrame, title: str) -> go.Figure:
    """A documents × terms table as a heatmap; a big one shows its first documents and its heaviest terms."""
    shown = frame.iloc[:MAX_DOCS]
    if shown.shape[1] > MAX_TERMS:
        heaviest = np.argsort(-shown.to_numpy().max(0), kind="stable")[:MAX_TERMS]
        shown = shown.iloc[:, np.sort(heaviest)]
    cut = [f"the first {len(shown)} of {len(frame)} documents"] if len(shown) < len(frame) else []
    cut += [f"the {shown.shape[1]} heaviest of {frame.shape[1]} terms"] if shown.shape[1] < frame.shape[1] else []
    if cut:
        title += f" ({', '.join(cut)})"
    z = shown.to_numpy(dtype=float)
    small = z.size <= 300  # numbers on the cells while they still fit
    trace = dict(type="heatmap", z=z, x=list(shown.columns), y=list(shown.index), colorscale="Blues",
                 hovertemplate="%{y}, “%{x}”: %{z:.4g}<extra></extra>", colorbar=dict(thickness=12),
                 texttemplate="%{z:.2f}" if small else None)
    height = max(220, 60 + 26 * len(shown))
    return figure([trace], title, height, xaxis=axis(tickangle=-45), yaxis=axis(autorange="reversed"))


def idf_curves_figure(n_docs: int, config: TfidfConfig) -> go.Figure:
    """IDF against document frequency for a corpus of n_docs: plain, smoothed, each with and without the +1."""
    df = np.arange(1, max(n_docs, 1) + 1)
    variants = [TfidfConfig(idf=idf, add_one=add_one, base=config.base) for idf in ("plain", "smooth")
                for add_one in (False, True)]
    traces = [dict(type="scatter", x=df, y=idf_values(df, n_docs, v), name=idf_formula(v), mode="lines+markers",
                   line=dict(color=COLORS[i], dash="solid" if v.idf == config.idf and v.add_one == config.add_one
                             else "dot"), marker=dict(size=5)) for i, v in enumerate(variants)]
    return figure(traces, f"IDF against document frequency, N = {n_docs}", 340, legend="bottom",
                  xaxis=axis("df: documents that contain the term"), yaxis=axis("IDF", rangemode="tozero"))


def ranking_figure(ranking: Ranking) -> go.Figure:
    """Each document's cosine similarity with the query, split into the shares of the terms they share."""
    best = [i for i in ranking.order[:MAX_RANKED] if ranking.scores[i] > 0]
    docs = [f"doc {i + 1}" for i in best]
    shares = ranking.contributions[ranking.contributions["document"].isin(docs)]
    traces = []
    for k, term in enumerate(dict.fromkeys(shares["term"])):
        part = shares[shares["term"] == term].set_index("document")["contribution"]
        traces.append(dict(type="bar", orientation="h", y=docs, x=[float(part.get(d, 0.0)) for d in docs],
                           name=term, marker=dict(color=COLORS[k % len(COLORS)]),
                           hovertemplate="%{y}: “" + term + "” adds %{x:.3f}<extra></extra>"))
    return figure(traces, "Cosine similarity with the query, term by term", max(220, 80 + 30 * len(docs)),
                  barmode="stack", xaxis=axis("cosine similarity", range=[0, 1]),
                  yaxis=axis(autorange="reversed"))


def top_terms_figure(top: pd.DataFrame) -> go.Figure:
    """The terms that push hardest towards each class: their change in log-odds of "positive"."""
    traces = []
    for k, label in enumerate(("positive", "negative")):
        part = top[top["class"] == label]
        traces.append(dict(type="bar", orientation="h", y=part["term"].tolist(), x=part["score"].to_numpy(),
                           name=f"towards {label}", marker=dict(color=COLORS[k]),
                           hovertemplate="“%{y}”: %{x:+.2f}<extra></extra>"))
    return figure(traces, "The most informative terms", max(300, 60 + 16 * len(top)),
                  xaxis=axis("change in log-odds of positive, from the term alone"),
                  yaxis=axis(autorange="reversed", dtick=1))
