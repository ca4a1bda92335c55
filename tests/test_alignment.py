"""Word alignment in context (BERTScore recall) for reference-only grading, on the real model."""

from __future__ import annotations

import pytest

from casecoach.grading.alignment import align, asked_words
from casecoach.grading.embedded import EmbeddedGrader
from casecoach.grading.embedder import Embedder, get_embedder
from casecoach.grading.protocol import GradingTask

QUESTION = "What is a queue?"
REFERENCE = "A first-in, first-out collection: items leave in the order they arrived."


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return get_embedder()


def recall(embedder: Embedder, answer: str, reference: str = REFERENCE) -> float:
    ref, ans = embedder.tokens([reference]), embedder.tokens([answer])
    return align(ref, ans, asked_words(QUESTION)).score


def test_the_reference_itself_aligns_fully(embedder: Embedder) -> None:
    assert recall(embedder, REFERENCE) == pytest.approx(1.0, abs=1e-5)


def test_a_paraphrase_aligns_better_than_another_topic(embedder: Embedder) -> None:
    paraphrase = recall(embedder, "a list where the first element added is the first taken out")
    unrelated = recall(embedder, "a loop that repeats its body until a condition is false")
    assert paraphrase > unrelated + 0.15, (paraphrase, unrelated)
    assert unrelated < 0.2


def test_the_questions_own_words_are_not_counted(embedder: Embedder) -> None:
    """A reference that only repeats the question's words is read whole, not as nothing; a
    reference word the question gives away earns an answer nothing."""
    reference = "A queue holds items in arrival order."
    echo = recall(embedder, "A queue is a queue.", reference)
    point = recall(embedder, "It keeps things in the order they came in.", reference)
    assert point > echo, (point, echo)


def test_empty_sides_align_to_nothing(embedder: Embedder) -> None:
    nothing = align(embedder.tokens([REFERENCE]), [], set())
    assert nothing.score == 0.0 and "arrived" in nothing.unmatched
    assert align(embedder.tokens([REFERENCE]), embedder.tokens(["?!"]), set()).score == 0.0
    assert align([], embedder.tokens(["a queue"]), set()).score == 0.0


def test_the_words_not_said_are_named(embedder: Embedder) -> None:
    reference = embedder.tokens(["A hash function maps the key to an index in the array."])
    answer = embedder.tokens(["It runs the key through a hash function to get an index."])
    alignment = align(reference, answer, asked_words("What does a hash table use?"))
    assert "array" in alignment.unmatched
    assert "function" not in alignment.unmatched and "index" not in alignment.unmatched


def test_a_paraphrase_with_few_shared_words_is_graded_above_a_wrong_topic() -> None:
    """The gap the alignment closes: "first element added is the first taken out" shares
    almost no words with "first-in, first-out", yet says it."""
    grader = EmbeddedGrader()
    said = grader.grade(GradingTask.reference_only(
        QUESTION, REFERENCE, "a queue is a list where the first element added is the first "
                             "one taken out."))
    other = grader.grade(GradingTask.reference_only(
        QUESTION, REFERENCE, "a queue is a kind of loop that repeats until a condition is "
                             "false."))
    assert said.score >= other.score + 1.0, (said.score, other.score)
    note = next(n for n in said.notes if n.startswith("Half of this grade"))
    assert "arrived" in note and "first" not in note.split("close to:")[1]
    # A gated answer's note is the gate's reason alone.
    gated = EmbeddedGrader().grade(GradingTask.reference_only(QUESTION, REFERENCE, "I don't know."))
    assert gated.score == 1.0 and not any(n.startswith("Half of") for n in gated.notes), gated
