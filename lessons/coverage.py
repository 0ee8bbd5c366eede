"""The syllabus coverage table: every syllabus question mapped to the lesson questions that answer
it, the demo presets that show it and the quiz items that check it.

`python -m lessons.coverage` writes docs/coverage.md; a test keeps that file equal to the table.
"""

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from lessons import Lesson, Question, QuizItem, load_all, syllabus

TABLE_PATH = Path(__file__).parent.parent / "docs" / "coverage.md"


@dataclass(frozen=True)
class Row:
    syllabus_id: str
    text: str
    answers: tuple[tuple[Lesson, Question], ...]
    quiz: tuple[tuple[Lesson, QuizItem], ...]

    @property
    def demos(self) -> list[str]:
        """The Try-it links of the questions that answer it, as app addresses."""
        from ui.params import preset_query
        from ui.topics import BY_SLUG

        return [f"/{link.page}?{urlencode(preset_query(BY_SLUG[link.page].params, link.params))}"
                for _, q in self.answers for link in q.try_it]


def rows(lessons: tuple[Lesson, ...] | None = None) -> list[Row]:
    lessons = load_all() if lessons is None else lessons
    table = []
    for sq in syllabus().questions:
        answers = tuple((lesson, q) for lesson in lessons for q in lesson.questions if sq.id in q.syllabus)
        ids = {(lesson.id, q.id) for lesson, q in answers}
        quiz = tuple((lesson, item) for lesson in lessons for item in lesson.quiz
                     if any((lesson.id, c) in ids for c in item.covers))
        table.append(Row(sq.id, sq.text, answers, quiz))
    return table


def wrong_answer_homes(lessons: tuple[Lesson, ...] | None = None) -> dict[int, list[tuple[Lesson, Question]]]:
    """Where each of the syllabus's common wrong answers is shown and corrected."""
    lessons = load_all() if lessons is None else lessons
    return {number: [(lesson, q) for lesson in lessons for q in lesson.questions
                     if any(w.number == number for w in q.wrong_answers)]
            for number in syllabus().wrong_answers}


def markdown() -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["# Syllabus coverage", "",
             "Generated from the lesson files by `python -m lessons.coverage`; a test keeps it current.",
             "Each syllabus question, the lesson questions that answer it, the demo presets that show it",
             "(app addresses) and the quiz items that check it.", ""]
    for letter, title in syllabus().sections.items():
        lines += [f"## {letter}. {title}", "", "| id | question | answered in | demos | quiz items |",
                  "|---|---|---|---|---|"]
        for row in rows():
            if row.syllabus_id[0] != letter:
                continue
            answered = "<br>".join(f"{lesson.id} › {q.id}" for lesson, q in row.answers) or "**none**"
            demos = "<br>".join(f"`{d}`" for d in row.demos) or "none"
            quiz = "<br>".join(f"{lesson.id} › {item.id}" for lesson, item in row.quiz) or "**none**"
            lines.append(f"| {row.syllabus_id} | {cell(row.text)} | {answered} | {cell(demos)} | {quiz} |")
        lines.append("")
    lines += ["## Common wrong answers", "", "| # | claim | corrected in |", "|---|---|---|"]
    claims = syllabus().wrong_answers
    for number, homes in wrong_answer_homes().items():
        where = "<br>".join(f"{lesson.id} › {q.id}" for lesson, q in homes) or "**none**"
        lines.append(f"| {number} | {cell(claims[number])} | {where} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    TABLE_PATH.write_text(markdown(), encoding="utf-8")
    print(f"wrote {TABLE_PATH}")
