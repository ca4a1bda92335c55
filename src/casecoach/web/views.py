"""Shaping data for pages and charts: highlighted answers, summaries, progress series.

Nothing here builds HTML from candidate text: highlights are returned as plain segments that
the templates escape. Only case text (scenario, prompts, ideal answers, written by the case
author) is rendered as Markdown, with raw HTML switched off.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from statistics import mean
from typing import Any

from markupsafe import Markup

from casecoach.cases.schema import COMPETENCY_LABELS, Competency
from casecoach.grading.grade import Grade
from casecoach.session.engine import Summary
from casecoach.store import GradeRow

# The five competencies the round is scored on: always on the charts, in this order.
CORE = [
    Competency.research_design,
    Competency.analytical_design,
    Competency.storytelling,
    Competency.goals_metrics,
    Competency.data_visualization,
]


def competency_label(value: str) -> str:
    try:
        return COMPETENCY_LABELS[Competency(value)]
    except ValueError:
        return value


def score_class(score: float | None) -> str:
    if score is None:
        return "score-none"
    if score >= 4.0:
        return "score-high"
    if score >= 3.0:
        return "score-mid"
    return "score-low"


@lru_cache(maxsize=1)
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


@lru_cache(maxsize=512)
def markdown(text: str) -> Markup:
    """Case text as HTML; raw HTML in it is escaped, unsafe link schemes are refused."""
    return Markup(_markdown().render(text))  # noqa: S704 - html disabled: output is escaped


# -- highlighting the sentences that earned each criterion ---------------------------------


@dataclass(frozen=True)
class Mark:
    """A quote to find in the answer: which criterion (or red flag) it earned, and how."""

    quote: str
    kind: str  # "met", "partly" or "flag"
    ref: int  # the row number in the criteria table (red flags: their number in the list)
    label: str


@dataclass(frozen=True)
class Segment:
    text: str
    marks: tuple[Mark, ...] = ()

    @property
    def css(self) -> str:
        kinds = {m.kind for m in self.marks}
        if "flag" in kinds:
            return "hl hl-flag"
        if "met" in kinds:
            return "hl hl-met"
        return "hl hl-partly"

    @property
    def title(self) -> str:
        return "; ".join(m.label for m in self.marks)

    @property
    def refs(self) -> str:
        return ",".join(str(m.ref) for m in self.marks if m.kind != "flag")


_QUOTE_CHARS = {"'": "['’‘]", '"': '["“”]'}


def _quote_pattern(quote: str) -> re.Pattern[str] | None:
    """A pattern that finds a quote in the original answer.

    The grader quotes a unit of the answer with its whitespace collapsed, quotes straightened
    and NFKC applied, so the tokens are matched with any whitespace between them.
    """
    tokens = quote.split()
    if not tokens:
        return None
    parts = []
    for token in tokens:
        parts.append("".join(_QUOTE_CHARS.get(ch, re.escape(ch)) for ch in token))
    # Between tokens: whitespace, perhaps with a bullet or list number the grader dropped.
    return re.compile(r"\s+(?:(?:[-*•·]|\d+[.)])\s+)?".join(parts))


def highlight(text: str, marks: list[Mark]) -> list[Segment]:
    """Cut `text` into segments, each with the marks whose quote covers it."""
    covering: list[list[Mark]] = [[] for _ in text]
    for mark in marks:
        pattern = _quote_pattern(mark.quote)
        if pattern is None:
            continue
        found = pattern.search(text)
        if found is None:
            continue
        for i in range(found.start(), found.end()):
            covering[i].append(mark)
    segments: list[Segment] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or covering[i] != covering[start]:
            segments.append(Segment(text[start:i], tuple(covering[start])))
            start = i
    return segments


def grade_marks(grade: Grade) -> list[Mark]:
    marks: list[Mark] = []
    for number, result in enumerate(grade.criteria, start=1):
        if result.quote and result.status in ("met", "partly"):
            label = f"{'Met' if result.status == 'met' else 'Partly'} · {result.description}"
            marks.append(Mark(result.quote, result.status, number, label))
    for number, flag in enumerate(grade.red_flags, start=1):
        marks.append(Mark(flag.quote, "flag", number, f"Red flag · {flag.description}"))
    return marks


def highlighted(text: str, grade: Grade | None) -> list[Segment]:
    if grade is None:
        return [Segment(text)]
    return highlight(text, grade_marks(grade))


# -- session summary and progress -----------------------------------------------------------


def summary_payload(summary: Summary) -> dict[str, Any]:
    """Per-competency scores of one session, the five core ones always present (for a chart)."""
    by_competency = {r.competency: r for r in summary.results}
    shown = CORE + [c for c in by_competency if c not in CORE]
    return {
        "competencies": [
            {
                "id": c.value,
                "label": c.label,
                "score": by_competency[c].score if c in by_competency else None,
                "follow_up_score": by_competency[c].follow_up_score if c in by_competency else None,
                "questions": by_competency[c].questions if c in by_competency else 0,
            }
            for c in shown
        ],
        "overall": summary.overall,
        "weakest": summary.weakest.value if summary.weakest else None,
        "weakest_label": summary.weakest.label if summary.weakest else None,
        "next_steps": summary.next_steps,
        "unanswered": summary.unanswered,
    }


@dataclass
class _SessionPoint:
    session_id: str
    case_id: str
    first: datetime
    scores: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


def progress_payload(rows: list[GradeRow]) -> dict[str, Any]:
    """Per-competency mean answer score for each session, oldest first, one series each."""
    sessions: dict[str, _SessionPoint] = {}
    for row in rows:
        if row.kind != "answer":
            continue
        point = sessions.get(row.session_id)
        if point is None:
            point = sessions[row.session_id] = _SessionPoint(
                row.session_id, row.case_id, row.created_at
            )
        point.scores[row.competency].append(row.score)
    ordered = sorted(sessions.values(), key=lambda p: (p.first, p.session_id))
    present = {c for p in ordered for c in p.scores}
    competencies = [c.value for c in CORE if c.value in present] + sorted(
        c for c in present if c not in {k.value for k in CORE}
    )
    series = []
    for competency in competencies:
        values = [
            round(mean(p.scores[competency]), 2) if competency in p.scores else None
            for p in ordered
        ]
        scored = [v for v in values if v is not None]
        series.append(
            {
                "competency": competency,
                "label": competency_label(competency),
                "scores": values,
                "mean": round(mean(scored), 2),
                "latest": scored[-1],
                "first": scored[0],
                "count": len(scored),
            }
        )
    return {
        "sessions": [
            {
                "id": p.session_id,
                "case_id": p.case_id,
                "date": p.first.isoformat(),
                "label": f"{p.first:%b %d} · {p.case_id}",
            }
            for p in ordered
        ],
        "series": series,
    }
