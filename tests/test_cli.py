"""Every command, in-process, plus real subprocess runs of a scripted and a killed interview."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from casecoach.cases.loader import CaseLibrary
from casecoach.cli import app
from tests.conftest import TINY_CASE

runner = CliRunner()
CASE = CaseLibrary.load().get("community-insights")
IDEAL = {q.id: q.ideal_answer for q in CASE.questions}


def run(*args: str, input: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=input)
    return result.exit_code, result.output


def script(*answers: str) -> str:
    return "".join(f"{a}\n.\n" for a in answers)


def test_help_lists_every_command() -> None:
    code, out = run("--help")
    assert code == 0
    for command in ("interview", "resume", "grade", "history", "show", "cases"):
        assert command in out


def all_commands() -> list[list[str]]:
    """Every command path of the CLI, found by walking the click tree."""
    import typer.main

    found: list[list[str]] = []

    def walk(command: Any, path: list[str]) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, [*path, name])
        else:
            found.append(path)

    walk(typer.main.get_command(app), [])
    return found


@pytest.mark.parametrize("command", all_commands(), ids=" ".join)
def test_every_command_has_help_and_is_documented(command: list[str]) -> None:
    code, out = run(*command, "--help")
    assert code == 0 and "Usage" in out and len(out) > 200
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"casecoach {command[0]}" in readme, f"README does not mention {' '.join(command)}"
    if len(command) > 1:
        assert command[-1] in readme


def test_cases_list_and_json() -> None:
    code, out = run("cases", "list", "--json")
    assert code == 0
    ids = [c["id"] for c in json.loads(out)]
    assert "community-insights" in ids
    code, out = run("cases", "list")
    assert code == 0 and "community-insights" in out


def test_cases_show() -> None:
    code, out = run("cases", "show", "community-insights")
    assert code == 0 and "Community Insights" in out and "Question 1/5" in out
    code, out = run("cases", "show", "nope")
    assert code == 1 and "valid cases" in out


def test_cases_validate_reports_line_and_field(tmp_path: Path) -> None:
    good = tmp_path / "tiny.yaml"
    good.write_text(yaml.safe_dump(TINY_CASE), encoding="utf-8")
    code, out = run("cases", "validate", str(good))
    assert code == 0 and "ok tiny" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\ntitle: Bad\n", encoding="utf-8")
    code, out = run("cases", "validate", str(bad))
    assert code == 1 and f"{bad}:1: product_area: required field is missing" in out
    code, out = run("cases", "validate", str(tmp_path / "missing.yaml"))
    assert code == 1 and "does not exist" in out


def test_cases_validate_warns_when_a_sign_flags_an_ideal_answer(tmp_path: Path) -> None:
    case = copy.deepcopy(TINY_CASE)
    case["questions"][0]["rubric"]["red_flags"] = [{
        "id": "no-control",
        "description": "Compares outcomes without a control.",
        "phrasings": ["We just compare outcomes before and after."],
        "signs": [["compare outcomes"]],  # too broad: the ideal answer compares outcomes too
    }]
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(case), encoding="utf-8")
    code, out = run("cases", "validate", str(path))
    assert code == 0 and "ok tiny" in out
    assert "warning tiny: red flag no-control would flag the ideal answer of design" in out
    case["questions"][0]["rubric"]["red_flags"][0]["signs"] = [["before and after"]]
    path.write_text(yaml.safe_dump(case), encoding="utf-8")
    code, out = run("cases", "validate", str(path))
    assert code == 0 and "warning" not in out


def test_cases_validate_warns_about_filler_in_an_ideal_answer(tmp_path: Path) -> None:
    case = copy.deepcopy(TINY_CASE)
    case["questions"][0]["ideal_answer"] += " We'd leverage a robust, holistic framework."
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(case), encoding="utf-8")
    code, out = run("cases", "validate", str(path))
    assert code == 0 and "ok tiny" in out
    assert "warning tiny: the ideal answer of design has a sentence that earns no credit" in out
    assert "leverage a robust, holistic framework" in out


def test_user_cases_folder_is_used(casecoach_home: Path) -> None:
    folder = casecoach_home / "cases"
    folder.mkdir()
    (folder / "tiny.yaml").write_text(yaml.safe_dump(TINY_CASE), encoding="utf-8")
    code, out = run("cases", "list", "--json")
    assert "tiny" in [c["id"] for c in json.loads(out)]


def test_grade_one_answer(tmp_path: Path) -> None:
    answer = tmp_path / "a.txt"
    answer.write_text(IDEAL["research-design"], encoding="utf-8")
    code, out = run("grade", "--case", "community-insights", "--question", "research-design",
                    "--answer-file", str(answer), "--json")
    assert code == 0, out
    row = json.loads(out)
    assert row["score"] >= 4.0
    assert {"id", "score", "level", "criteria", "red_flags", "grader"} <= set(row)
    code, out = run("grade", "--case", "community-insights", "--question", "research-design",
                    "--answer-file", str(answer))
    assert code == 0 and "Grade" in out and "What your answer did well" in out


def test_grade_reads_only_the_case_it_needs(casecoach_home: Path, tmp_path: Path) -> None:
    """A user's own case file replaces the built-in one; a broken user file elsewhere does
    not stop grading another case; a broken file for the case asked for is an error with its
    line; an unknown case lists the valid ones."""
    folder = casecoach_home / "cases"
    folder.mkdir()
    (folder / "tiny.yaml").write_text(yaml.safe_dump(TINY_CASE), encoding="utf-8")
    (folder / "broken.yaml").write_text("id: broken\ntitle: [unclosed\n", encoding="utf-8")
    answer = tmp_path / "a.txt"
    answer.write_text("We would randomize users and read retention after four weeks.", "utf-8")
    question = TINY_CASE["questions"][0]["id"]
    code, out = run("grade", "--case", "tiny", "--question", question,
                    "--answer-file", str(answer), "--json")
    assert code == 0, out
    code, out = run("grade", "--case", "broken", "--question", "x", "--answer-file", str(answer))
    assert code != 0 and "broken.yaml:" in out  # file:line: what is wrong
    code, out = run("grade", "--case", "nope", "--question", "x", "--answer-file", str(answer))
    assert code != 0 and "valid cases:" in out and "tiny" in out


@pytest.mark.parametrize(
    ("args", "content", "message"),
    [
        (["--question", "nope"], "text", "valid: research-design"),
        ([], "   \n", "empty"),
        ([], "??? ...", "no words"),
        ([], "x" * 20_001, "limit is 20,000"),
        ([], b"caf\xe9", "not UTF-8"),
    ],
)
def test_grade_bad_input(tmp_path: Path, args: list[str], content: str | bytes,
                         message: str) -> None:
    answer = tmp_path / "a.txt"
    if isinstance(content, bytes):
        answer.write_bytes(content)
    else:
        answer.write_text(content, encoding="utf-8")
    base = ["grade", "--case", "community-insights", "--question", "research-design"]
    if args:
        base = ["grade", "--case", "community-insights", *args]
    code, out = run(*base, "--answer-file", str(answer))
    assert code != 0 and message in out and "Traceback" not in out


def test_grade_batch(tmp_path: Path) -> None:
    rows = [
        {"id": "1", "case": "community-insights", "question": "storytelling",
         "answer": IDEAL["storytelling"]},
        {"id": "2", "question_text": "What is a p-value?",
         "reference": "The probability of data at least this extreme if the null hypothesis "
                      "were true.", "answer": "How likely data this extreme is under the null."},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n{oops\n", encoding="utf-8")
    target = tmp_path / "out.jsonl"
    code, out = run("grade", "--input", str(source), "--output", str(target))
    assert code == 0, out
    written = [json.loads(line) for line in target.read_text().splitlines()]
    assert [w["id"] for w in written] == ["1", "2", None]
    assert written[0]["score"] >= 4.0 and "error" in written[2]
    assert "line 3" in out and "Graded 2 answer(s)" in out


def test_interview_practice_scripted_then_history_and_show() -> None:
    code, out = run("interview", "--case", "community-insights",
                    "--focus", "research-design,storytelling", "--no-follow-ups",
                    input=script(IDEAL["research-design"], IDEAL["storytelling"]))
    assert code == 0, out
    assert "Question 1/2" in out and "Feedback" in out and "A senior-level answer" in out
    assert "Session summary" in out
    code, out = run("history")
    assert code == 0 and "community-insights" in out and "finished" in out
    session_id = out.strip().splitlines()[-1].split()[0]
    code, out = run("show", session_id)
    assert code == 0 and "Grade" in out


def test_interview_mock_gives_feedback_only_at_the_end() -> None:
    answers = [IDEAL[q.id] for q in CASE.questions]
    code, out = run("interview", "--case", "community-insights", "--mode", "mock",
                    input=script(*answers))
    assert code == 0, out
    debrief = out.index("Debrief")
    assert "Feedback" not in out[:debrief] and "Feedback" in out[debrief:]
    assert "Session summary" in out


def test_practice_follow_up_is_asked_and_graded() -> None:
    code, out = run("interview", "--case", "community-insights", "--focus", "research-design",
                    input=script("I would run an A/B test.",
                                 "Randomize whole groups, all admins together, for 13 weeks."))
    assert code == 0, out
    assert "Follow-up" in out and "Feedback on your follow-up" in out
    assert out.index("Feedback on your follow-up") < out.index("A senior-level answer")


def test_interview_end_of_input_saves_and_resume_continues() -> None:
    code, out = run("interview", "--case", "community-insights", "--focus", "storytelling",
                    input="A first draft that I want to keep.\n")
    assert code == 0 and "casecoach resume" in out
    code, out = run("resume", input="/skip\n.\n")
    assert code == 0, out
    assert "1 answer(s) already saved" in out and "Session summary" in out
    code, out = run("resume")
    assert code == 1 and "no unfinished session" in out


def test_a_skipped_follow_up_is_not_asked_again_on_resume() -> None:
    """Skip a follow-up, then stop: resume goes on to the next question, not the follow-up."""
    code, out = run("interview", "--case", "community-insights",
                    "--focus", "research-design,storytelling",
                    input=script("I would run an A/B test.") + "/skip\n.\n")
    assert code == 0 and "Follow-up" in out and "casecoach resume" in out, out
    code, out = run("resume", input=script("Launch it for activity; retention needs its own work."))
    assert code == 0, out
    assert "The 13-week test is done" in out and "Follow-up" not in out.split("Feedback")[0]


def test_interview_errors_are_clear() -> None:
    code, out = run("interview", "--case", "nope")
    assert code == 1 and "valid cases" in out
    code, out = run("interview", "--case", "community-insights", "--focus", "nope")
    assert code == 1 and "unknown competency" in out
    code, out = run("interview")
    assert code == 1 and "--case" in out
    code, out = run("show", "zzzz")
    assert code == 1 and "no session" in out.lower()


def _cli(home: Path) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "CASECOACH_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    return [sys.executable, "-m", "casecoach"], env


@pytest.mark.slow
def test_subprocess_scripted_interview(casecoach_home: Path) -> None:
    cmd, env = _cli(casecoach_home)
    answers = script(*(IDEAL[q.id] for q in CASE.questions))
    proc = subprocess.run([*cmd, "interview", "--case", "community-insights", "--no-follow-ups"],
                          input=answers,
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("Feedback") >= 5 and "Session summary" in proc.stdout
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_kill_9_during_interview_loses_no_answer(casecoach_home: Path) -> None:
    """Kill the process right after an answer is stored (while it grades); resume finishes."""
    cmd, env = _cli(casecoach_home)
    proc = subprocess.Popen([*cmd, "interview", "--case", "community-insights", "--focus",
                             "research-design,storytelling"], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                            text=True)
    assert proc.stdin is not None
    first = "Randomize by group so admins of one group share an arm; run 13 weeks."
    proc.stdin.write(f"{first}\n.\n")
    proc.stdin.flush()
    db = casecoach_home / "casecoach.db"
    deadline = time.monotonic() + 120
    stored = False
    while time.monotonic() < deadline and not stored:
        if db.exists():
            with sqlite3.connect(db) as conn, contextlib.suppress(sqlite3.OperationalError):
                stored = bool(conn.execute("select count(*) from attempts").fetchone()[0])
        time.sleep(0.005)
    assert stored, "the answer was never stored"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    with sqlite3.connect(db) as conn:
        answers = [r[0] for r in conn.execute("select answer from attempts")]
    assert answers == [first]
    resumed = subprocess.run([*cmd, "resume"], input="/skip\n.\n" + script(IDEAL["storytelling"])
                             + "/skip\n.\n", capture_output=True, text=True, env=env,
                             timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "Session summary" in resumed.stdout
    with sqlite3.connect(db) as conn:
        graded = conn.execute("select count(*) from grades").fetchone()[0]
        status = conn.execute("select status from sessions").fetchone()[0]
    assert graded == 2 and status == "finished"
