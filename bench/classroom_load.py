"""A class on one server, in the style of JupyterHub's hubtraf: figures, reported, not asserted.

Run from the repository root (a few minutes per class size; not part of the test suite):

    PYTHONPATH=. .venv/bin/python -m bench.classroom_load --students 10 20 40

Each class size gets a fresh server (`bench.app_server.serve`) in classroom mode with its own
SQLite database and the job service's settings from the environment (the deployment defaults,
twice as many workers as cores, unless DLLAB_* variables are set). A warm-up student opens the
Activation page first, so the training workers are up, as they are once a teacher has shown it.

Simulated students are protocol-level clients, not browsers: each opens Streamlit's websocket
(`/_stcore/stream`) and speaks its protocol with the protobuf classes of the installed streamlit
package, as the browser's frontend does: a `BackMsg.rerun_script` carries the page's script hash,
the query string, every widget value the client holds (values taken from the widgets' element
protos, or set by the student), a button's one-off trigger and, for a widget inside a fragment,
the fragment's id; `run_every` fragments are rerun on the `auto_rerun` timers the server asks
for. The client keeps the page's element tree from the ForwardMsg deltas. Students arrive spread
over ARRIVAL_S seconds; each:

1. joins the class with the join code (a new account: name, password, code);
2. opens the Activation page (its network section trains the default demo on first view) and
   waits for that result;
3. moves the "Units per hidden layer" slider and types its own seed, so its run is its own;
4. presses Train: seconds to the first chart (the live loss chart with a point on it, or the
   result if it came first) and to the result (the run that draws the result's charts has
   finished); every chart's numbers are finite, the address bar holds the student's seed and
   the result is its own run, not the cache's;
5. opens the Activation lesson, picks an answer to its first quiz item, presses "Check my
   answer" and sees the feedback;
6. the attempt is in the database (`progress.Store(url).attempts(learner_id)`).

A failed action is counted and the student goes on with the next one it can still do. One real
Chromium session does the same steps alongside, as a check that what the protocol clients see
(the result's charts and metrics) is what a browser shows. Server CPU is the `streamlit run`
process's (% of one core), workers' is the sum over its child processes, sampled every second
while students are active; memory per student is the server's RSS growth over the warm server,
divided by the class size.

Fairness: on one server, FAIR_PHASES turns of FAIR_OTHERS students taking the steps above (each
training FAIR_ROUNDS times, a new seed each time) alone, then beside one more student, the hog,
who opens a link with the largest job the page allows (8 maxout layers of 64 units, k = 6, 3,000
steps, batch 8) and, each time it ends, opens it again with a new seed. Alternating the two
conditions spreads other load on the machine over both. The others' p95 time to result, pooled
over the turns, alone and beside the hog.

A table goes to stdout, progress notes to stderr, and the figures to artifacts/classroom_load.json.
"""

import argparse
import asyncio
import base64
import contextlib
import json
import math
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import psutil
import sqlalchemy as sa
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.app_server import CHROMIUM, CHROMIUM_FLAGS, ROOT, serve

ARRIVAL_S = 60.0  # students arrive spread over this long
ACTION_TIMEOUT_S = 120.0  # one action (a rerun, or a training run to its result) may take this long
JOIN_CODE = "physics-7b"
PASSWORD = "load-test-password"
TOPIC = "activations"
LESSON = "lesson-activations"
SECTION = "act_net"  # the Activation page's network section: the default training demo
LIVE_CHART, RESULT_CHART = f"{SECTION}_live", "act_loss"
FAIR_OTHERS = 10
FAIR_PHASES = 2  # alone, beside the hog, alone, beside the hog: other load on the machine falls on both alike
FAIR_ROUNDS = 3  # each of the others trains this many times (a new seed each time)
OUT = ROOT / "artifacts" / "classroom_load.json"
FINISHED_OK = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
# The largest job the page allows (its sliders' upper limits), as a link's query: the hog's job.
HOG_QUERY = {"depth": "8", "width": "64", "acts": ",".join(["maxout"] * 8), "k": "6", "steps": "3000", "batch": "8"}


