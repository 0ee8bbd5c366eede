"""Figures of a learning-rate sweep and of grid versus random search."""

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.style import COLORS, axis, figure
from engine.batched import SweepResult
from engine.search import METHODS, SearchResult

LIVE_PREFIX = "loss_lr="  # the sweep's progress reports carry one such key per learning rate
PANEL_GAP = 0.12  # share of the width between the grid and random panels
LOSS_FLOOR = 1e-6  # the smallest loss a log scale shows; a loss can round to exactly 0


def _lr_line(i: int, lr: float, steps, losses, name: str, end_marker: bool = False) -> dict:
    """One learning rate's loss curve; `end_marker` puts an x where the curve stops."""
    steps, losses = np.asarray(steps, dtype=float), np.asarray(losses, dtype=float)
    keep = np.isfinite(steps) & np.isfinite(losses) & (losses > 0)  # nor NaN or inf, and a log axis cannot show 0
    line = dict(type="scatter", x=steps[keep], y=losses[keep], name=name, mode="lines",
                line=dict(color=COLORS[i % len(COLORS)], width=2), legendgroup=name,
                hovertemplate=f"lr = {lr:g}<br>step %{{x}}<br>loss %{{y:.4g}}<extra></extra>")
    if end_marker and keep.any():
        sizes = np.zeros(int(keep.sum()))
        sizes[-1] = 12
        line |= dict(mode="lines+markers", marker=dict(symbol="x", size=sizes, color=COLORS[i % len(COLORS)]))
    return line


def sweep_figure(result: SweepResult) -> go.Figure:
    """Training loss against step, one line per learning rate; a diverged line ends in an x."""
    traces = []
    for i, copy in enumerate(result.copies):
        rows = result.history[result.history["lr"] == copy.lr]
        name = f"lr = {copy.lr:g}"
        if copy.diverged_at:
            name += f" (diverged at step {copy.diverged_at})"
        traces.append(_lr_line(i, copy.lr, rows["step"], rows["train_loss"], name, end_marker=bool(copy.diverged_at)))
    return figure(traces, "Training loss for each learning rate", height=380, legend="right",
                  xaxis=axis("step"), yaxis=axis("cross-entropy on the training split (log)", type="log"))


def sweep_live_figure(rows: pd.DataFrame) -> go.Figure:
    """The live view: the progress rows so far, one line per "loss_lr=…" column."""
    columns = [c for c in rows.columns if c.startswith(LIVE_PREFIX)] if "step" in rows else []
    columns.sort(key=lambda c: float(c[len(LIVE_PREFIX):]))
    traces = []
    for i, column in enumerate(columns):
        present = rows[column].notna()  # a diverged learning rate stops reporting
        lr = float(column[len(LIVE_PREFIX):])
        traces.append(_lr_line(i, lr, rows.loc[present, "step"], rows.loc[present, column], f"lr = {lr:g}"))
    return figure(traces, "Training loss for each learning rate", height=380, legend="right",
                  xaxis=axis("step"), yaxis=axis("cross-entropy on the training split (log)", type="log"))


def _scored(trials: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(trials with a finite validation loss, trials that failed)."""
    losses = trials["val_loss"].to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(losses) & np.isfinite(trials[["lr", "weight_decay"]].to_numpy(dtype=float)).all(1)
    return trials[ok], trials[~ok]


def _losses(rows: pd.DataFrame) -> np.ndarray:
    """The rows' validation losses as floats, floored for a log scale."""
    return np.maximum(rows["val_loss"].to_numpy(dtype=float), LOSS_FLOOR)


def _log_ticks(low: float, high: float) -> tuple[list[float], list[str]]:
    """Tick positions (log10) and labels for a colour bar spanning [low, high] on a log scale."""
    values = [m * 10.0**e for e in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1)
              for m in (1, 2, 5)]
    inside = [v for v in values if low <= v <= high] or [low, high]
    return [math.log10(v) for v in inside], [f"{v:.3g}" for v in inside]


