"""What every command needs: the case library, the store and a grader, opened lazily."""

from __future__ import annotations

from typing import TYPE_CHECKING

from casecoach.cli.errors import fail

if TYPE_CHECKING:  # imported by the functions that need them, so --help stays fast
    from casecoach.cases.loader import CaseLibrary
    from casecoach.cases.schema import Case
    from casecoach.grading.protocol import Grader
    from casecoach.store import Store


def library(warn: bool = True) -> CaseLibrary:
    from casecoach.cases.loader import CaseLibrary
    from casecoach.cli.render import err_console
    from casecoach.paths import user_cases_dir

    lib = CaseLibrary.load(user_cases_dir())
    if warn:
        for problem in lib.problems:
            err_console.print(f"[yellow]Skipping a broken case file:[/] {problem}", soft_wrap=True)
    return lib


def one_case(case_id: str) -> Case:
    """A case by id without loading the whole library (what grading one answer needs)."""
    from casecoach.cases.loader import CaseFileError, CaseLibrary, UnknownCase
    from casecoach.paths import user_cases_dir

    try:
        return CaseLibrary.load_one(case_id, user_cases_dir())
    except (UnknownCase, CaseFileError) as exc:
        fail(str(exc))


def case(lib: CaseLibrary, case_id: str) -> Case:
    from casecoach.cases.loader import UnknownCase

    try:
        return lib.get(case_id)
    except UnknownCase as exc:
        fail(str(exc))


def store() -> Store:
    from casecoach.store import Store

    try:
        return Store.open()
    except Exception as exc:  # noqa: BLE001 - a database the user pointed at may be anything
        fail(f"cannot open the session store: {exc}")


def grader(name: str | None) -> Grader:
    """The grader named, or the default one (hybrid with a configured LLM, else embedded)."""
    from casecoach.grading.embedder import EmbeddingModelCorrupt, EmbeddingModelMissing
    from casecoach.grading.registry import GraderUnavailable, default_grader_name, get_grader

    try:
        return get_grader(name or default_grader_name())
    except (GraderUnavailable, EmbeddingModelMissing, EmbeddingModelCorrupt) as exc:
        fail(str(exc))
