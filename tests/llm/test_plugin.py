"""Graders are plugins: a package installed with pip adds one through the `casecoach.graders`
entry-point group, and both the registry and `casecoach grade --grader NAME` find it."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casecoach.cli import app
from casecoach.grading import Grader, GradingTask, available, get_grader
from casecoach.grading.registry import ENTRY_POINT_GROUP
from tests.llm.test_grading import CASE, QUESTION, WEAK

PLUGIN_DIR = Path(__file__).parent / "plugin_pkg"
DIST = "casecoach-keyword-grader"
NAME = "keyword-count"


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet",
                    *args], check=True)


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The plugin pip-installed into this very environment, and uninstalled afterwards."""
    src = tmp_path_factory.mktemp("plugin") / "pkg"
    shutil.copytree(PLUGIN_DIR, src, ignore=shutil.ignore_patterns("__pycache__"))
    _pip("install", "--no-deps", "--no-build-isolation", "--no-index", str(src))
    importlib.invalidate_caches()
    try:
        yield NAME
    finally:
        _pip("uninstall", "--yes", DIST)
        importlib.invalidate_caches()


def test_the_entry_point_is_found_and_loaded(plugin: str) -> None:
    assert plugin in [ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)]
    assert plugin in available() and {"embedded", "llm", "hybrid"} <= set(available())
    grader = get_grader(plugin)
    assert isinstance(grader, Grader) and grader.name == plugin
    grade = grader.grade(GradingTask(question=QUESTION, answer=WEAK, case=CASE))
    assert grade.grader == plugin and 1.0 <= grade.score <= 5.0


def test_grade_command_uses_the_plugin(plugin: str) -> None:
    result = CliRunner().invoke(app, ["grade", "--case", CASE.id, "--question", QUESTION.id,
                                      "--answer", WEAK, "--json", "--grader", plugin])
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)
    assert row["grader"] == f"{plugin}/0.1.0"
