"""`casecoach history` and `casecoach show`: past sessions and their grades."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from casecoach.cli import context
from casecoach.cli.errors import fail

if TYPE_CHECKING:  # rich and the models are imported where used, so --help stays fast
    from casecoach.grading.grade import Grade


def history(
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="How many sessions to list."),
    case: str | None = typer.Option(None, "--case", help="Only sessions of this case."),
) -> None:
    """List past sessions, newest first."""
    from rich import box
    from rich.table import Table

    from casecoach.cli.render import console, score_text

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
    raw: bool = typer.Option(False, "--raw",
                             help="Also print what each LLM-backed grade was built on: the "
                                  "model, the exact prompt and the raw reply."),
) -> None:
    """Print one session: every answer with its grade (--raw: with the LLM prompt and reply)."""
    from casecoach.cli.render import console, grade_panel, question_panel

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
            if raw:
                _print_audit(attempt.grade)
        else:
            console.print("[dim]Not graded yet: `casecoach resume` grades it.[/]")


def _print_audit(grade: Grade) -> None:
    """The audit trail of one grade, printed verbatim (no markup is interpreted)."""
    from casecoach.cli.render import console

    audit = grade.audit
    console.rule(f"Audit · graded by {grade.grader} {grade.grader_version}", style="dim")
    if audit is None:
        console.print("No LLM was asked for this grade.", style="dim")
        return
    facts = [f"model: {grade.model or audit.model or '?'}"]
    if audit.base_url:
        facts.append(f"server: {audit.base_url}")
    if audit.evidence_score is not None:
        facts.append(f"embedded evidence score: {audit.evidence_score:.2f}")
    console.print(" · ".join(facts), markup=False, soft_wrap=True)
    if audit.fallback:
        console.print(f"fell back to the embedded grade: {audit.fallback}", markup=False,
                      soft_wrap=True, style="yellow")
    for message in audit.prompt:
        console.rule(f"prompt · {message.role}", style="dim", align="left")
        console.print(message.content, markup=False, soft_wrap=True, highlight=False)
    for n, attempt in enumerate(audit.tries, start=1):
        if attempt.error:
            console.print(f"try {n}: {attempt.error}", markup=False, soft_wrap=True,
                          style="yellow")
            if attempt.reply is not None:
                console.print(attempt.reply, markup=False, soft_wrap=True, highlight=False,
                              style="dim")
    if audit.raw_reply is not None:
        console.rule("raw reply", style="dim", align="left")
        console.print(audit.raw_reply, markup=False, soft_wrap=True, highlight=False)
    for adjustment in audit.adjustments:
        console.print(f"adjusted: {adjustment}", markup=False, soft_wrap=True, style="dim")
