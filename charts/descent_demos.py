"""Figures of the gradient-descent variants: batch sizes, input normalization, schedules, every optimizer.

Each function that draws runs over time takes a long frame (one row per measurement, a column naming the run),
so the same function draws a finished result's history and a running job's progress rows.
"""

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.style import COLORS, axis, figure
from engine.descent_demos import RUNS, SCHEDULES, NormalizationResult
from engine.trainer import OPTIMIZERS

RUN_COLORS = {key: COLORS[i] for i, key in enumerate(RUNS)}
SCHEDULE_COLORS = {key: COLORS[i % len(COLORS)] for i, key in enumerate(SCHEDULES)}
OPTIMIZER_COLORS = {key: COLORS[i % len(COLORS)] for i, key in enumerate(OPTIMIZERS)}
DESCENT_COLORS = {"raw": COLORS[1], "standardized": COLORS[0]}
LOWEST_DECADE = -4  # the contour plot's lowest level: the loss 0.01% above its optimum
SMALLEST_GAP = 1e-12  # gaps (as a fraction of the start's) below this are float64 rounding: the line stops there


def _line(rows: pd.DataFrame, x: str, y: str, log: bool = True) -> dict:
    """The x and y of a line without the points it cannot draw: NaN or infinite, and for a log axis zero or less."""
    xs, ys = rows[x].to_numpy(dtype=float), rows[y].to_numpy(dtype=float)
    keep = np.isfinite(xs) & np.isfinite(ys) & ((ys > 0) if log else True)
    return dict(x=xs[keep], y=ys[keep])


def _runs(frame: pd.DataFrame, column: str) -> list[tuple[str, pd.DataFrame]]:
    """The frame's rows per run, in the order the runs appear."""
    if frame.empty or column not in frame:
        return []
    return [(key, frame[frame[column] == key]) for key in dict.fromkeys(frame[column])]


# A. Batch sizes


def _batch_traces(history: pd.DataFrame, x: str) -> list[dict]:
    """The full training loss per run, the stochastic run's single-example losses faint behind it."""
    traces = []
    for key, rows in _runs(history, "run"):
        if key == "stochastic":
            traces.insert(0, dict(type="scatter", **_line(rows, x, "batch_loss"), mode="lines", opacity=0.25,
                                  name="stochastic: loss on its one example",
                                  line=dict(color=RUN_COLORS[key], width=1)))
        traces.append(dict(type="scatter", **_line(rows, x, "train_loss"), mode="lines", name=RUNS[key],
                           line=dict(color=RUN_COLORS[key], width=2.5)))
    return traces


def _loss_axis(history: pd.DataFrame) -> dict:
    """A log axis fitted to the full training loss, so the single-example losses run off it rather than squash it."""
    losses = history["train_loss"].to_numpy(dtype=float) if "train_loss" in history else np.array([])
    losses = losses[np.isfinite(losses) & (losses > 0)]
    if losses.size == 0:
        return axis("training loss (log)", type="log")
    low, high = np.log10(losses.min()) - 0.3, np.log10(losses.max()) + 0.3
    return axis("training loss (log)", type="log", range=[low, high], dtick="D2")


def batch_epochs_figure(history: pd.DataFrame) -> go.Figure:
    """Full training loss against epochs (passes over the data), one line per batch size; live rows work too."""
    return figure(_batch_traces(history, "epoch"), "Training loss per epoch", height=400, legend="bottom",
                  xaxis=axis("epoch"), yaxis=_loss_axis(history))


def batch_seconds_figure(history: pd.DataFrame) -> go.Figure:
    """Full training loss against the seconds spent on updates, one line per batch size; live rows work too."""
    rows = history[history["seconds"] > 0] if "seconds" in history else history
    return figure(_batch_traces(rows, "seconds"), "Training loss per second of computing", height=400,
                  legend="bottom", xaxis=axis("seconds spent on updates (log)", type="log"), yaxis=_loss_axis(rows))


# B. Input normalization


