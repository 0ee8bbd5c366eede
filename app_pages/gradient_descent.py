from functools import partial

import streamlit as st

from ui.topics import BY_SLUG

TOPIC = BY_SLUG["gradient-descent"]
st.title(TOPIC.title)
st.write(
    "Gradient descent walks downhill: θ ← θ − lr · ∇L(θ). Every optimizer below is that idea plus a memory of past "
    "gradients. Race them on 2-D surfaces where you can see every step, then train real networks on real data."
)

# On a fresh server these imports load torch (seconds); the browser draws the title meanwhile.
from charts.surfaces import race_live_figure  # noqa: E402
from ui import descent_data_views as data_views  # noqa: E402
from ui import descent_views as views  # noqa: E402
from ui.job_panel import start_workers, training_section  # noqa: E402
from ui.lesson_view import lesson_links  # noqa: E402
from ui.page_state import PageState  # noqa: E402

RACE, SIDES, SWEEP, BATCH, NORM, SCHED, SEARCH, EVERY = TOPIC.tasks
state = PageState("gd_", TOPIC.params)
for note in state.start():
    st.warning(note)


section = partial(training_section, state)  # section(slot, task, controls, show_result, live_chart, ...)

st.header("Optimizers race on a loss surface")
st.write("Each optimizer is the real `torch.optim` class, moving one point (x, y) from the same start. "
         "Pick a step to see what each one computed there: its gradient, its memory and its update.")
section("gd_race", RACE, views.race_controls, views.race_result, race_live_figure, label="Race", autostart=True)

st.header("Learning rate: too small, about right, too large")
st.write("One optimizer, three learning rates, the same bowl (the quadratic with κ = 10). Too small crawls; too "
         "large overshoots further each step until it blows up.")
section("gd_lr", SIDES, views.lr_controls, views.lr_result, race_live_figure, label="Run")

st.subheader("Eight learning rates on a real network")
st.write("A small network on the breast-cancer data, trained at eight learning rates at once: the eight copies "
         "are stacked and step together in one vectorized run.")
section("gd_sweep", SWEEP, data_views.sweep_controls, data_views.sweep_result, data_views.sweep_live)

st.header("Batch, mini-batch and stochastic")
section("gd_batch", BATCH, data_views.batch_controls, data_views.batch_result, data_views.batch_live,
        steps=data_views.batch_steps)

st.header("Input normalization")
section("gd_norm", NORM, data_views.norm_controls, data_views.norm_result, data_views.norm_live,
        steps=data_views.norm_steps)

st.header("Learning-rate schedules")
section("gd_sched", SCHED, data_views.schedule_controls, data_views.schedule_result, data_views.schedule_live,
        steps=data_views.sched_steps)

st.header("Grid versus random search")
section("gd_search", SEARCH, data_views.search_controls, data_views.search_result, data_views.search_live)

st.header("The same network under every optimizer")
section("gd_every", EVERY, data_views.every_controls, data_views.every_result, data_views.every_live,
        steps=data_views.every_steps)

lesson_links(TOPIC.slug)
start_workers()
