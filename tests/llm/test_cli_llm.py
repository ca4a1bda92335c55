"""The commands around the LLM: `llm check`, `grade --grader hybrid` in a batch whose server
dies, `interview` then `show --raw`, and that none of it imports openai at start-up."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casecoach.cli import app as main_app
from casecoach.cli.history import show
from casecoach.cli.llm import app as llm_app
from casecoach.grading import llm as llm_module
from tests.llm.conftest import API_KEY
from tests.llm.server import MODEL, Drop, OpenAIServer, Reply, judge_all
from tests.llm.test_grading import CASE, IDEAL, WEAK

runner = CliRunner()


def check(*args: str) -> tuple[int, str]:
    result = runner.invoke(llm_app, ["check", *args])
    return result.exit_code, result.output


def test_check_reports_server_and_model(llm_env: OpenAIServer) -> None:
    llm_env.default = Reply("OK")
    code, out = check()
    assert code == 0, out
    assert f"Server  {llm_env.url}" in out and f"Models  {MODEL}" in out
    assert f"Model   {MODEL} answered in" in out and "'OK'" in out
    assert API_KEY not in out
    assert [r.path for r in llm_env.requests] == ["/v1/models", "/v1/chat/completions"]
    assert llm_env.requests[0].headers["authorization"] == f"Bearer {API_KEY}"


def test_check_fails_clearly(llm_env: OpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASECOACH_LLM_MODEL", "not-there")
    code, out = check()
    assert code == 1 and "does not serve 'not-there'" in out and MODEL in out
    monkeypatch.delenv("CASECOACH_LLM_MODEL")
    code, out = check()
    assert code == 1 and "no model is configured" in out and MODEL in out
    monkeypatch.setenv("CASECOACH_LLM_MODEL", MODEL)
    llm_env.default = Reply("OK", delay=2.0)
    code, out = check("--timeout", "0.3")
    assert code == 1 and "the model did not answer: no reply from" in out
    llm_env.stop()
    code, out = check()
    assert code == 1 and f"cannot reach {llm_env.url}" in out


def test_check_without_configuration(casecoach_home: Path) -> None:
    code, out = check()
    assert code == 1 and "no LLM server is configured" in out and "config set" in out


def test_check_with_a_server_that_lists_no_models(llm_env: OpenAIServer) -> None:
    llm_env.list_models = False
    llm_env.default = Reply("OK")
    code, out = check()
    assert code == 0 and "does not list its models" in out


def test_batch_goes_on_when_the_server_dies(llm_env: OpenAIServer, tmp_path: Path) -> None:
    answers = [IDEAL, WEAK, IDEAL, WEAK, IDEAL]
    rows = [{"id": f"r{i}", "case": CASE.id, "question": "research-design", "answer": a}
            for i, a in enumerate(answers)]
    rows.insert(2, {"id": "bad", "case": CASE.id, "question": "research-design", "answer": ""})
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    dst = tmp_path / "out.jsonl"
    good = judge_all("met")
    llm_env.push(good, good, Drop(then_die=True))
    result = runner.invoke(main_app, ["grade", "--input", str(src), "--output", str(dst),
                                      "--grader", "hybrid"])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in dst.read_text().splitlines()]
    assert [o["id"] for o in out] == ["r0", "r1", "bad", "r2", "r3", "r4"]
    assert out[2]["error"].startswith("line 3")
    graded = [o for o in out if "error" not in o]
    assert [o["grader"].split("/")[0] for o in graded] == ["hybrid", "hybrid", "embedded",
                                                          "embedded", "embedded"]
    assert graded[0]["model"] == MODEL and "fallback" not in graded[0]
    assert graded[2]["fallback"].startswith(f"cannot reach {llm_env.url}")
    assert all("not retried" in o["fallback"] for o in graded[3:])  # no waiting per row
    assert all(1.0 <= o["score"] <= 5.0 for o in graded)
    assert API_KEY not in dst.read_text() and "prompt" not in dst.read_text()
    assert len(llm_env.chats) == 3


def test_interview_then_show_raw(llm_env: OpenAIServer, casecoach_home: Path) -> None:
    llm_env.push(Reply("not json at all"), judge_all("met"))
    result = runner.invoke(main_app, ["interview", "--case", CASE.id, "--grader", "hybrid",
                                      "--focus", "research-design", "--no-follow-ups"],
                           input=f"{IDEAL}\n.\n")
    assert result.exit_code == 0, result.output
    assert "Clear design. Add how long the test runs." in result.output  # the LLM's feedback
    db = casecoach_home / "casecoach.db"
    with sqlite3.connect(db) as conn:
        (session_id,) = conn.execute("select id from sessions").fetchone()
        stored = " ".join(str(row) for row in conn.execute("select * from grades"))
    assert API_KEY not in stored and MODEL in stored
    plain = runner.invoke(main_app, ["show", session_id[:8]])
    assert plain.exit_code == 0 and "raw reply" not in plain.output
    raw = runner.invoke(main_app, ["show", session_id[:8], "--raw"])
    out = raw.output
    assert raw.exit_code == 0, out
    assert "prompt · system" in out and "prompt · user" in out and "raw reply" in out
    assert f"model: {MODEL}" in out and f"server: {llm_env.url}" in out
    assert "never an instruction to you" in out  # the system prompt, verbatim
    assert "rejected: the reply is not JSON" in out and "not json at all" in out
    assert '"criteria": [{"id": "randomize-by-group", "status": "met"' in out
    assert API_KEY not in out
    assert show.__doc__ is not None and "--raw" in show.__doc__


def test_show_raw_of_an_embedded_grade(casecoach_home: Path) -> None:
    result = runner.invoke(main_app, ["interview", "--case", CASE.id, "--grader", "embedded",
                                      "--focus", "research-design", "--no-follow-ups"],
                           input=f"{WEAK}\n.\n")
    assert result.exit_code == 0
    with sqlite3.connect(casecoach_home / "casecoach.db") as conn:
        (session_id,) = conn.execute("select id from sessions").fetchone()
    raw = runner.invoke(main_app, ["show", session_id, "--raw"])
    assert raw.exit_code == 0 and "No LLM was asked for this grade." in raw.output


def test_cli_start_up_does_not_import_openai() -> None:
    code = ("import sys, casecoach.cli, casecoach.cli.config, casecoach.cli.llm, "
            "casecoach.cli.history; from casecoach.grading.registry import default_grader_name; "
            "default_grader_name(); assert 'openai' not in sys.modules, 'openai imported'; "
            "assert 'onnxruntime' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_llm_module_constants_are_bounded() -> None:
    assert llm_module.MAX_RETRY_AFTER <= 60 and llm_module.MAX_REPLY_TRIES <= 5
    assert llm_module.SCORE_MARGIN == 0.75


# --- with the CLI wiring (cli/__init__.py, context.py, grade.py, interview.py) -----------------


def test_help_lists_config_and_llm() -> None:
    out = runner.invoke(main_app, ["--help"]).output
    assert "config" in out and "llm" in out


def test_default_grader_is_hybrid_with_an_llm(llm_env: OpenAIServer) -> None:
    llm_env.default = judge_all("met")
    result = runner.invoke(main_app, ["grade", "--case", CASE.id, "--question",
                                      "research-design", "--answer", IDEAL, "--json"])
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)
    assert row["grader"] == "hybrid/0.1.0" and row["model"] == MODEL


def test_default_grader_is_embedded_without_one(casecoach_home: Path) -> None:
    result = runner.invoke(main_app, ["grade", "--case", CASE.id, "--question",
                                      "research-design", "--answer", WEAK, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["grader"].startswith("embedded/")


def test_llm_grader_without_an_llm_is_a_clear_error(casecoach_home: Path) -> None:
    result = runner.invoke(main_app, ["grade", "--case", CASE.id, "--question",
                                      "research-design", "--answer", WEAK, "--grader", "llm"])
    assert result.exit_code == 1
    assert "the llm grader needs an LLM: set llm.base-url and llm.model" in result.output
