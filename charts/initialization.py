"""Figures of initialization: per-layer histograms, symmetry, Glorot and He reproduced, vanishing gradients."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.style import COLORS, axis, figure
from engine.init_training import DeepRunsResult
from engine.initialization import SCHEMES, GlorotView, LayerSignal

ACTIVATION_COLORS = {"sigmoid": COLORS[2], "tanh": COLORS[0], "relu": COLORS[1]}


def layer_histogram_figure(signal: LayerSignal, kind: str = "activations") -> go.Figure:
    """One row per hidden layer: the share of its values in each bin, as a heatmap (layer 1 at the bottom)."""
    counts, edges = (signal.act_hist, signal.act_edges) if kind == "activations" else \
        (signal.grad_hist, signal.grad_edges)
    shares = counts / np.maximum(counts.sum(1, keepdims=True), 1)  # (depth, bins)
    centres = (edges[:-1] + edges[1:]) / 2
    trace = dict(type="heatmap", z=shares, x=centres, y=np.arange(1, len(counts) + 1), colorscale="Blues",
                 reversescale=True, zmin=0,
                 colorbar=dict(title=dict(text="share"), tickformat=".0%"),
                 hovertemplate="layer %{y}, value %{x:.3g}: %{z:.1%}<extra></extra>")
    what = "activations" if kind == "activations" else "gradients ∂L/∂h"
    return figure([trace], f"Each layer's {what} at initialization", height=360,
                  xaxis=axis("activation value" if kind == "activations" else "gradient value"),
                  yaxis=axis("hidden layer"))


def symmetry_figure(tracked: pd.DataFrame) -> go.Figure:
    """The first hidden layer's units: each one's two incoming weights during training."""
    traces = []
    for i, unit in enumerate(dict.fromkeys(tracked["unit"])):
        part = tracked[tracked["unit"] == unit]
        for column, dash in (("w_x1", "solid"), ("w_x2", "dot")):
            traces.append(dict(type="scatter", x=part["step"].to_numpy(), y=part[column].to_numpy(), mode="lines",
                               name=f"unit {int(unit)}: weight from x{column[-1]}", legendgroup=str(unit),
                               line=dict(color=COLORS[i % len(COLORS)], dash=dash, width=2)))
    return figure(traces, "First layer: four units' weights in training", height=460, legend="bottom",
                  xaxis=axis("step"), yaxis=axis("weight"))


def glorot_figure(view: GlorotView) -> go.Figure:
    """Per-layer std of activations (solid) and of back-propagated gradients (dotted), standard against Xavier."""
    layers = np.arange(1, view.depth + 1)
    traces = []
    for i, (scheme, signal) in enumerate(view.signals.items()):
        color, label = COLORS[i], SCHEMES[scheme].split(" ")[0]
        traces += [dict(type="scatter", x=layers, y=np.maximum(signal.activation_std, 1e-30), mode="lines+markers",
                        name=f"{label}: activations (spread {view.spread[scheme]:.3g}×)", line=dict(color=color)),
                   dict(type="scatter", x=layers, y=np.maximum(signal.gradient_std, 1e-30), mode="lines+markers",
                        name=f"{label}: back-propagated gradients", line=dict(color=color, dash="dot"))]
    return figure(traces, f"Glorot & Bengio (2010): a {view.depth}-layer tanh network, {view.width} units, inputs "
                  f"with std {view.input_std:g}", height=380, legend="right", xaxis=axis("hidden layer", dtick=1),
                  yaxis=axis("standard deviation (log)", type="log"))


def gradient_depth_figure(frame: pd.DataFrame, scheme: str) -> go.Figure:
    """‖∂L/∂W‖ per hidden layer at initialization, one line per activation; zeros cannot sit on a log axis."""
    traces = []
    for name, color in ACTIVATION_COLORS.items():
        values = frame[name].to_numpy(float)
        keep = values > 0
        traces.append(dict(type="scatter", x=frame["layer"].to_numpy()[keep], y=values[keep], mode="lines+markers",
                           name=name, line=dict(color=color, width=2)))
    return figure(traces, f"Gradient norm per layer at initialization ({SCHEMES[scheme]})", height=360,
                  xaxis=axis("hidden layer (1: next to the input)"), yaxis=axis("‖∂L/∂W‖ (log)", type="log",
                                                                                 exponentformat="power"))


def deep_runs_figure(history: pd.DataFrame, labels: dict[str, str]) -> go.Figure:
    """Test accuracy against step, one line per network; a live run's rows work too."""
    traces = []
    if not history.empty and "run" in history:
        for i, run in enumerate(dict.fromkeys(history["run"])):
            part = history[history["run"] == run].dropna(subset=["test_acc"])
            x = part["run_step"] if "run_step" in part else part["step"]
            traces.append(dict(type="scatter", x=x.to_numpy(), y=part["test_acc"].to_numpy(float), mode="lines",
                               name=labels.get(run, run), line=dict(color=COLORS[i % len(COLORS)], width=2)))
    return figure(traces, "Test accuracy during training (50%: a coin toss)", height=460, legend="bottom",
                  xaxis=axis("step"), yaxis=axis("test accuracy", tickformat=".0%", range=[0.3, 1.02]))


def deep_layers_figure(result: DeepRunsResult, column: str = "activation_std") -> go.Figure:
    """Per hidden layer at initialization: each network's activation spread (or weight-gradient norm)."""
    labels = {key: v.label for key, v in result.config.variants.items()}
    traces = []
    for i, run in enumerate(dict.fromkeys(result.layers["run"])):
        part = result.layers[result.layers["run"] == run]
        values = part[column].to_numpy(float)
        keep = values > 0
        traces.append(dict(type="scatter", x=part["layer"].to_numpy()[keep], y=values[keep], mode="lines+markers",
                           name=labels.get(run, run), line=dict(color=COLORS[i % len(COLORS)], width=2)))
    what = "std of each layer's outputs" if column == "activation_std" else "‖∂L/∂W‖ of each layer"
    return figure(traces, f"At initialization: the {what}", height=460, legend="bottom",
                  xaxis=axis("hidden layer (1: next to the input)"),
                  yaxis=axis(f"{what} (log)", type="log", exponentformat="power"))
