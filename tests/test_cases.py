"""Case files: the built-in ones validate, and broken ones are reported with file, line, field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from casecoach.cases.loader import CaseFileError, CaseLibrary, load_case_file, validate_path
from casecoach.cases.schema import Case
from tests.conftest import TINY_CASE


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_builtin_library_loads_community_insights() -> None:
    lib = CaseLibrary.load()
    assert lib.problems == []
    case = lib.get("community-insights")
    assert [q.id for q in case.questions][:5] == [
        "research-design", "analytical-design", "storytelling", "goals-metrics",
        "data-visualization",
    ]


def test_every_builtin_question_meets_the_authoring_bar() -> None:
    for case in CaseLibrary.load():
        for q in case.questions:
            where = f"{case.id}/{q.id}"
            assert q.rubric is not None, where
            assert len(q.rubric.criteria) >= 5, where
            assert all(len(c.phrasings) >= 3 for c in q.rubric.criteria), where
            assert len(q.rubric.red_flags) >= 2, where
            assert len(q.follow_ups) >= 2, where
            assert len(q.ideal_answer.split()) >= 120, where


def test_missing_field_names_line_and_field(tmp_path: Path) -> None:
    data = dict(TINY_CASE)
    data["questions"] = [dict(TINY_CASE["questions"][0])]  # type: ignore[index]
    del data["questions"][0]["prompt"]  # type: ignore[index]
    path = write(tmp_path / "tiny.yaml", yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(CaseFileError) as info:
        load_case_file(path)
    problem = info.value.problems[0]
    assert problem.field == "questions[0].prompt"
    assert problem.message == "required field is missing"
    lines = path.read_text().splitlines()
    assert problem.line is not None and "- id: design" in lines[problem.line - 1]
    assert str(problem).startswith(f"{path}:{problem.line}: questions[0].prompt:")


def test_bad_value_points_at_its_line(tmp_path: Path) -> None:
    text = yaml.safe_dump(TINY_CASE, sort_keys=False).replace(
        "competency: storytelling", "competency: story-telling"
    )
    path = write(tmp_path / "tiny.yaml", text)
    with pytest.raises(CaseFileError) as info:
        load_case_file(path)
    (problem,) = info.value.problems
    assert problem.field == "questions[1].competency"
    assert "story-telling" in path.read_text().splitlines()[problem.line - 1]  # type: ignore[operator]


def test_every_problem_is_reported(tmp_path: Path) -> None:
    text = yaml.safe_dump(TINY_CASE, sort_keys=False)
    text = text.replace("weight: 2", "weight: -1").replace("title: Tiny", "title: ''")
    with pytest.raises(CaseFileError) as info:
        load_case_file(write(tmp_path / "tiny.yaml", text))
    fields = {p.field for p in info.value.problems}
    assert {"title", "questions[0].rubric.criteria[0].weight"} <= fields


def test_invalid_yaml_and_non_utf8(tmp_path: Path) -> None:
    with pytest.raises(CaseFileError, match=r"broken.yaml:\d+: invalid YAML"):
        load_case_file(write(tmp_path / "broken.yaml", "id: x\ntitle: [unclosed\n"))
    bad = tmp_path / "latin.yaml"
    bad.write_bytes("title: caf\xe9".encode("latin-1"))
    with pytest.raises(CaseFileError, match="not UTF-8"):
        load_case_file(bad)


def test_id_must_match_file_name(tmp_path: Path) -> None:
    path = write(tmp_path / "other.yaml", yaml.safe_dump(TINY_CASE))
    with pytest.raises(CaseFileError, match="must match the file name"):
        load_case_file(path)


def test_follow_up_must_target_known_criteria(tmp_path: Path) -> None:
    text = yaml.safe_dump(TINY_CASE, sort_keys=False).replace("- duration\n", "- durration\n")
    with pytest.raises(CaseFileError, match="unknown criteria: durration"):
        load_case_file(write(tmp_path / "tiny.yaml", text))


def test_user_folder_adds_cases_and_reports_broken_ones(tmp_path: Path) -> None:
    write(tmp_path / "tiny.yaml", yaml.safe_dump(TINY_CASE))
    write(tmp_path / "bad.yaml", "id: bad\n")
    lib = CaseLibrary.load(tmp_path)
    assert isinstance(lib.get("tiny"), Case)
    assert "community-insights" in lib.cases
    assert len(lib.problems) == 1 and "bad.yaml" in str(lib.problems[0])


def test_validate_folder(tmp_path: Path) -> None:
    write(tmp_path / "tiny.yaml", yaml.safe_dump(TINY_CASE))
    write(tmp_path / "bad.yaml", "id: bad\n")
    good, bad = validate_path(tmp_path)
    assert [c.id for c in good] == ["tiny"]
    assert len(bad) == 1


def test_unknown_case_lists_valid_ids() -> None:
    with pytest.raises(LookupError, match="valid cases: .*community-insights"):
        CaseLibrary.load().get("nope")


def test_a_red_flag_may_name_a_known_detector_only() -> None:
    from pydantic import ValidationError

    from casecoach.cases.schema import RedFlag

    flag = {"id": "early-stop", "description": "Stops early.", "phrasings": ["Stop early."]}
    assert RedFlag.model_validate({**flag, "detector": "peeking"}).detector == "peeking"
    with pytest.raises(ValidationError, match="unknown detector 'peek'; known: .*peeking"):
        RedFlag.model_validate({**flag, "detector": "peek"})
