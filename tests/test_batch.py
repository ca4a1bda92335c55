"""The batch format: both row forms, errors per line, and the output row's shape."""

from __future__ import annotations

import json

import pytest

from casecoach.batch import BadRow, grade_row, read_rows, task_for_row
from casecoach.cases.loader import CaseLibrary
from casecoach.grading.registry import get_grader

CASE_ROW = {"id": "a1", "case": "community-insights", "question": "research-design",
            "answer": "I would randomize groups into treatment and control.", "extra": 1}
REF_ROW = {"id": "r1", "question_text": "Why did daily users drop?",
           "reference": "Check logging first. Then segment by platform and country.",
           "answer": "I would check logging and segment by platform."}


@pytest.fixture(scope="module")
def library() -> CaseLibrary:
    return CaseLibrary.load()


def test_case_row_and_reference_row(library: CaseLibrary) -> None:
    task = task_for_row(CASE_ROW, library)
    assert task.case is not None and task.question.id == "research-design"
    ref = task_for_row(REF_ROW, library)
    assert ref.case is None and ref.question.rubric is None
    assert ref.question.ideal_answer == REF_ROW["reference"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"id": "x", "case": "community-insights", "question": "nope", "answer": "a"},
         "valid: research-design"),
        ({"id": "x", "case": "nope", "question": "q", "answer": "a"}, "valid cases"),
        ({"id": "x", "answer": "a"}, "needs either"),
        ({"id": "x", "question_text": "q", "reference": "r"}, 'missing "answer"'),
        (["not", "an", "object"], "JSON object"),
    ],
)
def test_bad_rows_say_why(library: CaseLibrary, row: object, message: str) -> None:
    with pytest.raises(BadRow, match=message):
        task_for_row(row, library)


def test_malformed_line_is_named_and_the_rest_graded(library: CaseLibrary) -> None:
    lines = [json.dumps(CASE_ROW), "{not json", "", json.dumps({**REF_ROW, "answer": "  "}),
             json.dumps(REF_ROW)]
    grader = get_grader("embedded")
    out = [grade_row(row, grader) for row in read_rows(iter(lines), library)]
    assert [o["id"] for o in out] == ["a1", None, "r1", "r1"]
    assert "line 2: not valid JSON" in str(out[1]["error"])
    assert "line 4" in str(out[2]["error"]) and "empty" in str(out[2]["error"])
    for row in (out[0], out[3]):
        assert set(row) >= {"id", "score", "level", "criteria", "red_flags", "grader"}
        assert 1.0 <= float(row["score"]) <= 5.0  # type: ignore[arg-type]
        assert str(row["grader"]).startswith("embedded/")
