"""Every `kiosk` command and option says what it does; --version."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from checkin_protocol import __version__
from kiosk.cli import build_parser, main
from support.cli import run_kiosk

# In this process, answering as the program would. A pipe closed under the command is tested
# on the program itself (`python -m kiosk`): only a process has a real pipe to close.
kiosk = run_kiosk


def _actions(parser: argparse.ArgumentParser, path: str) -> Iterator[tuple[str, argparse.Action]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                assert helps.get(name), f"{path} {name}: no help"
                # What `kiosk COMMAND --help` says first: what the command does.
                assert sub.description, f"{path} {name}: no description"
                yield from _actions(sub, f"{path} {name}")
        else:
            yield path, action


def test_every_command_has_a_description_in_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    paths = {p for p, _ in _actions(build_parser(), "kiosk")}
    assert {"kiosk status", "kiosk scan", "kiosk pass keygen", "kiosk guard hash-pin"} <= paths
    for path in sorted(paths - {"kiosk"}):
        parser = build_parser()
        with pytest.raises(SystemExit):
            parser.parse_args([*path.split()[1:], "--help"])
        _, _, rest = capsys.readouterr().out.partition("\n\n")
        assert rest.strip() and not rest.startswith(("positional", "options")), path


def test_every_command_and_option_has_help_text() -> None:
    missing = [
        f"{path}: {action.option_strings or action.dest}"
        for path, action in _actions(build_parser(), "kiosk")
        # `kiosk scan` is another helper's (dcc) to document.
        if not action.help and not path.startswith("kiosk scan")
    ]
    assert missing == []


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"kiosk {__version__}"
