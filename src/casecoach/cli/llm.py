"""`casecoach llm check`: does the configured server answer, and with which model?"""

from __future__ import annotations

import time

import typer

from casecoach.cli.errors import fail

app = typer.Typer(no_args_is_help=True)


@app.callback()
def _llm() -> None:
    """The optional LLM backend: any OpenAI-compatible server (Ollama, vLLM, llama.cpp, a
    hosted API). Configure it with `casecoach config set llm.base-url URL` and `llm.model`."""

HOW_TO = ("configure one with `casecoach config set llm.base-url http://localhost:11434/v1` "
          "and `casecoach config set llm.model MODEL` (or CASECOACH_LLM_BASE_URL and "
          "CASECOACH_LLM_MODEL)")


@app.command("check")
def check(
    timeout: float | None = typer.Option(None, "--timeout", min=0.1,
                                         help="Seconds to wait (default: llm.timeout)."),
) -> None:
    """Ask the server for its models and the model for a one-word reply; exit 1 on failure."""
    from dataclasses import replace

    from casecoach.cli.render import console
    from casecoach.config import ConfigError, llm_settings
    from casecoach.grading.llm import LlmClient, LlmUnavailable

    try:
        settings = llm_settings()
    except ConfigError as exc:
        fail(str(exc))
    if not settings.base_url:
        fail(f"no LLM server is configured: {HOW_TO}")
    if timeout is not None:
        settings = replace(settings, timeout=timeout)
    # The client needs a model name to exist; listing models does not use it.
    client = LlmClient(replace(settings, model=settings.model or "-"))
    console.print(f"Server  {client.url}", soft_wrap=True, markup=False)
    models: list[str] | None
    try:
        models = client.list_models()
    except LlmUnavailable as exc:
        if "HTTP 404" not in exc.reason and "HTTP 405" not in exc.reason:
            fail(exc.reason)
        models = None  # a server without /models may still chat
        console.print("Models  [dim](the server does not list its models)[/]")
    else:
        shown = ", ".join(models) if models else "none"
        console.print(f"Models  {shown}", soft_wrap=True, markup=False)
    if not settings.model:
        fail("no model is configured: `casecoach config set llm.model MODEL`"
             + (f" (this server has: {', '.join(models)})" if models else ""))
    if models is not None and settings.model not in models:
        fail(f"the server does not serve {settings.model!r}; it has: "
             f"{', '.join(models) or 'no models'}")
    start = time.monotonic()
    try:
        result = client.chat([{"role": "user", "content": "Reply with the single word OK."}],
                             json_mode=False, max_tokens=8, max_tries=1)
    except LlmUnavailable as exc:
        fail(f"the model did not answer: {exc.reason}")
    elapsed = time.monotonic() - start
    reply = " ".join((result.text or "").split())[:60]
    if not reply:
        fail(f"model {result.model} sent an empty reply")
    console.print(f"Model   {result.model} answered in {elapsed:.1f} s: {reply!r}",
                  soft_wrap=True, markup=False)
    console.print("[green]ok[/] LLM grading is available: `--grader hybrid` (the default) or "
                  "`--grader llm`.")
