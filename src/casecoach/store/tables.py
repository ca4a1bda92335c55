"""The database tables, as SQLAlchemy typed declarative models.

Only the store touches these; everything outside it gets plain dataclasses. The types are
chosen to mean the same thing on SQLite and PostgreSQL, and every change to them needs a
migration in `migrations/versions` (the migration tests fail if the two disagree).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Deterministic constraint names, so later migrations (and SQLite batch mode) can name them.
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SESSION_STATUSES = ("active", "finished")
ATTEMPT_KINDS = ("answer", "follow_up", "skip")  # a skip is stored with an empty answer

UTCDateTime = DateTime(timezone=True)


class Base(DeclarativeBase):
    """Declarative base carrying the shared metadata and naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class SessionRecord(Base):
    """One pass through a case."""

    __tablename__ = "sessions"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'finished')", name="status"),
        Index("ix_sessions_created_at", "created_at"),
        Index("ix_sessions_case_id", "case_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[str] = mapped_column(String, nullable=False)
    mode: Mapped[str] = mapped_column(String, nullable=False)
    focus: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    grader: Mapped[str] = mapped_column(String, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AttemptRecord(Base):
    """One submitted answer, written before it is graded.

    The foreign key has no ON DELETE CASCADE on purpose: removing a session must never
    silently take its answers with it.
    """

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("session_id", "seq"),
        CheckConstraint("kind IN ('answer', 'follow_up', 'skip')", name="kind"),
        Index("ix_attempts_session_id", "session_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(32), ForeignKey("sessions.id"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    question_id: Mapped[str] = mapped_column(String, nullable=False)
    competency: Mapped[str] = mapped_column(String, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    prompt: Mapped[str] = mapped_column(Text, nullable=False)
    answer: Mapped[str] = mapped_column(Text, nullable=False)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class GradeRecord(Base):
    """The grade of one attempt: a few columns to query on, plus the whole `Grade` as JSON.

    Grades are derived data (an attempt can be re-graded), so they go with their attempt.
    """

    __tablename__ = "grades"

    attempt_id: Mapped[int] = mapped_column(
        Integer,
        ForeignKey("attempts.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    score: Mapped[float] = mapped_column(Float, nullable=False)
    level: Mapped[str] = mapped_column(String, nullable=False)
    grader: Mapped[str] = mapped_column(String, nullable=False)
    grader_version: Mapped[str] = mapped_column(String, nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
