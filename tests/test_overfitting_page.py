"""The Overfitting page in AppTest: the fit trains on opening, bad settings get a sentence, the layers inside draw."""

from tests.test_pages import charts, no_exception, open_page, settle

PAGE = "app_pages/overfitting.py"


def fitted(at) -> bool:
    return no_exception(at) and any(m.label == "Gap (validation − training)" for m in at.metric)


def test_the_fit_trains_on_opening_and_shows_the_gap_the_curves_and_the_code():
    at = settle(open_page(PAGE, {"steps": "300"}), fitted)
    gap = next(m for m in at.metric if m.label.startswith("Gap"))
    train = next(m for m in at.metric if m.label == "Training loss")
    assert float(gap.value) > 0 and float(train.value) >= 0
    assert len(charts(at)) >= 4  # fit, curves, dropout inside, batch norm inside
    assert any("nn." in c.value for c in at.code)


def test_flipping_more_than_45_percent_of_labels_gets_a_sentence_not_a_run():
    at = settle(open_page(PAGE, {"task": "classification", "noise": "0.8"}), no_exception)
    assert any("at most 0.45" in w.value for w in at.warning)
    assert "of_fit_train" not in [b.key for b in at.button]


def test_the_layers_inside_follow_their_sliders():
    at = settle(open_page(PAGE, {"di_p": "0.2", "bn_seen": "0", "steps": "10"}), fitted)
    assert any("1/(1 − p) = 1.25" in c.value for c in at.caption)
    stats = next(d.value for d in at.dataframe if "running mean" in d.value.columns)
    assert (stats["running mean"] == 0).all() and (stats["running variance"] == 1).all()  # nothing seen yet
