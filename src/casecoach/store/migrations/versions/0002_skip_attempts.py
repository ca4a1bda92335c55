"""Skips are stored: attempts of kind 'skip'.

A skipped question or follow-up used to leave no trace, so `resume` asked a skipped follow-up
again and the web app could only keep skips in memory. A skip is now an attempt row with an
empty answer; only the CHECK constraint on `attempts.kind` changes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _attempts(kinds: str) -> sa.Table:
    """The attempts table as 0001 made it, with `kinds` in its CHECK constraint.

    Given to batch mode as `copy_from`, so SQLite needs no reflection and `--sql` works.
    """
    return sa.Table(
        "attempts",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(), nullable=False),
        sa.Column("competency", sa.String(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"kind IN ({kinds})", name="ck_attempts_kind"),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name="fk_attempts_session_id_sessions"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_attempts"),
        sa.UniqueConstraint("session_id", "seq", name="uq_attempts_session_id_seq"),
        sa.Index("ix_attempts_session_id", "session_id"),
    )


OLD = "'answer', 'follow_up'"
NEW = "'answer', 'follow_up', 'skip'"


def _change_kinds(old: str, new: str) -> None:
    # SQLite cannot alter a constraint: batch mode copies the table; PostgreSQL alters it.
    with op.batch_alter_table("attempts", copy_from=_attempts(old)) as batch:
        batch.drop_constraint(op.f("ck_attempts_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_attempts_kind"), f"kind IN ({new})")


def upgrade() -> None:
    _change_kinds(OLD, NEW)


def downgrade() -> None:
    op.execute("DELETE FROM attempts WHERE kind = 'skip'")
    _change_kinds(NEW, OLD)
