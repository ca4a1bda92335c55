"""How does `casecoach serve` hold up with many candidates at once? Figures, then a store check.

Usage: python benchmarks/web_load.py [--candidates 50] [--case community-insights]
                                     [--time-limit 600] [--pages]

Starts `casecoach serve` in a subprocess on a free 127.0.0.1 port with a fresh CASECOACH_HOME
(a real SQLite file, the real embedded grader), then runs --candidates simulated candidates at
once (httpx async, one connection each, loopback only). Each takes a whole practice interview
through the JSON API: start a session, answer every question (answers are built from the
case's ideal answers, cut to different lengths so grades and follow-ups vary, and tagged so
each is unique), answer or skip the follow-ups, read the summary; with --pages it also loads
the HTML interview and feedback pages a browser would. One answer is graded first, unmeasured:
the grader builds each case's vector cache on its first grade in a fresh home. Every request
is bounded by a timeout and the whole run by --time-limit.

Prints requests/s, and count, p50, p99 and max latency per endpoint. Then stops the server,
opens its store and checks that every submitted answer is stored exactly once, in order, and
graded. Exits 1 if not.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

API = {"X-Requested-With": "web_load"}
SERVE = "import typer; from casecoach.cli.serve import serve; typer.run(serve)"


@dataclass
class Candidate:
    number: int
    session_id: str | None = None
    submitted: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class Recorder:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    async def call(self, client: httpx.AsyncClient, label: str, method: str, url: str,
                   **kwargs: object) -> httpx.Response:
        started = time.perf_counter()
        response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
        self.latencies[label].append(time.perf_counter() - started)
        if response.status_code >= 400:
            self.failures[f"{label} -> {response.status_code}"] += 1
        return response


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers_for(case_id: str) -> dict[str, list[str]]:
    """Sentences of each question's ideal answer, to cut answers of varying quality from."""
    from casecoach.cases.loader import CaseLibrary

    case = CaseLibrary.load().get(case_id)
    return {
        q.id: [s for s in re.split(r"(?<=[.!?])\s+", " ".join(q.ideal_answer.split())) if s]
        for q in case.questions
    }


def make_answer(sentences: list[str], candidate: int, question_id: str, kind: str) -> str:
    rng = random.Random(f"{candidate}:{question_id}:{kind}")
    keep = max(1, int(len(sentences) * rng.uniform(0.2, 0.9)))
    picked = sentences[:keep] if kind == "answer" else rng.sample(sentences, min(2, len(sentences)))
    return " ".join(picked) + f" (Candidate {candidate}, {question_id}, {kind}.)"


async def run_candidate(
    candidate: Candidate, base: str, case_id: str, ideal: dict[str, list[str]],
    recorder: Recorder, pages: bool,
) -> None:
    timeout = httpx.Timeout(120.0, connect=10.0)
    limits = httpx.Limits(max_connections=1)
    async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as client:
        created = await recorder.call(client, "POST /api/sessions", "POST", "/api/sessions",
                                      json={"case": case_id, "mode": "practice"}, headers=API)
        created.raise_for_status()
        state = created.json()
        sid = candidate.session_id = state["id"]
        while state["current"] is not None:
            step = state["current"]
            if pages:
                page = await recorder.call(client, "GET /sessions/{id} (html)", "GET",
                                           f"/sessions/{sid}", headers={"Accept": "text/html"},
                                           follow_redirects=True)
                page.raise_for_status()
            if step["kind"] == "follow_up" and candidate.number % 3 == 0:
                skipped = await recorder.call(
                    client, "POST /api/sessions/{id}/skip", "POST", f"/api/sessions/{sid}/skip",
                    json={"step": step["key"]}, headers=API)
                skipped.raise_for_status()
                state = skipped.json()
                continue
            text = make_answer(ideal[step["question_id"]], candidate.number,
                               step["question_id"], step["kind"])
            answered = await recorder.call(
                client, "POST /api/sessions/{id}/answers", "POST",
                f"/api/sessions/{sid}/answers", json={"answer": text, "step": step["key"]},
                headers=API)
            answered.raise_for_status()
            candidate.submitted.append(text)
            body = answered.json()
            if pages:
                feedback = await recorder.call(
                    client, "GET /sessions/{id}/attempts/{n} (html)", "GET",
                    f"/sessions/{sid}/attempts/{body['attempt_id']}",
                    headers={"Accept": "text/html"}, follow_redirects=True)
                feedback.raise_for_status()
            state = body["session"]
        summary = await recorder.call(client, "GET /api/sessions/{id}/summary", "GET",
                                      f"/api/sessions/{sid}/summary")
        summary.raise_for_status()
        if pages:
            await recorder.call(client, "GET /sessions/{id}/summary (html)", "GET",
                                f"/sessions/{sid}/summary", headers={"Accept": "text/html"})


async def drive(base: str, case_id: str, n: int, recorder: Recorder,
                pages: bool) -> list[Candidate]:
    ideal = answers_for(case_id)
    candidates = [Candidate(i) for i in range(n)]

    async def one(candidate: Candidate) -> None:
        try:
            await run_candidate(candidate, base, case_id, ideal, recorder, pages)
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            candidate.error = f"{type(exc).__name__}: {exc}"

    await asyncio.gather(*(one(c) for c in candidates))
    return candidates


