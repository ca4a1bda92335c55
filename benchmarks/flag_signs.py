"""How well do the red flags' signs and detectors read the labelled claims? Recall and false hits.

Usage: python benchmarks/flag_signs.py [--case ID ...] [--show]

For every red flag of the built-in cases (or of --case), reads its question's labelled claims
in data/claims/ (written from the rubrics, see data/claims/README.md) the way the grader reads
an answer: cut into units, each checked against the flag's signs and its named detector.

- caught: claims labelled as committing this flag's mistake that its signs or detector find;
- false: claims that make one of the question's points correctly, or reject one of its red
  flags, and are flagged anyway; plus units of the question's ideal answer and the rubric's
  criterion phrasings that are flagged.

Case authors use it to see whether a flag's signs catch the mistake in other words and spare
right answers in the same words. --show prints every miss and every false hit.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = ROOT / "data" / "claims"


def main() -> int:
    from casecoach.cases.loader import CaseLibrary
    from casecoach.grading.mistakes import find_mistakes
    from casecoach.grading.text import split_units
    from casecoach.grading.wording import flag_signs, shows_sign

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", help="a case id (repeatable); default all")
    parser.add_argument("--show", action="store_true", help="print misses and false hits")
    args = parser.parse_args()
    library = CaseLibrary.load()
    cases = [library.get(c) for c in args.case] if args.case else list(library)
    totals = defaultdict(int)
    for case in cases:
        path = CLAIMS / f"{case.id}.jsonl"
        claims = []
        if path.exists():
            claims = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
        else:
            print(f"{case.id}: no labelled claims in {path.parent}; checking the ideal answers "
                  "and phrasings only")
        for question in case.questions:
            if question.rubric is None:
                continue
            mine = [c for c in claims if c["question"] == question.id]
            right = [c["text"] for c in mine if
                     (c["target"].startswith("criterion:") and c["label"] == "entails")
                     or (c["target"].startswith("red-flag:") and c["label"] == "contradicts")]
            right += [u for u in split_units(question.ideal_answer)]
            right += [p for crit in question.rubric.criteria for p in crit.phrasings]
            for flag in question.rubric.red_flags:
                signs = flag_signs(tuple(tuple(s) for s in flag.signs)) if flag.signs else ()
                linked = frozenset({flag.detector} if flag.detector else set())

                def fires(text: str, signs=signs, flag=flag, linked=linked) -> str | None:
                    units = split_units(text)
                    if signs:
                        quote = shows_sign(units, signs)
                        if quote is not None:
                            return quote
                    if flag.detector:
                        for hit in find_mistakes(units, linked=linked):
                            if hit.id == flag.detector:
                                return hit.quote
                    return None

                bad = [c["text"] for c in mine
                       if c["target"] == f"red-flag:{flag.id}" and c["label"] == "entails"]
                caught = [t for t in bad if fires(t)]
                false = [t for t in right if fires(t)]
                how = ("signs+detector" if signs and flag.detector else
                       "signs" if signs else "detector" if flag.detector else "none")
                totals["flags"] += 1
                totals[how] += 1
                totals["bad"] += len(bad)
                totals["caught"] += len(caught)
                totals["false"] += len(false)
                print(f"{case.id}/{question.id}/{flag.id} [{how}]: caught {len(caught)}/"
                      f"{len(bad)}, false {len(false)}")
                if args.show:
                    for t in bad:
                        if t not in caught:
                            print(f"    missed: {t}")
                    for t in false:
                        print(f"    FALSE:  {t}")
    print(f"\n{totals['flags']} red flags: {totals['signs+detector']} with signs and a detector, "
          f"{totals['signs']} signs only, {totals['detector']} detector only, "
          f"{totals['none']} neither")
    print(f"caught {totals['caught']}/{totals['bad']} labelled mistakes; "
          f"{totals['false']} false hits on right claims, ideal answers and phrasings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