def note(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the protocol: pure parts


def widget_value(element: Element) -> tuple[str, str, object] | None:
    """(widget id, WidgetState field, value) that the browser holds for a widget element it has just drawn.

    None for elements that are not widgets, for buttons (they send a one-off trigger when
    pressed), and for widgets with no value yet (a radio with index=None).
    """
    kind = element.WhichOneof("type")
    if kind is None:
        return None
    proto = getattr(element, kind)
    widget_id = getattr(proto, "id", "")
    if not widget_id:
        return None
    chosen = proto.set_value if hasattr(proto, "set_value") else False
    if kind in ("text_input", "text_area"):
        if chosen:
            return widget_id, "string_value", proto.value
        return (widget_id, "string_value", proto.default) if proto.HasField("default") else None
    if kind == "checkbox":
        return widget_id, "bool_value", proto.value if chosen else proto.default
    if kind == "slider":
        if proto.options:  # select_slider: the options' labels
            if chosen:
                return widget_id, "string_array_value", list(proto.raw_value)
            return widget_id, "string_array_value", [proto.options[int(i)] for i in proto.default]
        return widget_id, "double_array_value", list(proto.value if chosen else proto.default)
    if kind in ("selectbox", "radio"):
        if chosen:
            return widget_id, "string_value", proto.raw_value
        return (widget_id, "string_value", proto.options[proto.default]) if proto.HasField("default") else None
    if kind == "multiselect":
        if chosen:
            return widget_id, "string_array_value", list(proto.raw_values)
        return widget_id, "string_array_value", [proto.options[i] for i in proto.default]
    if kind == "number_input":
        field_name = "int_value" if proto.data_type == proto.INT else "double_value"
        value = proto.value if chosen else proto.default if proto.HasField("default") else None
        if value is None:
            return None
        return widget_id, field_name, int(value) if field_name == "int_value" else float(value)
    return None


def rerun_message(page_script_hash: str, widgets: dict[str, tuple[str, object]], *, url: str = "",
                  query_string: str = "", trigger: str | None = None, fragment_id: str = "",
                  is_auto_rerun: bool = False) -> BackMsg:
    """The browser's rerun request: the page, the query string, every widget value held, a pressed button."""
    msg = BackMsg()
    state = msg.rerun_script
    state.query_string = query_string
    state.page_script_hash = page_script_hash
    state.fragment_id = fragment_id
    state.is_auto_rerun = is_auto_rerun
    state.context_info.timezone = "UTC"
    state.context_info.timezone_offset = 0
    state.context_info.locale = "en-US"
    state.context_info.url = url
    state.context_info.color_scheme = "light"
    state.widget_states.SetInParent()
    for widget_id, (field_name, value) in widgets.items():
        _set(state.widget_states.widgets.add(), widget_id, field_name, value)
    if trigger:
        _set(state.widget_states.widgets.add(), trigger, "trigger_value", True)
    return msg


def _set(widget, widget_id: str, field_name: str, value) -> None:
    widget.id = widget_id
    if field_name.endswith("_array_value"):
        getattr(widget, field_name).data.extend(value)
    else:
        setattr(widget, field_name, value)


def plotly_numbers(value) -> list[float]:
    """Every number in a plotly figure's data, decoding plotly's typed arrays ({"dtype", "bdata"})."""
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            raw = base64.b64decode(value["bdata"])
            return np.frombuffer(raw, dtype=np.dtype(value["dtype"])).astype(float).tolist()
        return [x for v in value.values() for x in plotly_numbers(v)]
    if isinstance(value, list):
        return [x for v in value for x in plotly_numbers(v)]
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, str) and value.strip().lower() in ("nan", "inf", "-inf", "infinity", "-infinity"):
        return [float(value)]
    return []


def chart_is_finite(spec: str) -> bool:
    """A figure (Streamlit's plotly_chart spec) that plots something, every x/y/z number finite."""
    traces = json.loads(spec).get("data", [])
    numbers = [x for trace in traces for axis in ("x", "y", "z") for x in plotly_numbers(trace.get(axis))]
    return bool(numbers) and all(math.isfinite(x) for x in numbers)


def percentile(values: list[float], p: float) -> float | None:
    """The p-th percentile (linear between closest ranks), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


# ---------------------------------------------------------------- the element tree


@dataclass
class Node:
    element: Element | None  # None for a block
    block: object | None
    fragment_id: str
    run_id: str


class Page:
    """The app's element tree as the browser holds it, from ForwardMsg deltas, by delta path."""

    def __init__(self):
        self.nodes: dict[tuple[int, ...], Node] = {}
        self.parent: dict[str, str] = {}  # fragment id -> the fragment it is drawn in

    def apply(self, msg: ForwardMsg, run_id: str, run_fragments: list[str]) -> Element | None:
        """Apply one delta; returns the element it drew, if any."""
        path = tuple(msg.metadata.delta_path)
        delta = msg.delta
        kind = delta.WhichOneof("type")
        fragment = delta.fragment_id
        if fragment and fragment not in self.parent:
            outer = next((self.nodes[path[:i]].fragment_id for i in range(len(path) - 1, 0, -1)
                          if path[:i] in self.nodes and self.nodes[path[:i]].fragment_id not in ("", fragment)), "")
            outer = outer or next((f for f in run_fragments if f != fragment), "")
            if outer:
                self.parent[fragment] = outer
        if kind == "new_element":
            if path in self.nodes and self.nodes[path].element is None:
                self._drop_under(path)
            self.nodes[path] = Node(delta.new_element, None, fragment, run_id)
            return delta.new_element
        if kind == "add_block":
            self.nodes[path] = Node(None, delta.add_block, fragment, run_id)
        return None

    def _drop_under(self, path: tuple[int, ...]) -> None:
        for p in [p for p in self.nodes if len(p) > len(path) and p[:len(path)] == path]:
            del self.nodes[p]

    def within(self, fragment_ids) -> set[str]:
        """These fragments and every fragment drawn inside them."""
        inside = set(fragment_ids)
        grew = True
        while grew:
            more = {child for child, outer in self.parent.items() if outer in inside} - inside
            inside |= more
            grew = bool(more)
        return inside

    def finish(self, run_id: str, fragment_ids: list[str]) -> None:
        """After a successful run: drop what it did not draw again (of its fragments only, for a fragment run)."""
        if fragment_ids:
            inside = self.within(fragment_ids)
            stale = [p for p, n in self.nodes.items() if n.fragment_id in inside and n.run_id != run_id]
        else:
            stale = [p for p, n in self.nodes.items() if n.run_id != run_id]
        for p in stale:
            self.nodes.pop(p, None)
            self._drop_under(p)

    def drop_fragments(self, fragment_ids) -> None:
        """Fragments the server says are gone (no longer drawn): their elements go too."""
        inside = self.within(fragment_ids)
        for p in [p for p, n in self.nodes.items() if n.fragment_id in inside]:
            self.nodes.pop(p, None)

    def clear(self) -> None:
        self.nodes.clear()

    def elements(self, kind: str | None = None) -> list[tuple[tuple[int, ...], Node]]:
        found = [(p, n) for p, n in sorted(self.nodes.items()) if n.element is not None]
        return [(p, n) for p, n in found if kind is None or n.element.WhichOneof("type") == kind]

    def find(self, kind: str, *, label: str | None = None, id_suffix: str | None = None,
             form_prefix: str | None = None) -> Node | None:
        for _, node in self.elements(kind):
            proto = getattr(node.element, kind)
            if label is not None and getattr(proto, "label", None) != label:
                continue
            if id_suffix is not None and not getattr(proto, "id", "").endswith(id_suffix):
                continue
            if form_prefix is not None and not getattr(proto, "form_id", "").startswith(form_prefix):
                continue
            return node
        return None

    def charts(self, id_suffix: str = "") -> list[Node]:
        return [n for _, n in self.elements("plotly_chart") if n.element.plotly_chart.id.endswith(id_suffix)]

    def texts(self) -> list[str]:
        out = []
        for _, node in self.elements():
            proto = getattr(node.element, node.element.WhichOneof("type"))
            for name in ("body", "label"):
                if isinstance(getattr(proto, name, None), str):
                    out.append(getattr(proto, name))
        return out

    def widget_ids(self) -> set[str]:
        return {v[0] for _, n in self.elements() if (v := widget_value(n.element)) is not None}


