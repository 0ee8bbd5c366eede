"""End to end: a quiz taken in Chromium is graded and saved, and is still there after the app restarts."""

import pytest

from bench.app_server import CHROMIUM, CHROMIUM_FLAGS, serve, wait_for_app
from lessons import load_all
from tests.test_browser import SERVER_LOG, SHOTS, assert_no_exception, wait_for_text

pytestmark = pytest.mark.browser

LESSON = next(lesson for lesson in load_all() if any(item.kind == "choice" for item in lesson.quiz))
ITEM = next(item for item in LESSON.quiz if item.kind == "choice")


def test_a_quiz_answer_survives_a_restart_of_the_app_and_comes_back_for_review(tmp_path):
    from playwright.sync_api import sync_playwright

    env = {"DLLAB_DATABASE_URL": f"sqlite:///{tmp_path / 'progress.sqlite'}"}
    wrong = next(option for i, option in enumerate(ITEM.options) if i not in ITEM.right)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        with serve(SERVER_LOG.with_name("browser-progress-1.log"), env=env) as (url, _):
            page.goto(f"{url}/lesson-{LESSON.id}")
            wait_for_app(page)
            form = page.locator("[data-testid=stForm]").filter(has_text=ITEM.options[0].text[:40]).first
            form.wait_for(timeout=60_000)
            form.scroll_into_view_if_needed()
            form.get_by_role("radio", name=wrong.text).check(force=True)
            form.get_by_role("button", name="Check my answer").click()
            wait_for_text(page, "Not this one.", "quiz-graded")
            wait_for_text(page, wrong.why[:60], "quiz-why")
            assert_no_exception(page)
            page.screenshot(path=SHOTS / "quiz-graded.png")
        with serve(SERVER_LOG.with_name("browser-progress-2.log"), env=env) as (url, _):  # a new server process
            page.goto(url)
            wait_for_app(page)
            wait_for_text(page, "quiz items right", "home-progress")
            body = page.inner_text("body")
            assert "0 of" in body
            # the missed item's first review step is a minute away; the queue says it is scheduled
            assert "1 are scheduled for later" in body or "review item" in body
            assert_no_exception(page)
            page.locator("[data-testid=stExpander]").filter(has_text="Your saved progress").click()
            with page.expect_download() as download:
                page.get_by_role("button", name="Download as CSV").click()
            exported = download.value.path().read_text()
            assert f"{LESSON.id},{ITEM.id},choice,lesson,0" in exported
            page.screenshot(path=SHOTS / "home-after-restart.png")
        browser.close()
