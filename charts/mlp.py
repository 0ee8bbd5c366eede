"""Figures of a trained multilayer perceptron: decision boundary, activations, gradients, dead units."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.style import COLORS, axis, figure
from engine.activation_demo import MLPDemoResult


def boundary_figure(result: MLPDemoResult, title: str = "Decision boundary") -> go.Figure:
    """Predicted class over the plane (shade = confidence), with train and test points."""
    b = result.boundary
    classes = int(max(result.y_train.max(initial=0), result.y_test.max(initial=0), b.predicted.max())) + 1
    # One colour per class, lighter where the network is unsure.
    shade = b.predicted + np.clip(b.confidence, 0, 1) * 0.999
    scale = []
    for c in range(classes):
        low, high = c / classes, (c + 1) / classes
        scale += [(low, _tint(COLORS[c], 0.15)), (high - 1e-6, _tint(COLORS[c], 0.55))]
    scale[-1] = (1.0, scale[-1][1])
    traces = [dict(type="heatmap", x=b.xs, y=b.ys, z=shade, zmin=0, zmax=classes, colorscale=scale,
                   showscale=False, hoverinfo="skip")]
    for split, X, y, symbol in (("train", result.X_train, result.y_train, "circle"),
                                ("test", result.X_test, result.y_test, "diamond-open")):
        edge = dict(width=1, color="white") if symbol == "circle" else dict(width=1)
        traces.append(dict(type="scatter", x=X[:, 0], y=X[:, 1], mode="markers", name=split, showlegend=True,
                           marker=dict(color=[COLORS[c] for c in y], symbol=symbol, size=6, line=edge)))
    return figure(traces, title, height=380, xaxis=dict(scaleanchor="y", constrain="domain"),
                  yaxis=dict(constrain="domain"))


def _tint(hex_color: str, strength: float) -> str:
    """The colour mixed with white; strength 1 is the colour itself."""
    rgb = [int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(255 - (255 - v) * strength) for v in rgb]
    return f"rgb({mixed[0]},{mixed[1]},{mixed[2]})"


def histogram_figure(result: MLPDemoResult) -> go.Figure:
    """How each hidden layer's outputs are distributed over the training points."""
    traces = []
    for i, layer in enumerate(result.layers):
        centres = (layer.bin_edges[:-1] + layer.bin_edges[1:]) / 2
        traces.append(dict(type="scatter", x=centres, y=layer.counts / max(layer.counts.sum(), 1), name=layer.name,
                           mode="lines", line=dict(color=COLORS[i % len(COLORS)], shape="hvh")))
    return figure(traces, "Activation values per hidden layer", legend="right", xaxis=axis("output value"),
                  yaxis=axis("share of outputs"))


def _per_layer(history: pd.DataFrame, prefix: str) -> list[str]:
    return sorted((c for c in history.columns if c.startswith(prefix)), key=lambda c: int(c[len(prefix):]))


def _layer_lines(history: pd.DataFrame, prefix: str, positive: bool = False) -> list[dict]:
    """One line per layer from the history's `prefix`N columns; `positive` drops zeros (for log axes)."""
    lines = []
    for i, column in enumerate(_per_layer(history, prefix)):
        values = history[column].where(history[column] > 0) if positive else history[column]
        lines.append(dict(type="scatter", x=history["step"].to_numpy(), y=values.to_numpy(),
                          name=f"layer {column[len(prefix):]}", line=dict(color=COLORS[i % len(COLORS)])))
    return lines


def gradient_figure(history: pd.DataFrame) -> go.Figure:
    """Each hidden layer's weight-gradient norm over training, on a log scale."""
    return figure(_layer_lines(history, "grad_L", positive=True), "Gradient norm per layer", legend="right",
                  xaxis=axis("step"), yaxis=axis("‖∂loss/∂W‖ (log)", type="log", dtick=1, exponentformat="power"))


def dead_units_figure(history: pd.DataFrame) -> go.Figure:
    """The share of units that output 0 for every training point, per layer, over training."""
    return figure(_layer_lines(history, "dead_L"), "Dead units per layer", legend="right", xaxis=axis("step"),
                  yaxis=axis(tickformat=".0%", range=[0, 1.02]))
