"""Hostile and random text at the sign-in and quiz inputs: a sentence or a grade, never an exception."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lessons import load_all
from lessons.grading import grade, parse_number
from progress import Store
from progress.accounts import AccountError, clean_name, join, sign_in

HOSTILE = ["<script>alert(1)</script>", "![x](http://203.0.113.9/x.png)", "[link](javascript:alert(1))",
           "**bold** _it_ `code`", "\x00\x01\x1b[31m", "ａｄａ", "a" * 10_000, "'; DROP TABLE learners; --",
           "\u202eevil", "   ", ""]
texts = st.one_of(st.text(max_size=300), st.sampled_from(HOSTILE))
CHOICE = next(item for lesson in load_all() for item in lesson.quiz if item.kind == "choice")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'p.sqlite'}")
    join(store, "Ada", "long enough", "c", "c")
    yield store
    store.close()


@given(name=texts)
def test_a_name_is_either_cleaned_into_the_allowed_characters_or_refused_with_a_sentence(name):
    try:
        cleaned = clean_name(name)
    except AccountError as problem:
        assert str(problem).endswith(". ' - _")
        return
    assert 2 <= len(cleaned) <= 40 and "<" not in cleaned and "[" not in cleaned and "\x00" not in cleaned


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=texts, password=texts)
def test_sign_in_with_any_text_refuses_with_a_sentence(store, name, password):
    with pytest.raises(AccountError):
        sign_in(store, name, password)


@given(typed=texts)
def test_any_typed_number_is_read_or_refused(typed):
    value = parse_number(typed)
    assert value is None or value == value  # a float, never NaN


@given(response=st.lists(st.integers(min_value=-5, max_value=20), max_size=8))
def test_any_picked_options_get_a_grade_between_0_and_1(response):
    result = grade(CHOICE, response)
    assert 0.0 <= result.score <= 1.0 and isinstance(result.message, str)
