"""Shared look for every figure, and the one way figures are built."""

import plotly.graph_objects as go
import plotly.io as pio

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
TEMPLATE = pio.templates["plotly_white"].to_plotly_json()


def figure(traces: list[dict], title: str = "", height: int = 320, legend: str = "top", **layout) -> go.Figure:
    """A figure from plain trace and layout dicts, with the shared look.

    `legend`: "top" (one row above the plot), "right" (a column, for a line per layer) or
    "bottom" (below the x-axis title: for half-width figures, whose legend would wrap into the title).

    Plotly does not check the dicts as it builds the figure: checking costs about ten times
    the rest (20 ms a figure for the template alone), and the tests check every figure in full.
    Write axis titles as dict(text=...), and nested dicts rather than magic underscores.
    """
    top = dict(orientation="h", x=0, xanchor="left", y=1.0, yanchor="bottom")
    right = dict(orientation="v", x=1.02, xanchor="left", y=1, yanchor="top")  # for a line per layer
    bottom = dict(orientation="h", x=0, xanchor="left", y=-0.25, yanchor="top")
    base = dict(title=dict(text=title, x=0, xanchor="left", y=0.98, yanchor="top") if title else None,
                height=height, margin=dict(l=10, r=10, t=(70 if title else 30) if legend == "top" else 40, b=10),
                legend={"top": top, "right": right, "bottom": bottom}[legend], template=TEMPLATE)
    return go.Figure(data=traces, layout=base | layout, _validate=False)


def axis(title: str = "", **options) -> dict:
    """An axis with a title."""
    return dict(title=dict(text=title), **options) if title else options
