"""Figures any training run can show: loss and accuracy against step, live or finished."""

import pandas as pd
import plotly.graph_objects as go

from charts.style import COLORS, axis, figure


def _lines(history: pd.DataFrame, columns: tuple[tuple[str, str], ...]) -> list[dict]:
    return [dict(type="scatter", x=history["step"].to_numpy(), y=history[column].to_numpy(), name=name,
                 line=dict(color=COLORS[i])) for i, (column, name) in enumerate(columns) if column in history]


def loss_figure(history: pd.DataFrame, title: str = "Loss") -> go.Figure:
    """Train and test loss against step; a live run passes the rows it has so far."""
    traces = [] if history.empty else _lines(history, (("train_loss", "train loss"), ("test_loss", "test loss")))
    return figure(traces, title, xaxis=axis("step"), yaxis=axis("cross-entropy", rangemode="tozero"))


def accuracy_figure(history: pd.DataFrame) -> go.Figure:
    traces = _lines(history, (("train_acc", "train accuracy"), ("test_acc", "test accuracy")))
    return figure(traces, "Accuracy", xaxis=axis("step"), yaxis=axis(tickformat=".0%", range=[0, 1.02]))


def runs_live_figure(rows: pd.DataFrame, by: str | None, y: str = "batch_loss") -> go.Figure:
    """A job's progress so far: `y` against step, one line per value of the column `by` (one run each)."""
    if rows.empty or y not in rows:
        return figure([], "Loss so far", xaxis=axis("step"), yaxis=axis("loss"))
    groups = [(None, rows)] if by is None or by not in rows else [(k, rows[rows[by] == k]) for k in
                                                                  dict.fromkeys(rows[by])]
    x = "run_step" if by is not None and "run_step" in rows else "step"
    traces = [dict(type="scatter", x=part[x].to_numpy(), y=part[y].to_numpy(), name=str(key or y), mode="lines",
                   line=dict(color=COLORS[i % len(COLORS)])) for i, (key, part) in enumerate(groups)]
    return figure(traces, "Loss so far", xaxis=axis("step"), yaxis=axis("loss", rangemode="tozero"))
