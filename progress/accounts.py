"""Classroom accounts: students join with the class code and a password, teachers are set by whoever deploys.

Passwords are hashed with argon2 (argon2-cffi). Failed sign-ins are counted per name in the database, so
the limit holds across server processes: after MAX_FAILURES within FAILURE_WINDOW, that name must wait.
"""

import hashlib
import hmac
import re
import secrets
import unicodedata
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from progress.store import Store, _utc
from progress.tables import learners, sessions, sign_in_failures

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
NAME_CHARS = re.compile(r"^[\w .'-]{2,40}$")  # letters (any script), digits, space, . ' - _
PASSWORD_LENGTH = (8, 200)
ROLES = ("student", "teacher")
SESSION_LIFETIME = timedelta(days=14)  # a signed-in browser stays signed in this long

_hasher = PasswordHasher()
_UNKNOWN = _hasher.hash("a password nobody has")  # checked against for unknown names, so timing reveals nothing


class AccountError(ValueError):
    """A sign-in or sign-up that cannot go ahead; its message is for the user."""


def clean_name(name: str) -> str:
    """The name as stored: Unicode-normalized, spaces collapsed, checked against NAME_CHARS."""
    name = " ".join(unicodedata.normalize("NFKC", name or "").split())
    if not NAME_CHARS.match(name):
        raise AccountError("A name has 2 to 40 characters: letters, digits, spaces, and . ' - _")
    return name


def _check_password(password: str) -> None:
    low, high = PASSWORD_LENGTH
    if not low <= len(password or "") <= high:
        raise AccountError(f"A password has {low} to {high} characters.")


def _find(conn, name: str):
    return conn.execute(sa.select(learners).where(sa.func.lower(learners.c.name) == name.lower())).first()


def join(store: Store, name: str, password: str, code: str, class_code: str) -> int:
    """A new student account, for someone who knows the class join code."""
    if not class_code or not hmac.compare_digest(code.strip().encode(), class_code.encode()):
        raise AccountError("That join code is not this class's. Ask your teacher for it.")
    name = clean_name(name)
    _check_password(password)
    with store.engine.begin() as conn:
        if _find(conn, name) is not None:
            raise AccountError("That name is taken. Sign in, or choose another name.")
        created = conn.execute(learners.insert().values(name=name, created_at=datetime.now(UTC),
                                                        password_hash=_hasher.hash(password), role="student"))
        return created.inserted_primary_key[0]


def set_account(store: Store, name: str, password: str, role: str = "teacher") -> int:
    """Create or update an account with a password and a role (for whoever deploys: see progress.admin)."""
    if role not in ROLES:
        raise AccountError(f"role must be one of {ROLES}")
    name = clean_name(name)
    _check_password(password)
    with store.engine.begin() as conn:
        found = _find(conn, name)
        values = {"password_hash": _hasher.hash(password), "role": role}
        if found is None:
            return conn.execute(learners.insert().values(name=name, created_at=datetime.now(UTC), **values)
                                ).inserted_primary_key[0]
        conn.execute(learners.update().where(learners.c.id == found.id).values(**values))
        return found.id


def sign_in(store: Store, name: str, password: str, now: datetime | None = None) -> tuple[int, str]:
    """(learner id, role) for the right name and password; AccountError otherwise, or while the name is locked."""
    now = now or datetime.now(UTC)
    try:
        name = clean_name(name)
    except AccountError:
        raise AccountError("Wrong name or password.") from None
    with store.engine.begin() as conn:
        recent = conn.execute(sa.select(sa.func.count()).select_from(sign_in_failures).where(
            (sa.func.lower(sign_in_failures.c.name) == name.lower())
            & (sign_in_failures.c.failed_at > now - FAILURE_WINDOW))).scalar()
        if recent >= MAX_FAILURES:
            raise AccountError(f"Too many failed sign-ins for this name. Try again in "
                               f"{int(FAILURE_WINDOW.total_seconds() // 60)} minutes, or ask your teacher.")
        found = _find(conn, name)
        try:
            _hasher.verify(found.password_hash if found is not None and found.password_hash else _UNKNOWN, password)
            ok = found is not None and found.password_hash is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if ok:
            conn.execute(sign_in_failures.delete().where(sa.func.lower(sign_in_failures.c.name) == name.lower()))
        else:  # kept: the transaction commits before the refusal is raised
            conn.execute(sign_in_failures.insert().values(name=name, failed_at=now))
    if not ok:
        raise AccountError("Wrong name or password.")
    return found.id, found.role