def search_figure(result: SearchResult) -> go.Figure:
    """Every trial placed by learning rate and weight decay, grid beside random, coloured by validation loss."""
    scored, _ = _scored(result.trials)
    losses = _losses(scored)
    low, high = (losses.min(), losses.max()) if losses.size else (0.1, 1.0)
    high = max(high, low * 1.01)  # a colour bar needs some span
    tickvals, ticktext = _log_ticks(low, high)
    traces, annotations, layout, failed_shown = [], [], {}, False
    width = (1 - PANEL_GAP) / 2
    for panel, method in enumerate(METHODS):
        suffix = "" if panel == 0 else str(panel + 1)
        place = dict(xaxis=f"x{suffix}", yaxis=f"y{suffix}")
        rows = result.trials[result.trials["method"] == method]
        ok, failed = _scored(rows)
        traces.append(dict(type="scatter", mode="markers", name=f"{method} trials", showlegend=False,
                           x=ok["lr"].to_numpy(), y=ok["weight_decay"].to_numpy(),
                           marker=dict(color=np.log10(_losses(ok)), coloraxis="coloraxis",
                                       size=12, line=dict(width=1, color="white")),
                           customdata=ok["val_loss"].to_numpy(dtype=float),
                           hovertemplate="lr %{x:.3g}<br>weight decay %{y:.3g}<br>validation loss %{customdata:.4f}"
                                         "<extra></extra>", **place))
        if len(failed):
            traces.append(dict(type="scatter", mode="markers", name="diverged", legendgroup="diverged",
                               showlegend=not failed_shown,
                               x=failed["lr"].to_numpy(), y=failed["weight_decay"].to_numpy(),
                               marker=dict(symbol="x", size=10, color="#7f7f7f"),
                               hovertemplate="lr %{x:.3g}<br>weight decay %{y:.3g}<br>diverged<extra></extra>",
                               **place))
            failed_shown = True  # one legend entry for both panels
        best = result.best[method]
        if best is not None:
            on_test = "" if best.test_acc is None else f"<br>test accuracy {best.test_acc:.1%} (reported, not tuned)"
            traces.append(dict(type="scatter", mode="markers", name=f"best {method} trial", x=[best.lr],
                               y=[best.weight_decay], marker=dict(symbol="circle-open", size=22,
                                                                  line=dict(width=3), color=COLORS[panel]),
                               hovertemplate=f"best {method} trial on validation<br>lr {best.lr:.3g}<br>validation "
                                             f"loss {best.val_loss:.4f}{on_test}<extra></extra>", **place))
        start = panel * (width + PANEL_GAP)
        layout[f"xaxis{suffix}"] = axis("learning rate (log)", type="log", dtick=1, tickformat="~g",
                                         domain=[start, start + width], anchor=f"y{suffix}")
        layout[f"yaxis{suffix}"] = axis("weight decay" if panel == 0 else "", anchor=f"x{suffix}",
                                         exponentformat="power", **({} if panel == 0 else dict(matches="y")))
        annotations.append(dict(text=f"<b>{method.capitalize()} search</b>: {result.distinct_lrs[method]} "
                                     "learning rates", x=start + width / 2, y=1.0, xref="paper", yref="paper",
                                xanchor="center", yanchor="bottom", showarrow=False))
    coloraxis = dict(colorscale="Viridis", cmin=math.log10(low), cmax=math.log10(high),
                     colorbar=dict(title=dict(text="validation<br>loss"), tickvals=tickvals, ticktext=ticktext,
                                   len=0.8, y=0.4))
    title = f"{result.config.budget} trials each, coloured by validation loss (ringed: the best on validation; " \
            "×: diverged)"
    return figure(traces, title, height=400, annotations=annotations, coloraxis=coloraxis, showlegend=False,
                  **layout)


def search_lr_figure(result: SearchResult) -> go.Figure:
    """Validation loss against learning rate: the grid's trials stack on sqrt(budget) vertical lines."""
    scored, failed = _scored(result.trials)
    traces = []
    if len(scored):
        losses = _losses(scored)
        grid_lrs = np.unique(result.trials.loc[result.trials["method"] == "grid", "lr"].to_numpy())
        low, high = losses.min() / 1.2, losses.max() * 1.2
        xs = [v for lr in grid_lrs for v in (lr, lr, None)]
        ys = [v for _ in grid_lrs for v in (low, high, None)]
        traces.append(dict(type="scatter", mode="lines", x=xs, y=ys, name="the grid's learning rates",
                           line=dict(color="#bbbbbb", dash="dot", width=1), hoverinfo="skip"))
    for i, method in enumerate(METHODS):
        rows = scored[scored["method"] == method]
        lost = int((failed["method"] == method).sum())
        name = f"{method} search" + (f" ({lost} diverged, not shown)" if lost else "")
        traces.append(dict(type="scatter", mode="markers", name=name, x=rows["lr"].to_numpy(),
                           y=_losses(rows), customdata=rows["weight_decay"].to_numpy(),
                           marker=dict(color=COLORS[i], size=10, symbol="circle" if i == 0 else "diamond",
                                       opacity=0.8, line=dict(width=1, color="white")),
                           hovertemplate="lr %{x:.3g}<br>weight decay %{customdata:.3g}<br>validation loss "
                                         "%{y:.4f}<extra></extra>"))
    return figure(traces, "Validation loss against learning rate", height=360,
                  xaxis=axis("learning rate (log)", type="log", dtick=1, tickformat="~g"),
                  yaxis=axis("validation loss (log)", type="log", dtick=1, tickformat="~g"))
