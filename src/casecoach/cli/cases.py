"""`casecoach cases`: list, show and validate case files."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from casecoach.cases.competency import Competency
from casecoach.cli.errors import fail

app = typer.Typer(help="Browse and check cases.", no_args_is_help=True)


@app.command("list")
def list_cases(
    tag: str | None = typer.Option(None, "--tag", "-t", help="Only cases with this tag."),
    competency: Competency | None = typer.Option(
        None, "--competency", help="Only cases with a question on this competency."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the cases as JSON."),
) -> None:
    """List the cases you can practise (built-in ones and your own folder's)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from casecoach.cases.select import filter_cases
    from casecoach.cli import context
    from casecoach.cli.render import console

    cases = filter_cases(context.library(), tag, competency)
    if not cases and not as_json:
        console.print("No case matches. `casecoach cases list` shows them all.")
        return
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
            for c in cases
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0))
    table.add_column("id", no_wrap=True)  # ids are typed back: never break them
    table.add_column("level", no_wrap=True)
    table.add_column("Qs", no_wrap=True, justify="right")
    table.add_column("case", ratio=1)
    for c in cases:
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
    from rich.markdown import Markdown

    from casecoach.cli import context
    from casecoach.cli.render import case_panel, console, ideal_panel, question_panel

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
    """Check case files against the schema; every problem is reported with file, line, field.

    Also warns where a red flag's signs (or named detector) would flag one of the case's own
    ideal answers, and where an ideal answer has a sentence that only promises rigour ("a
    robust, holistic framework"), which the grader gives no credit."""
    from casecoach.cases.loader import validate_path
    from casecoach.cli.render import console, err_console

    if not path.exists():
        fail(f"{path} does not exist")
    from casecoach.grading.mistakes import flagged_ideals
    from casecoach.grading.text import split_units, vague

    good, bad = validate_path(path)
    for case in good:
        console.print(f"[green]ok[/] {case.id} ({len(case.questions)} questions)")
        for flag_id, question_id, quote in flagged_ideals(case):
            err_console.print(
                f"[yellow]warning[/] {case.id}: red flag {flag_id} would flag the ideal answer "
                f'of {question_id}: "{quote}"; narrow its signs', soft_wrap=True)
        for question in case.questions:
            for sentence in filter(vague, split_units(question.ideal_answer)):
                err_console.print(
                    f"[yellow]warning[/] {case.id}: the ideal answer of {question.id} has a "
                    f'sentence that earns no credit: "{sentence}"; say what is done instead of '
                    "how rigorous it is", soft_wrap=True)
    for error in bad:
        for problem in error.problems:
            err_console.print(f"[red]error[/] {problem}", soft_wrap=True)
    if not good and not bad:
        fail(f"no .yaml case files in {path}")
    if bad:
        raise typer.Exit(1)


@app.command("path")
def path() -> None:
    """Print the folder for your own case files (created if missing)."""
    from casecoach.paths import user_cases_dir

    typer.echo(str(user_cases_dir()))


@app.command("schema")
def schema(
    output: Path | None = typer.Option(None, "--output", "-o",
                                       help="Write to this file instead of stdout."),
) -> None:
    """Print the JSON Schema of a case file, for editor completion and checks."""
    from casecoach.cases.schema import Case
    from casecoach.cli.render import err_console

    text = json.dumps(Case.model_json_schema(), indent=2)
    if output is None:
        typer.echo(text)
        return
    try:
        output.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    err_console.print(f"Wrote {output}")


@app.command("new")
def new(
    case_id: str = typer.Argument(..., metavar="ID",
                                  help="Id of the new case (lowercase-with-dashes)."),
    title: str | None = typer.Option(None, "--title", help="The case's title."),
    folder: Path | None = typer.Option(None, "--dir",
                                       help="Where to write it (default: your cases folder)."),
) -> None:
    """Scaffold a new case file, valid as written, to fill in."""
    import re

    from casecoach.cases.loader import parse_case
    from casecoach.cases.scaffold import scaffold
    from casecoach.cli.render import console
    from casecoach.paths import user_cases_dir

    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", case_id):
        fail(f"{case_id!r} is not a valid id: use lowercase letters, digits and dashes")
    target = (folder or user_cases_dir()) / f"{case_id}.yaml"
    if target.exists():
        fail(f"{target} already exists")
    text = scaffold(case_id, title)
    parse_case(text, target)  # the scaffold must always be valid
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror}")
    console.print(f"Wrote [cyan]{target}[/]. Edit it, then: casecoach cases validate {target}")
