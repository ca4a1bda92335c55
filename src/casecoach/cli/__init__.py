"""The `casecoach` command line: a thin shell over the engine, the grader and the store."""

from __future__ import annotations

import os
import sys

import typer

from casecoach import __version__
from casecoach.cli import cases, config, grade, history, interview, llm, serve

app = typer.Typer(
    name="casecoach",
    help="Practise product data-science case interviews: one question at a time, graded offline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)
app.command("interview")(interview.interview)
app.command("resume")(interview.resume)
app.command("grade")(grade.grade)
app.command("history")(history.history)
app.command("show")(history.show)
app.command("serve")(serve.serve)
app.add_typer(cases.app, name="cases")
app.add_typer(config.app, name="config")
app.add_typer(llm.app, name="llm")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"casecoach {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Practise product data-science case interviews: one question at a time, graded offline."""


def main() -> None:
    """Entry point: no traceback reaches the user unless CASECOACH_DEBUG is set."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("\nInterrupted. Submitted answers are saved: `casecoach resume` continues.",
                   err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if os.environ.get("CASECOACH_DEBUG"):
            raise
        typer.echo(f"Error: unexpected {type(exc).__name__}: {exc}", err=True)
        typer.echo("Set CASECOACH_DEBUG=1 to see the traceback.", err=True)
        sys.exit(1)
