"""Classroom mode with the school's identity provider, end to end: `st.login` through OpenID Connect's
authorization-code flow against a provider on loopback, the teacher known by e-mail, sign-out."""

import pytest

from bench.app_server import CHROMIUM, CHROMIUM_FLAGS, free_port, serve, wait_for_app
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, identity_provider
from tests.test_browser import SERVER_LOG, SHOTS, assert_no_exception, wait_for_text

pytestmark = pytest.mark.browser
TEACHER = "rivera@school.example"


def sign_in_with_school(page, email: str) -> None:
    page.get_by_role("button", name="Sign in with your school account").click()
    page.get_by_label("School e-mail").fill(email)  # the provider's own page
    page.get_by_role("button", name="Sign in").click()
    wait_for_app(page)


def test_students_and_teachers_sign_in_through_the_schools_identity_provider(tmp_path):
    from playwright.sync_api import sync_playwright

    port = free_port()
    with identity_provider() as idp:
        secrets = tmp_path / "secrets.toml"
        secrets.write_text(f"""[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "a-long-random-string-for-the-test-only"
client_id = "{CLIENT_ID}"
client_secret = "{CLIENT_SECRET}"
server_metadata_url = "{idp.issuer}/.well-known/openid-configuration"
""")
        env = {"DLLAB_DATABASE_URL": f"sqlite:///{tmp_path / 'class.sqlite'}", "DLLAB_MODE": "classroom",
               "DLLAB_TEACHER_EMAILS": f"someone@school.example, {TEACHER.upper()}"}
        SHOTS.mkdir(parents=True, exist_ok=True)
        with serve(SERVER_LOG.with_name("browser-oidc.log"), env=env, port=port,
                   args=("--secrets.files", str(secrets))) as (url, _), sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            wait_for_text(page, "Sign in with your school account", "oidc-front-door")
            assert "Join the class" not in page.inner_text("body")  # no join code: the school's accounts only

            sign_in_with_school(page, "ada@school.example")
            wait_for_text(page, "Your study plan", "oidc-student")
            sidebar = page.locator("[data-testid=stSidebar]").inner_text()
            assert "ada@school.example" in sidebar and "Class dashboard" not in sidebar
            page.goto(f"{url}/teacher")
            wait_for_app(page)
            assert "Class dashboard" not in page.inner_text("body")
            assert_no_exception(page)

            page.goto(url)
            wait_for_app(page)
            page.get_by_role("button", name="Sign out").click()
            wait_for_text(page, "Sign in with your school account", "oidc-signed-out")

            sign_in_with_school(page, TEACHER)
            wait_for_text(page, "Class dashboard", "oidc-teacher")
            page.locator("[data-testid=stSidebarNav]").get_by_role("link", name="Class dashboard").click()
            wait_for_text(page, "Progress per topic", "oidc-dashboard")
            page.wait_for_function("!document.querySelector('[data-testid=stStatusWidget]')", timeout=30_000)
            page.locator("[data-testid=stSelectbox]").filter(has_text="Student").click()
            page.get_by_role("option", name="ada@school.example").wait_for()  # has answered nothing yet
            page.keyboard.press("Escape")
            assert "its password is changed there" in page.inner_text("body")  # no reset for school accounts
            assert_no_exception(page)
            page.screenshot(path=SHOTS / "classroom-oidc-teacher.png")
            browser.close()
