"""`casecoach cases`: list, show and validate case files."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich import box
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text

from casecoach.cases.loader import validate_path
from casecoach.cli import context
from casecoach.cli.errors import fail
from casecoach.cli.render import case_panel, console, err_console, ideal_panel, question_panel

app = typer.Typer(help="Browse and check cases.", no_args_is_help=True)


@app.command("list")
def list_cases(
    as_json: bool = typer.Option(False, "--json", help="Print the cases as JSON."),
) -> None:
    """List the cases you can practise (built-in ones and your own folder's)."""
    lib = context.library()
    if as_json:
        rows = [
            {
                "id": c.id,
                "title": c.title,
                "product_area": c.product_area,
                "difficulty": c.difficulty.value,
                "tags": c.tags,
                "questions": [{"id": q.id, "competency": q.competency.value} for q in c.questions],
            }
            for c in lib
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0))
    table.add_column("id", no_wrap=True)  # ids are typed back: never break them
    table.add_column("level", no_wrap=True)
    table.add_column("Qs", no_wrap=True, justify="right")
    table.add_column("case", ratio=1)
    for c in lib:
        about = Text(c.title)
        about.append(f"\n{c.product_area} · {', '.join(c.tags)}", style="dim")
        table.add_row(c.id, c.difficulty.value, str(len(c.questions)), about)
    console.print(table)


@app.command("show")
def show_case(
    case_id: str = typer.Argument(..., metavar="ID", help="Case id."),
    ideal: bool = typer.Option(False, "--ideal", help="Also show the senior-level answers."),
) -> None:
    """Show a case: its scenario and questions."""
    case = context.case(context.library(), case_id)
    console.print(case_panel(case))
    for n, q in enumerate(case.questions, start=1):
        console.print(question_panel(n, len(case.questions), q, q.prompt))
        if ideal:
            console.print(ideal_panel(q))
    if not ideal:
        console.print(Markdown("*Add `--ideal` to see the senior-level answers.*"))


@app.command("validate")
def validate(
    path: Path = typer.Argument(..., help="A case file, or a folder of them."),
) -> None:
    """Check case files against the schema; every problem is reported with file, line, field."""
    if not path.exists():
        fail(f"{path} does not exist")
    good, bad = validate_path(path)
    for case in good:
        console.print(f"[green]ok[/] {case.id} ({len(case.questions)} questions)")
    for error in bad:
        for problem in error.problems:
            err_console.print(f"[red]error[/] {problem}", soft_wrap=True)
    if not good and not bad:
        fail(f"no .yaml case files in {path}")
    if bad:
        raise typer.Exit(1)