# ---------------------------------------------------------------- one simulated student


class ProtocolError(RuntimeError):
    pass


class Student:
    """One browser tab, at the protocol level."""

    def __init__(self, base_url: str, name: str):
        self.base_url, self.name = base_url, name
        self.page = Page()
        self.values: dict[str, tuple[str, object]] = {}  # what the browser's widget manager holds
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.page_hash = ""
        self.main_hash = ""
        self.query = ""
        self.path = ""
        self.run_id = ""
        self.run_fragments: list[str] = []
        self.finished: list[tuple[str, int]] = []  # (run id, status)
        self.timers: dict[str, list[float]] = {}  # fragment id -> [interval, next due]
        self.lock = asyncio.Lock()
        self.changed = asyncio.Condition()
        self.closed: str | None = None
        self.bytes_in = 0  # ForwardMsg bytes received
        self.ws = None
        self._tasks: list[asyncio.Task] = []

    async def connect(self) -> None:
        ws_url = self.base_url.replace("http://", "ws://") + "/_stcore/stream"
        self.ws = await websockets.connect(ws_url, subprotocols=["streamlit"], max_size=64 * 2**20,
                                           open_timeout=ACTION_TIMEOUT_S, ping_interval=None)
        self._tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._timers())]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                self._handle(msg)
                self.bytes_in += len(raw)
                async with self.changed:
                    self.changed.notify_all()
        except Exception as exc:  # the connection ended
            self.closed = repr(exc)
        else:
            self.closed = "closed by the server"
        async with self.changed:
            self.changed.notify_all()

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if msg.ref_hash:
            raise ProtocolError("a cached-message reference came back, but this client caches nothing")
        if kind == "new_session":
            self.run_id = msg.metadata.run.script_run_id
            self.run_fragments = list(msg.metadata.run.fragment_ids)
            self.page_hash = msg.new_session.page_script_hash
            self.main_hash = msg.new_session.main_script_hash
            if not self.run_fragments:  # a full run: the browser drops its timers, the run registers them again
                self.timers.clear()
        elif kind == "delta":
            element = self.page.apply(msg, self.run_id, self.run_fragments)
            if element is not None and (value := widget_value(element)) is not None:
                proto = getattr(element, element.WhichOneof("type"))
                if getattr(proto, "set_value", False) or value[0] not in self.values:
                    self.values[value[0]] = value[1:]
        elif kind == "navigation":
            self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "auto_rerun":
            interval = msg.auto_rerun.interval
            self.timers[msg.auto_rerun.fragment_id] = [interval, time.monotonic() + interval]
        elif kind == "stop_auto_rerun":
            for fragment_id in msg.stop_auto_rerun.fragment_ids:
                self.timers.pop(fragment_id, None)
            self.page.drop_fragments(msg.stop_auto_rerun.fragment_ids)
        elif kind == "script_finished":
            status = msg.script_finished
            run_id = msg.metadata.run.script_run_id
            if status in FINISHED_OK:
                self.page.finish(run_id, list(msg.metadata.run.fragment_ids))
                if status == ForwardMsg.FINISHED_SUCCESSFULLY:  # the browser forgets widgets no longer drawn
                    drawn = self.page.widget_ids()
                    self.values = {k: v for k, v in self.values.items() if k in drawn}
            self.finished.append((run_id, status))

    async def _timers(self) -> None:
        """The browser's `run_every` timers: rerun a fragment when its interval has passed."""
        while True:
            await asyncio.sleep(0.02)
            now = time.monotonic()
            for fragment_id, timer in list(self.timers.items()):
                if now >= timer[1] and not self.lock.locked():
                    try:
                        await self.rerun(fragment_id=fragment_id, is_auto_rerun=True)
                    except Exception:  # a tick that fails shows in the action waiting on it
                        pass
                    if fragment_id in self.timers:
                        self.timers[fragment_id][1] = time.monotonic() + self.timers[fragment_id][0]
                    break

    def live_timer(self) -> bool:
        """A live view's timer is set (it ticks every POLL_S; the idle watcher's ticks are a second or more apart)."""
        return any(interval < 1.0 for interval, _ in self.timers.values())

    async def wait_for(self, predicate, timeout: float = ACTION_TIMEOUT_S, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        async with self.changed:
            while not predicate():
                if self.closed:
                    raise ProtocolError(f"connection ended ({self.closed}) waiting for {what}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {what} within {timeout:.0f} s")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.changed.wait(), timeout=min(left, 1.0))

    async def rerun(self, *, page_hash: str | None = None, trigger: str | None = None, fragment_id: str = "",
                    is_auto_rerun: bool = False, navigate: bool = False, query: str | None = None) -> None:
        """Send one rerun request and wait until the run it starts has finished."""
        async with self.lock:
            if navigate:
                self.values.clear()  # the browser sends no widget values when it changes page
            widgets = {} if navigate else dict(self.values)
            url = f"{self.base_url}/{self.path}" + (f"?{self.query}" if self.query else "")
            msg = rerun_message(page_hash if page_hash is not None else self.page_hash, widgets, url=url,
                                query_string=self.query if query is None else query, trigger=trigger,
                                fragment_id=fragment_id, is_auto_rerun=is_auto_rerun)
            seen = len(self.finished)
            await self.ws.send(msg.SerializeToString())
            await self.wait_for(lambda: any(s in FINISHED_OK or s == ForwardMsg.FINISHED_WITH_COMPILE_ERROR
                                            for _, s in self.finished[seen:]), what="end of the run")
            if self.finished[-1][1] == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                raise ProtocolError("the script did not compile")

    # -- what a student does, step by step

    async def open_app(self) -> None:
        await self.rerun(page_hash="", query="")

    async def join(self, code: str = JOIN_CODE) -> None:
        for label, value in (("Choose a name", self.name), ("Choose a password", PASSWORD), ("Class join code", code)):
            node = self._need("text_input", label=label)
            self.values[node.element.text_input.id] = ("string_value", value)
        submit = self._need("button", label="Join the class")
        await self.rerun(trigger=submit.element.button.id)
        await self.wait_for(lambda: TOPIC in self.pages and self.name in self.page.texts(), what="the signed-in app")

    async def open(self, url_path: str, query: str = "") -> None:
        self.path, self.query = url_path, query
        await self.rerun(page_hash=self.pages[url_path], navigate=True, query=query)

    def _need(self, kind: str, **match) -> Node:
        node = self.page.find(kind, **match)
        if node is None:
            raise ProtocolError(f"no {kind} {match} on the page")
        return node

    async def set_widget(self, kind: str, value, **match) -> None:
        """Change a widget, as a learner does: the browser reruns the widget's fragment with the new value."""
        node = self._need(kind, **match)
        widget_id, field_name, _ = widget_value(node.element) or (getattr(node.element, kind).id, None, None)
        field_name = field_name or {"slider": "double_array_value", "number_input": "int_value"}[kind]
        self.values[widget_id] = (field_name, value)
        await self.rerun(fragment_id=node.fragment_id)

    async def press(self, label: str, **match) -> None:
        node = self._need("button", label=label, **match)
        await self.rerun(trigger=node.element.button.id, fragment_id=node.fragment_id)

    def result_drawn(self) -> bool:
        """The section's result is on the page, drawn by a run that has finished."""
        done = {run_id for run_id, status in self.finished if status in FINISHED_OK}
        return any(n.run_id in done for n in self.page.charts(RESULT_CHART))

    def section_charts_finite(self) -> bool:
        charts = self.page.charts(RESULT_CHART) + self.page.charts(LIVE_CHART)
        return bool(charts) and all(chart_is_finite(n.element.plotly_chart.spec) for n in charts)

    def result_view(self) -> dict:
        """What the page shows once trained: its charts, and the result's metric labels."""
        metrics = sorted(n.element.metric.label for _, n in self.page.elements("metric"))
        return {"charts": len(self.page.charts()), "metrics": metrics}


