"""The grader registry: built-in graders and those other packages add by entry point."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points

from casecoach.grading.protocol import Grader

ENTRY_POINT_GROUP = "casecoach.graders"

GraderFactory = Callable[[], Grader]

_BUILTIN: dict[str, str] = {
    "embedded": "casecoach.grading.embedded:EmbeddedGrader",
}


class UnknownGrader(LookupError):
    pass


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
    """The grader registered under `name`, created once per process (models load once)."""
    if name in _instances:
        return _instances[name]
    if name in _BUILTIN:
        factory = _import(_BUILTIN[name])
    else:
        matches = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
        if not matches:
            raise UnknownGrader(f"no grader {name!r}; available: {', '.join(available())}")
        factory = matches[0].load()
    grader = factory()
    _instances[name] = grader
    return grader
