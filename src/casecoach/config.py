"""User settings: a small TOML file in the casecoach home, overridden by environment variables.

Only a few keys exist, all for the optional LLM backend:

    llm.base-url   CASECOACH_LLM_BASE_URL   an OpenAI-compatible server, e.g. http://localhost:11434/v1
    llm.model      CASECOACH_LLM_MODEL      the model to ask, e.g. llama3.1:8b
    llm.api-key    CASECOACH_LLM_API_KEY    a secret: never printed, never stored with a grade
    llm.timeout    CASECOACH_LLM_TIMEOUT    seconds to wait for one reply (default 60)

The file is `<home>/config.toml`, written atomically (a temporary file renamed over it) with
permissions 0600, since it may hold an API key. An environment variable wins over the file.
This module is imported by the CLI at start-up: it stays light (no network, no openai).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from casecoach.paths import home_dir

CONFIG_FILE = "config.toml"
DEFAULT_TIMEOUT = 60.0


class ConfigError(ValueError):
    """A bad key, a bad value, or a config file that cannot be read or written."""


@dataclass(frozen=True)
class Key:
    name: str
    env: str
    help: str
    secret: bool = False


KEYS: dict[str, Key] = {
    k.name: k
    for k in (
        Key("llm.base-url", "CASECOACH_LLM_BASE_URL",
            "Base URL of an OpenAI-compatible server, e.g. http://localhost:11434/v1"),
        Key("llm.model", "CASECOACH_LLM_MODEL", "Model name the server knows, e.g. llama3.1:8b"),
        Key("llm.api-key", "CASECOACH_LLM_API_KEY",
            "API key sent to the server (local servers usually need none)", secret=True),
        Key("llm.timeout", "CASECOACH_LLM_TIMEOUT",
            f"Seconds to wait for one reply (default {DEFAULT_TIMEOUT:g})"),
    )
}

Source = Literal["env", "file"]


def config_path() -> Path:
    return home_dir() / CONFIG_FILE


def key(name: str) -> Key:
    """The key named `name`, or `ConfigError` listing the valid ones."""
    found = KEYS.get(name.strip().lower())
    if found is None:
        raise ConfigError(f"unknown key {name!r}; valid keys: {', '.join(KEYS)}")
    return found


def validate(name: str, value: str) -> str:
    """The value as it will be stored, or `ConfigError` saying what is wrong with it."""
    k = key(name)
    value = value.strip()
    if not value:
        raise ConfigError(f"{k.name} cannot be empty (use `casecoach config unset {k.name}`)")
    if k.name == "llm.base-url":
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(
                f"{k.name} must be an http(s) URL such as http://localhost:11434/v1, not {value!r}"
            )
        return value.rstrip("/")
    if k.name == "llm.timeout":
        try:
            seconds = float(value)
        except ValueError:
            raise ConfigError(f"{k.name} must be a number of seconds, not {value!r}") from None
        if not 0 < seconds <= 3600:
            raise ConfigError(f"{k.name} must be between 0 and 3600 seconds")
        return f"{seconds:g}"
    if any(ch in value for ch in "\r\n\x00"):
        raise ConfigError(f"{k.name} cannot contain line breaks")
    return value


# --- the file ----------------------------------------------------------------------------------


def read_file(path: Path | None = None) -> dict[str, str]:
    """The keys set in the config file (dotted names), or {} when there is no file."""
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    values: dict[str, str] = {}
    for section, table in data.items():
        if not isinstance(table, dict):
            continue
        for name, value in table.items():
            dotted = f"{section}.{name}"
            if dotted in KEYS and isinstance(value, str | int | float):
                values[dotted] = str(value)
    return values


def _toml_string(value: str) -> str:
    """A TOML basic string: escapes what the spec requires (quote, backslash, controls)."""
    out = ['"']
    for ch in value:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _render(values: dict[str, str]) -> str:
    sections: dict[str, list[str]] = {}
    for dotted in sorted(values):
        section, _, name = dotted.partition(".")
        sections.setdefault(section, []).append(f"{name} = {_toml_string(values[dotted])}")
    lines = ["# casecoach settings: edit with `casecoach config set/unset KEY`."]
    for section, entries in sections.items():
        lines += ["", f"[{section}]", *entries]
    return "\n".join(lines) + "\n"


def write_file(values: dict[str, str], path: Path | None = None) -> Path:
    """Replace the config file atomically, readable by its owner only (0600)."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file 0600, so the key is never readable by others, not even briefly.
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(_render(values))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        os.chmod(path, 0o600)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from None
    return path


def set_value(name: str, value: str) -> str:
    """Store a key in the file; returns the value as stored."""
    k = key(name)
    stored = validate(k.name, value)
    values = read_file()
    values[k.name] = stored
    write_file(values)
    return stored


def unset_value(name: str) -> bool:
    """Remove a key from the file; False when it was not set there."""
    k = key(name)
    values = read_file()
    if k.name not in values:
        return False
    del values[k.name]
    write_file(values)
    return True


# --- reading the effective settings ------------------------------------------------------------


def get_value(name: str) -> tuple[str, Source] | None:
    """The effective value of a key and where it comes from (env wins over file), or None."""
    k = key(name)
    env = os.environ.get(k.env, "").strip()
    if env:
        return env, "env"
    stored = read_file().get(k.name)
    if stored is not None and stored.strip():
        return stored, "file"
    return None


def mask(secret: str) -> str:
    """A secret as it may be shown: its last four characters at most, for long ones."""
    if len(secret) >= 16:
        return f"{secret[:3]}…{secret[-4:]}"
    return "****"


def shown(name: str, value: str) -> str:
    """A value as printed: masked when the key is a secret."""
    return mask(value) if key(name).secret else value


def safe_url(url: str) -> str:
    """A URL without user:password, fit for messages and audit records."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


@dataclass(frozen=True)
class LlmSettings:
    """Where the LLM is and how to ask it. `repr` never shows the key."""

    base_url: str | None = None
    model: str | None = None
    api_key: str | None = None
    timeout: float = DEFAULT_TIMEOUT

    def __repr__(self) -> str:
        key_shown = "None" if self.api_key is None else repr(mask(self.api_key))
        return (f"LlmSettings(base_url={self.base_url!r}, model={self.model!r}, "
                f"api_key={key_shown}, timeout={self.timeout!r})")

    @property
    def configured(self) -> bool:
        """Enough to grade with: a server and a model."""
        return bool(self.base_url and self.model)

    def missing(self) -> list[str]:
        return [name for name, value in (("llm.base-url", self.base_url),
                                         ("llm.model", self.model)) if not value]


def llm_settings() -> LlmSettings:
    """The effective LLM settings (environment over file). Invalid values raise `ConfigError`."""
    values: dict[str, str | None] = {}
    for name in KEYS:
        found = get_value(name)
        values[name] = found[0] if found else None
    base_url = values["llm.base-url"]
    if base_url is not None:
        base_url = validate("llm.base-url", base_url)
    timeout = DEFAULT_TIMEOUT
    if values["llm.timeout"] is not None:
        timeout = float(validate("llm.timeout", values["llm.timeout"]))
    return LlmSettings(
        base_url=base_url,
        model=values["llm.model"],
        api_key=values["llm.api-key"],
        timeout=timeout,
    )


def llm_configured() -> bool:
    """Whether an LLM is configured well enough to grade with; a broken config counts as not."""
    try:
        return llm_settings().configured
    except ConfigError:
        return False
