"""The JSON API, driven as a script would: every endpoint, its errors, and the store behind it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from casecoach.cases.loader import CaseLibrary
from casecoach.store import Store
from tests.web.conftest import API_HEADERS, Web

GOOD_DESIGN = (
    "We randomize groups into two arms, treatment and control, so the comparison is causal. "
    "Run it for four weeks so weekly cycles and novelty wash out."
)
GAP_DESIGN = "We randomize groups into treatment and control and compare the outcomes."
STORY = "Lead with the decision for the product lead, then the evidence and what we do next."


def answer_all(web: Web, sid: str, answers: list[str]) -> None:
    """Answer each question in turn, skipping follow-ups, until the session ends."""
    pending = list(answers)
    state = web.client.get(f"/api/sessions/{sid}").json()
    while state["current"] is not None:
        if state["current"]["kind"] == "follow_up":
            state = web.api_post(f"/api/sessions/{sid}/skip", {}).json()
        else:
            state = web.api_post(f"/api/sessions/{sid}/answers",
                                 {"answer": pending.pop(0)}).json()["session"]


@pytest.mark.covers("GET /api/cases", "GET /api/cases/{case_id}")
def test_cases_list_and_detail(web: Web) -> None:
    cases = web.client.get("/api/cases").json()
    ids = {c["id"] for c in cases}
    assert {"community-insights", "tiny"} <= ids
    ci = next(c for c in cases if c["id"] == "community-insights")
    assert ci["difficulty"] == "hard" and "research-design" in ci["competencies"]
    assert ci["questions"] == 5 and "experimentation" in ci["tags"]
    detail = web.client.get("/api/cases/tiny").json()
    assert detail["scenario"].startswith("A small case")
    assert [q["id"] for q in detail["question_list"]] == ["design", "story"]
    missing = web.client.get("/api/cases/nope")
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]


@pytest.mark.covers("POST /api/sessions", "GET /api/sessions/{session_id}",
                    "POST /api/sessions/{session_id}/answers",
                    "POST /api/sessions/{session_id}/skip",
                    "GET /api/sessions/{session_id}/summary")
def test_whole_practice_interview_through_the_api(web: Web, casecoach_home: Path) -> None:
    created = web.api_post("/api/sessions", {"case": "tiny", "mode": "practice"})
    assert created.status_code == 201
    session = created.json()
    sid = session["id"]
    assert session["current"]["key"] == "design:answer" and session["status"] == "active"

    first = web.api_post(f"/api/sessions/{sid}/answers",
                         {"answer": GAP_DESIGN, "step": "design:answer"})
    assert first.status_code == 201
    body = first.json()
    grade = body["grade"]
    assert 1.0 <= grade["score"] <= 5.0 and grade["criteria"]
    assert {c["id"] for c in grade["criteria"]} == {"randomize", "duration"}
    # The gap (duration) gets a follow-up, asked next.
    assert body["session"]["current"]["kind"] == "follow_up"
    assert body["session"]["current"]["prompt"] == grade["follow_up"]

    # A stale step is refused and nothing is stored twice.
    stale = web.api_post(f"/api/sessions/{sid}/answers",
                         {"answer": GAP_DESIGN, "step": "design:answer"})
    assert stale.status_code == 409

    follow = web.api_post(f"/api/sessions/{sid}/answers",
                          {"answer": "Run it for four weeks.", "step": "design:follow_up"})
    assert follow.status_code == 201 and follow.json()["grade"]["score"] >= 1.0
    assert follow.json()["session"]["current"]["key"] == "story:answer"

    skipped = web.api_post(f"/api/sessions/{sid}/skip", {"step": "story:answer"})
    assert skipped.status_code == 200
    state = skipped.json()
    assert state["status"] == "finished" and state["current"] is None
    assert [a["key"] for a in state["attempts"]] == ["design:answer", "design:follow_up"]
    assert web.client.get(f"/api/sessions/{sid}").json()["status"] == "finished"

    summary = web.client.get(f"/api/sessions/{sid}/summary").json()
    by_id = {c["id"]: c for c in summary["competencies"]}
    assert len(summary["competencies"]) == 5  # the five core competencies, always
    assert by_id["research-design"]["score"] == grade["score"]
    assert by_id["storytelling"]["score"] is None and summary["unanswered"] == 1

    over = web.api_post(f"/api/sessions/{sid}/answers", {"answer": STORY})
    assert over.status_code == 409

    # The same store the CLI reads.
    with Store.open() as store:
        view = store.get_session(sid)
    assert [a.answer for a in view.attempts] == [GAP_DESIGN, "Run it for four weeks."]
    assert all(a.grade is not None for a in view.attempts)


@pytest.mark.covers("POST /api/sessions/{session_id}/answers")
def test_mock_mode_hides_grades_until_the_end(web: Web) -> None:
    sid = web.api_post("/api/sessions", {"case": "tiny", "mode": "mock"}).json()["id"]
    first = web.api_post(f"/api/sessions/{sid}/answers", {"answer": GAP_DESIGN}).json()
    assert first["grade"] is None
    assert first["session"]["current"]["key"] == "story:answer"  # no follow-up in mock mode
    assert all(a["grade"] is None for a in first["session"]["attempts"])
    assert web.client.get(f"/api/sessions/{sid}/summary").status_code == 409
    last = web.api_post(f"/api/sessions/{sid}/answers", {"answer": STORY}).json()
    assert last["session"]["status"] == "finished"
    assert last["grade"] is not None
    assert all(a["grade"] is not None for a in last["session"]["attempts"])
    assert web.client.get(f"/api/sessions/{sid}/summary").status_code == 200


def test_focus_limits_the_questions(web: Web) -> None:
    state = web.api_post("/api/sessions",
                         {"case": "tiny", "focus": ["storytelling"]}).json()
    assert state["current"]["key"] == "story:answer" and state["current"]["total"] == 1
    bad = web.api_post("/api/sessions", {"case": "tiny", "focus": ["goals-metrics"]})
    assert bad.status_code == 422 and "no question" in bad.json()["detail"]
    unknown = web.api_post("/api/sessions", {"case": "nope"})
    assert unknown.status_code == 404


def test_answers_refused_like_the_cli(web: Web) -> None:
    sid = web.api_post("/api/sessions", {"case": "tiny"}).json()["id"]
    empty = web.api_post(f"/api/sessions/{sid}/answers", {"answer": "   "})
    assert empty.status_code == 422 and "empty" in empty.json()["detail"]
    no_words = web.api_post(f"/api/sessions/{sid}/answers", {"answer": "?! ..."})
    assert no_words.status_code == 422 and "no words" in no_words.json()["detail"]
    too_long = web.api_post(f"/api/sessions/{sid}/answers", {"answer": "word " * 4_001})
    assert too_long.status_code == 413
    assert "20,000" in too_long.json()["detail"]
    state = web.client.get(f"/api/sessions/{sid}").json()
    assert state["attempts"] == [] and state["current"]["key"] == "design:answer"


def test_unknown_sessions_are_404(web: Web) -> None:
    for ref in ("0" * 32, "nothex", "abcd", "../../etc/passwd"):
        response = web.client.get(f"/api/sessions/{ref}")
        assert response.status_code == 404, ref
        assert "detail" in response.json()
    assert web.api_post(f"/api/sessions/{'f' * 32}/answers", {"answer": "x"}).status_code == 404
    assert web.api_post(f"/api/sessions/{'f' * 32}/skip", {}).status_code == 404
    assert web.client.get(f"/api/sessions/{'f' * 32}/summary").status_code == 404


def test_a_prefix_is_not_a_session_id(web: Web) -> None:
    sid = web.api_post("/api/sessions", {"case": "tiny"}).json()["id"]
    assert web.client.get(f"/api/sessions/{sid[:8]}").status_code == 404
    assert web.client.get(f"/api/sessions/{sid}").status_code == 200


@pytest.mark.covers("GET /api/sessions", "GET /api/grades", "GET /api/progress",
                    "GET /api/weakest")
def test_history_progress_and_weakest(web: Web) -> None:
    assert web.client.get("/api/weakest").json()["competency"] is None
    assert web.client.get("/api/progress").json() == {"sessions": [], "series": []}
    for answer in (GAP_DESIGN, GOOD_DESIGN):
        sid = web.api_post("/api/sessions", {"case": "tiny"}).json()["id"]
        answer_all(web, sid, [answer, "Pie charts, nothing else."])
    sessions = web.client.get("/api/sessions").json()
    assert len(sessions) == 2 and all(s["status"] == "finished" for s in sessions)
    grades = web.client.get("/api/grades", params={"kind": "answer"}).json()
    assert len(grades) == 4 and {g["competency"] for g in grades} == {
        "research-design", "storytelling"}
    progress = web.client.get("/api/progress").json()
    assert len(progress["sessions"]) == 2
    series = {s["competency"]: s for s in progress["series"]}
    assert set(series) == {"research-design", "storytelling"}
    assert all(len(s["scores"]) == 2 for s in series.values())
    weakest = web.client.get("/api/weakest").json()
    assert weakest["competency"] == min(weakest["means"], key=weakest["means"].get)
    assert weakest["case"] in {c.id for c in CaseLibrary.load().cases.values()} | {"tiny"}


@pytest.mark.covers("POST /api/grade")
def test_grade_one_batch_row_matches_the_cli_batch(web: Web, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from casecoach.cli import app as cli_app

    rows = [
        {"id": "r1", "case": "community-insights", "question": "research-design",
         "answer": GOOD_DESIGN},
        {"id": 7, "question_text": "How would you test it?",
         "reference": "Randomize groups into treatment and control and compare outcomes.",
         "answer": GAP_DESIGN},
        {"id": "bad", "case": "community-insights", "question": "nope", "answer": "x"},
        {"id": "empty", "case": "tiny", "question": "design", "answer": ""},
        ["not", "an", "object"],
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli_app, ["grade", "--input", str(source), "--output", str(out)])
    assert result.exit_code == 0, result.output
    expected = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    for cli_row in expected:  # the API grades one row, not a file: no "line N: " prefix
        if "error" in cli_row:
            cli_row["error"] = re.sub(r"^line \d+: ", "", cli_row["error"])
    for row, cli_row in zip(rows, expected, strict=True):
        response = web.api_post("/api/grade", row)
        assert response.json() == cli_row
        assert response.status_code == (422 if "error" in cli_row else 200)
    assert expected[0]["score"] > expected[1]["score"] - 5  # both graded
    assert "error" in expected[2] and "error" in expected[3]


def test_openapi_lists_the_api(web: Web) -> None:
    spec = web.client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in ("/api/cases", "/api/sessions", "/api/sessions/{session_id}/answers",
                 "/api/grade", "/api/progress"):
        assert path in paths
    assert not any(p.startswith("/sessions") for p in paths)  # pages are not API
    assert web.client.get("/docs").status_code == 404  # Swagger UI would need a CDN


def test_writes_need_the_api_header_and_json(web: Web) -> None:
    no_header = web.client.post("/api/sessions", json={"case": "tiny"})
    assert no_header.status_code == 403 and "X-Requested-With" in no_header.json()["detail"]
    form = web.client.post("/api/sessions", data={"case": "tiny"}, headers=API_HEADERS)
    assert form.status_code == 415
    assert web.client.get("/api/sessions").json() == []
