import os
import signal

import pytest

from engine.activation_demo import MLPDemoConfig, run
from engine.trainer import TrainSettings
from jobs import RunnerSettings, ServerBusy, make_runner
from jobs.cache import ResultCache
from jobs.runner import CANCELLED, DONE, FAILED, QUEUED, RUNNING, TIMED_OUT
from tests.job_tasks import broken, own_priority, polite_count, sized, stubborn_sleep, wait_for

# The job service is under test here, not the device: runs stay on the CPU, also on a machine with a GPU
# (bench.device_check trains through the service there).
CPU = "cpu"
QUICK = MLPDemoConfig(device=CPU, train=TrainSettings(steps=40, report_every=10))
LIMIT_S = 4.0


@pytest.fixture(scope="module")
def runner():
    # Each worker trains once before it says it is ready, as the app's do, so that no test's short limit pays for a
    # worker's first run (imports, first calls).
    r = make_runner(RunnerSettings(workers=2, max_queued=1, job_timeout_s=LIMIT_S, stop_grace_s=0.3, cache_entries=8),
                    preload=("engine.activation_demo",),
                    warmup=((run, MLPDemoConfig(device=CPU, seed=12345, train=TrainSettings(steps=2))),))
    r.wait(r.submit("warm-up", run, MLPDemoConfig(device=CPU, seed=12345, train=TrainSettings(steps=3))), timeout=60)
    yield r
    r.shutdown()


def whole_pool(runner) -> None:
    """Both workers warm and free, so that two long runs are on them at once (a replaced worker warms up first,
    which can take longer than a run's limit here on a slow machine)."""
    wait_for(lambda: runner.executor.idle_workers() == 2, timeout=120)


def test_a_job_reports_progress_then_its_result(runner):
    job = runner.wait(runner.submit("alice", run, QUICK))
    assert job.state == DONE and not job.cached
    assert [row["step"] for row in job.progress] == [1, 10, 20, 30, 40]
    assert job.result.history["step"].tolist() == [1, 10, 20, 30, 40]


def test_an_identical_request_is_answered_from_the_cache_at_once(runner):
    config = MLPDemoConfig(device=CPU, seed=7, train=TrainSettings(steps=30))
    first = runner.wait(runner.submit("alice", run, config))
    second = runner.job(runner.submit("bob", run, config))
    assert second.state == DONE and second.cached and second.settled  # settled as it is submitted: no run
    assert second.result is first.result  # one copy in the server, however many sessions hold it


def test_stop_ends_a_cooperative_job_promptly_and_keeps_its_partial_result(runner):
    job_id = runner.submit("carol", polite_count, 10_000)
    wait_for(lambda: len(runner.job(job_id).progress) >= 3)
    runner.cancel(job_id)
    assert runner.job(job_id).state == CANCELLED
    job = runner.wait(job_id, timeout=5)
    assert job.settled and job.state == CANCELLED
    assert job.result["stopped_at"] >= 3


def test_stop_kills_a_job_that_ignores_it_and_the_worker_comes_back(runner):
    job_id = runner.submit("dave", stubborn_sleep, 30)
    wait_for(lambda: runner.job(job_id).state == RUNNING)
    runner.cancel(job_id)
    job = runner.wait(job_id, timeout=5)
    assert job.settled and job.state == CANCELLED and job.result is None
    follow_up = runner.wait(runner.submit("dave", run, MLPDemoConfig(device=CPU, seed=3,
                                                                     train=TrainSettings(steps=5))), 30)
    assert follow_up.state == DONE


def test_a_new_submit_replaces_the_owners_running_job(runner):
    old = runner.submit("erin", polite_count, 10_000)
    wait_for(lambda: runner.job(old).state == RUNNING)
    new = runner.submit("erin", polite_count, 3)
    assert runner.job(old).state == CANCELLED and "another run" in runner.job(old).error
    assert runner.wait(new).state == DONE


def test_a_job_past_the_wall_clock_limit_is_stopped_and_the_user_told(runner):
    job = runner.wait(runner.submit("frank", stubborn_sleep, 30), timeout=30)
    assert job.state == TIMED_OUT
    assert f"{LIMIT_S:g} s" in job.error and "limit" in job.error


def test_a_full_queue_says_server_busy_and_queued_jobs_know_their_place(runner):
    whole_pool(runner)
    holders = [runner.submit(f"holder{i}", stubborn_sleep, 30 + i) for i in range(2)]
    wait_for(lambda: all(runner.job(h).state == RUNNING for h in holders), timeout=30)
    waiting = runner.submit("grace", polite_count, 4)  # a count no other test caches
    assert runner.job(waiting).state == QUEUED and runner.job(waiting).position == 1
    with pytest.raises(ServerBusy) as busy:
        runner.submit("heidi", polite_count, 5)
    assert busy.value.waiting == 1 and "busy" in str(busy.value)
    joined = runner.submit("ivan", polite_count, 4)  # the same run as grace's: no new place needed
    assert runner.job(joined).position == 1 and runner.job(joined).watchers == 2
    for h in holders:
        runner.cancel(h)
    assert runner.wait(waiting, timeout=10).state == DONE


