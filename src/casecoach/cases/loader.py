"""Loading case files: YAML in, validated `Case` out, with errors that point at file and line."""

from __future__ import annotations

import importlib.resources
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from casecoach.cases.schema import Case


@dataclass(frozen=True)
class CaseProblem:
    """One thing wrong with a case file: where, which field, and what."""

    file: Path
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class CaseFileError(ValueError):
    """A case file that cannot be used, with every problem found in it."""

    def __init__(self, problems: list[CaseProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class UnknownCase(LookupError):
    def __init__(self, case_id: str, valid: Iterable[str]):
        self.case_id = case_id
        self.valid = sorted(valid)
        super().__init__(f"no case {case_id!r}; valid cases: {', '.join(self.valid)}")


def _line_index(
    node: yaml.Node, path: tuple[Any, ...] = ()
) -> Iterator[tuple[tuple[Any, ...], int]]:
    """Yield (path, 1-based line) for every node, so validation errors can name a line."""
    yield path, node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            key_path = (*path, key.value)
            yield key_path, key.start_mark.line + 1
            for sub_path, line in _line_index(value, key_path):
                if sub_path != key_path:
                    yield sub_path, line
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from _line_index(item, (*path, i))


# libyaml's loader when PyYAML has it: the built-in cases load about ten times faster.
_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _lines(text: str) -> dict[tuple[Any, ...], int]:
    """Line of every field, computed only when there is an error to report."""
    node = yaml.compose(text, Loader=_Loader)
    return dict(_line_index(node)) if node is not None else {}


def _nearest_line(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _field_name(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts)


def parse_case(text: str, file: Path) -> Case:
    """Validate one case document; raise `CaseFileError` listing every problem."""
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise CaseFileError([CaseProblem(file, line, "", f"invalid YAML: {problem}")]) from None
    if not isinstance(data, dict):
        raise CaseFileError([CaseProblem(file, 1, "", "a case file must be a YAML mapping")])
    try:
        case = Case.model_validate(data)
    except ValidationError as exc:
        lines = _lines(text)
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            message = err["msg"]
            if err["type"] == "missing":
                message = "required field is missing"
            problems.append(CaseProblem(file, _nearest_line(lines, loc), _field_name(loc), message))
        raise CaseFileError(problems) from None
    if file.suffix in {".yaml", ".yml"} and file.stem != case.id:
        line = _lines(text).get(("id",))
        raise CaseFileError(
            [CaseProblem(file, line, "id", f"case id {case.id!r} must match the file name")]
        )
    return case


def load_case_file(path: Path) -> Case:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CaseFileError([CaseProblem(path, None, "", f"cannot read: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CaseFileError([CaseProblem(path, None, "", "file is not UTF-8 text")]) from None
    return parse_case(text, path)


def case_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in {".yaml", ".yml"} and p.is_file())


def builtin_case_files_dir() -> Path:
    return Path(str(importlib.resources.files("casecoach.cases") / "builtin"))


def builtin_case_files() -> list[Path]:
    return case_files(builtin_case_files_dir())


@dataclass
class CaseLibrary:
    """Every case a user can practise: the built-in ones plus their own folder's.

    A user's case with the same id as a built-in one replaces it, so coaches can adapt cases.
    Broken user files are reported in `problems` rather than hiding the other cases.
    """

    cases: dict[str, Case]
    problems: list[CaseFileError]

    @classmethod
    def load(cls, user_dir: Path | None = None) -> CaseLibrary:
        cases: dict[str, Case] = {}
        problems: list[CaseFileError] = []
        files = builtin_case_files() + (case_files(user_dir) if user_dir else [])
        for path in files:
            try:
                case = load_case_file(path)
            except CaseFileError as exc:
                problems.append(exc)
                continue
            cases[case.id] = case
        return cls(cases=cases, problems=problems)

    @classmethod
    def load_one(cls, case_id: str, user_dir: Path | None = None) -> Case:
        """One case by id, parsing only its file: a case file is named after its id, and a
        user's file replaces the built-in one. Parsing every case would cost a one-answer
        `casecoach grade` a third of its start-up. A broken file is an error here (with its
        line and field), not skipped: the user asked for this case. An unknown id lists the
        valid ones."""
        folders = ([user_dir] if user_dir else []) + [builtin_case_files_dir()]
        for folder in folders:
            for suffix in (".yaml", ".yml"):
                path = folder / f"{case_id}{suffix}"
                if path.is_file():
                    return load_case_file(path)
        raise UnknownCase(case_id, cls.load(user_dir).cases)

    def get(self, case_id: str) -> Case:
        try:
            return self.cases[case_id]
        except KeyError:
            raise UnknownCase(case_id, self.cases) from None

    def __iter__(self) -> Iterator[Case]:
        return iter(sorted(self.cases.values(), key=lambda c: c.id))

    def __len__(self) -> int:
        return len(self.cases)


def validate_path(path: Path) -> tuple[list[Case], list[CaseFileError]]:
    """Validate one file or every case file in a folder."""
    files = case_files(path) if path.is_dir() else [path]
    good: list[Case] = []
    bad: list[CaseFileError] = []
    for file in files:
        try:
            good.append(load_case_file(file))
        except CaseFileError as exc:
            bad.append(exc)
    return good, bad
