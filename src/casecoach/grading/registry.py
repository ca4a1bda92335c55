"""The grader registry: built-in graders and those other packages add by entry point."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points

from casecoach.grading.protocol import Grader

ENTRY_POINT_GROUP = "casecoach.graders"

GraderFactory = Callable[[], Grader]

# Built-ins are registered the way a plugin is: a name and an import target, loaded on first
# use (so `casecoach --help` never imports openai or onnxruntime).
_BUILTIN: dict[str, str] = {
    "embedded": "casecoach.grading.embedded:EmbeddedGrader",
    "llm": "casecoach.grading.llm:LlmGrader",
    "hybrid": "casecoach.grading.hybrid:HybridGrader",
}


class GraderUnavailable(LookupError):
    """A grader that cannot be used here: unknown, or missing what it needs (an LLM)."""


class UnknownGrader(GraderUnavailable):
    pass


def default_grader_name() -> str:
    """"hybrid" when an LLM is configured (config file or CASECOACH_LLM_* variables), else
    "embedded": offline by default."""
    from casecoach.config import llm_configured

    return "hybrid" if llm_configured() else "embedded"


def _import(target: str) -> GraderFactory:
    module_name, _, attr = target.partition(":")
    module = __import__(module_name, fromlist=[attr])
    factory: GraderFactory = getattr(module, attr)
    return factory


def available() -> list[str]:
    names = set(_BUILTIN)
    names.update(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
    return sorted(names)


_instances: dict[str, Grader] = {}


def get_grader(name: str = "embedded") -> Grader:
    """The grader registered under `name`, created once per process (models load once).

    Raises `UnknownGrader` for a name nobody registered, and `GraderUnavailable` when the
    grader cannot work here (e.g. `llm` without a configured server)."""
    if name in _instances:
        return _ready(_instances[name])
    if name in _BUILTIN:
        factory = _import(_BUILTIN[name])
    else:
        matches = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
        if not matches:
            raise UnknownGrader(f"no grader {name!r}; available: {', '.join(available())}")
        factory = matches[0].load()
    grader = factory()
    _instances[name] = grader
    return _ready(grader)


def _ready(grader: Grader) -> Grader:
    """A grader may define `ensure_available()` (raising `GraderUnavailable`): it is asked on
    every lookup, since what it needs (an LLM's settings) can change while it is cached."""
    check = getattr(grader, "ensure_available", None)
    if callable(check):
        check()
    return grader
