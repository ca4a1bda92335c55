"""Grading: the `Grade` every grader returns, the `Grader` protocol and the registry."""

from casecoach.grading.grade import CannotGrade, CriterionResult, Grade, RedFlagHit, level_for
from casecoach.grading.protocol import MAX_ANSWER_CHARS, Grader, GradingTask
from casecoach.grading.registry import UnknownGrader, available, get_grader

__all__ = [
    "MAX_ANSWER_CHARS",
    "CannotGrade",
    "CriterionResult",
    "Grade",
    "Grader",
    "GradingTask",
    "RedFlagHit",
    "UnknownGrader",
    "available",
    "get_grader",
    "level_for",
]
