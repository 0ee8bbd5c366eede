import streamlit as st

from charts.training import loss_figure
from engine.activation_demo import run, run_xor
from ui import activation_controls as controls
from ui import job_view
from ui.activation_views import function_cards, network_result, softmax_panel, xor_result
from ui.lesson_view import lesson_links

st.title("Activation functions")
st.write(
    "An activation decides what a neuron passes on. Compare the functions and their slopes, "
    "then train a real PyTorch network and watch what each choice does to learning."
)
for note in controls.init_state():
    st.warning(note)

st.header("The functions and their derivatives")
st.caption("f(x) is drawn solid and f′(x), computed by autograd, dashed. Shaded: |f′(x)| < 0.05, "
           "where almost no gradient gets through.")
function_cards(*controls.explorer_ui())

st.header("Softmax")
st.write("Softmax turns a vector of scores into probabilities: softmax(z)ᵢ = e^(zᵢ/T) / Σⱼ e^(zⱼ/T).")
softmax_panel(*controls.softmax_ui())

st.header("Train a network")
st.write("A multilayer perceptron with its own activation in every hidden layer, trained live.")
config = controls.network_ui()
if st.button("Train", type="primary", icon=":material/play_arrow:") or job_view.current("act_net") is None:
    job_view.submit("act_net", run, config)
if job_view.submitted_config("act_net") not in (None, config):
    st.info("The settings changed since the last run: press **Train** to see them in action.")
job = job_view.show("act_net", lambda submitted: submitted.train.steps, lambda rows: st.plotly_chart(
    loss_figure(rows, "Loss so far"), key="act_live_loss"))
if job is not None and job.result is not None:
    network_result(job.result, job.cached)

st.header("XOR, side by side")
st.write("No straight line separates XOR's classes: the best single line gets three of the four clusters "
         "right (75%), and a perceptron trained by gradient descent usually ends near chance with its weights "
         "near zero. One hidden layer bends the boundary and solves it.")
xor_config = controls.xor_ui()
if st.button("Train both", icon=":material/play_arrow:"):
    job_view.submit("act_xor", run_xor, xor_config)
xor_job = job_view.show("act_xor", lambda submitted: 2 * submitted.steps, lambda rows: st.plotly_chart(
    loss_figure(rows, "Loss so far (perceptron, then MLP)"), key="act_xor_live"))
if xor_job is not None and xor_job.result is not None:
    xor_result(xor_job.result)

lesson_links("activations")
controls.sync_url()
