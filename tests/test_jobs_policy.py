"""The job service's policy, the same on the real worker processes and on in-process threads."""

import logging

import pytest

from jobs import RunnerSettings, ServerBusy, make_runner
from jobs.runner import CANCELLED, DONE, FAILED, QUEUED, RUNNING
from jobs.task import OUT_OF_MEMORY, SERVER_ERROR, time_budget
from tests.job_tasks import crashing, hands_back, polite_count, stubborn_sleep, together, until_deadline, wait_for

LIMIT_S = 3.0


@pytest.fixture(scope="module", params=["thread", "process"])
def runner(request):
    r = make_runner(RunnerSettings(backend=request.param, workers=2, max_queued=2, job_timeout_s=LIMIT_S,
                                   stop_grace_s=0.3, result_max_mb=1.0))
    yield r
    r.shutdown()


def test_twenty_learners_opening_one_link_share_one_run_and_all_see_it(runner):
    before = runner.runs_started
    tickets = together([lambda i=i: runner.submit(f"learner{i}", polite_count, 60) for i in range(20)])
    assert not any(isinstance(t, ServerBusy) for t in tickets) and len(set(tickets)) == 20
    wait_for(lambda: runner.job(tickets[0]).progress)
    assert {runner.job(t).watchers for t in tickets} == {20}
    jobs = [runner.wait(t) for t in tickets]
    assert runner.runs_started - before == 1
    assert all(job.state == DONE and job.result == {"stopped_at": None} for job in jobs)
    assert all(job.result is jobs[0].result for job in jobs)  # one copy, however many learners
    assert all([row["step"] for row in job.progress] == list(range(1, 61)) for job in jobs)


def test_stop_detaches_only_that_learner_and_the_run_goes_on_for_the_others(runner):
    mine, theirs = runner.submit("amy", polite_count, 150), runner.submit("ben", polite_count, 150)
    wait_for(lambda: len(runner.job(mine).progress) >= 3)
    runner.cancel(mine)
    stopped = runner.job(mine)
    assert stopped.state == CANCELLED and stopped.settled and stopped.result is None
    assert len(stopped.progress) >= 3
    assert runner.job(theirs).state == RUNNING and runner.job(theirs).watchers == 1
    assert runner.wait(theirs).result == {"stopped_at": None}


def test_the_run_stops_once_its_last_learner_leaves_and_a_newcomer_starts_afresh(runner):
    first, second = runner.submit("cat", polite_count, 5000), runner.submit("dan", polite_count, 5000)
    wait_for(lambda: runner.job(first).state == RUNNING)
    runner.cancel(first)
    runner.cancel(second)
    stopped = runner.wait(second, timeout=10)
    assert stopped.state == CANCELLED and stopped.result["stopped_at"] < 5000
    newcomer = runner.submit("eve", polite_count, 5000)
    assert runner.job(newcomer).state in (QUEUED, RUNNING) and runner.job(newcomer).watchers == 1
    runner.cancel(newcomer)
    runner.wait(newcomer, timeout=10)


def test_a_learner_switching_runs_leaves_a_shared_run_going_for_the_others(runner):
    shared, leaving = runner.submit("fay", polite_count, 120), runner.submit("gus", polite_count, 120)
    replacement = runner.submit("gus", polite_count, 7)
    left = runner.job(leaving)
    assert left.state == CANCELLED and "another run" in left.error
    assert runner.job(shared).watchers == 1
    assert runner.wait(replacement).state == DONE and runner.wait(shared).state == DONE


def test_a_finished_result_is_answered_at_once_from_the_one_copy_the_server_keeps(runner):
    first = runner.wait(runner.submit("hal", polite_count, 8))
    again = runner.job(runner.submit("ida", polite_count, 8))
    assert again.state == DONE and again.cached and again.settled and again.result is first.result


def test_shared_runs_take_no_extra_place_in_the_queue(runner):
    holders = [runner.submit(f"holder{i}", stubborn_sleep, 50 + i) for i in range(2)]
    wait_for(lambda: all(runner.job(h).state == RUNNING for h in holders), timeout=30)
    queued = [runner.submit(f"q{i}", polite_count, 9 + i) for i in range(2)]
    assert [runner.job(q).position for q in queued] == [1, 2]
    with pytest.raises(ServerBusy):
        runner.submit("late", polite_count, 30)
    joined = together([lambda i=i: runner.submit(f"class{i}", polite_count, 10) for i in range(10)])
    assert all(runner.job(j).position == 2 and runner.job(j).watchers == 11 for j in joined)
    for h in holders:
        runner.cancel(h)
    assert all(runner.wait(j, timeout=20).state == DONE for j in [*queued, *joined])


def test_a_task_gets_a_deadline_that_leaves_a_margin_before_the_hard_limit(runner):
    job = runner.wait(runner.submit("jan", until_deadline, "margin"), timeout=20)
    assert job.state == DONE
    assert time_budget(LIMIT_S) - 0.5 < job.result["budget_s"] <= time_budget(LIMIT_S) < LIMIT_S


@pytest.mark.parametrize(("task", "config", "sentence"), [
    (crashing, "oom", OUT_OF_MEMORY),
    (crashing, "bug", SERVER_ERROR),
    (hands_back, "huge", "larger than the 1 MB the server accepts"),
])
def test_a_failure_reaches_the_learner_as_a_sentence_and_the_log_keeps_the_details(runner, caplog, task, config,
                                                                                   sentence):
    with caplog.at_level(logging.ERROR, logger="jobs"):
        job = runner.wait(runner.submit("kay", task, config), timeout=20)
    assert job.state == FAILED and sentence in job.error
    assert "Traceback" not in job.error and "Traceback" in caplog.text


def test_the_status_counts_busy_workers_the_queue_runs_per_minute_and_cache_hits(runner):
    before = runner.status()
    first = runner.submit("sam", polite_count, 70)
    wait_for(lambda: runner.job(first).state == RUNNING)
    during = runner.status()
    assert during["workers"] == 2 and during["busy"] >= 1
    assert during["runs_last_minute"] == before["runs_last_minute"] + 1
    runner.wait(first)
    again = runner.submit("tia", polite_count, 70)  # the same run again: answered from the cache
    assert runner.job(again).state == DONE
    after = runner.status()
    assert after["cache_hits"] == before["cache_hits"] + 1 and after["busy"] == 0 and after["queued"] == 0
