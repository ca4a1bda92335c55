"""The case schema: what a case file may hold, validated by pydantic.

Cases are data. Every field a coach writes is described here, so that `casecoach cases
validate` and the exported JSON Schema can say exactly what is wrong and where.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from casecoach.cases.competency import COMPETENCY_LABELS, Competency, Difficulty

__all__ = ["COMPETENCY_LABELS", "Case", "Competency", "Criterion", "Difficulty", "FollowUp",
           "Question", "RedFlag", "Rubric"]

Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", min_length=1, max_length=80),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Criterion(_Strict):
    """One thing a good answer does, with several ways a candidate might say it."""

    id: Slug
    description: Text = Field(description="What a good answer does, in one sentence.")
    weight: float = Field(default=1.0, gt=0, le=10)
    phrasings: list[Text] = Field(
        min_length=1,
        description="Example sentences from answers that meet the criterion, in different words.",
    )
    keywords: list[Text] = Field(
        default_factory=list,
        description="Terms that signal the concept (lowercase; a trailing * matches any ending).",
    )
    hint: Text = Field(
        description="What to add, told to the candidate when the criterion is missed."
    )


class RedFlag(_Strict):
    """A known mistake. Saying it costs points, unless the answer says it to reject it."""

    id: Slug
    description: Text
    phrasings: list[Text] = Field(min_length=1)
    penalty: float = Field(default=1.0, gt=0, le=4)
    detector: Slug | None = Field(
        default=None,
        description=(
            "A method-mistake detector that also finds this flag by its wording, for example "
            "individual-randomization, peeking, subgroup-fishing (docs/authoring.md lists them)."
        ),
    )

    signs: list[list[Text]] = Field(
        default_factory=list,
        description=(
            "Word patterns that show the mistake, found together in one sentence: each sign is "
            "a list of term groups, each group alternatives separated by '|', '*' for any "
            "ending, the first group the act, a group starting with '!' terms that clear the "
            "sign (['randomi* | assign*', 'individual admins | admin level', '!cluster*']). A "
            "sentence that negates the act or calls it biased is not flagged."
        ),
    )

    @field_validator("signs")
    @classmethod
    def _valid_signs(cls, value: list[list[str]]) -> list[list[str]]:
        from casecoach.grading.wording import flag_sign  # lazy: grading imports cases

        for sign in value:
            if not sign:
                raise ValueError("a sign needs at least one term group")
            flag_sign(sign)
        return value

    @field_validator("detector")
    @classmethod
    def _known_detector(cls, value: str | None) -> str | None:
        from casecoach.grading.mistakes import MISTAKE_IDS  # lazy: grading imports cases

        if value is not None and value not in MISTAKE_IDS:
            raise ValueError(f"unknown detector {value!r}; known: {', '.join(sorted(MISTAKE_IDS))}")
        return value


class Rubric(_Strict):
    criteria: list[Criterion] = Field(min_length=1)
    red_flags: list[RedFlag] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> Rubric:
        _check_unique([c.id for c in self.criteria], "criterion")
        _check_unique([r.id for r in self.red_flags], "red flag")
        return self


class FollowUp(_Strict):
    """A probe the interviewer asks when the answer left a gap."""

    prompt: Text
    targets: list[Slug] = Field(
        default_factory=list, description="Criterion ids whose absence this probe addresses."
    )


class Question(_Strict):
    id: Slug
    competency: Competency
    prompt: Text
    rubric: Rubric | None = Field(
        default=None, description="Without a rubric, answers are graded against the ideal answer."
    )
    ideal_answer: Text = Field(description="What a strong senior data scientist would answer.")
    follow_ups: list[FollowUp] = Field(default_factory=list)
    minutes: int = Field(default=8, ge=1, le=60, description="Suggested time to answer.")

    @model_validator(mode="after")
    def _follow_ups_target_criteria(self) -> Question:
        known = {c.id for c in self.rubric.criteria} if self.rubric else set()
        for follow_up in self.follow_ups:
            unknown = [t for t in follow_up.targets if t not in known]
            if unknown:
                raise ValueError(f"follow-up targets unknown criteria: {', '.join(unknown)}")
        return self


class Case(_Strict):
    id: Slug
    title: Text
    product_area: Text
    difficulty: Difficulty = Difficulty.medium
    tags: list[Slug] = Field(default_factory=list)
    scenario: Text
    questions: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_question_ids(self) -> Case:
        _check_unique([q.id for q in self.questions], "question")
        return self

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        valid = ", ".join(q.id for q in self.questions)
        raise KeyError(f"case {self.id!r} has no question {question_id!r} (valid: {valid})")

    @property
    def competencies(self) -> list[Competency]:
        return list(dict.fromkeys(q.competency for q in self.questions))


def _check_unique(ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"duplicate {what} id {item!r}")
        seen.add(item)
