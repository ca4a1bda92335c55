"""Answers written to fool a grader: wrong methods in the right words, padded weak answers, and
correct answers in unusual words.

Usage: python benchmarks/adversarial.py [--set SET] [--grader embedded] [--show-failures]
       SET: adversarial (default), adversarial-read-2, adversarial-holdout,
            adversarial-holdout-2, adversarial-holdout-3 or correct-holdout

The answers are in benchmarks/data/<set>/<case>.yaml, written from each case's scenario,
questions and ideal answers only: their writers did not see the rubric's red flags, the grader's
code or its output. Bounds: wrong-method ≤ 2.5, padded ≤ 2.5, unusual-correct ≥ 4.0.

`adversarial` (120 answers, four cases) was read while the grader's wording detectors were
written; `adversarial-holdout` (125 answers, five cases) was scored on arrival and is kept
unread so that it stays a fair test; `adversarial-holdout-2` (100 answers: the assistant DAU
drop, quality evaluation, retrieval freshness and Stories metric drop) was written later, from
the scenarios, questions and ideal answers only, and scored on arrival, before the red flags
of every case were given signs: the fairest test of how those signs carry to new answers.
`adversarial-holdout-3` (120 answers: feed ranking, group polls, the WhatsApp search bar and
launch markets, six per question, a correct concise answer among them) was written after the
last signs, by writers who saw only each case's scenario, questions and ideal answers, and was
scored on arrival; it has never been read. `adversarial-read-2` (80 padded and
correct-in-unusual-words answers for the same four cases) was written to study why the third
holdout let padded answers through without reading it, and was read. `correct-holdout` (132
answers, two per question of every case: a concise one and a thorough one, half of them
rejecting a tempting wrong method in passing) measures the other side: good answers wrongly
flagged. Bound ≥ 3.5; the answers that raise any red flag are counted.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
BOUNDS = {
    "wrong-method": (None, 2.5),
    "padded": (None, 2.5),
    "unusual-correct": (4.0, None),
    "correct": (3.5, None),  # correct-holdout: concise or thorough, half rejecting a pitfall
}


def within(kind: str, score: float) -> bool:
    low, high = BOUNDS[kind]
    return (low is None or score >= low) and (high is None or score <= high)


def main() -> int:
    from casecoach.cases.loader import CaseLibrary
    from casecoach.grading.protocol import GradingTask
    from casecoach.grading.registry import get_grader

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="adversarial",
                        choices=sorted(p.name for p in DATA.iterdir() if any(p.glob("*.yaml"))))
    parser.add_argument("--grader", default="embedded")
    parser.add_argument("--show-failures", action="store_true")
    args = parser.parse_args()
    library = CaseLibrary.load()
    grader = get_grader(args.grader)
    passed: dict[str, list[bool]] = defaultdict(list)
    scores: dict[str, list[float]] = defaultdict(list)
    by_case: dict[str, list[bool]] = defaultdict(list)
    false_flags: dict[str, int] = defaultdict(int)
    folder = DATA / args.set
    files = sorted(folder.glob("*.yaml"))
    if not files:
        print(f"no answer files in {folder}", file=sys.stderr)
        return 1
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        case = library.get(data["case"])
        questions = {q.id: q for q in case.questions}
        for item in data["answers"]:
            question = questions[item["question"]]
            task = GradingTask(question=question, answer=item["answer"], case=case)
            grade = grader.grade(task)
            ok = within(item["kind"], grade.score)
            passed[item["kind"]].append(ok)
            scores[item["kind"]].append(grade.score)
            by_case[case.id].append(ok)
            if item["kind"] in ("unusual-correct", "correct") and grade.red_flags:
                false_flags[item["kind"]] += 1
            if not ok and args.show_failures:
                flags = ", ".join(f.id for f in grade.red_flags) or "no red flag"
                print(f"  {item['id']}: {grade.score:.2f} ({flags}) - {item.get('note', '')}")
    print(f"{sum(map(len, passed.values()))} answers in {len(files)} cases")
    for kind, (low, high) in BOUNDS.items():
        if not passed[kind]:
            continue
        n, ok = len(passed[kind]), sum(passed[kind])
        bound = f"≥ {low}" if low is not None else f"≤ {high}"
        mean = sum(scores[kind]) / max(1, n)
        print(f"{kind:<16} {bound}: {ok}/{n} ({ok / max(1, n):.0%})  mean score {mean:.2f}")
    for kind, count in false_flags.items():
        print(f"{kind} answers with a red flag: {count}/{len(passed[kind])}")
    for case_id, oks in sorted(by_case.items()):
        print(f"  {case_id:<32} {sum(oks)}/{len(oks)} within bounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
