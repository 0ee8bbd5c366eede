"""Drawing the Backpropagation page: the step-by-step network, the losses, and initialization at depth."""

import pandas as pd
import streamlit as st

from charts import backprop as bp_charts
from charts import initialization as init_charts
from charts.training import accuracy_figure, loss_figure
from engine.backprop import step_by_step
from engine.init_training import HE_VARIANTS, REMEDIES, deep_runs_steps
from engine.initialization import glorot_view, gradient_depth_view
from engine.loss_demos import loss_train_steps, loss_view
from jobs import Job
from ui.backprop_params import step_config
from ui.figures import chart
from ui.page_state import PageState
from ui.section_views import result_key, say, show_code, table, widget_row

# Backpropagation, step by step (instant)


def step_view(state: PageState) -> None:
    """The inputs and weights as number boxes, then the forward pass, the backward pass and the update."""
    widget_row(state, "x1", "x2", "y", "loss", "lr")
    with st.expander("Weights and biases", expanded=True):
        widget_row(state, "w1", "w2", "b1")
        widget_row(state, "w3", "w4", "b2")
        widget_row(state, "w5", "w6", "b3")
    try:
        config = step_config(state.values())
        view = step_by_step(config)
    except ValueError as problem:
        st.warning(str(problem))
        return
    chart(("bp_network", config), lambda: bp_charts.network_figure(view), "fig_bp_network")
    cols = st.columns([2, 3])
    cols[0].markdown("**1. Forward pass: every value is cached**")
    cols[0].dataframe(view.forward.round(6), hide_index=True)
    cols[1].markdown("**2. Local derivatives, then the chain rule from the loss backwards**")
    cols[1].dataframe(view.local, hide_index=True)
    st.markdown(f"**3. Each weight's gradient three ways, and 4. the update w ← w − {config.lr:g} · ∂L/∂w**")
    g = view.gradients
    exact, tiny = st.column_config.NumberColumn(format="%.10f"), st.column_config.NumberColumn(format="%.1e")
    shown = g.assign(**{"|hand − autograd|": (g["by hand"] - g["autograd"]).abs(),
                        "|hand − finite diff.|": (g["by hand"] - g["finite difference"]).abs()})
    st.dataframe(shown, hide_index=True, column_config={
        "by hand": exact, "autograd": exact, "finite difference": exact, "|hand − autograd|": tiny,
        "|hand − finite diff.|": tiny, "new value": st.column_config.NumberColumn(format="%.6f")})
    st.caption(f"Largest difference from autograd: {view.max_autograd_error:.1e}; from the central finite difference "
               f"(h = 1e-6): {view.max_fd_error:.1e}. After the update the loss goes from {view.loss:.6g} to "
               f"{view.new_loss:.6g}.")
    st.markdown("**Why the forward values are cached**")
    st.dataframe(view.reuse, hide_index=True)
    st.caption(f"Every gradient reads o, h1 or h2, and the last layer's error ∂L/∂z3 is shared by all nine. With the "
               f"cache, one forward pass serves the whole backward pass. Without it, each gradient would recompute "
               f"the forward values it reads from the inputs: {view.without_cache} recomputed values for 9 gradients, "
               f"against 6 computed once. In a deep network the saving grows with depth: reusing the cache is what "
               f"keeps the backward pass to about twice the cost of the forward pass, however deep the network.")


# Loss functions


@st.cache_data(max_entries=64, show_spinner=False)
def _loss_view(p: float):
    return loss_view(p)


def loss_view_section(state: PageState) -> None:
    p = state.widget("p")
    view = _loss_view(float(p))
    cols = st.columns(2)
    chart(("bp_loss_gradient", p), lambda: bp_charts.loss_gradient_figure(view), "fig_bp_loss_gradient", cols[0])
    chart(("bp_loss_surface",), lambda: bp_charts.loss_surface_figure(view), "fig_bp_loss_surface", cols[1])
    ratio = abs(view.at_ce_grad) / max(abs(view.at_mse_grad), 1e-300)
    st.caption(f"Left: |∂L/∂z| against p. At p = {p:g}, cross-entropy's gradient at the logit is p − 1 = "
               f"{view.at_ce_grad:.3g}; mean squared error's is 2(p − 1)·p(1 − p) = {view.at_mse_grad:.3g}, "
               f"{ratio:.3g} times smaller: the sigmoid's slope p(1 − p) is nearly zero exactly where the model is "
               f"most wrong, and cross-entropy's log cancels it. Right: a logistic model with one weight on one "
               f"feature of the breast-cancer data; cross-entropy is convex in the weight and keeps rising on the "
               f"wrong side, while squared error flattens into a plateau there.")


loss_train_progress = loss_train_steps


def loss_train_controls(state: PageState) -> None:
    widget_row(state, "lt_out", "lt_wrong", "lt_lr", "lt_steps")


def loss_train_live(rows: pd.DataFrame):
    return bp_charts.loss_training_figure(rows)


def loss_train_result(job: Job) -> None:
    result = job.result
    say(result)
    chart(result_key(job, "loss_train"), lambda: bp_charts.loss_training_figure(result.history), "fig_bp_loss_train")
    st.dataframe(table(result.finals, {"loss": "loss", "steps_done": "steps", "train_acc": "training accuracy",
                                       "test_acc": "test accuracy", "wrong": "confidently wrong (p < 0.05)"}),
                 hide_index=True)
    show_code(result.code)


