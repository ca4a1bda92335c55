"""The migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from casecoach.store import Store, alembic_config, make_engine, migrate
from casecoach.store.store import MIGRATIONS_DIR
from casecoach.store.tables import Base

pytest_plugins = ["tests.store_fixtures"]

TABLES = {"sessions", "attempts", "grades"}


@pytest.fixture
def blank_engine(store_db_url: str) -> Iterator[Engine]:
    engine = make_engine(store_db_url)
    try:
        yield engine
    finally:
        engine.dispose()


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_one_linear_history() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    assert [r.revision for r in script.walk_revisions()][-1] == "0001"


def test_migrations_dir_has_the_files_that_ship() -> None:
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "versions" / "0001_initial.py").is_file()


def test_upgrade_head_on_blank_database(blank_engine: Engine) -> None:
    assert _tables(blank_engine) == set()
    migrate(blank_engine)
    assert TABLES | {"alembic_version"} <= _tables(blank_engine)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert _current_revision(blank_engine) == head

    inspector = inspect(blank_engine)
    uniques = [u["column_names"] for u in inspector.get_unique_constraints("attempts")]
    assert ["session_id", "seq"] in uniques
    indexed = [i["column_names"] for i in inspector.get_indexes("attempts")]
    assert ["session_id"] in indexed
    assert inspector.get_pk_constraint("grades")["constrained_columns"] == ["attempt_id"]


def test_models_and_migrations_agree(blank_engine: Engine) -> None:
    """The `alembic check` test: autogenerate finds nothing to add after upgrading."""
    migrate(blank_engine)
    with blank_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, Base.metadata)
    assert diffs == []


def test_downgrade_to_base_and_back(blank_engine: Engine) -> None:
    migrate(blank_engine)
    with blank_engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert _tables(blank_engine) & TABLES == set()
    assert _current_revision(blank_engine) is None

    migrate(blank_engine)
    assert _tables(blank_engine) >= TABLES


def test_store_open_migrates_and_reopen_is_a_no_op(store_db_url: str) -> None:
    with Store.open(store_db_url) as store:
        sid = store.create_session(case_id="c", mode="m", focus=[], grader="g")
    with Store.open(store_db_url) as store:
        assert store.get_session(sid).id == sid
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert _current_revision(store._engine) == head


def test_0002_keeps_answers_and_accepts_skips(store_db_url: str) -> None:
    """A database made by 0.1.0 (revision 0001) keeps its answers when upgraded by
    `Store.open`, then stores skips; downgrading removes only the skips."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    # As Store.open does: SQLite's batch mode copies tables, so no foreign-key enforcement.
    engine = make_engine(store_db_url, foreign_keys=False, pooled=False)
    insert_session = text(
        "INSERT INTO sessions (id, case_id, mode, focus, grader, status, created_at, updated_at)"
        " VALUES ('5e551011', 'c', 'practice', '[]', 'embedded', 'active', :now, :now)"
    )
    insert_attempt = text(
        "INSERT INTO attempts (session_id, seq, question_id, competency, kind, prompt, answer,"
        " submitted_at) VALUES ('5e551011', :seq, 'q', 'storytelling', :kind, 'p', :answer, :now)"
    )
    now = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        migrate(engine, "0001")
        with engine.begin() as conn:
            conn.execute(insert_session, {"now": now})
            conn.execute(insert_attempt, {"seq": 1, "kind": "answer", "answer": "kept", "now": now})
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert_attempt, {"seq": 2, "kind": "skip", "answer": "", "now": now})

        with Store.open(store_db_url) as store:
            assert [a.answer for a in store.get_session("5e551011").attempts] == ["kept"]
        with engine.begin() as conn:
            conn.execute(insert_attempt, {"seq": 2, "kind": "skip", "answer": "", "now": now})
            rows = conn.execute(text("SELECT kind, answer FROM attempts ORDER BY seq")).all()
        assert [tuple(r) for r in rows] == [("answer", "kept"), ("skip", "")]

        with engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0001")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT kind, answer FROM attempts")).all()
        assert [tuple(r) for r in rows] == [("answer", "kept")]
    finally:
        engine.dispose()


def test_upgrade_by_url_without_a_connection(tmp_path: Path) -> None:
    """env.py's own-engine path, used when Alembic tooling runs without `Store.open`."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    command.upgrade(alembic_config(url=url), "head")
    engine = make_engine(url)
    try:
        assert _tables(engine) >= TABLES
    finally:
        engine.dispose()


@pytest.mark.parametrize("url", ["sqlite://", "postgresql+psycopg://u:p@localhost/db"])
def test_offline_sql(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`alembic upgrade --sql` works for both dialects (no database needed)."""
    command.upgrade(alembic_config(url=url), "head", sql=True)
    sql = capsys.readouterr().out
    for table in TABLES:
        assert f"CREATE TABLE {table}" in sql
