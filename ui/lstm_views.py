"""Drawing the Recurrent networks page: each demo's controls, live view and result, and one step in numbers."""

import numpy as np
import pandas as pd
import streamlit as st

from charts import recurrent as charts
from charts.training import runs_live_figure
from engine.recurrent_demos import GatesResult, bi_steps, compare_steps, explode_steps, flow_steps, gates_steps
from engine.sequence_tasks import TASKS
from jobs import Job
from ui.figures import chart
from ui.page_state import PageState
from ui.section_views import result_key, say, show_code, widget_row

STEP_KEY = "rnn_step_at"  # the inspection's time-step slider (a view setting, not part of the address)
UNIT_KEY = "rnn_step_unit"


def runs_live(rows: pd.DataFrame):
    return runs_live_figure(rows, "run")


# Train, then look inside

gates_progress = gates_steps


def gates_controls(state: PageState) -> str | None:
    task = state.widget("task")
    st.caption(TASKS[task].note)
    widget_row(state, "model", "cell", "T", "hidden")
    widget_row(state, "steps", "lr", "fb", "seed")
    return None


def gates_live(rows: pd.DataFrame):
    return charts.training_figure(rows)


def gates_result(job: Job) -> None:
    result: GatesResult = job.result
    say(result)
    cols = st.columns(3)
    score = f"{result.score:.0%}" if result.score_name == "accuracy" else f"{result.score:.4f}"
    cols[0].metric(f"Test {result.score_name}", score)
    cols[1].metric("Trained in", f"{result.seconds:.1f} s")
    cols[2].metric("Written-out cell vs trained layer", f"{result.match_gap:.1e}",
                   help="The largest difference between their hidden states on this sequence.")
    st.caption(f"Trained by {result.trained_with} on {result.device}; inspected with the written-out cell, loaded "
               "with the trained weights.")
    cols = st.columns([1, 2])
    chart(result_key(job, "rnn_loss"), lambda: charts.training_figure(result.history, result.score_name),
          "fig_rnn_loss", cols[0])
    cols[1].dataframe(_sequence_table(result), height=300)
    chart(result_key(job, "rnn_gates"), lambda: charts.gates_figure(result), "fig_rnn_gates")
    step_in_numbers(result)
    show_code(result.code)


def _sequence_table(result: GatesResult) -> pd.DataFrame:
    return pd.DataFrame({"input": result.steps_text, "target": result.target_text, "answer": result.output_text},
                        index=pd.RangeIndex(1, len(result.steps_text) + 1, name="step"))


@st.fragment
def step_in_numbers(result: GatesResult) -> None:
    """The time-step slider and that step's equations in numbers: moving it reruns only this."""
    length, hidden = len(result.steps_text), result.trace["h"].shape[1]
    for key, top in ((STEP_KEY, length), (UNIT_KEY, hidden)):  # a new run may be shorter or narrower
        if st.session_state.get(key, 1) > top:
            st.session_state[key] = top
    cols = st.columns([3, 1])
    t = cols[0].slider("Time step", 1, length, min(length, 2), key=STEP_KEY) if length > 1 else 1
    unit = cols[1].number_input("Unit", 1, hidden, 1, key=UNIT_KEY)
    st.markdown(f"**Step {t}** reads `{result.steps_text[t - 1]}`. Unit {unit}:")
    st.markdown("\n".join(f"- {line}" for line in step_equations(result, t, int(unit))))
    st.dataframe(step_table(result, t), height=min(35 * (hidden + 1) + 3, 400))


def _prev(trace: dict, name: str, t: int) -> np.ndarray:
    """The state before step t (1-based): zeros before the first."""
    return trace[name][t - 2] if t > 1 else np.zeros_like(trace[name][0])


def _n(value: float) -> str:
    """A number for an equation: three decimals, negatives in parentheses."""
    return f"({value:.3f})" if value < 0 else f"{value:.3f}"


