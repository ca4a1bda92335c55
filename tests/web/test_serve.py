"""`casecoach serve`: a real server in a subprocess, bound to localhost, printing its address."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.web.conftest import HTML, start_serve, stop, wait_until_up

pytestmark = pytest.mark.slow


def test_importing_the_command_does_not_import_the_web_stack() -> None:
    code = (
        "import sys, casecoach.cli.serve\n"
        "heavy = ('fastapi', 'uvicorn', 'starlette', 'jinja2', 'rich', 'sqlalchemy')\n"
        "print([m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_help_lists_the_options() -> None:
    import typer

    from casecoach.cli.serve import serve

    app = typer.Typer()
    app.command()(serve)
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--open", "--grader", "127.0.0.1", "8000"):
        assert option in result.output


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on `port`, from /proc/net/tcp (Linux)."""
    found: set[str] = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        address, port_hex = fields[1].split(":")
        if int(port_hex, 16) == port and fields[3] == "0A":
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def test_serve_prints_its_address_and_binds_to_localhost(tmp_path: Path) -> None:
    process, port = start_serve(tmp_path)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(url, process)
        page = httpx.get(url, headers=HTML)
        assert page.status_code == 200 and "Community Insights" in page.text
        assert httpx.get(url, headers={"Host": "attacker.example"}).status_code == 400
        if Path("/proc/net/tcp").exists():
            assert _listening_addresses(port) == {"127.0.0.1"}
    finally:
        stop(process)
    output = process.stdout.read() if process.stdout else ""
    assert f"casecoach is running at http://127.0.0.1:{port}/" in output
    assert "Traceback" not in output


def test_a_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        code = "import typer; from casecoach.cli.serve import serve; typer.run(serve)"
        result = subprocess.run(
            [sys.executable, "-c", code, "--port", str(port), "--grader", "embedded"],
            env={**os.environ, "CASECOACH_HOME": str(tmp_path)},
            capture_output=True, text=True, timeout=120,
        )
    assert result.returncode == 1
    assert f"could not listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
