"""Page parameters, each declared once: its widget (label, range or choices, step, default) and its URL form.

A page's spec is a dict of these. Widgets are drawn from it (ui.page_state), values read
from a URL are checked and clamped, and anything unreadable falls back to the default with
a note for the user, so a lesson or a teacher can link to an exact setup.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

Display = Callable[[object], str] | None  # how a value is shown in its widget


@dataclass(frozen=True)
class Choice:
    """One of several options: a select box."""

    label: str
    default: str
    options: tuple[str, ...]
    display: Display = None
    help: str = ""

    def parse(self, raw: str) -> str:
        if raw not in self.options:
            raise ValueError(f"choose one of {', '.join(self.options)}")
        return raw

    def format(self, value) -> str:
        return str(value)


@dataclass(frozen=True)
class ChoiceList:
    """Several options, comma-separated in the URL: a multiselect."""

    label: str
    default: tuple[str, ...]
    options: tuple[str, ...]
    min_items: int = 0
    max_items: int = 12
    display: Display = None
    help: str = ""

    def parse(self, raw: str) -> tuple[str, ...]:
        items = tuple(dict.fromkeys(item for item in raw.split(",") if item))  # a set of choices: no repeats
        if bad := [item for item in items if item not in self.options]:
            raise ValueError(f"unknown {', '.join(bad)}")
        if not self.min_items <= len(items) <= self.max_items:
            raise ValueError(f"give {self.min_items} to {self.max_items} items")
        return items

    def format(self, value) -> str:
        return ",".join(value)


@dataclass(frozen=True)
class ChoiceEach:
    """One choice per item, as many items as the Number parameter `count` says: a select box each.

    In the URL: comma-separated, first item first; a short list repeats its last item.
    """

    label: str  # with {i} for the item's number, e.g. "Layer {i}"
    default: tuple[str, ...]
    options: tuple[str, ...]
    count: str  # the parameter that says how many items are shown
    max_items: int
    display: Display = None
    help: str = ""

    def parse(self, raw: str) -> tuple[str, ...]:
        items = tuple(item for item in raw.split(",") if item)
        if bad := [item for item in items if item not in self.options]:
            raise ValueError(f"unknown {', '.join(bad)}")
        if len(items) > self.max_items:
            raise ValueError(f"give at most {self.max_items} items")
        return items

    def format(self, value) -> str:
        return ",".join(value)

    def item(self, values: tuple[str, ...], i: int) -> str:
        """The choice for item i (from 1), repeating the last one given."""
        values = values or self.default
        return values[min(i, len(values)) - 1]

    def is_default(self, values: tuple[str, ...]) -> bool:
        """True when every item shown is the default's (a URL without the parameter would give them all)."""
        return all(value == self.item(self.default, i) for i, value in enumerate(values, 1))


@dataclass(frozen=True)
class Number:
    """A number in [low, high]: a slider, a select slider over `allowed`, or a number box."""

    label: str
    default: float
    low: float
    high: float
    step: float | None = None
    integer: bool = False
    allowed: tuple[float, ...] = ()  # if given, values snap to the nearest of these
    display: Display = None
    help: str = ""
    box: bool = False  # a number box rather than a slider

    def parse(self, raw: str) -> float | int:
        value = float(raw)
        if value != value:  # NaN
            raise ValueError("not a number")
        value = min(max(value, self.low), self.high)
        if self.allowed:
            value = min(self.allowed, key=lambda a: abs(math.log(a / value)) if a > 0 < value else abs(a - value))
        return int(round(value)) if self.integer else value

    def format(self, value) -> str:
        return str(int(value)) if self.integer else f"{value:g}"


@dataclass(frozen=True)
class Text:
    """Free text, cut to `max_length`: a text box, or with `area` a box of several lines."""

    label: str
    default: str
    max_length: int = 500
    help: str = ""
    area: bool = False  # several lines (a pasted document), not one

    def parse(self, raw: str) -> str:
        return raw[: self.max_length]

    def format(self, value) -> str:
        return str(value)


Param = Choice | ChoiceList | ChoiceEach | Number | Text


def defaults(spec: dict[str, Param]) -> dict:
    return {name: param.default for name, param in spec.items()}


def read(spec: dict[str, Param], query: dict[str, str]) -> tuple[dict, list[str]]:
    """Values for every parameter from a URL query, and notes on what was ignored."""
    values, notes = defaults(spec), []
    for name, param in spec.items():
        if name in query:
            try:
                values[name] = param.parse(str(query[name]))
            except ValueError as exc:
                notes.append(f"Ignored `{name}={str(query[name])[:40]}` in the link: {exc}.")
    return values, notes


def to_query(spec: dict[str, Param], values: dict) -> dict[str, str]:
    """The URL query for these values: only those that differ from their defaults."""
    query = {}
    for name, value in values.items():
        value = tuple(value) if isinstance(value, list) else value
        param = spec[name]
        if value is None or value == param.default or (isinstance(param, ChoiceEach) and param.is_default(value)):
            continue
        query[name] = param.format(value)
    return query


def validate(spec: dict[str, Param], params: dict) -> list[str]:
    """Problems with a preset's parameters (for lesson links); empty when all is well."""
    problems = [f"unknown parameter {name!r}" for name in params if name not in spec]
    for name, value in params.items():
        if name in spec:
            raw = _as_url(spec[name], value)
            try:
                parsed = spec[name].parse(raw)
            except ValueError as exc:
                problems.append(f"{name}={value!r}: {exc}")
                continue
            if isinstance(spec[name], Number) and parsed != float(raw):
                problems.append(f"{name}={value!r} is not one of the page's values (nearest: {parsed:g})")
    return problems


def preset_query(spec: dict[str, Param], params: dict) -> dict[str, str]:
    """A preset (from a lesson) as URL query parameters, e.g. {'data': 'xor', 'depth': '0'}."""
    return {name: _as_url(spec[name], value) for name, value in params.items()}


def _as_url(param: Param, value) -> str:
    """A preset's value as the URL writes it (lists comma-separated)."""
    return param.format(value) if isinstance(value, list | tuple) else str(value)
