"""The JSON API's request and response bodies (they make up the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from casecoach.cases.schema import Case, Competency
from casecoach.grading.grade import Grade
from casecoach.session.engine import Mode, Step
from casecoach.web.interviews import SessionState, attempt_key, step_key
from casecoach.web.views import summary_payload


class CaseOut(BaseModel):
    id: str
    title: str
    product_area: str
    difficulty: str
    tags: list[str]
    competencies: list[str]
    questions: int

    @classmethod
    def of(cls, case: Case) -> CaseOut:
        return cls(
            id=case.id,
            title=case.title,
            product_area=case.product_area,
            difficulty=case.difficulty.value,
            tags=list(case.tags),
            competencies=[c.value for c in case.competencies],
            questions=len(case.questions),
        )


class QuestionOut(BaseModel):
    id: str
    competency: str
    prompt: str
    minutes: int


class CaseDetail(CaseOut):
    scenario: str
    question_list: list[QuestionOut]

    @classmethod
    def detail(cls, case: Case) -> CaseDetail:
        base = CaseOut.of(case).model_dump()
        return cls(
            **base,
            scenario=case.scenario,
            question_list=[
                QuestionOut(id=q.id, competency=q.competency.value, prompt=q.prompt,
                            minutes=q.minutes)
                for q in case.questions
            ],
        )


class StartSession(BaseModel):
    case: str = Field(description="Case id, from GET /api/cases.")
    mode: Mode = Mode.practice
    focus: list[Competency] = Field(default_factory=list,
                                    description="Only the questions of these competencies.")


class StepOut(BaseModel):
    key: str = Field(description="Send it back as `step` with the answer: a stale one is refused.")
    question_id: str
    competency: str
    kind: Literal["answer", "follow_up"]
    prompt: str
    number: int
    total: int
    minutes: int

    @classmethod
    def of(cls, step: Step) -> StepOut:
        return cls(
            key=step_key(step),
            question_id=step.question.id,
            competency=step.question.competency.value,
            kind=step.kind,
            prompt=step.prompt,
            number=step.number,
            total=step.total,
            minutes=step.question.minutes,
        )


class AttemptOut(BaseModel):
    id: int
    seq: int
    key: str
    question_id: str
    competency: str
    kind: str
    prompt: str
    answer: str
    submitted_at: datetime
    grade: Grade | None = Field(description="Hidden (null) in mock mode until the session ends.")


class SessionOut(BaseModel):
    id: str
    case: str
    case_title: str
    mode: Mode
    focus: list[str]
    status: Literal["active", "finished"]
    created_at: datetime
    current: StepOut | None
    attempts: list[AttemptOut]

    @classmethod
    def of(cls, state: SessionState) -> SessionOut:
        view = state.view
        current = state.current
        return cls(
            id=view.id,
            case=state.case.id,
            case_title=state.case.title,
            mode=state.mode,
            focus=view.focus,
            status="finished" if state.finished else "active",
            created_at=view.created_at,
            current=StepOut.of(current) if current is not None else None,
            attempts=[
                AttemptOut(
                    id=a.id,
                    seq=a.seq,
                    key=attempt_key(a),
                    question_id=a.question_id,
                    competency=a.competency,
                    kind=a.kind,
                    prompt=a.prompt,
                    answer=a.answer,
                    submitted_at=a.submitted_at,
                    grade=a.grade if state.feedback_visible else None,
                )
                for a in view.attempts
            ],
        )


class SessionListItem(BaseModel):
    id: str
    case: str
    mode: str
    status: str
    created_at: datetime
    answers: int
    graded: int
    mean_score: float | None


class AnswerIn(BaseModel):
    answer: str = Field(description="The answer text (at most 20,000 characters).")
    step: str | None = Field(
        default=None,
        description="The `current.key` this answers; when given, a stale key gets a 409.",
    )


class AnswerOut(BaseModel):
    attempt_id: int
    stored: bool = True
    grade: Grade | None = Field(description="Null in mock mode until the session ends.")
    session: SessionOut


class SkipIn(BaseModel):
    step: str | None = None


class CompetencyScore(BaseModel):
    id: str
    label: str
    score: float | None
    follow_up_score: float | None
    questions: int


class SummaryOut(BaseModel):
    session: str
    status: str
    competencies: list[CompetencyScore]
    overall: float | None
    weakest: str | None
    weakest_label: str | None
    next_steps: list[str]
    unanswered: int

    @classmethod
    def of(cls, state: SessionState) -> SummaryOut:
        payload: dict[str, Any] = summary_payload(state.summary)
        return cls(session=state.id, status="finished" if state.finished else "active",
                   **payload)


class ProgressSession(BaseModel):
    id: str
    case_id: str
    date: str
    label: str


class ProgressSeries(BaseModel):
    competency: str
    label: str
    scores: list[float | None] = Field(description="One per session, null where not practised.")
    mean: float
    latest: float
    first: float
    count: int


class ProgressOut(BaseModel):
    sessions: list[ProgressSession]
    series: list[ProgressSeries]


class WeakestOut(BaseModel):
    competency: str | None
    label: str | None
    case: str | None
    means: dict[str, float]
