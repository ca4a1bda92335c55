"""The JSON API under /api: what the pages do, for scripts (OpenAPI at /openapi.json).

Writes need the header `X-Requested-With` and a JSON body (see `security.py`). Endpoints are
plain `def`s, so FastAPI runs them in its thread pool: grading (50-150 ms of CPU) never blocks
the event loop.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException
from fastapi.responses import JSONResponse

from casecoach.session.engine import InterviewError
from casecoach.store import GradeRow
from casecoach.web.context import interviews
from casecoach.web.interviews import (
    AnswerRefused,
    Conflict,
    GradingFailed,
    Interviews,
    NotFound,
)
from casecoach.web.schemas import (
    AnswerIn,
    AnswerOut,
    CaseDetail,
    CaseOut,
    ProgressOut,
    SessionListItem,
    SessionOut,
    SkipIn,
    StartSession,
    SummaryOut,
    WeakestOut,
)
from casecoach.web.security import require_api_client
from casecoach.web.views import competency_label, progress_payload

router = APIRouter(prefix="/api", tags=["api"], dependencies=[Depends(require_api_client)])
Svc = Annotated[Interviews, Depends(interviews)]

LINE_PREFIX = re.compile(r"^line \d+: ")
BATCH_EXAMPLES = [
    {"id": "a1", "case": "community-insights", "question": "research-design",
     "answer": "I would randomize whole groups into treatment and control ..."},
    {"id": "a2", "question_text": "How would you measure the success of Reels?",
     "reference": "Tie the goal to the mission, pick a north-star metric ...",
     "answer": "I'd start from the goal ..."},
]


def http_error(exc: Exception) -> HTTPException:
    """Map the interview layer's errors to status codes (404, 409, 413, 422, 503)."""
    if isinstance(exc, NotFound):
        return HTTPException(404, str(exc))
    if isinstance(exc, Conflict):
        return HTTPException(409, str(exc))
    if isinstance(exc, AnswerRefused):
        return HTTPException(413 if exc.too_long else 422, f"not submitted: {exc}")
    if isinstance(exc, InterviewError):
        return HTTPException(422, str(exc))
    if isinstance(exc, GradingFailed):
        return HTTPException(
            503, f"the answer is saved but grading failed ({exc}); fetch the session to retry"
        )
    raise exc


@router.get("/cases", response_model=list[CaseOut], summary="Every case, with its competencies")
def list_cases(svc: Svc) -> list[CaseOut]:
    return [CaseOut.of(case) for case in svc.library]


@router.get("/cases/{case_id}", response_model=CaseDetail, summary="One case and its questions")
def get_case(case_id: str, svc: Svc) -> CaseDetail:
    try:
        return CaseDetail.detail(svc.case(case_id))
    except NotFound as exc:
        raise http_error(exc) from None


@router.get("/sessions", response_model=list[SessionListItem], summary="Sessions, newest first")
def list_sessions(svc: Svc, limit: int = 50) -> list[SessionListItem]:
    return [
        SessionListItem(
            id=s.id, case=s.case_id, mode=s.mode, status=s.status, created_at=s.created_at,
            answers=s.n_answers, graded=s.n_graded, mean_score=s.mean_score,
        )
        for s in svc.store.list_sessions(limit=max(1, min(limit, 500)))
    ]


@router.post("/sessions", response_model=SessionOut, status_code=201,
             summary="Start an interview on a case")
def start_session(body: StartSession, svc: Svc) -> SessionOut:
    try:
        return SessionOut.of(svc.start(body.case, body.mode, body.focus))
    except (NotFound, InterviewError) as exc:
        raise http_error(exc) from None


@router.get("/sessions/{session_id}", response_model=SessionOut,
            summary="A session: the current step and every attempt")
def get_session(session_id: str, svc: Svc) -> SessionOut:
    try:
        return SessionOut.of(svc.state(session_id))
    except (NotFound, GradingFailed) as exc:
        raise http_error(exc) from None


@router.post("/sessions/{session_id}/answers", response_model=AnswerOut, status_code=201,
             summary="Answer the current step: stored first, then graded")
def answer(session_id: str, body: AnswerIn, svc: Svc) -> AnswerOut:
    try:
        done = svc.submit(session_id, body.answer, body.step)
    except (NotFound, Conflict, AnswerRefused, GradingFailed) as exc:
        raise http_error(exc) from None
    visible = done.state.feedback_visible
    return AnswerOut(
        attempt_id=done.attempt_id,
        grade=done.grade if visible else None,
        session=SessionOut.of(done.state),
    )


@router.post("/sessions/{session_id}/skip", response_model=SessionOut,
             summary="Skip the current question or follow-up")
def skip(session_id: str, svc: Svc, body: SkipIn | None = None) -> SessionOut:
    try:
        _, state = svc.skip(session_id, body.step if body else None)
    except (NotFound, Conflict, GradingFailed) as exc:
        raise http_error(exc) from None
    return SessionOut.of(state)


@router.get("/sessions/{session_id}/summary", response_model=SummaryOut,
            summary="Per-competency scores of one session")
def summary(session_id: str, svc: Svc) -> SummaryOut:
    try:
        state = svc.state(session_id)
    except (NotFound, GradingFailed) as exc:
        raise http_error(exc) from None
    if not state.feedback_visible:
        raise HTTPException(409, "a mock interview shows its scores when it is over")
    return SummaryOut.of(state)


@router.get("/grades", response_model=list[GradeRow],
            summary="Every graded attempt, oldest first")
def grades(svc: Svc, kind: str | None = None) -> list[GradeRow]:
    visible = _visible_sessions(svc)
    return [
        r
        for r in svc.store.all_grades()
        if (kind is None or r.kind == kind) and r.session_id in visible
    ]


@router.get("/progress", response_model=ProgressOut,
            summary="Per-competency score of each session, for the progress chart")
def progress(svc: Svc) -> ProgressOut:
    visible = _visible_sessions(svc)
    rows = [r for r in svc.store.all_grades() if r.session_id in visible]
    return ProgressOut.model_validate(progress_payload(rows))


@router.get("/weakest", response_model=WeakestOut,
            summary="The weakest competency so far and a case to practise it")
def weakest(svc: Svc) -> WeakestOut:
    rows = svc.store.all_grades()
    means = svc.answer_means(rows)
    found = svc.weakest(rows)
    if found is None:
        return WeakestOut(competency=None, label=None, case=None, means=means)
    competency, case = found
    return WeakestOut(competency=competency.value, label=competency_label(competency.value),
                      case=case.id, means=means)


@router.post("/grade", summary="Grade one `casecoach grade --input` row, without a session",
             responses={422: {"description": "The output row `{id, error}`"}})
def grade_one(
    svc: Svc,
    row: Annotated[Any, Body(description="`{id, case, question, answer}` or "
                                         "`{id, question_text, reference, answer}`",
                             examples=BATCH_EXAMPLES)],
) -> JSONResponse:
    result = svc.grade_row(row)
    if isinstance(result.get("error"), str):  # one row, no file: "line 1: " says nothing
        result["error"] = LINE_PREFIX.sub("", str(result["error"]), count=1)
    return JSONResponse(result, status_code=422 if "error" in result else 200)


def _visible_sessions(svc: Interviews) -> set[str]:
    """Mock interviews still under way keep their grades to themselves."""
    return {
        s.id for s in svc.store.list_sessions(limit=100_000)
        if s.mode != "mock" or s.status == "finished"
    }
