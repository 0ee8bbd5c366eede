import pandas as pd
import pytest

from engine.predictions import LEARNING_RATE_OUTCOMES, PredictConfig, learning_rate, run
from lessons import load_all

PREDICT_ITEMS = [(lesson, item) for lesson in load_all() for item in lesson.quiz if item.kind == "predict"]


@pytest.mark.parametrize("lr, outcome", [(0.1, "falls"), (5.0, "blows up"), (1e-4, "barely moves")])
def test_the_learning_rate_demo_says_what_the_loss_did(lr, outcome):
    result = learning_rate(lr)
    assert LEARNING_RATE_OUTCOMES[result.choice] == outcome, result.summary
    assert isinstance(result.history, pd.DataFrame) and result.history["batch_loss"].notna().all()
    assert result.log_scale == (outcome == "blows up")
    assert f"lr = {lr:g}" in result.summary


def test_predict_items_exist_and_each_ones_real_run_shows_the_option_it_marks_right():
    assert PREDICT_ITEMS, "no predict-then-run item in the lessons"
    for lesson, item in PREDICT_ITEMS:
        config = PredictConfig(item.run.fn, tuple(sorted(item.run.args.items())))
        outcome = run(config)
        assert item.right == {outcome.choice}, f"{lesson.id}/{item.id}: the run showed option {outcome.choice}"


def test_only_engine_functions_can_be_run():
    with pytest.raises(ValueError, match="not an engine function"):
        run(PredictConfig("os.system", (("command", "true"),)))
