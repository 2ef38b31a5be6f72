"""Command-line commands for finished PDFs: ``pack`` and ``check-letter``.

The lead engineer registers :data:`pack` and :data:`check_letter` on the main ``docgen`` group.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from docgen.cli_support import json_option, reports_errors
from docgen.exceptions import InputError
from docgen.pdfout import check_letter as check_letter_pdf
from docgen.pdfout import make_pack
from docgen.pdfout.letters import find_letters
from docgen.pdfout.pack import in_recipient_order

PDF_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command()
@click.argument("pdfs", nargs=-1, required=True, type=PDF_FILE)
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="The pack PDF to write.",
)  # fmt: skip
@click.option(
    "--duplex/--no-duplex", default=True, show_default=True,
    help="Start every letter on the front of a sheet, adding blank pages where needed.",
)  # fmt: skip
@click.option(
    "--order", type=click.Choice(["recipient", "given"]), default="recipient", show_default=True,
    help="recipient: each person's letters together, the family's first (from docgen's file "
         "names); given: the order of the arguments.",
)  # fmt: skip
@reports_errors
def pack(pdfs: tuple[Path, ...], out: Path, duplex: bool, order: str) -> None:
    """Merge PDFs into one print-ready pack with a contents page, in recipient order.

    Each document is listed on the contents page by its file name, with the page it starts on,
    and has a bookmark.

    \b
    Example:
        docgen pack out/WOR-CIN-0001_*.pdf --out print/pack.pdf
        docgen pack cover.pdf out/*_family-mum.pdf --order given --out print/mum.pdf
    """
    paths = in_recipient_order(list(pdfs)) if order == "recipient" else list(pdfs)
    out.parent.mkdir(parents=True, exist_ok=True)  # as render makes its --out folder
    made = make_pack([(path.stem, path) for path in paths], out, duplex=duplex)
    click.echo(f"Wrote {out}: {len(made.entries)} documents, {made.pages} pages")


@click.command("check-letter")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--password-file", type=click.File("r"),
    help="Open encrypted letters with the password in this file.",
)  # fmt: skip
@json_option
@click.pass_context
@reports_errors
def check_letter(ctx: click.Context, paths: tuple[Path, ...], password_file, as_json: bool) -> None:
    """Check letter PDFs against GOV.UK Notify's precompiled-letter rules.

    A4 portrait, at most 10 pages, fonts embedded, no active content (JavaScript, launch
    or opening actions); nothing printed in the margins (15 mm sides, 5 mm top and bottom) of
    any page, nor on page 1 outside Notify's areas (logo, contact details, address window,
    body from 95 mm down); a 3-7 line address ending in a UK postcode alone in the window.
    PATHS are PDFs or folders of them; docgen's files that are not letters are skipped, in
    one line. Exits 0 when every letter passes, 1 when any has problems.

    \b
    Example:
        docgen check-letter out/
        docgen check-letter out/WOR-CIN-0001_outcome-letter_family-mum.pdf --json
        docgen check-letter mail/*.pdf --password-file pw.txt
    """
    found = find_letters(list(paths))
    if not found.letters:
        raise InputError(f"None of the PDFs given is a letter. {found.skipped_line() or ''}".strip())
    password = password_file.read().strip() if password_file else None
    results = [
        (path, check_letter_pdf(path, password, password_option="--password-file"))
        for path in found.letters
    ]
    if as_json:
        report = [
            {"file": str(path), "ok": not problems, "problems": [p.to_dict() for p in problems]}
            for path, problems in results
        ]
        click.echo(json.dumps(report, indent=2))
    else:
        for path, problems in results:
            if not problems:
                click.echo(f"{path}: OK")
            for problem in problems:
                click.echo(f"{path}: {problem}")
    if found.skipped_line():
        click.echo(found.skipped_line(), err=as_json)
    ctx.exit(1 if any(problems for _, problems in results) else 0)
