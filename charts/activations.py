"""Figures for activation functions and softmax."""

import numpy as np
import plotly.graph_objects as go

from charts.style import COLORS, figure, layout
from engine.activations import SATURATION_GRAD, Curve


def curve_figure(curve: Curve, label: str) -> go.Figure:
    """f(x) and f'(x) on one chart, saturated stretches shaded."""
    fig = figure()
    for low, high in curve.saturated:
        fig.add_vrect(x0=low, x1=high, fillcolor="#f2c14e", opacity=0.18, line_width=0, layer="below")
    fig.add_trace(go.Scatter(x=curve.x, y=curve.y, name=f"{label}  f(x)", line=dict(color=COLORS[0], width=3)))
    fig.add_trace(go.Scatter(x=curve.x, y=curve.dy, name="f′(x)", line=dict(color=COLORS[1], dash="dash")))
    if curve.saturated:  # a legend entry for the shading
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=f"saturated: |f′| < {SATURATION_GRAD:g}",
                                 marker=dict(symbol="square", size=12, color="#f2c14e", opacity=0.5)))
    low, high = _y_range(curve)
    return layout(fig, height=300, xaxis_title="x", yaxis_range=[low, high])


def _y_range(curve: Curve) -> tuple[float, float]:
    values = np.concatenate([curve.y, curve.dy])
    low, high = float(values.min()), float(values.max())
    pad = 0.1 * max(high - low, 1.0)
    return low - pad, high + pad


def softmax_figure(labels: list[str], probs: np.ndarray, temperature: float) -> go.Figure:
    """The probabilities softmax gives each entry of the vector."""
    fig = figure(go.Bar(x=labels, y=probs, text=[f"{p:.3f}" for p in probs], textposition="outside",
                           marker_color=COLORS[0]))
    return layout(fig, f"softmax(z / T), T = {temperature:g}", height=300, yaxis_range=[0, 1.15],
                  yaxis_title="probability", xaxis_title="entry (logit)")
