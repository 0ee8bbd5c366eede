"""Drawing the Gradient descent page's demos on real data: controls, live views and results."""

import inspect

import pandas as pd
import streamlit as st

from charts.descent_demos import (
    batch_epochs_figure,
    batch_seconds_figure,
    contour_figure,
    normalization_loss_figure,
    optimizer_live_figure,
    optimizer_loss_figure,
    schedule_loss_figure,
    schedule_lr_figure,
)
from charts.sweep import search_figure, search_lr_figure, sweep_figure, sweep_live_figure
from charts.training import runs_live_figure
from engine.descent_demos import (
    BATCH_MODEL,
    SCHEDULES,
    SOURCES,
    batch_size_steps,
    every_optimizer_steps,
    normalization_steps,
    schedule_steps,
)
from engine.search import grid_points, random_points, run_search
from jobs import Job
from ui.figures import chart
from ui.page_state import PageState
from ui.section_views import result_key, say, show_code, table, widget_row


def _source(*functions) -> None:
    """Show the code: the engine's own functions that ran, as they are."""
    show_code("\n\n".join(inspect.getsource(fn) for fn in functions))




# Eight learning rates on a real network

sweep_live = sweep_live_figure


def sweep_controls(state: PageState) -> None:
    widget_row(state, "sw_opt", "sw_steps")


def sweep_result(job: Job) -> None:
    result = job.result
    say(result)
    chart(result_key(job, "sweep"), lambda: sweep_figure(result), "fig_gd_sweep")
    st.dataframe(table(result.table, {"lr": "learning rate", "diverged_at": "diverged at step (0: never)",
                                       "train_loss": "training loss", "test_loss": "test loss",
                                       "test_acc": "test accuracy"}), hide_index=True)
    show_code(result.code)


# Batch, mini-batch and stochastic


batch_steps = batch_size_steps


def batch_live(rows: pd.DataFrame):
    return batch_epochs_figure(rows) if "train_loss" in rows else runs_live_figure(rows, "run")


def batch_controls(state: PageState) -> None:
    st.write(f"Three runs of the same {BATCH_MODEL} on the breast-cancer data, from the same starting weights: the "
             "whole training set per update, a mini-batch, and a single example. The loss drawn is always the loss "
             "on the whole training set.")
    widget_row(state, "bs_mini", "bs_epochs", "bs_lr", "bs_schedule")


def batch_result(job: Job) -> None:
    result = job.result
    say(result)
    cols = st.columns(2)
    chart(result_key(job, "batch_epochs"), lambda: batch_epochs_figure(result.history), "fig_gd_batch_epochs", cols[0])
    timed = result_key(job, "batch_seconds") + (tuple(result.runs["seconds"]),)  # measured, so not the same every run
    chart(timed, lambda: batch_seconds_figure(result.history), "fig_gd_batch_seconds", cols[1])
    st.markdown("**The arithmetic.** An epoch is one pass over the training set; an iteration is one update, on "
                "one batch. Iterations per epoch = ⌈examples ÷ batch size⌉.")
    st.dataframe(table(result.runs, {
        "label": "run", "n_train": "training examples", "batch_size": "batch size",
        "updates_per_epoch": "iterations per epoch", "total_updates": "iterations", "seconds": "seconds",
        "examples_per_second": "examples per second", "train_loss": "training loss", "test_acc": "test accuracy"}),
        hide_index=True)
    st.caption("Here an update costs about the same whatever its batch size, so the full batch works through far "
               "more examples per second (see the table), while batch size 1 makes hundreds of times more updates "
               "per epoch, each on a noisy estimate of the gradient. Mini-batches get much of both: many updates per "
               "epoch, each using the hardware well.")
    _source(*SOURCES["batch_sizes"])


# Input normalization


norm_steps = normalization_steps


def norm_live(rows: pd.DataFrame):
    return runs_live_figure(rows, "run")


def norm_controls(state: PageState) -> str | None:
    st.write("Linear regression on two measurements from the diabetes data, fitted by full-batch gradient descent "
             "at the best fixed learning rate for each version: first in their own units (centred, so that only "
             "the scale differs), then standardized: (x − mean) / std.")
    widget_row(state, "norm_x1", "norm_x2", "norm_steps")
    values = state.values()
    if values["norm_x1"] == values["norm_x2"]:
        return "Pick two different features: with the same one twice, the two weights are interchangeable and the " \
               "loss has no single minimum."
    return None


