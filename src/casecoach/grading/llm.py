"""The LLM grader: the same rubric, judged by a model on any OpenAI-compatible server.

The model is trusted for judgement, never for facts casecoach can check:

- its reply must be JSON that validates against `LlmReply` (else: asked again with backoff,
  then the embedded grade, with a note saying so; never a made-up score);
- every quote must be the answer's own words, or the point gets the embedded judgement;
- the score is computed here from the per-criterion statuses and weights, like the embedded
  grader's, and can exceed the embedded grade by at most `SCORE_MARGIN` (not at all when the
  answer talks to the grader);
- timeouts, refused connections, 429s (Retry-After honoured, bounded) and 5xx are retried a
  bounded number of times; a server found down is skipped for `COOLDOWN` seconds so a batch
  goes on at the embedded grader's speed.

Each grade keeps the exact prompt and raw reply (`Grade.audit`), never the API key. `openai`
is imported only when a client is made.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from casecoach.config import ConfigError, LlmSettings, llm_settings, safe_url
from casecoach.grading.embedded import FULL_COVERAGE, Flag, choose_follow_up, points_for
from casecoach.grading.grade import (
    AuditMessage,
    AuditTry,
    CriterionResult,
    Grade,
    GradeAudit,
    RedFlagHit,
    Status,
    level_for,
)
from casecoach.grading.llm_prompt import (
    LlmReply,
    ReplyInvalid,
    build_messages,
    injection_signals,
    parse_reply,
    quote_in_answer,
    retry_message,
)
from casecoach.grading.protocol import Grader, GradingTask
from casecoach.grading.registry import GraderUnavailable, get_grader

if TYPE_CHECKING:
    from collections.abc import Mapping

    from casecoach.grading.embedded import Point

MAX_REPLY_TRIES = 3  # replies that are not valid JSON for the schema
MAX_TRANSPORT_TRIES = 3  # refused connections, 429, 5xx
MAX_TIMEOUT_TRIES = 2  # a timeout costs the whole timeout: try once more only
BACKOFF_BASE = 0.5  # seconds, doubled on each retry
MAX_BACKOFF = 8.0
MAX_RETRY_AFTER = 30.0  # a server asking for a longer wait is not waited for
COOLDOWN = 30.0  # a server found down is not asked again for this long
MAX_TOKENS = 2000
SCORE_MARGIN = 0.75  # how far above the embedded evidence an LLM judgement may lift a score
CREDIT: dict[Status, float] = {"met": 1.0, "partly": 0.5, "missed": 0.0}


class LlmUnavailable(Exception):
    """The model could not be used for this answer: the reason is shown to the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ChatResult:
    text: str | None
    model: str


