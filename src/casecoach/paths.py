"""Where casecoach keeps a user's data: one home folder, overridable for tests and coaches."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

HOME_ENV = "CASECOACH_HOME"
DATABASE_URL_ENV = "CASECOACH_DATABASE_URL"


def home_dir() -> Path:
    """The data folder (`CASECOACH_HOME` or the platform's user data dir), created on demand.

    Created here so every caller can write into it without checking first.
    """
    override = os.environ.get(HOME_ENV, "").strip()
    path = (
        Path(override).expanduser() if override else Path(platformdirs.user_data_dir("casecoach"))
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_database_url() -> str:
    """`CASECOACH_DATABASE_URL` if set (e.g. a coach's PostgreSQL), else a SQLite file in home.

    The SQLite URL is built with SQLAlchemy so paths with spaces or `?`/`#` survive parsing.
    """
    override = os.environ.get(DATABASE_URL_ENV, "").strip()
    if override:
        return override
    from sqlalchemy.engine import URL

    db_path = home_dir() / "casecoach.db"
    return URL.create("sqlite", database=str(db_path)).render_as_string(hide_password=False)


def cache_dir() -> Path:
    """`<home>/cache`: derived data (model checks, case vectors) that is safe to delete."""
    return home_dir() / "cache"


def user_cases_dir() -> Path:
    """`<home>/cases`, where a user drops their own case files; created so it is easy to find."""
    path = home_dir() / "cases"
    path.mkdir(parents=True, exist_ok=True)
    return path
