"""Turning expected failures into one clear line and a non-zero exit."""

from __future__ import annotations

from typing import NoReturn

import typer

from casecoach.cli.render import err_console


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]Error:[/] {message}", soft_wrap=True)
    raise typer.Exit(code)