def test_a_task_that_raises_fails_with_a_sentence_not_a_traceback(runner):
    job = runner.wait(runner.submit("ivan", broken, "bad config"))
    assert job.state == FAILED and job.error == "The run failed: bad config"


def test_the_cache_forgets_the_least_recently_used_entry():
    cache = ResultCache(2, 1000)
    cache.put("a", 1, 10)
    cache.put("b", 2, 10)
    cache.get("a")
    cache.put("c", 3, 10)
    assert cache.get("b") is None and cache.get("a") == (1, 10) and len(cache) == 2


def test_the_cache_forgets_old_entries_past_its_byte_budget_and_never_keeps_an_oversized_one():
    cache = ResultCache(10, 100)
    cache.put("a", 1, 60)
    cache.put("b", 2, 30)
    cache.put("c", 3, 30)
    cache.put("huge", 4, 101)
    assert cache.get("a") is None and cache.get("huge") is None
    assert cache.get("b") and cache.get("c") and cache.bytes == 60


def test_settings_come_from_the_environment_with_clear_errors():
    settings = RunnerSettings.from_env({"DLLAB_WORKERS": "3", "DLLAB_JOB_TIMEOUT_S": "12.5",
                                        "DLLAB_RESULT_MAX_MB": "2", "DLLAB_CACHE_MB": "64"})
    assert settings.workers == 3 and settings.job_timeout_s == 12.5
    assert settings.result_max_bytes == 2_000_000 and settings.cache_bytes == 64_000_000
    with pytest.raises(ValueError, match="DLLAB_WORKERS='many'"):
        RunnerSettings.from_env({"DLLAB_WORKERS": "many"})
    with pytest.raises(ValueError, match="DLLAB_WORKERS=0: it must be at least 1"):
        RunnerSettings.from_env({"DLLAB_WORKERS": "0"})
    assert RunnerSettings.from_env({"DLLAB_WORKERS": "", "DLLAB_LONG_RUN_S": " "}) == RunnerSettings()  # as unset


def test_an_unknown_backend_is_named_in_the_error():
    with pytest.raises(ValueError, match="'ray'.*process, thread"):
        make_runner(RunnerSettings(backend="ray"))


def test_a_worker_killed_while_idle_is_replaced_and_the_next_job_runs(runner):
    victim = runner.executor.worker_pids()[0]
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: victim not in runner.executor.worker_pids() and len(runner.executor.worker_pids()) == 2)
    job = runner.wait(runner.submit("judy", run, MLPDemoConfig(device=CPU, seed=31, train=TrainSettings(steps=5))), 60)
    assert job.state == DONE


def test_a_job_stopped_while_queued_never_starts(runner):
    whole_pool(runner)
    holders = [runner.submit(f"hold{i}", stubborn_sleep, 40 + i) for i in range(2)]
    wait_for(lambda: all(runner.job(h).state == RUNNING for h in holders), timeout=30)
    waiting = runner.submit("kim", polite_count, 6)
    runner.cancel(waiting)
    for h in holders:
        runner.cancel(h)
    job = runner.wait(waiting, timeout=10)
    assert job.state == CANCELLED and job.result is None and job.progress == []


def test_a_long_run_gives_way_and_so_do_the_next_runs_of_whoever_had_their_share():
    r = make_runner(RunnerSettings(workers=1, long_run_s=0.2))

    def priority(who: str, seconds: float) -> int:  # each call's seconds differ, so none comes from the cache
        return r.wait(r.submit(who, own_priority, seconds), timeout=30).result

    try:
        base = os.getpriority(os.PRIO_PROCESS, 0)  # workers start at the server's own nice value
        assert priority("lee", 0) == priority("mo", 0.01) == base  # light users' short runs: full priority
        assert priority("lee", 0.6) > base  # gave way after 0.2 s
        assert priority("mo", 0.02) == base  # others keep full priority
        assert priority("lee", 0.03) > base  # lee trained 0.6 s of the last minute: gives way at once
        # A run that a light user wants too keeps full priority, whoever else shares it.
        holder = r.submit("nan", own_priority, 0.3)
        wait_for(lambda: r.job(holder).state == RUNNING)
        shared = [r.submit(who, own_priority, 0.04) for who in ("lee", "mo")]
        assert r.job(shared[0]).watchers == 2
        assert {r.wait(job_id, timeout=30).result for job_id in shared} == {base}
    finally:
        r.shutdown()


def test_answers_from_the_cache_take_no_room_from_results_still_to_be_read():
    r = make_runner(RunnerSettings(backend="thread", workers=1, cache_mb=0.1))  # 100 kB kept, besides the cache
    try:
        unread = r.submit("reader", sized, 30_000)
        r.wait(unread)
        r.wait(r.submit("class", sized, 40_000))
        answers = [r.job(r.submit(f"student{i}", sized, 40_000)) for i in range(20)]
        assert all(a.cached for a in answers)
        assert r.job(unread).state == DONE  # still there: the answers share the cache's one copy
    finally:
        r.shutdown()
