"""Batch grading: JSONL rows in, one output row per input row out.

Input rows take one of two forms (extra fields are ignored):

- `{"id", "case", "question", "answer"}`: a question of a case in the library;
- `{"id", "question_text", "reference", "answer"}`: a question with only a reference answer.

A row that cannot be graded yields `{"id", "error"}` and the batch goes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from casecoach.cases.loader import CaseLibrary, UnknownCase
from casecoach.grading.grade import CannotGrade
from casecoach.grading.protocol import Grader, GradingTask


class BadRow(ValueError):
    """An input row that is not one of the two accepted forms."""


@dataclass(frozen=True)
class Row:
    line: int
    id: str | None
    task: GradingTask | None
    error: str | None = None


def task_for_row(data: Any, library: CaseLibrary) -> GradingTask:
    """The grading task an input row describes, or `BadRow` saying what is wrong."""
    if not isinstance(data, dict):
        raise BadRow("a row must be a JSON object")
    answer = data.get("answer")
    if not isinstance(answer, str):
        raise BadRow('missing "answer" (a string)')
    if "case" in data or "question" in data:
        case_id, question_id = data.get("case"), data.get("question")
        if not isinstance(case_id, str) or not isinstance(question_id, str):
            raise BadRow('a case row needs "case" and "question" (strings)')
        try:
            case = library.get(case_id)
            question = case.question(question_id)
        except (UnknownCase, KeyError) as exc:
            raise BadRow(str(exc.args[0]) if isinstance(exc, KeyError) else str(exc)) from None
        return GradingTask(question=question, answer=answer, case=case)
    question_text, reference = data.get("question_text"), data.get("reference")
    if isinstance(question_text, str) and isinstance(reference, str):
        if not reference.strip():
            raise BadRow('"reference" is empty')
        return GradingTask.reference_only(question_text, reference, answer)
    raise BadRow('a row needs either "case" and "question", or "question_text" and "reference"')


def read_rows(lines: Iterator[str], library: CaseLibrary) -> Iterator[Row]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Row(number, None, None, f"line {number}: not valid JSON ({exc.msg})")
            continue
        row_id = data.get("id") if isinstance(data, dict) else None
        row_id = str(row_id) if row_id is not None else None
        try:
            yield Row(number, row_id, task_for_row(data, library))
        except BadRow as exc:
            yield Row(number, row_id, None, f"line {number}: {exc}")


def grade_row(row: Row, grader: Grader) -> dict[str, object]:
    """The output row for one input row: a grade, or the reason there is none."""
    if row.task is None:
        return {"id": row.id, "error": row.error}
    try:
        grade = grader.grade(row.task)
    except CannotGrade as exc:
        return {"id": row.id, "error": f"line {row.line}: {exc}"}
    return grade.to_row(row.id)
