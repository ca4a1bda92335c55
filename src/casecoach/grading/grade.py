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


class RedFlagHit(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    description: str
    penalty: float
    quote: str


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
        """The batch output row: `{"id", "score", "level", "criteria", "red_flags", "grader"}`."""
        return {
            "id": row_id,
            "score": round(self.score, 2),
            "level": self.level,
            "criteria": [c.model_dump(exclude={"hint"}) for c in self.criteria],
            "red_flags": [r.model_dump() for r in self.red_flags],
            "notes": self.notes,
            "follow_up": self.follow_up,
            "grader": f"{self.grader}/{self.grader_version}",
        }


class CannotGrade(Exception):
    """Raised when an answer cannot be graded (empty, too long, the grader unavailable).

    A grader raises this rather than invent a score.
    """
