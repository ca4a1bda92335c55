"""Cases: the schema, and loading validated case files from the package and a user folder."""

from casecoach.cases.loader import (
    CaseFileError,
    CaseLibrary,
    CaseProblem,
    UnknownCase,
    load_case_file,
    parse_case,
    validate_path,
)
from casecoach.cases.schema import (
    COMPETENCY_LABELS,
    Case,
    Competency,
    Criterion,
    Difficulty,
    FollowUp,
    Question,
    RedFlag,
    Rubric,
)

__all__ = [
    "COMPETENCY_LABELS",
    "Case",
    "CaseFileError",
    "CaseLibrary",
    "CaseProblem",
    "Competency",
    "Criterion",
    "Difficulty",
    "FollowUp",
    "Question",
    "RedFlag",
    "Rubric",
    "UnknownCase",
    "load_case_file",
    "parse_case",
    "validate_path",
]
