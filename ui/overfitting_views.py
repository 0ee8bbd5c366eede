"""Drawing the Overfitting page: controls, live views and results of its demos, and the layers seen inside."""

import pandas as pd
import streamlit as st

from charts import overfitting as fit_charts
from charts import overfitting_sweeps as sweep_charts
from charts import regularization as reg_charts
from charts.training import runs_live_figure
from engine.overfitting import fit_steps
from engine.overfitting_sweeps import bias_variance_steps, capacity_steps, learning_curve_steps
from engine.regularization import (
    BatchNormConfig,
    batchnorm_inside,
    dropout_inside,
    dropout_rates_steps,
    kfold_steps,
)
from jobs import Job
from ui.figures import chart
from ui.page_state import PageState
from ui.section_views import result_key, say, show_code, table, widget_row

REMEDIES = ("l2", "l1", "dropout", "bn", "augment", "patience", "ensemble")












# Capacity against data, and the remedies

fit_progress = fit_steps


def fit_live(rows: pd.DataFrame):
    return fit_charts.fit_curves_figure(rows)


def fit_controls(state: PageState) -> str | None:
    widget_row(state, "task", "points", "noise")
    widget_row(state, "width", "depth", "steps", "seed")
    with st.expander("Remedies, each with its own strength", expanded=True):
        widget_row(state, "l2", "l1", "dropout", "bn")
        widget_row(state, "augment", "patience", "ensemble")
    values = state.values()
    if values["task"] == "classification" and values["noise"] > 0.45:
        return "For classification the noise is the share of flipped labels: at most 0.45, or the labels say " \
               "nothing at all."
    return None


def fit_result(job: Job) -> None:
    result = job.result
    say(result)
    cols = st.columns(3)
    cols[0].metric("Training loss", f"{result.train_loss:.4f}")
    cols[1].metric("Validation loss", f"{result.val_loss:.4f}")
    cols[2].metric("Gap (validation − training)", f"{result.gap:.4f}")
    cols = st.columns(2)
    chart(result_key(job, "fit"), lambda: fit_charts.fit_figure(result), "fig_of_fit", cols[0])
    chart(result_key(job, "fit_curves"), lambda: fit_charts.fit_curves_figure(result.history, result.best_step),
          "fig_of_fit_curves", cols[1])
    if result.ensemble_text:
        st.info(result.ensemble_text)
    st.caption(f"Weights: norm {result.weight_norm:.3g}; {result.near_zero:.0%} of them near zero. "
               f"Trained on {result.device}.")
    show_code(result.code)


# Validation error against capacity, learning curves, bias and variance

capacity_progress = capacity_steps
learning_progress = learning_curve_steps
bias_variance_progress = bias_variance_steps


def capacity_controls(state: PageState) -> None:
    widget_row(state, "cap_points", "cap_noise")


def capacity_live(rows: pd.DataFrame):
    return sweep_charts.capacity_live_figure(rows)


def capacity_result(job: Job) -> None:
    result = job.result
    say(result)
    chart(result_key(job, "capacity"), lambda: sweep_charts.capacity_figure(result), "fig_of_capacity")
    show_code(result.code)


def learning_controls(state: PageState) -> None:
    widget_row(state, "lc_width")


def learning_live(rows: pd.DataFrame):
    return sweep_charts.learning_curve_live_figure(rows)


def learning_result(job: Job) -> None:
    result = job.result
    say(result)
    chart(result_key(job, "learning"), lambda: sweep_charts.learning_curve_figure(result), "fig_of_learning")
    show_code(result.code)


def bias_variance_controls(state: PageState) -> None:
    widget_row(state, "bv_resamples")


def bias_variance_live(rows: pd.DataFrame):
    return sweep_charts.bias_variance_live_figure(rows)


def bias_variance_result(job: Job) -> None:
    result = job.result
    say(result)
    chart(result_key(job, "bias_variance"), lambda: sweep_charts.bias_variance_figure(result), "fig_of_bias_variance")
    show_code(result.code)


# K-fold cross-validation

kfold_progress = kfold_steps


def kfold_controls(state: PageState) -> None:
    widget_row(state, "kf_k", "kf_seed")


def kfold_live(rows: pd.DataFrame):
    return runs_live_figure(rows, "run")


def kfold_result(job: Job) -> None:
    result = job.result
    say(result)
    chart(result_key(job, "kfold"), lambda: reg_charts.kfold_figure(result), "fig_of_kfold")
    st.dataframe(table(result.folds, {"fold": "fold", "train_rows": "training rows", "val_rows": "validation rows",
                                       "train_acc": "training accuracy", "val_acc": "validation accuracy",
                                       "val_loss": "validation loss"}), hide_index=True)


# Dropout and batch normalization, inside

dropout_rates_progress = dropout_rates_steps


def dropout_rates_controls(state: PageState) -> None:
    widget_row(state, "dr_steps")


def dropout_rates_live(rows: pd.DataFrame):
    return reg_charts.dropout_rates_live(rows)


def dropout_rates_result(job: Job) -> None:
    result = job.result
    say(result)
    cols = st.columns(2)
    chart(result_key(job, "dropout_rates"), lambda: reg_charts.dropout_rates_figure(result), "fig_of_dropout_rates",
          cols[0])
    chart(result_key(job, "dropout_fits"), lambda: reg_charts.dropout_fit_figure(result), "fig_of_dropout_fits",
          cols[1])
    st.dataframe(table(result.finals, {"rate": "dropout rate p", "keep": "keep probability 1 − p",
                                        "train_loss": "training loss", "val_loss": "validation loss",
                                        "gap": "gap"}), hide_index=True)


def dropout_view(p: float) -> None:
    view = dropout_inside(p)
    chart(("dropout_inside", p), lambda: reg_charts.dropout_figure(view), "fig_of_dropout_inside")
    st.caption(f"p = {view.p:g} is the probability of dropping a unit (keep probability {view.keep:g}); survivors "
               f"are multiplied by 1/(1 − p) = {view.scale:.3g} at train time, so the expected output equals the "
               f"input: the mean over {view.samples:,} masks is drawn beside it. At eval time nothing is dropped.")


def batchnorm_view(state: PageState) -> None:
    """Its controls, a batch through a real nn.BatchNorm1d, and what the layer holds."""
    widget_row(state, "bn_batch", "bn_shift", "bn_scale")
    widget_row(state, "bn_gamma", "bn_beta", "bn_momentum", "bn_seen")
    values = state.values()
    config = BatchNormConfig(batch=values["bn_batch"], shift=values["bn_shift"], scale=values["bn_scale"],
                             gamma=values["bn_gamma"], beta=values["bn_beta"], momentum=values["bn_momentum"],
                             batches_seen=values["bn_seen"])
    view = batchnorm_inside(config)
    chart(("batchnorm_inside", config), lambda: reg_charts.batchnorm_figure(view), "fig_of_batchnorm")
    stats = pd.DataFrame({"batch mean": view.mean, "batch variance (÷n)": view.var,
                          "running mean": view.running_mean, "running variance": view.running_var})
    stats.index = [f"feature {i + 1}" for i in range(len(view.mean))]
    st.dataframe(stats.round(4))
    st.caption("What the layer holds: its learnable parameters and its buffers.")
    st.dataframe(view.parameters, hide_index=True)
