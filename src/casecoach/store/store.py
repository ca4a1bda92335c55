"""The session store: every submitted answer is committed before anyone grades it.

The promise is "never lose an answer", so `add_attempt` commits (and, on SQLite, fsyncs the
WAL with synchronous=FULL) before it returns; a kill -9 at any later point loses nothing.
Callers get frozen dataclasses, never ORM objects, so nothing outside this module can touch
the database by accident or keep a session open.
"""

from __future__ import annotations

import string
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, case, create_engine, event, func, select
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry, NullPool, StaticPool

from casecoach.grading.grade import Grade
from casecoach.paths import default_database_url
from casecoach.store.tables import (
    ATTEMPT_KINDS,
    AttemptRecord,
    GradeRecord,
    SessionRecord,
)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MIN_PREFIX = 4
# How long a SQLite writer waits for another process's write lock before giving up.
BUSY_TIMEOUT_MS = 30_000
# Execution option read by the SQLite "begin" hook: writers take the write lock up front.
SQLITE_BEGIN_OPTION = "casecoach_sqlite_begin"
_HEX = frozenset(string.hexdigits.lower())
# Alembic runs env.py through module-level proxies (`alembic.context`, `alembic.op`) that
# are not thread-safe: two threads opening stores at once must take turns.
_ALEMBIC_LOCK = threading.Lock()


class SessionNotFound(LookupError):
    """No session matches the id or prefix the user gave."""

    def __init__(self, ref: str, message: str | None = None) -> None:
        self.ref = ref
        super().__init__(message or f"No session matches {ref!r}.")


class AmbiguousSession(LookupError):
    """The prefix matches several sessions; the message lists them so the user can pick."""

    def __init__(self, ref: str, candidates: list[str]) -> None:
        self.ref = ref
        self.candidates = candidates
        shown = ", ".join(candidates)
        super().__init__(f"{ref!r} matches more than one session ({shown}); type more of the id.")


class StepAlreadyStored(ValueError):
    """This question's answer, follow-up answer or skip is already stored for the session:
    the same step was submitted twice (a double click, two tabs, two server processes)."""

    def __init__(self, session_id: str, question_id: str, kind: str) -> None:
        self.session_id, self.question_id, self.kind = session_id, question_id, kind
        what = {"answer": "an answer", "follow_up": "a follow-up answer", "skip": "a skip"}
        super().__init__(
            f"{what.get(kind, kind)} for {question_id!r} is already stored in this session"
        )


class AttemptNotFound(LookupError):
    """A grade was saved for an attempt id that does not exist."""

    def __init__(self, attempt_id: int) -> None:
        self.attempt_id = attempt_id
        super().__init__(f"No attempt with id {attempt_id}.")


@dataclass(frozen=True, slots=True)
class AttemptView:
    """One submitted answer and, once graded, its grade."""

    id: int
    seq: int
    question_id: str
    competency: str
    kind: str
    prompt: str
    answer: str
    submitted_at: datetime
    grade: Grade | None


@dataclass(frozen=True, slots=True)
class SessionView:
    """A session with all its attempts in submission order: what `resume` and reports need.

    `attempts` are the answers and follow-up answers; `skips` the questions and follow-ups
    the candidate skipped (kind "skip", empty answer), kept apart so reports never mistake
    them for answers. `steps()` interleaves both for replaying the interview.
    """

    id: str
    case_id: str
    mode: str
    focus: list[str]
    grader: str
    status: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    attempts: list[AttemptView]
    skips: list[AttemptView] = field(default_factory=list)

    def steps(self) -> list[AttemptView]:
        """Answers and skips in the order they happened."""
        return sorted([*self.attempts, *self.skips], key=lambda a: a.seq)


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """One line of a session list.

    `n_answers` counts attempts of kind "answer" (not follow-ups); `n_graded` counts those of
    them that have a grade, and `mean_score` is their mean (None when none is graded).
    """

    id: str
    case_id: str
    mode: str
    status: str
    created_at: datetime
    n_answers: int
    n_graded: int
    mean_score: float | None


