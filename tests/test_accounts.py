from datetime import UTC, datetime, timedelta

import pytest

from progress import Store, accounts
from progress.accounts import MAX_FAILURES, AccountError, join, remove, roster, set_account, set_password, sign_in
from progress.admin import main as admin


@pytest.fixture
def store(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'class.sqlite'}")
    yield store
    store.close()


def test_a_student_joins_with_the_class_code_and_signs_in_with_their_password(store):
    me = join(store, "Ada Lovelace", "correct horse", "ML-2026", "ML-2026")
    assert sign_in(store, "ada lovelace", "correct horse") == (me, "student")  # names are not case-sensitive
    (account,) = roster(store)
    assert account["name"] == "Ada Lovelace" and account["role"] == "student"


def test_the_password_is_stored_as_an_argon2_hash_never_as_text(store):
    join(store, "bo", "s3cret-pass", "c", "c")
    with store.engine.connect() as conn:
        (stored,) = conn.exec_driver_sql("SELECT password_hash FROM learners").one()
    assert stored.startswith("$argon2id$") and "s3cret-pass" not in stored


@pytest.mark.parametrize("name, password, code, message", [
    ("ada", "long enough", "wrong", "join code"),
    ("ada", "short", "c", "8 to 200 characters"),
    ("a", "long enough", "c", "2 to 40 characters"),
    ("<script>alert(1)</script>", "long enough", "c", "2 to 40 characters"),
    ("![x](http://evil/img.png)", "long enough", "c", "2 to 40 characters"),
    ("x" * 41, "long enough", "c", "2 to 40 characters"),
    ("tab\tname", "long enough", "c", None),  # whitespace is collapsed, not refused
])
def test_a_bad_sign_up_gets_a_sentence(store, name, password, code, message):
    if message is None:
        join(store, name, password, code, "c")
        assert roster(store)[0]["name"] == "tab name"
        return
    with pytest.raises(AccountError, match=message):
        join(store, name, password, code, "c")


def test_without_a_class_code_nobody_can_join(store):
    with pytest.raises(AccountError, match="join code"):
        join(store, "ada", "long enough", "", "")


def test_a_taken_name_cannot_join_again(store):
    join(store, "ada", "long enough", "c", "c")
    with pytest.raises(AccountError, match="taken"):
        join(store, "ADA", "another one", "c", "c")


def test_wrong_passwords_and_unknown_names_get_the_same_sentence(store):
    join(store, "ada", "long enough", "c", "c")
    for name, password in (("ada", "wrong password"), ("nobody", "long enough"), ("<b>", "x")):
        with pytest.raises(AccountError, match="^Wrong name or password.$"):
            sign_in(store, name, password)


def test_failed_sign_ins_are_rate_limited_per_name_and_the_limit_expires(store):
    join(store, "ada", "long enough", "c", "c")
    join(store, "bo", "long enough", "c", "c")
    start = datetime.now(UTC)
    for _ in range(MAX_FAILURES):
        with pytest.raises(AccountError, match="Wrong"):
            sign_in(store, "ada", "guess", now=start)
    with pytest.raises(AccountError, match="Too many failed sign-ins"):
        sign_in(store, "ada", "long enough", now=start)  # even the right password waits
    assert sign_in(store, "bo", "long enough", now=start)[1] == "student"  # others are not locked out
    later = start + accounts.FAILURE_WINDOW + timedelta(seconds=1)
    assert sign_in(store, "ada", "long enough", now=later)[1] == "student"


def test_a_password_reset_by_the_teacher_lifts_a_lock_at_once(store):
    ada = join(store, "ada", "long enough", "c", "c")
    for _ in range(MAX_FAILURES):  # a classmate guessing, say
        with pytest.raises(AccountError, match="Wrong"):
            sign_in(store, "ADA", "guess")
    with pytest.raises(AccountError, match="Too many failed sign-ins"):
        sign_in(store, "ada", "long enough")
    set_password(store, ada, "a fresh password")
    assert sign_in(store, "ada", "a fresh password") == (ada, "student")


def test_a_teacher_is_set_from_the_command_line_and_can_reset_a_students_password(store, monkeypatch):
    monkeypatch.setenv("DLLAB_DATABASE_URL", store.url)
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("teacher password\n"))
    assert admin(["teacher", "Ms Rivera"]) == 0
    assert sign_in(store, "ms rivera", "teacher password")[1] == "teacher"
    student = join(store, "ada", "long enough", "c", "c")
    set_password(store, student, "a fresh password")
    assert sign_in(store, "ada", "a fresh password") == (student, "student")
    set_account(store, "Ms Rivera", "changed password", "teacher")
    assert sign_in(store, "Ms Rivera", "changed password")[1] == "teacher"


def test_removing_a_student_removes_their_progress(store):
    ada = join(store, "ada", "long enough", "c", "c")
    store.record(ada, "l", "i", kind="choice", response=[0], correct=False)
    remove(store, ada)
    assert roster(store) == [] and store.attempts(ada) == [] and store.scheduled(ada) == []
    with pytest.raises(AccountError):
        sign_in(store, "ada", "long enough")


def test_an_identity_providers_user_becomes_a_learner_with_the_deployers_role(store):
    student = accounts.external(store, "Ada@School.edu", frozenset({"rivera@school.edu"}))
    teacher = accounts.external(store, "rivera@school.edu", frozenset({"rivera@school.edu"}))
    assert student[1] == "student" and teacher[1] == "teacher" and student[0] != teacher[0]
    assert accounts.external(store, "ada@school.edu", frozenset())[0] == student[0]
    assert [a["has_password"] for a in roster(store)] == [False, False]
    with pytest.raises(AccountError, match="identity provider"):  # no password to sign in with behind its back
        set_password(store, student[0], "a password of ours")
    with pytest.raises(AccountError):
        sign_in(store, "ada@school.edu", "a password of ours")


def test_a_session_token_signs_the_browser_in_until_it_expires_or_is_closed(store):
    ada = join(store, "ada", "long enough", "c", "c")
    start = datetime.now(UTC)
    token = accounts.open_session(store, ada, now=start)
    assert accounts.session_learner(store, token, now=start) == (ada, "student", "ada")
    assert accounts.session_learner(store, token + "x", now=start) is None
    assert accounts.session_learner(store, None) is None and accounts.session_learner(store, "x" * 5000) is None
    assert accounts.session_learner(store, token, now=start + accounts.SESSION_LIFETIME) is None
    with store.engine.connect() as conn:  # only the token's hash is kept
        assert token not in str(conn.exec_driver_sql("SELECT * FROM sessions").all())
    accounts.close_session(store, token)
    assert accounts.session_learner(store, token, now=start) is None


def test_a_password_reset_signs_the_student_out_everywhere(store):
    ada = join(store, "ada", "long enough", "c", "c")
    token = accounts.open_session(store, ada)
    set_password(store, ada, "a new password")
    assert accounts.session_learner(store, token) is None
