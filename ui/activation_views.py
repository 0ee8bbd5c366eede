"""Drawing the Activation page: function cards, softmax, the network's controls and results."""

import re

import numpy as np
import streamlit as st
import torch

from charts.activations import curve_figure, softmax_figure
from charts.mlp import boundary_figure, dead_units_figure, gradient_figure, histogram_figure
from charts.training import accuracy_figure, loss_figure
from engine.activation_demo import MLPDemoResult, code_for
from engine.activations import ACTIVATIONS, curve, naive_softmax, softmax
from engine.datasets import DATASETS
from jobs import Job
from ui.figures import chart
from ui.page_state import PageState
from ui.params import ChoiceEach

MAX_LOGITS = 20
NETWORK_PARAMS = ("data", "noise", "classes", "depth", "width", "acts", "opt", "lr", "steps", "batch", "seed")
XOR_PARAMS = ("xact", "xwidth")


def function_cards(names: list[str], x_range: float, slope: float, k: int) -> None:
    """One card per chosen function: formula, facts, and f with f′."""
    if not names:
        st.info("Pick at least one function to plot.")
        return
    for row_start in range(0, len(names), 2):
        row = names[row_start:row_start + 2]
        for col, name in zip(st.columns(2), row, strict=False):
            act = ACTIVATIONS[name]
            setting = {"slope": slope, "k": k}.get(act.uses)  # the one setting this function takes, if any
            with col.container(border=True):
                st.markdown(f"**{act.label}**")
                st.latex(act.latex.replace(r"\alpha", f"{slope:g}") if act.uses == "slope" else act.latex)
                st.caption(f"Range: {act.output_range} · Zero-centred: {act.zero_centred}")
                chart(("curve", name, x_range, setting),
                      lambda name=name, act=act: curve_figure(curve(name, -x_range, x_range, slope=slope, maxout_k=k),
                                                              act.label),
                      f"act_curve_{name}")
                st.caption(act.note + act.plot_note)


def parse_logits(text: str) -> tuple[list[float], str]:
    """Numbers from the text box, or an explanation of what is wrong with it."""
    parts = [p for p in re.split(r"[,\s;]+", text.strip()) if p]
    if not parts:
        return [], "Type a few numbers, for example 2, 1, 0.1."
    if len(parts) > MAX_LOGITS:
        return [], f"Softmax here takes at most {MAX_LOGITS} numbers; you gave {len(parts)}."
    try:
        values = [float(p) for p in parts]
    except ValueError:
        bad = next(p for p in parts if not _is_number(p))
        return [], f"“{bad[:20]}” is not a number. Use numbers separated by commas."
    if not all(np.isfinite(values)):
        return [], "Use finite numbers (no inf or nan)."
    return values, ""


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def softmax_panel(text: str, temperature: float) -> None:
    values, problem = parse_logits(text)
    if problem:
        st.warning(problem)
        return
    z = torch.tensor(values, dtype=torch.float64)
    stable, naive = softmax(z, temperature), naive_softmax(z.float(), temperature)  # float32, as in a network
    if not torch.isfinite(stable).all():
        st.warning("These numbers are too large to work with even after subtracting the max. "
                   "Use values below about 10³⁰⁰ × T.")
        return
    labels = [f"z{i + 1} = {v:g}" for i, v in enumerate(values)]
    chart(("softmax", tuple(values), temperature), lambda: softmax_figure(labels, stable.numpy(), temperature),
          "act_softmax")
    cols = st.columns(2)
    if torch.isfinite(naive).all():
        cols[0].success("The formula as written, e^z / Σe^z, agrees here: no overflow.")
    else:
        cols[0].error("The formula as written gives NaN here: e^z overflows float32 (above about 88). "
                      "Subtracting max(z) first gives the bars above, unchanged in exact arithmetic.")
    if len(values) == 2:
        sig = torch.sigmoid((z[0] - z[1]) / temperature).item()
        cols[1].info(f"Two logits: softmax(z)₁ = σ((z₁ − z₂)/T) = {sig:.4f}, the sigmoid of their difference.")
    else:
        cols[1].info("Raising T flattens the distribution toward uniform; lowering it sharpens toward the max. "
                     "The order of the entries never changes.")


