"""Grading a learner's answer to a quiz item, and the order its options are shown in."""

import math
import random
import re
from dataclasses import dataclass

from lessons import QuizItem


@dataclass(frozen=True)
class Grade:
    correct: bool
    score: float  # 0 to 1; partial credit for multi items
    message: str  # one line for the learner


def option_order(item: QuizItem, seed: str = "") -> list[int]:
    """The item's option indices, shuffled the same way for the same item and seed (a learner, a session)."""
    order = list(range(len(item.options)))
    random.Random(f"{seed}/{item.id}").shuffle(order)
    return order


def parse_number(text: str) -> float | None:
    """A number as a learner types it: "0.12", "1e-3", "1,000", "12%" (as 0.12), "-3 × 10^-8"; None if unreadable."""
    cleaned = text.strip().replace(",", "").replace(" ", "").replace("−", "-")
    cleaned = re.sub(r"[×x\*]10\^?([-+]?\d+)$", r"e\1", cleaned)
    percent = cleaned.endswith("%")
    try:
        value = float(cleaned.rstrip("%"))
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    return value / 100 if percent else value


def grade(item: QuizItem, response, happened: int | None = None) -> Grade:
    """Grade `response`: a list of option indices (choice, multi, predict) or a number (number items).

    A predict item is graded against `happened`, the option its real run showed.
    """
    if item.kind == "number":
        right = item.number()
        if response is None:
            return Grade(False, 0.0, "Type a number.")
        ok = abs(float(response) - right) <= item.tolerance + 1e-9 * max(1.0, abs(right))
        return Grade(ok, float(ok), f"Right: {right:g}." if ok else f"Not quite: the answer is {right:g}.")
    picked = set(response or ())
    right = {happened} if item.kind == "predict" and happened is not None else set(item.right)
    if item.kind == "multi":
        hits, false_picks = len(picked & right), len(picked - right)
        score = max(0.0, (hits - false_picks) / len(right))
        if picked == right:
            return Grade(True, 1.0, "Right: you marked exactly the right options.")
        return Grade(False, score, f"{hits} of {len(right)} right options marked, {false_picks} wrong one(s) marked.")
    ok = picked == right
    if item.kind == "predict":
        return Grade(ok, float(ok), "Your prediction matched the run." if ok else "The run did something else.")
    return Grade(ok, float(ok), "Right." if ok else "Not this one.")
