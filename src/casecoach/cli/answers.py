"""Reading a candidate's answer: a multi-line editor on a terminal, lines from a pipe otherwise.

On a terminal, prompt_toolkit gives a comfortable multi-line field (paste works, Esc then
Enter submits, Ctrl-E opens $EDITOR). When standard input is not a terminal, an answer is
the lines up to one holding only `.`, so an interview can be scripted; end of input ends it.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import TextIO

SKIP = "/skip"
QUIT = "/quit"


@dataclass
class AnswerReader:
    """Reads answers one at a time; `None` means the candidate stopped (end of input, Ctrl-D)."""

    stream: TextIO | None = None  # standard input, looked up when read (tests replace it)
    use_editor: bool = False
    _eof: bool = False

    @property
    def _input(self) -> TextIO:
        return self.stream if self.stream is not None else sys.stdin

    @property
    def interactive(self) -> bool:
        return self._input.isatty()

    def read(self, minutes: int | None = None) -> str | None:
        if self._eof:
            return None
        if self.use_editor:
            return self._read_editor()
        if self.interactive:
            return self._read_terminal(minutes)
        return self._read_stream()

    def _read_stream(self) -> str | None:
        lines: list[str] = []
        for line in self._input:
            if line.rstrip("\r\n") == ".":
                return "\n".join(lines)
            lines.append(line.rstrip("\r\n"))
        self._eof = True
        text = "\n".join(lines)
        return text if text.strip() else None  # an unterminated last answer is kept

    def _read_editor(self, initial: str = "") -> str | None:
        import click

        text = click.edit(initial + "\n\n# Write your answer above. Lines starting with # are "
                          "ignored. Save and close to submit.\n")
        if text is None:
            return None
        return "\n".join(line for line in text.splitlines() if not line.startswith("#")).strip()

    def _read_terminal(self, minutes: int | None) -> str | None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.key_binding import KeyBindings

        bindings = KeyBindings()
        deadline = time.monotonic() + minutes * 60 if minutes else None

        @bindings.add("c-e")
        def _(event: object) -> None:
            buffer = event.app.current_buffer  # type: ignore[attr-defined]
            buffer.open_in_editor()

        def toolbar() -> str:
            tips = "Esc then Enter: submit · Ctrl-E: $EDITOR · /skip: skip · Ctrl-D: save & quit"
            if deadline is None:
                return tips
            left = int(deadline - time.monotonic())
            clock = f"{left // 60}:{left % 60:02d} left" if left > 0 else "time is up: wrap up"
            return f"{clock} · {tips}"

        session: PromptSession[str] = PromptSession(
            multiline=True,
            key_bindings=bindings,
            bottom_toolbar=toolbar,
            refresh_interval=1.0 if deadline else 0,
            enable_open_in_editor=True,
        )
        try:
            return session.prompt("› ", prompt_continuation="  ")
        except EOFError:
            self._eof = True
            return None
        except KeyboardInterrupt:
            return None
