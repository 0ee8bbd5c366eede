"""End to end in classroom mode: a student joins, stays signed in across a reload, cannot open the teacher's
dashboard, and signs out."""

import pytest

from bench.app_server import CHROMIUM, CHROMIUM_FLAGS, serve, wait_for_app
from tests.test_browser import SERVER_LOG, SHOTS, assert_no_exception, wait_for_text

pytestmark = pytest.mark.browser


def test_a_student_joins_stays_signed_in_across_a_reload_and_signs_out(tmp_path):
    from playwright.sync_api import sync_playwright

    env = {"DLLAB_DATABASE_URL": f"sqlite:///{tmp_path / 'class.sqlite'}", "DLLAB_MODE": "classroom",
           "DLLAB_JOIN_CODE": "ML-42"}
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serve(SERVER_LOG.with_name("browser-classroom.log"), env=env) as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        wait_for_text(page, "Join the class", "sign-in-screen")  # no navigation until signed in
        page.get_by_role("tab", name="Join the class").click()
        page.get_by_label("Choose a name", exact=True).fill("Ada Byron")
        page.get_by_label("Choose a password", exact=True).fill("long enough")
        page.get_by_label("Class join code", exact=True).fill("ML-42")
        page.get_by_role("button", name="Join the class").click()
        wait_for_text(page, "Your study plan", "joined")
        assert "Ada Byron" in page.locator("[data-testid=stSidebar]").inner_text()
        page.wait_for_timeout(1000)  # the cookie is set by the page once drawn

        page.reload()
        wait_for_app(page)
        wait_for_text(page, "Your study plan", "after-reload")
        assert_no_exception(page)

        page.goto(f"{url}/teacher")
        wait_for_app(page)
        page.wait_for_timeout(2000)
        assert "Class dashboard" not in page.inner_text("body")

        page.goto(url)
        wait_for_app(page)
        page.get_by_role("button", name="Sign out").click()
        wait_for_text(page, "Sign in to save your progress", "signed-out")
        page.wait_for_timeout(1000)
        page.reload()
        wait_for_text(page, "Sign in to save your progress", "signed-out-after-reload")
        page.screenshot(path=SHOTS / "classroom-signed-out.png")
        browser.close()