@dataclass(frozen=True, slots=True)
class GradeRow:
    """One graded attempt, flattened for progress views."""

    session_id: str
    case_id: str
    question_id: str
    competency: str
    kind: str
    score: float
    created_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


def _as_utc(value: datetime) -> datetime:
    """SQLite hands datetimes back naive; everything we store is UTC, so say so."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def clean_text(text: str) -> str:
    """Make text storable on every backend, so no answer is refused at save time.

    PostgreSQL rejects NUL characters and no driver can encode lone surrogates (which a
    terminal can produce); both become U+FFFD. Everything else is kept as typed.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    return text.replace("\x00", "\ufffd")


def normalize_url(url: str | URL) -> URL:
    """Parse a database URL; bare `postgresql://` (or `postgres://`) means psycopg 3.

    Coaches paste URLs from their hosting provider; psycopg 3 is the driver we ship.
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _is_sqlite_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def make_engine(url: str | URL, *, foreign_keys: bool = True, pooled: bool = True) -> Engine:
    """An engine set up for durability.

    SQLite: WAL + synchronous=FULL (a commit is on disk when it returns), a busy timeout so
    two processes wait for each other instead of failing, foreign keys on (off only while
    migrating, so table rebuilds cannot cascade), and real BEGINs that SQLAlchemy controls.
    """
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)

    if _is_sqlite_memory(parsed):
        engine = create_engine(
            parsed, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        Path(str(parsed.database)).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000},
            **({} if pooled else {"poolclass": NullPool}),
        )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take transaction control away from pysqlite; `_on_begin` emits BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # IMMEDIATE for writers: take the write lock before reading, so read-then-write
        # (next seq, upsert) cannot race another process, and busy_timeout applies.
        mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic config built in code: no alembic.ini is needed (or shipped) at run time.

    Pass `connection` to run commands on it (inside the caller's transaction), or `url`.
    """
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to `revision` in one transaction (all or nothing)."""
    with _ALEMBIC_LOCK, engine.connect() as conn:
        conn = conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        with conn.begin():
            command.upgrade(alembic_config(conn), revision)


class Store:
    """Sessions, attempts and grades in one database (SQLite file or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        """Wrap an engine whose database is already migrated; use `Store.open` instead."""
        self._engine = engine
        self._write_engine = engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})

    @classmethod
    def open(cls, url: str | None = None) -> Store:
        """Connect (default: `default_database_url()`) and bring the schema to head."""
        parsed = normalize_url(url if url is not None else default_database_url())
        engine = make_engine(parsed)
        try:
            if parsed.get_backend_name() == "sqlite" and not _is_sqlite_memory(parsed):
                migration_engine = make_engine(parsed, foreign_keys=False, pooled=False)
                try:
                    migrate(migration_engine)
                finally:
                    migration_engine.dispose()
            else:
                migrate(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    def close(self) -> None:
        """Release every connection (and with it any SQLite file lock)."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One write transaction, committed when the block ends."""
        with Session(self._write_engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with Session(self._engine) as session, session.begin():
            yield session

    # -- writes ---------------------------------------------------------------------------

    def create_session(self, *, case_id: str, mode: str, focus: list[str], grader: str) -> str:
        """Start a session; returns its id (32 hex characters)."""
        session_id = uuid.uuid4().hex
        now = _now()
        with self._write() as session:
            session.add(
                SessionRecord(
                    id=session_id,
                    case_id=case_id,
                    mode=mode,
                    focus=list(focus),
                    grader=grader,
                    status="active",
                    created_at=now,
                    updated_at=now,
                    finished_at=None,
                )
            )
        return session_id

    def add_attempt(
        self,
        session_id: str,
        *,
        question_id: str,
        competency: str,
        kind: str,
        prompt: str,
        answer: str,
    ) -> int:
        """Write one submitted answer; it is committed and on disk when this returns.

        `seq` is the next number in the session. Each question has at most one answer, one
        follow-up answer and one skip; storing one twice raises `StepAlreadyStored`, also
        when two processes race (they take the same `seq`, which is unique).
        """
        if kind not in ATTEMPT_KINDS:
            raise ValueError(f"kind must be one of {ATTEMPT_KINDS}, not {kind!r}")
        now = _now()
        with self._write() as session:
            record = session.get(SessionRecord, session_id, with_for_update={"key_share": True})
            if record is None:
                raise SessionNotFound(session_id)
            stored = session.scalar(
                select(AttemptRecord.id).where(
                    AttemptRecord.session_id == session_id,
                    AttemptRecord.question_id == question_id,
                    AttemptRecord.kind == kind,
                )
            )
            if stored is not None:
                raise StepAlreadyStored(session_id, question_id, kind)
            last = session.scalar(
                select(func.max(AttemptRecord.seq)).where(AttemptRecord.session_id == session_id)
            )
            attempt = AttemptRecord(
                session_id=session_id,
                seq=(last or 0) + 1,
                question_id=question_id,
                competency=competency,
                kind=kind,
                prompt=clean_text(prompt),
                answer=clean_text(answer),
                submitted_at=now,
            )
            session.add(attempt)
            record.updated_at = now
            try:
                session.flush()
            except IntegrityError:
                # Two writers at once took the same `seq`: the other one stored this step.
                raise StepAlreadyStored(session_id, question_id, kind) from None
            attempt_id = attempt.id
        return attempt_id

    def add_skip(self, session_id: str, *, question_id: str, competency: str, prompt: str) -> int:
        """Record that the step showing `prompt` was skipped, so resuming does not ask it."""
        return self.add_attempt(
            session_id,
            question_id=question_id,
            competency=competency,
            kind="skip",
            prompt=prompt,
            answer="",
        )

    def save_grade(self, attempt_id: int, grade: Grade) -> None:
        """Store (or replace, when re-graded) the grade of an attempt."""
        now = _now()
        with self._write() as session:
            attempt = session.get(AttemptRecord, attempt_id, with_for_update={"key_share": True})
            if attempt is None:
                raise AttemptNotFound(attempt_id)
            if attempt.kind == "skip":
                raise ValueError(f"attempt {attempt_id} is a skip and has no answer to grade")
            session.merge(
                GradeRecord(
                    attempt_id=attempt_id,
                    score=grade.score,
                    level=grade.level,
                    grader=grade.grader,
                    grader_version=grade.grader_version,
                    payload=grade.model_dump(mode="json"),
                    created_at=now,
                )
            )
            parent = session.get(SessionRecord, attempt.session_id)
            if parent is not None:
                parent.updated_at = now

    def finish_session(self, session_id: str) -> None:
        """Mark a session finished; finishing it again keeps the first `finished_at`."""
        now = _now()
        with self._write() as session:
            record = session.get(SessionRecord, session_id, with_for_update={"key_share": True})
            if record is None:
                raise SessionNotFound(session_id)
            if record.status != "finished":
                record.status = "finished"
                record.finished_at = now
                record.updated_at = now

    # -- reads ----------------------------------------------------------------------------

    def get_session(self, ref: str) -> SessionView:
        """The session whose id is `ref` or starts with it (at least 4 characters)."""
        wanted = ref.strip().lower()
        if len(wanted) < MIN_PREFIX:
            raise SessionNotFound(
                ref,
                f"Session reference {ref!r} is too short: give at least {MIN_PREFIX} "
                "characters of the id.",
            )
        if not set(wanted) <= _HEX:
            raise SessionNotFound(ref, f"No session matches {ref!r} (ids are hexadecimal).")
        with self._read() as session:
            matches = list(
                session.scalars(
                    select(SessionRecord)
                    .where(SessionRecord.id.startswith(wanted, autoescape=True))
                    .order_by(SessionRecord.created_at.desc())
                    .limit(6)
                )
            )
            exact = [m for m in matches if m.id == wanted]
            if exact:
                return self._view(session, exact[0])
            if not matches:
                raise SessionNotFound(ref)
            if len(matches) > 1:
                raise AmbiguousSession(
                    ref,
                    [f"{m.id} ({m.case_id}, {_as_utc(m.created_at):%Y-%m-%d})" for m in matches],
                )
            return self._view(session, matches[0])

    def list_sessions(self, limit: int = 50, case_id: str | None = None) -> list[SessionSummary]:
        """Sessions newest first, with answer counts and mean score, in one query."""
        is_answer = AttemptRecord.kind == "answer"
        query = (
            select(
                SessionRecord.id,
                SessionRecord.case_id,
                SessionRecord.mode,
                SessionRecord.status,
                SessionRecord.created_at,
                func.count(case((is_answer, AttemptRecord.id))),
                func.count(case((is_answer, GradeRecord.attempt_id))),
                func.avg(case((is_answer, GradeRecord.score))),
            )
            .outerjoin(AttemptRecord, AttemptRecord.session_id == SessionRecord.id)
            .outerjoin(GradeRecord, GradeRecord.attempt_id == AttemptRecord.id)
            .group_by(
                SessionRecord.id,
                SessionRecord.case_id,
                SessionRecord.mode,
                SessionRecord.status,
                SessionRecord.created_at,
            )
            .order_by(SessionRecord.created_at.desc(), SessionRecord.id.desc())
            .limit(limit)
        )
        if case_id is not None:
            query = query.where(SessionRecord.case_id == case_id)
        with self._read() as session:
            rows = session.execute(query).all()
        return [
            SessionSummary(
                id=row[0],
                case_id=row[1],
                mode=row[2],
                status=row[3],
                created_at=_as_utc(row[4]),
                n_answers=int(row[5]),
                n_graded=int(row[6]),
                mean_score=None if row[7] is None else float(row[7]),
            )
            for row in rows
        ]

    def latest_unfinished(self) -> SessionView | None:
        """The active session touched most recently: the one `resume` should continue."""
        with self._read() as session:
            record = session.scalars(
                select(SessionRecord)
                .where(SessionRecord.status == "active")
                .order_by(SessionRecord.updated_at.desc(), SessionRecord.created_at.desc())
                .limit(1)
            ).first()
            return None if record is None else self._view(session, record)

    def all_grades(self) -> list[GradeRow]:
        """Every graded attempt, oldest grade first, for progress views."""
        query = (
            select(
                SessionRecord.id,
                SessionRecord.case_id,
                AttemptRecord.question_id,
                AttemptRecord.competency,
                AttemptRecord.kind,
                GradeRecord.score,
                GradeRecord.created_at,
            )
            .join(AttemptRecord, GradeRecord.attempt_id == AttemptRecord.id)
            .join(SessionRecord, AttemptRecord.session_id == SessionRecord.id)
            .order_by(GradeRecord.created_at, AttemptRecord.id)
        )
        with self._read() as session:
            rows = session.execute(query).all()
        return [
            GradeRow(
                session_id=row[0],
                case_id=row[1],
                question_id=row[2],
                competency=row[3],
                kind=row[4],
                score=float(row[5]),
                created_at=_as_utc(row[6]),
            )
            for row in rows
        ]

    @staticmethod
    def _view(session: Session, record: SessionRecord) -> SessionView:
        rows = session.execute(
            select(AttemptRecord, GradeRecord.payload)
            .outerjoin(GradeRecord, GradeRecord.attempt_id == AttemptRecord.id)
            .where(AttemptRecord.session_id == record.id)
            .order_by(AttemptRecord.seq)
        ).all()
        attempts = [
            AttemptView(
                id=attempt.id,
                seq=attempt.seq,
                question_id=attempt.question_id,
                competency=attempt.competency,
                kind=attempt.kind,
                prompt=attempt.prompt,
                answer=attempt.answer,
                submitted_at=_as_utc(attempt.submitted_at),
                grade=None if payload is None else Grade.model_validate(payload),
            )
            for attempt, payload in rows
        ]
        return SessionView(
            id=record.id,
            case_id=record.case_id,
            mode=record.mode,
            focus=[str(item) for item in record.focus],
            grader=record.grader,
            status=record.status,
            created_at=_as_utc(record.created_at),
            updated_at=_as_utc(record.updated_at),
            finished_at=None if record.finished_at is None else _as_utc(record.finished_at),
            attempts=[a for a in attempts if a.kind != "skip"],
            skips=[a for a in attempts if a.kind == "skip"],
        )
