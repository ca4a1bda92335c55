"""Web test fixtures: the real app on a real SQLite file, and a real server for the browser.

The root conftest gives every test its own CASECOACH_HOME; `web_client` builds the app there
(store, case library with the tiny test case added, the real embedded grader).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import TINY_CASE

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
API_HEADERS = {"X-Requested-With": "pytest"}
HTML = {"Accept": "text/html"}
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
STEP_INPUT = re.compile(r'name="step" value="([^"]+)"')
# Starlette's TestClient answers with httpx2's Response where httpx2 is installed, else httpx's.
Response = Any


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "covers(*routes): the web routes ('METHOD /path') a test exercises"
    )


def write_tiny_case(home: Path) -> None:
    cases = home / "cases"
    cases.mkdir(parents=True, exist_ok=True)
    (cases / "tiny.yaml").write_text(yaml.safe_dump(TINY_CASE), encoding="utf-8")


@dataclass
class Web:
    """A TestClient with the few moves every page test makes."""

    client: TestClient
    app: FastAPI

    def page(self, url: str, status: int = 200) -> str:
        response = self.client.get(url, headers=HTML)
        assert response.status_code == status, (url, response.status_code, response.text[:500])
        return response.text

    def csrf(self) -> str:
        match = CSRF_INPUT.search(self.page("/"))
        assert match
        return match.group(1)

    def post(self, url: str, data: dict[str, Any], **kwargs: Any) -> Response:
        fields = {"csrf_token": self.csrf(), **data}
        return self.client.post(url, data=fields, headers=HTML, follow_redirects=False, **kwargs)

    def start(self, case: str = "tiny", mode: str = "practice", **extra: Any) -> str:
        response = self.post("/sessions", {"case": case, "mode": mode, **extra})
        assert response.status_code == 303, response.text[:500]
        match = re.match(r"^/sessions/([0-9a-f]{32})", response.headers["location"])
        assert match
        return match.group(1)

    def step(self, session_id: str) -> str:
        match = STEP_INPUT.search(self.page(f"/sessions/{session_id}"))
        assert match
        return match.group(1)

    def answer(
        self, session_id: str, text: str, step: str | None = None, **extra: str
    ) -> Response:
        step = step or self.step(session_id)
        return self.post(f"/sessions/{session_id}/answer",
                         {"step": step, "answer": text, **extra})

    def api_post(self, url: str, body: Any) -> Response:
        return self.client.post(url, json=body, headers=API_HEADERS)


@pytest.fixture
def web_app(casecoach_home: Path) -> Iterator[FastAPI]:
    from casecoach.web import create_app

    write_tiny_case(casecoach_home)
    app = create_app(allowed_hosts=["testserver"], grader="embedded")
    yield app
    app.state.web.interviews.store.close()


@pytest.fixture
def web(web_app: FastAPI) -> Iterator[Web]:
    with TestClient(web_app, raise_server_exceptions=False) as client:
        yield Web(client, web_app)


# -- a real server, for the browser tests and `casecoach serve` --------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out = process.stdout.read() if process.stdout else ""
            raise RuntimeError(f"the server exited ({process.returncode}): {out}")
        try:
            if httpx.get(url + "api/cases", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server at {url} did not start in {timeout} s")


@dataclass
class LiveServer:
    url: str
    home: Path
    process: subprocess.Popen[str]


def start_serve(home: Path, *args: str) -> tuple[subprocess.Popen[str], int]:
    """`casecoach serve` (the Typer command in casecoach.cli.serve) in a subprocess."""
    port = free_port()
    env = {**os.environ, "CASECOACH_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    env.pop("CASECOACH_DATABASE_URL", None)
    code = "import typer; from casecoach.cli.serve import serve; typer.run(serve)"
    process = subprocess.Popen(
        [sys.executable, "-c", code, "--port", str(port), "--grader", "embedded", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    return process, port


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    home = tmp_path_factory.mktemp("live-home")
    write_tiny_case(home)
    process, port = start_serve(home)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(url, process)
        yield LiveServer(url, home, process)
    finally:
        stop(process)
