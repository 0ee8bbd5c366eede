"""Figures of regularization, inside and out: dropout's mask, dropout rates, batch normalization, k-fold CV."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from charts.style import COLORS, axis, figure
from engine.regularization import FREQUENCY, BatchNormView, DropoutRatesResult, DropoutView, KFoldResult

INPUT_COLOR, TRAIN_COLOR, EVAL_COLOR = "#9e9e9e", COLORS[1], COLORS[0]
PALE, HELD_OUT = "#d9d9d9", "#f2f2f2"


# 1. Dropout, inside


def dropout_figure(view: DropoutView) -> go.Figure:
    """Each unit's activation, nn.Dropout's train-mode output (one mask) and eval-mode output, as grouped bars.

    Markers on the train-mode bars show the average over many masks, with ±2 standard errors: inverted dropout
    keeps each unit's expected value.
    """
    units = np.arange(1, len(view.activations) + 1)
    dropped = units[~view.kept]
    traces = [
        dict(type="bar", x=units, y=view.activations, name="activation (the layer's output)",
             marker=dict(color=INPUT_COLOR)),
        dict(type="bar", x=units, y=view.train_output, name=f"train mode: dropped, or kept × {view.scale:.3g}",
             marker=dict(color=TRAIN_COLOR)),
        dict(type="bar", x=units, y=view.eval_output, name="eval mode: unchanged", marker=dict(color=EVAL_COLOR)),
        dict(type="scatter", x=units, y=view.mean_output, mode="markers",
             name=f"train mode, averaged over {view.samples:,} masks",
             marker=dict(symbol="diamond", size=9, color="black"),
             error_y=dict(type="data", array=2 * view.mean_error, color="black", thickness=1)),
    ]
    if dropped.size:
        traces.append(dict(type="scatter", x=dropped, y=np.zeros(dropped.size), mode="markers", name="dropped",
                           marker=dict(symbol="x", size=10, color=TRAIN_COLOR)))
    title = (f"nn.Dropout(p={view.p:g}): this mask dropped {dropped.size} of {len(units)} units; "
             f"each kept unit × 1/(1 − p) = {view.scale:.3g}")
    return figure(traces, title, height=380, barmode="group", xaxis=axis("unit", dtick=1),
                  yaxis=axis("activation", rangemode="tozero"))


# 2. Dropout rates


def _rate_color(i: int) -> str:
    return COLORS[i % len(COLORS)]


def dropout_rates_figure(result: DropoutRatesResult) -> go.Figure:
    """Final training and validation loss per dropout rate (bars) and the gap between them (line)."""
    finals = result.finals
    labels = [f"p = {rate:g}" for rate in finals["rate"]]
    traces = [] if finals.empty else [
        dict(type="bar", x=labels, y=finals["train_loss"].to_numpy(), name="training loss",
             marker=dict(color=COLORS[0])),
        dict(type="bar", x=labels, y=finals["val_loss"].to_numpy(), name="validation loss",
             marker=dict(color=COLORS[1])),
        dict(type="scatter", x=labels, y=finals["gap"].to_numpy(), mode="lines+markers",
             name="gap: validation − training", line=dict(color="black", width=2), marker=dict(size=9)),
    ]
    return figure(traces, "After training: loss per dropout rate (measured with dropout off)", barmode="group",
                  xaxis=axis("dropout rate p: the probability of dropping a unit"),
                  yaxis=axis("mean squared error"))


def dropout_rates_live(rows: pd.DataFrame) -> go.Figure:
    """Validation (solid) and training (dotted) loss against step, one colour per rate; a result's history works too."""
    traces = []
    if not rows.empty and {"rate", "val_loss", "train_loss"} <= set(rows.columns):
        x = "run_step" if "run_step" in rows else "step"
        for i, rate in enumerate(dict.fromkeys(rows["rate"])):
            part = rows[rows["rate"] == rate]
            for column, dash, label in (("val_loss", "solid", "validation"), ("train_loss", "dot", "training")):
                keep = np.isfinite(part[column].to_numpy(dtype=float))
                traces.append(dict(type="scatter", x=part[x].to_numpy()[keep], y=part[column].to_numpy()[keep],
                                   mode="lines", name=f"p = {rate:g}, {label}", legendgroup=f"{rate:g}",
                                   line=dict(color=_rate_color(i), dash=dash, width=2)))
    return figure(traces, "Loss during training (solid: validation, dotted: training)", height=380, legend="right",
                  xaxis=axis("step"), yaxis=axis("mean squared error (log)", type="log"))


