"""Figures of the overfitting sweeps: error against capacity and data, bias and variance, and their live views."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.style import COLORS, axis, figure
from engine.overfitting_sweeps import BiasVarianceResult, CapacityResult, LearningCurveResult

TRAIN, VAL = COLORS[0], COLORS[1]  # training error blue, validation error red, on every figure
TRUTH = "#222222"
PANEL_GAP = 0.06  # share of the width between bias-variance panels
PARTS = (("bias2", "bias²", COLORS[4]), ("variance", "variance", COLORS[3]), ("noise2", "noise²", "#bbbbbb"))


def _finite(xs, ys) -> tuple[np.ndarray, np.ndarray]:
    """The (x, y) pairs where both are finite numbers (None and NaN dropped)."""
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    keep = np.isfinite(xs) & np.isfinite(ys)
    return xs[keep], ys[keep]


def _error_line(xs, ys, name: str, color: str, label: str, dash: str = "solid") -> dict:
    xs, ys = _finite(xs, ys)
    return dict(type="scatter", mode="lines+markers", x=xs, y=ys, name=name, line=dict(color=color, width=2, dash=dash),
                marker=dict(size=7), hovertemplate=f"{label} %{{x:g}}<br>{name} %{{y:.4f}}<extra></extra>")


def _noise_floor(low: float, high: float, noise2: float) -> dict:
    return dict(type="scatter", mode="lines", x=[low, high], y=[noise2, noise2], name=f"noise² = {noise2:.3g}",
                line=dict(color="#7f7f7f", dash="dot", width=1),
                hovertemplate=f"noise² = {noise2:.4f}: the floor of the validation MSE<extra></extra>")


def _log2_axis(values, title: str) -> dict:
    """A log x-axis ticked at the values themselves (powers of two read better than 1, 10, 100)."""
    ticks = sorted(set(int(v) for v in values))
    return axis(title, type="log", tickvals=ticks, ticktext=[str(t) for t in ticks])


def capacity_figure(result: CapacityResult) -> go.Figure:
    """Training and validation MSE against width, log x; the width with the lowest validation MSE ringed."""
    widths = [f.width for f in result.fits]
    train = [np.nan if f.train_mse is None else f.train_mse for f in result.fits]
    val = [np.nan if f.val_mse is None else f.val_mse for f in result.fits]
    traces = [_error_line(widths, train, "training MSE", TRAIN, "width"),
              _error_line(widths, val, "validation MSE", VAL, "width")]
    if widths:
        traces.append(_noise_floor(min(widths), max(widths), result.config.noise ** 2))
    best = next((f for f in result.fits if f.width == result.best_width), None)
    if best is not None:
        traces.append(dict(type="scatter", mode="markers", x=[best.width], y=[best.val_mse],
                           name=f"best: width {best.width}",
                           marker=dict(symbol="circle-open", size=20, line=dict(width=3), color=VAL),
                           hovertemplate=f"lowest validation MSE: width {best.width}<br>{best.val_mse:.4f}"
                                         "<extra></extra>"))
    return figure(traces, "Error against capacity: one network per width", height=380,
                  xaxis=_log2_axis(widths, "units per hidden layer (log)"), yaxis=axis("mean squared error"))


def capacity_fits_figure(result: CapacityResult) -> go.Figure:
    """The true function, the training points and the fitted curves of the narrowest, best and widest networks."""
    traces = [dict(type="scatter", mode="lines", x=result.grid, y=result.truth, name="true function sin(1.5πx)",
                   line=dict(color=TRUTH, dash="dash", width=2), hoverinfo="skip")]
    trained = [i for i, f in enumerate(result.fits) if f.val_mse is not None]
    shown = []
    if trained:
        best = next(i for i in trained if result.fits[i].width == result.best_width)
        shown = sorted({trained[0], best, trained[-1]}, key=lambda i: result.fits[i].width)
    for n, i in enumerate(shown):
        f = result.fits[i]
        xs, ys = _finite(result.grid, result.predictions[i])
        traces.append(dict(type="scatter", mode="lines", x=xs, y=ys, name=f"width {f.width}",
                           line=dict(color=COLORS[(n + 2) % len(COLORS)], width=2),
                           hovertemplate=f"width {f.width}<br>x %{{x:.2f}}<br>prediction %{{y:.3f}}<extra></extra>"))
    xs, ys = _finite(result.X_train, result.y_train)
    traces.append(dict(type="scatter", mode="markers", x=xs, y=ys, name="training points",
                       marker=dict(color=TRUTH, size=8, line=dict(width=1, color="white")),
                       hovertemplate="x %{x:.2f}<br>y %{y:.3f}<extra></extra>"))
    return figure(traces, "What the networks learned", height=380, xaxis=axis("x"), yaxis=axis("y"))


def learning_curve_figure(result: LearningCurveResult) -> go.Figure:
    """Training and validation MSE against training-set size, log x."""
    sizes = [f.size for f in result.fits]
    train = [np.nan if f.train_mse is None else f.train_mse for f in result.fits]
    val = [np.nan if f.val_mse is None else f.val_mse for f in result.fits]
    traces = [_error_line(sizes, train, "training MSE", TRAIN, "points"),
              _error_line(sizes, val, "validation MSE", VAL, "points")]
    if sizes:
        traces.append(_noise_floor(min(sizes), max(sizes), result.config.noise ** 2))
    return figure(traces, f"Learning curves: width {result.config.width}, one network per training-set size",
                  height=380, xaxis=_log2_axis(sizes, "training points (log)"), yaxis=axis("mean squared error"))


def bias_variance_figure(result: BiasVarianceResult) -> go.Figure:
    """Per width a panel of every model's fit (faint), their mean (bold) and the truth; then the error's parts."""
    panels = len(result.spreads) + 1
    width = (1 - PANEL_GAP * (panels - 1)) / panels
    traces, layout, annotations = [], {}, []
    for p, spread in enumerate(result.spreads):
        suffix = "" if p == 0 else str(p + 1)
        place = dict(xaxis=f"x{suffix}", yaxis=f"y{suffix}")
        first = p == 0  # one legend entry for each kind of line
        traces.append(dict(type="scatter", mode="lines", x=result.grid, y=result.truth, name="true function",
                           legendgroup="truth", showlegend=first, line=dict(color=TRUTH, dash="dash", width=2),
                           hoverinfo="skip", **place))
        for m, prediction in enumerate(spread.predictions):
            xs, ys = _finite(result.grid, prediction)
            traces.append(dict(type="scatter", mode="lines", x=xs, y=ys, name="each model's fit",
                               legendgroup="fits", showlegend=first and m == 0, opacity=0.35,
                               line=dict(color=COLORS[0], width=1), hoverinfo="skip", **place))
        if spread.models:
            xs, ys = _finite(result.grid, spread.mean_prediction)
            traces.append(dict(type="scatter", mode="lines", x=xs, y=ys, name="their mean", legendgroup="mean",
                               showlegend=first, line=dict(color=COLORS[1], width=3),
                               hovertemplate="x %{x:.2f}<br>mean prediction %{y:.3f}<extra></extra>", **place))
        start = p * (width + PANEL_GAP)
        layout[f"xaxis{suffix}"] = axis("x", domain=[start, start + width], anchor=f"y{suffix}")
        layout[f"yaxis{suffix}"] = axis("y" if p == 0 else "", anchor=f"x{suffix}", range=[-2.2, 2.2],
                                         **({} if p == 0 else dict(matches="y")))
        annotations.append(dict(text=f"<b>width {spread.width}</b>: {spread.models} models", x=start + width / 2,
                                y=1.0, xref="paper", yref="paper", xanchor="center", yanchor="bottom",
                                showarrow=False))
    traces += _part_bars(result, str(panels))
    start = (panels - 1) * (width + PANEL_GAP)
    layout[f"xaxis{panels}"] = axis("width", type="category", domain=[start, 1], anchor=f"y{panels}")
    layout[f"yaxis{panels}"] = axis("squared error", anchor=f"x{panels}", side="right")
    annotations.append(dict(text="<b>expected error = bias² + variance + noise²</b>", x=start + (1 - start) / 2,
                            y=1.0, xref="paper", yref="paper", xanchor="center", yanchor="bottom", showarrow=False))
    title = f"{result.config.resamples} training sets of {result.config.points} points, one model on each"
    return figure(traces, title, height=440, legend="bottom", barmode="stack", annotations=annotations,
                  margin=dict(l=10, r=10, t=70, b=10), **layout)  # room for the title above the panel titles


def _part_bars(result: BiasVarianceResult, suffix: str) -> list[dict]:
    """Stacked bars of bias², variance and noise² per width, and a marker at the measured validation MSE."""
    scored = [s for s in result.spreads if s.bias2 is not None]
    names = [str(s.width) for s in scored]
    place = dict(xaxis=f"x{suffix}", yaxis=f"y{suffix}")
    bars = [dict(type="bar", x=names, y=[getattr(s, key) for s in scored], name=label, marker=dict(color=color),
                 hovertemplate=f"width %{{x}}<br>{label} %{{y:.4f}}<extra></extra>", **place)
            for key, label, color in PARTS]
    bars.append(dict(type="scatter", mode="markers", x=names, y=[s.val_mse for s in scored],
                     name="measured validation MSE (mean)", marker=dict(symbol="diamond", size=12, color=TRUTH),
                     hovertemplate="width %{x}<br>mean validation MSE %{y:.4f}<extra></extra>", **place))
    return bars


# --- live views, from the progress reports ---------------------------------------------------


def _latest(rows: pd.DataFrame, prefix: str) -> tuple[int | None, dict[str, dict[float, float]]]:
    """The latest report's step and, per kind ("train", "val"), its finite values by width or size."""
    if rows is None or rows.empty or "step" not in rows:
        return None, {"train": {}, "val": {}}
    last = rows.iloc[-1]
    values: dict[str, dict[float, float]] = {"train": {}, "val": {}}
    for column in rows.columns:
        kind, _, rest = column.partition("_")
        if kind in values and rest.startswith(prefix):
            value = float(last[column])
            if np.isfinite(value):
                values[kind][float(rest[len(prefix):])] = value
    return int(last["step"]), values