def contour_figure(result: NormalizationResult, name: str) -> go.Figure:
    """The loss over (w1, w2) with gradient descent's path and the least-squares optimum, equal scales on both axes.

    Colours and contour lines follow the loss above the optimum in decades (1%, 10%, ...), so that the narrow
    floor of an elongated bowl shows as clearly as its steep walls.
    """
    run = next(r for r in result.runs if r.name == name)
    path = run.trajectory[np.isfinite(run.trajectory).all(1)]  # (points, 2)
    gap = (run.grid_loss - run.optimum_loss) / max(run.optimum_loss, np.finfo(float).tiny)  # (GRID, GRID)
    decades = np.log10(np.clip(np.nan_to_num(gap, nan=0.0, posinf=1e300), 10.0 ** LOWEST_DECADE, None))
    top = max(int(np.ceil(decades.max())), LOWEST_DECADE + 1)
    ticks = list(range(LOWEST_DECADE, top + 1))
    traces = [
        dict(type="contour", x=run.w1, y=run.w2, z=decades, customdata=run.grid_loss,
             colorscale=[[0, "#ffffff"], [1, "#4a90c8"]], line=dict(width=0.5, color="white"),
             contours=dict(start=LOWEST_DECADE, end=top, size=0.5, coloring="heatmap"),
             colorbar=dict(title=dict(text="above the<br>optimum"), thickness=12, tickvals=ticks,
                           ticktext=[f"{100 * 10.0 ** k:g}%" for k in ticks]),
             hovertemplate="w1 %{x:.3g}<br>w2 %{y:.3g}<br>loss %{customdata:.4g}<extra></extra>"),
        dict(type="scatter", x=path[:, 0], y=path[:, 1], mode="lines+markers" if len(path) <= 60 else "lines",
             name="gradient descent", line=dict(color=COLORS[4], width=1.5), marker=dict(size=5, color=COLORS[4])),
        dict(type="scatter", x=path[:1, 0], y=path[:1, 1], mode="markers", name="start",
             marker=dict(size=10, color="white", symbol="circle", line=dict(width=2, color=COLORS[4]))),
        dict(type="scatter", x=run.optimum[:1], y=run.optimum[1:], mode="markers", name="least-squares optimum",
             marker=dict(size=14, color=COLORS[1], symbol="star", line=dict(width=1, color="white"))),
    ]
    title = f"{run.label[0].upper()}{run.label[1:]}: condition number " \
            f"{run.condition:,.{0 if run.condition >= 100 else 2}f}"
    return figure(traces, title, height=500, legend="bottom",
                  xaxis=axis(f"w1 (weight on {result.config.x1})", range=[run.w1[0], run.w1[-1]],
                             constrain="domain", exponentformat="power"),
                  yaxis=axis(f"w2 (weight on {result.config.x2})", range=[run.w2[0], run.w2[-1]],
                             scaleanchor="x", constrain="domain", exponentformat="power"))


def normalization_loss_figure(result: NormalizationResult) -> go.Figure:
    """Each run's loss above the optimum as a fraction of where it started, against step (log y), and the tolerance.

    Both runs start at w = 0 with the same loss and share the same optimum, so their lines start together at 1.
    """
    traces = []
    for run in result.runs:
        shown = np.isfinite(run.gap) & (run.gap > SMALLEST_GAP)
        traces.append(dict(type="scatter", x=np.flatnonzero(shown), y=run.gap[shown],
                           mode="lines+markers" if shown.sum() <= 60 else "lines", name=run.label,
                           line=dict(color=DESCENT_COLORS[run.name], width=2)))
    steps = max((len(run.loss) - 1 for run in result.runs), default=0)
    tolerance = result.config.tolerance
    traces.append(dict(type="scatter", x=[0, max(steps, 1)], y=[tolerance] * 2, mode="lines",
                       name=f"converged: {100 - tolerance * 100:g}% of the gap closed",
                       line=dict(color="grey", dash="dash", width=1)))
    return figure(traces, "Loss above the optimum, as a fraction of where it started", xaxis=axis("step"),
                  yaxis=axis("(loss − optimum) / (starting loss − optimum) (log)", type="log",
                             exponentformat="power"))


# C. Learning-rate schedules


def _schedule_traces(history: pd.DataFrame, column: str) -> list[dict]:
    return [dict(type="scatter", **_line(rows, "epoch", column, log=False), mode="lines+markers", marker=dict(size=4),
                 name=SCHEDULES[key].label, line=dict(color=SCHEDULE_COLORS[key], width=2))
            for key, rows in _runs(history, "schedule")]


def schedule_lr_figure(history: pd.DataFrame) -> go.Figure:
    """The learning rate used in each epoch, one line per schedule; live rows work too."""
    return figure(_schedule_traces(history, "lr"), "Learning rate", xaxis=axis("epoch"),
                  yaxis=axis("learning rate", rangemode="tozero"))


def schedule_loss_figure(history: pd.DataFrame, split: str = "test") -> go.Figure:
    """Test (or, with split="train", training) loss after each epoch, one line per schedule; live rows work too."""
    if split == "train":
        return figure(_schedule_traces(history, "train_loss"), "Training loss", xaxis=axis("epoch"),
                      yaxis=axis("cross-entropy on the training set (log)", type="log"))
    return figure(_schedule_traces(history, "test_loss"), "Test loss", xaxis=axis("epoch"),
                  yaxis=axis("cross-entropy on the test set", rangemode="tozero"))


# D. Every optimizer


def _optimizer_figure(frame: pd.DataFrame, x: str) -> go.Figure:
    traces = [dict(type="scatter", **_line(rows, x, "train_loss"), mode="lines",
                   name=OPTIMIZERS[key].label, line=dict(color=OPTIMIZER_COLORS[key], width=2))
              for key, rows in _runs(frame, "optimizer")]
    return figure(traces, "Training loss, same network and starting weights", legend="right", xaxis=axis("step"),
                  yaxis=axis("training loss (log)", type="log"))


def optimizer_loss_figure(history: pd.DataFrame) -> go.Figure:
    """Training loss against step, one line per optimizer, from a finished result's history."""
    return _optimizer_figure(history, "step")


def optimizer_live_figure(rows: pd.DataFrame) -> go.Figure:
    """The same figure from a running job's progress rows, whose `step` counts over all runs."""
    return _optimizer_figure(rows, "run_step")
