"""How fast is the claim judge? Prints load time and pairs/s.

Usage: python benchmarks/judge_speed.py [--runs 3] [--threads N] [--anchors 40] [--sentences 10]

A grading call compares every answer sentence with every anchor (rubric phrasings and
descriptions) of the question, so the benchmark judges the full grid of `--anchors` x
`--sentences` pairs (batches of 32) three ways:

* cold: nothing cached, so every anchor and sentence also goes through the frozen encoder;
* new answer: anchors cached (the usual case: the rubric repeats), sentences new;
* cached texts: both sides cached, i.e. only the trained cross layer(s) run per pair.

Median of --runs. The machine has 2 cores: try --threads 1 and --threads 2.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

from casecoach.grading.judge import ClaimJudge

_TEXT = (
    "we would randomize whole groups of admins into control and treatment then compare "
    "retention and member activity by assigned arm over thirteen weeks while checking sample "
    "ratio mismatch novelty effects and guardrails before recommending a launch decision"
)
WORDS = _TEXT.split()


def texts(count: int, seed: int, low: int, high: int) -> list[str]:
    rng = random.Random(seed)
    return [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high))) + f" ({seed}-{i})."
        for i in range(count)
    ]


def timed(runs: int, setup: Callable[[], None], work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        setup()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--anchors", type=int, default=40)
    parser.add_argument("--sentences", type=int, default=10)
    args = parser.parse_args()

    start = time.perf_counter()
    judge = ClaimJudge(threads=args.threads or None)
    print(f"load: {(time.perf_counter() - start) * 1000:.0f} ms")
    anchors = texts(args.anchors, 1, 12, 22)  # rubric phrasings: ~15-25 tokens
    judge.judge([("warm up", "the session")])
    n = args.anchors * args.sentences

    def report(name: str, seconds: float) -> None:
        print(
            f"{name:13s}: {seconds * 1000:8.1f} ms for {n} pairs, "
            f"{seconds / n * 1000:6.2f} ms/pair, {n / seconds:7.0f} pairs/s"
        )

    counter = iter(range(10**6))
    grid: list[tuple[str, str]] = []

    def new_grid() -> None:
        sentences = texts(args.sentences, 100 + next(counter), 10, 20)
        grid[:] = [(a, s) for s in sentences for a in anchors]

    def cold() -> None:
        judge.clear_cache()
        new_grid()

    report("cold", timed(args.runs, cold, lambda: judge.judge(grid)))
    judge.judge([(a, "x") for a in anchors])
    report("new answer", timed(args.runs, new_grid, lambda: judge.judge(grid)))
    report("cached texts", timed(args.runs, lambda: None, lambda: judge.judge(grid)))


if __name__ == "__main__":
    main()
