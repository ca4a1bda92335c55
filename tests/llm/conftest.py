"""Fixtures for the LLM tests: a scripted OpenAI-compatible server on 127.0.0.1, no stray
CASECOACH_LLM_* settings from the environment, and fast retries."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from casecoach.config import LlmSettings
from casecoach.grading import llm
from tests.llm.server import MODEL, OpenAIServer

LLM_ENV = ("CASECOACH_LLM_BASE_URL", "CASECOACH_LLM_MODEL", "CASECOACH_LLM_API_KEY",
           "CASECOACH_LLM_TIMEOUT")
# Read before any test clears them: the live test uses a real server when one is given.
LIVE = {name: os.environ.get(name, "") for name in LLM_ENV}
API_KEY = "sk-test-0123456789abcdefSECRET"


@pytest.fixture(autouse=True)
def no_llm_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in LLM_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llm, "BACKOFF_BASE", 0.01)


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    srv = OpenAIServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def settings(server: OpenAIServer) -> LlmSettings:
    return LlmSettings(base_url=server.url, model=MODEL, api_key=API_KEY, timeout=5.0)


@pytest.fixture
def llm_env(server: OpenAIServer, monkeypatch: pytest.MonkeyPatch) -> OpenAIServer:
    """The scripted server configured through the environment, as a user would."""
    monkeypatch.setenv("CASECOACH_LLM_BASE_URL", server.url)
    monkeypatch.setenv("CASECOACH_LLM_MODEL", MODEL)
    monkeypatch.setenv("CASECOACH_LLM_API_KEY", API_KEY)
    monkeypatch.setenv("CASECOACH_LLM_TIMEOUT", "5")
    return server
