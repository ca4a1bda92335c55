"""Finding cases: by tag and by competency."""

from __future__ import annotations

from collections.abc import Iterable

from casecoach.cases.schema import Case, Competency


def filter_cases(
    cases: Iterable[Case], tag: str | None = None, competency: Competency | None = None
) -> list[Case]:
    """Cases carrying `tag` (or whose product area mentions it) and covering `competency`."""
    out = []
    for case in cases:
        if tag and tag not in case.tags and tag.lower() not in case.product_area.lower():
            continue
        if competency and competency not in case.competencies:
            continue
        out.append(case)
    return out
