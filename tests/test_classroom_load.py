"""The classroom load test's protocol client: the widget values it sends, the rerun it builds, the page it keeps."""

import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.testing.v1 import AppTest

from bench.classroom_load import Page, chart_is_finite, percentile, plotly_numbers, rerun_message, widget_value


def _widgets_script():
    import streamlit as st

    st.slider("Units", 1, 64, 16, key="units")
    st.select_slider("Rate", options=[0.001, 0.01, 0.1], value=0.01, format_func=lambda v: f"{v:g}", key="rate")
    st.selectbox("Data", ["spiral", "moons"], index=1, format_func=str.title, key="data")
    st.multiselect("Functions", ["relu", "tanh", "gelu"], default=["relu", "gelu"], key="fns")
    st.number_input("Seed", 0, 9999, 7, step=1, key="seed")
    st.number_input("Share", 0.0, 1.0, 0.5, key="share")
    st.text_input("Name", "Ada", key="name")
    st.checkbox("Agree", True, key="agree")
    st.radio("Answer", ["yes", "no"], index=1, key="answer")


@pytest.fixture(scope="module")
def app():
    return AppTest.from_function(_widgets_script).run()


KINDS = {"slider": "slider", "select_slider": "slider", "selectbox": "selectbox", "multiselect": "multiselect",
         "number_input": "number_input", "text_input": "text_input", "checkbox": "checkbox", "radio": "radio"}


def test_widget_values_are_what_streamlits_own_test_client_sends(app):
    """For every widget kind the pages use, the value held for a freshly drawn widget is the one Streamlit's
    AppTest would send back for it: same WidgetState field, same value."""
    compared = 0
    for accessor, kind in KINDS.items():
        for widget in getattr(app, accessor):
            element = Element()
            getattr(element, kind).CopyFrom(widget.proto)
            expected = widget._widget_state
            field = expected.WhichOneof("value")
            value = getattr(expected, field)
            value = list(value.data) if field.endswith("_array_value") else value
            if kind == "number_input" and widget.proto.data_type == widget.proto.INT:
                field = "int_value"  # the browser sends an integer box's value as int_value; AppTest as a double
            assert widget_value(element) == (widget.proto.id, field, value), widget.label
            compared += 1
    assert compared == 9


def test_no_value_is_held_for_a_radio_without_a_choice_or_for_a_button():
    radio = Element()
    radio.radio.id, radio.radio.label = "$$ID-1-answer", "Answer"
    radio.radio.options.extend(["yes", "no"])
    button = Element()
    button.button.id, button.button.label = "$$ID-2-train", "Train"
    assert widget_value(radio) is None
    assert widget_value(button) is None


def test_a_value_the_server_sets_wins_over_the_default():
    element = Element()
    element.slider.id = "$$ID-3-width"
    element.slider.default[:] = [16.0]
    element.slider.value[:] = [40.0]
    element.slider.set_value = True
    assert widget_value(element) == ("$$ID-3-width", "double_array_value", [40.0])


def test_rerun_message_round_trips():
    msg = rerun_message("page-hash", {"$$ID-a": ("double_array_value", [17.0]), "$$ID-b": ("string_value", "Spiral"),
                                      "$$ID-c": ("int_value", 42), "$$ID-d": ("string_array_value", ["0.01"])},
                        url="http://127.0.0.1:8501/activations", query_string="width=17", trigger="$$ID-train",
                        fragment_id="frag-1")
    parsed = BackMsg.FromString(msg.SerializeToString())
    state = parsed.rerun_script
    assert parsed.WhichOneof("type") == "rerun_script"
    assert (state.page_script_hash, state.query_string, state.fragment_id) == ("page-hash", "width=17", "frag-1")
    assert not state.is_auto_rerun
    assert state.context_info.url == "http://127.0.0.1:8501/activations"
    widgets = {w.id: w for w in state.widget_states.widgets}
    assert list(widgets["$$ID-a"].double_array_value.data) == [17.0]
    assert widgets["$$ID-b"].string_value == "Spiral"
    assert widgets["$$ID-c"].int_value == 42
    assert list(widgets["$$ID-d"].string_array_value.data) == ["0.01"]
    assert widgets["$$ID-train"].trigger_value is True
    assert len(widgets) == 5


def test_a_navigation_rerun_carries_no_widgets():
    state = rerun_message("other-page", {}).rerun_script
    assert state.HasField("widget_states") and len(state.widget_states.widgets) == 0


def test_plotly_typed_arrays_are_decoded():
    y = np.array([0.5, 0.25, 0.125])
    spec = pio.to_json(go.Figure(go.Scatter(x=np.arange(3), y=y)), validate=False)
    assert "bdata" in spec  # plotly writes numpy arrays as base64 typed arrays
    trace = json.loads(spec)["data"][0]
    assert plotly_numbers(trace["y"]) == [0.5, 0.25, 0.125]
    assert plotly_numbers(trace["x"]) == [0.0, 1.0, 2.0]
    assert chart_is_finite(spec)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_chart_with_a_non_finite_number_is_caught(bad):
    spec = pio.to_json(go.Figure(go.Scatter(x=[0, 1, 2], y=np.array([1.0, bad, 2.0]))), validate=False)
    assert not chart_is_finite(spec)


def test_an_empty_chart_is_not_a_chart():
    assert not chart_is_finite(pio.to_json(go.Figure(go.Scatter(x=[], y=[])), validate=False))


def test_percentile_matches_numpy():
    values = [3.2, 0.4, 9.9, 1.0, 5.5, 2.2, 7.1]
    for p in (0, 50, 95, 100):
        assert percentile(values, p) == pytest.approx(np.percentile(values, p))
    assert percentile([], 95) is None


def _delta(path, fragment="", *, block=False, text=""):
    msg = ForwardMsg()
    msg.metadata.delta_path[:] = path
    msg.delta.fragment_id = fragment
    if block:
        msg.delta.add_block.allow_empty = True
    else:
        msg.delta.new_element.markdown.body = text
    return msg


def test_a_fragment_run_drops_what_it_and_the_fragments_inside_it_no_longer_draw():
    page = Page()
    for msg in (_delta([0, 0], "section", block=True), _delta([0, 0, 0], "section", text="Train"),
                _delta([0, 0, 1], "live", text="live chart"), _delta([0, 1], text="outside")):
        page.apply(msg, "run-1", [])
    page.finish("run-1", [])
    assert sorted(page.texts()) == ["Train", "live chart", "outside"]
    page.apply(_delta([0, 0], "section", block=True), "run-2", ["section"])
    page.apply(_delta([0, 0, 0], "section", text="Train"), "run-2", ["section"])
    page.finish("run-2", ["section"])
    assert sorted(page.texts()) == ["Train", "outside"]  # the live view inside the section is gone
    page.apply(_delta([0, 2], text="new"), "run-3", [])
    page.finish("run-3", [])
    assert page.texts() == ["new"]  # a full run keeps only what it drew
