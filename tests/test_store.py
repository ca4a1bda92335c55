"""The store keeps every answer: round trips, lookups, and durability across kill -9."""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import make_url

from casecoach import paths
from casecoach.grading.grade import Grade
from casecoach.store import (
    AmbiguousSession,
    AttemptNotFound,
    SessionNotFound,
    StepAlreadyStored,
    Store,
)
from casecoach.store import store as store_module
from casecoach.store.store import clean_text, normalize_url

pytest_plugins = ["tests.store_fixtures"]

SRC_DIR = Path(__file__).resolve().parents[1] / "src"
GradeFactory = Callable[..., Grade]


def _new_session(store: Store, case_id: str = "rideshare-metrics", mode: str = "practice") -> str:
    return store.create_session(
        case_id=case_id, mode=mode, focus=["metrics", "experiments"], grader="rubric"
    )


_QUESTIONS = itertools.count(1)


def _answer(
    store: Store,
    session_id: str,
    text: str = "an answer",
    kind: str = "answer",
    question_id: str | None = None,
) -> int:
    """Store an attempt; each call answers a new question unless `question_id` is given (a
    question has one answer, one follow-up answer and one skip per session)."""
    return store.add_attempt(
        session_id,
        question_id=question_id or f"q{next(_QUESTIONS)}",
        competency="metrics",
        kind=kind,
        prompt="Which metric would you pick?",
        answer=text,
    )


def _assert_utc(value: datetime) -> None:
    assert value.tzinfo is not None and value.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - value) < timedelta(minutes=5)


# -- round trips ----------------------------------------------------------------------------


def test_round_trip_session_attempts_and_grades(
    store_under_test: Store, grade_factory: GradeFactory
) -> None:
    store = store_under_test
    sid = _new_session(store)
    assert len(sid) == 32 and int(sid, 16) >= 0

    first = store.add_attempt(
        sid,
        question_id="q1",
        competency="metrics",
        kind="answer",
        prompt="Which metric would you pick?",
        answer="Weekly active riders, with cancellations as a guardrail.",
    )
    second = store.add_attempt(
        sid,
        question_id="q1",
        competency="metrics",
        kind="follow_up",
        prompt="Which guardrail?",
        answer="Cancellation rate.",
    )
    grade = grade_factory(4.0)
    store.save_grade(first, grade)

    view = store.get_session(sid)
    assert (view.id, view.case_id, view.mode, view.grader) == (
        sid,
        "rideshare-metrics",
        "practice",
        "rubric",
    )
    assert view.focus == ["metrics", "experiments"]
    assert view.status == "active" and view.finished_at is None
    for stamp in (view.created_at, view.updated_at):
        _assert_utc(stamp)
    assert view.updated_at >= view.created_at

    assert [a.id for a in view.attempts] == [first, second]
    assert [a.seq for a in view.attempts] == [1, 2]
    answer, follow_up = view.attempts
    assert answer.kind == "answer" and follow_up.kind == "follow_up"
    assert answer.prompt == "Which metric would you pick?"
    assert answer.answer == "Weekly active riders, with cancellations as a guardrail."
    assert answer.competency == "metrics" and answer.question_id == "q1"
    _assert_utc(answer.submitted_at)
    assert answer.grade == grade
    assert answer.grade is not None and answer.grade.criteria[0].quote == grade.criteria[0].quote
    assert follow_up.grade is None


def test_views_are_frozen(store_under_test: Store) -> None:
    sid = _new_session(store_under_test)
    view = store_under_test.get_session(sid)
    with pytest.raises(AttributeError):
        view.status = "finished"  # type: ignore[misc]


def test_save_grade_replaces_previous_grade(
    store_under_test: Store, grade_factory: GradeFactory
) -> None:
    store = store_under_test
    sid = _new_session(store)
    attempt = _answer(store, sid)
    store.save_grade(attempt, grade_factory(2.0, version="1.0"))
    store.save_grade(attempt, grade_factory(4.5, version="2.0"))

    grade = store.get_session(sid).attempts[0].grade
    assert grade is not None and grade.score == 4.5 and grade.grader_version == "2.0"
    rows = store.all_grades()
    assert len(rows) == 1 and rows[0].score == 4.5


def test_save_grade_for_unknown_attempt(
    store_under_test: Store, grade_factory: GradeFactory
) -> None:
    with pytest.raises(AttemptNotFound, match="9999"):
        store_under_test.save_grade(9999, grade_factory())