# ---------------------------------------------------------------- the scenarios


@dataclass
class Outcome:
    name: str
    first_chart_s: list[float] = field(default_factory=list)
    result_s: list[float] = field(default_factory=list)
    open_result_s: float | None = None
    failures: list[str] = field(default_factory=list)
    view: dict | None = None
    caption: str = ""
    mib_received: float = 0.0


async def student_run(url: str, db_url: str, name: str, seed: int, width: int, delay: float,
                      rounds: int = 1) -> Outcome:
    """One student's visit, each action timed; a failed action is recorded and the visit goes on.

    With `rounds` > 1 the student trains again that many times in all, typing a new seed before each.
    """
    await asyncio.sleep(delay)
    out = Outcome(name)
    s = Student(url, name)

    async def step(action: str, coro) -> bool:
        try:
            await coro
            return True
        except Exception as exc:
            out.failures.append(f"{action}: {type(exc).__name__}: {exc}"[:300])
            return False

    def live_or_result() -> bool:  # a live chart with something plotted, or the result
        return any(chart_is_finite(n.element.plotly_chart.spec) for n in s.page.charts(LIVE_CHART)) \
            or s.result_drawn()

    async def train(run_seed: int) -> None:
        t = time.monotonic()
        await s.press("Train", id_suffix=f"{SECTION}_train")
        await s.wait_for(live_or_result, what="a chart")
        out.first_chart_s.append(time.monotonic() - t)
        await s.wait_for(lambda: s.result_drawn() and not s.page.charts(LIVE_CHART), what="the result")
        out.result_s.append(time.monotonic() - t)
        if not s.section_charts_finite():
            out.failures.append("chart: a non-finite or empty chart")
        if urllib.parse.parse_qs(s.query).get("seed") != [str(run_seed)]:
            out.failures.append(f"settings: the address bar says {s.query!r}, not this student's seed")
        caption = next((x for x in s.page.texts() if "Trained on" in x), "")
        if not caption or "from the cache" in caption:
            out.failures.append(f"result: {caption or 'no caption'!r} is not this student's own run")
        out.caption = caption
        out.view = s.result_view()

    try:
        if not await step("connect", s.connect()) or not await step("open", s.open_app()):
            return out
        if not await step("join", s.join()):
            return out
        t = time.monotonic()
        if await step("open topic", s.open(TOPIC)) and await step(
                "default demo", s.wait_for(s.result_drawn, what="the default demo's result")):
            out.open_result_s = time.monotonic() - t
        if await step("move slider", s.set_widget("slider", [float(width)], label="Units per hidden layer")):
            for r in range(rounds):
                run_seed = seed + 50 * r  # the page's seeds go up to 9999; callers leave room
                if await step("type seed", s.set_widget("number_input", run_seed, label="Seed")):
                    await step("train", train(run_seed))
        if await step("open lesson", s.open(LESSON)):
            await step("quiz", answer_quiz(s))
        await step("saved", check_saved(db_url, name))
    finally:
        await s.close()
        out.mib_received = s.bytes_in / 2**20
    return out


