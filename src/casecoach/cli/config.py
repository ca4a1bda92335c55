"""`casecoach config`: set, get, list and unset settings (the LLM backend's, for now).

An API key is never printed: `get` and `list` show it masked.
"""

from __future__ import annotations

import sys

import typer

from casecoach import config as settings
from casecoach.cli.errors import fail

KEY_HELP = "One of: " + ", ".join(settings.KEYS) + "."

app = typer.Typer(
    help="Settings, such as the optional LLM backend: "
         "`casecoach config set llm.base-url http://localhost:11434/v1`.",
    no_args_is_help=True,
)


def _key(name: str) -> settings.Key:
    try:
        return settings.key(name)
    except settings.ConfigError as exc:
        fail(str(exc))


@app.command("set")
def set_(
    name: str = typer.Argument(..., metavar="KEY", help=KEY_HELP),
    value: str | None = typer.Argument(
        None, metavar="[VALUE]",
        help="The value; '-' reads it from standard input. For llm.api-key, leave it out to be "
             "asked without echo (keeps the key out of your shell history)."),
) -> None:
    """Store a setting in the config file (written atomically, readable only by you)."""
    from casecoach.cli.render import console, err_console

    key = _key(name)
    if value == "-":
        value = sys.stdin.readline().rstrip("\r\n")
    elif value is None:
        if not key.secret:
            fail(f"give a value: casecoach config set {key.name} VALUE")
        value = typer.prompt(key.name, hide_input=True, err=True)
    try:
        stored = settings.set_value(key.name, value)
    except settings.ConfigError as exc:
        fail(str(exc))
    console.print(f"{key.name} = {settings.shown(key.name, stored)}  "
                  f"[dim]({settings.config_path()})[/]", soft_wrap=True, markup=True)
    found = settings.get_value(key.name)
    if found is not None and found[1] == "env":
        err_console.print(f"[yellow]Note:[/] {key.env} is set and wins over the file.")


@app.command("get")
def get(
    name: str = typer.Argument(..., metavar="KEY", help=KEY_HELP),
) -> None:
    """Print a setting's effective value (the environment wins over the file); a key is masked.

    Exits 1, printing nothing, when the setting is not set.
    """
    key = _key(name)
    try:
        found = settings.get_value(key.name)
    except settings.ConfigError as exc:
        fail(str(exc))
    if found is None:
        raise typer.Exit(1)
    typer.echo(settings.shown(key.name, found[0]))


@app.command("list")
def list_() -> None:
    """Every setting, its effective value (keys masked) and where it comes from."""
    from rich import box
    from rich.table import Table

    from casecoach.cli.render import console

    table = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0))
    for column in ("key", "value", "from"):
        table.add_column(column, no_wrap=column != "value", overflow="fold")
    for key in settings.KEYS.values():
        try:
            found = settings.get_value(key.name)
        except settings.ConfigError as exc:
            fail(str(exc))
        if found is None:
            table.add_row(key.name, "[dim]not set[/]", "")
        else:
            origin = key.env if found[1] == "env" else "file"
            table.add_row(key.name, settings.shown(key.name, found[0]), origin)
    console.print(table)
    console.print(f"[dim]File: {settings.config_path()}[/]", soft_wrap=True)


@app.command("unset")
def unset(
    name: str = typer.Argument(..., metavar="KEY", help=KEY_HELP),
) -> None:
    """Remove a setting from the config file."""
    from casecoach.cli.render import console, err_console

    key = _key(name)
    try:
        removed = settings.unset_value(key.name)
    except settings.ConfigError as exc:
        fail(str(exc))
    console.print(f"{key.name} unset." if removed else f"{key.name} was not set in the file.")
    found = settings.get_value(key.name)
    if found is not None and found[1] == "env":
        err_console.print(f"[yellow]Note:[/] {key.env} is still set in the environment.")
