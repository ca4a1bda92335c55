"""Candidate text is escaped, forms need CSRF tokens, sizes are limited, answers never lost."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser

import pytest
from markupsafe import escape

from casecoach.grading.grade import Grade
from casecoach.grading.protocol import Grader, GradingTask
from casecoach.store import Store
from casecoach.web.security import CSRF_COOKIE, MAX_BODY_BYTES
from tests.web.conftest import API_HEADERS, HTML, Web


class _AnswerTexts(HTMLParser):
    """The text of every `data-answer-text` block, as a browser would show it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._depth:
            self._depth += 1
        elif tag == "div" and any(name == "data-answer-text" for name, _ in attrs):
            self._depth = 1
            self.texts.append("")

    def handle_endtag(self, tag: str) -> None:
        if self._depth:
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.texts[-1] += data


def answer_texts(page: str) -> list[str]:
    parser = _AnswerTexts()
    parser.feed(page)
    return parser.texts


PAYLOADS = [
    "<script>alert('xss')</script> We randomize groups into treatment and control.",
    '<img src=x onerror="alert(1)"> We randomize groups into two arms for four weeks.',
    '"><svg onload=alert(1)> Randomize groups, run it for four weeks.',
    "{{ 7*7 }} {% raw %} We randomize </textarea><b>bold</b> groups into two arms.",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_candidate_text_is_always_escaped(web: Web, payload: str) -> None:
    sid = web.start()
    feedback_url = web.answer(sid, payload).headers["location"]
    pages = [web.page(feedback_url), web.page(f"/sessions/{sid}/summary")]
    follow_up = web.answer(sid, payload, step="design:follow_up")
    assert follow_up.status_code == 303
    pages.append(web.page(feedback_url))
    for page in pages[::2]:  # the feedback page: the answer shown as text, exactly
        assert payload in answer_texts(page)
    assert str(escape(payload))[:40] in pages[1]  # the summary's debrief, escaped
    for page in pages:
        for raw in ("<script>alert", "<img src=x", "<svg onload", "<b>bold</b>", "</textarea><b>"):
            assert raw not in page
    # A refused answer is echoed back into the textarea, escaped too.
    refused = web.answer(sid, payload + " x" * 10_000, step="story:answer")
    assert refused.status_code == 413
    assert "</textarea><b>bold" not in refused.text and "<script>alert" not in refused.text


def test_forms_need_the_csrf_token(web: Web) -> None:
    page = web.client.get("/", headers=HTML)
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"{CSRF_COOKIE}=") and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    token = web.csrf()
    missing = web.client.post("/sessions", data={"case": "tiny"}, headers=HTML)
    assert missing.status_code == 403 and "expired" in missing.text
    wrong = web.client.post("/sessions", data={"case": "tiny", "csrf_token": token + "x"},
                            headers=HTML)
    assert wrong.status_code == 403
    # A cookie the server did not sign (a cookie injected by another site) is refused.
    forged_client = web.client
    forged_client.cookies.set(CSRF_COOKIE, "attacker.0000")
    forged = forged_client.post("/sessions", data={"case": "tiny", "csrf_token": "attacker"},
                                headers=HTML)
    assert forged.status_code == 403
    forged_client.cookies.clear()
    assert web.api_post("/api/sessions", {"case": "tiny"}).status_code == 201
    with Store.open() as store:
        assert len(store.list_sessions()) == 1  # only the API call made one


def test_every_form_carries_the_token(web: Web) -> None:
    sid = web.start()
    token = web.csrf()
    pages = [web.page("/"), web.page(f"/sessions/{sid}")]
    pages.append(web.page(web.answer(sid, PAYLOADS[0]).headers["location"]))
    for page in pages:
        forms = page.count('method="post"')
        assert forms >= 1 and page.count(f'name="csrf_token" value="{token}"') >= forms


def test_oversized_requests_get_a_413_with_a_message(web: Web) -> None:
    sid = web.start()
    big = "a" * (MAX_BODY_BYTES + 1)
    page = web.client.post(f"/sessions/{sid}/answer", data={"answer": big, "step": "x"},
                           headers=HTML)
    assert page.status_code == 413 and "Request too large" in page.text
    assert "20,000 characters" in page.text
    api = web.client.post(f"/api/sessions/{sid}/answers", json={"answer": big},
                          headers=API_HEADERS)
    assert api.status_code == 413 and "too large" in api.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(MAX_BODY_BYTES // 4096 + 2):
            yield b"b" * 4096

    chunked = web.client.post(f"/api/sessions/{sid}/answers", content=chunks(),
                              headers={**API_HEADERS, "Content-Type": "application/json"})
    assert chunked.status_code == 413
    with Store.open() as store:
        assert store.get_session(sid).attempts == []
    # The longest legal answer fits, even in 4-byte characters sent as an url-encoded form.
    longest = "We randomize groups. " + "🙂" * (20_000 - 21)
    stored = web.answer(sid, longest, step="design:answer")
    assert stored.status_code == 303
    with Store.open() as store:
        assert [a.answer for a in store.get_session(sid).attempts] == [longest]
    too_long = web.api_post(f"/api/sessions/{sid}/answers", {"answer": longest + "!"})
    assert too_long.status_code == 413 and "20,001 characters" in too_long.json()["detail"]


def test_security_headers_and_hosts(web: Web) -> None:
    response = web.client.get("/", headers=HTML)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "no-store" in response.headers["cache-control"]
    rebinding = web.client.get("/api/sessions", headers={"Host": "evil.example"})
    assert rebinding.status_code == 400


class FailingOnce:
    """The real grader, made to fail on its first call: the answer must already be stored."""

    def __init__(self, grader: Grader) -> None:
        self.grader = grader
        self.name = grader.name
        self.version = grader.version
        self.failed = False

    def grade(self, task: GradingTask) -> Grade:
        if not self.failed:
            self.failed = True
            raise RuntimeError("the grader crashed")
        return self.grader.grade(task)


def test_an_answer_is_stored_before_grading_and_graded_on_reload(web: Web) -> None:
    interviews = web.app.state.web.interviews
    real = interviews.grader
    sid = web.start()
    interviews.grader = FailingOnce(real)
    interviews._live.clear()  # the live session picks up the grader when rebuilt
    try:
        crashed = web.answer(sid, PAYLOADS[1])
        assert crashed.status_code == 503 and "Your answer is saved" in crashed.text
        assert "Traceback" not in crashed.text
        with Store.open() as store:
            attempts = store.get_session(sid).attempts
        assert [a.answer for a in attempts] == [PAYLOADS[1]] and attempts[0].grade is None
        again = web.client.get(f"/sessions/{sid}", headers=HTML, follow_redirects=False)
        assert again.status_code == 303  # graded now: on to its follow-up
        with Store.open() as store:
            assert store.get_session(sid).attempts[0].grade is not None
    finally:
        interviews.grader = real
        interviews._live.clear()


def test_concurrent_double_submits_store_one_answer(web: Web) -> None:
    sid = web.start(mode="mock")
    token = web.csrf()
    start = threading.Barrier(6)

    def submit(_: int) -> int:
        start.wait()
        response = web.client.post(
            f"/sessions/{sid}/answer",
            data={"csrf_token": token, "step": "design:answer", "answer": PAYLOADS[0]},
            headers=HTML, follow_redirects=False,
        )
        return response.status_code

    with ThreadPoolExecutor(6) as pool:
        codes = list(pool.map(submit, range(6)))
    assert codes.count(303) == 6
    with Store.open() as store:
        assert [a.answer for a in store.get_session(sid).attempts] == [PAYLOADS[0]]
