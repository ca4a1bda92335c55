"""The interview engine: a state machine over a case, free of I/O.

The CLI and the web app drive the same engine: they ask for the current step, submit the
candidate's answer, hand back the grade, and the engine decides what comes next (a follow-up
aimed at the gap, the next question, or the end). A stored session is resumed by replaying
its answers and grades, so the engine never needs to know where they were kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from statistics import mean
from typing import Literal

from casecoach.cases.schema import Case, Competency, Question
from casecoach.grading.grade import Grade
from casecoach.session.mode import Mode

Kind = Literal["answer", "follow_up"]
Replayed = Literal["answer", "follow_up", "skip"]  # what a stored history row can be




class InterviewError(Exception):
    """The engine was asked to do something its state does not allow."""


@dataclass(frozen=True)
class Step:
    """What the candidate is asked now."""

    question: Question
    kind: Kind
    prompt: str
    number: int  # 1-based position of the question in this interview
    total: int


@dataclass
class Turn:
    """One submitted answer and, once graded, its grade."""

    step: Step
    answer: str
    grade: Grade | None = None

    @property
    def graded(self) -> bool:
        return self.grade is not None


@dataclass(frozen=True)
class CompetencyResult:
    competency: Competency
    score: float
    questions: int
    follow_up_score: float | None = None


@dataclass(frozen=True)
class Summary:
    """The end-of-session view: per competency, overall, and what to practise next."""

    results: list[CompetencyResult]
    overall: float | None
    weakest: Competency | None
    next_steps: list[str] = field(default_factory=list)
    unanswered: int = 0


def parse_focus(focus: str | Iterable[str] | None) -> list[Competency]:
    """`research-design,storytelling` to competencies, with a clear error for unknown ones."""
    if focus is None:
        return []
    items = focus.split(",") if isinstance(focus, str) else list(focus)
    out: list[Competency] = []
    valid = ", ".join(c.value for c in Competency)
    for item in (i.strip() for i in items):
        if not item:
            continue
        try:
            out.append(Competency(item))
        except ValueError:
            raise ValueError(f"unknown competency {item!r}; valid: {valid}") from None
    return out


class Interview:
    """One run through a case: the questions in order, a follow-up where the answer had a gap."""

    def __init__(
        self,
        case: Case,
        mode: Mode | str = Mode.practice,
        focus: Sequence[Competency | str] | None = None,
        follow_ups: bool = True,
    ) -> None:
        self.case = case
        self.mode = Mode(mode)
        self.focus = [Competency(f) for f in focus or []]
        self.questions = [q for q in case.questions if not self.focus or q.competency in self.focus]
        if not self.questions:
            wanted = ", ".join(f.value for f in self.focus)
            have = ", ".join(c.value for c in case.competencies)
            raise InterviewError(
                f"case {case.id!r} has no question for {wanted}; it covers: {have}"
            )
        self.follow_ups = follow_ups and self.mode is Mode.practice
        self.turns: list[Turn] = []
        self._index = 0  # the question being asked
        self._pending_follow_up: str | None = None

    # -- state ---------------------------------------------------------------------------------

    @property
    def awaiting_grade(self) -> Turn | None:
        """The last submitted answer, if it still waits for its grade."""
        if self.turns and not self.turns[-1].graded:
            return self.turns[-1]
        return None

    @property
    def finished(self) -> bool:
        return self._index >= len(self.questions) and self.awaiting_grade is None

    @property
    def current(self) -> Step | None:
        """The step to show now, or None when waiting for a grade or finished."""
        if self.awaiting_grade is not None or self._index >= len(self.questions):
            return None
        question = self.questions[self._index]
        if self._pending_follow_up is not None:
            return Step(question, "follow_up", self._pending_follow_up, self._index + 1,
                        len(self.questions))
        return Step(question, "answer", question.prompt, self._index + 1, len(self.questions))

    # -- transitions ---------------------------------------------------------------------------

    def submit(self, answer: str) -> Turn:
        """Record the candidate's answer to the current step; it then waits for its grade."""
        step = self.current
        if step is None:
            raise InterviewError("there is no question to answer right now")
        if not answer or not answer.strip():
            raise InterviewError("an empty answer cannot be submitted")
        turn = Turn(step=step, answer=answer)
        self.turns.append(turn)
        return turn

    def grading_text(self, turn: Turn) -> str:
        """What to grade: a follow-up is graded together with the answer it completes."""
        if turn.step.kind == "follow_up":
            original = self._answer_turn(turn.step.question.id)
            if original is not None:
                return f"{original.answer}\n\n{turn.answer}"
        return turn.answer

    def record_grade(self, grade: Grade) -> None:
        """Attach the grade to the waiting answer and move on."""
        turn = self.awaiting_grade
        if turn is None:
            raise InterviewError("no answer is waiting for a grade")
        turn.grade = grade
        if turn.step.kind == "answer" and self.follow_ups and grade.follow_up:
            self._pending_follow_up = grade.follow_up
        else:
            self._advance()

    def skip(self) -> None:
        """Skip the current follow-up (or, outside a follow-up, the question)."""
        if self.awaiting_grade is not None:
            raise InterviewError("the last answer is still waiting for its grade")
        if self._index >= len(self.questions):
            raise InterviewError("the interview is over")
        self._advance()

    def _advance(self) -> None:
        self._pending_follow_up = None
        self._index += 1

    def _answer_turn(self, question_id: str) -> Turn | None:
        for turn in self.turns:
            if turn.step.question.id == question_id and turn.step.kind == "answer":
                return turn
        return None

    # -- resume ----------------------------------------------------------------------------------

    @classmethod
    def restore(
        cls,
        case: Case,
        mode: Mode | str,
        focus: Sequence[Competency | str] | None,
        history: Iterable[tuple[str, Replayed, str, str, Grade | None]],
    ) -> Interview:
        """Rebuild an interview from stored (question id, kind, prompt, answer, grade) rows.

        Rows of kind "skip" replay a skip of that question's current step (the question or
        its follow-up). A follow-up that was asked but neither answered nor skipped is asked
        again; so is a question whose answer was submitted but whose grade was lost (it waits
        for its grade).
        """
        interview = cls(case, mode, focus)
        for question_id, kind, prompt, answer, grade in history:
            step = interview.current
            # Questions skipped before skips were stored: move forward to the stored one.
            while step is not None and step.question.id != question_id:
                interview.skip()
                step = interview.current
            if step is None:
                raise InterviewError(f"stored answer for {question_id!r} does not fit this case")
            if kind == "skip":
                interview.skip()
                continue
            if step.kind != kind:
                if kind == "answer":
                    raise InterviewError(f"stored answers for {question_id!r} are out of order")
                # A follow-up asked by another grader or setting: ask the stored prompt.
                interview._pending_follow_up = prompt
            interview.submit(answer)
            if grade is not None:
                interview.record_grade(grade)
        return interview

    # -- results ---------------------------------------------------------------------------------

    def summary(self) -> Summary:
        by_competency: dict[Competency, list[float]] = {}
        follow_ups: dict[Competency, list[float]] = {}
        answered: set[str] = set()
        for turn in self.turns:
            if turn.grade is None:
                continue
            competency = turn.step.question.competency
            target = by_competency if turn.step.kind == "answer" else follow_ups
            target.setdefault(competency, []).append(turn.grade.score)
            answered.add(turn.step.question.id)
        results = [
            CompetencyResult(
                competency=c,
                score=round(mean(scores), 2),
                questions=len(scores),
                follow_up_score=round(mean(follow_ups[c]), 2) if c in follow_ups else None,
            )
            for c, scores in by_competency.items()
        ]
        overall = round(mean(r.score for r in results), 2) if results else None
        weakest = min(results, key=lambda r: r.score).competency if results else None
        next_steps: list[str] = []
        if weakest is not None:
            missed = self._missed_hints(weakest)
            next_steps.append(f"Practise {weakest.label.lower()} next.")
            next_steps.extend(missed[:3])
        return Summary(
            results=results,
            overall=overall,
            weakest=weakest,
            next_steps=next_steps,
            unanswered=len([q for q in self.questions if q.id not in answered]),
        )

    def _missed_hints(self, competency: Competency) -> list[str]:
        hints: list[str] = []
        for turn in self.turns:
            if turn.grade is None or turn.step.kind != "answer":
                continue
            if turn.step.question.competency != competency:
                continue
            for result in sorted(turn.grade.criteria, key=lambda r: -r.weight):
                if result.status != "met" and result.hint and result.hint not in hints:
                    hints.append(result.hint)
        return hints