def dropout_fit_figure(result: DropoutRatesResult) -> go.Figure:
    """The training points, the true curve and each trained network's prediction (dropout off)."""
    grid = np.linspace(-1, 1, 200)
    traces = [dict(type="scatter", x=grid, y=np.sin(FREQUENCY * grid), mode="lines", name="true curve",
                   line=dict(color="grey", dash="dash", width=1.5)),
              dict(type="scatter", x=result.X_train, y=result.y_train, mode="markers", name="training points",
                   marker=dict(color="black", size=7))]
    for i, rate in enumerate(dict.fromkeys(result.fits["rate"])):
        fit = result.fits[result.fits["rate"] == rate]
        traces.append(dict(type="scatter", x=fit["x"].to_numpy(), y=fit["y"].to_numpy(), mode="lines",
                           name=f"p = {rate:g}", line=dict(color=_rate_color(i), width=2)))
    return figure(traces, "What each network learned", height=380, legend="right", xaxis=axis("x"),
                  yaxis=axis("y"))


# 3. Batch normalization


def batchnorm_figure(view: BatchNormView) -> go.Figure:
    """Per feature: the batch's values, normalized, the train-mode output and the eval-mode output, as strips."""
    c = view.config
    labels = [f"feature {f + 1}" for f in range(c.features)]
    stages = (
        (view.batch, "the batch x", INPUT_COLOR),
        (view.normalized, "normalized: (x − batch mean) / √(batch var + ε)", COLORS[2]),
        (view.train_output, f"train mode: γ·x̂ + β (γ = {c.gamma:g}, β = {c.beta:g})", TRAIN_COLOR),
        (view.eval_output, "eval mode: running statistics instead", EVAL_COLOR),
    )
    traces = [dict(type="box", x=np.tile(labels, len(values)), y=values.flatten(), name=name, boxpoints="all",
                   jitter=0.4, pointpos=0, boxmean=True, marker=dict(color=color, size=6), line=dict(color=color),
                   fillcolor="rgba(0,0,0,0)")
              for values, name, color in stages]
    return figure(traces, f"nn.BatchNorm1d on a batch of {c.batch}, after {c.batches_seen} training batches",
                  height=420, legend="bottom", boxmode="group", xaxis=axis(), yaxis=axis("value", zeroline=True))


def batchnorm_running_figure(view: BatchNormView, stat: str = "mean") -> go.Figure:
    """The running mean (or variance) per feature against training batches seen, with each batch's own value."""
    if stat not in ("mean", "var"):
        raise ValueError("stat must be 'mean' or 'var'")
    c = view.config
    start, batch_column, truth = (0.0, "batch_mean", c.shift) if stat == "mean" else \
        (1.0, "batch_var_unbiased", c.scale ** 2)
    traces = []
    for f in range(c.features):
        rows = view.history[view.history["feature"] == f + 1]
        seen, color = rows["seen"].to_numpy(dtype=int), COLORS[f % len(COLORS)]
        traces.append(dict(type="scatter", x=np.r_[0, seen], y=np.r_[start, rows[f"running_{stat}"].to_numpy(float)],
                           mode="lines+markers", name=f"feature {f + 1}: running {stat}", legendgroup=str(f),
                           line=dict(color=color, width=2)))
        traces.append(dict(type="scatter", x=seen, y=rows[batch_column].to_numpy(float), mode="markers",
                           name=f"feature {f + 1}: each batch's {stat}", legendgroup=str(f),
                           marker=dict(color=color, symbol="circle-open", size=8)))
    traces.append(dict(type="scatter", x=[0, max(c.batches_seen, 1)], y=[truth, truth], mode="lines",
                       name=f"the distribution's {'mean' if stat == 'mean' else 'variance'}",
                       line=dict(color="grey", dash="dash", width=1)))
    what = "mean" if stat == "mean" else "variance (unbiased, n − 1)"
    return figure(traces, f"Running {what}, momentum {c.momentum:g}", height=380, legend="right",
                  xaxis=axis("training batches seen"), yaxis=axis(what))


# 4. K-fold cross-validation


def _segments(roles: list[str]) -> list[tuple[str, int, int]]:
    """(role, start, length) for each run of equal roles."""
    out, start = [], 0
    for i in range(1, len(roles) + 1):
        if i == len(roles) or roles[i] != roles[start]:
            out.append((roles[start], start, i - start))
            start = i
    return out