def _live_curve(rows: pd.DataFrame, prefix: str, label: str, title: str, x_title: str) -> go.Figure:
    step, values = _latest(rows, prefix)
    traces = []
    for kind, name, color in (("train", "training MSE", TRAIN), ("val", "validation MSE", VAL)):
        xs = sorted(values[kind])
        traces.append(_error_line(xs, [values[kind][x] for x in xs], name, color, label))
    xs = sorted(set(values["train"]) | set(values["val"]))
    return figure(traces, title if step is None else f"{title}, at step {step}", height=380,
                  xaxis=_log2_axis(xs, x_title), yaxis=axis("mean squared error"))


def capacity_live_figure(rows: pd.DataFrame) -> go.Figure:
    """The live view: training and validation MSE against width at the latest report ("train_w=8", "val_w=8")."""
    return _live_curve(rows, "w=", "width", "Error against capacity", "units per hidden layer (log)")


def learning_curve_live_figure(rows: pd.DataFrame) -> go.Figure:
    """The live view: training and validation MSE against size at the latest report ("train_n=20", "val_n=20")."""
    return _live_curve(rows, "n=", "points", "Learning curves", "training points (log)")


def bias_variance_live_figure(rows: pd.DataFrame) -> go.Figure:
    """The live view: each width's mean training (dotted) and validation (solid) MSE against step."""
    traces = []
    columns = [] if rows is None or "step" not in rows else [c for c in rows.columns if c.startswith("val_w=")]
    for i, column in enumerate(sorted(columns, key=lambda c: float(c[len("val_w="):]))):
        width = column[len("val_w="):]
        for kind, dash, name in (("val", "solid", "validation"), ("train", "dot", "training")):
            key = f"{kind}_w={width}"
            if key in rows:
                xs, ys = _finite(rows["step"], rows[key])
                traces.append(dict(type="scatter", mode="lines", x=xs, y=ys, name=f"width {width}, {name}",
                                   legendgroup=width, line=dict(color=COLORS[i % len(COLORS)], dash=dash, width=2),
                                   hovertemplate=f"width {width}<br>step %{{x}}<br>mean {name} MSE %{{y:.4f}}"
                                                 "<extra></extra>"))
    return figure(traces, "Mean error of each width's models", height=380, legend="right", xaxis=axis("step"),
                  yaxis=axis("mean squared error", rangemode="tozero"))
