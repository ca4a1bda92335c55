"""A real HTTP server speaking the OpenAI chat-completions protocol, scripted per test.

It is the one stand-in the tests use: the LLM itself. Each POST to /v1/chat/completions takes
the next scripted action (or asks the default responder), and every request is recorded.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "test-model"


@dataclass(frozen=True)
class Reply:
    """A chat completion whose message content is `content`, after `delay` seconds."""

    content: str | None
    delay: float = 0.0
    model: str = MODEL


@dataclass(frozen=True)
class Status:
    """An HTTP error status with an OpenAI-style error body."""

    code: int
    message: str = "error"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Drop:
    """Close the connection without answering; `then_die` also stops the whole server."""

    then_die: bool = False


Action = Reply | Status | Drop
Responder = Callable[[dict[str, Any]], Action]


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float


class OpenAIServer:
    def __init__(self, models: list[str] | None = None) -> None:
        self.models = [MODEL] if models is None else models
        self.list_models = True
        self.script: deque[Action | Responder] = deque()
        self.default: Action | Responder | None = None
        self.requests: list[Request] = []
        self.replies: list[str | None] = []  # the message contents sent, in order
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._stopped = False

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> OpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._httpd.shutdown()
        self._httpd.server_close()

    def push(self, *actions: Action | Responder) -> None:
        self.script.extend(actions)

    @property
    def chats(self) -> list[Request]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def _next(self, body: dict[str, Any]) -> Action:
        with self._lock:
            item = self.script.popleft() if self.script else self.default
        if item is None:
            return Status(500, "the test scripted no reply")
        return item(body) if callable(item) else item

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def _send(self, code: int, payload: object, headers: dict[str, str] | None = None
                      ) -> None:
                data = json.dumps(payload).encode("utf-8")
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def _record(self, body: dict[str, Any]) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                server.requests.append(Request(self.path, headers, body, time.monotonic()))

            def do_GET(self) -> None:  # noqa: N802
                self._record({})
                if self.path.rstrip("/") == "/v1/models" and server.list_models:
                    data = [{"id": m, "object": "model", "created": 0, "owned_by": "test"}
                            for m in server.models]
                    self._send(200, {"object": "list", "data": data})
                else:
                    self._send(404, {"error": {"message": "not found", "type": "not_found"}})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                body = json.loads(raw or b"{}")
                self._record(body)
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._send(404, {"error": {"message": "not found"}})
                    return
                action = server._next(body)
                if isinstance(action, Drop):
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    if action.then_die:
                        threading.Thread(target=server.stop, daemon=True).start()
                    return
                if isinstance(action, Status):
                    self._send(action.code, {"error": {"message": action.message,
                                                       "type": "test_error"}}, action.headers)
                    return
                if action.delay:
                    time.sleep(action.delay)
                server.replies.append(action.content)
                self._send(200, {
                    "id": f"chatcmpl-{len(server.requests)}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": action.model,
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": action.content}}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
                })

        return Handler


# --- replies a model might give ----------------------------------------------------------------

_ANSWER = re.compile(r"<(answer-[0-9a-f]{12})>\n(.*)\n</\1>", re.DOTALL)
_CRITERION = re.compile(r"^- ([a-z0-9][a-z0-9-]*) \(weight ", re.MULTILINE)


def prompt_parts(body: dict[str, Any]) -> tuple[list[str], str]:
    """The criterion ids and the candidate's answer in a grading request."""
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    found = _ANSWER.search(user)
    assert found, "the answer is not delimited in the prompt"
    return _CRITERION.findall(user), found.group(2)


def first_sentence(answer: str) -> str:
    return re.split(r"(?<=[.!?])\s+", answer.strip())[0]


def verdict_json(ids: list[str], quote: str | None, status: str = "met",
                 overrides: dict[str, dict[str, Any]] | None = None, **extra: Any) -> str:
    criteria = []
    for cid in ids:
        item: dict[str, Any] = {"id": cid, "status": status,
                                "quote": quote if status != "missed" else None,
                                "reason": f"The answer covers {cid}."}
        item.update((overrides or {}).get(cid, {}))
        criteria.append(item)
    reply: dict[str, Any] = {"criteria": criteria, "red_flags": [],
                             "follow_up": "What would you do if the result were null?",
                             "feedback": "Clear design. Add how long the test runs."}
    reply.update(extra)
    return json.dumps(reply)


def judge_all(status: str = "met", **extra: Any) -> Responder:
    """A model that judges every criterion `status`, quoting the answer's first sentence."""

    def respond(body: dict[str, Any]) -> Action:
        ids, answer = prompt_parts(body)
        return Reply(verdict_json(ids, first_sentence(answer), status, **extra))

    return respond
