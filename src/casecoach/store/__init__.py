"""Durable storage of sessions, attempts and grades (SQLite by default, PostgreSQL by URL)."""

from casecoach.store.store import (
    AmbiguousSession,
    AttemptNotFound,
    AttemptView,
    GradeRow,
    SessionNotFound,
    SessionSummary,
    SessionView,
    StepAlreadyStored,
    Store,
    alembic_config,
    make_engine,
    migrate,
)

__all__ = [
    "AmbiguousSession",
    "AttemptNotFound",
    "AttemptView",
    "GradeRow",
    "SessionNotFound",
    "SessionSummary",
    "SessionView",
    "StepAlreadyStored",
    "Store",
    "alembic_config",
    "make_engine",
    "migrate",
]