# Initialization: one deep network


def init_controls(state: PageState) -> None:
    widget_row(state, "scheme", "act", "depth")
    widget_row(state, "in_steps", "in_lr", "in_seed")


def init_live(rows: pd.DataFrame):
    return loss_figure(rows)


def init_result(job: Job) -> None:
    result = job.result
    say(result)
    cols = st.columns(2)
    chart(result_key(job, "init_acts"), lambda: init_charts.layer_histogram_figure(result.at_init),
          "fig_bp_init_acts", cols[0])
    chart(result_key(job, "init_grads"), lambda: init_charts.layer_histogram_figure(result.at_init, "gradients"),
          "fig_bp_init_grads", cols[1])
    cols = st.columns(2)
    chart(result_key(job, "init_symmetry"), lambda: init_charts.symmetry_figure(result.tracked),
          "fig_bp_init_symmetry", cols[0])
    chart(result_key(job, "init_accuracy"), lambda: accuracy_figure(result.history), "fig_bp_init_accuracy", cols[1])
    distinct = result.distinct
    same = all(d == 1 for d in distinct)
    st.caption(f"After training, units with different incoming weights per hidden layer: "
               f"{', '.join(map(str, distinct[:12]))}{' …' if len(distinct) > 12 else ''} (of "
               f"{result.config.width} each)." + (" Every unit in a layer is still a copy of the others: the network "
                                                  "has the capacity of one unit per layer." if same else ""))
    show_code(result.code)


# Glorot and Bengio (2010), and gradients against depth (instant)


@st.cache_data(max_entries=64, show_spinner=False)
def _glorot(depth: int, input_std: float):
    return glorot_view(depth, input_std)


def glorot_section(state: PageState) -> None:
    widget_row(state, "gl_depth", "gl_input")
    values = state.values()
    view = _glorot(int(values["gl_depth"]), float(values["gl_input"]))
    chart(("bp_glorot", view.depth, view.input_std), lambda: init_charts.glorot_figure(view), "fig_bp_glorot")
    st.caption(f"Largest over smallest per-layer activation spread: {view.spread['standard']:.3g}× with the standard "
               f"scheme, {view.spread['xavier']:.3g}× with Xavier. The standard scheme has Var(w) = 1/(3·fan_in), so "
               f"each layer shrinks the signal by about √3; Xavier's 2/(fan_in + fan_out) keeps it near 1. Larger "
               f"inputs push tanh into saturation, which also shrinks the spread layer by layer.")


@st.cache_data(max_entries=64, show_spinner=False)
def _gradients(depth: int, scheme: str):
    return gradient_depth_view(depth, scheme)


def gradient_depth_section(state: PageState) -> None:
    widget_row(state, "gd_depth", "gd_scheme")
    values = state.values()
    frame = _gradients(int(values["gd_depth"]), values["gd_scheme"])
    chart(("bp_grad_depth", values["gd_depth"], values["gd_scheme"]),
          lambda: init_charts.gradient_depth_figure(frame, values["gd_scheme"]), "fig_bp_grad_depth")
    first, last = frame.iloc[0], frame.iloc[-1]
    st.caption("First layer over last layer: " + ", ".join(
        f"{name} {first[name] / last[name]:.2g}" if last[name] > 0 else f"{name}: no gradient at all"
        for name in ("sigmoid", "tanh", "relu")) + ". A ratio far below 1 means the layers next to the input barely "
        "learn (vanishing); far above 1, they take huge steps (exploding).")


# He et al. (2015), and the remedies


deep_progress = deep_runs_steps


def he_controls(state: PageState) -> None:
    widget_row(state, "he_depth", "he_steps")


def remedies_controls(state: PageState) -> None:
    widget_row(state, "rm_depth", "rm_steps")


def he_live(rows: pd.DataFrame):
    return init_charts.deep_runs_figure(rows, {k: v.label for k, v in HE_VARIANTS.items()})


def remedies_live(rows: pd.DataFrame):
    return init_charts.deep_runs_figure(rows, {k: v.label for k, v in REMEDIES.items()})


def deep_result(job: Job) -> None:
    result = job.result
    (st.caption if result.status in ("finished", "diverged") else st.info)(result.message)  # a planned divergence
    labels = {k: v.label for k, v in result.config.variants.items()}
    column = "activation_std" if result.config.which == "he" else "weight_grad_norm"
    cols = st.columns(2)
    chart(result_key(job, "deep_runs"), lambda: init_charts.deep_runs_figure(result.history, labels),
          f"fig_bp_{result.config.which}_runs", cols[0])
    chart(result_key(job, "deep_layers"), lambda: init_charts.deep_layers_figure(result, column),
          f"fig_bp_{result.config.which}_layers", cols[1])
    st.dataframe(table(result.finals, {"label": "network", "steps_done": "steps", "train_loss": "training loss",
                                       "test_acc": "test accuracy", "status": "status"}), hide_index=True)
    if result.config.which == "remedies":
        st.caption("The exploding pair starts from the same weights, so their lines coincide at initialization; "
                   "clipping rescales any gradient whose total norm exceeds 1 before the update.")
    show_code(result.code)
