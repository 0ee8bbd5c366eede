"""What a learner feels, measured in headless Chromium against the real app under `streamlit run`.

Run from the repository root (a few minutes; not part of the test suite):

    PYTHONPATH=. python -m bench.browser [--root DIR] [--rounds N]

`--root` runs the same measurements against another checkout of the app, for a side-by-side
baseline. Rows (medians over the rounds):

- fresh server, first visit -> first chart: a new `streamlit run`, health check passed, then
  the time from opening /activations to the first Plotly chart drawn. Includes the server's
  first imports (torch), since a learner who is first in the morning waits for them too.
- slider -> chart redrawn: one arrow-key step on the "x from −r to r" slider until the first
  function chart's x axis has changed in the page.
- The three timings above and below run on the page's own clock, from the moment it receives
  the key or click event (Playwright's own wait for a button to be scrolled into view and
  stable is not counted).
- Train click -> first live frame: a 3,000-step run (new seed each round) until the progress bar shows.
- Train click -> result shown: the default network demo with a new seed each round (nothing cached)
  until its metrics change.
- server CPU, full rerun: the app's process CPU (user + system) for one rerun of the whole page
  in which nothing changed (a click on its own link in the navigation), minus the idle
  process's CPU over the same time.
- server CPU, live tick: the app's process CPU while a long run is shown live, per live-view tick
  (every 0.3 s), minus idle.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import psutil

from bench.app_server import CHROMIUM, CHROMIUM_FLAGS, ROOT, serve, wait_for_app

LOG = ROOT / "artifacts" / "bench-browser-server.log"
CHART = "[data-testid=stPlotlyChart] .js-plotly-plot"
POLL_S = 0.3


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cpu_seconds(process: psutil.Process) -> float:
    """User + system CPU of the app's process (its workers are other processes)."""
    times = process.cpu_times()
    return times.user + times.system


def idle_cpu_rate(process: psutil.Process, seconds: float = 2.0) -> float:
    before = cpu_seconds(process)
    time.sleep(seconds)
    return (cpu_seconds(process) - before) / seconds


def first_chart(browser, root: Path, rounds: int) -> list[float]:
    """Fresh server each round: open the page, time until a chart is drawn."""
    times = []
    for i in range(rounds):
        with serve(LOG, root) as (url, _):
            page = browser.new_page(viewport={"width": 1400, "height": 1200})
            started = time.perf_counter()
            page.goto(f"{url}/activations")
            page.wait_for_selector(CHART, timeout=60_000)
            times.append(time.perf_counter() - started)
            page.close()
        note(f"  fresh server {i + 1}: first chart after {times[-1]:.2f} s")
    return times


X_FROM = f"document.querySelector('{CHART}')._fullLayout.xaxis.range[0]"  # where the first chart's x axis starts


def first_x(page) -> float:
    return page.evaluate(X_FROM)


def timed(page, event: str, done_js: str, action) -> float:
    """Seconds from the page receiving `event` (a click, a key) until `done_js` holds, by the page's clock.

    Playwright's own click waits until the button is scrolled into view and stable, which on a
    page full of charts takes longer than the app's answer: that wait must not be counted.
    """
    page.evaluate("""([event, done]) => {
        const check = new Function('return ' + done);
        window.__took = new Promise((resolve, reject) => document.addEventListener(event, () => {
            const t0 = performance.now();
            const poll = () => check() ? resolve(performance.now() - t0)
                : performance.now() - t0 > 30000 ? reject(new Error('not done 30 s after the ' + event))
                : setTimeout(poll, 5);
            poll();
        }, {capture: true, once: true}));
    }""", [event, done_js])
    action()
    return page.evaluate("window.__took") / 1000


def slider_redraws(page, rounds: int) -> list[float]:
    """Arrow-key steps on the x-range slider, each until the first chart shows the new range."""
    thumb = page.get_by_role("slider").first
    times = []
    for i in range(rounds):
        thumb.focus()
        key = "ArrowRight" if i % 2 == 0 else "ArrowLeft"
        times.append(timed(page, "keydown", f"{X_FROM} !== {first_x(page)}", lambda key=key: page.keyboard.press(key)))
        page.wait_for_timeout(300)
    return times


REPLAYED = "document.querySelectorAll('.js-plotly-plot')[1].layout.shapes[0].x0"  # the race's marked step


def replay_redraws(page, url: str, rounds: int) -> list[float]:
    """Gradient descent page: arrow-key steps on the race's replay slider, each until the loss chart marks it."""
    page.goto(f"{url}/gradient-descent")
    wait_for_app(page)
    page.get_by_text("Replay step").first.wait_for(timeout=120_000)
    page.wait_for_timeout(500)
    thumb = page.get_by_role("slider", name="Replay step")
    times = []
    for i in range(rounds):
        thumb.focus()
        key = "ArrowRight" if i % 2 == 0 else "ArrowLeft"
        before = page.evaluate(REPLAYED)
        times.append(timed(page, "keydown", f"{REPLAYED} !== {before}", lambda key=key: page.keyboard.press(key)))
        page.wait_for_timeout(300)
    return times


def set_seed(page, seed: int) -> None:
    box = page.get_by_label("Seed")
    box.fill(str(seed))
    box.press("Enter")
    page.wait_for_function("!document.querySelector('[data-testid=stStatusWidget]')", timeout=30_000)
    page.wait_for_timeout(300)


