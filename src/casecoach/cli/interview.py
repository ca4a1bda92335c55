"""`casecoach interview` and `casecoach resume`: a mock interview in the terminal."""

from __future__ import annotations

import random
import sys
from typing import TYPE_CHECKING

import typer

from casecoach.cli.errors import fail
from casecoach.session.mode import Mode

if TYPE_CHECKING:  # the heavy parts load when a command runs, so --help stays fast
    from casecoach.cases.loader import CaseLibrary
    from casecoach.cases.schema import Case, Competency
    from casecoach.cli.answers import AnswerReader
    from casecoach.practice import PracticeSession
    from casecoach.store import Store


def _pick_case(cases: list[Case]) -> Case:
    from rich.prompt import IntPrompt
    from rich.table import Table

    from casecoach.cli.render import console

    if len(cases) == 1:
        return cases[0]
    if not sys.stdin.isatty():
        fail("choose a case with --case; cases: " + ", ".join(c.id for c in cases))
    table = Table(title="Cases", header_style="bold")
    table.add_column("#", justify="right")
    table.add_column("Case")
    table.add_column("Area")
    table.add_column("Difficulty")
    for i, c in enumerate(cases, start=1):
        table.add_row(str(i), c.title, c.product_area, c.difficulty.value)
    console.print(table)
    choice = IntPrompt.ask("Which case", choices=[str(i) for i in range(1, len(cases) + 1)],
                           show_choices=False, default=1)
    return cases[choice - 1]


def _weakest(lib: CaseLibrary, store: Store, tag: str | None) -> tuple[Case, list[Competency]]:
    """The case and focus that train the weakest competency in the candidate's history."""
    from casecoach.cases.select import filter_cases
    from casecoach.cli.render import console
    from casecoach.progress import case_for_competency, weakest_competency

    rows = store.all_grades()
    cases = filter_cases(lib, tag)
    competency = weakest_competency(rows, among={c for case in cases for c in case.competencies})
    if competency is None:
        fail("no graded answers yet: take an interview first, then --weakest can pick for you")
    chosen = case_for_competency(cases, competency, rows, random.Random())
    assert chosen is not None  # the competency was taken from these cases
    console.print(f"Your weakest competency lately: [bold]{competency.label}[/]. "
                  f"Practising it on [cyan]{chosen.id}[/].")
    return chosen, [competency]


def interview(
    case: str | None = typer.Option(None, "--case", "-c",
                                    help="Case id (see `casecoach cases list`)."),
    tag: str | None = typer.Option(None, "--tag", "-t", help="Pick among cases with this tag."),
    random_case: bool = typer.Option(False, "--random", help="Pick a case at random."),
    weakest: bool = typer.Option(False, "--weakest",
                                 help="Practise your weakest competency (from your history)."),
    mode: Mode = typer.Option(Mode.practice, "--mode", "-m",
                              help="practice: feedback after each answer; mock: only at the end."),
    focus: str | None = typer.Option(None, "--focus",
                                     help="Only these competencies, comma-separated "
                                          "(e.g. research-design,storytelling)."),
    minutes: int | None = typer.Option(None, "--minutes", min=1,
                                       help="Mock mode: a per-question timer, in minutes."),
    follow_ups: bool = typer.Option(True, "--follow-ups/--no-follow-ups",
                                    help="Practice mode: ask a follow-up where an answer had a "
                                         "gap."),
    editor: bool = typer.Option(False, "--editor", help="Write each answer in $EDITOR."),
    grader: str | None = typer.Option(
        None, "--grader",
        help="Which grader to use: embedded, hybrid, llm, or a plugin's. Default: hybrid when an "
             "LLM is configured (`casecoach config`), else embedded."),
) -> None:
    """Take a mock interview: the case, then one question at a time, each answer graded.

    On a terminal, Esc then Enter submits an answer. When standard input is not a terminal,
    an answer is the lines up to one holding only "." and end of input ends the session
    (saved: `casecoach resume` continues it). An answer of "/skip" skips the question.
    """
    from casecoach.cases.select import filter_cases
    from casecoach.cli import context
    from casecoach.cli.answers import AnswerReader
    from casecoach.cli.render import case_panel, console
    from casecoach.practice import PracticeSession
    from casecoach.session.engine import InterviewError, parse_focus

    try:
        competencies = parse_focus(focus)
    except ValueError as exc:
        fail(str(exc))
    if case and (tag or random_case or weakest):
        fail("--case names one case; do not combine it with --tag, --random or --weakest")
    lib = context.library()
    store = context.store()
    if weakest:
        chosen, competencies = _weakest(lib, store, tag)
    elif case:
        chosen = context.case(lib, case)
    else:
        cases = filter_cases(lib, tag)
        if not cases:
            fail(f"no case has the tag {tag!r}; see `casecoach cases list`")
        chosen = random.choice(cases) if random_case else _pick_case(cases)
    the_grader = context.grader(grader)
    try:
        session = PracticeSession.start(store, chosen, the_grader, mode, competencies,
                                         follow_ups)
    except InterviewError as exc:
        fail(str(exc))
    console.print(case_panel(chosen))
    console.print(f"[dim]Session {session.session_id[:8]} · {mode.value} mode · "
                  "answers are saved as you submit them.[/]")
    _run(session, AnswerReader(use_editor=editor), minutes if mode is Mode.mock else None)


