"""Widget values that live in the URL, so a lesson or a teacher can link to an exact setup.

A page declares its parameters once; values read from the URL are checked and clamped,
and anything unreadable falls back to the default with a note for the user.
"""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Choice:
    default: str
    options: tuple[str, ...]

    def parse(self, raw: str) -> str:
        if raw not in self.options:
            raise ValueError(f"choose one of {', '.join(self.options)}")
        return raw

    def format(self, value) -> str:
        return str(value)


@dataclass(frozen=True)
class ChoiceList:
    """Several choices, comma-separated in the URL."""

    default: tuple[str, ...]
    options: tuple[str, ...]
    min_items: int = 0
    max_items: int = 12
    unique: bool = False  # drop repeats (a set of choices rather than a sequence)

    def parse(self, raw: str) -> tuple[str, ...]:
        items = tuple(item for item in raw.split(",") if item)
        if self.unique:
            items = tuple(dict.fromkeys(items))
        if bad := [item for item in items if item not in self.options]:
            raise ValueError(f"unknown {', '.join(bad)}")
        if not self.min_items <= len(items) <= self.max_items:
            raise ValueError(f"give {self.min_items} to {self.max_items} items")
        return items

    def format(self, value) -> str:
        return ",".join(value)


@dataclass(frozen=True)
class Number:
    default: float
    low: float
    high: float
    integer: bool = False
    allowed: tuple[float, ...] = ()  # if given, values snap to the nearest of these

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
    default: str
    max_length: int = 500

    def parse(self, raw: str) -> str:
        return raw[: self.max_length]

    def format(self, value) -> str:
        return str(value)


Param = Choice | ChoiceList | Number | Text


def read(spec: dict[str, Param], query: dict[str, str]) -> tuple[dict, list[str]]:
    """Values for every parameter from a URL query, and notes on what was ignored."""
    values, notes = {}, []
    for name, param in spec.items():
        values[name] = param.default
        if name in query:
            try:
                values[name] = param.parse(str(query[name]))
            except ValueError as exc:
                notes.append(f"Ignored `{name}={str(query[name])[:40]}` in the link: {exc}.")
    return values, notes


def validate(spec: dict[str, Param], params: dict) -> list[str]:
    """Problems with a preset's parameters (for lesson links); empty when all is well."""
    problems = [f"unknown parameter {name!r}" for name in params if name not in spec]
    for name, value in params.items():
        if name in spec:
            raw = spec[name].format(value) if isinstance(value, list | tuple) else str(value)
            try:
                parsed = spec[name].parse(raw)
            except ValueError as exc:
                problems.append(f"{name}={value!r}: {exc}")
                continue
            if isinstance(spec[name], Number) and parsed != float(raw):
                problems.append(f"{name}={value!r} is not one of the page's values (nearest: {parsed:g})")
    return problems


def query_string(spec: dict[str, Param], params: dict) -> str:
    """The URL query for a preset, e.g. 'data=xor&depth=0'."""
    from urllib.parse import urlencode

    return urlencode({name: spec[name].format(value) if isinstance(value, list | tuple) else value
                      for name, value in params.items()})
