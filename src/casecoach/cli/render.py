"""How grades, cases and summaries look in the terminal (Rich)."""

from __future__ import annotations

from rich.console import Console, Group
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from casecoach.cases.schema import Case, Question
from casecoach.grading.grade import Grade
from casecoach.session.engine import Summary

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

STATUS_STYLE = {"met": "green", "partly": "yellow", "missed": "red"}
STATUS_MARK = {"met": "✔", "partly": "◐", "missed": "✘"}


def score_style(score: float) -> str:
    if score >= 4.0:
        return "bold green"
    if score >= 3.0:
        return "bold yellow"
    return "bold red"


def score_text(score: float | None) -> Text:
    if score is None:
        return Text("—", style="dim")
    return Text(f"{score:.1f}/5", style=score_style(score))


def case_panel(case: Case) -> Panel:
    tags = ", ".join(case.tags)
    body = Group(
        Text(f"{case.product_area} · {case.difficulty.value} · {tags}", style="dim"),
        Text(""),
        Markdown(case.scenario),
    )
    return Panel(body, title=f"[bold]{case.title}[/]", border_style="cyan")


def question_panel(number: int, total: int, question: Question, prompt: str,
                   follow_up: bool = False) -> Panel:
    if follow_up:
        title = f"Follow-up · {question.competency.label}"
    else:
        title = f"Question {number}/{total} · {question.competency.label}"
    subtitle = None if follow_up else f"about {question.minutes} min"
    return Panel(Markdown(prompt), title=title, subtitle=subtitle, border_style="blue")


def grade_renderable(grade: Grade, show_follow_up: bool = True) -> Group:
    parts: list[object] = []
    head = Text.assemble(("Grade ", "bold"), score_text(grade.score), ("  " + grade.level, ""))
    parts.append(head)
    for note in grade.notes:
        parts.append(Text(f"  {note}", style="yellow"))
    if grade.met or grade.partly:
        parts.append(Text("\nWhat your answer did well", style="bold green"))
        for r in grade.met + grade.partly:
            mark = STATUS_MARK[r.status]
            line = Text(f"  {mark} ", style=STATUS_STYLE[r.status])
            line.append(r.description)
            if r.status == "partly":
                line.append(" (partly)", style="yellow")
            parts.append(line)
            if r.quote:
                parts.append(Text(f'      "{_clip(r.quote)}"', style="italic dim"))
            if r.reason:
                parts.append(Text(f"      {_clip(r.reason)}", style="dim"))
    if grade.missed:
        parts.append(Text("\nWhat it missed", style="bold red"))
        for r in sorted(grade.missed, key=lambda r: -r.weight):
            line = Text(f"  {STATUS_MARK['missed']} ", style="red")
            line.append(r.description)
            parts.append(line)
            if r.hint and r.hint != r.description:
                parts.append(Text(f"      Tip: {r.hint}", style="dim"))
    if grade.red_flags:
        parts.append(Text("\nMistakes", style="bold magenta"))
        for flag in grade.red_flags:
            parts.append(Text(f"  ⚑ {flag.description}", style="magenta"))
            parts.append(Text(f'      "{_clip(flag.quote)}"', style="italic dim"))
    if show_follow_up and grade.follow_up:
        parts.append(Text.assemble(("\nFollow-up: ", "bold cyan"), grade.follow_up))
    by = f"graded by {grade.grader} {grade.grader_version}"
    if grade.model:
        by += f" with {grade.model}"
    parts.append(Text(f"\n{by}", style="dim"))
    return Group(*parts)  # type: ignore[arg-type]


def grade_panel(grade: Grade, title: str = "Feedback", show_follow_up: bool = False) -> Panel:
    return Panel(grade_renderable(grade, show_follow_up), title=title, border_style="green")


def ideal_panel(question: Question) -> Panel:
    return Panel(Markdown(question.ideal_answer), title="A senior-level answer",
                 border_style="magenta")


def summary_panel(summary: Summary) -> Panel:
    table = Table(box=None, show_header=True, header_style="bold")
    table.add_column("Competency")
    table.add_column("Score", justify="right")
    table.add_column("After follow-up", justify="right")
    for r in sorted(summary.results, key=lambda r: r.score):
        table.add_row(r.competency.label, score_text(r.score), score_text(r.follow_up_score))
    parts: list[object] = [table]
    parts.append(Text.assemble(("\nOverall ", "bold"), score_text(summary.overall)))
    if summary.unanswered:
        parts.append(Text(f"{summary.unanswered} question(s) not answered.", style="dim"))
    if summary.next_steps:
        parts.append(Text("\nNext", style="bold"))
        for step in summary.next_steps:
            parts.append(Text(f"  • {step}"))
    return Panel(Group(*parts), title="Session summary", border_style="cyan")  # type: ignore[arg-type]


def _clip(text: str, limit: int = 220) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