ROLE_STYLE = {"training": ("trains the model", PALE), "validation": ("validates (scored)", COLORS[0]),
              "held out": ("test set: untouched", HELD_OUT), "test": ("test set: scored once, at the end", COLORS[1])}


def _assignment_traces(result: KFoldResult) -> tuple[list[dict], list[str]]:
    """Horizontal bars, one row per run: which development rows train it and which score it; the test rows apart."""
    a = result.assignment
    dev, n_test = a[a["part"] == "development"], int((a["part"] == "test").sum())
    gap = max(4, len(dev) // 25)
    rows: dict[str, list[str]] = {f"fold {i}": ["validation" if f == i else "training" for f in dev["fold"]]
                                  for i in range(1, result.config.k + 1)}
    rows["80/20 split"] = ["validation" if s == "validation" else "training" for s in dev["split"]]
    rows["final model"] = ["training"] * len(dev)
    bars: dict[str, dict[str, list]] = {role: {"y": [], "x": [], "base": []} for role in ROLE_STYLE}
    for name, roles in rows.items():
        test_role = "test" if name == "final model" else "held out"
        for role, start, length in [*_segments(roles), (test_role, len(dev) + gap, n_test)]:
            bars[role]["y"].append(name)
            bars[role]["x"].append(length)
            bars[role]["base"].append(start)
    traces = [dict(type="bar", orientation="h", y=bar["y"], x=bar["x"], base=bar["base"], name=ROLE_STYLE[role][0],
                   marker=dict(color=ROLE_STYLE[role][1], line=dict(width=0)), xaxis="x", yaxis="y",
                   hovertemplate="%{y}: %{x} rows<extra>" + ROLE_STYLE[role][0] + "</extra>")
              for role, bar in bars.items() if bar["y"]]
    return traces, list(rows)


def _score_traces(result: KFoldResult) -> list[dict]:
    folds = result.folds
    labels = [f"fold {f}" for f in folds["fold"]]
    traces = [dict(type="scatter", x=labels, y=folds["val_acc"].to_numpy(), mode="markers", name="each fold",
                   marker=dict(color=COLORS[0], size=10), xaxis="x2", yaxis="y2", showlegend=False)]
    if len(folds):
        traces.append(dict(type="scatter", x=labels, y=[result.mean_acc] * len(labels), mode="lines",
                           line=dict(color=COLORS[0], dash="dash", width=1), xaxis="x2", yaxis="y2",
                           showlegend=False, hoverinfo="skip"))
        traces.append(dict(type="scatter", x=["mean ± std"], y=[result.mean_acc], mode="markers", xaxis="x2",
                           yaxis="y2", showlegend=False, marker=dict(color="black", size=12, symbol="diamond"),
                           error_y=dict(type="data", array=[result.std_acc], color="black", thickness=2, width=8)))
    if result.split_acc is not None:
        traces.append(dict(type="scatter", x=["80/20 split"], y=[result.split_acc], mode="markers", xaxis="x2",
                           yaxis="y2", showlegend=False, marker=dict(color=COLORS[2], size=12, symbol="square")))
    if result.test_acc is not None:
        traces.append(dict(type="scatter", x=["test (final model)"], y=[result.test_acc], mode="markers",
                           xaxis="x2", yaxis="y2", showlegend=False,
                           marker=dict(color=COLORS[1], size=12, symbol="star")))
    return traces


def kfold_figure(result: KFoldResult) -> go.Figure:
    """Top: which rows train and which validate each run, the test rows apart. Bottom: the accuracies."""
    bars, names = _assignment_traces(result)
    scores = _score_traces(result)
    unused = int((result.assignment["part"] == "unused").sum())
    note = f" ({unused} rows of the table unused)" if unused else ""
    title = (f"{result.config.k}-fold cross-validation: {result.mean_acc:.1%} ± {result.std_acc:.1%} "
             f"validation accuracy{note}")
    return figure(bars + scores, title, height=560, barmode="overlay",
                  xaxis=axis("development rows (shuffled), then the test rows", anchor="y", showgrid=False),
                  yaxis=dict(domain=[0.5, 1], anchor="x", autorange="reversed", categoryorder="array",
                             categoryarray=names),
                  xaxis2=axis(anchor="y2"),
                  yaxis2=axis("accuracy", domain=[0, 0.36], anchor="x2", tickformat=".0%"))
