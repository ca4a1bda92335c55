"""How fast is grading? Prints the cold start of `casecoach grade` and warm per-answer latency.

Usage: python benchmarks/speed.py [--runs 5] [--answers 60]

Cold: a fresh process running `casecoach grade` on one answer (import, model load, grading),
timed end to end, median of --runs. Warm: per-answer latency over a batch of answers graded in
one process, after one warm-up answer; p50 and p95. The answers are built from the built-in
case's ideal answers (about 300 words each, lowercased so that none of their sentences is a
cached case text), so the benchmark needs nothing outside the repo.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def cold_start(runs: int) -> list[float]:
    from casecoach.cases.loader import CaseLibrary

    question = CaseLibrary.load().get("community-insights").questions[0]
    times: list[float] = []
    with tempfile.TemporaryDirectory() as home:
        answer = Path(home) / "answer.txt"
        answer.write_text(question.ideal_answer, encoding="utf-8")
        env = {**os.environ, "CASECOACH_HOME": home}
        cmd = [sys.executable, "-m", "casecoach", "grade", "--case", "community-insights",
               "--question", question.id, "--answer-file", str(answer), "--json"]
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(cmd, check=True, env=env, capture_output=True)
            times.append(time.perf_counter() - started)
    return times


def warm(n_answers: int) -> tuple[list[float], float]:
    from casecoach.cases.loader import CaseLibrary
    from casecoach.grading.embedder import get_embedder
    from casecoach.grading.protocol import GradingTask
    from casecoach.grading.registry import get_grader

    case = CaseLibrary.load().get("community-insights")
    grader = get_grader("embedded")
    tasks: list[GradingTask] = []
    for i in range(n_answers):
        q = case.questions[i % len(case.questions)]
        other = case.questions[(i + 1) % len(case.questions)]
        # Vary the text so no answer is a cache hit for the previous one, and lowercase it so
        # no sentence is one of the case's own (whose vectors are cached): every unit is
        # encoded, as for a real answer. The model is uncased, so the cost is the same.
        words = (q.ideal_answer + " " + other.ideal_answer).split()
        start = (i * 7) % max(1, len(words) - 300)
        answer = " ".join(words[start:start + 300]).lower()
        tasks.append(GradingTask(question=q, answer=answer, case=case))
    grader.grade(tasks[0])
    embedder = get_embedder()
    latencies: list[float] = []
    for task in tasks:
        # Overlapping windows share sentences; a real answer's sentences are all new.
        embedder.clear_cache()
        started = time.perf_counter()
        grader.grade(task)
        latencies.append(time.perf_counter() - started)
    mean_words = statistics.mean(len(t.answer.split()) for t in tasks)
    return latencies, mean_words


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--answers", type=int, default=60)
    args = parser.parse_args()
    cold = cold_start(args.runs)
    print(f"cold `casecoach grade` on one answer: median {statistics.median(cold):.2f} s "
          f"(min {min(cold):.2f}, max {max(cold):.2f}, {args.runs} runs)")
    latencies, mean_words = warm(args.answers)
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1000
    print(f"warm grading, {len(latencies)} answers of ~{mean_words:.0f} words: "
          f"p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
