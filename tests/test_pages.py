import json
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lessons import load_all

TIMEOUT = 60
APP = str(Path(__file__).parent.parent / "app.py")


def settle(at: AppTest, until, timeout: float = 60) -> AppTest:
    """Rerun the page (as the live view's polling would) until `until(at)` holds."""
    deadline = time.monotonic() + timeout
    while not until(at):
        assert time.monotonic() < deadline, "the page did not settle"
        time.sleep(0.2)
        at.run(timeout=TIMEOUT)
    return at


def no_exception(at: AppTest) -> bool:
    assert not at.exception, [e.value for e in at.exception]
    return True


def open_page(path: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page(path).run()
    return at


def charts(at: AppTest) -> list:
    return at.get("plotly_chart")


def trained(at: AppTest) -> bool:
    return no_exception(at) and any("Trained on" in c.value for c in at.caption)


def test_home_page_links_in_app_to_every_topic_and_lesson():
    from ui.topics import TOPICS

    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    no_exception(at)
    assert at.title[0].value == "Deep Learning Interview Lab"
    targets = {link.proto.page for link in at.get("page_link")}  # page links switch pages without a reload
    assert targets == ({topic.slug for topic in TOPICS} | {f"lesson-{lesson.id}" for lesson in load_all()}
                       | {"mock-interview"})


def test_activation_page_trains_the_default_network_and_shows_its_results():
    at = settle(open_page("app_pages/activations.py"), trained)
    assert any(m.label == "Test accuracy" for m in at.metric)
    assert any("import torch" in c.value for c in at.code)
    assert any("cpu" in c.value for c in at.caption)  # the device that trained it


def test_choosing_functions_changes_the_cards():
    at = open_page("app_pages/activations.py")
    cards = lambda: [c for c in charts(at) if "act_curve_" in c.proto.id]
    assert len(cards()) == 3
    at.multiselect(key="act_fns").set_value(["relu"]).run()
    no_exception(at)
    assert len(cards()) == 1
    assert any(r"\max(0, x)" in latex.value for latex in at.latex)


def test_a_bad_softmax_vector_gets_a_message_not_an_error():
    at = open_page("app_pages/activations.py")
    at.text_input(key="act_logits").set_value("1, two, 3").run()
    no_exception(at)
    assert any("“two” is not a number" in w.value for w in at.warning)
    at.text_input(key="act_logits").set_value("1000, 999, 998").run()
    assert any("gives NaN" in e.value for e in at.error)


def boundary_points(at: AppTest) -> list:
    """The x coordinates of the training points in the decision-boundary chart."""
    chart = next(c for c in charts(at) if c.proto.id.endswith("act_boundary"))
    return json.loads(chart.proto.spec)["data"][1]["x"]


def test_training_with_another_dataset_changes_the_result():
    at = settle(open_page("app_pages/activations.py"), trained)
    before = boundary_points(at)
    at.selectbox(key="act_data").set_value("xor").run()
    assert any("settings changed" in i.value for i in at.info)
    at.button(key="act_net_train").click().run()
    at = settle(at, lambda a: trained(a) and not any("settings changed" in i.value for i in a.info))
    assert boundary_points(at) != before


def test_a_preset_link_sets_the_widgets_and_reports_ignored_values():
    at = open_page("app_pages/activations.py", {"data": "xor", "depth": "1", "acts": "tanh", "width": "oops"})
    no_exception(at)
    assert at.selectbox(key="act_data").value == "xor"
    assert at.slider(key="act_depth").value == 1
    assert at.selectbox(key="act_acts_1").value == "tanh"
    assert any("width=oops" in w.value for w in at.warning)


def test_a_diverging_run_says_so_and_plots_no_nan():
    at = open_page("app_pages/activations.py", {"opt": "sgd", "lr": "100"})
    at = settle(at, trained)
    assert any("Diverged at step" in e.value for e in at.error)
    specs = [c.proto.spec for c in charts(at)]
    assert specs and not any("NaN" in spec or "Infinity" in spec for spec in specs)


def lesson_script(lesson_id):
    from lessons import load_all
    from ui.lesson_view import render

    render(next(lesson for lesson in load_all() if lesson.id == lesson_id))


@pytest.mark.parametrize("lesson", load_all(), ids=lambda lesson: lesson.id)
def test_every_lesson_page_renders_each_question_and_quiz_item(lesson):
    at = AppTest.from_function(lesson_script, args=(lesson.id,), default_timeout=TIMEOUT).run()
    no_exception(at)
    assert at.title[0].value == lesson.title
    assert [s.value for s in at.subheader] == [q.question for q in lesson.questions]
    assert sum(b.label in ("Check my answer", "Predict, then run the demo") for b in at.button) == len(lesson.quiz)


def test_settings_survive_a_visit_to_another_page_and_hidden_layers_keep_their_choice():
    at = open_page("app_pages/activations.py", {"depth": "3", "acts": "relu,tanh,elu"})
    at.slider(key="act_depth").set_value(1).run()
    at.switch_page("app_pages/home.py").run()
    at.switch_page("app_pages/activations.py").run()
    no_exception(at)
    assert at.slider(key="act_depth").value == 1
    at.slider(key="act_depth").set_value(3).run()
    assert [at.selectbox(key=f"act_acts_{i}").value for i in (1, 2, 3)] == ["relu", "tanh", "elu"]


def test_a_link_that_repeats_a_function_shows_it_once():
    at = open_page("app_pages/activations.py", {"fns": "relu,relu"})
    no_exception(at)
    assert at.multiselect(key="act_fns").value == ["relu"]


def test_huge_logits_give_finite_probabilities():
    at = open_page("app_pages/activations.py", {"logits": "1e38, 0", "temp": "0.05"})
    no_exception(at)
    chart = next(c for c in charts(at) if c.proto.id.endswith("act_softmax"))
    bars = json.loads(chart.proto.spec)["data"][0]["text"]
    assert bars == ["1.000", "0.000"]


def test_a_preset_link_wins_over_what_the_session_had_on_the_page():
    at = open_page("app_pages/activations.py")
    at.slider(key="act_depth").set_value(1).run()
    assert at.query_params["depth"] == "1"  # the address bar follows the widgets
    at.query_params["depth"] = "5"  # a Try-it link or a shared address, opened in the same session
    at.query_params["data"] = "moons"
    at.run()
    no_exception(at)
    assert at.slider(key="act_depth").value == 5 and at.selectbox(key="act_data").value == "moons"
    submitted = at.session_state["act_net_config"]  # the link's own run, not the session's last one
    assert submitted.dataset == "moons" and len(submitted.activations) == 5


def test_coming_back_through_the_navigation_restores_the_settings_into_the_address():
    at = open_page("app_pages/activations.py")
    at.slider(key="act_width").set_value(40).run()
    at.switch_page("app_pages/home.py").run()
    at.switch_page("app_pages/activations.py").run()
    assert at.slider(key="act_width").value == 40
    assert at.query_params["width"] == "40"


def test_widgets_the_browser_blanks_together_keep_their_values_but_a_single_change_goes_through():
    at = settle(open_page("app_pages/activations.py", {"depth": "3", "width": "16"}), trained)
    at.session_state["act_depth"] = 0  # a page being torn down sends several widgets at their minimums at once
    at.session_state["act_width"] = 1
    at.run()
    assert (at.session_state["act_depth"], at.session_state["act_width"]) == (3, 16)
    at.session_state["act_width"] = 1  # one widget at a time is the learner's, even at its minimum
    at.run()
    assert (at.session_state["act_depth"], at.session_state["act_width"]) == (3, 1)
