"""Figures for quiz items: the run behind a "predict, then run" item."""

import pandas as pd
import plotly.graph_objects as go

from charts.style import COLORS, axis, figure


def prediction_run(history: pd.DataFrame, log_scale: bool = False, title: str = "") -> go.Figure:
    """The training loss of the run that graded a prediction; a log axis when the loss blew up."""
    steps, losses = (history["step"].tolist(), history["batch_loss"].tolist()) if len(history) else ([], [])
    trace = dict(type="scatter", mode="lines+markers", x=steps, y=losses, name="training loss",
                 line=dict(color=COLORS[0]))
    return figure([trace], title=title, height=260, xaxis=axis("step"),
                  yaxis=axis("training loss (log scale)" if log_scale else "training loss",
                             type="log" if log_scale else "linear"))
