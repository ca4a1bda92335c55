"""What the pages and the JSON API do to an interview: the CLI's loop, one request at a time.

A live interview is a `PracticeSession`, used exactly as the CLI uses it: `submit` stores the
answer (committed before anything else happens), `grade_pending` grades it and stores the
grade, `skip` stores the skip and moves on, `finish` closes the session. The web keeps each
live session in memory (an LRU of `MAX_LIVE` sessions) to save rebuilding it per request; a
session that is not in memory, or whose stored answers or skips changed under it (a
`casecoach resume` in a terminal), is rebuilt from the store with `PracticeSession.resume`,
as the CLI would.

Requests on one session take turns on a lock, so a double click cannot store an answer twice:
each form carries the key of the step it answers, and a stale key is refused.
"""

from __future__ import annotations

import json
import os
import re
import threading
import zlib
from collections import OrderedDict, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from casecoach.batch import grade_row, read_rows
from casecoach.cases.loader import CaseLibrary, UnknownCase
from casecoach.cases.schema import Case, Competency, Question
from casecoach.grading.grade import CannotGrade, Grade
from casecoach.grading.protocol import MAX_ANSWER_CHARS, Grader
from casecoach.practice import PracticeSession
from casecoach.session.engine import Interview, InterviewError, Mode, Step, Summary, Turn
from casecoach.store import (
    AttemptView,
    GradeRow,
    SessionNotFound,
    SessionView,
    StepAlreadyStored,
    Store,
)

SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
LOCK_STRIPES = 64
MAX_LIVE = 2048
GRADING_SLOTS_ENV = "CASECOACH_WEB_GRADING_SLOTS"


class NotFound(LookupError):
    """A session, attempt or case that does not exist (a 404, never a traceback)."""


class Conflict(Exception):
    """The request does not fit the session's state (a stale form, a finished session)."""


STALE = (
    "this answer is for a step that is no longer current (it was already submitted or "
    "skipped, maybe in another tab)"
)


class AnswerRefused(Exception):
    """An answer that is not stored: empty, no words, or too long. `too_long` maps to 413."""

    def __init__(self, message: str, *, too_long: bool = False) -> None:
        super().__init__(message)
        self.too_long = too_long


class GradingFailed(Exception):
    """The answer is stored but the grader failed; the next visit grades it again."""


def step_key(step: Step) -> str:
    """Names a step within its session: each question is asked once, its follow-up once."""
    return f"{step.question.id}:{step.kind}"


def attempt_key(attempt: AttemptView) -> str:
    return f"{attempt.question_id}:{attempt.kind}"


@dataclass(frozen=True)
class SessionState:
    """A snapshot of one session: as stored, plus what the engine says (taken under the lock)."""

    view: SessionView
    case: Case
    questions: list[Question]
    current: Step | None
    summary: Summary

    @property
    def id(self) -> str:
        return self.view.id

    @property
    def mode(self) -> Mode:
        return Mode(self.view.mode)

    @property
    def finished(self) -> bool:
        return self.view.status == "finished"

    @property
    def feedback_visible(self) -> bool:
        """Practice mode shows feedback at once; mock mode only once the session is over."""
        return self.mode is Mode.practice or self.finished

    def attempt(self, attempt_id: int) -> AttemptView:
        for attempt in self.view.attempts:
            if attempt.id == attempt_id:
                return attempt
        raise NotFound(f"session {self.id[:8]} has no attempt {attempt_id}")

    def answer_attempt(self, question_id: str) -> AttemptView | None:
        for attempt in self.view.attempts:
            if attempt.question_id == question_id and attempt.kind == "answer":
                return attempt
        return None

    def follow_up_attempt(self, question_id: str) -> AttemptView | None:
        for attempt in self.view.attempts:
            if attempt.question_id == question_id and attempt.kind == "follow_up":
                return attempt
        return None


@dataclass(frozen=True)
class Submitted:
    """What `submit` did: the stored attempt, its grade, and the session afterwards."""

    attempt_id: int
    turn: Turn
    grade: Grade | None
    state: SessionState


