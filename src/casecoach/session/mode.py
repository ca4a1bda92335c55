"""Interview modes: a plain enum, cheap to import for the command line."""

from __future__ import annotations

from enum import StrEnum


class Mode(StrEnum):
    practice = "practice"  # feedback and a follow-up after every answer
    mock = "mock"  # like the real round: no feedback until the end