def test_a_step_is_stored_once(store_under_test: Store) -> None:
    """A double submit of the same step (two tabs, two server processes) stores nothing the
    second time, and says so."""
    store = store_under_test
    sid = _new_session(store)
    _answer(store, sid, question_id="q1")
    _answer(store, sid, kind="follow_up", question_id="q1")
    store.add_skip(sid, question_id="q2", competency="metrics", prompt="Which metric?")
    for kind in ("answer", "follow_up"):
        with pytest.raises(StepAlreadyStored, match="already stored"):
            _answer(store, sid, kind=kind, question_id="q1")
    with pytest.raises(StepAlreadyStored):
        store.add_skip(sid, question_id="q2", competency="metrics", prompt="Which metric?")
    view = store.get_session(sid)
    assert len(view.attempts) == 2 and len(view.skips) == 1
    assert [a.seq for a in view.steps()] == [1, 2, 3]


def test_racing_writers_store_a_step_once(store_db_url: str) -> None:
    """Two processes' stores submitting the same step at the same moment: one wins."""
    with Store.open(store_db_url) as first, Store.open(store_db_url) as second:
        sid = _new_session(first)
        outcomes: list[str] = []
        barrier = threading.Barrier(2)

        def submit(store: Store) -> None:
            barrier.wait()
            try:
                _answer(store, sid, question_id="q1")
                outcomes.append("stored")
            except StepAlreadyStored:
                outcomes.append("refused")

        threads = [threading.Thread(target=submit, args=(s,)) for s in (first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["refused", "stored"]
        assert len(first.get_session(sid).attempts) == 1


def test_add_attempt_rejects_unknown_session_and_kind(store_under_test: Store) -> None:
    store = store_under_test
    with pytest.raises(SessionNotFound):
        _answer(store, "0" * 32)
    sid = _new_session(store)
    with pytest.raises(ValueError, match="kind"):
        _answer(store, sid, kind="essay")
    assert store.get_session(sid).attempts == []


def test_seq_counts_per_session(store_under_test: Store) -> None:
    store = store_under_test
    a, b = _new_session(store), _new_session(store)
    for _ in range(3):
        _answer(store, a)
    _answer(store, b)
    assert [x.seq for x in store.get_session(a).attempts] == [1, 2, 3]
    assert [x.seq for x in store.get_session(b).attempts] == [1]


def test_concurrent_writers_get_distinct_seqs(store_db_url: str) -> None:
    """Two stores opened at once in two threads, writing to one session: distinct seqs."""
    with Store.open(store_db_url) as setup:
        sid = _new_session(setup)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            with Store.open(store_db_url) as store:
                for i in range(n):
                    _answer(store, sid, text=f"{threading.get_ident()}-{i}")
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(15,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Store.open(store_db_url) as store:
        assert [a.seq for a in store.get_session(sid).attempts] == list(range(1, 31))


def test_finish_session(store_under_test: Store) -> None:
    store = store_under_test
    sid = _new_session(store)
    store.finish_session(sid)
    view = store.get_session(sid)
    assert view.status == "finished" and view.finished_at is not None
    _assert_utc(view.finished_at)
    store.finish_session(sid)  # again: harmless, keeps the first time
    assert store.get_session(sid).finished_at == view.finished_at
    with pytest.raises(SessionNotFound):
        store.finish_session("f" * 32)


# -- lookups --------------------------------------------------------------------------------


def _fixed_ids(monkeypatch: pytest.MonkeyPatch, ids: list[str]) -> None:
    pending = iter(ids)
    fake_uuid = SimpleNamespace(uuid4=lambda: SimpleNamespace(hex=next(pending)))
    monkeypatch.setattr(store_module, "uuid", fake_uuid)


def test_get_session_by_prefix(store_under_test: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    store = store_under_test
    ids = ["abcd1111" + "0" * 24, "abcd2222" + "0" * 24, "ef01" + "0" * 28]
    _fixed_ids(monkeypatch, ids)
    for _ in ids:
        _new_session(store)

    assert store.get_session(ids[0]).id == ids[0]
    assert store.get_session("abcd1").id == ids[0]
    assert store.get_session("ABCD2").id == ids[1]
    assert store.get_session(" ef01 ").id == ids[2]

    with pytest.raises(AmbiguousSession) as ambiguous:
        store.get_session("abcd")
    assert ids[0] in str(ambiguous.value) and ids[1] in str(ambiguous.value)
    assert len(ambiguous.value.candidates) == 2
    assert isinstance(ambiguous.value, LookupError)

    with pytest.raises(SessionNotFound, match="No session matches 'ffff'") as missing:
        store.get_session("ffff")
    assert isinstance(missing.value, LookupError)
    with pytest.raises(SessionNotFound, match="at least 4"):
        store.get_session("abc")
    with pytest.raises(SessionNotFound):
        store.get_session("abcd%")
    with pytest.raises(SessionNotFound):
        store.get_session("abcd_111")


def test_list_sessions_newest_first_with_counts(
    store_under_test: Store, grade_factory: GradeFactory
) -> None:
    store = store_under_test
    old = _new_session(store, case_id="a")
    mid = _new_session(store, case_id="b")
    new = _new_session(store, case_id="a")

    g1 = _answer(store, mid)
    g2 = _answer(store, mid)
    _answer(store, mid)  # ungraded answer
    follow = _answer(store, mid, kind="follow_up")
    store.save_grade(g1, grade_factory(2.0))
    store.save_grade(g2, grade_factory(4.0))
    store.save_grade(follow, grade_factory(1.0))  # follow-ups do not count in the mean

    summaries = store.list_sessions()
    assert [s.id for s in summaries] == [new, mid, old]
    by_id = {s.id: s for s in summaries}
    assert (by_id[mid].n_answers, by_id[mid].n_graded) == (3, 2)
    assert by_id[mid].mean_score == pytest.approx(3.0)
    assert (by_id[old].n_answers, by_id[old].n_graded, by_id[old].mean_score) == (0, 0, None)
    assert by_id[mid].case_id == "b" and by_id[mid].mode == "practice"
    assert by_id[mid].status == "active"
    _assert_utc(by_id[mid].created_at)

    assert [s.id for s in store.list_sessions(limit=2)] == [new, mid]
    assert [s.id for s in store.list_sessions(case_id="a")] == [new, old]
    assert store.list_sessions(case_id="nope") == []


def test_latest_unfinished(store_under_test: Store) -> None:
    store = store_under_test
    assert store.latest_unfinished() is None
    first = _new_session(store)
    second = _new_session(store)
    latest = store.latest_unfinished()
    assert latest is not None and latest.id == second

    _answer(store, first, text="picked up again")  # the one touched last is the one to resume
    latest = store.latest_unfinished()
    assert latest is not None and latest.id == first
    assert latest.attempts[0].answer == "picked up again"

    store.finish_session(first)
    latest = store.latest_unfinished()
    assert latest is not None and latest.id == second
    store.finish_session(second)
    assert store.latest_unfinished() is None


def test_all_grades(store_under_test: Store, grade_factory: GradeFactory) -> None:
    store = store_under_test
    sid = _new_session(store, case_id="checkout")
    a1 = _answer(store, sid, question_id="q1")
    _answer(store, sid)  # never graded: not listed
    a3 = _answer(store, sid, kind="follow_up", question_id="q1")
    store.save_grade(a1, grade_factory(3.0))
    store.save_grade(a3, grade_factory(5.0))

    rows = store.all_grades()
    assert [(r.session_id, r.case_id, r.kind, r.score) for r in rows] == [
        (sid, "checkout", "answer", 3.0),
        (sid, "checkout", "follow_up", 5.0),
    ]
    assert rows[0].question_id == "q1" and rows[0].competency == "metrics"
    _assert_utc(rows[0].created_at)


# -- answer texts ---------------------------------------------------------------------------


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=3000), prompt=st.text(max_size=200))
def test_answer_text_round_trip(store_under_test: Store, text: str, prompt: str) -> None:
    store = store_under_test
    sid = _new_session(store)
    attempt_id = store.add_attempt(
        sid, question_id="q", competency="c", kind="answer", prompt=prompt, answer=text
    )
    stored = store.get_session(sid).attempts[0]
    assert stored.id == attempt_id
    assert stored.answer == clean_text(text)
    assert stored.prompt == clean_text(prompt)
    if "\x00" not in text:
        assert stored.answer == text


def test_long_and_awkward_answers_are_kept(store_under_test: Store) -> None:
    store = store_under_test
    sid = _new_session(store)
    long_answer = "Retention by cohort — 留存率 📈.\n" * 40_000  # ~1.3 MB
    _answer(store, sid, text=long_answer)
    _answer(store, sid, text="nul\x00byte and lone \ud800 surrogate")
    attempts = store.get_session(sid).attempts
    assert attempts[0].answer == long_answer
    assert attempts[1].answer == "nul\ufffdbyte and lone \ufffd surrogate"


def test_clean_text() -> None:
    assert clean_text("plain ünïcode 🙂") == "plain ünïcode 🙂"
    assert clean_text("a\x00b\udcffc") == "a\ufffdb\ufffdc"


# -- durability -----------------------------------------------------------------------------


def test_attempt_is_committed_before_add_attempt_returns(store_db_url: str) -> None:
    """Another connection sees the answer while the writing store is still open."""
    writer = Store.open(store_db_url)
    try:
        sid = _new_session(writer)
        attempt_id = _answer(writer, sid, text="seen by others")

        reader = Store.open(store_db_url)
        try:
            attempts = reader.get_session(sid).attempts
            assert [(a.id, a.answer) for a in attempts] == [(attempt_id, "seen by others")]
        finally:
            reader.close()

        url = make_url(store_db_url)
        if url.get_backend_name() == "sqlite":
            raw = sqlite3.connect(str(url.database))
            try:
                row = raw.execute("SELECT answer FROM attempts WHERE id = ?", (attempt_id,))
                assert row.fetchone() == ("seen by others",)
            finally:
                raw.close()
    finally:
        writer.close()


CHILD = textwrap.dedent(
    """
    import os, signal, sys, time
    from datetime import UTC, datetime
    from casecoach.store import Store
    from casecoach.store.tables import AttemptRecord

    url, mode = sys.argv[1], sys.argv[2]
    store = Store.open(url)
    sid = store.create_session(case_id="c", mode="practice", focus=[], grader="rubric")
    aid = store.add_attempt(
        sid, question_id="q1", competency="metrics", kind="answer",
        prompt="p", answer="written before grading",
    )
    print(sid, aid, flush=True)
    if mode == "self":
        os.kill(os.getpid(), signal.SIGKILL)
    # "Grading": hold an open write transaction (and the write lock) until killed.
    with store._write() as session:
        session.add(AttemptRecord(
            session_id=sid, seq=99, question_id="q2", competency="c", kind="answer",
            prompt="p", answer="never committed", submitted_at=datetime.now(UTC),
        ))
        session.flush()
        print("grading", flush=True)
        time.sleep(120)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["self", "parent"])
def test_answer_survives_kill_9(store_db_url: str, tmp_path: Path, mode: str) -> None:
    """kill -9 right after the answer is written, or mid-write during grading, loses nothing."""
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC_DIR), *sys.path])}
    proc = subprocess.Popen(
        [sys.executable, str(script), store_db_url, mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().split()
        assert len(first) == 2, proc.stderr.read() if proc.stderr else ""
        sid, attempt_id = first[0], int(first[1])
        if mode == "parent":
            assert proc.stdout.readline().strip() == "grading"
            proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()

    with Store.open(store_db_url) as store:
        view = store.latest_unfinished()
        assert view is not None and view.id == sid
        assert [(a.id, a.seq, a.answer) for a in view.attempts] == [
            (attempt_id, 1, "written before grading")
        ]
        # The killed writer left no lock behind: resuming goes on at seq 2.
        next_id = _answer(store, sid, text="resumed")
        assert [a.seq for a in store.get_session(sid).attempts] == [1, 2]
        assert next_id != attempt_id


# -- opening and configuration --------------------------------------------------------------


def test_sqlite_connection_settings(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}") as store, store._engine.connect() as c:
        pragma = {
            name: c.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert pragma == {
        "journal_mode": "wal",
        "synchronous": 2,  # FULL
        "foreign_keys": 1,
        "busy_timeout": store_module.BUSY_TIMEOUT_MS,
    }


def test_open_creates_missing_folders(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "casecoach.db"
    with Store.open(f"sqlite:///{target}") as store:
        _new_session(store)
    assert target.exists()


def test_open_in_memory(tmp_path: Path) -> None:
    with Store.open("sqlite://") as store:
        sid = _new_session(store)
        _answer(store, sid)
        assert len(store.get_session(sid).attempts) == 1


def test_open_default_uses_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(paths.HOME_ENV, str(tmp_path / "home"))
    monkeypatch.delenv(paths.DATABASE_URL_ENV, raising=False)
    with Store.open() as store:
        _new_session(store)
    assert (tmp_path / "home" / "casecoach.db").exists()


def test_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "a home" / "with?odd#chars"
    monkeypatch.setenv(paths.HOME_ENV, str(home))
    monkeypatch.delenv(paths.DATABASE_URL_ENV, raising=False)
    assert paths.home_dir() == home and home.is_dir()
    assert make_url(paths.default_database_url()).database == str(home / "casecoach.db")
    assert paths.user_cases_dir() == home / "cases" and (home / "cases").is_dir()

    monkeypatch.setenv(paths.DATABASE_URL_ENV, "postgresql+psycopg://u:p@db/x")
    assert paths.default_database_url() == "postgresql+psycopg://u:p@db/x"

    monkeypatch.delenv(paths.HOME_ENV)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))  # Linux; elsewhere: real dir
    assert paths.home_dir().name == "casecoach" and paths.home_dir().is_dir()


def test_normalize_url() -> None:
    assert normalize_url("postgresql://u:p@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u:p@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql+psycopg://u:p@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///x.db").drivername == "sqlite"