def backoff(attempt: int) -> float:
    return float(min(MAX_BACKOFF, BACKOFF_BASE * 2**attempt))


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds a server asks to wait (Retry-After in seconds or as a date, or retry-after-ms)."""
    if not headers:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def scrub(text: str | None, secret: str | None) -> str | None:
    """`text` with the API key blanked out, should a server ever echo it."""
    if text is None or not secret:
        return text
    return text.replace(secret, "[redacted]")


class LlmClient:
    """One OpenAI-compatible server and model, with bounded retries of its own."""

    def __init__(self, settings: LlmSettings) -> None:
        if not settings.base_url or not settings.model:
            raise GraderUnavailable("no LLM is configured")
        from openai import OpenAI  # lazily: only LLM users pay for the import

        self.settings = settings
        self.model: str = settings.model
        self.url = safe_url(settings.base_url)
        self._client = OpenAI(
            base_url=settings.base_url,
            api_key=settings.api_key or "not-needed",  # local servers accept any key
            max_retries=0,  # retries are ours: bounded, logged, Retry-After honoured
            timeout=settings.timeout,
        )
        self._json_mode = True
        self._down_until = 0.0
        self._down_reason = ""

    def _error(self, text: str) -> str:
        return scrub(text, self.settings.api_key) or ""

    def _mark_down(self, reason: str) -> LlmUnavailable:
        self._down_until = time.monotonic() + COOLDOWN
        self._down_reason = reason
        return LlmUnavailable(reason)

    def chat(
        self,
        messages: list[dict[str, str]],
        tries: list[AuditTry] | None = None,
        *,
        json_mode: bool = True,
        max_tokens: int = MAX_TOKENS,
        max_tries: int = MAX_TRANSPORT_TRIES,
    ) -> ChatResult:
        """One reply to `messages`, retrying what is worth retrying; `LlmUnavailable` if none.

        Every request is logged in `tries` (the raw reply, or the error)."""
        import openai

        log = tries if tries is not None else []
        if time.monotonic() < self._down_until:
            raise LlmUnavailable(f"{self._down_reason}; not retried for {COOLDOWN:g} s")
        transport = timeouts = 0
        while True:
            kwargs: dict[str, Any] = {"model": self.model, "messages": messages,
                                      "temperature": 0, "max_tokens": max_tokens}
            if json_mode and self._json_mode:
                kwargs["response_format"] = {"type": "json_object"}
            try:
                completion = self._client.chat.completions.create(**kwargs)
            except openai.APITimeoutError:
                timeouts += 1
                reason = f"no reply from {self.url} within {self.settings.timeout:g} s"
                log.append(AuditTry(error=reason))
                if timeouts >= min(MAX_TIMEOUT_TRIES, max_tries):
                    raise self._mark_down(reason) from None
                continue
            except openai.APIConnectionError as exc:
                transport += 1
                cause = exc.__cause__ or exc
                reason = self._error(f"cannot reach {self.url} ({type(cause).__name__}: {cause})")
                log.append(AuditTry(error=reason))
                if transport >= max_tries:
                    raise self._mark_down(reason) from None
                time.sleep(backoff(transport - 1))
                continue
            except openai.APIStatusError as exc:
                status = exc.status_code
                detail = self._error(_status_detail(exc))
                log.append(AuditTry(error=f"HTTP {status}: {detail}"))
                if status == 400 and kwargs.get("response_format"):
                    self._json_mode = False  # a server without JSON mode: ask without it
                    continue
                if status in (401, 403):
                    raise self._mark_down(
                        f"{self.url} refused the API key (HTTP {status})") from None
                if status == 404:
                    raise LlmUnavailable(
                        f"{self.url} has no model {self.model!r} (HTTP 404)") from None
                if status == 429 or status >= 500:
                    transport += 1
                    wait = retry_after(exc.response.headers) if status == 429 else None
                    if wait is not None and wait > MAX_RETRY_AFTER:
                        raise LlmUnavailable(
                            f"{self.url} is rate-limiting (asks to wait {wait:.0f} s)") from None
                    if transport >= max_tries:
                        what = "is rate-limiting" if status == 429 else "fails"
                        raise LlmUnavailable(f"{self.url} {what} (HTTP {status}) after "
                                             f"{transport} tries") from None
                    time.sleep(wait if wait is not None else backoff(transport - 1))
                    continue
                raise LlmUnavailable(f"{self.url} answered HTTP {status}: {detail}") from None
            except openai.APIError as exc:  # a reply the client could not even parse
                reason = self._error(f"{self.url} sent a malformed response ({exc})")
                log.append(AuditTry(error=reason))
                raise LlmUnavailable(reason) from None
            text = _content(completion)
            log.append(AuditTry(reply=self._error(text) if text is not None else None,
                                error=None if text is not None else "the reply has no content"))
            model = getattr(completion, "model", None)
            return ChatResult(text=text, model=model if isinstance(model, str) and model
                              else self.model)

    def list_models(self) -> list[str]:
        """The ids of the models the server lists (one request, no retry)."""
        import openai

        try:
            page = self._client.models.list()
        except openai.APITimeoutError:
            raise LlmUnavailable(
                f"no reply from {self.url} within {self.settings.timeout:g} s") from None
        except openai.APIConnectionError as exc:
            cause = exc.__cause__ or exc
            raise LlmUnavailable(
                self._error(f"cannot reach {self.url} ({type(cause).__name__}: {cause})")
            ) from None
        except openai.APIStatusError as exc:
            raise LlmUnavailable(
                self._error(f"{self.url} answered HTTP {exc.status_code}: {_status_detail(exc)}")
            ) from None
        return [str(m.id) for m in page.data]


def _status_detail(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        message = error.get("message") if isinstance(error, dict) else error
        if message:
            return str(message)[:300]
    return str(getattr(exc, "message", exc))[:300]


def _content(completion: Any) -> str | None:
    choices = getattr(completion, "choices", None)
    if not choices:
        return None
    message = getattr(choices[0], "message", None)
    content = getattr(message, "content", None)
    return content if isinstance(content, str) else None


class LlmGrader:
    """`--grader llm`: the model judges every rubric point itself, finding its own quotes.

    `settings=None` reads the configuration at each grade, so `casecoach config set` takes
    effect without a restart.
    """

    name = "llm"
    version = "0.1.0"
    uses_evidence = False  # the hybrid grader shows the model the embedded evidence

    def __init__(self, settings: LlmSettings | None = None) -> None:
        self._fixed = settings
        self._settings()  # refuse to exist without a configured LLM
        self._embedded: Grader = get_grader("embedded")
        self._clients: dict[tuple[str, str, str, float], LlmClient] = {}

    def ensure_available(self) -> None:
        """Raise `GraderUnavailable` unless an LLM is configured (the registry asks)."""
        self._settings()

    def _settings(self) -> LlmSettings:
        try:
            settings = self._fixed or llm_settings()
        except ConfigError as exc:
            raise GraderUnavailable(f"the LLM settings are invalid: {exc}") from None
        if not settings.configured:
            raise GraderUnavailable(
                f"the {self.name} grader needs an LLM: set {' and '.join(settings.missing())} "
                "(e.g. `casecoach config set llm.base-url http://localhost:11434/v1`)"
            )
        return settings

    def client(self, settings: LlmSettings) -> LlmClient:
        key = (settings.base_url or "", settings.model or "", settings.api_key or "",
               settings.timeout)
        if key not in self._clients:
            self._clients[key] = LlmClient(settings)
        return self._clients[key]

    def grade(self, task: GradingTask) -> Grade:
        task.check()
        evidence = self._embedded.grade(task)  # CannotGrade goes up: no grader can grade it
        try:
            settings = self._settings()
        except GraderUnavailable as exc:
            return _fallback(evidence, str(exc), GradeAudit())
        points, flags = points_for(task.question)
        if self.uses_evidence:
            flags = with_method_mistakes(flags, evidence)
        messages = build_messages(task, points, flags, evidence if self.uses_evidence else None)
        client = self.client(settings)
        tries: list[AuditTry] = []
        sent = messages
        audit = GradeAudit(model=settings.model, base_url=client.url,
                           prompt=_audit_messages(messages, settings.api_key),
                           evidence_score=evidence.score)
        try:
            reply, raw, model, sent = self._ask(client, messages, points, flags, tries)
        except LlmUnavailable as exc:
            return _fallback(evidence, exc.reason, audit.model_copy(update={"tries": tries}))
        audit = audit.model_copy(update={
            "prompt": _audit_messages(sent, settings.api_key),
            "raw_reply": scrub(raw, settings.api_key),
            "tries": tries,
        })
        return self._combine(task, points, flags, evidence, reply, model, audit)

    def _ask(
        self,
        client: LlmClient,
        messages: list[dict[str, str]],
        points: list[Point],
        flags: list[Flag],
        tries: list[AuditTry],
    ) -> tuple[LlmReply, str, str, list[dict[str, str]]]:
        """A valid reply, the raw text it came from, the model and the messages that got it."""
        point_ids = [p.id for p in points]
        flag_ids = [f.id for f in flags]
        sent = messages
        problem = ""
        for attempt in range(MAX_REPLY_TRIES):
            result = client.chat(sent, tries)
            try:
                reply = parse_reply(result.text, point_ids, flag_ids)
            except ReplyInvalid as exc:
                problem = str(exc)
                last = tries[-1]
                tries[-1] = last.model_copy(update={"error": f"rejected: {problem}"})
            else:
                return reply, result.text or "", result.model, sent
            if attempt + 1 < MAX_REPLY_TRIES:
                time.sleep(backoff(attempt))
                sent = [*messages,
                        {"role": "assistant", "content": (result.text or "")[:4000]},
                        retry_message(problem)]
        raise LlmUnavailable(f"no usable reply after {MAX_REPLY_TRIES} tries: {problem}")

    def _combine(
        self,
        task: GradingTask,
        points: list[Point],
        flags: list[Flag],
        evidence: Grade,
        reply: LlmReply,
        model: str,
        audit: GradeAudit,
    ) -> Grade:
        """The grade: statuses from the model where its quotes check out, the score from them."""
        verdicts = {v.id: v for v in reply.criteria}
        matched = {c.id: c for c in evidence.criteria}
        results: list[CriterionResult] = []
        adjustments: list[str] = []
        rejudged: list[str] = []
        for point in points:
            verdict = verdicts[point.id]
            status: Status = verdict.status
            quote = verdict.quote if status != "missed" else None
            reason: str | None = verdict.reason or None
            if status != "missed" and not quote_in_answer(quote, task.answer):
                fallback = matched.get(point.id)
                status = fallback.status if fallback else "missed"
                adjustments.append(
                    f"{point.id}: the model said {verdict.status} quoting {quote!r}, which is "
                    f"not in the answer; the embedded judgement ({status}) is used"
                )
                rejudged.append(point.description)
                quote = fallback.quote if fallback else None
                reason = "The model's quote is not in the answer: the sentence matcher's " \
                         "judgement is used."
            results.append(CriterionResult(
                id=point.id, description=point.description, weight=point.weight,
                status=status, quote=quote, hint=point.hint, reason=reason,
            ))

        flag_by_id = {f.id: f for f in flags}
        red_flags: list[RedFlagHit] = []
        for hit in reply.red_flags:
            if any(r.id == hit.id for r in red_flags):
                continue
            if not quote_in_answer(hit.quote, task.answer):
                adjustments.append(f"red flag {hit.id}: quote {hit.quote!r} is not in the "
                                   "answer; dropped")
                continue
            flag = flag_by_id[hit.id]
            red_flags.append(RedFlagHit(id=flag.id, description=flag.description,
                                        penalty=flag.penalty, quote=hit.quote))

        notes: list[str] = []
        score = _score(points, results)
        minor = sum(f.penalty for f in red_flags if f.penalty < 1.0)
        serious = [f for f in red_flags if f.penalty >= 1.0]
        score -= minor
        if serious:
            flag_cap = max(1.0, 3.0 - 0.5 * sum(f.penalty for f in serious))
            if score > flag_cap:
                score = flag_cap
                notes.append("A methodological mistake caps this grade; see the red flags.")
        if rejudged:
            notes.append(
                f"The LLM quoted words that are not in your answer for {len(rejudged)} point(s) "
                f"({'; '.join(rejudged)}): the sentence matcher's judgement is used for them."
            )

        signals = injection_signals(task.answer)
        if reply.injection and not signals:
            signals = ["the model found text addressed to the grader"]
        margin = 0.0 if signals else SCORE_MARGIN
        ceiling = evidence.score + margin
        if signals:
            notes.append(
                "Your answer contains text aimed at the grader (" + "; ".join(signals) + "). "
                "It was graded as an answer, and its grade cannot exceed the sentence "
                f"matcher's ({evidence.score:.1f})."
            )
            adjustments.append(f"prompt injection suspected ({'; '.join(signals)}): the LLM's "
                               "feedback and follow-up are not used; ceiling = evidence score")
        if score > ceiling:
            adjustments.append(f"score {score:.2f} capped at {ceiling:.2f} "
                               f"(evidence {evidence.score:.2f} + {margin:g})")
            score = ceiling
            if not signals:
                notes.append(f"Capped at {ceiling:.1f}: an LLM judgement may add at most "
                             f"{SCORE_MARGIN:g} to what the sentence matcher found.")
            notes.extend(n for n in evidence.notes if n not in notes)
        score = float(min(5.0, max(1.0, score)))

        follow_up: str | None = None
        if any(r.status != "met" for r in results):
            asked = " ".join((reply.follow_up or "").split())
            follow_up = (asked if asked and not signals
                         else choose_follow_up(task.question, results))
        feedback = [] if signals else [" ".join(reply.feedback.split())]
        return Grade(
            score=round(score, 2),
            level=level_for(score),
            criteria=results,
            red_flags=red_flags,
            notes=[*feedback, *notes],
            follow_up=follow_up,
            grader=self.name,
            grader_version=self.version,
            model=model,
            audit=audit.model_copy(update={"adjustments": adjustments}),
        )


def _score(points: list[Point], results: list[CriterionResult]) -> float:
    """1-5 from the weighted statuses, on the embedded grader's scale (FULL_COVERAGE earns 5)."""
    total = sum(p.weight for p in points) or 1.0
    earned = sum(r.weight * CREDIT[r.status] for r in results)
    return 1.0 + 4.0 * min(1.0, (earned / total) / FULL_COVERAGE)


def _audit_messages(messages: list[dict[str, str]], secret: str | None) -> list[AuditMessage]:
    return [AuditMessage(role=m["role"], content=scrub(m["content"], secret) or "")
            for m in messages]


def with_method_mistakes(flags: list[Flag], evidence: Grade) -> list[Flag]:
    """The rubric's red flags plus the method mistakes the embedded grader found by wording
    (peeking, a null read as no effect, ...): the evidence names them, so the model must be
    able to confirm them by id."""
    known = {f.id for f in flags}
    found = [
        Flag(hit.id, hit.description, hit.penalty, ())
        for hit in evidence.red_flags
        if hit.id not in known
    ]
    return [*flags, *found]


def _fallback(evidence: Grade, reason: str, audit: GradeAudit) -> Grade:
    """The embedded grade, saying plainly that the LLM was not used and why."""
    note = f"The LLM could not grade this answer ({reason}): this is the embedded grade."
    return evidence.model_copy(update={
        "notes": [*evidence.notes, note],
        "audit": audit.model_copy(update={"fallback": reason,
                                          "evidence_score": evidence.score}),
    })