def step_equations(result: GatesResult, t: int, unit: int) -> list[str]:
    """The cell's equations at step t for one unit, with the numbers it computed."""
    tr, j = result.trace, unit - 1
    v = {name: _n(float(values[t - 1][j])) for name, values in tr.items()}
    h_prev = _n(float(_prev(tr, "h", t)[j]))
    one_minus_z = _n(1 - float(tr["z"][t - 1][j])) if "z" in tr else ""
    if result.config.model == "lstm":
        c_prev = _n(float(_prev(tr, "c", t)[j]))
        return [
            f"input gate: $i = \\sigma(z_i) = \\sigma({v['z_i']}) = {v['i']}$",
            f"forget gate: $f = \\sigma(z_f) = \\sigma({v['z_f']}) = {v['f']}$",
            f"candidate: $g = \\tanh(z_g) = \\tanh({v['z_g']}) = {v['g']}$",
            f"output gate: $o = \\sigma(z_o) = \\sigma({v['z_o']}) = {v['o']}$",
            f"cell: $c_t = f\\,c_{{t-1}} + i\\,g = {v['f']} \\cdot {c_prev} + {v['i']} \\cdot "
            f"{v['g']} = {v['c']}$",
            f"hidden: $h_t = o \\tanh(c_t) = {v['o']} \\cdot \\tanh({v['c']}) = {v['h']}$",
            f"each $z$ is that gate's row of $W_{{ih}} x_t + b_{{ih}} + W_{{hh}} h_{{t-1}} + b_{{hh}}$, which reads "
            f"every unit's $h_{{t-1}}$ (this unit's: {float(_prev(tr, 'h', t)[j]):.3f}; the others' are in the "
            "table).",
        ]
    return [
        f"reset gate: $r = \\sigma({v['a_r']}) = {v['r']}$",
        f"update gate: $z = \\sigma({v['a_z']}) = {v['z']}$",
        f"candidate: $n = \\tanh(W_{{in}} x_t + b_{{in}} + r\\,(W_{{hn}} h_{{t-1}} + b_{{hn}})) = "
        f"\\tanh({v['a_nx']} + {v['r']} \\cdot {v['a_nh']}) = {v['n']}$",
        f"hidden: $h_t = (1 - z)\\,n + z\\,h_{{t-1}} = {one_minus_z} \\cdot {v['n']} + {v['z']} \\cdot "
        f"{h_prev} = {v['h']}$",
    ]


def step_table(result: GatesResult, t: int) -> pd.DataFrame:
    """Every unit's values at step t."""
    tr = result.trace
    columns = {"h before": _prev(tr, "h", t)}
    if result.config.model == "lstm":
        columns["c before"] = _prev(tr, "c", t)
        names = ("i", "f", "g", "o", "c", "h")
    else:
        names = ("r", "z", "n", "h")
    columns |= {name: tr[name][t - 1] for name in names}
    frame = pd.DataFrame(columns, index=pd.RangeIndex(1, len(tr["h"][0]) + 1, name="unit"))
    return frame.rename(columns={"c": "c after", "h": "h after"}).round(3)


# RNN against GRU against LSTM

compare_progress = compare_steps


def compare_controls(state: PageState) -> str | None:
    widget_row(state, "cmp_task", "cmp_steps", "cmp_fb")
    lengths = state.widget("cmp_lengths")
    if not lengths:
        return "Choose at least one sequence length."
    return None


def compare_result(job: Job) -> None:
    result = job.result
    say(result)
    chart(result_key(job, "rnn_compare"), lambda: charts.compare_figure(result), "fig_rnn_compare")
    table = result.scores.pivot(index="length", columns="model", values="score").round(3)
    st.dataframe(table)
    st.caption(f"Every model trained for {result.config.steps} steps from seed {result.config.seed}; the LSTM and "
               f"the GRU started with memory bias b = {result.config.forget_bias:g}.")
    show_code(result.code)


# Gradients through time

flow_progress = flow_steps


def flow_controls(state: PageState) -> str | None:
    widget_row(state, "flow_T", "flow_steps")
    return None


def flow_result(job: Job) -> None:
    result = job.result
    say(result)
    chart(result_key(job, "rnn_flow"), lambda: charts.flow_figure(result), "fig_rnn_flow")
    st.dataframe(result.scores[["model", "score"]].rename(columns={"score": f"test {result.score_name}"}).round(3),
                 hide_index=True)
    show_code(result.code)


# Exploding gradients

explode_progress = explode_steps


def explode_controls(state: PageState) -> str | None:
    widget_row(state, "ex_scale", "ex_clip", "ex_window", "ex_steps")
    return None


def explode_result(job: Job) -> None:
    result = job.result
    say(result)
    cols = st.columns(2)
    chart(result_key(job, "rnn_explode_norms"), lambda: charts.explode_norms_figure(result), "fig_rnn_explode_norms",
          cols[0])
    chart(result_key(job, "rnn_explode_loss"), lambda: charts.explode_loss_figure(result), "fig_rnn_explode_loss",
          cols[1])
    counts = ", ".join(f"{row.run} {row.batches}" for row in result.finals.itertuples())
    st.caption(f"Each run made {result.config.steps} SGD updates. Truncated BPTT makes one per window of "
               f"{result.config.window} steps, so it reads fewer batches of sequences: {counts}.")
    show_code(result.code)


# Bidirectional

bi_progress = bi_steps


def bi_controls(state: PageState) -> str | None:
    widget_row(state, "bi_T", "bi_steps")
    return None


def bi_result(job: Job) -> None:
    result = job.result
    say(result)
    chart(result_key(job, "rnn_bi"), lambda: charts.bi_figure(result), "fig_rnn_bi")
    show_code(result.code)
