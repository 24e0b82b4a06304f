"""The docs police themselves (after sqlite-utils): README lists every command and every check
code, and every command has help. README.md missing is a failure, not a skip."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from ims_xl import cli
from ims_xl.review.checks import CODES

README = Path(__file__).resolve().parent.parent / "README.md"


def readme() -> str:
    assert README.exists(), "README.md is missing"
    return README.read_text(encoding="utf-8")


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def command_help() -> dict[str, str]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {a.dest: a.help or "" for a in sub._choices_actions}


def mentioned(word: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def test_readme_exists_and_has_substance() -> None:
    text = readme()
    assert len(text.splitlines()) > 20


@pytest.mark.parametrize("command", sorted(subcommands()))
def test_readme_lists_every_command(command: str) -> None:
    assert f"ims-xl {command}" in readme(), f"README.md does not show 'ims-xl {command}'"


@pytest.mark.parametrize("code", sorted(CODES))
def test_readme_lists_every_check_code(code: str) -> None:
    assert mentioned(code, readme()), f"README.md does not list the check code '{code}'"


@pytest.mark.parametrize("command", sorted(subcommands()))
def test_every_command_has_help(command: str, capsys) -> None:
    assert len(command_help()[command]) > 15
    with pytest.raises(SystemExit) as exc:
        cli.main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: ims-xl " + command)


def test_main_help_lists_every_command(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for command in subcommands():
        assert mentioned(command, out)


def test_readme_states_the_uncertain_readings() -> None:
    """Where a fact is uncertain (IMS_FORMAT.md), the README states the reading taken."""
    lines = readme().splitlines()
    assert any("No Action" in ln and re.search(r'["`]N["`]', ln) for ln in lines), \
        "README must say how No Action is uploaded (action \"N\")"
    assert any(re.search(r"[Rr]emarks", ln) and "Reject" in ln and "Pending" in ln for ln in lines), \
        "README must say remarks go only with Reject and Pending"