def norm_result(job: Job) -> None:
    result = job.result
    say(result)
    cols = st.columns(2)
    for col, run in zip(cols, result.runs, strict=False):
        chart(result_key(job, "norm_" + run.name), lambda run=run: contour_figure(result, run.name),
              f"fig_gd_norm_{run.name}", col)
        col.caption(f"Condition number {run.condition:,.4g}; learning rate {run.lr:.4g}; converged "
                    f"{run.converged_text}.")
    chart(result_key(job, "norm_loss"), lambda: normalization_loss_figure(result), "fig_gd_norm_loss")
    st.markdown("**What ε is for.** Standardizing divides by the standard deviation. A feature that never changes "
                "has a standard deviation of 0, and 0 ÷ 0 is not a number; a small ε in the denominator keeps the "
                "result finite (the same ε appears in Adam, RMSprop and batch normalization, for the same reason).")
    st.dataframe(result.epsilon, hide_index=True)
    _source(*SOURCES["normalization"])


# Learning-rate schedules


sched_steps = schedule_steps


def schedule_live(rows: pd.DataFrame):
    return schedule_loss_figure(rows) if "test_loss" in rows else runs_live_figure(rows, "schedule")


def schedule_controls(state: PageState) -> None:
    widget_row(state, "sched", "sched_lr", "sched_epochs")
    for schedule in SCHEDULES.values():
        st.caption(f"**{schedule.label}**: {schedule.formula_text}")
    st.caption("η is the peak rate, e the epoch, T the number of epochs, s the step interval, γ the step factor and "
               "W the warm-up epochs.")


def schedule_result(job: Job) -> None:
    result = job.result
    say(result)
    cols = st.columns(2)
    chart(result_key(job, "sched_lr"), lambda: schedule_lr_figure(result.history), "fig_gd_sched_lr", cols[0])
    chart(result_key(job, "sched_loss"), lambda: schedule_loss_figure(result.history), "fig_gd_sched_loss", cols[1])
    st.dataframe(table(result.finals, {"label": "schedule", "epochs_done": "epochs", "train_loss": "training loss",
                                        "test_loss": "test loss", "test_acc": "test accuracy"}), hide_index=True)
    _source(*SOURCES["schedules"])


# Grid versus random search


def search_live(rows: pd.DataFrame):
    """The best validation loss so far of each method's trials."""
    columns = {"grid_best_loss": "grid search", "random_best_loss": "random search"}
    if rows.empty or not set(columns) <= set(rows):
        return runs_live_figure(pd.DataFrame(), None)
    long = rows.melt(id_vars="step", value_vars=list(columns), var_name="method", value_name="loss")
    return runs_live_figure(long.assign(method=long["method"].map(columns)), "method", y="loss")


def search_controls(state: PageState) -> None:
    st.write("The same budget of trials for each method, over two hyperparameters: the learning rate, which "
             "matters a lot (sampled on a log scale), and a weight decay that barely matters here. All trials train "
             "together in one vectorized run.")
    widget_row(state, "hp_budget", "hp_seed")


def search_result(job: Job) -> None:
    result = job.result
    say(result)
    chart(result_key(job, "search"), lambda: search_figure(result), "fig_gd_search")
    chart(result_key(job, "search_lr"), lambda: search_lr_figure(result), "fig_gd_search_lr")
    _source(run_search, grid_points, random_points)


# The same network under every optimizer


every_steps = every_optimizer_steps
every_live = optimizer_live_figure


def every_controls(state: PageState) -> None:
    st.write("One small network on the breast-cancer data, from the same starting weights and with the same "
             "mini-batches, trained once with each optimizer at a learning rate that suits it.")
    widget_row(state, "every_steps", "every_seed")


def every_result(job: Job) -> None:
    result = job.result
    say(result)
    chart(result_key(job, "every"), lambda: optimizer_loss_figure(result.history), "fig_gd_every")
    table = pd.DataFrame([{"optimizer": r.label, "lr": r.lr, "train loss": r.train_loss, "test loss": r.test_loss,
                           "test accuracy": r.test_acc, "status": r.status} for r in result.runs])
    st.dataframe(table, hide_index=True)
    with st.expander("Show the code"):
        st.code("\n".join(r.code for r in result.runs), language="python")
