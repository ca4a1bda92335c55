"""A practice session: the interview engine bound to the store and a grader.

This is where the promise "never lose an answer" is kept: an answer is written to the store
the moment it is submitted, and only then graded. The CLI and the web app both drive
interviews through this class, so they behave the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from casecoach.cases.loader import CaseLibrary
from casecoach.cases.schema import Case, Competency
from casecoach.grading.grade import Grade
from casecoach.grading.protocol import Grader, GradingTask
from casecoach.session.engine import Interview, Mode, Turn
from casecoach.store import SessionView, Store


class NothingToResume(LookupError):
    pass


@dataclass
class PracticeSession:
    store: Store
    interview: Interview
    session_id: str
    grader: Grader
    attempt_ids: list[int] = field(default_factory=list)  # stored answers, in order
    skip_ids: list[int] = field(default_factory=list)  # stored skips, in order

    @classmethod
    def start(
        cls,
        store: Store,
        case: Case,
        grader: Grader,
        mode: Mode | str = Mode.practice,
        focus: Sequence[Competency] = (),
        follow_ups: bool = True,
    ) -> PracticeSession:
        interview = Interview(case, mode, focus, follow_ups)
        session_id = store.create_session(
            case_id=case.id,
            mode=interview.mode.value,
            focus=[f.value for f in interview.focus],
            grader=grader.name,
        )
        return cls(store, interview, session_id, grader)

    @classmethod
    def resume(
        cls, store: Store, library: CaseLibrary, grader: Grader, ref: str | None = None
    ) -> PracticeSession:
        """Continue a stored session (the latest unfinished one when no id is given)."""
        view: SessionView | None = store.get_session(ref) if ref else store.latest_unfinished()
        if view is None:
            raise NothingToResume("there is no unfinished session to resume")
        if view.status == "finished":
            raise NothingToResume(f"session {view.id[:8]} is already finished")
        case = library.get(view.case_id)
        history = [(a.question_id, a.kind, a.prompt, a.answer, a.grade) for a in view.steps()]
        interview = Interview.restore(case, view.mode, view.focus, history)  # type: ignore[arg-type]
        return cls(
            store, interview, view.id, grader,
            [a.id for a in view.attempts], [s.id for s in view.skips],
        )

    def check(self, answer: str) -> None:
        """Raise `CannotGrade` for an answer that should not even be stored (empty, too long)."""
        step = self.interview.current
        if step is not None:
            GradingTask(question=step.question, answer=answer, case=self.interview.case).check()

    def submit(self, answer: str) -> Turn:
        """Store the answer first, then hand it to the engine."""
        self.check(answer)
        step = self.interview.current
        if step is None:
            raise RuntimeError("there is no question to answer right now")
        attempt_id = self.store.add_attempt(
            self.session_id,
            question_id=step.question.id,
            competency=step.question.competency.value,
            kind=step.kind,
            prompt=step.prompt,
            answer=answer,
        )
        turn = self.interview.submit(answer)
        self.attempt_ids.append(attempt_id)
        return turn

    def grade_pending(self) -> tuple[Turn, Grade] | None:
        """Grade the answer that waits for its grade, store the grade, and move on."""
        turn = self.interview.awaiting_grade
        if turn is None:
            return None
        task = GradingTask(
            question=turn.step.question,
            answer=self.interview.grading_text(turn),
            case=self.interview.case,
        )
        grade = self.grader.grade(task)
        self.store.save_grade(self.attempt_ids[len(self.interview.turns) - 1], grade)
        self.interview.record_grade(grade)
        return turn, grade

    def skip(self) -> None:
        """Store the skip first (so `resume` does not ask the step again), then move on."""
        step = self.interview.current
        if step is None:
            self.interview.skip()  # raises the engine's own error: over, or awaiting a grade
            return
        skip_id = self.store.add_skip(
            self.session_id,
            question_id=step.question.id,
            competency=step.question.competency.value,
            prompt=step.prompt,
        )
        self.interview.skip()
        self.skip_ids.append(skip_id)

    def finish(self) -> None:
        self.store.finish_session(self.session_id)
