"""Against a real LLM server, only when CASECOACH_LLM_BASE_URL (and _MODEL) are set."""

from __future__ import annotations

import pytest

from casecoach.config import LlmSettings
from casecoach.grading.hybrid import HybridGrader
from tests.llm.conftest import LIVE
from tests.llm.test_grading import IDEAL, WEAK, task

pytestmark = pytest.mark.skipif(
    not (LIVE["CASECOACH_LLM_BASE_URL"] and LIVE["CASECOACH_LLM_MODEL"]),
    reason="no live LLM: set CASECOACH_LLM_BASE_URL and CASECOACH_LLM_MODEL",
)


def test_live_hybrid_grade() -> None:
    settings = LlmSettings(base_url=LIVE["CASECOACH_LLM_BASE_URL"],
                           model=LIVE["CASECOACH_LLM_MODEL"],
                           api_key=LIVE["CASECOACH_LLM_API_KEY"] or None,
                           timeout=float(LIVE["CASECOACH_LLM_TIMEOUT"] or 120))
    grader = HybridGrader(settings)
    strong, weak = grader.grade(task(IDEAL)), grader.grade(task(WEAK))
    for grade in (strong, weak):
        assert grade.audit is not None and grade.audit.prompt
        assert 1.0 <= grade.score <= 5.0
        if grade.fallback is None:  # the model answered usably: its verdict was used
            assert grade.grader == "hybrid" and grade.audit.raw_reply
    if strong.fallback is None and weak.fallback is None:
        assert strong.score > weak.score