def grading_slots() -> int:
    """How many answers to grade at once: `CASECOACH_WEB_GRADING_SLOTS`, else cores / 2 (>= 2).

    Each grading runs onnxruntime on two threads; on 2 cores two at a time measured best.
    """
    try:
        configured = int(os.environ.get(GRADING_SLOTS_ENV, ""))
    except ValueError:
        configured = 0
    return configured if configured > 0 else max(2, (os.cpu_count() or 2) // 2)


def _no_words(answer: str) -> bool:
    return not any(ch.isalnum() for ch in answer)


class Interviews:
    """The store, the case library and the grader, shared by every request of one process.

    Store (a SQLAlchemy engine with a pool; one ORM session per call) and the embedded grader
    (onnxruntime sessions may run concurrently; the embedder's cache has a lock) are safe to
    share across threads. What is not is the read-modify-write of one interview, so each
    session id maps to one of `LOCK_STRIPES` locks, held for every read and write of it.
    """

    def __init__(self, store: Store, library: CaseLibrary, grader: Grader) -> None:
        self.store = store
        self.library = library
        self.grader = grader
        self._locks = tuple(threading.Lock() for _ in range(LOCK_STRIPES))
        self._live: OrderedDict[str, PracticeSession] = OrderedDict()
        self._live_lock = threading.Lock()
        # Grading is CPU work and onnxruntime already uses two threads per call: running one
        # or two at a time keeps the cheap requests (pages, new sessions) from queueing
        # behind dozens of gradings fighting over the cores.
        self._grading = threading.BoundedSemaphore(grading_slots())
        self._warm: set[str] = set()
        self._warm_locks: dict[str, threading.Lock] = defaultdict(threading.Lock)

    @contextmanager
    def locked(self, session_id: str) -> Iterator[None]:
        with self._locks[zlib.crc32(session_id.encode()) % LOCK_STRIPES]:
            yield

    # -- cases -------------------------------------------------------------------------------

    def case(self, case_id: str) -> Case:
        try:
            return self.library.get(case_id)
        except UnknownCase:
            raise NotFound(f"there is no case {case_id!r}") from None

    # -- live sessions (call with the session's lock held) -----------------------------------

    def _view(self, session_id: str) -> SessionView:
        if not SESSION_ID.match(session_id):
            raise NotFound(f"there is no session {session_id!r}")
        try:
            view = self.store.get_session(session_id)
        except (SessionNotFound, LookupError):
            raise NotFound(f"there is no session {session_id!r}") from None
        if view.id != session_id:  # the store also matches prefixes; the web wants the id
            raise NotFound(f"there is no session {session_id!r}")
        return view

    def _remember(self, session: PracticeSession) -> None:
        with self._live_lock:
            self._live[session.session_id] = session
            self._live.move_to_end(session.session_id)
            while len(self._live) > MAX_LIVE:
                self._live.popitem(last=False)

    def _forget(self, session_id: str) -> None:
        with self._live_lock:
            self._live.pop(session_id, None)

    def _live_session(self, view: SessionView) -> PracticeSession:
        """The session's engine: the one in memory, or rebuilt from the store as `resume` does."""
        with self._live_lock:
            session = self._live.get(view.id)
        if (
            session is not None
            and len(session.attempt_ids) == len(view.attempts)
            and len(session.skip_ids) == len(view.skips)
        ):
            self._remember(session)
            return session
        try:
            session = PracticeSession.resume(self.store, self.library, self.grader, view.id)
        except (UnknownCase, InterviewError) as exc:
            raise NotFound(str(exc)) from None
        except LookupError as exc:  # NothingToResume: finished meanwhile
            raise Conflict(str(exc.args[0]) if exc.args else str(exc)) from None
        self._remember(session)
        return session

    @contextmanager
    def _warming(self, case_id: str) -> Iterator[None]:
        """The first grade of a case runs alone; the others wait for it, then run at once.

        The grader loads (or, the first time on a machine, computes) the vectors of a case's
        rubric text on its first grade in that case. Fifty candidates starting the same case
        together would each compute them; this way one does and the rest reuse them.
        """
        if case_id in self._warm:
            yield
            return
        with self._live_lock:
            lock = self._warm_locks[case_id]
        with lock:
            yield
            self._warm.add(case_id)

    def _settle(self, session: PracticeSession) -> tuple[Turn, Grade] | None:
        """Grade what waits for a grade (as the CLI loop does) and finish when nothing is left."""
        try:
            with self._warming(session.interview.case.id), self._grading:
                result = session.grade_pending()
        except Exception as exc:
            raise GradingFailed(str(exc)) from exc
        if session.interview.finished:
            session.finish()
            self._forget(session.session_id)
        return result

    def _snapshot(
        self, session_id: str, interview: Interview | None = None, view: SessionView | None = None
    ) -> SessionState:
        view = view if view is not None else self._view(session_id)
        case = self.case(view.case_id)
        if interview is None or view.status == "finished":
            history = [(a.question_id, a.kind, a.prompt, a.answer, a.grade) for a in view.steps()]
            try:
                interview = Interview.restore(case, view.mode, view.focus, history)  # type: ignore[arg-type]
            except InterviewError as exc:
                message = f"session {view.id[:8]} no longer fits case {case.id!r}: {exc}"
                raise NotFound(message) from None
        current = None if view.status == "finished" else interview.current
        return SessionState(view=view, case=case, questions=list(interview.questions),
                            current=current, summary=interview.summary())

    def _open(self, session_id: str) -> PracticeSession:
        """The live session to change, or `Conflict` when it is over."""
        view = self._view(session_id)
        if view.status == "finished":
            raise Conflict("this interview is over: there is no question left")
        return self._live_session(view)

    # -- what routes call --------------------------------------------------------------------

    def state(self, session_id: str) -> SessionState:
        """The session now, with any answer whose grade was lost graded first (as `resume`)."""
        with self.locked(session_id):
            view = self._view(session_id)
            if view.status == "finished":
                return self._snapshot(session_id, view=view)
            session = self._live_session(view)
            if session.interview.awaiting_grade is None:
                return self._snapshot(session_id, session.interview, view)
            self._settle(session)
            return self._snapshot(session_id, session.interview)

    def start(
        self,
        case_id: str,
        mode: Mode | str = Mode.practice,
        focus: Sequence[Competency] = (),
    ) -> SessionState:
        case = self.case(case_id)
        session = PracticeSession.start(self.store, case, self.grader, mode, focus)
        with self.locked(session.session_id):
            self._remember(session)
            return self._snapshot(session.session_id, session.interview)

    def submit(self, session_id: str, answer: str, expected_step: str | None) -> Submitted:
        """Store the answer (before anything else can fail), then grade it, like the CLI."""
        answer = answer.replace("\r\n", "\n")
        if len(answer) > MAX_ANSWER_CHARS:
            raise AnswerRefused(
                f"the answer is {len(answer):,} characters; the limit is {MAX_ANSWER_CHARS:,}",
                too_long=True,
            )
        with self.locked(session_id):
            session = self._open(session_id)
            self._settle(session)
            step = session.interview.current
            if step is None:
                raise Conflict("this interview is over: there is no question to answer")
            if expected_step is not None and expected_step != step_key(step):
                raise Conflict(STALE)
            if answer.strip() and _no_words(answer):
                raise AnswerRefused("the answer has no words to grade")
            try:
                turn = session.submit(answer)  # stored (committed) when this returns
            except (CannotGrade, InterviewError) as exc:
                raise AnswerRefused(str(exc)) from None
            except StepAlreadyStored:
                self._forget(session_id)  # another process moved on: rebuild next time
                raise Conflict(STALE) from None
            attempt_id = session.attempt_ids[-1]
            result = self._settle(session)
            state = self._snapshot(session_id, session.interview)
        return Submitted(attempt_id, turn, result[1] if result else None, state)

    def skip(self, session_id: str, expected_step: str | None) -> tuple[Step, SessionState]:
        """Skip the current question or follow-up, as `/skip` does in the CLI."""
        with self.locked(session_id):
            session = self._open(session_id)
            self._settle(session)
            step = session.interview.current
            if step is None:
                raise Conflict("this interview is over: there is nothing to skip")
            if expected_step is not None and expected_step != step_key(step):
                raise Conflict("this step was already answered or skipped")
            try:
                session.skip()
            except StepAlreadyStored:
                self._forget(session_id)
                raise Conflict("this step was already answered or skipped") from None
            if session.interview.finished:
                session.finish()
                self._forget(session_id)
            return step, self._snapshot(session_id, session.interview)

    def grade_row(self, data: Any) -> dict[str, object]:
        """One `casecoach grade --input` row graded, as `casecoach.batch` does it."""
        [row] = list(read_rows(iter([json.dumps(data, ensure_ascii=False)]), self.library))
        case_id = data.get("case") if isinstance(data, dict) else None
        if row.task is not None and isinstance(case_id, str):
            with self._warming(case_id), self._grading:
                return grade_row(row, self.grader)
        with self._grading:
            return grade_row(row, self.grader)

    # -- history -----------------------------------------------------------------------------

    def answer_means(self, rows: Sequence[GradeRow] | None = None) -> dict[str, float]:
        """Recent mean first-answer score per competency: the figures the weakest is chosen by."""
        from casecoach.progress import competency_means

        rows = self.store.all_grades() if rows is None else rows
        return {c.value: s for c, s in competency_means(rows).items()}

    def weakest(self, rows: Sequence[GradeRow] | None = None) -> tuple[Competency, Case] | None:
        """The weakest competency lately and a case to practise it on, as `interview --weakest`
        picks them (`casecoach.progress`)."""
        from casecoach.progress import case_for_competency, weakest_competency

        rows = self.store.all_grades() if rows is None else rows
        cases = list(self.library)
        covered = {c for case in cases for c in case.competencies}
        competency = weakest_competency(rows, among=covered)
        if competency is None:
            return None
        case = case_for_competency(cases, competency, rows)
        return (competency, case) if case is not None else None
