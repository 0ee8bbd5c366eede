"""Drawing the Gradient descent page: the race's controls and results, and the learning-rate panels."""

import inspect

import numpy as np
import pandas as pd
import streamlit as st

from charts.surfaces import race_figure, race_loss_figure, side_by_side_figure
from engine.surfaces import (
    SURFACES,
    WELLS,
    RaceResult,
    distill_racers,
    measured_rate,
    optimal_rates,
    predicted_rate,
    step_details,
    wells,
)
from engine.trainer import OPTIMIZERS, optimizer_code
from jobs import Job
from ui.descent_params import LR_PARAM, LR_SIDES
from ui.figures import chart
from ui.page_state import PageState

OWN_HYPER = {  # the page's boxes for each optimizer's own hyperparameters
    "momentum": ("mom",), "nesterov": ("mom",), "rmsprop": ("alpha",), "adam": ("beta1", "beta2"),
    "adamw": ("beta1", "beta2", "wd"),
}


def race_controls(state: PageState) -> str | None:
    """The surface, the start, the racers and each racer's own settings; a sentence if they cannot run."""
    cols = st.columns([2, 1, 1, 1])
    surface = state.widget("surface", cols[0])
    state.widget("x0", cols[1])
    state.widget("y0", cols[2])
    state.widget("steps", cols[3])
    st.caption(SURFACES[surface].note)
    if surface == "quadratic":
        cols = st.columns([1, 2], vertical_alignment="bottom")
        state.widget("kappa", cols[0])
        cols[1].button("Use Distill's best settings for this κ", on_click=_use_distill, args=(state,),
                       help="Gradient descent and momentum at the step sizes (and β) that converge fastest on "
                            "this quadratic (Goh, “Why Momentum Really Works”, Distill 2017).")
    chosen = state.widget("opts")
    with st.expander("Learning rates and each optimizer's own hyperparameters", expanded=False):
        shown = []
        for name in chosen:
            cols = st.columns(4)
            state.widget(LR_PARAM[name], cols[0])
            for col, param in zip(cols[1:], OWN_HYPER.get(name, ()), strict=False):
                if param not in shown:  # shared boxes (momentum β, Adam's betas) appear once
                    state.widget(param, col)
                    shown.append(param)
    return _nesterov_problem(state.values(), chosen)


def _nesterov_problem(values: dict, chosen) -> str | None:
    if "nesterov" in chosen and values["mom"] == 0:
        return "Nesterov momentum needs a momentum β above 0 (with β = 0 it is plain SGD)."
    return None


def _use_distill(state: PageState) -> None:
    kappa = st.session_state[state.key("kappa")]
    gd, momentum = distill_racers(kappa)
    state.set(surface="quadratic", opts=("sgd", "momentum"), lr_sgd=gd.lr, lr_momentum=momentum.lr,
              mom=dict(momentum.hyper)["momentum"])


def race_result(job: Job) -> None:
    result: RaceResult = job.result
    key = ("race", result.config, result.status, result.steps_done)
    (st.warning if result.status == "diverged" or any(t.diverged_at for t in result.tracks) else st.caption)(
        result.message)
    chart(key + ("paths",), lambda: race_figure(result), "fig_gd_race_paths")
    _standings(result)
    _replay(result, key)
    with st.expander("Show the code"):
        st.code(_code(result), language="python")


@st.fragment
def _replay(result: RaceResult, key: tuple) -> None:
    """The replay slider, the loss chart that marks its step, and the step in numbers: moving it reruns only this."""
    longest = max(len(t.loss) for t in result.tracks) - 1
    if longest < 1:
        return
    at = st.slider("Replay step", 1, longest, min(longest, 10), key="gd_race_at",
                   help="What each optimizer computed at this step, in numbers.")
    chart(key + ("loss", at), lambda: race_loss_figure(result, at), "fig_gd_race_loss")
    table = _step_table(result, at)
    st.dataframe(table, width="stretch", height=35 * (len(table) + 1) + 3)  # every row, no inner scrolling


def _fmt(value) -> str:
    if np.ndim(value) == 0:
        return f"{float(value):.4g}"
    return "(" + ", ".join(f"{v:.4g}" for v in value) + ")"


def _step_table(result: RaceResult, t: int) -> pd.DataFrame:
    """Rows: what each optimizer computed at step t; columns: the optimizers."""
    columns = {}
    for track, racer in zip(result.tracks, result.config.racers, strict=True):
        if t >= len(track.loss):
            columns[track.name] = {"θ before the step": f"diverged at step {track.diverged_at}"}
            continue
        columns[track.name] = {what: _fmt(value) for what, value in step_details(track, racer, t)}
    return pd.DataFrame(columns).fillna("")


