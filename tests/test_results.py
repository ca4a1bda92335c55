"""Results a case states with intervals, and answers that misread them."""

from __future__ import annotations

import pytest

from casecoach.cases.loader import CaseLibrary
from casecoach.grading.embedded import EmbeddedGrader
from casecoach.grading.protocol import GradingTask
from casecoach.grading.results import case_results, misread_results, stated_results
from casecoach.grading.text import split_units
from tests.conftest import is_right, is_wrong, labelled_claims

READOUT = (
    "Results are in. Sell-through rose +2.5% relative (32.0% to 32.8%, 95% CI +1.4% to "
    "+3.6%). Realized prices fell 3% (CI -4.5% to -1.5%). Buyer messages per active buyer "
    "rose +1% (CI -1% to +3%). Messages sent: -0.1% (95% CI -0.3% to +0.1%). How do you "
    "present this?"
)


def _by_metric(word: str):
    (found,) = [r for r in stated_results(READOUT) if word in r.metric]
    return found


def test_stated_results_read_estimate_interval_and_metric() -> None:
    results = stated_results(READOUT)
    assert len(results) == 4
    sell = _by_metric("sell-through")
    assert (sell.estimate, sell.low, sell.high, sell.significant) == (2.5, 1.4, 3.6, True)
    prices = _by_metric("pric")
    assert prices.significant and prices.estimate < 0  # "fell 3%": the interval's direction
    buyers = _by_metric("buyer")
    assert buyers.null and buyers.figures == ("1",)
    sent = _by_metric("sent")  # named before a colon
    assert sent.null and sent.estimate == -0.1


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("Weekly retention rose +0.4 points (95% CI: [-0.2, 1.0]).", -0.2, 1.0),
        ("Weekly retention rose +0.4 points ± 0.6 points.", -0.2, 1.0),
        ("Weekly retention: +0.4 points, confidence interval -0.2 to +1.0.", -0.2, 1.0),
    ],
)
def test_other_ways_of_writing_an_interval(text: str, low: float, high: float) -> None:
    (result,) = stated_results(text)
    assert (result.low, result.high) == pytest.approx((low, high))
    assert result.null and result.estimate == 0.4 and "retention" in result.metric


def _misreads(answer: str) -> list[tuple[str, float]]:
    return [(m.id, m.penalty) for m in misread_results(split_units(answer),
                                                          stated_results(READOUT))]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Buyers engage more too: messages per active buyer up 1%, another win.",
         [("null-result-claimed", 1.0)]),
        ("Buyer messages per active buyer rose 1%.", [("null-result-claimed", 0.5)]),
        ("Messages sent fell 0.1%, so the change hurts messaging.",
         [("null-result-claimed", 1.0)]),
        ("The 3% drop in prices is just noise.", [("significant-result-dismissed", 1.0)]),
        ("Messages sent: -0.1%, so the new composer has no effect on messaging.",
         [("null-read-as-no-effect", 1.0)]),
        ("Messages sent moved -0.1% (CI -0.3% to +0.1%), so the composer isn't what's "
         "behind the complaints.", [("null-read-as-no-effect", 1.0)]),
    ],
)
def test_misreads_are_found(answer: str, expected: list[tuple[str, float]]) -> None:
    assert _misreads(answer) == expected


@pytest.mark.parametrize(
    "answer",
    [
        "Buyer messages rose 1%, but the interval runs from -1% to +3%, so we can't say.",
        "Buyer messages per buyer rose 1%. That is within noise: the CI includes zero.",
        "Messages sent fell 0.1% (-0.3% to +0.1%), inside our margin.",
        "The 3% drop in prices is not noise; it is a real cost to sellers.",
        "Prices fell 3%, so revenue per listing was flat.",
        "Sell-through +2.5% here versus not significant in the old test.",
        "We will track 1% of buyers who message sellers in week 1.",
        "Messages sent moved -0.1%, which rules out a loss beyond 0.3% but not a small one.",
        "Messages sent: -0.1%, so no effect we could detect; a small loss is still possible.",
        "Messages sent fell 0.1%, which doesn't mean the composer has no effect on messaging.",
        "Messages sent: -0.1%. It could still be a 0.3% loss, so the composer isn't cleared.",
    ],
)
def test_honest_readings_are_spared(answer: str) -> None:
    assert _misreads(answer) == []


LIBRARY = CaseLibrary.load()


def test_built_in_cases_state_results_with_intervals() -> None:
    stated = {case.id: case_results(case) for case in LIBRARY}
    assert sum(len(r) for r in stated.values()) >= 30
    assert all(r.metric and r.figures for rs in stated.values() for r in rs)


def test_no_misread_in_ideal_answers_or_correct_claims() -> None:
    false: list[str] = []
    for case in LIBRARY:
        results = case_results(case)
        texts = [q.ideal_answer for q in case.questions]
        texts += [c["text"] for c in labelled_claims() if c["case"] == case.id and is_right(c)]
        for text in texts:
            false += [m.quote for m in misread_results(split_units(text), results)]
    assert false == []


def test_misread_claims_are_found_in_the_labelled_mistakes() -> None:
    """Claims labelled as a misread point ("retention rose 0.3 points, so it helps") are
    found: at least 10 of them across the built-in cases."""
    caught = 0
    for case in LIBRARY:
        results = case_results(case)
        caught += sum(bool(misread_results(split_units(c["text"]), results))
                      for c in labelled_claims() if c["case"] == case.id and is_wrong(c))
    assert caught >= 10


def test_grader_reports_a_misread_with_its_quote() -> None:
    case = LIBRARY.get("marketplace-price-suggestions")
    question = next(q for q in case.questions if q.id == "storytelling")
    answer = question.ideal_answer + (
        "\n\nAnd on revenue: seller revenue per listing moved down 0.6%, which proves the "
        "suggestions hurt sellers."
    )
    grade = EmbeddedGrader().grade(GradingTask(question=question, answer=answer, case=case))
    hits = [f for f in grade.red_flags if f.id == "null-result-claimed"]
    assert hits and "0.6%" in hits[0].quote
    assert grade.score <= 2.5


def test_a_flag_found_by_its_detector_and_by_the_results_is_reported_once() -> None:
    """One mistake, two ways of finding it (the wording detector the flag names, and the
    case's stated result read as no effect): one red flag, one penalty."""
    import numpy as np

    from casecoach.grading.embedded import Flag, _method_mistakes, _Units

    flag = Flag("null-as-proof", "Reads the null test as proof of no effect.", 1.0,
                ("The test was flat, so the composer has no effect.",),
                detector="null-read-as-no-effect")
    texts = ("The test wasn't significant, so the composer has no effect on messaging.",
             "Messages sent: -0.1%, so the composer isn't what's behind the complaints.")
    units = _Units(texts=texts, vectors=np.zeros((2, 384)), void=np.zeros(2, dtype=bool))
    hits = _method_mistakes(units, [flag], [], stated_results(READOUT))
    assert [h.id for h in hits] == ["null-as-proof"]
    assert hits[0].quote.startswith(texts[0])
