"""The interview engine is pure logic: these tests need no store, no model, no terminal."""

from __future__ import annotations

import pytest

from casecoach.cases.schema import Case, Competency
from casecoach.grading.grade import CriterionResult, Grade
from casecoach.session.engine import Interview, InterviewError, Mode, parse_focus


def make_grade(score: float, follow_up: str | None = None) -> Grade:
    return Grade(
        score=score,
        level="x",
        criteria=[CriterionResult(id="duration", description="Sets a duration", weight=1,
                                  status="missed", hint="Say how long it runs.")],
        follow_up=follow_up,
        grader="test",
        grader_version="0",
    )


def test_practice_asks_follow_up_then_moves_on(tiny_case: Case) -> None:
    interview = Interview(tiny_case, Mode.practice)
    step = interview.current
    assert step is not None and step.kind == "answer" and step.question.id == "design"
    assert (step.number, step.total) == (1, 2)
    interview.submit("We randomize.")
    assert interview.current is None and interview.awaiting_grade is not None
    interview.record_grade(make_grade(2.5, follow_up="How long would it run?"))
    step = interview.current
    assert step is not None and step.kind == "follow_up"
    assert step.prompt == "How long would it run?"
    turn = interview.submit("Four weeks.")
    assert interview.grading_text(turn) == "We randomize.\n\nFour weeks."
    interview.record_grade(make_grade(3.5))
    step = interview.current
    assert step is not None and step.question.id == "story" and step.kind == "answer"


def test_mock_mode_never_asks_follow_ups(tiny_case: Case) -> None:
    interview = Interview(tiny_case, Mode.mock)
    interview.submit("We randomize.")
    interview.record_grade(make_grade(2.0, follow_up="How long?"))
    step = interview.current
    assert step is not None and step.question.id == "story"
    interview.submit("Decision first.")
    interview.record_grade(make_grade(4.0))
    assert interview.finished


def test_focus_limits_questions(tiny_case: Case) -> None:
    interview = Interview(tiny_case, focus=[Competency.storytelling])
    assert [q.id for q in interview.questions] == ["story"]


def test_focus_without_matching_questions_is_an_error(tiny_case: Case) -> None:
    with pytest.raises(InterviewError, match="no question for goals-metrics"):
        Interview(tiny_case, focus=["goals-metrics"])


def test_parse_focus_names_valid_competencies() -> None:
    assert parse_focus("research-design, storytelling") == [
        Competency.research_design,
        Competency.storytelling,
    ]
    with pytest.raises(ValueError, match="valid: research-design"):
        parse_focus("research-desing")


def test_empty_answer_is_refused(tiny_case: Case) -> None:
    interview = Interview(tiny_case)
    with pytest.raises(InterviewError):
        interview.submit("   \n ")
    assert interview.turns == []


def test_cannot_submit_while_waiting_for_grade(tiny_case: Case) -> None:
    interview = Interview(tiny_case)
    interview.submit("We randomize.")
    with pytest.raises(InterviewError):
        interview.submit("again")
    with pytest.raises(InterviewError):
        interview.skip()


def test_skip_moves_to_next_question(tiny_case: Case) -> None:
    interview = Interview(tiny_case)
    interview.skip()
    step = interview.current
    assert step is not None and step.question.id == "story"
    interview.skip()
    assert interview.finished
    with pytest.raises(InterviewError):
        interview.skip()


def test_summary_per_competency_and_weakest(tiny_case: Case) -> None:
    interview = Interview(tiny_case)
    interview.submit("We randomize.")
    interview.record_grade(make_grade(2.0, follow_up="How long?"))
    interview.submit("Four weeks.")
    interview.record_grade(make_grade(3.0))
    interview.submit("Decision first.")
    interview.record_grade(make_grade(4.0))
    summary = interview.summary()
    by = {r.competency: r for r in summary.results}
    assert by[Competency.research_design].score == 2.0
    assert by[Competency.research_design].follow_up_score == 3.0
    assert by[Competency.storytelling].score == 4.0
    assert summary.overall == 3.0
    assert summary.weakest is Competency.research_design
    assert summary.next_steps[0] == "Practise research design next."
    assert "Say how long it runs." in summary.next_steps


def test_restore_replays_history_and_waits_for_lost_grade(tiny_case: Case) -> None:
    history = [
        ("design", "answer", "How would you test the feature?", "We randomize.",
         make_grade(2.0, follow_up="How long?")),
        ("design", "follow_up", "How long?", "Four weeks.", None),
    ]
    interview = Interview.restore(tiny_case, "practice", [], history)  # type: ignore[arg-type]
    pending = interview.awaiting_grade
    assert pending is not None and pending.answer == "Four weeks."
    assert pending.step.kind == "follow_up"
    interview.record_grade(make_grade(3.0))
    step = interview.current
    assert step is not None and step.question.id == "story"


def test_restore_after_skipped_question(tiny_case: Case) -> None:
    history = [("story", "answer", "How would you present it?", "Decision first.", None)]
    interview = Interview.restore(tiny_case, "mock", [], history)  # type: ignore[arg-type]
    assert interview.awaiting_grade is not None
    interview.record_grade(make_grade(4.0))
    assert interview.finished
    assert interview.summary().unanswered == 1


def test_restore_replays_a_stored_skip_of_a_follow_up(tiny_case: Case) -> None:
    history = [
        ("design", "answer", "How would you test the feature?", "We randomize.",
         make_grade(2.0, follow_up="How long?")),
        ("design", "skip", "How long?", "", None),
    ]
    interview = Interview.restore(tiny_case, "practice", [], history)  # type: ignore[arg-type]
    step = interview.current
    assert step is not None and (step.question.id, step.kind) == ("story", "answer")
