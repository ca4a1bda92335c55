"""`casecoach grade`: grade one answer, or a JSONL batch, without an interview."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

import typer

from casecoach.cli.errors import fail


def _read_text(path: Path) -> str:
    try:
        raw = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        fail(f"{path} is not UTF-8 text")


def grade(
    case: str | None = typer.Option(None, "--case", "-c", help="Case id."),
    question: str | None = typer.Option(None, "--question", "-q", help="Question id in the case."),
    answer_file: Path | None = typer.Option(None, "--answer-file", "-a",
                                            help="File holding the answer ('-' for stdin)."),
    answer: str | None = typer.Option(None, "--answer", help="The answer text itself."),
    input_path: Path | None = typer.Option(None, "--input", "-i",
                                           help="JSONL batch of answers to grade."),
    output: Path | None = typer.Option(None, "--output", "-o",
                                       help="Where to write the JSONL grades (default: stdout)."),
    as_json: bool = typer.Option(False, "--json", help="Print the grade as a JSON row."),
    grader: str | None = typer.Option(
        None, "--grader",
        help="Which grader to use: embedded, hybrid, llm, or a plugin's. Default: hybrid when an "
             "LLM is configured (`casecoach config`), else embedded."),
) -> None:
    """Grade one answer (--case, --question, --answer-file) or a batch (--input, --output).

    Batch rows are {"id", "case", "question", "answer"} or {"id", "question_text",
    "reference", "answer"}; each output row is {"id", "score", "level", "criteria",
    "red_flags", "notes", "follow_up", "grader"} (plus "model", and "fallback" when an LLM
    grader fell back to the embedded one), or {"id", "error"} for a row that cannot be graded.
    """
    if input_path is not None:
        if case or question or answer_file or answer is not None:
            fail("--input grades a batch; do not combine it with --case/--question/--answer")
        _grade_batch(input_path, output, grader)
        return
    if not case or not question:
        fail("give --case and --question with --answer-file, or --input for a batch")
    if (answer_file is None) == (answer is None):
        fail("give the answer with exactly one of --answer-file or --answer")
    text = answer if answer is not None else _read_text(answer_file)  # type: ignore[arg-type]
    _grade_one(case, question, text, as_json, grader)


def _grade_one(case_id: str, question_id: str, text: str, as_json: bool,
               grader: str | None) -> None:
    from casecoach.cli import context
    from casecoach.cli.render import console, grade_panel
    from casecoach.grading.grade import CannotGrade
    from casecoach.grading.protocol import GradingTask

    the_case = context.one_case(case_id)
    try:
        the_question = the_case.question(question_id)
    except KeyError as exc:
        fail(str(exc.args[0]))
    task = GradingTask(question=the_question, answer=text, case=the_case)
    try:
        task.check()
        result = context.grader(grader).grade(task)
    except CannotGrade as exc:
        fail(f"not graded: {exc}")
    if as_json:
        typer.echo(json.dumps(result.to_row(None), ensure_ascii=False))
    else:
        console.print(grade_panel(result, show_follow_up=True))


def _grade_batch(input_path: Path, output: Path | None, grader: str | None) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from casecoach.batch import grade_row, read_rows
    from casecoach.cli import context
    from casecoach.cli.render import err_console

    text = _read_text(input_path)
    lines = text.splitlines()
    lib = context.library()
    the_grader = context.grader(grader)
    out: TextIO
    if output is None:
        out = sys.stdout
    else:
        try:
            out = output.open("w", encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror}")
    graded = errors = fell_back = 0
    progress = Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeRemainingColumn(), console=err_console, transient=output is None,
    )
    try:
        with progress:
            bar = progress.add_task("Grading", total=sum(1 for line in lines if line.strip()))
            for row in read_rows(iter(lines), lib):
                result = grade_row(row, the_grader)
                out.write(json.dumps(result, ensure_ascii=False) + "\n")
                out.flush()
                if "error" in result:
                    errors += 1
                    err_console.print(f"[yellow]{result['error']}[/]", soft_wrap=True)
                else:
                    graded += 1
                    if "fallback" in result:
                        fell_back += 1
                progress.advance(bar)
    finally:
        if output is not None:
            out.close()
    where = f" to {output}" if output else ""
    err_console.print(f"Graded {graded} answer(s){where}; {errors} row(s) could not be graded.")
    if fell_back:
        err_console.print(f"[yellow]{fell_back} of them got the embedded grade: the LLM could not "
                          "be used (see each row's \"fallback\").[/]", soft_wrap=True)
    if graded == 0 and errors:
        raise typer.Exit(1)