def _standings(result: RaceResult) -> None:
    """How each optimizer did; on the quadratic, its convergence rate beside the theory's."""
    quadratic = result.config.surface == "quadratic"
    kappa = result.config.kappa
    rows = []
    for track, racer in zip(result.tracks, result.config.racers, strict=True):
        if track.diverged_at:
            reached = f"diverged at step {track.diverged_at}"
        elif track.steps_to_minimum:
            reached = f"at step {track.steps_to_minimum}"
        else:
            reached = f"not within {len(track.loss) - 1} steps"
        row = {"optimizer": track.name, "final loss": f"{track.loss[-1]:.4g}",
               "within 0.01 of the global minimum": reached}
        if quadratic:
            predicted = predicted_rate(racer, kappa)
            measured = None if track.diverged_at else measured_rate(track, result.minimum)
            row |= {"measured rate": "—" if measured is None else f"{measured:.4f}",
                    "predicted rate": "—" if predicted is None else f"{predicted:.4f}"}
        rows.append(row)
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    if quadratic:
        best = optimal_rates(kappa)
        st.caption(f"Rate: how much each step shrinks the distance to the minimum (measured over the second half of "
                   f"the run); the smaller, the faster. Predicted: from the linear algebra of the update, for SGD "
                   f"and SGD + momentum. At their best settings for κ = {kappa:g}, gradient descent reaches "
                   f"(κ−1)/(κ+1) = {best.gd_rate:.4f} and momentum (√κ−1)/(√κ+1) = {best.momentum_rate:.4f} "
                   "(Goh, Distill 2017).")


def _code(result: RaceResult) -> str:
    config = result.config
    surface = SURFACES[config.surface]
    makers = "\n".join(f"    lambda point: {optimizer_code(r.optimizer, r.lr, r.hyper, params='[point]')},"
                       for r in config.racers)
    return f"""import torch
from torch import Tensor
{_helpers(surface)}

{inspect.getsource(surface.fn).strip()}


kappa = {config.kappa:g}
points, optimizers = [], []
for make in [
{makers}
]:
    point = torch.tensor({tuple(config.start)}, dtype=torch.float64, requires_grad=True)
    points.append(point)
    optimizers.append(make(point))

for step in range({config.steps}):
    for point, optimizer in zip(points, optimizers):
        optimizer.zero_grad()
        loss = {surface.fn.__name__}(point[0], point[1], kappa)
        loss.backward()
        optimizer.step()
        state = optimizer.state[point]  # 'momentum_buffer'; or Adam's 'exp_avg' (m) and 'exp_avg_sq' (v)
"""


def _helpers(surface) -> str:
    """What the surface's function refers to besides torch (the wells' table)."""
    return "" if surface.fn is not wells else f"\nWELLS = {WELLS}  # (x, y, depth)"


def lr_controls(state: PageState) -> str | None:
    cols = st.columns(5)
    for col, name in zip(cols, ("lr_opt", "lr_low", "lr_mid", "lr_high", "lr_steps"), strict=True):
        state.widget(name, col)
    st.caption("The optimizer's own hyperparameters (momentum β, RMSprop's α, Adam's betas, AdamW's weight decay) "
               "are the ones set in the race above.")
    return _nesterov_problem(state.values(), (state.values()["lr_opt"],))


def lr_result(job: Job) -> None:
    result: RaceResult = job.result
    key = ("lr", result.config, result.status, result.steps_done)
    chart(key, lambda: side_by_side_figure(result, LR_SIDES), "fig_gd_lr_sides")
    chart(key + ("loss",), lambda: race_loss_figure(result), "fig_gd_lr_loss")
    if any(t.diverged_at for t in result.tracks):
        st.caption(result.message)
    name = result.config.racers[0].optimizer
    if name in ("adam", "adamw", "adagrad"):
        st.caption(f"{OPTIMIZERS[name].label} divides each step by a running size of the gradient, so no step is "
                   "much longer than the learning rate: on this bowl too large a rate makes it bounce around the "
                   "minimum rather than fly off.")
    elif name == "rmsprop":
        st.caption("RMSprop divides each step by a running size of the gradient that starts at zero, so its first "
                   "step is about lr / √(1 − α), ten times lr with α = 0.99: a large rate flies off at once.")
