"""The grader contract, on the real model: same input same grade, quotes from the answer,
junk refused credit, mistakes caught unless rejected, and a clear refusal for no answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from casecoach.cases.loader import CaseLibrary
from casecoach.cases.schema import Case
from casecoach.grading import CannotGrade, Grader, GradingTask, UnknownGrader, get_grader
from casecoach.grading.grade import Grade
from casecoach.grading.text import normalize

CASE: Case = CaseLibrary.load().get("community-insights")


@pytest.fixture(scope="module")
def grader() -> Grader:
    return get_grader("embedded")


def task(question_id: str, answer: str) -> GradingTask:
    return GradingTask(question=CASE.question(question_id), answer=answer, case=CASE)


def test_registry(grader: Grader) -> None:
    assert isinstance(grader, Grader)
    assert get_grader("embedded") is grader
    with pytest.raises(UnknownGrader, match="available: embedded"):
        get_grader("nope")


def test_same_answer_same_grade(grader: Grader) -> None:
    answer = CASE.question("research-design").ideal_answer
    first = grader.grade(task("research-design", answer))
    second = grader.grade(task("research-design", answer))
    assert first == second


@pytest.mark.parametrize("question", [q.id for q in CASE.questions])
def test_ideal_answers_grade_senior(grader: Grader, question: str) -> None:
    grade = grader.grade(task(question, CASE.question(question).ideal_answer))
    assert grade.score >= 4.5, (grade.score, grade.notes, grade.red_flags)
    assert grade.red_flags == []


def test_credit_comes_with_a_quote_from_the_answer(grader: Grader) -> None:
    answer = ("I'd randomize whole groups, so every admin of a group gets the same arm, "
              "because admins share groups and members see what admins do.\n"
              "Primary outcome: 90-day admin retention; I'd run it for the full 13 weeks.")
    grade = grader.grade(task("research-design", answer))
    earned = [c for c in grade.criteria if c.status != "missed"]
    assert earned, grade
    for result in earned:
        assert result.quote and normalize(result.quote) in " ".join(normalize(answer).split())
    assert all(c.quote is None for c in grade.criteria if c.status == "missed")
    assert grade.grader == "embedded" and grade.grader_version


def test_generic_answer_grades_low(grader: Grader) -> None:
    answer = ("I would define hypotheses and design a robust study with a treatment and a "
              "control group, follow best practices, and share insights with stakeholders so "
              "we can make data-driven decisions.")
    assert grader.grade(task("research-design", answer)).score <= 2.5


def test_adopter_comparison_is_a_red_flag(grader: Grader) -> None:
    answer = ("Launch the tool to everyone, then compare admins who chose to use Community "
              "Insights with admins who never opened it. The difference in retention and group "
              "activity between adopters and non-adopters is the causal effect of the tool.")
    grade = grader.grade(task("research-design", answer))
    assert grade.red_flags, grade
    assert grade.score <= 2.5
    assert any("mistake" in note for note in grade.notes)


def test_a_sentence_that_makes_the_mistake_is_not_praised(grader: Grader) -> None:
    """The sentence a serious red flag quotes earns no criterion, even one it sounds close to;
    the grade is the cap either way."""
    case = CaseLibrary.load().get("assistant-dau-drop")
    mistake = ("The pre-launch A/B already answered the model question: DAU moved -0.6% with "
               "a CI of -1.9% to +0.7%, so the new model isn't what's behind the drop.")
    answer = mistake + (
        " I'd focus on Diwali: India fell 20% and dipped 9% in last year's Diwali week, so "
        "compare this year's holiday weeks with last year's by country, and use the countries "
        "without the holiday as a control for the seasonal part."
    )
    grade = grader.grade(GradingTask(question=case.question("research-design"), answer=answer,
                                     case=case))
    assert any(mistake in f.quote for f in grade.red_flags if f.penalty >= 1.0)
    assert grade.score <= 2.5
    praised = [c.quote for c in grade.criteria if c.status != "missed"]
    assert praised, "the rest of the answer still earns its criteria"
    assert not any(quote and mistake in quote for quote in praised)


def test_sentences_that_only_promise_rigour_earn_nothing(grader: Grader) -> None:
    """"A robust, holistic framework" names the points without making them: such a sentence
    earns no criterion, while the same answer said plainly does."""
    vague_answer = (
        "We'd leverage a robust, holistic experimentation framework for Community Insights, "
        "with randomization handled thoughtfully at the right level. Power and duration would "
        "follow industry-standard best practices, and guardrails would keep us data-driven."
    )
    grade = grader.grade(task("research-design", vague_answer))
    assert all(c.status == "missed" for c in grade.criteria), grade.criteria
    assert grade.score <= 1.5
    assert any("only promise rigour" in note for note in grade.notes), grade.notes


def test_no_ideal_sentence_reads_as_vague() -> None:
    """The filler rule must not take credit from the answers the rubrics are written from."""
    from casecoach.grading.text import split_units, vague

    flagged = [u for case in CaseLibrary.load() for q in case.questions
               for u in split_units(q.ideal_answer) if vague(u)]
    assert flagged == []


def test_rejecting_the_mistake_is_not_a_red_flag(grader: Grader) -> None:
    answer = ("I would not compare admins who adopted the tool with those who didn't, because "
              "motivated admins adopt first and that comparison is biased.")
    flagged = {f.id for f in grader.grade(task("research-design", answer)).red_flags}
    assert "adopter-comparison" not in flagged


def test_an_answer_without_the_cases_numbers_is_at_most_weak(grader: Grader) -> None:
    vague = ("I'd randomize groups rather than admins so co-admins share an arm, analyze by "
             "assignment because adoption is opt-in, run long enough to see retention, check "
             "that the arms are balanced and pre-register the metrics and the decision rule.")
    grade = grader.grade(task("research-design", vague))
    assert grade.score <= 2.5 and any("numbers" in n for n in grade.notes), grade
    specific = vague.replace("run long enough", "run the full 13 weeks, 80,000 groups per arm,")
    grade = grader.grade(task("research-design", specific))
    assert not any("numbers" in n for n in grade.notes), grade


def test_not_answers_get_no_credit(grader: Grader) -> None:
    cases = {
        "term list": "RCT, A/B test, cluster randomization, ITT, CUPED, power, MDE, SRM, "
                     "novelty effect, guardrails, heterogeneity, pre-registration",
        "don't know": "Honestly I'm not sure how I would set this up. Can we move on?",
        "hedged": "Not really sure what the right study is here; experiments aren't really my "
                  "area. I'd probably ask someone on the team who has done this before.",
        "restated": CASE.question("research-design").prompt,
        "off topic": "For a coffee chain's loyalty program I would pilot it in 40 stores and "
                     "compare visit frequency and basket size against 40 matched stores over "
                     "eight weeks, watching for baristas promoting it in control stores.",
        "other question": CASE.question("data-visualization").ideal_answer,
    }
    for name, answer in cases.items():
        grade = grader.grade(task("research-design", answer))
        assert grade.score <= 1.5, (name, grade.score, grade.notes)
        assert grade.notes, name


@pytest.mark.parametrize("answer", ["", "   \n\t ", "x" * 20_001])
def test_cannot_grade_says_why(grader: Grader, answer: str) -> None:
    with pytest.raises(CannotGrade):
        grader.grade(task("research-design", answer))


def test_follow_up_aims_at_the_heaviest_gap(grader: Grader) -> None:
    grade = grader.grade(task("research-design", "I would run an A/B test on admins."))
    assert grade.follow_up
    probes = [f.prompt for f in CASE.question("research-design").follow_ups]
    assert grade.follow_up in probes


def test_reference_only_question(grader: Grader) -> None:
    question = "Daily active users of our assistant fell 10% this week. What do you check first?"
    reference = ("First rule out a logging or data pipeline change, since a broken event looks "
                 "like a real drop. Then segment the drop by platform, app version, country and "
                 "user tenure to see where it is concentrated. Check for external events such "
                 "as holidays or outages, and for recent launches or experiments that overlap "
                 "the drop. Finally confirm the cause with a rollback or holdout.")
    paraphrase = ("I'd start by making sure it isn't an instrumentation bug — a logging change "
                  "can fake a drop. Next I'd cut the decline by platform, app version, country "
                  "and tenure to find where it sits. I'd look for outside events like holidays "
                  "or outages and for launches or experiments running at the same time. To "
                  "confirm, I'd roll the suspect change back for a holdout.")
    unrelated = ("To pick a chart for a board meeting I'd use bars with confidence intervals "
                 "and a clear title that states the takeaway.")
    good = grader.grade(GradingTask.reference_only(question, reference, paraphrase))
    bad = grader.grade(GradingTask.reference_only(question, reference, unrelated))
    assert good.score >= 4.0, good
    assert bad.score <= 1.5, bad
    assert good.criteria and all(c.id.startswith("point-") for c in good.criteria)


def gate_notes(grade: Grade) -> list[str]:
    """Notes other than the word-alignment one every reference-only grade carries."""
    return [n for n in grade.notes if not n.startswith("Half of this grade")]


SHORT_QUESTION = "What does a hash table use to find the slot for a key?"
SHORT_REFERENCE = "A hash function maps the key to an index in the underlying array."


@pytest.mark.parametrize(
    ("answer", "low", "high"),
    [
        ("It runs the key through a hash function, which gives the array position of the value.",
         3.5, 5.0),
        ("I'm not sure I follow, but I think it hashes the key to get an index into the array.",
         3.0, 5.0),
        ("It scans the stored keys one by one from the start until it finds a match.", 1.0, 2.5),
    ],
)
def test_short_reference_answers(grader: Grader, answer: str, low: float, high: float) -> None:
    """One-line references: right answers in other words score well, a hedge that still
    answers is not "does not attempt", a wrong mechanism scores low."""
    grade = grader.grade(GradingTask.reference_only(SHORT_QUESTION, SHORT_REFERENCE, answer))
    assert low <= grade.score <= high, grade


def test_a_definition_is_not_a_restated_question(grader: Grader) -> None:
    grade = grader.grade(GradingTask.reference_only(
        "What is a queue?",
        "A first-in, first-out collection: items leave in the order they arrived.",
        "a queue is a list where the first element added is the first one taken out.",
    ))
    # Not gated as a restatement (its score is in tests/test_alignment.py).
    assert not gate_notes(grade) and grade.score > 1.5, grade


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        (
            "goals-metrics",
            "Which goals and metrics should define success for Community Insights, what targets "
            "would I pick, and how would I convince product and leadership? I'd pick sensible "
            "goals and metrics for the tool, choose targets that make sense, and explain my "
            "reasoning convincingly to the product and leadership teams.",
        ),
        (
            "analytical-design",
            "Now that the test has run its full thirteen weeks, I need to decide which analyses "
            "to run on the data. I would run the right analyses on the experiment data and make "
            "sure that the results are statistically robust, checking robustness carefully.",
        ),
    ],
)
def test_a_question_restated_in_other_words_earns_nothing(
    grader: Grader, question: str, answer: str
) -> None:
    grade = grader.grade(task(question, answer))
    assert grade.score <= 1.5
    assert all(c.status == "missed" for c in grade.criteria)


def test_an_answer_wrapped_in_the_questions_words_is_graded(grader: Grader) -> None:
    """Reference-only: the one new word is the answer, the rest repeats the question."""
    grade = grader.grade(GradingTask.reference_only(
        "Which stack operation corresponds to enqueue in a queue?",
        "Push.",
        "The stack operation that corresponds to enqueue in a queue is the push operation.",
    ))
    assert not gate_notes(grade) and grade.score >= 3.0, grade


def test_case_vectors_are_cached_on_disk(tmp_path: Path) -> None:
    from casecoach.grading.embedded import EmbeddedGrader

    answer = "Randomize whole groups and run the test for 13 weeks."
    first = EmbeddedGrader(cache_dir=tmp_path)
    grade = first.grade(task("research-design", answer))
    files = list(tmp_path.glob("community-insights-*.npz"))
    assert len(files) == 1
    second = EmbeddedGrader(cache_dir=tmp_path)  # a new process would start like this
    assert second.grade(task("research-design", answer)) == grade
    files[0].write_bytes(b"not a vector file")  # a damaged cache is rebuilt, not trusted
    assert EmbeddedGrader(cache_dir=tmp_path).grade(task("research-design", answer)) == grade
