"""Who is at the keyboard.

Local mode (the default): one learner, the person at the keyboard, no sign-in. Classroom mode
(`DLLAB_MODE=classroom`): everyone signs in, through the school's identity provider (OpenID Connect with
`st.login`, when `.streamlit/secrets.toml` has an `[auth]` section) or with a name and password, students
creating their account with the class join code (`DLLAB_JOIN_CODE`).
"""

import os

import streamlit as st

LOCAL_LEARNER = "local"


def classroom() -> bool:
    return os.environ.get("DLLAB_MODE", "local").strip().lower() == "classroom"


def _join_code() -> str:
    return os.environ.get("DLLAB_JOIN_CODE", "").strip()


def _teacher_emails() -> frozenset[str]:
    return frozenset(e.strip().lower() for e in os.environ.get("DLLAB_TEACHER_EMAILS", "").split(",") if e.strip())


def _identity_provider() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def signed_in() -> bool:
    """Whether a learner is known: always in local mode; in classroom mode, once they have signed in."""
    if "learner_id" in st.session_state:
        return True
    from ui.progress import store

    if (db := store()) is None:
        return not classroom()  # local mode works on without saving; a classroom cannot tell students apart
    if not classroom():
        st.session_state.learner_id, st.session_state.role = db.learner(LOCAL_LEARNER), "student"
        return True
    if found := _remembered(db):  # a browser that signed in before, on this device
        st.session_state.learner_id, st.session_state.role, st.session_state.learner_name = found
        return True
    if _identity_provider() and st.user.is_logged_in and st.user.get("email"):
        from progress.accounts import external

        st.session_state.learner_id, st.session_state.role = external(db, st.user.email, _teacher_emails())
        st.session_state.learner_name = st.user.email
        return True
    return False


COOKIE = "dllab_session"


def _remembered(db) -> tuple[int, str, str] | None:
    from progress.accounts import session_learner

    token = st.context.cookies.get(COOKIE)
    return session_learner(db, token) if isinstance(token, str) and token else None


def _signed_in_as(db, learner_id: int, role: str, name: str) -> None:
    """Remember the learner in this session, and in the browser's cookie for the next visit."""
    from progress.accounts import open_session

    st.session_state.learner_id, st.session_state.role, st.session_state.learner_name = learner_id, role, name
    st.session_state.auth_cookie = open_session(db, learner_id)


def _cookie_script(token: str, max_age: int) -> None:
    """Set (or, with max_age 0, clear) the session cookie in the browser; the token is URL-safe base64."""
    secure = "; Secure" if st.context.url and st.context.url.startswith("https") else ""
    st.html(f'<script>document.cookie = "{COOKIE}={token}; Max-Age={max_age}; Path=/; SameSite=Strict{secure}";'
            "</script>", unsafe_allow_javascript=True, width=1)


def is_teacher() -> bool:
    return classroom() and st.session_state.get("role") == "teacher"


def sign_in_screen() -> None:
    """The classroom's front door: the identity provider's button, or sign in / join with the class code."""
    from progress.accounts import AccountError, join, sign_in
    from ui.progress import store

    if st.session_state.pop("auth_clear_cookie", False):
        _cookie_script("", 0)
    st.title("Deep Learning Interview Lab")
    if (db := store()) is None:
        st.error("The class's progress database cannot be reached, so nobody can sign in right now. "
                 "Tell your teacher; the server log says why.")
        return
    if _identity_provider():
        st.write("Sign in with your school account to save your progress.")
        st.button("Sign in with your school account", type="primary", on_click=st.login,
                  icon=":material/login:")
        return
    st.write("Sign in to save your progress. New here? Join your class with the code your teacher gave you.")
    tabs = st.tabs(["Sign in", "Join the class"] if _join_code() else ["Sign in"])
    with tabs[0], st.form("auth_sign_in"):
        name = st.text_input("Name", max_chars=40, autocomplete="username")
        password = st.text_input("Password", type="password", max_chars=200, autocomplete="current-password")
        if st.form_submit_button("Sign in", type="primary"):
            try:
                learner_id, role = sign_in(db, name, password)
                _signed_in_as(db, learner_id, role, " ".join(name.split()))
                st.rerun()
            except AccountError as problem:
                st.error(str(problem))
    if _join_code():
        with tabs[1], st.form("auth_join"):
            name = st.text_input("Choose a name", max_chars=40, help="2 to 40 letters, digits or spaces")
            password = st.text_input("Choose a password", type="password", max_chars=200,
                                     help="at least 8 characters", autocomplete="new-password")
            code = st.text_input("Class join code", max_chars=100)
            if st.form_submit_button("Join the class", type="primary"):
                try:
                    learner_id = join(db, name, password, code, _join_code())
                    _signed_in_as(db, learner_id, "student", " ".join(name.split()))
                    st.rerun()
                except AccountError as problem:
                    st.error(str(problem))


def account_box() -> None:
    """In the sidebar, in classroom mode: who is signed in, and Sign out."""
    if not classroom() or "learner_id" not in st.session_state:
        return
    with st.sidebar:
        if token := st.session_state.pop("auth_cookie", None):
            from progress.accounts import SESSION_LIFETIME

            _cookie_script(token, int(SESSION_LIFETIME.total_seconds()))
        st.caption("Signed in as")
        st.text(st.session_state.get("learner_name", ""))  # st.text: a name is never rendered as Markdown
        if st.button("Sign out", icon=":material/logout:"):
            from progress.accounts import close_session
            from ui.progress import store

            if isinstance(token := st.context.cookies.get(COOKIE), str) and (db := store()) is not None:
                close_session(db, token)
            for key in ("learner_id", "role", "learner_name"):
                st.session_state.pop(key, None)
            st.session_state.auth_clear_cookie = True
            if _identity_provider() and st.user.is_logged_in:
                st.logout()
            st.rerun()
