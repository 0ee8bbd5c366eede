import csv
import io
import json
import multiprocessing
import os
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from progress import Store, database_url

POSTGRES = os.environ.get("DLLAB_TEST_POSTGRES_URL")  # .ci/run starts a throwaway PostgreSQL and sets it


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    """The same tests on SQLite and, where a server is given, on PostgreSQL (emptied first)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'progress.sqlite'}"
    if not POSTGRES:
        if os.environ.get("CI"):
            raise RuntimeError("CI must test PostgreSQL: set DLLAB_TEST_POSTGRES_URL (see .ci/run)")
        pytest.skip("set DLLAB_TEST_POSTGRES_URL to test on PostgreSQL")
    engine = sa.create_engine(POSTGRES)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    return POSTGRES


def sqlite_only(url):
    if not url.startswith("sqlite"):
        pytest.skip("SQLite's own settings")


@pytest.fixture
def store(url):
    store = Store(url)
    yield store
    store.close()


def test_an_answer_round_trips(store):
    me = store.learner()
    store.record(me, "activations", "softmax-sum", kind="choice", response=[2], correct=True)
    store.record(me, "cnn", "output-size", kind="number", response=24.0, correct=False)
    saved = store.attempts(me)
    assert [(a.lesson_id, a.item_id, a.response, a.correct, a.score) for a in saved] == [
        ("activations", "softmax-sum", [2], True, 1.0), ("cnn", "output-size", 24.0, False, 0.0)]
    assert all(a.answered_at.tzinfo is not None for a in saved)


def test_a_reopened_database_keeps_everything(url):
    first = Store(url)
    me = first.learner()
    first.record(me, "tfidf", "classic", kind="number", response=0.12, correct=True)
    first.record(me, "tfidf", "idf", kind="choice", response=[0], correct=False)
    before = (first.attempts(me), first.scheduled(me))
    first.close()
    again = Store(url)
    assert again.learner() == me
    assert (again.attempts(me), again.scheduled(me)) == before
    again.close()


def test_sqlite_runs_in_wal_mode_and_passes_its_integrity_check(store, url):
    sqlite_only(url)
    store.learner()
    assert store.integrity_ok()
    with sqlite3.connect(sa.make_url(url).database) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_missed_item_comes_back_for_review_and_a_right_answer_spaces_it_out(store):
    me = store.learner()
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    store.record(me, "lstm", "forget-gate", kind="choice", response=[1], correct=False, now=start)
    store.record(me, "lstm", "gru-gates", kind="choice", response=[0], correct=True, now=start)
    assert store.due(me, start) == []  # not at once: after the scheduler's first learning step
    due = store.due(me, start + timedelta(hours=1))
    assert [(r.lesson_id, r.item_id) for r in due] == [("lstm", "forget-gate")]  # a right answer is not queued
    later = start + timedelta(hours=1)
    store.record(me, "lstm", "forget-gate", kind="choice", response=[2], correct=True, source="review", now=later)
    (card,) = store.scheduled(me)
    assert card.due > later  # rescheduled into the future
    assert store.due(me, later) == []


def test_mock_interview_grades_are_saved_but_do_not_enter_the_review_queue(store):
    me = store.learner()
    store.record(me, "cnn", "receptive-field", kind="open", response="missed", correct=False, score=0.0, source="mock")
    assert store.scheduled(me) == []
    assert store.attempts(me)[0].source == "mock"


def test_learners_are_kept_apart(store):
    ada, bo = store.learner("ada"), store.learner("bo")
    store.record(ada, "a", "x", kind="choice", response=[0], correct=False)
    assert store.attempts(bo) == [] and store.scheduled(bo) == []
    store.reset(bo)
    assert len(store.attempts(ada)) == 1


def test_export_as_csv_and_json_then_reset(store):
    me = store.learner()
    store.record(me, "overfitting", "dropout-rate", kind="multi", response=[0, 2], correct=False, score=0.5)
    rows = list(csv.DictReader(io.StringIO(store.export_csv(me))))
    assert [(r["item_id"], r["kind"], r["score"], json.loads(r["response"])) for r in rows] == [
        ("dropout-rate", "multi", "0.5", [0, 2])]
    exported = json.loads(store.export_json(me))
    assert exported["attempts"][0]["item_id"] == "dropout-rate" and len(exported["reviews"]) == 1
    store.reset(me)
    assert store.attempts(me) == [] and store.scheduled(me) == []


def test_an_unknown_source_is_refused(store):
    with pytest.raises(ValueError, match="source"):
        store.record(store.learner(), "a", "b", kind="choice", response=[0], correct=True, source="teacher")


def test_a_schema_upgrade_from_the_previous_version_keeps_the_data(url):
    old = Store(url, upgrade=False)
    old.upgrade("0001")
    assert old.revision() == "0001"
    with old.engine.begin() as conn:  # rows as version 0001 wrote them
        conn.exec_driver_sql("INSERT INTO learners (id, name, created_at) VALUES (1, 'local', '2026-01-01 10:00:00')")
        for i, (item, correct) in enumerate([("x", False), ("x", True), ("y", True), ("z", False)], 1):
            conn.exec_driver_sql(
                "INSERT INTO attempts (learner_id, lesson_id, item_id, kind, response, correct, score, source, "
                f"answered_at) VALUES (1, 'l', '{item}', 'choice', '[0]', {str(correct).upper()}, {int(correct)}, "
                f"'lesson', '2026-01-01 10:0{i}:00')")
    old.close()
    new = Store(url)
    assert new.revision() == Store.head() == "0003"
    me = new.learner()
    assert me == 1
    assert [(a.item_id, a.correct) for a in new.attempts(me)] == [("x", False), ("x", True), ("y", True), ("z", False)]
    # the item whose latest answer was wrong is due for review at once
    assert [r.item_id for r in new.due(me)] == ["z"]
    new.record(me, "l", "z", kind="choice", response=[1], correct=True, source="review")
    assert new.due(me) == []
    new.close()


def _write_many(url: str, name: str, count: int) -> None:
    store = Store(url)
    me = store.learner(name)
    for i in range(count):
        store.record(me, "lesson", f"item-{i % 7}", kind="choice", response=[i], correct=i % 3 == 0)
    store.close()


def _write_in_threads(url: str, names: list[str], count: int) -> None:
    threads = [threading.Thread(target=_write_many, args=(url, name, count)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_threads_and_processes_writing_at_once_lose_nothing(url):
    Store(url).close()  # the schema exists before the writers start
    per_writer = 40
    threads = [threading.Thread(target=_write_many, args=(url, f"thread-{i}", per_writer)) for i in range(4)]
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_write_many, args=(url, f"process-{i}", per_writer)) for i in range(3)]
    for worker in [*threads, *processes]:
        worker.start()
    for worker in [*threads, *processes]:
        worker.join(timeout=120)
    assert all(p.exitcode == 0 for p in processes)
    store = Store(url)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM attempts").scalar() == 7 * per_writer
        assert conn.exec_driver_sql("SELECT COUNT(DISTINCT learner_id) FROM attempts").scalar() == 7
        # every item a writer missed at least once has one review card
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM review_cards").scalar() == 7 * 7
    assert store.integrity_ok()
    store.close()


def _open(url: str) -> None:
    Store(url).close()


def test_processes_and_threads_opening_a_new_database_at_once_all_find_one_schema(url):
    threads = [threading.Thread(target=_open, args=(url,)) for _ in range(3)]
    processes = [multiprocessing.get_context("spawn").Process(target=_open, args=(url,)) for _ in range(3)]
    for worker in [*threads, *processes]:
        worker.start()
    for worker in [*threads, *processes]:
        worker.join(timeout=120)
    assert [p.exitcode for p in processes] == [0, 0, 0]
    store = Store(url)
    assert store.revision() == Store.head()
    store.close()


def test_the_database_url_comes_from_the_environment_else_a_file_in_the_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("DLLAB_DATABASE_URL", "postgresql+psycopg://class@db/progress")
    assert database_url() == "postgresql+psycopg://class@db/progress"
    monkeypatch.delenv("DLLAB_DATABASE_URL")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert database_url() == f"sqlite:///{tmp_path / 'dl-interview-lab' / 'progress.sqlite'}"


def test_twenty_writers_at_once_two_hundred_writes_each_give_exactly_4000_rows(url):
    Store(url).close()
    context = multiprocessing.get_context("spawn")  # 5 processes of 4 writer threads each
    writers = [context.Process(target=_write_in_threads, args=(url, [f"writer-{p}-{t}" for t in range(4)], 200))
               for p in range(5)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=300)
    assert [w.exitcode for w in writers] == [0] * 5
    store = Store(url)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM attempts").scalar() == 4000
    assert store.integrity_ok()
    store.close()


WRITER = """
import sys
from progress import Store
store = Store(sys.argv[1])
me = store.learner("writer")
i = 0
while True:
    store.record(me, "lesson", f"item-{i}", kind="choice", response=[i], correct=i % 2 == 0)
    print(i, flush=True)  # acknowledged: the write has committed
    i += 1
"""


def test_killing_the_writing_process_loses_no_acknowledged_write(url):
    import signal
    import subprocess
    import sys

    Store(url).close()
    writer = subprocess.Popen([sys.executable, "-c", WRITER, url], stdout=subprocess.PIPE, text=True,
                              env=os.environ | {"PYTHONPATH": str(Path(__file__).parent.parent)})
    acknowledged = []
    for line in writer.stdout:
        acknowledged.append(int(line))
        if len(acknowledged) == 300:
            writer.send_signal(signal.SIGKILL)  # mid-stream, as a crash would
            break
    writer.wait(timeout=30)
    writer.stdout.close()
    store = Store(url)
    saved = {a.item_id for a in store.attempts(store.learner("writer"))}
    assert {f"item-{i}" for i in acknowledged} <= saved
    assert store.integrity_ok()
    store.close()
