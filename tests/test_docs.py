"""The README documents every command, and CI runs exactly the README's test command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from forms_app.adapters.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text("utf-8")


def all_commands(group, prefix=""):
    for name, command in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        if hasattr(command, "commands"):
            yield from all_commands(command, full + " ")
        else:
            yield full


@pytest.mark.parametrize("command", list(all_commands(cli)))
def test_every_command_is_documented_in_the_readme(command):
    assert f"forms-app {command}" in README, f"`forms-app {command}` is missing from README.md"


def test_readme_starts_with_the_two_commands():
    blocks = re.findall(r"```sh\n(.*?)\n```", README, re.S)
    assert len(blocks) >= 2
    run, test = blocks[0].strip(), blocks[1].strip()
    assert "\n" not in run and "\n" not in test
    assert run.startswith("sh scripts/setup.sh") and "forms-app" in run
    assert test.startswith("sh scripts/setup.sh --test") and "pytest" in test
    # Nothing but a title and one sentence each before the two commands.
    assert README.index(blocks[1]) < 1200


def test_ci_runs_the_readmes_test_command():
    test_command = re.findall(r"```sh\n(.*?)\n```", README, re.S)[1].strip()
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert test_command in ci.splitlines()


def test_shipped_definitions_are_described_in_the_readme():
    from form_definitions import load_definitions

    for definition in load_definitions():
        assert f"`{definition.id}`" in README
