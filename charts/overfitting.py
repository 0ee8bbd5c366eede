"""Figures of the overfitting demo: training against validation loss, and the fitted function or boundary."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.style import COLORS, axis, figure
from engine.overfitting import FitResult

TRAIN_COLOR, VAL_COLOR = COLORS[0], COLORS[1]
CLASS_COLORS = (COLORS[0], COLORS[1])  # class 0, class 1
TRUTH_COLOR, FIT_COLOR = "#555555", COLORS[3]


def _line(rows: pd.DataFrame, column: str) -> dict:
    """x (step) and y of a log-scale line, without the points it cannot draw: NaN, infinite, zero or less."""
    xs, ys = rows["step"].to_numpy(dtype=float), rows[column].to_numpy(dtype=float)
    keep = np.isfinite(xs) & np.isfinite(ys) & (ys > 0)
    return dict(x=xs[keep], y=ys[keep])


def fit_curves_figure(history: pd.DataFrame, best_step: int = 0, loss_name: str = "") -> go.Figure:
    """Training and validation loss against step, on a log scale; a live run passes the rows it has so far.

    Rows with a `model` column (a bagging job's progress) draw one pair of lines per model, the models one after
    another along the step axis. `best_step` > 0 marks the evaluation whose weights early stopping restored.
    `loss_name` titles the y-axis; by default it is read from the rows (accuracy columns: a classifier's).
    """
    if not loss_name:
        loss_name = "cross-entropy" if "val_acc" in history else "mean squared error" if len(history) else "loss"
    traces = []
    if not history.empty and {"step", "train_loss", "val_loss"} <= set(history.columns):
        groups = [(k, history[history["model"] == k]) for k in dict.fromkeys(history["model"])] \
            if "model" in history and history["model"].nunique() > 1 else [(None, history)]
        for i, (_, rows) in enumerate(groups):
            for column, name, color in (("train_loss", "training loss", TRAIN_COLOR),
                                        ("val_loss", "validation loss", VAL_COLOR)):
                traces.append(dict(type="scatter", mode="lines", name=name, legendgroup=column, showlegend=i == 0,
                                   line=dict(color=color, width=2), **_line(rows, column)))
    shapes, annotations = [], []
    if best_step > 0:
        shapes.append(dict(type="line", x0=best_step, x1=best_step, y0=0, y1=1, yref="paper",
                           line=dict(color="#444444", dash="dot", width=1.5)))
        annotations.append(dict(x=best_step, y=1, yref="paper", xanchor="left", yanchor="top", showarrow=False,
                                text=f" lowest validation loss: step {best_step}<br> (these weights are kept)",
                                align="left", font=dict(size=11, color="#444444")))
    return figure(traces, "Training and validation loss", shapes=shapes, annotations=annotations,
                  xaxis=axis("step"), yaxis=axis(f"{loss_name} (log scale)", type="log", exponentformat="power"))


def fit_figure(result: FitResult) -> go.Figure:
    """Regression: the points, the true function and the fit. Classification: P(class 1) over the plane."""
    if result.config.task == "regression":
        return _regression_figure(result)
    return _classification_figure(result)


def _title(result: FitResult, what: str) -> str:
    models = len(result.member_fits)
    return f"{what}, averaged over {models} bagged models" if models > 1 else what


def _finite(values: np.ndarray) -> np.ndarray:
    return np.nan_to_num(np.asarray(values, dtype=float), nan=0.0, posinf=0.0, neginf=0.0)


def _regression_figure(result: FitResult) -> go.Figure:
    x = result.x_grid
    traces = [dict(type="scatter", mode="markers", x=result.X_val[:, 0], y=result.y_val, name="validation points",
                   marker=dict(color="#7f7f7f", size=5, opacity=0.35))]
    if len(result.member_fits) > 1:
        for i, member in enumerate(result.member_fits):
            traces.append(dict(type="scatter", mode="lines", x=x, y=_finite(member), name="each bagged model",
                               legendgroup="members", showlegend=i == 0, opacity=0.35,
                               line=dict(color=FIT_COLOR, width=1)))
    traces += [dict(type="scatter", mode="lines", x=x, y=result.truth, name="true function",
                    line=dict(color=TRUTH_COLOR, dash="dash", width=2)),
               dict(type="scatter", mode="lines", x=x, y=_finite(result.fit), name="fitted function",
                    line=dict(color=FIT_COLOR, width=3)),
               dict(type="scatter", mode="markers", x=result.X_train[:, 0], y=result.y_train, name="training points",
                    marker=dict(color=TRAIN_COLOR, size=9, line=dict(color="white", width=1)))]
    return figure(traces, _title(result, "The fitted function"), height=400, legend="bottom", xaxis=axis("x"),
                  yaxis=axis("y"))


def _tint(hex_color: str, strength: float) -> str:
    """The colour mixed with white; strength 1 is the colour itself."""
    rgb = [int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(255 - (255 - v) * strength) for v in rgb]
    return f"rgb({mixed[0]},{mixed[1]},{mixed[2]})"


def _classification_figure(result: FitResult) -> go.Figure:
    prob = np.clip(_finite(result.fit), 0, 1)
    scale = [(0.0, _tint(CLASS_COLORS[0], 0.5)), (0.5, "rgb(255,255,255)"), (1.0, _tint(CLASS_COLORS[1], 0.5))]
    traces = [dict(type="heatmap", x=result.x_grid, y=result.y_grid, z=prob, zmin=0, zmax=1, colorscale=scale,
                   zsmooth="best", hoverinfo="skip",
                   colorbar=dict(title=dict(text="P(class 1)"), thickness=12, len=0.8)),
              dict(type="contour", x=result.x_grid, y=result.y_grid, z=prob, showscale=False, hoverinfo="skip",
                   contours=dict(start=0.5, end=0.5, size=0.5, coloring="none"), line=dict(color="#333333", width=2),
                   name="boundary (P = 0.5)", showlegend=True)]
    colors = lambda y: [CLASS_COLORS[int(v)] for v in y]
    traces.append(dict(type="scatter", mode="markers", x=result.X_val[:, 0], y=result.X_val[:, 1],
                       name="validation points (true labels)", marker=dict(color=colors(result.y_val), size=5,
                                                                           opacity=0.35)))
    kept, flipped = ~result.flipped, result.flipped
    traces.append(dict(type="scatter", mode="markers", x=result.X_train[kept, 0], y=result.X_train[kept, 1],
                       name="training points", marker=dict(color=colors(result.y_train[kept]), size=9,
                                                           line=dict(color="white", width=1))))
    if flipped.any():
        traces.append(dict(type="scatter", mode="markers", x=result.X_train[flipped, 0], y=result.X_train[flipped, 1],
                           name="training points, label flipped",
                           marker=dict(color=colors(result.y_train[flipped]), size=11, symbol="x",
                                       line=dict(color="black", width=1))))
    return figure(traces, _title(result, "P(class 1) and the decision boundary"), height=400, legend="bottom",
                  xaxis=axis("x₁", constrain="domain"), yaxis=axis("x₂", scaleanchor="x", constrain="domain"))
