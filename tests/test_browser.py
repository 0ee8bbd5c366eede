"""End to end: the real app under `streamlit run`, driven by headless Chromium."""

import os
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from bench.app_server import CHROMIUM, CHROMIUM_FLAGS, ROOT, serve, wait_for_app

SHOTS = ROOT / "artifacts" / "screenshots"
SERVER_LOG = ROOT / "artifacts" / "browser-test-server.log"

pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    # CI must run this test; elsewhere it says why it could not.
    if os.environ.get("CI"):
        raise RuntimeError("Chromium is missing: install Debian's chromium package (see README)")
    pytest.skip("needs Debian's chromium package (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def app_url():
    with serve(SERVER_LOG) as (url, _):
        yield url


@pytest.fixture(scope="module")
def page(app_url):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        yield page
        browser.close()


def wait_for_text(page, text: str, name: str, timeout_ms: int = 90_000) -> None:
    """Wait for text on the page; on failure keep a screenshot and show the page and the server's log."""
    try:
        page.get_by_text(text, exact=False).first.wait_for(timeout=timeout_ms)
    except Exception:
        page.screenshot(path=SHOTS / f"failed-{name}.png", full_page=True)
        raise AssertionError(f"{text!r} never appeared.\nPage:\n{page.inner_text('body')[-3000:]}\n"
                             f"Server log:\n{SERVER_LOG.read_text()[-3000:]}") from None


def assert_no_exception(page) -> None:
    boxes = page.locator("[data-testid=stException]")
    assert boxes.count() == 0, boxes.all_inner_texts()


def test_every_page_in_the_navigation_opens_without_an_exception(page, app_url):
    from lessons import load_all
    from ui.topics import TOPICS

    expected = 2 + len(TOPICS) + len(load_all())  # home, the mock interview, one page per topic and one per lesson
    page.goto(app_url)
    wait_for_app(page)
    links = page.locator("[data-testid=stSidebarNav] a")
    page.wait_for_function(f"document.querySelectorAll('[data-testid=stSidebarNav] a').length >= {expected}")
    hrefs = list(dict.fromkeys(links.nth(i).get_attribute("href") for i in range(links.count())))
    assert len(hrefs) == expected, hrefs
    for href in hrefs:
        page.goto(href if href.startswith("http") else app_url + href)
        wait_for_app(page)
        page.wait_for_timeout(500)
        assert_no_exception(page)
        name = urlparse(href).path.strip("/") or "home"
        page.screenshot(path=SHOTS / f"{name}.png")
    for topic in TOPICS:
        assert any(urlparse(href).path.strip("/") == topic.slug for href in hrefs), topic.slug


def test_a_training_run_starts_and_finishes_in_the_browser(page, app_url):
    page.goto(f"{app_url}/activations?data=xor&depth=1&acts=tanh&width=8")
    wait_for_app(page)
    wait_for_text(page, "Trained on", "network")
    assert_no_exception(page)
    # A deep link goes through the app's navigation, not Streamlit's own folder routing.
    assert "Lessons" in page.locator("[data-testid=stSidebarNav]").inner_text()
    page.get_by_role("button", name="Train both").click()
    wait_for_text(page, "One hidden layer:", "xor")
    assert_no_exception(page)
    assert "data=xor" in page.url  # the setup stays shareable
    page.wait_for_function("!document.body.innerText.includes('Starting the training workers')", timeout=30_000)
    page.set_viewport_size({"width": 1400, "height": 5600})
    page.screenshot(path=SHOTS / "activations-trained.png")
    page.set_viewport_size({"width": 1400, "height": 1000})
    # Through the navigation to Home and back: the settings return, and the address shows them at once.
    nav = page.locator("[data-testid=stSidebarNav]")
    nav.get_by_role("link", name="Home", exact=True).click()
    page.wait_for_url(f"{app_url}/")
    nav.get_by_role("link", name="Activation functions", exact=True).click()
    page.wait_for_url("**/activations?**", timeout=10_000)
    assert "data=xor" in page.url and "acts=tanh" in page.url


def test_leaving_the_page_while_a_section_settles_keeps_every_setting(page, app_url):
    """A section whose run settles just as the learner switches pages must not reset the page's other settings.

    (The browser can send that rerun with the page's other widgets half torn down, at their minimums.)
    """
    # XOR widths no other test trains here: a cached result settles at once and would test nothing.
    for xwidth, delay_ms in ((13, 500), (14, 1200), (15, 2000)):
        query = f"data=xor&depth=1&acts=tanh&width=8&seed={xwidth}&xwidth={xwidth}"
        page.goto(f"{app_url}/activations?{query}")
        wait_for_app(page)
        wait_for_text(page, "Trained on", f"leave-{xwidth}")
        page.get_by_role("button", name="Train both").click()
        page.wait_for_timeout(delay_ms)
        nav = page.locator("[data-testid=stSidebarNav]")
        nav.get_by_role("link", name="Home", exact=True).click()
        page.wait_for_url(f"{app_url}/")
        page.wait_for_timeout(1000)
        nav.get_by_role("link", name="Activation functions", exact=True).click()
        page.wait_for_url("**/activations?**", timeout=10_000)
        assert parse_qs(urlparse(page.url).query) == parse_qs(query), (delay_ms, page.url)


def test_two_sections_that_go_live_at_once_both_settle(page, app_url):
    """A long network run, then Train both: the network section shows it was replaced, XOR shows its result.

    (A cached XOR result would be shown at once and leave the network run going.)
    """
    # Minutes of work for the network, and an XOR setup that no other test has trained.
    page.goto(f"{app_url}/activations?steps=3000&width=64&depth=8&acts=maxout&k=6&seed=77&xwidth=7")
    wait_for_app(page)
    wait_for_text(page, "Training: step", "long-run")
    page.get_by_role("button", name="Train both").click()
    wait_for_text(page, "One hidden layer:", "xor-after-replace")
    wait_for_text(page, "you started another run", "replaced-note")
    assert page.locator("[data-testid=stProgress]").count() == 0
    assert_no_exception(page)


def test_a_lessons_try_it_link_opens_the_demo_with_its_preset_in_the_same_tab(page, app_url):
    from lessons import load_all
    from ui.topics import BY_SLUG

    lesson = next(lesson for lesson in load_all() if any(q.try_it for q in lesson.questions))
    link = next(link for q in lesson.questions for link in q.try_it)
    page.goto(f"{app_url}/lesson-{lesson.id}")
    wait_for_app(page)
    page.get_by_role("link", name=f"Try it: {link.label}").first.click()
    page.wait_for_url(f"**/{link.page}?**")
    wait_for_app(page)
    wait_for_text(page, "Trained on", "try-it")
    assert_no_exception(page)
    assert len(page.context.pages) == 1  # no new tab, so no new session and no second training run
    # The page writes its widgets' values back into the address: the preset must survive that.
    spec = BY_SLUG[link.page].params
    query = parse_qs(urlparse(page.url).query)
    for name, value in link.params.items():
        value = tuple(value) if isinstance(value, list) else value
        if value != spec[name].default:
            assert query[name] == [spec[name].format(value)], name


def test_on_a_fresh_server_every_section_that_waited_for_the_workers_gets_its_train_button(page):
    """A page opened while the workers start: each of its sections must come back once they are up."""
    with serve(ROOT / "artifacts" / "browser-test-fresh-server.log") as (url, _):
        fresh = page.context.browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            fresh.goto(f"{url}/overfitting")
            wait_for_app(fresh)
            fresh.get_by_text("K-fold cross-validation").first.wait_for(timeout=60_000)
            waiting = "Starting the training workers"
            fresh.wait_for_function(f"!document.body.innerText.includes('{waiting}')", timeout=60_000)
            assert fresh.get_by_role("button", name="Train").count() >= 5
        finally:
            fresh.close()
