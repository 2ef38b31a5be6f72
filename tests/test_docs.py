"""The docs are tested against the code: commands have help with examples and are in the README."""

from __future__ import annotations

import re

import click
from click.testing import CliRunner
import pytest

from conftest import ROOT
from docgen.cli import cli

README = (ROOT / "README.md").read_text("utf-8")


def _commands(group: click.Group, prefix: str = ""):
    for name, command in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            yield from _commands(command, f"{full} ")
        else:
            yield full, command


COMMANDS = dict(_commands(cli))


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example(name):
    help_text = COMMANDS[name].help or ""
    assert help_text.strip(), f"docgen {name} has no help text"
    assert "Example" in help_text, f"docgen {name}'s help has no Example block"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_appears_in_the_readme(name):
    assert f"docgen {name}" in README, f"README.md does not mention `docgen {name}`"


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one():
    blocks = re.findall(r"```sh\n(.*?)\n```", README, re.DOTALL)
    setup_and_run, setup_and_test = blocks[0], blocks[1]
    assert setup_and_run.startswith("scripts/setup.sh && ")
    assert setup_and_test.startswith("scripts/setup.sh --test && ")
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert setup_and_test in ci.splitlines()


def help_examples(name: str) -> list[str]:
    """The example commands of ``docgen NAME --help``, one per line, as a user sees them."""
    result = CliRunner().invoke(cli, [*name.split(), "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    block = result.stdout.split("Example:", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in block.splitlines() if line.strip()]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_help_example_keeps_its_line_breaks(name):
    """click rewraps help paragraphs unless they follow its \\b marker; run-together examples
    cannot be copied."""
    examples = help_examples(name)
    assert examples, f"docgen {name} --help shows no example"
    for line in examples:
        assert line.count("docgen ") == 1, f"docgen {name} --help runs examples together: {line!r}"
