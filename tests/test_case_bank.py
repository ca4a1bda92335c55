"""The case bank and choosing what to practise: filters, scaffolding, schema, weakest area."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from casecoach.cases.loader import CaseLibrary, parse_case
from casecoach.cases.scaffold import scaffold
from casecoach.cases.schema import Competency
from casecoach.cases.select import filter_cases
from casecoach.cli import app
from casecoach.progress import case_for_competency, competency_means, weakest_competency
from casecoach.store import GradeRow

runner = CliRunner()
LIB = CaseLibrary.load()


def row(case: str, competency: str, score: float, kind: str = "answer") -> GradeRow:
    return GradeRow(session_id="s", case_id=case, question_id=competency,
                    competency=competency, kind=kind, score=score,
                    created_at=datetime.now(UTC))


def test_bank_covers_the_round() -> None:
    assert len(LIB) >= 12
    for case in LIB:
        assert {c.value for c in case.competencies} >= {
            "research-design", "analytical-design", "storytelling", "goals-metrics",
            "data-visualization",
        }, case.id
        assert case.tags and case.difficulty


def test_no_two_cases_share_a_scenario() -> None:
    seen: dict[str, str] = {}
    for case in LIB:
        key = " ".join(case.scenario.lower().split())[:200]
        assert key not in seen, (case.id, seen.get(key))
        seen[key] = case.id
    titles = [c.title for c in LIB]
    assert len(set(titles)) == len(titles)


def test_filters() -> None:
    stats = filter_cases(LIB, competency=Competency.statistics)
    assert stats and all(Competency.statistics in c.competencies for c in stats)
    tagged = filter_cases(LIB, tag="experimentation")
    assert tagged and all("experimentation" in c.tags or "experimentation" in
                          c.product_area.lower() for c in tagged)
    assert filter_cases(LIB, tag="no-such-tag") == []


def test_scaffold_is_valid_and_cli_writes_it(tmp_path: Path) -> None:
    case = parse_case(scaffold("my-case"), tmp_path / "my-case.yaml")
    assert case.id == "my-case"
    result = runner.invoke(app, ["cases", "new", "my-case", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "my-case.yaml").exists()
    again = runner.invoke(app, ["cases", "new", "my-case", "--dir", str(tmp_path)])
    assert again.exit_code == 1 and "already exists" in again.output
    bad = runner.invoke(app, ["cases", "new", "My Case"])
    assert bad.exit_code == 1 and "not a valid id" in bad.output


def test_cases_path_and_schema(casecoach_home: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["cases", "path"])
    assert result.exit_code == 0 and result.output.strip() == str(casecoach_home / "cases")
    result = runner.invoke(app, ["cases", "schema"])
    schema = json.loads(result.output)
    assert schema["title"] == "Case" and "questions" in schema["properties"]
    target = tmp_path / "case.schema.json"
    result = runner.invoke(app, ["cases", "schema", "--output", str(target)])
    assert result.exit_code == 0 and json.loads(target.read_text())["title"] == "Case"


def test_cases_list_filters_from_cli() -> None:
    result = runner.invoke(app, ["cases", "list", "--competency", "statistics", "--json"])
    ids = [c["id"] for c in json.loads(result.output)]
    assert ids and all(Competency.statistics in LIB.get(i).competencies for i in ids)
    result = runner.invoke(app, ["cases", "list", "--tag", "no-such-tag"])
    assert result.exit_code == 0 and "No case matches" in result.output


def test_weakest_uses_recent_first_answers() -> None:
    rows = [row("a", "storytelling", 2.0), row("a", "research-design", 3.0),
            row("a", "storytelling", 4.5, kind="follow_up")]
    assert competency_means(rows) == {Competency.storytelling: 2.0,
                                      Competency.research_design: 3.0}
    assert weakest_competency(rows) is Competency.storytelling
    assert weakest_competency(rows, among=[Competency.research_design]) is \
        Competency.research_design
    assert weakest_competency([]) is None
    improving = [row("a", "storytelling", 1.0)] + [row("a", "storytelling", 4.0)] * 5
    assert competency_means(improving)[Competency.storytelling] == 4.0


def test_case_for_competency_prefers_unpractised() -> None:
    cases = filter_cases(LIB, competency=Competency.storytelling)
    practised = [row(c.id, "storytelling", 3.0) for c in cases[1:]]
    chosen = case_for_competency(cases, Competency.storytelling, practised, random.Random(0))
    assert chosen is not None and chosen.id == cases[0].id
    assert case_for_competency(cases, Competency.product_sense, []) is None


def test_interview_weakest_picks_from_history() -> None:
    first = runner.invoke(app, ["interview", "--weakest"])
    assert first.exit_code == 1 and "no graded answers yet" in first.output
    done = runner.invoke(app, ["interview", "--case", "stories-metric-drop", "--mode", "mock",
                               "--focus", "storytelling,goals-metrics"],
                         input="Tell them the number.\n.\n" + LIB.get(
                             "stories-metric-drop").question("goals-metrics").ideal_answer
                         + "\n.\n")
    assert done.exit_code == 0, done.output
    result = runner.invoke(app, ["interview", "--weakest"], input="")
    assert result.exit_code == 0, result.output
    assert "weakest competency lately: Storytelling" in result.output


def test_interview_tag_and_random() -> None:
    result = runner.invoke(app, ["interview", "--tag", "no-such-tag"])
    assert result.exit_code == 1 and "no case has the tag" in result.output
    result = runner.invoke(app, ["interview", "--random", "--mode", "mock"], input="")
    assert result.exit_code == 0 and "Question 1/" in result.output
    result = runner.invoke(app, ["interview", "--case", "community-insights", "--random"])
    assert result.exit_code == 1


def _case_texts(case: Any) -> Iterator[tuple[str, str]]:
    yield "scenario", case.scenario
    for q in case.questions:
        yield f"{q.id}.prompt", q.prompt
        yield f"{q.id}.ideal_answer", q.ideal_answer
        if q.rubric:
            for c in q.rubric.criteria:
                for p in c.phrasings:
                    yield f"{q.id}.{c.id}", p
            for r in q.rubric.red_flags:
                for p in r.phrasings:
                    yield f"{q.id}.{r.id}", p


def test_no_case_text_copies_a_source() -> None:
    """Cases are written in our own words: no 8-word run from the planning documents."""
    from scripts.fingerprint_sources import fingerprint, shingles

    path = Path(__file__).parent / "data" / "source_fingerprints.txt"
    prints = set(path.read_text().split())
    assert len(prints) > 1000
    for case in LIB:
        for where, text in _case_texts(case):
            copied = [s for s in shingles(text) if fingerprint(s) in prints]
            assert not copied, f"{case.id} {where} copies: {copied[0]!r}"


def test_every_ideal_answer_grades_senior() -> None:
    """The quality gate's first half: each built-in ideal answer earns ≥ 4.5 from its rubric."""
    from casecoach.grading.protocol import GradingTask
    from casecoach.grading.registry import get_grader

    grader = get_grader("embedded")
    low = []
    for case in LIB:
        for q in case.questions:
            grade = grader.grade(GradingTask(question=q, answer=q.ideal_answer, case=case))
            if grade.score < 4.5:
                low.append((case.id, q.id, grade.score, [f.id for f in grade.red_flags]))
    assert not low


@pytest.mark.parametrize("kind", ["generic", "mistake"])
def test_every_weak_answer_grades_weak(kind: str) -> None:
    """The quality gate's second half: on every built-in question, a vague answer that could
    be about any product and an answer that makes the question's typical mistake both grade
    ≤ 2.5 (tests/data/weak_answers.yaml)."""
    import yaml

    from casecoach.grading.protocol import GradingTask
    from casecoach.grading.registry import get_grader

    weak = yaml.safe_load((Path(__file__).parent / "data" / "weak_answers.yaml").read_text())
    grader = get_grader("embedded")
    high = []
    for case in LIB:
        for q in case.questions:
            answer = weak[case.id][q.id][kind]
            grade = grader.grade(GradingTask(question=q, answer=answer, case=case))
            if grade.score > 2.5:
                high.append((case.id, q.id, grade.score))
    assert not high