def resume(
    session_ref: str | None = typer.Argument(None, metavar="[SESSION]",
                                             help="Session id or prefix; default: the latest "
                                                  "unfinished one."),
    editor: bool = typer.Option(False, "--editor", help="Write each answer in $EDITOR."),
    grader: str | None = typer.Option(
        None, "--grader",
        help="Which grader to use: embedded, hybrid, llm, or a plugin's. Default: hybrid when an "
             "LLM is configured (`casecoach config`), else embedded."),
) -> None:
    """Continue an interview where it stopped: nothing submitted is asked again."""
    from casecoach.cli import context
    from casecoach.cli.answers import AnswerReader
    from casecoach.cli.render import case_panel, console
    from casecoach.practice import NothingToResume, PracticeSession
    from casecoach.session.engine import InterviewError

    lib = context.library()
    store = context.store()
    the_grader = context.grader(grader)
    try:
        session = PracticeSession.resume(store, lib, the_grader, session_ref)
    except (NothingToResume, LookupError, InterviewError) as exc:
        fail(str(exc.args[0]) if exc.args else str(exc))
    answered = len(session.interview.turns)
    console.print(case_panel(session.interview.case))
    console.print(f"[dim]Resuming session {session.session_id[:8]}: "
                  f"{answered} answer(s) already saved.[/]")
    _run(session, AnswerReader(use_editor=editor), None)


def _run(session: PracticeSession, reader: AnswerReader, minutes: int | None) -> None:
    from casecoach.cli.answers import QUIT, SKIP
    from casecoach.cli.render import console, ideal_panel, question_panel, summary_panel
    from casecoach.grading.grade import CannotGrade

    engine = session.interview
    practice = engine.mode is Mode.practice
    while not engine.finished:
        if engine.awaiting_grade is not None:
            _grade_pending(session, practice)
            continue
        step = engine.current
        assert step is not None
        console.print(question_panel(step.number, step.total, step.question, step.prompt,
                                     follow_up=step.kind == "follow_up"))
        if step.kind == "follow_up":
            console.print("[dim]Answer the follow-up, or /skip to see the senior-level "
                          "answer.[/]")
        answer = reader.read(minutes)
        if answer is None or answer.strip() == QUIT:
            console.print(f"\n[bold]Saved.[/] Continue later with "
                          f"[cyan]casecoach resume {session.session_id[:8]}[/].")
            return
        if answer.strip() == SKIP:
            if practice:
                console.print(ideal_panel(step.question))
            session.skip()
            continue
        try:
            session.submit(answer)
        except CannotGrade as exc:
            console.print(f"[yellow]Not submitted:[/] {exc}. Please answer again.")
            continue
        if not practice:
            console.print("[dim]Answer saved.[/]")
    session.finish()
    if not practice:
        _mock_debrief(session)
    console.print(summary_panel(engine.summary()))
    console.print(f"[dim]Saved as session {session.session_id[:8]}: "
                  f"casecoach show {session.session_id[:8]}[/]")


def _grade_pending(session: PracticeSession, practice: bool) -> None:
    from casecoach.cli.render import console, grade_panel, ideal_panel

    if practice:
        with console.status("Grading…"):
            result = session.grade_pending()
    else:
        result = session.grade_pending()
    if result is None or not practice:
        return
    turn, grade = result
    title = "Feedback on your follow-up" if turn.step.kind == "follow_up" else "Feedback"
    console.print(grade_panel(grade, title=title))
    engine = session.interview
    next_step = engine.current
    asks_follow_up = (next_step is not None and next_step.kind == "follow_up"
                      and next_step.question.id == turn.step.question.id)
    if not asks_follow_up:
        console.print(ideal_panel(turn.step.question))


def _mock_debrief(session: PracticeSession) -> None:
    from casecoach.cli.render import console, grade_panel, ideal_panel, question_panel

    console.rule("Debrief")
    for turn in session.interview.turns:
        if turn.grade is None:
            continue
        q = turn.step.question
        console.print(question_panel(turn.step.number, turn.step.total, q, q.prompt))
        console.print(grade_panel(turn.grade))
        console.print(ideal_panel(q))
