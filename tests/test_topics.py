"""Contract tests that every registered topic passes: a new row here is checked end to end."""

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from jobs import RunnerSettings, check_result, make_runner
from jobs.runner import DONE
from ui.params import ChoiceEach, ChoiceList, Number, Text, defaults, read
from ui.topics import TOPICS, preload_modules, warmups

ROOT = Path(__file__).parent.parent
TASKS = [(topic, task) for topic in TOPICS for task in topic.tasks]
TASK_IDS = [f"{topic.slug}-{task.fn.__name__}" for topic, task in TASKS]


@pytest.fixture(scope="module")
def runner():
    r = make_runner(RunnerSettings(workers=1), preload=preload_modules(), warmup=warmups())
    yield r
    r.shutdown()


def test_slugs_are_unique_and_every_page_script_exists():
    assert len({topic.slug for topic in TOPICS}) == len(TOPICS)
    for topic in TOPICS:
        assert (ROOT / topic.page).is_file(), topic.page
        assert topic.tasks and topic.syllabus


@pytest.mark.parametrize("topic, task", TASKS, ids=TASK_IDS)
def test_the_pages_default_values_make_the_configs_default(topic, task):
    assert task.from_values(defaults(topic.params)) == type(task.tiny)()


@pytest.mark.parametrize("topic, task", TASKS, ids=TASK_IDS)
def test_the_tiny_config_runs_in_a_real_worker_and_returns_small_plain_data(runner, topic, task):
    job = runner.wait(runner.submit("contract", task.fn, task.tiny), timeout=60)
    assert job.state == DONE, job.error
    assert check_result(job.result) < 2**20  # bytes, pickled


def extremes(spec: dict, high: bool) -> dict[str, str]:
    """A URL query that sets every parameter to one end of its range."""
    query = {}
    for name, param in spec.items():
        if isinstance(param, Number):
            query[name] = param.format(param.high if high else param.low)
        elif isinstance(param, ChoiceList):
            query[name] = param.format(param.options[:param.max_items] if high else param.options[:param.min_items])
        elif isinstance(param, ChoiceEach):
            query[name] = param.format((param.options * param.max_items)[:param.max_items] if high else ())
        elif isinstance(param, Text):
            query[name] = "9" * param.max_length if high else ""
        else:
            query[name] = param.options[-1 if high else 0]
    return query


@pytest.mark.parametrize("end", ["defaults", "low", "high"])
@pytest.mark.parametrize("topic", TOPICS, ids=lambda topic: topic.slug)
def test_the_page_renders_with_its_defaults_and_with_every_parameter_at_either_end(topic, end):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for name, value in ({} if end == "defaults" else extremes(topic.params, end == "high")).items():
        at.query_params[name] = value
    at.run()
    at.switch_page(topic.page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == topic.title
    assert not any("Ignored" in w.value for w in at.warning)  # every extreme is a legal value


@pytest.mark.parametrize("end", ["low", "high"])
@pytest.mark.parametrize("topic, task", TASKS, ids=TASK_IDS)
def test_every_task_runs_with_every_parameter_at_either_end(topic, task, end):
    """Run briefly (the deadline stops it): a result of plain data, or a sentence saying why it cannot run."""
    values, notes = read(topic.params, extremes(topic.params, end == "high"))
    assert not notes
    try:
        result = task.fn(task.from_values(values), deadline=time.monotonic() + 1.0)
    except ValueError as refusal:  # the page checks these settings first and says the same
        assert str(refusal)[:1].isalpha(), refusal
        return
    check_result(result)
    assert getattr(result, "status", "finished") in ("finished", "diverged", "out of time")  # never "failed"
