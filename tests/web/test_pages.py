"""The HTML pages through the real app: picker, interview, feedback, summary, progress, 404s."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from casecoach.store import Store
from tests.web.conftest import HTML, Web

GAP_DESIGN = "We randomize groups into treatment and control and compare the outcomes."
FULL_DESIGN = (
    "We randomize groups into two arms, treatment and control. Run it for four weeks so "
    "novelty wears off."
)
STORY = "Lead with the decision for the product lead, then the evidence and the next steps."


def location(response: object) -> str:
    headers = response.headers  # type: ignore[attr-defined]
    return str(headers["location"])


@pytest.mark.covers("GET /")
def test_picker_lists_cases_with_tags_competencies_and_difficulty(web: Web) -> None:
    page = web.page("/")
    assert "Community Insights" in page and "Tiny" in page
    assert "#cluster-randomization" in page and "#test" in page
    assert "Research design" in page and "Storytelling with data" in page
    assert "difficulty-hard" in page and "difficulty-easy" in page
    assert 'name="mode" value="practice"' in page and 'name="mode" value="mock"' in page
    assert "Practise my weakest competency" not in page  # no history yet
    assert "Continue where you stopped" not in page


@pytest.mark.covers("POST /sessions", "GET /sessions/{session_id}")
def test_start_shows_the_scenario_beside_the_first_question(web: Web) -> None:
    sid = web.start("community-insights")
    page = web.page(f"/sessions/{sid}")
    assert "Question 1 of 5" in page and "Research design" in page
    assert "1.8 million groups are eligible" in page  # the scenario
    assert f'data-draft-key="casecoach:draft:{sid}:research-design:answer"' in page
    assert "data-timer-minutes" not in page  # practice mode: no timer
    assert "Continue where you stopped" in web.page("/")


def test_start_refuses_bad_input(web: Web) -> None:
    assert web.post("/sessions", {"case": "nope"}).status_code == 404
    assert web.post("/sessions", {"case": "tiny", "mode": "exam"}).status_code == 422
    bad_focus = web.post("/sessions", {"case": "tiny", "focus": "goals-metrics"})
    assert bad_focus.status_code == 422 and "no question" in bad_focus.text
    missing = web.post("/sessions", {})
    assert missing.status_code == 422 and "case" in missing.text and "<html" in missing.text


@pytest.mark.covers("POST /sessions/{session_id}/answer",
                    "GET /sessions/{session_id}/attempts/{attempt_id}")
def test_practice_answer_feedback_and_follow_up(web: Web) -> None:
    sid = web.start()
    response = web.answer(sid, GAP_DESIGN)
    assert response.status_code == 303
    feedback_url = location(response)
    assert re.fullmatch(rf"/sessions/{sid}/attempts/\d+", feedback_url)
    page = web.page(feedback_url)
    assert "Feedback · Question 1 of 2" in page
    assert re.search(r'class="score-value">\d\.\d<', page)
    assert "Criteria" in page and "Randomizes" in page and "Sets a duration" in page
    assert '<mark class="hl hl-met"' in page  # the sentence that earned "randomizes"
    assert "✘ missed" in page and "Tip: Say how long it runs." in page
    assert "Red flags" in page
    # The follow-up, answerable in place; the ideal answer waits behind a <details>.
    assert 'id="follow-up"' in page and 'hx-post=' in page
    assert 'name="step" value="design:follow_up"' in page
    assert "<details>" in page and "Randomize groups into treatment and control" in page
    # The interview page sends a pending follow-up to the feedback page.
    pending = web.client.get(f"/sessions/{sid}", headers=HTML, follow_redirects=False)
    assert pending.status_code == 303 and location(pending) == f"{feedback_url}#follow-up"

    follow = web.answer(sid, "Run it for four weeks.", step="design:follow_up")
    assert follow.status_code == 303 and location(follow) == f"{feedback_url}#follow-up"
    page = web.page(feedback_url)
    assert "Your follow-up answer" in page and "Run it for four weeks." in page
    assert "With the follow-up, the answer grades" in page
    assert "Next question →" in page and "<details>\n" not in page.split('id="ideal"')[1][:200]

    # The follow-up attempt's own URL leads to the same page.
    with Store.open() as store:
        follow_id = store.get_session(sid).attempts[-1].id
    moved = web.client.get(f"/sessions/{sid}/attempts/{follow_id}", headers=HTML,
                           follow_redirects=False)
    assert location(moved) == f"{feedback_url}#follow-up"

    page = web.page(f"/sessions/{sid}")
    assert "Question 2 of 2" in page and "How would you present it?" in page
    assert "design:answer design:follow_up" in page  # drafts of stored steps are dropped


@pytest.mark.covers("POST /sessions/{session_id}/skip")
def test_skip_follow_up_and_question(web: Web) -> None:
    sid = web.start()
    feedback_url = location(web.answer(sid, GAP_DESIGN))
    skipped = web.post(f"/sessions/{sid}/skip", {"step": "design:follow_up"})
    assert skipped.status_code == 303 and location(skipped) == feedback_url
    page = web.page(feedback_url)
    assert "Skipped:" in page and "Next question →" in page
    skipped = web.post(f"/sessions/{sid}/skip", {"step": "story:answer"})
    assert skipped.status_code == 303 and location(skipped) == f"/sessions/{sid}/summary"
    assert "Session summary" in web.page(f"/sessions/{sid}/summary")
    # Finished: the interview page leads to the summary, and answering is refused.
    done = web.client.get(f"/sessions/{sid}", headers=HTML, follow_redirects=False)
    assert location(done) == f"/sessions/{sid}/summary"
    late = web.answer(sid, STORY, step="story:answer")
    assert late.status_code == 303 and "notice=stale" in location(late)


def test_a_skip_is_stored_so_another_server_process_goes_on(web: Web) -> None:
    """Skips are in the store, not only in this process: a second app (another worker, or
    the server restarted) continues after the skipped follow-up."""
    from fastapi.testclient import TestClient

    from casecoach.web import create_app

    sid = web.start()
    web.answer(sid, GAP_DESIGN)
    assert web.step(sid) == "design:follow_up"
    web.post(f"/sessions/{sid}/skip", {"step": "design:follow_up"})
    other = create_app(allowed_hosts=["testserver"], grader="embedded")
    try:
        with TestClient(other, raise_server_exceptions=False) as client:
            assert Web(client, other).step(sid) == "story:answer"
    finally:
        other.state.web.interviews.store.close()


def test_skipping_a_question_in_practice_shows_its_ideal_answer(web: Web) -> None:
    sid = web.start()
    skipped = web.post(f"/sessions/{sid}/skip", {"step": "design:answer"})
    assert location(skipped) == f"/sessions/{sid}?skipped=design"
    page = web.page(location(skipped))
    assert "The question you skipped" in page
    assert "Randomize groups into treatment and control and compare outcomes." in page
    assert "Question 2 of 2" in page


def test_a_stale_form_does_not_store_twice(web: Web) -> None:
    sid = web.start(mode="mock")
    first = web.answer(sid, GAP_DESIGN, step="design:answer")
    assert first.status_code == 303
    again = web.answer(sid, GAP_DESIGN, step="design:answer")  # a double click, a back button
    assert again.status_code == 303 and "notice=stale" in location(again)
    assert "already been submitted" in web.page(location(again))
    with Store.open() as store:
        assert [a.answer for a in store.get_session(sid).attempts] == [GAP_DESIGN]


def test_refused_answers_keep_the_text(web: Web) -> None:
    sid = web.start()
    empty = web.answer(sid, "   ")
    assert empty.status_code == 422 and "Not submitted: the answer is empty" in empty.text
    long_text = "word " * 4_001
    too_long = web.answer(sid, long_text)
    assert too_long.status_code == 413
    assert "the limit is 20,000" in too_long.text and long_text.strip() in too_long.text
    with Store.open() as store:
        assert store.get_session(sid).attempts == []


@pytest.mark.covers("GET /sessions/{session_id}/summary")
def test_mock_mode_timer_and_feedback_only_at_the_end(web: Web) -> None:
    sid = web.start(mode="mock", minutes="3")
    page = web.page(f"/sessions/{sid}?minutes=3")
    assert 'data-timer-minutes="3"' in page and "Submit answer" in page
    assert 'name="minutes" value="3"' in page
    first = web.answer(sid, GAP_DESIGN, minutes="3")
    assert location(first) == f"/sessions/{sid}?minutes=3"  # straight on: no feedback
    with Store.open() as store:
        attempt_id = store.get_session(sid).attempts[0].id
    hidden = web.client.get(f"/sessions/{sid}/attempts/{attempt_id}", headers=HTML,
                            follow_redirects=False)
    assert hidden.status_code == 303  # feedback waits for the end
    early = web.client.get(f"/sessions/{sid}/summary", headers=HTML, follow_redirects=False)
    assert early.status_code == 303
    # Without a chosen length the timer uses the question's suggested minutes (8 by default).
    assert 'data-timer-minutes="8"' in web.page(f"/sessions/{sid}")
    last = web.answer(sid, STORY)
    assert location(last) == f"/sessions/{sid}/summary"
    page = web.page(f"/sessions/{sid}/summary")
    assert "Debrief: every answer" in page and 'data-chart="radar"' in page
    assert f'data-src="/api/sessions/{sid}/summary"' in page
    assert "Research design" in page and "Storytelling with data" in page
    assert "score-value" in page and "Goals &amp; success metrics" in page
    assert "A senior-level answer" in web.page(f"/sessions/{sid}/attempts/{attempt_id}")


@pytest.mark.covers("GET /progress", "POST /sessions/weakest")
def test_progress_and_practise_weakest(web: Web) -> None:
    empty = web.page("/progress")
    assert "No graded answers yet" in empty and "<canvas" not in empty
    for design in (GAP_DESIGN, FULL_DESIGN):
        sid = web.start(mode="mock")
        web.answer(sid, design)
        web.answer(sid, "Pie charts.")
    page = web.page("/progress")
    assert 'data-chart="progress"' in page and 'data-src="/api/progress"' in page
    assert "Research design" in page and "Storytelling with data" in page
    picker = web.page("/")
    assert "Practise my weakest competency" in picker
    assert "Your weakest competency so far: Storytelling with data" in picker
    started = web.post("/sessions/weakest", {"mode": "practice"})
    assert started.status_code == 303
    sid = location(started).split("/")[2]
    state = web.client.get(f"/api/sessions/{sid}").json()
    assert state["focus"] == ["storytelling"] and state["current"]["total"] == 1
    assert state["case"] != "tiny"  # the least practised case with that competency


def test_practise_weakest_without_history_is_a_clear_error(web: Web) -> None:
    response = web.post("/sessions/weakest", {"mode": "practice"})
    assert response.status_code == 409 and "no graded answer yet" in response.text


@pytest.mark.parametrize("url", [
    "/sessions/" + "0" * 32,
    "/sessions/not-a-session",
    "/sessions/abcd",
    "/sessions/" + "0" * 32 + "/summary",
    "/sessions/" + "0" * 32 + "/attempts/1",
    "/nope",
    "/static/nope.js",
])
def test_bad_ids_give_a_404_page(web: Web, url: str) -> None:
    response = web.client.get(url, headers=HTML)
    assert response.status_code == 404
    assert "Not found" in response.text and "Traceback" not in response.text
    assert response.headers["content-type"].startswith("text/html")


def test_bad_attempt_ids_give_a_404_page(web: Web) -> None:
    sid = web.start()
    other = web.start()
    web.answer(other, GAP_DESIGN)
    with Store.open() as store:
        other_attempt = store.get_session(other).attempts[0].id
    for attempt in ("abc", "-1", "99999", str(other_attempt), "1" * 40):
        response = web.client.get(f"/sessions/{sid}/attempts/{attempt}", headers=HTML)
        assert response.status_code == 404, attempt
        assert "Not found" in response.text


@pytest.mark.covers("GET /static/{path}")
def test_vendored_assets_are_served_with_their_licenses(web: Web) -> None:
    for path in ("vendor/htmx.min.js", "vendor/chart.umd.min.js", "vendor/htmx.LICENSE",
                 "vendor/chart.js.LICENSE.md", "app.js", "app.css", "favicon.svg"):
        response = web.client.get(f"/static/{path}")
        assert response.status_code == 200, path
        assert len(response.content) > 100
    page = web.page("/")
    assert "https://" not in re.sub(r'<a [^>]*href="https://[^"]*"', "", page)  # no CDN
    assert 'src="/static/vendor/htmx.min.js"' in page


def test_vendored_files_are_the_recorded_ones() -> None:
    vendor = Path(__file__).resolve().parents[2] / "src/casecoach/web/static/vendor"
    recorded = re.findall(r"^([0-9a-f]{64})  (\S+)$", (vendor / "README.md").read_text("utf-8"),
                          flags=re.MULTILINE)
    assert {name for _, name in recorded} == {"htmx.min.js", "chart.umd.min.js"}
    for digest, name in recorded:
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == digest, name
