"""Figures any training run can show: loss and accuracy against step, live or finished."""

import pandas as pd
import plotly.graph_objects as go

from charts.style import COLORS, figure, layout


def loss_figure(history: pd.DataFrame, title: str = "Loss") -> go.Figure:
    """Train and test loss against step; a live run passes the rows it has so far."""
    fig = figure()
    if not history.empty:
        for column, name, color in (("train_loss", "train", COLORS[0]), ("test_loss", "test", COLORS[1])):
            if column in history:
                fig.add_trace(go.Scatter(x=history["step"], y=history[column], name=f"{name} loss",
                                         line=dict(color=color)))
    return layout(fig, title, xaxis_title="step", yaxis_title="cross-entropy", yaxis_rangemode="tozero")


def accuracy_figure(history: pd.DataFrame) -> go.Figure:
    fig = figure()
    for column, name, color in (("train_acc", "train", COLORS[0]), ("test_acc", "test", COLORS[1])):
        fig.add_trace(go.Scatter(x=history["step"], y=history[column], name=f"{name} accuracy",
                                 line=dict(color=color)))
    return layout(fig, "Accuracy", xaxis_title="step", yaxis_tickformat=".0%", yaxis_range=[0, 1.02])
