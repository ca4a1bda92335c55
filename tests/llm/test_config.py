"""`casecoach config`: set/get/list/unset, the environment winning, masking, the file's safety."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from casecoach import config
from casecoach.cli.config import app
from casecoach.grading.registry import default_grader_name
from tests.llm.conftest import API_KEY

runner = CliRunner()


def run(*args: str, input: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=input)
    return result.exit_code, result.output


def test_set_get_list_unset(casecoach_home: Path) -> None:
    code, out = run("set", "llm.base-url", "http://localhost:11434/v1/")
    assert code == 0 and "llm.base-url = http://localhost:11434/v1" in out
    assert run("set", "llm.model", "llama3.1:8b")[0] == 0
    assert run("get", "llm.base-url") == (0, "http://localhost:11434/v1\n")
    assert run("get", "llm.model") == (0, "llama3.1:8b\n")
    code, out = run("list")
    assert code == 0 and "llama3.1:8b" in out and "file" in out and "not set" in out
    path = casecoach_home / "config.toml"
    assert tomllib.loads(path.read_text())["llm"] == {"base-url": "http://localhost:11434/v1",
                                                      "model": "llama3.1:8b"}
    assert run("unset", "llm.model") == (0, "llm.model unset.\n")
    assert run("get", "llm.model") == (1, "")  # not set: nothing printed, exit 1
    assert run("unset", "llm.model")[1] == "llm.model was not set in the file.\n"


def test_api_key_is_never_printed(casecoach_home: Path) -> None:
    code, out = run("set", "llm.api-key", API_KEY)
    assert code == 0 and API_KEY not in out and "sk-…CRET" in out
    assert run("get", "llm.api-key") == (0, "sk-…CRET\n")
    code, out = run("list")
    assert API_KEY not in out and "sk-…CRET" in out
    assert config.llm_settings().api_key == API_KEY
    assert API_KEY not in repr(config.llm_settings())
    assert config.mask("short") == "****"


def test_api_key_can_be_typed_without_echo(casecoach_home: Path) -> None:
    code, out = run("set", "llm.api-key", input=f"{API_KEY}\n")
    assert code == 0 and API_KEY not in out
    assert config.read_file()["llm.api-key"] == API_KEY
    assert run("set", "llm.api-key", "-", input="sk-from-stdin-1234567890\n")[0] == 0
    assert config.read_file()["llm.api-key"] == "sk-from-stdin-1234567890"


def test_file_is_private_and_written_atomically(casecoach_home: Path) -> None:
    run("set", "llm.api-key", API_KEY)
    run("set", "llm.model", "m")
    path = casecoach_home / "config.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)  # a file loosened by hand is tightened on the next write
    run("set", "llm.model", "m2")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in casecoach_home.iterdir() if "config" in p.name) == \
        ["config.toml"]  # no temporary file left behind


def test_environment_wins_over_the_file(casecoach_home: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    run("set", "llm.model", "from-file")
    monkeypatch.setenv("CASECOACH_LLM_MODEL", "from-env")
    assert run("get", "llm.model") == (0, "from-env\n")
    code, out = run("list")
    assert "from-env" in out and "CASECOACH_LLM_MODEL" in out
    result = runner.invoke(app, ["set", "llm.model", "again"])
    assert "CASECOACH_LLM_MODEL is set and wins" in result.output
    monkeypatch.setenv("CASECOACH_LLM_API_KEY", API_KEY)
    assert run("get", "llm.api-key") == (0, "sk-…CRET\n")
    assert config.llm_settings().model == "from-env"


def test_bad_keys_and_values_are_refused(casecoach_home: Path) -> None:
    code, out = run("set", "llm.nope", "x")
    assert code == 1 and "unknown key 'llm.nope'" in out and "llm.base-url" in out
    code, out = run("set", "llm.base-url", "localhost:11434")
    assert code == 1 and "must be an http(s) URL" in out
    code, out = run("set", "llm.timeout", "soon")
    assert code == 1 and "number of seconds" in out
    assert run("set", "llm.timeout", "120")[0] == 0
    assert config.llm_settings().timeout == 120.0
    assert run("set", "llm.model")[0] == 1  # a value is needed
    assert not (casecoach_home / "config.toml").read_text().count("nope")


def test_broken_file_is_reported(casecoach_home: Path) -> None:
    (casecoach_home / "config.toml").write_text("[llm\nmodel = ")
    code, out = run("get", "llm.model")
    assert code == 1 and "not valid TOML" in out
    assert default_grader_name() == "embedded"  # a broken config never breaks grading


def test_default_grader_follows_the_configuration(casecoach_home: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_grader_name() == "embedded"
    run("set", "llm.base-url", "http://localhost:11434/v1")
    assert default_grader_name() == "embedded"  # a server without a model is not enough
    run("set", "llm.model", "llama3.1:8b")
    assert default_grader_name() == "hybrid"
    run("unset", "llm.model")
    monkeypatch.setenv("CASECOACH_LLM_MODEL", "qwen2.5:7b")
    assert default_grader_name() == "hybrid"


def test_safe_url_drops_credentials() -> None:
    assert config.safe_url("https://user:pw@example.test/v1") == "https://example.test/v1"
    assert config.safe_url("http://localhost:8080/v1") == "http://localhost:8080/v1"


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=["Cs"],
                                      exclude_characters="\r\n\x00"), min_size=1))
def test_any_value_round_trips_through_the_file(value: str) -> None:
    if not value.strip():
        return
    path = config.config_path()
    config.write_file({"llm.model": value.strip()}, path)
    assert config.read_file(path) == {"llm.model": value.strip()}
