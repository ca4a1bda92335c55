"""End to end in a real browser (Chromium via Playwright) against `casecoach serve`.

Screenshots go to test-artifacts/ (gitignored). Any console error fails the test: that is how
a Content-Security-Policy violation or a broken script shows.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from casecoach.store import Store
from tests.web.conftest import API_HEADERS, ARTIFACTS, LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Chromium at /usr/bin/chromium (apt-get install chromium)"),
]

DESIGN = ("We randomize groups into treatment and control, so the comparison is causal.\n\n"
          "We compare the outcomes between the two arms.")
FOLLOW_UP = "Run it for four weeks, so weekly cycles and novelty wear off."
STORY = ("I would lead with the decision for the product lead, then the evidence behind it, "
         "and close with the next steps.")
XSS = "<script>window.__xss = 1</script><img src=x onerror=\"window.__xss = 2\"> We randomize."

NON_EMPTY_PIXELS = """(canvas) => {
  const ctx = canvas.getContext('2d');
  if (!canvas.width || !canvas.height) return 0;
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
  return n;
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(base_url=live_server.url,
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: errors.append(str(e)))
    yield tab
    context.close()
    assert errors == [], errors


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def session_id(page: Any) -> str:
    match = re.search(r"/sessions/([0-9a-f]{32})", page.url)
    assert match, page.url
    return match.group(1)


def chart_pixels(page: Any, selector: str) -> int:
    page.wait_for_selector(f"{selector}[data-rendered='1']")
    canvas = page.locator(selector)
    box = canvas.bounding_box()
    assert box and box["width"] > 200 and box["height"] > 200
    return int(canvas.evaluate(NON_EMPTY_PIXELS))


def no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"))


def test_a_whole_practice_interview(page: Any, live_server: LiveServer) -> None:
    page.goto("/")
    assert page.locator("button[data-case='community-insights']").is_visible()
    assert page.get_by_text("#cluster-randomization").first.is_visible()
    shot(page, "01-picker")

    page.click("button[data-case='tiny']")
    page.wait_for_url(re.compile(r"/sessions/[0-9a-f]{32}$"))
    sid = session_id(page)
    assert page.get_by_text("A small case used by the tests.").is_visible()  # the scenario
    assert page.get_by_text("Question 1 of 2").is_visible()

    # Type, then reload: the draft is still there (nothing was submitted yet).
    box = page.locator("#answer")
    box.click()
    page.keyboard.type(DESIGN[:40])
    box.press_sequentially(DESIGN[40:], delay=0)
    assert "Draft saved" in page.locator("[data-draft-status]").inner_text()
    page.reload()
    assert page.locator("#answer").input_value() == DESIGN
    assert "Draft restored" in page.locator("[data-draft-status]").inner_text()
    assert page.locator("[data-counter]").inner_text().startswith(f"{len(DESIGN)} / 20,000")
    shot(page, "02-interview-draft-restored")

    # Submit: the feedback page.
    page.click("button[data-submit]")
    page.wait_for_url(re.compile(r"/attempts/\d+$"))
    assert page.locator(".score-badge .score-value").first.inner_text()
    assert page.locator(".level").first.inner_text()
    assert page.locator(".answer-text mark.hl").count() >= 1  # the sentence that earned it
    rows = page.locator("table.criteria").first.locator("tbody tr")
    assert rows.count() == 2
    assert page.locator("table.criteria").first.get_by_text("✘ missed").count() >= 1
    assert page.get_by_role("heading", name="Red flags").is_visible()
    assert page.locator("#ideal details").count() == 1  # waits while the follow-up is open
    shot(page, "03-feedback")

    # The follow-up, answered in place (htmx): no navigation, the section is replaced.
    page.evaluate("window.__same_page = true")
    url = page.url
    follow = page.locator("#follow-up-answer")
    follow.fill(FOLLOW_UP[:20])
    page.reload()
    assert page.locator("#follow-up-answer").input_value() == FOLLOW_UP[:20]  # draft kept
    page.locator("#follow-up-answer").fill(FOLLOW_UP)
    page.evaluate("window.__same_page = true")
    page.click("#follow-up button[data-submit]")
    page.wait_for_selector("#follow-up >> text=Your follow-up answer")
    assert page.evaluate("window.__same_page") is True and page.url == url
    assert page.locator("#follow-up .score-badge").is_visible()
    assert page.locator("#ideal details").count() == 0  # the ideal answer is out now
    assert page.locator("#ideal .prose").is_visible()
    shot(page, "04-follow-up-answered")

    page.click("text=Next question →")
    page.wait_for_url(re.compile(rf"/sessions/{sid}$"))
    assert page.get_by_text("Question 2 of 2").is_visible()
    page.fill("#answer", STORY)
    page.click("button[data-submit]")
    page.wait_for_url(re.compile(r"/attempts/\d+$"))
    if page.locator("#follow-up form").count():
        page.click("text=Skip it and see the senior-level answer")
        page.wait_for_selector("#follow-up >> text=Skipped:")
    page.click("text=See the session summary →")
    page.wait_for_url(re.compile(rf"/sessions/{sid}/summary$"))
    assert chart_pixels(page, "#competency-chart") > 1000
    assert page.get_by_role("heading", name="Session summary").is_visible()
    shot(page, "05-summary")

    # Stored drafts of this session are gone; everything typed is in the store.
    left = page.evaluate(f"""Object.keys(localStorage).filter(k => k.includes("{sid}"))""")
    assert left == []
    with Store.open(f"sqlite:///{live_server.home / 'casecoach.db'}") as store:
        view = store.get_session(sid)
    assert [a.answer for a in view.attempts][:2] == [DESIGN, FOLLOW_UP]
    assert view.status == "finished"

    page.click("text=See my progress")
    page.wait_for_url(re.compile(r"/progress$"))
    assert chart_pixels(page, "#progress-chart") > 1000
    shot(page, "06-progress")


def test_mock_interview_with_a_timer(page: Any) -> None:
    page.goto("/")
    page.check("input[name=mode][value=mock]")
    page.fill("input[name=minutes]", "2")
    page.click("button[data-case='tiny']")
    page.wait_for_url(re.compile(r"/sessions/[0-9a-f]{32}\?minutes=2$"))
    timer = page.locator(".timer-value")
    first = timer.inner_text()
    assert re.fullmatch(r"[12]:\d\d", first)
    time.sleep(1.6)
    later = timer.inner_text()
    assert later != first
    page.reload()  # the clock does not start again
    assert timer.inner_text() <= later
    shot(page, "07-mock-timer")
    # Out of time: the clock says so (the start is moved back instead of waiting 2 minutes).
    page.evaluate("""Object.keys(localStorage).filter(k => k.startsWith('casecoach:timer:'))
        .forEach(k => localStorage.setItem(k, String(Date.now() - 3 * 60 * 1000)))""")
    page.reload()
    assert "Time is up" in page.locator(".timer").inner_text()

    page.fill("#answer", DESIGN)
    page.click("button[data-submit]")
    page.wait_for_url(re.compile(r"/sessions/[0-9a-f]{32}\?minutes=2$"))
    assert page.get_by_text("Question 2 of 2").is_visible()  # no feedback in between
    assert page.locator(".score-badge").count() == 0
    page.fill("#answer", STORY)
    page.click("button[data-submit]")
    page.wait_for_url(re.compile(r"/summary$"))
    assert page.get_by_text("Debrief: every answer").is_visible()
    assert chart_pixels(page, "#competency-chart") > 1000
    shot(page, "08-mock-summary")


def test_candidate_text_shows_as_text(page: Any) -> None:
    page.goto("/")
    page.click("button[data-case='tiny']")
    page.wait_for_url(re.compile(r"/sessions/[0-9a-f]{32}$"))
    page.fill("#answer", XSS)
    page.click("button[data-submit]")
    page.wait_for_url(re.compile(r"/attempts/\d+$"))
    assert page.evaluate("window.__xss") is None
    assert XSS in page.locator(".answer-text").first.inner_text()
    assert page.locator(".answer-text img, .answer-text script").count() == 0


def test_refused_answer_keeps_the_text(page: Any) -> None:
    page.goto("/")
    page.click("button[data-case='tiny']")
    page.wait_for_url(re.compile(r"/sessions/[0-9a-f]{32}$"))
    long_text = "We randomize groups. " * 1_000  # 21,000 characters
    page.fill("#answer", long_text)
    assert "too long by 1,000" in page.locator("[data-counter]").inner_text()
    page.click("button[data-submit]")  # refused in the page, before anything is sent
    assert "the limit is 20,000" in page.locator(".error").inner_text()
    assert page.locator("#answer").input_value() == long_text


def test_practise_weakest_and_mobile_layout(page: Any, live_server: LiveServer) -> None:
    client = httpx.Client(base_url=live_server.url, headers=API_HEADERS, timeout=60)
    sid = client.post("/api/sessions", json={"case": "tiny"}).json()["id"]
    client.post(f"/api/sessions/{sid}/answers", json={"answer": DESIGN})
    page.goto("/")
    button = page.locator("#practise-weakest")
    assert button.is_visible()
    button.click()
    page.wait_for_url(re.compile(r"/sessions/[0-9a-f]{32}$"))
    assert page.get_by_text("Question 1 of 1").is_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    assert no_horizontal_scroll(page)
    shot(page, "09-mobile-interview")
    page.goto(f"/sessions/{sid}")  # its follow-up waits on the feedback page
    page.wait_for_url(re.compile(r"/attempts/\d+"))
    assert no_horizontal_scroll(page)
    shot(page, "10-mobile-feedback")
    page.goto("/")
    assert no_horizontal_scroll(page)
    client.close()


def test_missing_pages_are_friendly(browser: Any, live_server: LiveServer) -> None:
    context = browser.new_context(base_url=live_server.url)
    tab = context.new_page()
    try:
        response = tab.goto("/sessions/" + "0" * 32)
        assert response is not None and response.status == 404
        assert tab.get_by_role("heading", name="Not found").is_visible()
        assert tab.get_by_role("link", name="Back to the cases").is_visible()
        assert "Traceback" not in tab.content()
    finally:
        context.close()