def network_result_text(page) -> str:
    return " ".join(page.locator("[data-testid=stMetricValue]").all_inner_texts())


def open_trained(page, url: str) -> None:
    """Open the page and wait until its network demo has trained once."""
    page.goto(url)
    wait_for_app(page)
    page.get_by_text("Trained on").first.wait_for(timeout=120_000)


def train_to_first_frame(page, url: str, rounds: int) -> list[float]:
    """A long run per round: Train click until the progress bar appears; then Stop."""
    open_trained(page, f"{url}/activations?steps=3000&width=64&depth=6")
    times = []
    for i in range(rounds):
        set_seed(page, 5000 + i)
        train = page.get_by_role("button", name="Train", exact=True)
        times.append(timed(page, "click", "document.querySelector('[data-testid=stProgress]') !== null", train.click))
        page.get_by_role("button", name="Stop").first.click()
        page.get_by_text("Stopped at step").first.wait_for(timeout=30_000)
    return times


def train_to_result(page, url: str, rounds: int) -> list[float]:
    """The default network demo, a new seed per round, Train click until its numbers change."""
    open_trained(page, f"{url}/activations")
    times = []
    for i in range(rounds):
        set_seed(page, 7000 + i)
        before = network_result_text(page)
        done = ("(() => { const values = [...document.querySelectorAll('[data-testid=stMetricValue]')]"
                ".map(e => e.innerText); return values.length === 4 && values.join(' ') !== " + repr(before) +
                " && !document.querySelector('[data-testid=stProgress]'); })()")
        train = page.get_by_role("button", name="Train", exact=True)
        times.append(timed(page, "click", done, train.click))
    return times


def rerun_cpu(page, process: psutil.Process, rounds: int) -> list[float]:
    """Server CPU for whole-page reruns in which nothing changed."""
    link = page.locator("[data-testid=stSidebarNav] a[href$='/activations']").first
    idle = idle_cpu_rate(process)
    costs = []
    for _ in range(rounds):
        before, started = cpu_seconds(process), time.perf_counter()
        link.click()  # the page's own link in the navigation runs its whole script again
        page.wait_for_function("!document.querySelector('[data-testid=stStatusWidget]')", timeout=30_000)
        page.wait_for_timeout(500)  # let the server finish sending
        costs.append(cpu_seconds(process) - before - idle * (time.perf_counter() - started))
    return costs


def tick_cpu(page, url: str, process: psutil.Process, seconds: float = 4.0) -> float:
    """Server CPU per live-view tick while a long run trains."""
    page.goto(f"{url}/activations?steps=3000&width=64&depth=8&acts=maxout&k=6&seed=99")
    wait_for_app(page)
    page.get_by_text("Training: step").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    idle = 0.0  # measured below, once the run is stopped
    before, started = cpu_seconds(process), time.perf_counter()
    time.sleep(seconds)
    used, elapsed = cpu_seconds(process) - before, time.perf_counter() - started
    page.get_by_role("button", name="Stop").first.click()
    page.get_by_text("Stopped at step").first.wait_for(timeout=30_000)
    idle = idle_cpu_rate(process)
    return (used - idle * elapsed) / (elapsed / POLL_S)


def row(name: str, values: list[float], unit: str, target: str) -> str:
    """A table row (also noted at once, so a later failure loses nothing measured)."""
    line = _row(name, values, unit, target)
    note(line)
    return line


def _row(name: str, values: list[float], unit: str, target: str) -> str:
    scale = 1000 if unit == "ms" else 1
    median = statistics.median(values) * scale
    spread = f"{min(values) * scale:.0f}–{max(values) * scale:.0f}" if unit == "ms" else \
        f"{min(values):.2f}–{max(values):.2f}"
    shown = f"{median:.0f} ms" if unit == "ms" else f"{median:.2f} s"
    return f"| {name} | {shown} (range {spread}, n={len(values)}) | {target} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout of the app to measure")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        note("fresh servers: first visit to the Activation page")
        rows.append(row("fresh server, first visit → first chart", first_chart(browser, args.root, 3), "s", "≤ 3 s"))
        with serve(LOG, args.root) as (url, server):
            process = psutil.Process(server.pid)
            page = browser.new_page(viewport={"width": 1400, "height": 1200})
            note("Train click → result, default demo")
            rows.append(row("Train click → default demo's result shown, p50",
                            train_to_result(page, url, args.rounds), "s", "≤ 2 s"))
            note("slider → chart redrawn")
            rows.append(row("slider → chart redrawn, p50", slider_redraws(page, args.rounds), "ms", "≤ 150 ms"))
            note("server CPU, whole-page rerun")
            rows.append(row("server CPU, one rerun of the page, nothing changed", rerun_cpu(page, process, 5),
                            "ms", "≤ 100 ms"))
            note("gradient descent: replay slider → step marked")
            rows.append(row("Gradient descent race: replay-step slider → loss chart and step table redrawn, p50",
                            replay_redraws(page, url, args.rounds), "ms", "≤ 150 ms"))
            note("Train click → first live frame")
            rows.append(row("Train click → first live frame, p50", train_to_first_frame(page, url, args.rounds),
                            "ms", "≤ 300 ms"))
            note("server CPU per live tick")
            rows.append(row("server CPU per live-progress tick", [tick_cpu(page, url, process)], "ms", "≤ 20 ms"))
        browser.close()
    print(f"App: {args.root}")
    print("| figure | measured | target |\n|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
