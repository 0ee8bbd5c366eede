"""An idle session lets go of its training results: what counts as activity, and what is dropped."""

import re

import pytest

from jobs import Job
from jobs.runner import DONE
from ui.idle import fingerprint, idle_release_s, release


def test_the_fingerprint_follows_what_a_learner_changes_and_nothing_else():
    state = {"act_width": 16, "act_acts": ["relu", "tanh"], "page_saved": {"seed": 1}, "owner_id": "abc"}
    before = fingerprint(state)
    assert fingerprint(dict(state) | {"act_acts": ["relu", "tanh"]}) == before  # a new list, the same values
    assert fingerprint(state | {"_idle_seen": (1, 2.0)}) == before  # the watcher's own bookkeeping
    for changed in ({"act_width": 17}, {"act_acts": ["relu"]}, {"page_saved": {"seed": 2}},
                    {"act_net_job": "a new job id"}):
        assert fingerprint(state | changed) != before, changed


def test_release_drops_finished_jobs_and_keeps_settings_and_running_jobs():
    done = Job("j1", DONE, [{"step": 1}], result={"loss": 0.1}, settled=True)
    state = {"act_net_job": "j1", "act_net_config": ("cfg",), "act_net_settled": done, "act_net_preset": 0,
             "lstm_job": "j2", "lstm_config": ("running",), "act_width": 16}
    assert release(state) == 1
    assert state == {"act_net_preset": 0, "act_net_released": True, "lstm_job": "j2", "lstm_config": ("running",),
                     "act_width": 16}
    assert release(state) == 0


def test_the_idle_time_is_a_setting():
    assert idle_release_s({}) == idle_release_s({"DLLAB_IDLE_RELEASE_S": ""}) == 900
    assert idle_release_s({"DLLAB_IDLE_RELEASE_S": "0"}) == 0  # never
    with pytest.raises(ValueError, match="DLLAB_IDLE_RELEASE_S"):
        idle_release_s({"DLLAB_IDLE_RELEASE_S": "soon"})


@pytest.mark.browser
def test_an_idle_tab_lets_go_of_its_results_and_train_brings_them_back(tmp_path):
    from playwright.sync_api import sync_playwright

    from bench.app_server import CHROMIUM, CHROMIUM_FLAGS, serve, wait_for_app
    from tests.test_browser import SERVER_LOG, SHOTS, assert_no_exception, wait_for_text

    env = {"DLLAB_IDLE_RELEASE_S": "6", "DLLAB_DATABASE_URL": f"sqlite:///{tmp_path / 'idle.sqlite'}"}
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serve(SERVER_LOG.with_name("browser-idle.log"), env=env) as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.goto(f"{url}/activations?depth=1&acts=tanh&width=8")
        wait_for_app(page)
        wait_for_text(page, "Trained on", "idle-trained")
        wait_for_text(page, "This tab was idle", "idle-released", timeout_ms=60_000)
        body = page.inner_text("body")
        assert "Trained on" not in body and "width=8" in page.url  # the result is gone, the settings stay
        assert "its result was let go" in body  # said in the section too, where the learner is looking
        page.screenshot(path=SHOTS / "idle-released.png")
        page.get_by_role("button", name=re.compile(r"Train$")).click()  # the network's, not "Train both"
        wait_for_text(page, "Trained on", "idle-trained-again")
        page.wait_for_function("!document.body.innerText.includes('This tab was idle')", timeout=30_000)
        assert_no_exception(page)
        browser.close()
