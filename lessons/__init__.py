"""Lessons as data: one YAML file per lesson, one skeleton for all, validated on load."""

import importlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

LESSON_DIR = Path(__file__).parent
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, ten times faster, where PyYAML has it


class LessonError(ValueError):
    """A lesson file does not follow the skeleton."""


@dataclass(frozen=True)
class TryIt:
    label: str  # what to do, as a link text
    page: str  # url path of the demo page
    params: dict  # widget values the link sets
    look_for: str  # what the learner should notice


@dataclass(frozen=True)
class WrongAnswer:
    claim: str  # the answer that circulates
    correction: str  # why it is wrong, and what is right
    number: int | None = None  # its number in the syllabus's list of common wrong answers


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    short_answer: str  # the 30-second answer
    deep_answer: str  # what an interviewer probes next; Markdown with LaTeX
    syllabus: tuple[str, ...] = ()  # the ids of the syllabus questions it answers (lessons/syllabus.yaml)
    try_it: tuple[TryIt, ...] = ()
    wrong_answers: tuple[WrongAnswer, ...] = ()


@dataclass(frozen=True)
class Option:
    text: str
    why: str  # why this option is right or wrong
    right: bool = False


@dataclass(frozen=True)
class EngineCall:
    """A call into the engine, made when the answer is needed: `fn` is "engine.module.function"."""

    fn: str
    args: dict
    field: str = ""  # for a function that returns a record: the field that holds the answer

    def __call__(self):
        module, _, name = self.fn.rpartition(".")
        result = getattr(importlib.import_module(module), name)(**self.args)
        return getattr(result, self.field) if self.field else result


@dataclass(frozen=True)
class QuizItem:
    id: str
    covers: tuple[str, ...]  # question ids it checks
    prompt: str
    kind: str  # see KINDS
    explanation: str
    options: tuple[Option, ...] = ()  # choice, multi and predict items
    answer: float | None = None  # number items: the number typed in the lesson
    compute: EngineCall | None = None  # number items: or the number the engine computes
    tolerance: float = 0.0  # number items: accepted absolute error
    run: EngineCall | None = None  # predict items: runs the demo, returns an engine.predictions.Outcome

    @property
    def right(self) -> frozenset[int]:
        """The indices of the right options."""
        return frozenset(i for i, option in enumerate(self.options) if option.right)

    def number(self) -> float:
        """A number item's answer, from the engine where the lesson says so."""
        return float(self.compute()) if self.compute else float(self.answer)


KINDS = {
    "choice": "one right option",
    "multi": "one or more right options, the learner marks all that apply",
    "number": "a number within a tolerance",
    "predict": "the learner predicts what a demo will do, then the app runs it and grades against what happened",
}


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    section: str  # syllabus letter
    intro: str
    questions: tuple[Question, ...]
    quiz: tuple[QuizItem, ...] = field(default=())

    def question(self, question_id: str) -> Question:
        return next(q for q in self.questions if q.id == question_id)


