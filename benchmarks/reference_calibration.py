"""How the reference-only mode scores answers of known quality, and the full-coverage constant
that puts the median correct answer at 4.5.

Usage: python benchmarks/reference_calibration.py

Every built-in question is graded as if it had only its ideal answer (no rubric), on answers
the project wrote: correct answers in unusual words (benchmarks/data/adversarial, ≥ 4.0 under
a rubric), padded and wrong-method answers from the same files, and the generic and
typical-mistake weak answers of tests/data/weak_answers.yaml. Uses no labelled development set.

It also measures the word-alignment baseline (`grading.alignment.ALIGNMENT_BASELINE`): the
median raw alignment recall of a labelled claim (data/claims) that makes one criterion, read
against the description of another criterion of the same question (an answer about
something else), beside the claims that make the criterion itself.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TARGET = 4.5  # where the median correct answer should land


def main() -> int:
    from casecoach.cases.loader import CaseLibrary
    from casecoach.grading import embedded
    from casecoach.grading.protocol import GradingTask
    from casecoach.grading.registry import get_grader

    library = CaseLibrary.load()
    grader = get_grader("embedded")
    answers: list[tuple[str, object, str]] = []
    for path in sorted((ROOT / "benchmarks" / "data" / "adversarial").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        case = library.get(data["case"])
        answers += [(a["kind"], case.question(a["question"]), a["answer"]) for a in data["answers"]]
    weak = yaml.safe_load((ROOT / "tests" / "data" / "weak_answers.yaml").read_text("utf-8"))
    for case in library:
        for question in case.questions:
            for kind, text in weak.get(case.id, {}).get(question.id, {}).items():
                answers.append((kind, question, text))
    scores: dict[str, list[float]] = defaultdict(list)
    for kind, question, text in answers:
        reference_only = question.model_copy(update={"rubric": None})  # type: ignore[attr-defined]
        grade = grader.grade(GradingTask(question=reference_only, answer=text))
        scores[kind].append(grade.score)
    full = embedded.FULL_COVERAGE_REFERENCE
    print(f"reference-only mode, full coverage at {full}")
    for kind, values in sorted(scores.items()):
        print(f"{kind:<16} n={len(values):<3} median {statistics.median(values):.2f}  "
              f"mean {statistics.fmean(values):.2f}")
    median_score = statistics.median(scores["unusual-correct"])
    coverage = (median_score - 1) / 4 * full
    print(f"median correct answer: coverage {coverage:.3f}; the constant that maps it to "
          f"{TARGET}: {coverage / ((TARGET - 1) / 4):.3f}")
    alignment_baseline(library)
    return 0


def alignment_baseline(library: object) -> None:
    """Raw alignment recall of claims against their own criterion and against another one."""
    from casecoach.grading import alignment
    from casecoach.grading.embedder import get_embedder
    from casecoach.grading.text import split_units

    embedder = get_embedder()
    rng = random.Random(0)
    own: list[float] = []
    other: list[float] = []
    for path in sorted((ROOT / "data" / "claims").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            claim = json.loads(line)
            if claim["label"] != "entails" or not claim["target"].startswith("criterion:"):
                continue
            question = library.get(claim["case"]).question(claim["question"])  # type: ignore[attr-defined]
            criteria = {c.id: c for c in question.rubric.criteria}
            target = criteria[claim["target"].removeprefix("criterion:")]
            another = rng.choice([c for c in criteria.values() if c.id != target.id])
            asked = alignment.asked_words(question.prompt)
            answer = embedder.tokens([claim["text"]])
            for criterion, into in ((target, own), (another, other)):
                reference = embedder.tokens(split_units(criterion.description))
                into.append(alignment.align(reference, answer, asked).recall)
    print(f"alignment recall, raw: a claim against its own criterion, median "
          f"{statistics.median(own):.3f} (n={len(own)}); against another criterion of the same "
          f"question, median {statistics.median(other):.3f}: the baseline "
          f"(ALIGNMENT_BASELINE = {alignment.ALIGNMENT_BASELINE})")


if __name__ == "__main__":
    sys.exit(main())
