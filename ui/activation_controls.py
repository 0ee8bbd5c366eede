"""Widgets of the Activation functions page. Each *_ui() collects widgets and returns plain values."""

import streamlit as st

from engine.activation_demo import MLPDemoConfig, XorConfig
from engine.activations import ACTIVATIONS
from engine.datasets import DATASETS
from engine.trainer import OPTIMIZERS, TrainSettings
from ui import url_params
from ui.activation_params import BATCH_SIZES, LEARNING_RATES, PARAMS

PREFIX = "act_"  # session keys of this page
MAX_DEPTH = int(PARAMS["depth"].high)
SAVED = PREFIX + "saved"  # widget values kept for the session; Streamlit drops widget state on other pages
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "SGD + momentum 0.9", "adam": "Adam"}


def _key(name: str) -> str:
    return PREFIX + name


def _label(name: str) -> str:
    return ACTIVATIONS[name].label


def init_state() -> list[str]:
    """Fill the widget state this page lacks: from this session's last visit, the URL, or the defaults.

    Returns notes on URL values that were ignored.
    """
    saved = st.session_state.get(SAVED, {})
    for key, value in saved.items():
        st.session_state.setdefault(key, value)
    values, notes = url_params.read(PARAMS, st.query_params.to_dict())
    acts = values.pop("acts") or ("relu",)
    for layer in range(1, MAX_DEPTH + 1):
        values[f"layer_{layer}"] = acts[min(layer, len(acts)) - 1]
    missing = {name: value for name, value in values.items() if _key(name) not in st.session_state}
    for name, value in missing.items():
        st.session_state[_key(name)] = list(value) if isinstance(value, tuple) else value
    return notes if missing and not saved else []


def sync_url() -> None:
    """Keep the widget values for later visits, and write those that differ from their defaults into the
    URL, so the page can be shared."""
    shown = {key: st.session_state[key] for key in _widget_keys() if key in st.session_state}
    st.session_state[SAVED] = st.session_state.get(SAVED, {}) | shown  # hidden layers keep their choice
    values = {name: st.session_state.get(_key(name)) for name in PARAMS if name != "acts"}
    values["acts"] = tuple(st.session_state[_key(f"layer_{i}")] for i in range(1, values["depth"] + 1))
    query = {}
    for name, value in values.items():
        param = PARAMS[name]
        value = tuple(value) if isinstance(value, list) else value
        if value is not None and value != param.default:
            query[name] = param.format(value)
    if query != st.query_params.to_dict():
        st.query_params.from_dict(query)


def _widget_keys() -> list[str]:
    return [_key(name) for name in PARAMS if name != "acts"] + [_key(f"layer_{i}") for i in range(1, MAX_DEPTH + 1)]


def explorer_ui() -> tuple[list[str], float, float, int]:
    names = st.multiselect("Functions", list(ACTIVATIONS), key=_key("fns"), format_func=_label)
    cols = st.columns(3)
    x_range = cols[0].slider("x from −r to r", 1.0, 20.0, step=0.5, key=_key("xrange"))
    slope = cols[1].slider("Leaky ReLU slope α", 0.0, 0.5, step=0.01, key=_key("slope"))
    k = cols[2].slider("Maxout pieces k", 2, 6, key=_key("k"))
    return names, x_range, slope, k


def softmax_ui() -> tuple[str, float]:
    cols = st.columns([3, 2])
    text = cols[0].text_input("Logits z (numbers separated by commas)", key=_key("logits"), max_chars=500)
    temperature = cols[1].slider("Temperature T", 0.05, 10.0, step=0.05, key=_key("temp"))
    return text, temperature


def network_ui() -> MLPDemoConfig:
    """The network demo's controls, returned as the job's config."""
    data_col, net_col, train_col = st.columns(3)
    with data_col:
        st.markdown("**Data**")
        dataset = st.selectbox("Dataset", list(DATASETS), key=_key("data"), format_func=lambda d: DATASETS[d].label)
        noise = st.slider("Noise", 0.0, 0.5, step=0.01, key=_key("noise"))
        fixed = DATASETS[dataset].fixed_classes
        classes = st.slider("Classes", 2, 5, key=_key("classes"), disabled=fixed is not None,
                            help="XOR, circles and moons always have two classes.")
    with net_col:
        st.markdown("**Network**")
        depth = st.slider("Hidden layers", 0, MAX_DEPTH, key=_key("depth"),
                          help="0 hidden layers is a single-layer perceptron (logistic regression).")
        width = st.slider("Units per hidden layer", 1, 64, key=_key("width"))
        layer_cols = st.columns(2)
        acts = tuple(layer_cols[(i - 1) % 2].selectbox(f"Layer {i}", list(ACTIVATIONS), key=_key(f"layer_{i}"),
                                                      format_func=_label) for i in range(1, depth + 1))
    with train_col:
        st.markdown("**Training**")
        optimizer = st.selectbox("Optimizer", list(OPTIMIZERS), key=_key("opt"), format_func=OPTIMIZER_LABELS.get)
        lr = st.select_slider("Learning rate", LEARNING_RATES, key=_key("lr"), format_func=lambda v: f"{v:g}")
        steps = st.slider("Steps", 10, 3000, step=10, key=_key("steps"))
        batch = st.select_slider("Batch size", BATCH_SIZES, key=_key("batch"),
                                 format_func=lambda b: "full batch" if b == 0 else str(b))
        seed = st.number_input("Seed", 0, 9999, step=1, key=_key("seed"))
    return MLPDemoConfig(
        dataset=dataset, noise=noise, classes=classes if fixed is None else fixed, activations=acts,
        width=width,
        # The explorer's sliders matter to the network only when a layer uses them.
        slope=st.session_state[_key("slope")] if "leaky_relu" in acts else PARAMS["slope"].default,
        maxout_k=st.session_state[_key("k")] if "maxout" in acts else PARAMS["k"].default,
        train=TrainSettings(steps=steps, batch_size=batch, optimizer=optimizer, lr=lr), seed=int(seed),
    )


def xor_ui() -> XorConfig:
    cols = st.columns(2)
    activation = cols[0].selectbox("Hidden-layer activation", list(ACTIVATIONS), key=_key("xact"),
                                   format_func=_label)
    width = cols[1].slider("Hidden units", 2, 16, key=_key("xwidth"))
    return XorConfig(hidden_activation=activation, width=width)
