"""The claim judge (real model, no fakes): shapes, determinism, golden values, behaviour.

The golden probabilities in tests/data/judge_golden.json were computed with torch by
scripts/train_claim_judge.py when it exported the graphs. The behaviour pairs are hand-written
here and are not in data/claims.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from casecoach.grading.judge import (
    CONTRADICTS,
    ENTAILS,
    LABELS,
    NEUTRAL,
    ClaimJudge,
    get_judge,
)

GOLDEN = json.loads((Path(__file__).parent / "data" / "judge_golden.json").read_text("utf-8"))

GROUP = "Randomize whole groups so all admins of a group share an arm."
ITT = "Analyze everyone by the arm they were assigned to (intent-to-treat), not by whether they used the tool."  # noqa: E501
ADOPTER_FLAG = "Compare admins who used the tool with admins who didn't to measure its effect."


@pytest.fixture(scope="module")
def judge(tmp_path_factory: pytest.TempPathFactory) -> ClaimJudge:
    return ClaimJudge(cache_dir=tmp_path_factory.mktemp("judge-cache"))


def test_labels() -> None:
    assert LABELS == ("entails", "contradicts", "neutral")
    assert (ENTAILS, CONTRADICTS, NEUTRAL) == (0, 1, 2)


def test_shapes_and_probabilities(judge: ClaimJudge) -> None:
    pairs = [
        (GROUP, "We assign groups, not admins."),
        (GROUP, ""),
        ("", "ok"),
        (ITT, "Guardrails: member reports and hides per 1,000 member-days. " * 40),  # truncated
    ]
    probs = judge.judge(pairs)
    assert probs.shape == (4, 3)
    assert probs.dtype == np.float32
    assert np.all(probs >= 0) and np.all(probs <= 1)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert judge.judge([]).shape == (0, 3)


def test_deterministic_and_order_independent(judge: ClaimJudge) -> None:
    pairs = [(item["anchor"], item["sentence"]) for item in GOLDEN["items"]]
    pairs += [(GROUP, "Each admin is randomized on their own.")]
    first = judge.judge(pairs)
    judge.clear_cache()
    again = judge.judge(pairs, batch_size=1)
    np.testing.assert_allclose(first, again, atol=1e-5)
    reversed_probs = judge.judge(pairs[::-1], batch_size=3)[::-1]
    np.testing.assert_allclose(first, reversed_probs, atol=1e-5)
    assert judge.cache_size() > 0


def test_golden_matches_torch(judge: ClaimJudge) -> None:
    pairs = [(item["anchor"], item["sentence"]) for item in GOLDEN["items"]]
    want = np.array([item["probabilities"] for item in GOLDEN["items"]], dtype=np.float32)
    for probs in (judge.judge(pairs), np.vstack([judge.judge([p]) for p in pairs])):
        np.testing.assert_allclose(probs, want, atol=1e-4)


def test_weights_in_memory_gives_the_same(tmp_path: Path) -> None:
    pairs = [(item["anchor"], item["sentence"]) for item in GOLDEN["items"]]
    want = np.array([item["probabilities"] for item in GOLDEN["items"]], dtype=np.float32)

    class InMemory(ClaimJudge):
        weights_in_memory = True

    np.testing.assert_allclose(InMemory(cache_dir=tmp_path).judge(pairs), want, atol=1e-4)


def test_get_judge_is_cached() -> None:
    assert get_judge() is get_judge()


# Hand-written, not from data/claims: the distinctions cosine similarity cannot make.
SAME = [
    (GROUP, "Every admin of a treated group gets the tool, so co-admins stay in the same arm."),
    (
        ITT,
        "The headline estimate compares everyone assigned to treatment with everyone "
        "assigned to control, whether or not they ever opened the dashboard.",
    ),
    (
        ADOPTER_FLAG,
        "The effect is the retention gap between admins who opened the dashboard "
        "and admins who never did.",
    ),
]
OPPOSITE = [
    # The opposite method in the same words, with no negation word: the current model
    # (2 epochs, CV entails/contradicts swap rate ~26%) reads it as entails (~0.73).
    # strict: a retrained model that gets it right must drop this mark.
    pytest.param(
        GROUP,
        "We randomly assign each admin individually, ignoring which group they run.",
        marks=pytest.mark.xfail(
            strict=True, reason="known miss of the current model, see docs/claim-judge.md"
        ),
    ),
    (GROUP, "I would not randomize whole groups; assigning each admin on their own is enough."),
    (
        ITT,
        "We'd measure the effect by comparing admins who opened the dashboard with admins "
        "who never did.",
    ),
    (
        ADOPTER_FLAG,
        "We would NOT compare adopters with non-adopters: engaged admins "
        "self-select into using the tool.",
    ),
]


@pytest.mark.parametrize(("anchor", "sentence"), SAME)
def test_same_claim_entails(judge: ClaimJudge, anchor: str, sentence: str) -> None:
    probs = judge.judge([(anchor, sentence)])[0]
    assert probs[ENTAILS] > probs[CONTRADICTS], probs


@pytest.mark.parametrize(("anchor", "sentence"), OPPOSITE)
def test_opposite_claim_contradicts(judge: ClaimJudge, anchor: str, sentence: str) -> None:
    probs = judge.judge([(anchor, sentence)])[0]
    assert probs[CONTRADICTS] > probs[ENTAILS], probs


def test_unrelated_is_neutral(judge: ClaimJudge) -> None:
    probs = judge.judge([(GROUP, "Members report or hide about 1.2 posts per 1,000 days.")])[0]
    assert probs.argmax() == NEUTRAL, probs
