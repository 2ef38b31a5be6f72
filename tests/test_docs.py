"""The docs are tested against the code: commands have help with examples and are in the README."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner
import pytest

from conftest import ROOT
from docgen.cli import cli

README = (ROOT / "README.md").read_text("utf-8")


def _commands(group: click.Group, prefix: str = ""):
    context = click.Context(group)  # the root group imports its commands when asked for them
    for name in sorted(group.list_commands(context)):
        command = group.get_command(context, name)
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


# -- every example runs -----------------------------------------------------------------------------
# The examples of every --help and of the README's ```sh blocks are run as a user would, in a
# workspace holding the files they name (case.json, cases/, returned forms...), with the
# repository's templates copied so that lock, snapshot --update and authority new change nothing here.
NOT_RUN = {  # what no test machine can run, and why
    "--scheduler": "needs a Dask cluster on other machines",
    "docgen serve": "serves until stopped; tests/test_serve.py starts it and calls every endpoint",
    "docgen send": "posts through GOV.UK Notify; tests/test_notify_send.py runs it against a stand-in",
    "--send": "posts through GOV.UK Notify; tests/test_notify_send.py runs it against a stand-in",
    "docgen users": "asks for a password at the terminal; tests/test_web_users.py runs it with --password-file",
}
# Exit codes other than 0 that the README documents for what the example does.
EXPECTED_EXIT = {
    # the shipped templates have plain-English warnings, which --strict fails (exit 1)
    "docgen templates check templates/derbyshire --strict --json": 1,
}
# Examples that fail for an open point of an issue; strict, so the fix makes them fail here.
OPEN_POINTS: dict[str, str] = {}
# A documented command changed only where running it as written would touch the repository.
REWRITTEN = {
    "docgen templates snapshot --update": "docgen templates snapshot --update --dir snapshots",
}


def readme_examples() -> list[str]:
    found = []
    for block in re.findall(r"```sh\n(.*?)\n```", README, re.DOTALL):
        for line in block.splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command.startswith("docgen ") or "| docgen " in command:
                found.append(command)
    return found


def examples() -> list[str]:
    # The README's first, in its order: a user following it has made out/ before packing it.
    every = readme_examples() + [line for name in COMMANDS for line in help_examples(name)]
    return [c for c in dict.fromkeys(every) if not any(marker in c for marker in NOT_RUN)]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A folder with every file the examples name, made with docgen itself."""
    from pypdf import PdfReader, PdfWriter

    ws = tmp_path_factory.mktemp("examples")
    for folder in ("templates", "samples"):
        shutil.copytree(ROOT / folder, ws / folder)
    shutil.copytree(ROOT / "tests" / "snapshots", ws / "snapshots")
    sample = ROOT / "samples" / "valid" / "worcestershire-child-in-need.json"
    for name in ("case.json", "bundle.json"):
        shutil.copy(sample, ws / name)
    (ws / "cases").mkdir()
    lines = []  # cases.jsonl: the closed cases, which have what an outcome letter needs
    for path in sorted((ROOT / "samples" / "valid").glob("*.json")):
        shutil.copy(path, ws / "cases")
        data = json.loads(path.read_text("utf-8"))
        if data.get("closure"):
            lines.append(json.dumps(data))
    (ws / "cases.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    (ws / "pw.txt").write_text("fictional-example-password\n", "utf-8")
    env = example_env(ws)
    made = ws / "made"
    for command in (f"docgen render case.json --doc outcome-letter --format pdf --out {made}",
                    f"docgen forms fill case.json --form feedback-sheet --out {made}"):
        subprocess.run(command, shell=True, cwd=ws, env=env, check=True, capture_output=True, timeout=600)
    letter = made / "WOR-CIN-0001_outcome-letter_family-mum.pdf"
    form = next(made.glob("*feedback-sheet*.pdf"))
    for target in (ws / "out" / "letter.pdf", ws / "out" / "letters" / letter.name, ws / "cover.pdf"):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(letter, target)
    for target in (ws / "returned" / form.name, ws / "returned" / "feedback" / form.name):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(form, target)
    writer = PdfWriter(clone_from=PdfReader(form))
    writer.encrypt(env["PASSWORD"], algorithm="AES-256")
    with open(ws / "sheet.pdf", "wb") as sheet:
        writer.write(sheet)
    return ws


def example_env(ws) -> dict:
    env = dict(os.environ, DOCGEN_TEMPLATES=str(ws / "templates"), PASSWORD="fictional-form-password")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env.pop("DOCGEN_REGISTER", None)
    return env


@pytest.mark.parametrize("example", [
    pytest.param(e, marks=pytest.mark.xfail(reason=OPEN_POINTS[e], strict=True)) if e in OPEN_POINTS else e
    for e in examples()
])
def test_every_example_runs(example, workspace):
    command = REWRITTEN.get(example, example)
    done = subprocess.run(command, shell=True, cwd=workspace, env=example_env(workspace),
                          capture_output=True, text=True, timeout=900)
    expected = EXPECTED_EXIT.get(example, 0)
    assert done.returncode == expected, f"`{example}` exited {done.returncode}:\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr
    if expected == 1 and "--json" in example:  # failed on warnings only, as documented
        report = json.loads(done.stdout)
        assert report["errors"] == 0 and report["warnings"] > 0


# The HTTP API's Python example needs a server: tests/test_serve.py runs it against one.
PYTHON_EXAMPLES = [code for code in re.findall(r"```python\n(.*?)\n```", README, re.DOTALL)
                   if "127.0.0.1:8000" not in code]  # fmt: skip


@pytest.mark.parametrize("number", range(len(PYTHON_EXAMPLES)))
def test_every_python_example_in_the_readme_runs(number, workspace):
    code = PYTHON_EXAMPLES[number]
    done = subprocess.run([sys.executable, "-c", code], cwd=workspace, env=example_env(workspace),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines and all(line.endswith((" bytes", " None")) for line in lines), done.stdout  # no error printed
    assert "WOR-CIN-0001_outcome-letter_family-mum" in done.stdout
