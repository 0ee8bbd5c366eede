"""Figures of a trained multilayer perceptron: decision boundary, activations, gradients, dead units."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.style import COLORS, figure, layout, legend_right
from engine.activation_demo import MLPDemoResult


def boundary_figure(result: MLPDemoResult, title: str = "Decision boundary") -> go.Figure:
    """Predicted class over the plane (shade = confidence), with train and test points."""
    b = result.boundary
    classes = int(max(result.y_train.max(initial=0), result.y_test.max(initial=0), b.predicted.max())) + 1
    fig = figure()
    # One colour per class, lighter where the network is unsure.
    shade = b.predicted + np.clip(b.confidence, 0, 1) * 0.999
    scale = []
    for c in range(classes):
        low, high = c / classes, (c + 1) / classes
        scale += [(low, _tint(COLORS[c], 0.15)), (high - 1e-6, _tint(COLORS[c], 0.55))]
    scale[-1] = (1.0, scale[-1][1])
    fig.add_trace(go.Heatmap(x=b.xs, y=b.ys, z=shade, zmin=0, zmax=classes, colorscale=scale, showscale=False,
                             hoverinfo="skip"))
    for split, X, y, symbol in (("train", result.X_train, result.y_train, "circle"),
                                ("test", result.X_test, result.y_test, "diamond-open")):
        fig.add_trace(go.Scatter(x=X[:, 0], y=X[:, 1], mode="markers", name=split, showlegend=True,
                                 marker=dict(color=[COLORS[c] for c in y], symbol=symbol, size=6,
                                             line=dict(width=1, color="white" if symbol == "circle" else None))))
    return layout(fig, title, height=380, xaxis=dict(scaleanchor="y", constrain="domain"),
                  yaxis=dict(constrain="domain"))


def _tint(hex_color: str, strength: float) -> str:
    """The colour mixed with white; strength 1 is the colour itself."""
    rgb = [int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(255 - (255 - v) * strength) for v in rgb]
    return f"rgb({mixed[0]},{mixed[1]},{mixed[2]})"


def histogram_figure(result: MLPDemoResult) -> go.Figure:
    """How each hidden layer's outputs are distributed over the training points."""
    fig = figure()
    for i, layer in enumerate(result.layers):
        centres = (layer.bin_edges[:-1] + layer.bin_edges[1:]) / 2
        total = max(layer.counts.sum(), 1)
        fig.add_trace(go.Scatter(x=centres, y=layer.counts / total, name=layer.name, mode="lines",
                                 line=dict(color=COLORS[i % len(COLORS)], shape="hvh")))
    return legend_right(layout(fig, "Activation values per hidden layer", xaxis_title="output value",
                               yaxis_title="share of outputs"))


def _per_layer(history: pd.DataFrame, prefix: str) -> list[str]:
    return sorted((c for c in history.columns if c.startswith(prefix)), key=lambda c: int(c[len(prefix):]))


def gradient_figure(history: pd.DataFrame) -> go.Figure:
    """Each hidden layer's weight-gradient norm over training, on a log scale."""
    fig = figure()
    for i, column in enumerate(_per_layer(history, "grad_L")):
        values = history[column].where(history[column] > 0)  # log axes cannot show 0
        fig.add_trace(go.Scatter(x=history["step"], y=values, name=f"layer {column[6:]}",
                                 line=dict(color=COLORS[i % len(COLORS)])))
    return legend_right(layout(fig, "Gradient norm per layer", xaxis_title="step",
                               yaxis=dict(type="log", dtick=1, exponentformat="power", title="‖∂loss/∂W‖ (log)")))


def dead_units_figure(history: pd.DataFrame) -> go.Figure:
    """The share of units that output 0 for every training point, per layer, over training."""
    fig = figure()
    for i, column in enumerate(_per_layer(history, "dead_L")):
        fig.add_trace(go.Scatter(x=history["step"], y=history[column], name=f"layer {column[6:]}",
                                 line=dict(color=COLORS[i % len(COLORS)])))
    return legend_right(layout(fig, "Dead units per layer", xaxis_title="step", yaxis_tickformat=".0%",
                               yaxis_range=[0, 1.02]))
