"""What keeps the web app safe to leave running: CSRF tokens, size limits, headers, hosts.

* Forms carry a CSRF token that must equal the one in a signed, HttpOnly, SameSite=Lax cookie
  (double submit: another site can neither read the cookie nor forge its signature).
* JSON API writes need a custom header (`X-Requested-With`) and a JSON body: a browser only
  sends either cross-site after a CORS preflight, which this app never approves.
* Request bodies over `MAX_BODY_BYTES` get a 413 with a message, before any parsing.
* Every response carries a strict Content-Security-Policy (no inline script, nothing from
  another origin) and the usual hardening headers.
* Only the hosts the server was told about are served (TrustedHostMiddleware, in `app.py`),
  so a DNS-rebinding page cannot read a candidate's answers from localhost.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from fastapi import HTTPException, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from casecoach.grading.protocol import MAX_ANSWER_CHARS

CSRF_COOKIE = "casecoach_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
API_HEADER = "x-requested-with"
SECRET_ENV = "CASECOACH_WEB_SECRET"
SECRET_FILE = "web-secret"
# An answer may hold 20,000 characters of up to 4 UTF-8 bytes, and a form encodes most
# non-ASCII bytes as 3 characters: 256 KiB leaves room for any legal answer.
MAX_BODY_BYTES = 256 * 1024
TOO_LARGE = (
    f"The request is too large: the limit is {MAX_BODY_BYTES // 1024} KB "
    f"(an answer may hold up to {MAX_ANSWER_CHARS:,} characters). Nothing was saved; "
    "your draft is still in the page."
)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


def load_secret(home: Path) -> bytes:
    """The key that signs CSRF cookies: `CASECOACH_WEB_SECRET`, else a file in the home folder.

    Kept in a file (mode 0600) so a restart, or a second worker, accepts the forms open in a
    candidate's browser.
    """
    env = os.environ.get(SECRET_ENV, "").strip()
    if env:
        return env.encode()
    path = home / SECRET_FILE
    try:
        value = path.read_text("ascii").strip()
        if len(value) >= 32:
            return value.encode()
    except (OSError, UnicodeDecodeError):
        pass
    value = secrets.token_urlsafe(48)
    tmp = path.with_name(f"{SECRET_FILE}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(value)
        os.replace(tmp, path)
    except OSError:
        return value.encode()  # a read-only home: forms still work until a restart
    return path.read_text("ascii").strip().encode()


class Csrf:
    """Issues and checks double-submit tokens whose cookie is signed with the app's secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _sign(self, token: str) -> str:
        return hmac.new(self._secret, token.encode(), hashlib.sha256).hexdigest()

    def cookie_value(self, token: str) -> str:
        return f"{token}.{self._sign(token)}"

    def token_from_cookie(self, request: Request) -> str | None:
        """The token in the request's cookie, if the cookie is present and its signature holds."""
        raw = request.cookies.get(CSRF_COOKIE, "")
        token, _, signature = raw.partition(".")
        if not token or not signature:
            return None
        if not hmac.compare_digest(signature, self._sign(token)):
            return None
        return token

    def token_for(self, request: Request) -> tuple[str, bool]:
        """The token to put in this page's forms, and whether the cookie must be (re)set."""
        token = self.token_from_cookie(request)
        if token is not None:
            return token, False
        cached = getattr(request.state, "csrf_new_token", None)
        if cached:
            return cached, True
        token = secrets.token_urlsafe(32)
        request.state.csrf_new_token = token
        return token, True

    def set_cookie(self, request: Request, response: Response, token: str) -> None:
        response.set_cookie(
            CSRF_COOKIE,
            self.cookie_value(token),
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )

    def check(self, request: Request, submitted: str | None) -> None:
        """Refuse a form post whose token does not match its signed cookie (403)."""
        expected = self.token_from_cookie(request)
        given = submitted or request.headers.get(CSRF_HEADER, "")
        if expected is None or not given or not hmac.compare_digest(expected, given):
            raise HTTPException(
                status_code=403,
                detail=(
                    "This form has expired or was not sent from casecoach's own page. Reload the "
                    "page and submit again: your draft is kept."
                ),
            )


def require_api_client(request: Request) -> None:
    """JSON API writes: a custom header and a JSON body, which no cross-site form can send."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if not request.headers.get(API_HEADER):
        raise HTTPException(
            status_code=403,
            detail="API requests that change data need the header 'X-Requested-With' "
            "(any value), which cross-site pages cannot send.",
        )
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise HTTPException(status_code=415, detail="send the request body as application/json")


def _wants_html(scope: Scope) -> bool:
    path = str(scope.get("path", ""))
    if path.startswith("/api"):
        return False
    for name, value in scope.get("headers", []):
        if name == b"accept":
            return b"text/html" in value
    return False


class BodyLimitMiddleware:
    """Refuse request bodies over `limit` bytes with a 413 and a message, before parsing.

    A declared Content-Length over the limit is refused at once; a chunked body is read up to
    the limit and refused when it goes over. The body read here is handed on unchanged.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.limit:
                    await self._refuse(scope, send)
                    return
        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            total += len(body)
            if total > self.limit:
                await self._refuse(scope, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        if _wants_html(scope):
            from html import escape

            body = (
                "<!doctype html><html lang=en><meta charset=utf-8>"
                "<meta name=viewport content='width=device-width, initial-scale=1'>"
                "<title>Too large · casecoach</title><link rel=stylesheet href=/static/app.css>"
                "<main class=page><section class=card><h1>413 · Request too large</h1>"
                f"<p>{escape(TOO_LARGE)}</p><p>Go back to shorten your answer, or "
                "<a href=/>start from the case list</a>.</p></section></main></html>"
            )
            content_type = b"text/html; charset=utf-8"
            payload = body.encode()
        else:
            payload = json.dumps({"detail": TOO_LARGE}).encode()
            content_type = b"application/json"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                    *SECURITY_HEADERS,
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


class SecurityHeadersMiddleware:
    """Add the CSP and hardening headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