def wait_until_up(base: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with code {process.returncode}")
        try:
            if httpx.get(base + "/api/cases", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not start in time")


def warm_up(base: str, case_id: str) -> float:
    """Grade one answer in the case, so the measured run does not include the one-off build."""
    from casecoach.cases.loader import CaseLibrary

    question = CaseLibrary.load().get(case_id).questions[0]
    started = time.perf_counter()
    response = httpx.post(base + "/api/grade", headers=API, timeout=600, json={
        "id": "warm-up", "case": case_id, "question": question.id,
        "answer": question.ideal_answer})
    response.raise_for_status()
    return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def verify(db: Path, candidates: list[Candidate]) -> list[str]:
    """Every submitted answer stored exactly once, in order, and graded."""
    from casecoach.store import Store

    problems: list[str] = []
    with Store.open(f"sqlite:///{db}") as store:
        for candidate in candidates:
            if candidate.session_id is None:
                problems.append(f"candidate {candidate.number}: no session")
                continue
            view = store.get_session(candidate.session_id)
            stored = [a.answer for a in view.attempts]
            if stored != candidate.submitted:
                problems.append(f"candidate {candidate.number}: stored {len(stored)} answer(s), "
                                f"submitted {len(candidate.submitted)}, or not the same")
            if any(a.grade is None for a in view.attempts):
                problems.append(f"candidate {candidate.number}: an answer has no grade")
            if view.status != "finished" and candidate.error is None:
                problems.append(f"candidate {candidate.number}: session not finished")
        everything = [a for s in store.list_sessions(limit=10_000)
                      for a in store.get_session(s.id).attempts]
    submitted = sum(len(c.submitted) for c in candidates)
    if len(everything) != submitted:
        problems.append(f"the store holds {len(everything)} answers, {submitted} were submitted")
    texts = [a.answer for a in everything]
    if len(set(texts)) != len(texts):
        problems.append("some answer is stored more than once")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=50)
    parser.add_argument("--case", default="community-insights")
    parser.add_argument("--time-limit", type=float, default=600.0,
                        help="Stop the run after this many seconds.")
    parser.add_argument("--pages", action="store_true",
                        help="Also load the HTML pages a browser would.")
    args = parser.parse_args()
    if not 1 <= args.candidates <= 500:
        parser.error("--candidates must be between 1 and 500")

    with tempfile.TemporaryDirectory(prefix="casecoach-web-load-") as home:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "CASECOACH_HOME": home}
        env.pop("CASECOACH_DATABASE_URL", None)
        command = [sys.executable, "-c", SERVE, "--port", str(port), "--grader", "embedded"]
        process = subprocess.Popen(command, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        recorder = Recorder()
        try:
            wait_until_up(base, process)
            print(f"casecoach serve at {base}; {args.candidates} candidates, case {args.case}"
                  f"{', with HTML pages' if args.pages else ''}", flush=True)
            warm = warm_up(base, args.case)
            print(f"warm-up (the grader builds the case's vector cache once): {warm:.1f} s",
                  flush=True)
            started = time.perf_counter()
            try:
                candidates = asyncio.run(asyncio.wait_for(
                    drive(base, args.case, args.candidates, recorder, args.pages),
                    timeout=args.time_limit))
            except TimeoutError:
                print(f"stopped: the run took more than {args.time_limit:.0f} s")
                return 1
            elapsed = time.perf_counter() - started
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

        total = sum(len(v) for v in recorder.latencies.values())
        answers = len(recorder.latencies.get("POST /api/sessions/{id}/answers", []))
        print(f"\n{total} requests in {elapsed:.1f} s: {total / elapsed:.1f} requests/s, "
              f"{answers / elapsed:.1f} graded answers/s")
        print(f"\n{'endpoint':44} {'count':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for label, values in sorted(recorder.latencies.items()):
            if not values:
                continue
            print(f"{label:44} {len(values):6d} {1000 * statistics.median(values):8.0f} "
                  f"{1000 * percentile(values, 0.99):8.0f} {1000 * max(values):8.0f}")
        for failure, count in sorted(recorder.failures.items()):
            print(f"  failed: {failure} x{count}")
        failed = [c for c in candidates if c.error]
        for candidate in failed[:5]:
            print(f"  candidate {candidate.number}: {candidate.error}")

        problems = verify(Path(home) / "casecoach.db", candidates)
        submitted = sum(len(c.submitted) for c in candidates)
        if problems or failed:
            print(f"\nFAILED: {len(failed)} candidate(s) did not finish; "
                  f"{len(problems)} store problem(s)")
            for problem in problems[:10]:
                print(f"  {problem}")
            return 1
        print(f"\nOK: all {submitted} submitted answers are stored exactly once, in order, "
              f"and graded; {len(candidates)} sessions finished.")
        return 0


if __name__ == "__main__":
    sys.exit(main())
