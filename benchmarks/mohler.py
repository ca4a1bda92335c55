"""Reference-only grading on a public set nobody tuned for: Mohler et al. 2011 (CS short answers).

Usage: python benchmarks/mohler.py [--csv PATH] [--limit N]

Grades each of the 2,273 published answers against its question's reference answer (the
`{"question_text", "reference", "answer"}` mode) and prints Pearson r and Spearman ρ with the
graders' average. No calibration is fitted, so no cross-validation is needed. Reads
`../shared/bench/external/mohler/mohler_dataset_edited.csv` beside the repository when present.
Published figures: MiniLM cosine 0.49, Mohler 2011 best (supervised) 0.518, Sultan et al. 2016
0.592, two human graders 0.586.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "bench" / "external" / "mohler" / "mohler_dataset_edited.csv"


def main() -> int:
    from casecoach.grading.grade import CannotGrade
    from casecoach.grading.protocol import GradingTask
    from casecoach.grading.registry import get_grader

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT)
    parser.add_argument("--grader", default="embedded")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    if not args.csv.is_file():
        print(f"No Mohler set at {args.csv}: nothing to measure. Pass --csv PATH.")
        return 0
    rows = list(csv.DictReader(args.csv.open(encoding="utf-8")))
    if args.limit:
        rows = rows[: args.limit]
    grader = get_grader(args.grader)
    gold: list[float] = []
    pred: list[float] = []
    skipped = 0
    started = time.perf_counter()
    for row in rows:
        task = GradingTask.reference_only(row["question"], row["desired_answer"],
                                          row["student_answer"])
        try:
            pred.append(grader.grade(task).score)
        except CannotGrade:
            skipped += 1
            continue
        gold.append(float(row["score_avg"]))
    elapsed = time.perf_counter() - started
    g, p = np.array(gold), np.array(pred)
    pearson = float(np.corrcoef(g, p)[0, 1])
    rank = lambda a: np.argsort(np.argsort(a, kind="mergesort"), kind="mergesort")  # noqa: E731
    spearman = float(np.corrcoef(rank(g), rank(p))[0, 1])
    print(f"Mohler 2011: {len(gold)} answers graded ({skipped} not gradable), "
          f"{elapsed / max(1, len(rows)) * 1000:.0f} ms/answer")
    print(f"Pearson r {pearson:.3f}   Spearman ρ {spearman:.3f} (ties ranked by order)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