def _take(data: dict, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
    if not isinstance(data, dict):
        raise LessonError(f"{where}: expected a mapping, got {type(data).__name__}")
    missing = [k for k in required if not data.get(k) and data.get(k) != 0]
    unknown = set(data) - set(required) - set(optional)
    if missing:
        raise LessonError(f"{where}: missing {', '.join(missing)}")
    if unknown:
        raise LessonError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    return data


@dataclass(frozen=True)
class SyllabusQuestion:
    id: str  # section letter and number, e.g. "F3"
    section: str
    text: str


@dataclass(frozen=True)
class Syllabus:
    sections: dict[str, str]  # letter -> title
    questions: tuple[SyllabusQuestion, ...]
    wrong_answers: dict[int, str]  # number -> the claim


@cache
def syllabus() -> Syllabus:
    """The interview syllabus the lessons answer, from lessons/syllabus.yaml."""
    with (LESSON_DIR / "syllabus.yaml").open(encoding="utf-8") as f:
        data = yaml.load(f, Loader=SafeLoader)
    questions = tuple(SyllabusQuestion(q["id"], s["letter"], q["text"])
                      for s in data["sections"] for q in s["questions"])
    return Syllabus({s["letter"]: s["title"] for s in data["sections"]}, questions,
                    {w["number"]: w["claim"] for w in data["wrong_answers"]})


def _question(raw: dict, where: str) -> Question:
    q = _take(raw, where, ("id", "question", "short_answer", "deep_answer"), ("syllabus", "try_it", "wrong_answers"))
    known = {sq.id for sq in syllabus().questions}
    if unknown := [s for s in q.get("syllabus") or () if s not in known]:
        raise LessonError(f"{where}: unknown syllabus id(s) {', '.join(map(str, unknown))}")
    try_it = tuple(
        TryIt(**_take(t, f"{where} try_it {i}", ("label", "page", "params", "look_for")))
        for i, t in enumerate(q.get("try_it") or [], 1))
    wrong = tuple(WrongAnswer(**_take(w, f"{where} wrong answer {i}", ("claim", "correction"), ("number",)))
                  for i, w in enumerate(q.get("wrong_answers") or [], 1))
    if bad := [w.number for w in wrong if w.number is not None and w.number not in syllabus().wrong_answers]:
        raise LessonError(f"{where}: no common wrong answer numbered {bad[0]}")
    return Question(q["id"], " ".join(q["question"].split()), q["short_answer"].strip(), q["deep_answer"].strip(),
                    tuple(q.get("syllabus") or ()), try_it, wrong)


def _engine_call(raw, where: str) -> EngineCall:
    call = _take(raw, where, ("fn",), ("args", "field"))
    if not str(call["fn"]).startswith("engine."):
        raise LessonError(f"{where}: fn must name a function in engine/, e.g. engine.recurrent.parameter_count")
    return EngineCall(call["fn"], dict(call.get("args") or {}), str(call.get("field") or ""))


def _options(raw: list, where: str) -> tuple[Option, ...]:
    options = tuple(Option(str(o["text"]).strip(), str(o["why"]).strip(), bool(o.get("right", False)))
                    for i, o in enumerate(raw or [], 1)
                    if _take(o, f"{where} option {i}", ("text", "why"), ("right",)))
    if len(options) < 2:
        raise LessonError(f"{where}: needs 2+ choices")
    return options


def _quiz_item(raw: dict, where: str, question_ids: set[str]) -> QuizItem:
    item = _take(raw, where, ("id", "covers", "prompt", "kind", "explanation"),
                 ("choices", "answer", "compute", "tolerance", "run"))
    covers = tuple(item["covers"])
    if unknown := [c for c in covers if c not in question_ids]:
        raise LessonError(f"{where}: covers unknown question(s) {', '.join(unknown)}")
    kind = item["kind"]
    if kind not in KINDS:
        raise LessonError(f"{where}: kind must be one of {', '.join(KINDS)}")
    fields = {"choice": ("choices",), "multi": ("choices",), "predict": ("choices", "run"),
              "number": ("answer", "compute", "tolerance")}[kind]
    if extra := [f for f in ("choices", "answer", "compute", "tolerance", "run") if f in item and f not in fields]:
        raise LessonError(f"{where}: a {kind} item has no field {extra[0]}")
    options, answer, compute, run = (), None, None, None
    if kind == "number":
        if ("answer" in item) == ("compute" in item):
            raise LessonError(f"{where}: a number item needs either answer or compute")
        if "answer" in item and not isinstance(item["answer"], int | float):
            raise LessonError(f"{where}: a number item needs a numeric answer")
        answer = item.get("answer")
        compute = _engine_call(item["compute"], f"{where} compute") if "compute" in item else None
    else:
        options = _options(item["choices"], where)
        rights = sum(o.right for o in options)
        if (kind == "multi" and rights < 1) or (kind != "multi" and rights != 1):
            raise LessonError(f"{where}: a {kind} item needs {'one or more' if kind == 'multi' else 'exactly one'} "
                              "option marked right")
        run = _engine_call(item["run"], f"{where} run") if kind == "predict" else None
    return QuizItem(item["id"], covers, item["prompt"].strip(), kind, item["explanation"].strip(), options,
                    answer, compute, float(item.get("tolerance", 0.0)), run)


def parse(raw: dict, where: str = "lesson") -> Lesson:
    """Build and validate a Lesson from its YAML data."""
    data = _take(raw, where, ("id", "title", "section", "intro", "questions"), ("quiz",))
    questions = tuple(_question(q, f"{where} question {i}") for i, q in enumerate(data["questions"], 1))
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise LessonError(f"{where}: question ids repeat")
    quiz = tuple(_quiz_item(q, f"{where} quiz {i}", set(ids)) for i, q in enumerate(data.get("quiz") or [], 1))
    if len({item.id for item in quiz}) != len(quiz):
        raise LessonError(f"{where}: quiz item ids repeat")
    if uncovered := [q for q in ids if not any(q in item.covers for item in quiz)]:
        raise LessonError(f"{where}: no quiz item checks {', '.join(uncovered)}")
    return Lesson(data["id"], data["title"], str(data["section"]), data["intro"].strip(), questions, quiz)


@cache
def load_all() -> tuple[Lesson, ...]:
    """Every lesson in lessons/, in syllabus order."""
    lessons = []
    for path in sorted(LESSON_DIR.glob("*.yaml")):
        if path.name == "syllabus.yaml":
            continue
        with path.open(encoding="utf-8") as f:
            lessons.append(parse(yaml.load(f, Loader=SafeLoader), path.name))
    return tuple(sorted(lessons, key=lambda lesson: lesson.section))
