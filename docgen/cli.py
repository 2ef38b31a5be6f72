"""The docgen command line: a thin layer over :mod:`docgen.pipeline` and the stage modules.

Exit codes (docgen.exceptions): 0 success; 1 invalid bundle (or template errors under check);
2 usage error (bad option, missing/unreadable/non-UTF-8/oversized file); 3 some documents
failed, the others were written; 4 template missing or broken, or a field the bundle lacks;
5 LibreOffice missing or failing; 6 output not writable; 7 a PDF input is corrupt or encrypted.
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from pathlib import Path

import click

from docgen import __version__
from docgen.bundle.jsonschema import export_text
from docgen.cli_support import fail, json_option, reports_errors, templates_option
from docgen.exceptions import EXIT_INVALID, EXIT_USAGE, DocgenError, InputError, RenderError
from docgen.output import FORMATS, write_with_converter, written
from docgen.pipeline import Pipeline
from docgen.registry import Registry

SCHEMA_PATH = Path("schemas") / "case-bundle.schema.json"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="docgen")
def cli() -> None:
    """Fill English children's services documents from validated JSON case bundles."""


@cli.command()
@click.argument("bundles", nargs=-1, required=True)
@click.option("--strict", is_flag=True, help="Treat policy warnings as errors.")
@json_option
@templates_option
def validate(bundles, strict, as_json, templates_dir):
    """Check case bundles against the schema and the authority's policy rules.

    Reports every problem at once, each with the file and its JSON path. BUNDLES are paths,
    or - for standard input. Exit 0 valid, 1 invalid, 2 a file could not be read.

    Example:

        docgen validate samples/valid/*.json
        cat bundle.json | docgen validate --json -
    """
    try:
        pipeline = Pipeline(Registry(templates_dir))
    except DocgenError as e:
        fail(e, as_json=as_json)
    rows, exit_code, invalid, unreadable = [], 0, 0, 0
    for source in bundles:
        name = "<stdin>" if source == "-" else source
        try:
            report = pipeline.check(source)
        except InputError as e:
            rows.append({"file": name, "path": "", "message": e.message, "severity": "error"})
            exit_code = EXIT_USAGE
            unreadable += 1
            continue
        except DocgenError as e:  # malformed JSON, repeated keys
            report_problems = getattr(e, "problems", [])
            rows.extend({"file": name, **p.to_dict()} for p in report_problems)
            invalid += 1
            continue
        rows.extend({"file": name, **p.to_dict()} for p in report.problems)
        if not report.ok(strict):
            invalid += 1
    if invalid and not exit_code:
        exit_code = EXIT_INVALID
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        for row in rows:
            where = ": ".join(p for p in (row["file"], row["path"]) if p)
            click.echo(f"{where}: {row['severity']}: {row['message']}", err=row["severity"] == "error")
        valid = len(bundles) - invalid - unreadable
        unread = f" ({unreadable} could not be read)" if unreadable else ""
        click.echo(f"{valid} of {len(bundles)} bundles valid{unread}.", err=exit_code != 0)
    sys.exit(exit_code)


