from ui.activation_params import LEARNING_RATES, PARAMS
from ui.params import Choice, ChoiceEach, ChoiceList, Number, Text, preset_query, read, to_query, validate


def test_values_come_from_the_url_and_missing_ones_from_defaults():
    values, notes = read(PARAMS, {"data": "xor", "depth": "0", "acts": "sigmoid,tanh"})
    assert values["data"] == "xor" and values["depth"] == 0 and values["acts"] == ("sigmoid", "tanh")
    assert values["width"] == PARAMS["width"].default and notes == []


def test_extreme_numbers_are_clamped_and_garbage_is_ignored_with_a_note():
    values, notes = read(PARAMS, {"width": "1e9", "steps": "-5", "data": "mnist", "noise": "nan", "acts": "relu,,foo"})
    assert values["width"] == 64 and values["steps"] == 10
    assert values["data"] == "spiral" and values["noise"] == 0.1 and values["acts"] == ("relu", "relu", "relu")
    assert len(notes) == 3 and any("data=mnist" in n for n in notes)


def test_learning_rates_snap_to_the_sliders_values():
    assert read(PARAMS, {"lr": "0.025"})[0]["lr"] == 0.03  # nearest on a log scale
    assert read(PARAMS, {"lr": "0.0999"})[0]["lr"] == 0.1
    assert set(LEARNING_RATES) >= {0.001, 0.01, 0.1, 1.0}


def test_long_text_is_cut():
    assert read({"t": Text("T", "x", max_length=5)}, {"t": "abcdefgh"})[0]["t"] == "abcde"


def test_validate_explains_every_problem_in_a_preset():
    problems = validate(PARAMS, {"data": "xor", "bogus": 1, "steps": 99999, "lr": 0.5, "acts": ["relu", "nope"]})
    assert any("bogus" in p for p in problems)
    assert any("steps" in p for p in problems)
    assert any("lr" in p for p in problems)
    assert any("acts" in p for p in problems)
    assert validate(PARAMS, {"data": "xor", "depth": 1, "acts": ["tanh"], "lr": 0.1}) == []


def test_query_strings_round_trip():
    spec = {"c": Choice("C", "a", ("a", "b")), "l": ChoiceList("L", ("a",), ("a", "b")),
            "n": Number("N", 1, 0, 9, integer=True), "e": ChoiceEach("E {i}", ("a",), ("a", "b"), "n", 9)}
    query = preset_query(spec, {"c": "b", "l": ["a", "b"], "n": 3, "e": ["b", "a"]})
    values, notes = read(spec, query)
    assert values == {"c": "b", "l": ("a", "b"), "n": 3, "e": ("b", "a")} and notes == []
    assert to_query(spec, values) == {"c": "b", "l": "a,b", "n": "3", "e": "b,a"}
    assert to_query(spec, {"c": "a", "l": ["a"], "n": 1, "e": ("a",)}) == {}  # defaults stay out of the URL
    assert to_query(spec, {"e": ("a", "a", "a")}) == {} and to_query(spec, {"e": ()}) == {}  # as the default reads


def test_a_choice_list_is_a_set_and_a_choice_each_repeats_its_last_item():
    spec = {"l": ChoiceList("L", (), ("a", "b")), "e": ChoiceEach("E {i}", ("a",), ("a", "b"), "n", 4)}
    values, _ = read(spec, {"l": "b,b,a", "e": "a,b"})
    assert values["l"] == ("b", "a")
    assert [spec["e"].item(values["e"], i) for i in (1, 2, 3, 4)] == ["a", "b", "b", "b"]


def test_batch_sizes_snap_to_the_sliders_values_and_lessons_must_use_them():
    assert read(PARAMS, {"batch": "42"})[0]["batch"] == 32
    assert read(PARAMS, {"batch": "0"})[0]["batch"] == 0
    assert validate(PARAMS, {"batch": 42}) != [] and validate(PARAMS, {"batch": 32}) == []