def network_controls(state: PageState) -> None:
    """Data, network and training settings in three columns."""
    data_col, net_col, train_col = st.columns(3)
    with data_col:
        st.markdown("**Data**")
        fixed = DATASETS[state.widget("data")].fixed_classes
        state.widget("noise")
        state.widget("classes", disabled=fixed is not None)
    with net_col:
        st.markdown("**Network**")
        state.widget("depth")
        state.widget("width")
        state.widgets_each("acts")
    with train_col:
        st.markdown("**Training**")
        for name in ("opt", "lr", "steps", "batch", "seed"):
            state.widget(name)


def network_result(job: Job) -> None:
    """Everything one trained network shows."""
    result: MLPDemoResult = job.result
    note = " · served from the cache" if job.cached else ""
    st.caption(f"{result.message} Trained on {result.device} in {result.seconds:.2f} s{note}.")
    if result.status == "diverged":
        st.error(result.message)
    history = result.history
    if history.empty:
        st.warning("Nothing to plot: the run stopped before its first report.")
        return
    last = history.iloc[-1]
    cols = st.columns(4)
    cols[0].metric("Train accuracy", f"{last.train_acc:.1%}")
    cols[1].metric("Test accuracy", f"{last.test_acc:.1%}")
    cols[2].metric("Train loss", f"{last.train_loss:.3f}")
    cols[3].metric("Test loss", f"{last.test_loss:.3f}")
    key = (result.config, result.status, result.steps_done)  # a run is deterministic given these
    left, right = st.columns(2)
    chart(key + ("boundary",), lambda: boundary_figure(result), "act_boundary", left)
    chart(key + ("loss",), lambda: loss_figure(history), "act_loss", right)
    left, right = st.columns(2)
    chart(key + ("accuracy",), lambda: accuracy_figure(history), "act_acc", left)
    if result.layers:
        chart(key + ("gradients",), lambda: gradient_figure(history), "act_grads", right)
        left, right = st.columns(2)
        chart(key + ("histograms",), lambda: histogram_figure(result), "act_hist", left)
        if any(ACTIVATIONS[name].can_die for name in result.config.activations):
            chart(key + ("dead",), lambda: dead_units_figure(history), "act_dead", right)
        else:
            right.caption("Dead units are tracked for layers whose output can be exactly 0 for every input "
                          "(ReLU and step). This network has none.")
    with st.expander("Show the code"):
        st.caption("A standalone PyTorch script that trains exactly this network, step for step.")
        st.code(code_for(result.config), language="python")


def linked_to(state: PageState, names: tuple[str, ...]) -> bool:
    """Whether the latest preset link (a lesson's Try-it, say) set any of these parameters."""
    keys = set()
    for name in names:
        param = state.spec[name]
        items = range(1, param.max_items + 1) if isinstance(param, ChoiceEach) else (None,)
        keys |= {state.key(name, i) for i in items}
    return state.linked(keys)


def xor_controls(state: PageState) -> None:
    """The XOR section's settings: the hidden layer of the MLP (the perceptron has none)."""
    cols = st.columns(2)
    state.widget("xact", cols[0])
    state.widget("xwidth", cols[1])


def xor_result(job: Job) -> None:
    cols = st.columns(2)
    for col, name, run in ((cols[0], "Single-layer perceptron", job.result.perceptron),
                           (cols[1], "One hidden layer", job.result.mlp)):
        with col:
            if run is None or run.history.empty:
                st.info(f"{name}: stopped before it trained.")
                continue
            last = run.history.iloc[-1]
            title = f"{name}: {last.train_acc:.0%} train accuracy, loss {last.train_loss:.3f}"
            chart((run.config, run.status, run.steps_done, "xor"), lambda run=run, title=title:
                  boundary_figure(run, title), f"act_xor_{run is job.result.mlp}")
