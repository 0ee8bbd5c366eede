"""The Gradient descent page in AppTest: the race, Distill's settings, divergence, a real-data section."""

import pytest
from streamlit.testing.v1 import AppTest

from engine.surfaces import optimal_rates
from tests.test_pages import charts, no_exception, open_page, settle

PAGE = "app_pages/gradient_descent.py"


def raced(at: AppTest) -> bool:
    return no_exception(at) and any(s.label == "Replay step" for s in at.slider)


def table(at: AppTest, has: str):
    """The first table with a column, or a row, named `has`."""
    return next(d.value for d in at.dataframe if has in d.value.columns or has in d.value.index)


def button(at: AppTest, label: str, nth: int = 0):
    return [b for b in at.button if b.label == label][nth]


def test_the_race_runs_on_opening_and_replays_a_step_in_numbers():
    at = settle(open_page(PAGE), raced)
    steps = table(at, "update Δθ")
    assert list(steps.columns) == ["SGD (lr 0.1)", "SGD + momentum (lr 0.05)", "RMSprop (lr 0.01)", "Adam (lr 0.05)"]
    assert "first moment m ← 0.9·m + 0.1·g" in steps.index and steps.loc["update Δθ", "SGD (lr 0.1)"]
    before = steps.loc["θ before the step", "SGD (lr 0.1)"]
    at.slider(key="gd_race_at").set_value(20).run()
    assert table(at, "update Δθ").loc["θ before the step", "SGD (lr 0.1)"] != before
    standings = table(at, "within 0.01 of the global minimum")
    assert standings["within 0.01 of the global minimum"].str.startswith(("at step", "not within")).all()
    assert any("import torch" in c.value for c in at.code)


@pytest.mark.parametrize("kappa", [10, 100])
def test_distills_button_sets_the_best_settings_and_the_measured_rates_match_the_formulas(kappa):
    at = settle(open_page(PAGE, {"kappa": str(kappa), "steps": "400"}), raced)
    button(at, "Use Distill's best settings for this κ").click().run()  # one click: set and race
    at = settle(at, lambda at: raced(at) and len(table(at, "measured rate")) == 2)
    best = optimal_rates(kappa)
    rates = table(at, "measured rate").set_index("optimizer")["measured rate"].astype(float)
    assert rates.iloc[0] == pytest.approx(best.gd_rate, rel=0.05)
    assert rates.iloc[1] == pytest.approx(best.momentum_rate, rel=0.05)
    assert at.query_params["opts"] == "sgd,momentum"  # the address bar can share this setup


def test_too_large_a_learning_rate_is_shown_as_diverged_at_its_step():
    at = settle(open_page(PAGE), raced)
    button(at, "Run").click().run()
    at = settle(at, lambda at: no_exception(at) and any("diverged at step" in c.value for c in at.caption))
    assert any("SGD (lr 3) diverged at step" in c.value for c in at.caption)


def test_a_real_data_section_trains_on_request_and_shows_its_arithmetic():
    at = settle(open_page(PAGE, {"bs_epochs": "1", "bs_mini": "64"}), raced)
    button(at, "Train", 1).click().run()  # the second Train: batch sizes (the first is the sweep)
    at = settle(at, lambda at: no_exception(at) and any("iterations per epoch" in d.value.columns
                                                          for d in at.dataframe))
    table = next(d.value for d in at.dataframe if "iterations per epoch" in d.value.columns)
    assert table["iterations per epoch"].tolist() == [1, 7, 427]  # ⌈427 / B⌉
    assert len(charts(at)) >= 4


def test_settings_that_cannot_run_get_a_sentence_instead_of_a_train_button():
    at = settle(open_page(PAGE, {"norm_x1": "bmi", "norm_x2": "bmi"}), raced)
    assert any("Pick two different features" in w.value for w in at.warning)
    assert "gd_norm_train" not in [b.key for b in at.button]  # the other real-data sections keep theirs
    assert len([b for b in at.button if b.label == "Train"]) == 5


@pytest.mark.parametrize("surface", ["quadratic", "wells"])
def test_the_races_shown_code_runs_and_lands_where_the_race_did(surface):
    from engine.surfaces import RaceConfig, race
    from ui.descent_views import _code

    result = race(RaceConfig(surface=surface, steps=5))
    namespace = {}
    exec(_code(result), namespace)  # noqa: S102 - the page's own code sample
    for point, track in zip(namespace["points"], result.tracks, strict=True):
        assert point.detach().numpy() == pytest.approx(track.position[-1])
