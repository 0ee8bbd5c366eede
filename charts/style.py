"""Shared look for every figure."""

import plotly.graph_objects as go

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


def layout(fig: go.Figure, title: str = "", height: int = 320, **axes) -> go.Figure:
    """A compact layout with the legend on top."""
    fig.update_layout(title=dict(text=title, x=0, xanchor="left") if title else None, height=height,
                      margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      legend=dict(orientation="h", y=-0.18, yanchor="top", x=0), template="plotly_white", **axes)
    return fig