async def answer_quiz(s: Student) -> None:
    radio = s._need("radio", form_prefix="quiz_")
    form_id = radio.element.radio.form_id
    s.values[radio.element.radio.id] = ("string_value", radio.element.radio.options[0])
    submit = s._need("button", label="Check my answer", form_prefix=form_id)
    await s.rerun(trigger=submit.element.button.id, fragment_id=submit.fragment_id)
    await s.wait_for(lambda: any(n.fragment_id == submit.fragment_id for _, n in s.page.elements("alert")),
                     what="the quiz feedback")


def saved_attempts(db_url: str, name: str) -> int:
    """How many quiz answers the database holds for this student: `progress.Store(url).attempts(learner_id)`."""
    from progress import Store
    from progress.tables import learners

    store = Store(db_url, upgrade=False)
    try:
        with store.engine.connect() as conn:
            learner_id = conn.execute(sa.select(learners.c.id).where(learners.c.name == name)).scalar()
        if learner_id is None:
            raise ProtocolError("no account in the database")
        return len(store.attempts(learner_id))
    finally:
        store.close()


async def check_saved(db_url: str, name: str) -> None:
    if await asyncio.to_thread(saved_attempts, db_url, name) < 1:
        raise ProtocolError("the quiz answer is not in the database")


async def hog_run(url: str, name: str, stop: asyncio.Event, log: list, seed: int) -> None:
    """The largest job the page allows, opened as a link, again with a new seed each time it ends."""
    s = Student(url, name)
    try:
        await s.connect()
        await s.open_app()
        await s.join()
        while not stop.is_set():
            seed += 1
            t = time.monotonic()
            await s.open(TOPIC, urllib.parse.urlencode(HOG_QUERY | {"seed": str(seed)}))
            try:  # the job runs (or waits) while its live view's timer is set; it has ended when the view is gone
                await s.wait_for(lambda: s.live_timer() or s.result_drawn() or stop.is_set(), timeout=30,
                                 what="the hog's job to start")
                await s.wait_for(lambda: not s.live_timer() and not s.page.charts(LIVE_CHART) or stop.is_set(),
                                 timeout=300, what="the end of the hog's job")
                caption = next((x for x in s.page.texts() if "Trained on" in x), "no result")
                log.append([round(time.monotonic() - t, 1), caption[:120]])
            except TimeoutError as exc:
                alerts = [n.element.alert.body[:120] for _, n in s.page.elements("alert")]
                log.append([round(time.monotonic() - t, 1), f"{exc}; alerts: {alerts}"])
                await asyncio.sleep(2)
    except Exception as exc:
        log.append(f"failed: {exc!r}"[:200])
    finally:
        await s.close()


# ---------------------------------------------------------------- the browser alongside


