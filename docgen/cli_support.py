"""What every docgen command shares: one place that turns a DocgenError into output and an exit code."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click

from docgen.exceptions import DocgenError


def fail(error: DocgenError, *, as_json: bool = False) -> None:
    """Report ``error`` on standard error (as JSON for integrators) and exit with its code."""
    if as_json:
        click.echo(json.dumps(error.to_dict(), ensure_ascii=False), err=True)
    else:
        click.echo(f"Error: {error}", err=True)
        for problem in getattr(error, "problems", [])[:200]:
            click.echo(f"  {problem.describe(error.source)}", err=True)
    sys.exit(error.exit_code)


def reports_errors(command):
    """Catch DocgenError once for a command; ``--json`` on the command makes the report JSON."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except DocgenError as e:
            fail(e, as_json=bool(kwargs.get("as_json")))

    return wrapper


json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
templates_option = click.option(
    "--templates",
    "templates_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="DOCGEN_TEMPLATES",
    help="Folder of templates and authority profiles (default: the repository's templates/).",
)