@cli.command()
@click.argument("bundle")
@click.option("--doc", "doc_ids", multiple=True, metavar="ID", help="Document id; repeat for several.")
@click.option("--all", "all_docs", is_flag=True, help="Every registered document.")
@click.option("--out", "out", required=True, help="Output folder, or - for standard output.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="docx", show_default=True)
@click.option("--pdfa", is_flag=True, help="PDF/A-2b for the case record.")
@click.option("--password", envvar="DOCGEN_PDF_PASSWORD",
              help="Encrypt PDFs with AES-256 (prefer --password-file or $DOCGEN_PDF_PASSWORD: "
                   "a password on the command line is visible to other users).")
@click.option("--password-file", type=click.File("r"), help="Encrypt PDFs with the password in this file.")
@click.option("--strict", is_flag=True, help="Refuse a bundle with policy warnings.")
@json_option
@templates_option
@reports_errors
def render(bundle, doc_ids, all_docs, out, fmt, pdfa, password, password_file, strict, as_json, templates_dir):
    """Fill documents from one case bundle (a path, or - for standard input).

    Writes one file per document and recipient, named CASEREF_DOCUMENT[_RECIPIENT], and
    prints their paths (with --json: document, recipient, path and SHA-256). A document that
    fails writes nothing; the others still complete and the exit code is 3. --all fills every
    document the bundle has the sections for, and says which it skipped and why.

    Example:

        docgen render samples/valid/worcestershire-child-in-need.json --doc outcome-letter --out out/
        docgen render case.json --all --format both --out out/ --json
        docgen render - --doc outcome-letter --out - < case.json > letters.zip
    """
    if bool(doc_ids) == all_docs:
        raise click.UsageError("Give --doc ID (one or more) or --all.")
    if password_file:
        password = password_file.read().strip()
    if pdfa and password:
        raise click.UsageError("PDF/A does not allow encryption: give --pdfa or a password, not both.")
    if out == "-" and as_json:
        raise click.UsageError("--json lists files written to a folder; with --out - the files are the output.")
    pipeline = Pipeline(Registry(templates_dir))
    report = pipeline.check(bundle)
    loaded = report.raise_for_errors(strict)
    for warning in report.warnings:  # e.g. an address too long for the envelope window
        click.echo(warning.describe(report.source), err=True)
    if all_docs:
        doc_ids, lacking = pipeline.fillable(loaded)
        for doc_id, missing in lacking.items():
            click.echo(f"Skipped {doc_id}: the bundle has no {', '.join(missing)}.", err=True)
    results = pipeline.render(loaded, list(doc_ids))
    if out == "-":
        _to_stdout(results, fmt, pdfa, password)
    else:
        write_with_converter(results, Path(out), fmt=fmt, pdfa=pdfa, password=password)
        _report(results, as_json)
    _exit_for(results)


def _to_stdout(results, fmt: str, pdfa: bool, password: str | None) -> None:
    """One file as itself; several as a zip."""
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        write_with_converter(results, Path(work), fmt=fmt, pdfa=pdfa, password=password)
        files = [path for r in results if r.ok for path in r.outputs.values()]
        for r in results:
            if not r.ok:
                click.echo(f"Error: {r.error}", err=True)
        if len(files) == 1:
            sys.stdout.buffer.write(files[0].read_bytes())
        elif files:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in files:
                    archive.write(path, path.name)
            sys.stdout.buffer.write(buffer.getvalue())
        sys.stdout.buffer.flush()


def _report(results, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([row.to_dict() for row in written(results)], indent=2, ensure_ascii=False))
        return
    for r in results:
        if r.ok:
            for path in r.outputs.values():
                click.echo(str(path))
        else:
            click.echo(f"Error: {r.error}", err=True)


def _exit_for(results) -> None:
    failed = [r for r in results if not r.ok]
    if not failed:
        return
    if len(failed) == len(results):
        sys.exit(failed[0].error.exit_code)
    click.echo(f"{len(failed)} of {len(results)} documents failed.", err=True)
    sys.exit(RenderError.exit_code)


@cli.group()
def schema() -> None:
    """The published JSON Schema of the case bundle."""


@schema.command("export")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=SCHEMA_PATH, show_default=True,
              help="Where to write it; - for standard output.")
def schema_export(out: Path) -> None:
    """Write the case bundle's JSON Schema, generated from the marshmallow source.

    Example:

        docgen schema export
        docgen schema export --out - | jq .title
    """
    text = export_text()
    if str(out) == "-":
        click.echo(text, nl=False)
        return
    from docgen.atomic import write_atomic

    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out.resolve(), text.encode("utf-8"))
    click.echo(str(out))


@click.command("list")
@click.option("--authority", help="Resolve for this authority (default: every authority).")
@json_option
@templates_option
@reports_errors
def list_templates(authority, as_json, templates_dir):
    """Show every document, the template each authority gets, and its version.

    Example:

        docgen templates list --authority derbyshire
        docgen templates list --json
    """
    registry = Registry(templates_dir)
    slugs = [authority] if authority else registry.authorities()
    for slug in slugs:
        registry.profile(slug)  # an unknown authority is an error, not an empty list
    rows = [dict(t.to_dict(), authority=slug) for slug in slugs for t in registry.resolve_all(slug)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for slug in slugs:
        click.echo(f"{slug} ({registry.profile(slug).name})")
        for row in (r for r in rows if r["authority"] == slug):
            click.echo(f"  {row['id']:<26} v{row['version']:<6} {row['origin']:<22} {row['title']}")


def _register_commands() -> None:
    from docgen.cli_batch import batch, history
    from docgen.cli_forms import feedback, forms
    from docgen.cli_pdf import check_letter, pack
    from docgen.cli_serve import serve, tokens, users
    from docgen.cli_templates import authority, templates

    templates.add_command(list_templates)
    for command in (batch, history, pack, check_letter, forms, feedback, templates, authority, serve, tokens, users):
        cli.add_command(command)


_register_commands()
