"""Figures of the recurrent page: gates over time, RNN against GRU against LSTM, gradients through time, clipping."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.style import COLORS, axis, figure
from engine.recurrent import KINDS, TRACE_LABELS, TRACE_NAMES
from engine.recurrent_demos import BiResult, CompareResult, ExplodeResult, FlowResult, GatesResult

KIND_COLORS = {"rnn": COLORS[1], "gru": COLORS[2], "lstm": COLORS[0]}
GATE_SCALE = "Viridis"  # values in (0, 1)
SIGNED_SCALE = "RdBu"  # values around 0
COLUMNS = 2  # heatmap panels per row


def _finite(values) -> np.ndarray:
    return np.nan_to_num(np.asarray(values, dtype=float), nan=0.0, posinf=0.0, neginf=0.0)


def training_figure(history: pd.DataFrame, score_name: str = "") -> go.Figure:
    """Batch loss and test loss against step; a live run passes the rows it has so far."""
    traces = []
    for i, (column, name) in enumerate((("batch_loss", "training batch loss"), ("test_loss", "test loss"))):
        if not history.empty and column in history:
            traces.append(dict(type="scatter", mode="lines", x=_finite(history["step"]), y=_finite(history[column]),
                               name=name, line=dict(color=COLORS[i])))
    loss = "cross-entropy" if score_name == "accuracy" else "mean squared error" if score_name else "loss"
    return figure(traces, "Loss", xaxis=axis("step"), yaxis=axis(loss, rangemode="tozero"))


def gates_figure(result: GatesResult) -> go.Figure:
    """One heatmap per gate and state over time (x) and hidden units (y), for the inspected sequence."""
    names = TRACE_NAMES[result.config.model]
    rows = -(-len(names) // COLUMNS)
    gap_x, gap_y = 0.08, 0.12
    width, height = (1 - gap_x * (COLUMNS - 1)) / COLUMNS, (1 - gap_y * (rows - 1)) / rows
    c_max = float(np.abs(_finite(result.trace.get("c", [1.0]))).max()) or 1.0
    traces, layout, annotations = [], {}, []
    steps = np.arange(1, len(result.steps_text) + 1)
    for k, name in enumerate(names):
        row, col = divmod(k, COLUMNS)
        suffix = "" if k == 0 else str(k + 1)
        x0 = col * (width + gap_x)
        y1 = 1 - row * (height + gap_y)
        values = _finite(result.trace[name]).T  # (H, T)
        gate = name in ("i", "f", "o", "r", "z")
        color = "coloraxis" if gate else "coloraxis3" if name == "c" else "coloraxis2"
        traces.append(dict(type="heatmap", x=steps, y=np.arange(1, values.shape[0] + 1), z=values, coloraxis=color,
                           xaxis=f"x{suffix}", yaxis=f"y{suffix}",
                           text=np.tile(result.steps_text, (values.shape[0], 1)),
                           hovertemplate="step %{x} (%{text})<br>unit %{y}<br>%{z:.3f}<extra></extra>"))
        layout[f"xaxis{suffix}"] = axis("step" if row == rows - 1 else "", domain=[x0, min(x0 + width, 1.0)],
                                        anchor=f"y{suffix}")
        layout[f"yaxis{suffix}"] = axis("unit", domain=[max(y1 - height, 0.0), min(y1, 1.0)], anchor=f"x{suffix}")
        annotations.append(dict(text=f"<b>{TRACE_LABELS[name]}</b>", x=x0, y=y1, xref="paper", yref="paper",
                                xanchor="left", yanchor="bottom", showarrow=False))
    bar = dict(thickness=10, len=0.3, x=1.01)
    layout |= dict(coloraxis=dict(colorscale=GATE_SCALE, cmin=0, cmax=1, colorbar=bar | dict(y=0.85, title="gate")),
                   coloraxis2=dict(colorscale=SIGNED_SCALE, cmin=-1, cmax=1, reversescale=True,
                                   colorbar=bar | dict(y=0.5, title="g, h")),
                   coloraxis3=dict(colorscale=SIGNED_SCALE, cmin=-c_max, cmax=c_max, reversescale=True,
                                   showscale="c" in names, colorbar=bar | dict(y=0.15, title="c")))
    title = f"Inside the {KINDS[result.config.model]}, step by step, on one test sequence"
    return figure(traces, title, height=240 * rows + 60, annotations=annotations, **layout)


def compare_figure(result: CompareResult) -> go.Figure:
    """The test score against sequence length T, one line per kind of network."""
    scores = result.scores
    traces = []
    for kind in KINDS:
        part = scores[scores["kind"] == kind].sort_values("length")
        if len(part):
            traces.append(dict(type="scatter", mode="lines+markers", x=part["length"].to_numpy(),
                               y=_finite(part["score"]), name=KINDS[kind], line=dict(color=KIND_COLORS[kind])))
    accuracy = result.score_name == "accuracy"
    yaxis = axis(result.score_name, tickformat=".0%", range=[0, 1.02]) if accuracy else \
        axis(result.score_name, rangemode="tozero")
    return figure(traces, "Test score against sequence length", xaxis=axis("sequence length T", type="log"),
                  yaxis=yaxis)


def flow_figure(result: FlowResult) -> go.Figure:
    """‖∂L/∂x_t‖ against t on a log scale: dashed at initialization, solid after training."""
    traces = []
    for kind in KINDS:
        for when, dash in (("at initialization", "dot"), ("after training", "solid")):
            part = result.norms[(result.norms["kind"] == kind) & (result.norms["when"] == when)]
            norms = _finite(part["norm"])
            keep = norms > 0  # a log axis cannot draw 0
            if keep.any():
                traces.append(dict(type="scatter", mode="lines", x=part["t"].to_numpy()[keep], y=norms[keep],
                                   name=f"{KINDS[kind]}, {when}", line=dict(color=KIND_COLORS[kind], dash=dash)))
    return figure(traces, "How much the last output depends on each earlier input", legend="right",
                  xaxis=axis("time step t of the input"),
                  yaxis=axis("‖∂L/∂xₜ‖ (log scale)", type="log", exponentformat="power"))


def explode_norms_figure(result: ExplodeResult) -> go.Figure:
    """The gradient norm before clipping against step, per run, on a log scale; the clipping threshold dotted."""
    traces = []
    for i, (run, part) in enumerate(result.history.groupby("run", sort=False)):
        norms = _finite(part["grad_norm"])
        keep = norms > 0
        traces.append(dict(type="scatter", mode="lines", x=part["run_step"].to_numpy()[keep], y=norms[keep],
                           name=str(run), line=dict(color=COLORS[i])))
    clip = result.config.clip
    shapes = [dict(type="line", x0=0, x1=1, xref="paper", y0=clip, y1=clip, line=dict(dash="dot", color="#444"))]
    return figure(traces, "Gradient norm (before clipping)", shapes=shapes, xaxis=axis("step"),
                  yaxis=axis("‖∇‖ (log scale)", type="log", exponentformat="power"))


def explode_loss_figure(result: ExplodeResult) -> go.Figure:
    """The test loss against step, per run, on a log scale (a run that blows up reaches huge values first)."""
    traces = []
    for i, (run, part) in enumerate(result.history.groupby("run", sort=False)):
        losses = _finite(part["test_loss"])
        keep = losses > 0
        traces.append(dict(type="scatter", mode="lines", x=part["run_step"].to_numpy()[keep], y=losses[keep],
                           name=str(run), line=dict(color=COLORS[i])))
    return figure(traces, "Test loss", xaxis=axis("step"),
                  yaxis=axis("mean squared error (log scale)", type="log", exponentformat="power"))


def bi_figure(result: BiResult) -> go.Figure:
    """The test score at each position of the sequence, one line per model."""
    traces = []
    for i, (run, part) in enumerate(result.per_step.groupby("run", sort=False)):
        traces.append(dict(type="scatter", mode="lines+markers", x=part["t"].to_numpy(), y=_finite(part["score"]),
                           name=str(run), line=dict(color=COLORS[i])))
    accuracy = result.score_name == "accuracy"
    yaxis = axis(result.score_name, tickformat=".0%", range=[0, 1.02]) if accuracy else axis(result.score_name)
    return figure(traces, "Test score at each position", xaxis=axis("position t"), yaxis=yaxis)
