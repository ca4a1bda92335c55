"""The interview engine: pure logic over a case, shared by the CLI and the web app."""

from casecoach.session.engine import (
    CompetencyResult,
    Interview,
    InterviewError,
    Mode,
    Step,
    Summary,
    Turn,
    parse_focus,
)

__all__ = [
    "CompetencyResult",
    "Interview",
    "InterviewError",
    "Mode",
    "Step",
    "Summary",
    "Turn",
    "parse_focus",
]
