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
    if _identity_provider() and st.user.is_logged_in and st.user.get("email"):
        from progress.accounts import external

        st.session_state.learner_id, st.session_state.role = external(db, st.user.email, _teacher_emails())
        st.session_state.learner_name = st.user.email
        return True
    return False


def is_teacher() -> bool:
    return classroom() and st.session_state.get("role") == "teacher"


def sign_in_screen() -> None:
    """The classroom's front door: the identity provider's button, or sign in / join with the class code."""
    from progress.accounts import AccountError, join, sign_in
    from ui.progress import store

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
                st.session_state.learner_id, st.session_state.role = sign_in(db, name, password)
                st.session_state.learner_name = " ".join(name.split())
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
                    st.session_state.learner_id = join(db, name, password, code, _join_code())
                    st.session_state.role = "student"
                    st.session_state.learner_name = " ".join(name.split())
                    st.rerun()
                except AccountError as problem:
                    st.error(str(problem))


def account_box() -> None:
    """In the sidebar, in classroom mode: who is signed in, and Sign out."""
    if not classroom() or "learner_id" not in st.session_state:
        return
    with st.sidebar:
        st.caption("Signed in as")
        st.text(st.session_state.get("learner_name", ""))  # st.text: a name is never rendered as Markdown
        if st.button("Sign out", icon=":material/logout:"):
            for key in ("learner_id", "role", "learner_name"):
                st.session_state.pop(key, None)
            if _identity_provider() and st.user.is_logged_in:
                st.logout()
            st.rerun()
