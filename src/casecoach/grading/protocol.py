"""What a grader is: anything that turns a question and an answer into a `Grade`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from casecoach.cases.schema import Case, Competency, Question
from casecoach.grading.grade import CannotGrade, Grade

MAX_ANSWER_CHARS = 20_000


@dataclass(frozen=True)
class GradingTask:
    """One answer to grade, with the question and (when there is one) the case around it.

    The case lets a grader tell an answer to *this* question from a decent answer to another
    question of the same case.
    """

    question: Question
    answer: str
    case: Case | None = None
    context: str = field(default="", repr=False)

    @classmethod
    def reference_only(cls, question_text: str, reference: str, answer: str) -> GradingTask:
        """A user's own question: no rubric, only a reference answer to grade against."""
        question = Question(
            id="custom",
            competency=Competency.product_sense,
            prompt=question_text,
            ideal_answer=reference,
        )
        return cls(question=question, answer=answer)

    def check(self) -> None:
        """Refuse answers no grader should score."""
        if not self.answer or not self.answer.strip():
            raise CannotGrade("the answer is empty: there is nothing to grade")
        if not any(ch.isalnum() for ch in self.answer):
            raise CannotGrade("the answer has no words to grade")
        if len(self.answer) > MAX_ANSWER_CHARS:
            raise CannotGrade(
                f"the answer is {len(self.answer):,} characters; the limit is {MAX_ANSWER_CHARS:,}"
            )


@runtime_checkable
class Grader(Protocol):
    name: str
    version: str

    def grade(self, task: GradingTask) -> Grade:
        """Grade one answer, or raise `CannotGrade` saying why not."""
        ...
