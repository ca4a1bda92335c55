"""The HTML pages: case picker, interview, feedback, session summary, progress.

Server-rendered with Jinja2 (autoescaped: candidate text is never marked safe). Forms work
without JavaScript; `static/app.js` adds draft autosave, the timer, the character counter and
the charts, and htmx answers a follow-up in place. Every form post checks the CSRF token and
redirects (303) to a page, so a reload never posts twice.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from casecoach.cases.schema import Competency
from casecoach.grading.protocol import MAX_ANSWER_CHARS
from casecoach.session.engine import InterviewError, Mode
from casecoach.web.context import interviews, web
from casecoach.web.interviews import (
    AnswerRefused,
    Conflict,
    Interviews,
    NotFound,
    SessionState,
    attempt_key,
    step_key,
)
from casecoach.web.views import (
    CORE,
    competency_label,
    highlighted,
    markdown,
    progress_payload,
    score_class,
    summary_payload,
)

router = APIRouter(include_in_schema=False)
Svc = Annotated[Interviews, Depends(interviews)]
FormStr = Annotated[str, Form()]
NOTICES = {
    "stale": "That answer had already been submitted or skipped (perhaps in another tab): "
    "here is where the interview stands.",
    "over": "This interview is over.",
}


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    """A page with a CSRF token for its forms (and the cookie that backs it, if new)."""
    ctx = web(request)
    token, new = ctx.csrf.token_for(request)
    page: dict[str, Any] = {
        "csrf_token": token,
        "max_chars": MAX_ANSWER_CHARS,
        "label": competency_label,
        "score_class": score_class,
        "markdown": markdown,
        "nav": "",
        **context,
    }
    response = ctx.templates.TemplateResponse(request, name, page, status_code=status)
    if new:
        ctx.csrf.set_cookie(request, response, token)
    response.headers["Cache-Control"] = "no-store"
    return response


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def not_found(exc: Exception) -> HTTPException:
    return HTTPException(404, str(exc))


def session_url(session_id: str, minutes: int | None = None, **query: str) -> str:
    params = dict(query)
    if minutes:
        params["minutes"] = str(minutes)
    suffix = f"?{urlencode(params)}" if params else ""
    return f"/sessions/{session_id}{suffix}"


def _minutes(value: str | int | None) -> int | None:
    try:
        minutes = int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
    return minutes if minutes is not None and 1 <= minutes <= 60 else None


def _attempt_id(value: str) -> int:
    if not value.isdigit() or len(value) > 12:
        raise HTTPException(404, f"there is no attempt {value!r}")
    return int(value)


def _state(svc: Interviews, session_id: str) -> SessionState:
    try:
        return svc.state(session_id)
    except NotFound as exc:
        raise not_found(exc) from None


# -- the case picker -------------------------------------------------------------------------


@router.get("/")
def picker(request: Request, svc: Svc) -> Response:
    sessions = svc.store.list_sessions(limit=30)
    grades = svc.store.all_grades()
    weakest = svc.weakest(grades)
    return render(request, "picker.html", {
        "nav": "practice",
        "cases": list(svc.library),
        "competencies": CORE,
        "unfinished": [s for s in sessions if s.status == "active"][:5],
        "recent": [s for s in sessions if s.status == "finished"][:8],
        "titles": {c.id: c.title for c in svc.library},
        "weakest": weakest,
        "means": svc.answer_means(grades),
        "problems": svc.library.problems,
    })


def _start(svc: Svc, case_id: str, mode: str, focus: list[Competency],
           minutes: int | None) -> Response:
    try:
        state = svc.start(case_id, Mode(mode), focus)
    except NotFound as exc:
        raise not_found(exc) from None
    except (InterviewError, ValueError) as exc:
        raise HTTPException(422, str(exc)) from None
    return redirect(session_url(state.id, minutes if state.mode is Mode.mock else None))


@router.post("/sessions")
def start(
    request: Request,
    svc: Svc,
    case: FormStr,
    csrf_token: FormStr = "",
    mode: FormStr = "practice",
    minutes: FormStr = "",
    focus: Annotated[list[str] | None, Form()] = None,
) -> Response:
    web(request).csrf.check(request, csrf_token)
    try:
        competencies = [Competency(f) for f in focus or []]
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return _start(svc, case, mode, competencies, _minutes(minutes))


@router.post("/sessions/weakest")
def start_weakest(
    request: Request,
    svc: Svc,
    csrf_token: FormStr = "",
    mode: FormStr = "practice",
    minutes: FormStr = "",
) -> Response:
    web(request).csrf.check(request, csrf_token)
    found = svc.weakest()
    if found is None:
        raise HTTPException(409, "there is no graded answer yet: practise any case first")
    competency, case = found
    return _start(svc, case.id, mode, [competency], _minutes(minutes))


# -- the interview ---------------------------------------------------------------------------


def _interview_page(
    request: Request,
    state: SessionState,
    minutes: int | None,
    *,
    error: str | None = None,
    draft: str = "",
    status: int = 200,
    notice: str | None = None,
    skipped: str | None = None,
) -> Response:
    step = state.current
    assert step is not None
    practice = state.mode is Mode.practice
    skipped_question = None
    if skipped and practice:
        try:
            skipped_question = state.case.question(skipped)
        except KeyError:
            skipped_question = None
    done = [attempt_key(a) for a in state.view.attempts]
    return render(request, "interview.html", {
        "state": state,
        "case": state.case,
        "step": step,
        "step_key": step_key(step),
        "done_keys": done,
        "practice": practice,
        "timer_minutes": (minutes or step.question.minutes) if not practice else None,
        "minutes": minutes,
        "error": error,
        "draft": draft,
        "notice": notice,
        "skipped_question": skipped_question,
        "answered": [a for a in state.view.attempts if a.kind == "answer"],
    }, status)


@router.get("/sessions/{session_id}")
def interview(request: Request, session_id: str, svc: Svc, minutes: str = "",
              notice: str = "", skipped: str = "") -> Response:
    state = _state(svc, session_id)
    step = state.current
    if step is None:
        return redirect(f"/sessions/{session_id}/summary")
    if step.kind == "follow_up":  # follow-ups are answered on the feedback page, in place
        parent = state.answer_attempt(step.question.id)
        if parent is not None:
            return redirect(f"/sessions/{session_id}/attempts/{parent.id}#follow-up")
    return _interview_page(request, state, _minutes(minutes), notice=NOTICES.get(notice),
                           skipped=skipped or None)


@router.post("/sessions/{session_id}/answer")
def answer(
    request: Request,
    session_id: str,
    svc: Svc,
    step: FormStr,
    answer: FormStr = "",
    csrf_token: FormStr = "",
    minutes: FormStr = "",
) -> Response:
    web(request).csrf.check(request, csrf_token)
    timer = _minutes(minutes)
    try:
        done = svc.submit(session_id, answer, step)
    except NotFound as exc:
        raise not_found(exc) from None
    except Conflict:
        return redirect(session_url(session_id, timer, notice="stale"))
    except AnswerRefused as exc:
        state = _state(svc, session_id)
        message = f"Not submitted: {exc}. Your text is still here."
        code = 413 if exc.too_long else 422
        if step.endswith(":follow_up"):
            parent = state.answer_attempt(step.split(":", 1)[0])
            if parent is not None:
                return _feedback_page(request, state, parent.id, error=message, draft=answer,
                                      status=code)
        return _interview_page(request, state, timer, error=message, draft=answer,
                               status=code)
    state = done.state
    if state.mode is Mode.mock:  # straight on; the feedback comes with the summary
        if state.finished:
            return redirect(f"/sessions/{session_id}/summary")
        return redirect(session_url(session_id, timer))
    if done.turn.step.kind == "follow_up":
        parent = state.answer_attempt(done.turn.step.question.id)
        target = parent.id if parent is not None else done.attempt_id
        return redirect(f"/sessions/{session_id}/attempts/{target}#follow-up")
    return redirect(f"/sessions/{session_id}/attempts/{done.attempt_id}")


@router.post("/sessions/{session_id}/skip")
def skip(
    request: Request,
    session_id: str,
    svc: Svc,
    step: FormStr,
    csrf_token: FormStr = "",
    minutes: FormStr = "",
) -> Response:
    web(request).csrf.check(request, csrf_token)
    timer = _minutes(minutes)
    try:
        skipped, state = svc.skip(session_id, step)
    except NotFound as exc:
        raise not_found(exc) from None
    except Conflict:
        return redirect(session_url(session_id, timer, notice="stale"))
    if skipped.kind == "follow_up":
        parent = state.answer_attempt(skipped.question.id)
        if parent is not None:
            return redirect(f"/sessions/{session_id}/attempts/{parent.id}")
    if state.finished:
        return redirect(f"/sessions/{session_id}/summary")
    extra = {"skipped": skipped.question.id} if state.mode is Mode.practice else {}
    return redirect(session_url(session_id, timer, **extra))


# -- feedback --------------------------------------------------------------------------------


def _feedback_page(
    request: Request,
    state: SessionState,
    attempt_id: int,
    *,
    error: str | None = None,
    draft: str = "",
    status: int = 200,
) -> Response:
    attempt = state.attempt(attempt_id)
    question = state.case.question(attempt.question_id)
    current = state.current
    pending = (current is not None and current.kind == "follow_up"
               and current.question.id == attempt.question_id)
    follow_up = state.follow_up_attempt(attempt.question_id)
    number = next((i for i, q in enumerate(state.questions, start=1)
                   if q.id == question.id), None)
    return render(request, "feedback.html", {
        "state": state,
        "case": state.case,
        "attempt": attempt,
        "question": question,
        "number": number,
        "total": len(state.questions),
        "grade": attempt.grade,
        "segments": highlighted(attempt.answer, attempt.grade),
        "follow_up_pending": current if pending else None,
        "follow_up_key": step_key(current) if pending and current is not None else None,
        "follow_up": follow_up,
        "follow_up_segments": (highlighted(follow_up.answer, follow_up.grade)
                               if follow_up is not None else []),
        "follow_up_prompt": (current.prompt if pending and current is not None
                             else (follow_up.prompt if follow_up else attempt.grade.follow_up
                                   if attempt.grade else None)),
        "done_keys": [attempt_key(a) for a in state.view.attempts],
        "error": error,
        "draft": draft,
    }, status)


@router.get("/sessions/{session_id}/attempts/{attempt_id}")
def feedback(request: Request, session_id: str, attempt_id: str, svc: Svc) -> Response:
    number = _attempt_id(attempt_id)
    state = _state(svc, session_id)
    try:
        attempt = state.attempt(number)
    except NotFound as exc:
        raise not_found(exc) from None
    if not state.feedback_visible:
        return redirect(session_url(session_id))
    if attempt.kind == "follow_up":
        parent = state.answer_attempt(attempt.question_id)
        if parent is not None:
            return redirect(f"/sessions/{session_id}/attempts/{parent.id}#follow-up")
    return _feedback_page(request, state, number)


# -- summary and progress --------------------------------------------------------------------


@router.get("/sessions/{session_id}/summary")
def summary(request: Request, session_id: str, svc: Svc) -> Response:
    state = _state(svc, session_id)
    if not state.feedback_visible:
        return redirect(session_url(session_id))
    debrief = []
    for attempt in state.view.attempts:
        if attempt.kind != "answer":
            continue
        follow_up = state.follow_up_attempt(attempt.question_id)
        debrief.append((attempt, state.case.question(attempt.question_id), follow_up))
    return render(request, "summary.html", {
        "state": state,
        "case": state.case,
        "summary": summary_payload(state.summary),
        "debrief": debrief,
    })


@router.get("/progress")
def progress(request: Request, svc: Svc) -> Response:
    rows = svc.store.all_grades()
    hidden = {s.id for s in svc.store.list_sessions(limit=100_000)
              if s.mode == "mock" and s.status != "finished"}
    payload = progress_payload([r for r in rows if r.session_id not in hidden])
    return render(request, "progress.html",
                  {"nav": "progress", "progress": payload, "weakest": svc.weakest(rows)})
