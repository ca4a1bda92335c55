"""The result every grader returns: a `Grade`, explainable point by point."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["met", "partly", "missed"]

LEVELS: list[tuple[float, str]] = [
    (4.5, "Senior-level: this would land well in the room"),
    (3.75, "Strong: a few details from senior-level"),
    (2.75, "Solid start: the core is there, the essentials are not all covered"),
    (1.75, "Not there yet: some pieces, key points missing"),
    (0.0, "Start over: the answer does not address the question yet"),
]


def level_for(score: float) -> str:
    """The coaching label for a 1-5 score."""
    for floor, label in LEVELS:
        if score >= floor:
            return label
    return LEVELS[-1][1]


class CriterionResult(BaseModel):
    """How the answer did on one rubric point, with the words that earned it."""

    model_config = ConfigDict(frozen=True)

    id: str
    description: str
    weight: float
    status: Status
    quote: str | None = Field(default=None, description="The answer's sentence that earned it.")
    hint: str | None = None
    reason: str | None = Field(default=None, description="Why, in a sentence (LLM graders).")


class RedFlagHit(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    description: str
    penalty: float
    quote: str


class AuditMessage(BaseModel):
    """One chat message exactly as it was sent to the model."""

    model_config = ConfigDict(frozen=True)

    role: str
    content: str


class AuditTry(BaseModel):
    """One request to the model: the raw reply when one came, else what went wrong."""

    model_config = ConfigDict(frozen=True)

    reply: str | None = None
    error: str | None = None


class GradeAudit(BaseModel):
    """What an LLM-backed grader asked and was told, so a grade can be checked later.

    Holds no secret: the API key is never part of it.
    """

    model_config = ConfigDict(frozen=True)

    model: str | None = Field(default=None, description="The model that was asked.")
    base_url: str | None = Field(default=None, description="The server, without credentials.")
    prompt: list[AuditMessage] = Field(default_factory=list)
    raw_reply: str | None = Field(default=None, description="The reply the grade was built on.")
    tries: list[AuditTry] = Field(default_factory=list)
    fallback: str | None = Field(
        default=None, description="Why the LLM's judgement was not used, when it was not."
    )
    adjustments: list[str] = Field(
        default_factory=list, description="What casecoach changed in the LLM's judgement, and why."
    )
    evidence_score: float | None = Field(
        default=None, description="The embedded grader's score, which bounds the final score."
    )


class Grade(BaseModel):
    """A 1-5 score with its reasons. Graders never return a score they cannot justify."""

    model_config = ConfigDict(frozen=True)

    score: float = Field(ge=1.0, le=5.0)
    level: str
    criteria: list[CriterionResult] = Field(default_factory=list)
    red_flags: list[RedFlagHit] = Field(default_factory=list)
    notes: list[str] = Field(
        default_factory=list, description="Why the score was capped or adjusted, in plain words."
    )
    follow_up: str | None = None
    grader: str
    grader_version: str
    model: str | None = Field(default=None, description="The LLM that judged it, if any.")
    audit: GradeAudit | None = Field(
        default=None, description="The LLM prompt and raw reply, for LLM-backed graders."
    )

    @property
    def fallback(self) -> str | None:
        """Why an LLM-backed grader fell back to the embedded grade, when it did."""
        return self.audit.fallback if self.audit is not None else None

    @property
    def met(self) -> list[CriterionResult]:
        return [c for c in self.criteria if c.status == "met"]

    @property
    def partly(self) -> list[CriterionResult]:
        return [c for c in self.criteria if c.status == "partly"]

    @property
    def missed(self) -> list[CriterionResult]:
        return [c for c in self.criteria if c.status == "missed"]

    def to_row(self, row_id: str | None = None) -> dict[str, object]:
        """The batch output row: `{"id", "score", "level", "criteria", "red_flags", "notes",
        "follow_up", "grader"}`, plus "model" when an LLM judged it and "fallback" when an LLM
        grader could not (never the prompt)."""
        row: dict[str, object] = {
            "id": row_id,
            "score": round(self.score, 2),
            "level": self.level,
            "criteria": [
                c.model_dump(exclude={"hint"} if c.reason else {"hint", "reason"})
                for c in self.criteria
            ],
            "red_flags": [r.model_dump() for r in self.red_flags],
            "notes": self.notes,
            "follow_up": self.follow_up,
            "grader": f"{self.grader}/{self.grader_version}",
        }
        if self.model is not None:
            row["model"] = self.model
        if self.fallback is not None:
            row["fallback"] = self.fallback
        return row


class CannotGrade(Exception):
    """Raised when an answer cannot be graded (empty, too long, the grader unavailable).

    A grader raises this rather than invent a score.
    """