def browser_student(url: str, db_url: str, name: str, seed: int, result: dict, delay: float) -> None:
    """The same steps in a real Chromium: what it shows, and its own timings."""
    from playwright.sync_api import sync_playwright

    time.sleep(delay)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 3000})
            page.goto(url)
            page.get_by_role("tab", name="Join the class").click(timeout=60_000)
            page.get_by_role("textbox", name="Choose a name").fill(name)
            page.get_by_role("textbox", name="Choose a password").fill(PASSWORD)
            page.get_by_role("textbox", name="Class join code").fill(JOIN_CODE)
            page.get_by_role("button", name="Join the class").click()
            page.locator(f"[data-testid=stSidebarNav] a[href$='/{TOPIC}']").click(timeout=60_000)
            page.get_by_text("Trained on", exact=False).first.wait_for(timeout=ACTION_TIMEOUT_S * 1000)
            slider = page.get_by_role("slider", name="Units per hidden layer")
            slider.focus()
            slider.press("ArrowRight")
            page.get_by_text("The settings changed since the last run").wait_for(timeout=60_000)
            seed_box = page.get_by_role("spinbutton", name="Seed")
            seed_box.fill(str(seed))
            seed_box.press("Enter")
            time.sleep(1.0)
            t = time.monotonic()
            page.locator("[data-testid=stButton] button", has_text="Train").first.click()
            deadline = t + ACTION_TIMEOUT_S
            done_js = ("() => !document.body.innerText.includes('The settings changed since the last run')"
                       " && !document.body.innerText.includes('Training: step')"
                       " && !document.querySelector('[data-testid=stStatusWidget]')"
                       " && document.body.innerText.includes('Trained on')")
            live_js = "() => document.body.innerText.includes('Training: step')"
            while time.monotonic() < deadline:
                if "first_chart_s" not in result and (page.evaluate(live_js) or page.evaluate(done_js)):
                    result["first_chart_s"] = round(time.monotonic() - t, 2)
                if page.evaluate(done_js):
                    result["result_s"] = round(time.monotonic() - t, 2)
                    break
                time.sleep(0.05)
            page.wait_for_timeout(1000)
            metrics = page.locator("[data-testid=stMetricLabel]").all_inner_texts()
            result["view"] = {"charts": page.locator("[data-testid=stPlotlyChart]").count(),
                              "metrics": sorted(m.strip() for m in metrics)}
            page.locator(f"a[href$='{LESSON}']").first.click()  # the page's own link to its lesson
            answer = page.locator("[data-testid=stForm] [role=radiogroup] label").first
            answer.click(timeout=60_000)
            alerts = page.locator("[data-testid=stAlert]").count()
            page.get_by_role("button", name="Check my answer").first.click()
            page.wait_for_function(f"document.querySelectorAll('[data-testid=stAlert]').length > {alerts}",
                                   timeout=60_000)
            page.screenshot(path=str(OUT.parent / "classroom_load_browser.png"))
            result["saved"] = saved_attempts(db_url, name) >= 1
        except Exception as exc:
            result["failure"] = f"{type(exc).__name__}: {exc}"[:300]
        finally:
            browser.close()


# ---------------------------------------------------------------- measuring the server


class Sampler:
    """CPU of the server process (% of one core) and of its children (the workers), and memory, every second."""

    def __init__(self, pid: int):
        self.server = psutil.Process(pid)
        self.server_cpu: list[float] = []
        self.worker_cpu: list[float] = []
        self.server_rss: list[float] = []
        self.worker_uss: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.start = self._times()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        end = self._times()
        self.server_cpu_s, self.workers_cpu_s = end[0] - self.start[0], end[1] - self.start[1]

    def _times(self) -> tuple[float, float]:
        server = sum(self.server.cpu_times()[:2])
        workers = 0.0
        for child in self.server.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                workers += sum(child.cpu_times()[:2])
        return server, workers

    def _run(self) -> None:
        last, last_t = self._times(), time.monotonic()
        while not self._stop.wait(1.0):
            now, now_t = self._times(), time.monotonic()
            dt = now_t - last_t
            self.server_cpu.append(100 * (now[0] - last[0]) / dt)
            self.worker_cpu.append(100 * max(now[1] - last[1], 0.0) / dt)
            last, last_t = now, now_t
            with contextlib.suppress(psutil.Error):
                self.server_rss.append(self.server.memory_info().rss / 2**20)
            self.worker_uss.append(worker_uss(self.server))


def worker_uss(server: psutil.Process) -> float:
    total = 0.0
    for child in server.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += child.memory_full_info().uss / 2**20
    return total


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def summary(outcomes: list[Outcome]) -> dict:
    first = [x for o in outcomes for x in o.first_chart_s]
    result = [x for o in outcomes for x in o.result_s]
    opened = [o.open_result_s for o in outcomes if o.open_result_s is not None]
    failures = [f"{o.name}: {f}" for o in outcomes for f in o.failures]
    r = lambda v: None if v is None else round(v, 2)  # noqa: E731
    return {"students": len(outcomes), "first_chart_p50_s": r(percentile(first, 50)),
            "first_chart_p95_s": r(percentile(first, 95)), "result_p50_s": r(percentile(result, 50)),
            "result_p95_s": r(percentile(result, 95)), "default_demo_p50_s": r(percentile(opened, 50)),
            "default_demo_p95_s": r(percentile(opened, 95)), "results": len(result),
            "failed_actions": len(failures), "failures": failures,
            "mib_received_per_student": r(statistics.fmean(o.mib_received for o in outcomes)) if outcomes else None}


