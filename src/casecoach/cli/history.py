"""`casecoach history` and `casecoach show`: past sessions and their grades."""

from __future__ import annotations

import typer
from rich import box
from rich.table import Table

from casecoach.cli import context
from casecoach.cli.errors import fail
from casecoach.cli.render import console, grade_panel, question_panel, score_text


def history(
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="How many sessions to list."),
    case: str | None = typer.Option(None, "--case", help="Only sessions of this case."),
) -> None:
    """List past sessions, newest first."""
    sessions = context.store().list_sessions(limit=limit, case_id=case)
    if not sessions:
        console.print("No sessions yet. Start one with [cyan]casecoach interview[/].")
        return
    table = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0))
    for column in ("session", "started", "case", "mode", "status", "answers", "score"):
        table.add_column(column, no_wrap=True)
    for s in sessions:
        table.add_row(s.id[:8], s.created_at.astimezone().strftime("%m-%d %H:%M"), s.case_id,
                      s.mode, s.status, f"{s.n_graded}/{s.n_answers}", score_text(s.mean_score))
    console.print(table)


def show(
    session_ref: str = typer.Argument(..., metavar="SESSION", help="Session id or prefix."),
) -> None:
    """Print one session: every answer with its grade."""
    store = context.store()
    try:
        view = store.get_session(session_ref)
    except LookupError as exc:
        fail(str(exc.args[0]) if exc.args else str(exc))
    when = view.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
    console.print(f"[bold]Session {view.id[:8]}[/] · {view.case_id} · {view.mode} · "
                  f"{view.status} · {when}")
    lib = context.library(warn=False)
    case = lib.cases.get(view.case_id)
    for attempt in view.attempts:
        question = case.question(attempt.question_id) if case else None
        if question is not None:
            console.print(question_panel(attempt.seq, len(view.attempts), question,
                                         attempt.prompt, follow_up=attempt.kind == "follow_up"))
        else:
            console.rule(f"{attempt.question_id} ({attempt.kind})")
        console.print(attempt.answer, soft_wrap=True, markup=False)
        if attempt.grade is not None:
            console.print(grade_panel(attempt.grade))
        else:
            console.print("[dim]Not graded yet: `casecoach resume` grades it.[/]")
