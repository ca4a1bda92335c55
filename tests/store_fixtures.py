"""Store test fixtures: a fresh database per test, on SQLite and (when available) PostgreSQL.

Loaded with `pytest_plugins = ["tests.store_fixtures"]` from the store tests, so no shared conftest
is needed. Fixture names are prefixed so they cannot clash with anyone else's.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from casecoach.grading.grade import CriterionResult, Grade, RedFlagHit, level_for
from casecoach.store import Store
from casecoach.store.store import normalize_url

POSTGRES_ENV = "CASECOACH_TEST_POSTGRES_URL"
SKIP_POSTGRES = (
    f"{POSTGRES_ENV} is not set; to run the PostgreSQL tests: "
    f"export {POSTGRES_ENV}=$(bash scripts/ci-postgres.sh | tail -1)"
)
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def postgres_schema_url(base_url: str) -> Iterator[str]:
    """A URL whose connections live in a brand-new schema, dropped afterwards.

    A schema per test (via libpq's `options=-csearch_path=...`) isolates tests completely,
    alembic_version included, without needing to create databases.
    """
    base = normalize_url(base_url)
    schema = f"casecoach_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, poolclass=NullPool)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = base.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture(params=BACKENDS)
def store_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database (no tables yet) on each backend."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "casecoach.db")
        return
    base = os.environ.get(POSTGRES_ENV, "").strip()
    if not base:
        pytest.skip(SKIP_POSTGRES)
    yield from postgres_schema_url(base)


@pytest.fixture
def store_under_test(store_db_url: str) -> Iterator[Store]:
    """An opened (migrated) store, closed after the test."""
    store = Store.open(store_db_url)
    try:
        yield store
    finally:
        store.close()


def make_grade(score: float = 3.5, grader: str = "rubric", version: str = "1.0") -> Grade:
    """A realistic grade with every kind of nested field filled in."""
    return Grade(
        score=score,
        level=level_for(score),
        criteria=[
            CriterionResult(
                id="metric",
                description="Names a north-star metric",
                weight=2.0,
                status="met",
                quote="I'd track weekly active riders — «WAR».",
            ),
            CriterionResult(
                id="guardrail",
                description="Names a guardrail metric",
                weight=1.0,
                status="missed",
                hint="What could get worse?",
            ),
        ],
        red_flags=[
            RedFlagHit(id="vanity", description="Vanity metric", penalty=0.5, quote="page views")
        ],
        notes=["Capped: no guardrail."],
        follow_up="Which guardrail would you add?",
        grader=grader,
        grader_version=version,
    )


@pytest.fixture
def grade_factory() -> Callable[..., Grade]:
    """`make_grade`, as a fixture so test modules need not import this plugin module."""
    return make_grade
