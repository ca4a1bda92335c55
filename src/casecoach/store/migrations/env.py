"""Alembic environment for casecoach, configured from code (no alembic.ini).

`Store.open` passes an open connection in `config.attributes["connection"]`; without one
(e.g. `alembic -x` style tooling), the URL comes from `sqlalchemy.url` or the user default.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from casecoach.store.tables import Base

config = context.config
target_metadata = Base.metadata

# Any constant works; it only has to be the same for every casecoach process.
_PG_MIGRATION_LOCK = 0x63617365  # "case"


def _database_url() -> str:
    from casecoach.paths import default_database_url

    return config.get_main_option("sqlalchemy.url") or default_database_url()


def _run(connection: Connection) -> None:
    """Run the migrations on `connection`, serialised against other processes."""
    is_sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite,  # SQLite cannot ALTER most things; rebuild tables instead
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Two first-time opens at once must not both create the tables.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
            )
        context.run_migrations()
        if is_sqlite:
            # Foreign keys are off while migrating (so batch rebuilds cannot cascade):
            # refuse to commit a migration that left dangling references.
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")


def run_migrations_offline() -> None:
    """Emit SQL instead of running it (`alembic upgrade --sql`)."""
    context.configure(
        url=_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against the caller's connection, or one made with the store's engine setup."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return

    from casecoach.store.store import SQLITE_BEGIN_OPTION, make_engine

    engine = make_engine(_database_url(), foreign_keys=False, pooled=False)
    try:
        with engine.connect() as conn:
            _run(conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"}))
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
