"""`rucket admin` without a server: help on every command, env variables, output formats, and a
clear message (exit 3, no traceback) when the server cannot be reached."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from rucket.cli import main
from rucket.cli_admin import EXIT_UNREACHABLE, admin, human, render


def commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name, cmd in group.commands.items():
        yield (*path, name), cmd
        if isinstance(cmd, click.Group):
            yield from commands(cmd, (*path, name))


ALL = list(commands(admin))


@pytest.mark.parametrize(("path", "cmd"), ALL, ids=[" ".join(p) for p, _ in ALL])
def test_every_admin_command_has_help(path: tuple[str, ...], cmd: click.Command) -> None:
    assert (cmd.help or "").strip(), f"rucket admin {' '.join(path)} has no help text"
    for param in cmd.params:
        if isinstance(param, click.Option):
            assert param.help, f"--{param.name} of rucket admin {' '.join(path)} has no help"
    out = CliRunner().invoke(main, ["admin", *path, "--help"])
    assert out.exit_code == 0 and cmd.help.split()[0] in out.output


def test_admin_help_names_the_environment_variables() -> None:
    out = " ".join(CliRunner().invoke(main, ["admin", "--help"]).output.split())  # undo click's wrapping
    for var in ("RUCKET_ENDPOINT", "RUCKET_ROOT_USER", "RUCKET_ROOT_PASSWORD", "RUCKET_REGION", "RUCKET_OUTPUT"):
        assert f"[env var: {var}" in out
    assert "Exit status: 0 done; 1 the server refused" in out


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again on exit: connecting is refused


@pytest.mark.parametrize("args", [["info"], ["user", "ls"], ["-o", "json", "key", "ls", "ann"]])
def test_unreachable_server_is_a_clear_message_and_exit_3(args: list[str]) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    out = CliRunner().invoke(main, ["admin", "--endpoint", endpoint, *args])
    assert out.exit_code == EXIT_UNREACHABLE == 3
    assert f"cannot reach the Rucket server at {endpoint}" in out.output and "RUCKET_ENDPOINT" in out.output
    assert "Traceback" not in out.output and not isinstance(out.exception, AssertionError)


def test_human_dates_and_cells() -> None:
    assert human("created_ms", 1_764_806_400_000) == "2025-12-04 00:00:00 UTC"
    assert human("created_ms", True) == "yes"  # a flag, not a time
    assert human("policies", ["a", "b"]) == "a, b" and human("policies", []) == "-"
    assert human("size", 0) == "0" and human("email", "") == "-"


def test_render_lists_as_tables_and_keeps_nesting() -> None:
    out = {"users": [{"name": "ann", "created_ms": 1_764_806_400_000, "enabled": True},
                     {"name": "bob", "created_ms": 0, "enabled": False}]}
    lines = render(out).splitlines()
    assert lines[0].split() == ["NAME", "CREATED", "ENABLED"]
    assert lines[1].split() == ["ann", "2025-12-04", "00:00:00", "UTC", "yes"]
    assert lines[2].split() == ["bob", "1970-01-01", "00:00:00", "UTC", "no"]
    usage = render({"total": {"objects": 2, "bytes": 37}, "buckets": [{"name": "b1", "objects": 2}]})
    assert usage.splitlines() == ["total:", "  objects: 2", "  bytes: 37", "buckets:", "  NAME  OBJECTS",
                                  "  b1    2"]
    assert render({"users": []}) == "users: -"
    assert json.loads(json.dumps(out)) == out  # json output is the answer itself (see test_admin.py)
