"""Shared fixtures: every test gets its own casecoach home, so nothing touches a real one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from casecoach.cases.schema import Case

CLAIMS = Path(__file__).resolve().parents[1] / "data" / "claims"


@cache
def labelled_claims() -> tuple[dict[str, str], ...]:
    """The labelled claims of data/claims (see its README), every case."""
    return tuple(json.loads(line) for path in sorted(CLAIMS.glob("*.jsonl"))
                 for line in path.read_text("utf-8").splitlines() if line)


def is_right(claim: dict[str, str]) -> bool:
    """A claim that makes a rubric point correctly or rejects a red flag."""
    kind = claim["target"].split(":")[0]
    return (kind, claim["label"]) in {("criterion", "entails"), ("red-flag", "contradicts")}


def is_wrong(claim: dict[str, str]) -> bool:
    """A claim that gets a rubric point wrong or commits a red flag."""
    kind = claim["target"].split(":")[0]
    return (kind, claim["label"]) in {("criterion", "contradicts"), ("red-flag", "entails")}


TINY_CASE = {
    "id": "tiny",
    "title": "Tiny",
    "product_area": "Testing",
    "difficulty": "easy",
    "tags": ["test"],
    "scenario": "A small case used by the tests.",
    "questions": [
        {
            "id": "design",
            "competency": "research-design",
            "prompt": "How would you test the feature?",
            "ideal_answer": "Randomize groups into treatment and control and compare outcomes.",
            "rubric": {
                "criteria": [
                    {
                        "id": "randomize",
                        "description": "Randomizes",
                        "weight": 2,
                        "phrasings": ["We randomize groups into two arms."],
                        "hint": "Say how you randomize.",
                    },
                    {
                        "id": "duration",
                        "description": "Sets a duration",
                        "phrasings": ["Run it for four weeks."],
                        "hint": "Say how long it runs.",
                    },
                ],
                "red_flags": [],
            },
            "follow_ups": [{"prompt": "How long would it run?", "targets": ["duration"]}],
        },
        {
            "id": "story",
            "competency": "storytelling",
            "prompt": "How would you present it?",
            "ideal_answer": "Lead with the decision, then the evidence.",
        },
    ],
}


@pytest.fixture(autouse=True)
def casecoach_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("CASECOACH_HOME", str(home))
    monkeypatch.delenv("CASECOACH_DATABASE_URL", raising=False)
    for name in ("CASECOACH_LLM_BASE_URL", "CASECOACH_LLM_MODEL", "CASECOACH_LLM_API_KEY",
                 "CASECOACH_LLM_TIMEOUT"):  # a developer's LLM must not change the default grader
        monkeypatch.delenv(name, raising=False)
    yield home


@pytest.fixture
def tiny_case() -> Case:
    return Case.model_validate(TINY_CASE)
