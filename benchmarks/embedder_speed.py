"""How fast is the sentence embedder? Prints cold load time and encode throughput.

Usage: python benchmarks/embedder_speed.py [--runs 5] [--threads N] [--sentences 200]

Cold load: a fresh interpreter imports numpy and casecoach.grading.embedder (which pulls in the
casecoach.grading package) and builds an `Embedder` (imports onnxruntime and tokenizers, checks
the weights, creates the session), each step timed inside that process; median of --runs.
Measured twice: with the sha256 verification remembered in the cache file (the usual case),
and with an empty cache dir (hashes the 90 MB weights).

Throughput: single sentences (one `encode([s])` per call) and batches of 20 sentences of ~15
words, with the embedder's text cache cleared so the model really runs; plus the cost of a
fully cached call. The machine has 2 cores: try --threads 1 and --threads 2.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_TEXT = (
    "we would randomize users into control and treatment then measure retention revenue "
    "engagement and latency over two weeks while checking sample ratio mismatch novelty "
    "effects seasonality guardrail metrics segment results by platform region and tenure "
    "before recommending a launch decision to the product team"
)
WORDS = _TEXT.split()

_CHILD = """
import json, sys, time
t0 = time.perf_counter()
import numpy
t1 = time.perf_counter()
from pathlib import Path
from casecoach.grading.embedder import Embedder
t2 = time.perf_counter()
e = Embedder(cache_dir=Path(sys.argv[1]), threads=int(sys.argv[2]) or None)
t3 = time.perf_counter()
e.encode(["warm up the session"])
t4 = time.perf_counter()
print(json.dumps({"numpy": t1 - t0, "import": t2 - t1, "load": t3 - t2, "first": t4 - t3,
                  "total": t3 - t0}))
"""


def sentences(count: int, seed: int) -> list[str]:
    """Distinct ~15-word sentences, so the embedder's cache never answers for the model."""
    rng = random.Random(seed)
    return [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 18))) + f" case {seed}-{i}."
        for i in range(count)
    ]


def cold_load(runs: int, threads: int, cached: bool) -> list[dict[str, float]]:
    results = []
    with tempfile.TemporaryDirectory() as shared_cache:
        if cached:  # one untimed load records the verification
            subprocess.run(
                [sys.executable, "-c", _CHILD, shared_cache, str(threads)],
                check=True,
                capture_output=True,
            )
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as fresh_cache:
                cache = shared_cache if cached else fresh_cache
                out = subprocess.run(
                    [sys.executable, "-c", _CHILD, cache, str(threads)],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return results


def warm(count: int, threads: int) -> None:
    from casecoach.grading.embedder import Embedder

    with tempfile.TemporaryDirectory() as cache:
        embedder = Embedder(cache_dir=Path(cache), threads=threads or None)
    embedder.encode(sentences(20, seed=-1))  # warm-up

    singles = sentences(count, seed=1)
    times = []
    for text in singles:
        started = time.perf_counter()
        embedder.encode([text])
        times.append(time.perf_counter() - started)
    times.sort()
    print(
        f"single sentence   : p50 {statistics.median(times) * 1e3:6.2f} ms, "
        f"p95 {times[int(0.95 * (len(times) - 1))] * 1e3:6.2f} ms "
        f"({len(singles) / sum(times):.0f} sentences/s)"
    )

    batches = [sentences(20, seed=100 + b) for b in range(max(1, count // 20))]
    started = time.perf_counter()
    for batch in batches:
        embedder.encode(batch)
    elapsed = time.perf_counter() - started
    n = sum(len(b) for b in batches)
    print(
        f"batches of 20     : {elapsed / len(batches) * 1e3:6.1f} ms per batch, "
        f"{n / elapsed:.0f} sentences/s ({elapsed / n * 1e3:.2f} ms/sentence)"
    )

    started = time.perf_counter()
    for batch in batches:
        embedder.encode(batch)
    elapsed = time.perf_counter() - started
    print(f"cached batches    : {elapsed / len(batches) * 1e3:6.2f} ms per batch of 20")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="cold loads per scenario")
    parser.add_argument("--threads", type=int, default=0, help="intra-op threads (0: default)")
    parser.add_argument("--sentences", type=int, default=200, help="sentences per warm test")
    args = parser.parse_args()

    for cached in (True, False):
        results = cold_load(args.runs, args.threads, cached)
        med = {k: statistics.median(r[k] for r in results) for k in results[0]}
        label = "verified-cache" if cached else "hashing       "
        print(
            f"cold load ({label}): {med['total'] * 1e3:4.0f} ms median "
            f"[numpy {med['numpy'] * 1e3:.0f} + import casecoach.grading.embedder "
            f"{med['import'] * 1e3:.0f} + Embedder() {med['load'] * 1e3:.0f}; "
            f"min {min(r['total'] for r in results) * 1e3:.0f}, "
            f"max {max(r['total'] for r in results) * 1e3:.0f}], "
            f"first encode {med['first'] * 1e3:.0f} ms"
        )
    warm(args.sentences, args.threads)


if __name__ == "__main__":
    main()
