"""How well does a grader agree with expert grades? Prints Spearman ρ, MAE and per-kind checks.

Usage: python benchmarks/grading_fidelity.py [--grader embedded] [--sets DIR] [--show-misses]

Reads the development sets (`dev-case.jsonl`, `dev-reference.jsonl`) from DIR, by default
`../shared/bench/grading/` beside the repository when it exists. Each row has the expert
`grade` and the `kind` of answer it was written to be. The sets are for measuring, not for
fitting: nothing here feeds back into the grader.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SETS = ROOT.parent / "shared" / "bench" / "grading"

JUNK = {"off-topic", "other-question", "buzzword-salad", "copy-question", "dont-know"}
CHECKS = [
    ("junk ≤ 1.5", JUNK, lambda s: s <= 1.5),
    ("fluent-wrong ≤ 2.5", {"fluent-wrong"}, lambda s: s <= 2.5),
    ("ideal/alternative ≥ 4.0", {"ideal-paraphrase", "valid-alternative"}, lambda s: s >= 4.0),
]


def _ranks(values: list[float]) -> np.ndarray:
    """Ranks with ties averaged, as Spearman's ρ needs."""
    array = np.asarray(values, dtype=float)
    order = np.argsort(array, kind="mergesort")
    ranks = np.empty(len(array))
    ranks[order] = np.arange(1, len(array) + 1)
    for value in np.unique(array):
        tied = array == value
        ranks[tied] = ranks[tied].mean()
    return ranks


def spearman(a: list[float], b: list[float]) -> float:
    return float(np.corrcoef(_ranks(a), _ranks(b))[0, 1])


def run_set(path: Path, grader_name: str, show_misses: bool) -> dict[str, object]:
    from casecoach.batch import grade_row, read_rows
    from casecoach.cases.loader import CaseLibrary
    from casecoach.grading.registry import get_grader

    lines = path.read_text(encoding="utf-8").splitlines()
    gold = {str(json.loads(line)["id"]): json.loads(line) for line in lines if line.strip()}
    library = CaseLibrary.load()
    grader = get_grader(grader_name)
    predicted: dict[str, float] = {}
    errors: list[str] = []
    started = time.perf_counter()
    for row in read_rows(iter(lines), library):
        out = grade_row(row, grader)
        if "error" in out:
            errors.append(str(out["error"]))
        else:
            predicted[str(out["id"])] = float(out["score"])  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    ids = [i for i in gold if i in predicted]
    truth = [float(gold[i]["grade"]) for i in ids]
    pred = [predicted[i] for i in ids]
    by_kind: dict[str, list[float]] = defaultdict(list)
    for i in ids:
        by_kind[gold[i]["kind"]].append(predicted[i])
    print(f"\n== {path.name}: {len(ids)} answers graded, {len(errors)} errors, "
          f"{elapsed / max(1, len(ids)) * 1000:.0f} ms/answer")
    rho = spearman(truth, pred)
    mae = float(np.mean(np.abs(np.array(truth) - np.array(pred))))
    print(f"Spearman ρ {rho:.3f}   MAE {mae:.2f}")
    print(f"{'kind':<18} {'n':>3} {'mean':>5} {'min':>5} {'max':>5}  expert mean")
    for kind in sorted(by_kind):
        scores = by_kind[kind]
        expert = np.mean([gold[i]["grade"] for i in ids if gold[i]["kind"] == kind])
        print(f"{kind:<18} {len(scores):>3} {np.mean(scores):>5.2f} {min(scores):>5.2f} "
              f"{max(scores):>5.2f}  {expert:.2f}")
    for label, kinds, ok in CHECKS:
        rows = [i for i in ids if gold[i]["kind"] in kinds]
        passed = sum(1 for i in rows if ok(predicted[i]))
        print(f"check {label:<26} {passed}/{len(rows)}")
    if show_misses:
        print("largest disagreements:")
        worst = sorted(ids, key=lambda i: -abs(predicted[i] - float(gold[i]["grade"])))[:10]
        for i in worst:
            g = gold[i]
            print(f"  {i} {g['kind']:<17} expert {g['grade']:.1f} grader {predicted[i]:.2f}")
    for error in errors:
        print(f"  error: {error}")
    return {"rho": rho, "mae": mae}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grader", default="embedded")
    parser.add_argument("--sets", type=Path, default=DEFAULT_SETS)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    files = sorted(args.sets.glob("*.jsonl")) if args.sets.is_dir() else []
    if not files:
        print(f"No grading sets found in {args.sets}: nothing to measure. "
              "Pass --sets DIR with the JSONL sets.")
        return 0
    for path in files:
        run_set(path, args.grader, args.show_misses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
