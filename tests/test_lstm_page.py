"""The Recurrent networks page in AppTest: the LSTM trains on opening, and its inside shows step by step."""

from tests.test_pages import charts, no_exception, open_page, settle

PAGE = "app_pages/lstm.py"


def inspected(at) -> bool:
    return no_exception(at) and any(m.label.startswith("Written-out cell") for m in at.metric)


def test_the_lstm_trains_on_opening_and_shows_its_gates_the_step_in_numbers_and_the_code():
    at = settle(open_page(PAGE, {"steps": "20", "T": "6"}), inspected)
    assert any("torch.nn.LSTM" in c.value for c in at.caption)
    assert len(charts(at)) >= 2  # the loss and the gates' heatmaps
    assert any("def lstm_cell" in c.value for c in at.code)
    assert any("forget gate: $f" in m.value for m in at.markdown)
    step = next(s for s in at.slider if s.label == "Time step")
    step.set_value(5).run()
    assert any("**Step 5**" in m.value for m in at.markdown)
    table = next(d.value for d in at.dataframe if "c after" in d.value.columns)
    assert list(table.index) == list(range(1, 17)) and table[["i", "f", "o"]].gt(0).all().all()


def test_the_gru_shows_its_reset_and_update_gates_and_says_the_written_out_cell_trained():
    at = settle(open_page(PAGE, {"model": "gru", "cell": "written", "steps": "10", "T": "5"}), inspected)
    assert any("written-out cell" in c.value for c in at.caption)
    assert any("update gate: $z" in m.value for m in at.markdown)


def test_an_empty_choice_of_lengths_gets_a_sentence_not_a_run():
    at = settle(open_page(PAGE, {"steps": "10", "T": "4"}), inspected)
    at.multiselect(key="rnn_cmp_lengths").set_value([]).run()
    assert any("at least one sequence length" in w.value for w in at.warning)
    assert "rnn_compare_train" not in [b.key for b in at.button]


def test_a_link_to_one_section_trains_that_section_and_not_the_others_it_did_not_set():
    at = settle(open_page(PAGE), inspected)  # the first section trains on the first view
    at.query_params["cmp_lengths"] = "5"  # then a lesson's link aimed at the comparison
    at.query_params["cmp_steps"] = "20"
    at.run()
    at = settle(at, lambda a: no_exception(a) and "rnn_compare_settled" in a.session_state)
    slots = ("rnn_compare", "rnn_flow", "rnn_explode", "rnn_bi")
    linked = {slot for slot in slots if f"{slot}_job" in at.session_state}
    assert linked == {"rnn_compare"}
