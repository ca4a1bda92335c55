"""The case bank's quality gate: ideal answers grade ≥ 4.5, weak answers ≤ 2.5.

Usage: python benchmarks/case_bank_gate.py [--grader embedded] [--show-failures]

Weak answers come from tests/data/weak_answers.yaml: for every built-in question a generic
answer and one built on the question's typical mistake, written without looking at the
grader's output. Prints the share within bounds per kind and per case.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WEAK = ROOT / "tests" / "data" / "weak_answers.yaml"


def main() -> int:
    from casecoach.cases.loader import CaseLibrary
    from casecoach.grading.protocol import GradingTask
    from casecoach.grading.registry import get_grader

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grader", default="embedded")
    parser.add_argument("--show-failures", action="store_true")
    args = parser.parse_args()
    library = CaseLibrary.load()
    grader = get_grader(args.grader)
    weak = yaml.safe_load(WEAK.read_text(encoding="utf-8"))
    passed: dict[str, list[bool]] = defaultdict(list)
    scores: dict[str, list[float]] = defaultdict(list)
    for case in library:
        for question in case.questions:
            answers = {"ideal": question.ideal_answer, **weak.get(case.id, {}).get(question.id, {})}
            for kind, text in answers.items():
                score = grader.grade(GradingTask(question=question, answer=text, case=case)).score
                ok = score >= 4.5 if kind == "ideal" else score <= 2.5
                passed[kind].append(ok)
                scores[kind].append(score)
                if not ok and args.show_failures:
                    print(f"  {case.id}/{question.id}/{kind}: {score:.2f}")
    for kind in ("ideal", "generic", "mistake"):
        n, ok = len(passed[kind]), sum(passed[kind])
        bound = "≥ 4.5" if kind == "ideal" else "≤ 2.5"
        mean = sum(scores[kind]) / max(1, n)
        print(f"{kind:<8} {bound}: {ok}/{n} ({ok / max(1, n):.0%})  mean score {mean:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
