"""Figures for activation functions and softmax."""

import numpy as np
import plotly.graph_objects as go

from charts.style import COLORS, axis, figure
from engine.activations import SATURATION_GRAD, Curve

SATURATED = "#f2c14e"


def curve_figure(curve: Curve, label: str) -> go.Figure:
    """f(x) and f'(x) on one chart, saturated stretches shaded."""
    shading = [dict(type="rect", xref="x", yref="paper", x0=low, x1=high, y0=0, y1=1, fillcolor=SATURATED,
                    opacity=0.18, line=dict(width=0), layer="below") for low, high in curve.saturated]
    traces = [dict(type="scatter", x=curve.x, y=curve.y, name=f"{label}  f(x)", line=dict(color=COLORS[0], width=3)),
              dict(type="scatter", x=curve.x, y=curve.dy, name="f′(x)", line=dict(color=COLORS[1], dash="dash"))]
    if curve.saturated:  # a legend entry for the shading
        traces.append(dict(type="scatter", x=[None], y=[None], mode="markers",
                           name=f"saturated: |f′| < {SATURATION_GRAD:g}",
                           marker=dict(symbol="square", size=12, color=SATURATED, opacity=0.5)))
    return figure(traces, height=300, shapes=shading, xaxis=axis("x"), yaxis=axis(range=list(_y_range(curve))))


def _y_range(curve: Curve) -> tuple[float, float]:
    values = np.concatenate([curve.y, curve.dy])
    low, high = float(values.min()), float(values.max())
    pad = 0.1 * max(high - low, 1.0)
    return low - pad, high + pad


def softmax_figure(labels: list[str], probs: np.ndarray, temperature: float) -> go.Figure:
    """The probabilities softmax gives each entry of the vector."""
    bars = dict(type="bar", x=labels, y=probs, text=[f"{p:.3f}" for p in probs], textposition="outside",
                marker=dict(color=COLORS[0]))
    return figure([bars], f"softmax(z / T), T = {temperature:g}", height=300,
                  yaxis=axis("probability", range=[0, 1.15]), xaxis=axis("entry (logit)"))
