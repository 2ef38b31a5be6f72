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


def pdf_options(command):
    """``--pdfa``, ``--password`` and ``--password-file``, shared by ``render`` and ``batch``."""
    command = click.option("--password-file", type=click.File("r"),
                           help="Encrypt PDFs with the password in this file.")(command)  # fmt: skip
    command = click.option(
        "--password", envvar="DOCGEN_PDF_PASSWORD",
        help="Encrypt PDFs with AES-256 (prefer --password-file or $DOCGEN_PDF_PASSWORD: "
             "a password on the command line is visible to other users).",
    )(command)  # fmt: skip
    return click.option("--pdfa", is_flag=True, help="PDF/A-2b for the case record.")(command)


def pdf_password(fmt: str, pdfa: bool, password: str | None, password_file) -> str | None:
    """The password to encrypt PDFs with, refusing combinations that would leave a copy open.

    docgen encrypts PDFs only, so a password with DOCX output would put an unencrypted copy
    beside the encrypted one: that is a usage error, as is PDF/A (which forbids encryption).
    """
    if password_file:
        password = password_file.read().strip()
    if not password:
        return None
    if fmt != "pdf":
        raise click.UsageError(
            f"--format {fmt} writes DOCX files, which cannot be encrypted: use --format pdf with a password."
        )
    if pdfa:
        raise click.UsageError("PDF/A does not allow encryption: give --pdfa or a password, not both.")
    return password
