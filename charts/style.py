"""Shared look for every figure."""

import plotly.graph_objects as go
import plotly.io as pio

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")
TEMPLATE = pio.templates["plotly_white"]


def figure(data=None) -> go.Figure:
    """An empty figure whose layout is not re-validated on every update.

    Checking the plotly_white template alone costs about 20 ms a figure, ten times the rest;
    the traces are still checked as they are built, and the tests validate whole figures.
    """
    return go.Figure(data, _validate=False)


def layout(fig: go.Figure, title: str = "", height: int = 320, **axes) -> go.Figure:
    """A compact layout with the legend on top."""
    fig.update_layout(title=dict(text=title, x=0, xanchor="left", y=0.98, yanchor="top") if title else None,
                      height=height, margin=dict(l=10, r=10, t=70 if title else 30, b=10),
                      legend=dict(orientation="h", x=0, xanchor="left", y=1.0, yanchor="bottom"),
                      template=TEMPLATE, **axes)
    return fig


def legend_right(fig: go.Figure) -> go.Figure:
    """A vertical legend beside the plot, for charts with a line per layer."""
    fig.update_layout(legend=dict(orientation="v", x=1.02, xanchor="left", y=1, yanchor="top"),
                      margin=dict(t=40))
    return fig
