"""`casecoach serve`: the browser UI, on the same engine and store as the terminal.

FastAPI, uvicorn and Rich are imported inside the command, so `casecoach --help` stays fast.
"""

from __future__ import annotations

import typer

from casecoach.cli.errors import fail

LOCAL_NAMES = {"localhost", "127.0.0.1", "::1"}


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _allowed_hosts(host: str) -> list[str]:
    """Host headers to serve: localhost names, plus the host we bind to. All for 0.0.0.0/::."""
    if host in ("0.0.0.0", "::", ""):
        return ["*"]
    hosts = ["127.0.0.1", "localhost", "::1", "[::1]"]
    if host not in hosts:
        hosts.append(f"[{host}]" if ":" in host else host)
    return hosts


def _url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("::1" if host == "::" else host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def serve(
    host: str = typer.Option("127.0.0.1", "--host",
                             help="Address to listen on. The default serves this machine only; "
                                  "0.0.0.0 serves the network (there is no login)."),
    port: int = typer.Option(8000, "--port", "-p", min=1, max=65535, help="Port to listen on."),
    open_browser: bool = typer.Option(False, "--open", help="Open the app in a web browser."),
    grader: str | None = typer.Option(
        None, "--grader",
        help="Which grader to use: embedded, hybrid, llm, or a plugin's. Default: hybrid when an "
             "LLM is configured, else embedded (as for `casecoach interview`).",
    ),
) -> None:
    """Start the web app: pick a case, answer in the browser, see feedback and progress.

    It uses the same sessions as `casecoach interview` (CASECOACH_HOME, CASECOACH_DATABASE_URL).
    Stop it with Ctrl-C; every submitted answer is already saved.
    """
    import threading
    import time
    import webbrowser

    import uvicorn

    from casecoach.cli.render import console, err_console
    from casecoach.grading.embedder import EmbeddingModelCorrupt, EmbeddingModelMissing
    from casecoach.grading.registry import GraderUnavailable
    from casecoach.web import create_app

    with console.status("Loading the cases, the store and the grader…"):
        try:
            app = create_app(allowed_hosts=_allowed_hosts(host), grader=grader)
        except (GraderUnavailable, EmbeddingModelMissing, EmbeddingModelCorrupt) as exc:
            fail(str(exc))
        except Exception as exc:  # noqa: BLE001 - a database the user pointed at may be anything
            fail(f"cannot start the web app: {exc}")

    config = uvicorn.Config(app, host=host, port=port, log_level="warning",
                            timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    url = _url(host, port)

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if not server.started:
            return
        console.print(f"casecoach is running at [bold cyan]{url}[/] (Ctrl-C to stop).")
        if not _is_loopback(host):
            err_console.print(
                f"[yellow]Listening on {host}:[/] anyone who can reach this machine can use "
                "casecoach and read its sessions (there is no login)."
            )
        if open_browser:
            webbrowser.open(url)

    threading.Thread(target=announce, name="casecoach-announce", daemon=True).start()
    try:
        server.run()
    except SystemExit:  # uvicorn exits when it cannot bind
        if server.started:
            raise
    if not server.started:
        fail(f"could not listen on {host}:{port} (is the port in use? try --port)")