@contextlib.contextmanager
def classroom_server(workdir: Path):
    db_url = f"sqlite:///{workdir / 'classroom.sqlite'}"
    from jobs.settings import RunnerSettings

    env = {"DLLAB_MODE": "classroom", "DLLAB_JOIN_CODE": JOIN_CODE, "DLLAB_DATABASE_URL": db_url,
           "DLLAB_WORKERS": str(RunnerSettings.from_env().workers)}
    with serve(workdir / "server.log", env=env, timeout_s=120) as (url, server):
        yield url, server, db_url


async def warm_up(url: str) -> None:
    """A first visit to the Activation page: the workers start, the default demo's result is cached."""
    s = Student(url, "Teacher Warmup")
    try:
        await s.connect()
        await s.open_app()
        await s.join()
        await s.open(TOPIC)
        await s.wait_for(s.result_drawn, timeout=240, what="the warm-up result")
    finally:
        await s.close()


async def class_scenario(url: str, db_url: str, n: int, seed0: int, arrival_s: float,
                         hog: bool = False, rounds: int = 1) -> tuple[list[Outcome], list]:
    stop, hog_log = asyncio.Event(), []
    hog_task = asyncio.create_task(hog_run(url, f"Hog {seed0}", stop, hog_log, 9000 + seed0 // 10)) if hog else None
    if hog:
        await asyncio.sleep(5)  # the hog's first job is running when the others arrive
    outcomes = await asyncio.gather(*(
        student_run(url, db_url, f"Student {seed0 + i}", seed0 + i, 17 + (i % 40), arrival_s * i / max(n - 1, 1),
                    rounds) for i in range(n)))
    if hog_task is not None:
        stop.set()
        await hog_task
    return list(outcomes), hog_log


def measure(n: int, seed0: int, *, arrival_s: float = ARRIVAL_S, browser: bool = True) -> dict:
    """One class of n students on a fresh server."""
    with tempfile.TemporaryDirectory(prefix="classroom_load_") as tmp, classroom_server(Path(tmp)) as (
            url, server, db_url):
        note(f"N={n}: server up at {url}; warming up")
        asyncio.run(warm_up(url))
        return phase(url, db_url, server, n, seed0, arrival_s=arrival_s, browser=browser)[0]


def fairness(others: int, *, arrival_s: float, phases: int, rounds: int) -> tuple[list[dict], dict]:
    """On one server, `phases` turns of: the others alone, then the others beside the hog; pooled p95s."""
    rows, pooled = [], {False: [], True: []}
    with tempfile.TemporaryDirectory(prefix="classroom_load_") as tmp, classroom_server(Path(tmp)) as (
            url, server, db_url):
        note(f"fairness: server up at {url}; warming up")
        asyncio.run(warm_up(url))
        for k in range(phases):
            for hog in (False, True):
                figures, outcomes = phase(url, db_url, server, others, 5000 + 500 * (2 * k + hog),
                                          arrival_s=arrival_s, hog=hog, rounds=rounds, browser=False)
                rows.append(figures)
                pooled[hog] += outcomes
    alone, beside = summary(pooled[False]), summary(pooled[True])
    ratio = beside["result_p95_s"] / alone["result_p95_s"] if alone["result_p95_s"] and beside["result_p95_s"] \
        else None
    return rows, {"others": others, "rounds_each": rounds, "phases": phases,
                  "alone_result_p50_s": alone["result_p50_s"], "alone_result_p95_s": alone["result_p95_s"],
                  "beside_hog_result_p50_s": beside["result_p50_s"], "beside_hog_result_p95_s": beside["result_p95_s"],
                  "results_alone": alone["results"], "results_beside": beside["results"],
                  "failed_actions": alone["failed_actions"] + beside["failed_actions"],
                  "increase_pct": None if ratio is None else round(100 * (ratio - 1), 1), "target_pct": 20,
                  "hog_jobs_s": [job for r in rows for job in r["hog_jobs_s"]]}


def phase(url: str, db_url: str, server, n: int, seed0: int, *, arrival_s: float, hog: bool = False,
          rounds: int = 1, browser: bool = True) -> tuple[dict, list[Outcome]]:
    """n students arriving over arrival_s (beside the hog, if asked) on a warm server, measured."""
    process = psutil.Process(server.pid)
    base_rss = process.memory_info().rss / 2**20
    base_workers = worker_uss(process)
    browser_result: dict = {}
    thread = None
    if browser:
        thread = threading.Thread(target=browser_student, args=(
            url, db_url, f"Browser {seed0}", seed0 + 999, browser_result, arrival_s / 2), daemon=True)
    load_before = loadavg()
    t = time.monotonic()
    with Sampler(server.pid) as sampler:
        if thread:
            thread.start()
        outcomes, hog_log = asyncio.run(class_scenario(url, db_url, n, seed0, arrival_s, hog, rounds))
        if thread:
            thread.join(timeout=ACTION_TIMEOUT_S * 3)
    wall = time.monotonic() - t
    figures = summary(outcomes)
    views = [o.view for o in outcomes if o.view]
    peak_rss = max(sampler.server_rss, default=base_rss)
    figures |= {
        "wall_s": round(wall, 1), "arrival_spread_s": arrival_s, "rounds_each": rounds, "hog": hog,
        "hog_jobs_s": hog_log,
        "server_cpu_mean_pct": round(statistics.fmean(sampler.server_cpu), 1) if sampler.server_cpu else None,
        "server_cpu_max_pct": round(max(sampler.server_cpu), 1) if sampler.server_cpu else None,
        "workers_cpu_mean_pct": round(statistics.fmean(sampler.worker_cpu), 1) if sampler.worker_cpu else None,
        "workers_cpu_max_pct": round(max(sampler.worker_cpu), 1) if sampler.worker_cpu else None,
        "server_cpu_s": round(sampler.server_cpu_s, 1), "workers_cpu_s": round(sampler.workers_cpu_s, 1),
        "server_cpu_s_per_student": round(sampler.server_cpu_s / n, 2),
        "workers_cpu_s_per_student": round(sampler.workers_cpu_s / n, 2),
        "server_rss_warm_mib": round(base_rss, 1), "server_rss_peak_mib": round(peak_rss, 1),
        "server_mib_per_student": round((peak_rss - base_rss) / n, 2),
        "workers_uss_warm_mib": round(base_workers, 1),
        "workers_uss_peak_mib": round(max(sampler.worker_uss, default=base_workers), 1),
        "loadavg_before": load_before, "loadavg_after": loadavg(),
        "protocol_views": sorted({json.dumps(v, sort_keys=True) for v in views}),
    }
    if browser:
        same = bool(views) and all(v == browser_result.get("view") for v in views)
        figures["browser"] = browser_result | {"matches_protocol_clients": same}
    note(f"N={n}{' beside the hog' if hog else ''}: result p95 {figures['result_p95_s']} s, "
         f"{figures['failed_actions']} failed actions, load {figures['loadavg_after']}")
    return figures, outcomes


def fmt(value, unit: str = "") -> str:
    return "–" if value is None else f"{value:g}{unit}"


def table(rows: list[dict]) -> str:
    lines = ["| students | first chart p50 / p95 | result p50 / p95 | failed actions | server CPU mean / max "
             "| workers CPU mean / max | CPU s per student (server, workers) "
             "| server RSS warm → peak (per student) | load avg (1, 5, 15 min) after |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        label = f"{r['students']}" + (" + hog" if r["hog"] else "")
        lines.append(
            f"| {label} | {fmt(r['first_chart_p50_s'], ' s')} / {fmt(r['first_chart_p95_s'], ' s')} "
            f"| {fmt(r['result_p50_s'], ' s')} / {fmt(r['result_p95_s'], ' s')} | {r['failed_actions']} "
            f"| {fmt(r['server_cpu_mean_pct'], '%')} / {fmt(r['server_cpu_max_pct'], '%')} "
            f"| {fmt(r['workers_cpu_mean_pct'], '%')} / {fmt(r['workers_cpu_max_pct'], '%')} "
            f"| {r['server_cpu_s_per_student']:g}, {r['workers_cpu_s_per_student']:g} "
            f"| {r['server_rss_warm_mib']:.0f} → {r['server_rss_peak_mib']:.0f} MiB "
            f"({r['server_mib_per_student']:.1f} MiB) | {', '.join(str(x) for x in r['loadavg_after'])} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from jobs.settings import RunnerSettings

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, nargs="*", default=[10, 20, 40])
    parser.add_argument("--arrival-s", type=float, default=ARRIVAL_S, help="students arrive spread over this long")
    parser.add_argument("--fair-others", type=int, default=FAIR_OTHERS, help="0 skips the fairness figures")
    parser.add_argument("--fair-phases", type=int, default=FAIR_PHASES, help="turns of alone, then beside the hog")
    parser.add_argument("--fair-rounds", type=int, default=FAIR_ROUNDS, help="training runs per student there")
    parser.add_argument("--no-browser", action="store_true", help="no Chromium session alongside")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    rows = [measure(n, 1000 * (k + 1), arrival_s=args.arrival_s, browser=not args.no_browser)
            for k, n in enumerate(args.students)]
    fair = None
    if args.fair_others:
        fair_rows, fair = fairness(args.fair_others, arrival_s=args.arrival_s, phases=args.fair_phases,
                                   rounds=args.fair_rounds)
        rows += fair_rows
    report = {"started_utc": started, "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "job_settings": asdict(RunnerSettings.from_env()),
              "cores": psutil.cpu_count(), "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
              "target": "zero failed actions; result p95 <= 10 s at 20 students; hog adds <= 20% to others' p95",
              "classes": rows, "fairness": fair}
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(table(rows))
    if fair:
        print(f"\nfairness: {fair['others']} students x {fair['rounds_each']} runs x {fair['phases']} turns: "
              f"result p95 {fmt(fair['alone_result_p95_s'], ' s')} alone, "
              f"{fmt(fair['beside_hog_result_p95_s'], ' s')} beside the hog ({fmt(fair['increase_pct'], '%')}; "
              f"target at most +20%), {fair['failed_actions']} failed actions")
    for r in rows:
        if "browser" in r:
            print(f"browser beside {r['students']}: {json.dumps(r['browser'])}")
    print(f"\nfigures: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
