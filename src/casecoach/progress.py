"""Progress over sessions: per-competency scores, and which competency to practise next."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from statistics import mean

from casecoach.cases.schema import Case, Competency
from casecoach.store import GradeRow


def competency_means(rows: Iterable[GradeRow], last: int = 5) -> dict[Competency, float]:
    """Mean first-attempt score per competency over its `last` graded answers.

    Recent answers only, so the weakest area moves as the candidate improves; follow-ups are
    left out, since they are graded together with the answer they complete.
    """
    scores: dict[Competency, list[float]] = defaultdict(list)
    for row in rows:
        if row.kind != "answer":
            continue
        try:
            scores[Competency(row.competency)].append(row.score)
        except ValueError:
            continue  # a competency this version does not know
    return {c: round(mean(s[-last:]), 2) for c, s in scores.items()}


def weakest_competency(
    rows: Iterable[GradeRow], among: Iterable[Competency] | None = None
) -> Competency | None:
    """The competency with the lowest recent mean; None without history."""
    means = competency_means(rows)
    if among is not None:
        allowed = set(among)
        means = {c: s for c, s in means.items() if c in allowed}
    if not means:
        return None
    return min(means, key=lambda c: (means[c], c.value))


def case_for_competency(
    cases: Sequence[Case],
    competency: Competency,
    rows: Iterable[GradeRow],
    rng: random.Random | None = None,
) -> Case | None:
    """A case with a question on `competency`, the one least practised on it: a fresh case
    teaches more. Ties go to the first by id, or to a random one when `rng` is given."""
    candidates = [c for c in cases if competency in c.competencies]
    if not candidates:
        return None
    practised: dict[str, int] = defaultdict(int)
    for row in rows:
        if row.kind == "answer" and row.competency == competency.value:
            practised[row.case_id] += 1
    fewest = min(practised[c.id] for c in candidates)
    least = sorted((c for c in candidates if practised[c.id] == fewest), key=lambda c: c.id)
    return rng.choice(least) if rng is not None else least[0]