def external(store: Store, identity: str, teachers: frozenset[str]) -> tuple[int, str]:
    """(learner id, role) for someone the school's identity provider signed in (by e-mail)."""
    identity = identity.strip().lower()
    role = "teacher" if identity in teachers else "student"
    learner_id = store.learner(identity)
    with store.engine.begin() as conn:
        conn.execute(learners.update().where(learners.c.id == learner_id).values(role=role))
    return learner_id, role


def open_session(store: Store, learner_id: int, now: datetime | None = None) -> str:
    """A new sign-in session: the token goes into the browser's cookie, only its hash into the database."""
    token = secrets.token_urlsafe(32)
    with store.engine.begin() as conn:
        conn.execute(sessions.insert().values(token_hash=_digest(token), learner_id=learner_id,
                                              expires_at=(now or datetime.now(UTC)) + SESSION_LIFETIME))
    return token


def session_learner(store: Store, token: str, now: datetime | None = None) -> tuple[int, str, str] | None:
    """(learner id, role, name) for a live session's token, else None."""
    if not isinstance(token, str) or not token or len(token) > 100:
        return None
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(learners.c.id, learners.c.role, learners.c.name, sessions.c.expires_at)
                           .join(learners, learners.c.id == sessions.c.learner_id)
                           .where(sessions.c.token_hash == _digest(token))).first()
    if row is None or _utc(row.expires_at) <= (now or datetime.now(UTC)):
        return None
    return row.id, row.role, row.name


def close_session(store: Store, token: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(sessions.delete().where(sessions.c.token_hash == _digest(token)))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def set_password(store: Store, learner_id: int, password: str) -> None:
    """A new password: signed out everywhere, and any lock on the name from failed sign-ins lifted.

    Accounts of the school's identity provider have no password here, and get none.
    """
    _check_password(password)
    with store.engine.begin() as conn:
        account = conn.execute(sa.select(learners.c.name, learners.c.password_hash)
                               .where(learners.c.id == learner_id)).first()
        if account is None:
            raise AccountError("There is no such account.")
        if account.password_hash is None:
            raise AccountError("This account signs in with the school's identity provider; its password is "
                               "changed there.")
        conn.execute(learners.update().where(learners.c.id == learner_id).values(password_hash=_hasher.hash(password)))
        conn.execute(sessions.delete().where(sessions.c.learner_id == learner_id))
        conn.execute(sign_in_failures.delete().where(sa.func.lower(sign_in_failures.c.name) == account.name.lower()))


def remove(store: Store, learner_id: int) -> None:
    """Delete a student and everything saved for them."""
    from progress.tables import attempts, review_cards

    with store.engine.begin() as conn:
        conn.execute(attempts.delete().where(attempts.c.learner_id == learner_id))
        conn.execute(review_cards.delete().where(review_cards.c.learner_id == learner_id))
        conn.execute(sessions.delete().where(sessions.c.learner_id == learner_id))
        conn.execute(learners.delete().where(learners.c.id == learner_id))


def roster(store: Store) -> list[dict]:
    """Every account: id, name, role, created_at, and has_password (False: the school's identity provider's)."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(learners.c.id, learners.c.name, learners.c.role, learners.c.created_at,
                                      learners.c.password_hash.is_not(None).label("has_password"))
                            .order_by(learners.c.name)).all()
    return [dict(row._mapping) for row in rows]
