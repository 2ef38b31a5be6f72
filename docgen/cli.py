"""The docgen command line: a thin layer over :mod:`docgen.pipeline` and the stage modules.

Exit codes (docgen.exceptions): 0 success; 1 invalid bundle (or template errors under check);
2 usage error (bad option, unknown authority or document named, missing/unreadable/non-UTF-8/
oversized file); 3 some documents failed, the others were written; 4 template missing or broken,
or a field the bundle lacks; 5 LibreOffice missing or failing; 6 output not writable; 7 a PDF
input is corrupt or encrypted; 8 GOV.UK Notify refused the API key.
"""

from __future__ import annotations

import functools
import importlib
import io
import json
import sys
import zipfile
from pathlib import Path

import click

from docgen import __version__
from docgen.cli_support import fail, json_option, pdf_options, pdf_password, reports_errors, templates_option
from docgen.exceptions import EXIT_INVALID, EXIT_USAGE, DocgenError, InputError, MissingField, RenderError
from docgen.output import FORMATS, write_with_converter, written
from docgen.register import REGISTER_ENV, default_path

SCHEMA_PATH = Path("schemas") / "case-bundle.schema.json"


class _LazyCommands(click.Group):
    """The root group. The commands defined in other modules are imported when one of them is
    run or listed, not on every start: `docgen render` would otherwise spend most of its start
    importing the server, batch, forms and Notify code it never uses."""

    LAZY = {
        "batch": "docgen.cli_batch:batch", "history": "docgen.cli_batch:history",
        "pack": "docgen.cli_pdf:pack", "check-letter": "docgen.cli_pdf:check_letter",
        "send": "docgen.cli_notify:send", "forms": "docgen.cli_forms:forms",
        "feedback": "docgen.cli_forms:feedback", "templates": "docgen.cli_templates:templates",
        "authority": "docgen.cli_templates:authority", "serve": "docgen.cli_serve:serve",
        "tokens": "docgen.cli_serve:tokens", "users": "docgen.cli_serve:users",
    }  # fmt: skip

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.LAZY and name not in self.commands:
            module, attribute = self.LAZY[name].split(":")
            command = getattr(importlib.import_module(module), attribute)
            if name == "templates":
                command.add_command(list_templates)
            self.add_command(command, name)
        return super().get_command(ctx, name)


def _pipeline(templates_dir):
    """The pipeline over the templates, imported only by the commands that render: the others
    start faster, and so does each batch worker, which imports this module as its parent's main."""
    from docgen.pipeline import Pipeline
    from docgen.registry import Registry

    return Pipeline(Registry(templates_dir))


@click.group(cls=_LazyCommands, context_settings={"help_option_names": ["-h", "--help"]})
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

    \b
    Example:
        docgen validate samples/valid/*.json
        cat bundle.json | docgen validate --json -
    """
    try:
        pipeline = _pipeline(templates_dir)
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
@click.option("--doc", "doc_ids", multiple=True, metavar="ID",
              help="Document id; repeat for several (default: the bundle's documents_requested).")
@click.option("--all", "all_docs", is_flag=True, help="Every document the bundle has the sections for.")
@click.option("--out", "out", required=True, help="Output folder, or - for standard output.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="docx", show_default=True)
@pdf_options
@click.option("--register", type=click.Path(dir_okay=False, path_type=Path),
              help=f"The register to record what was issued in (default: ${REGISTER_ENV}, "
                   "else ./.docgen/register.sqlite3).")  # fmt: skip
@click.option("--no-record", is_flag=True, help="A preview: record nothing in the register.")
@click.option("--strict", is_flag=True, help="Refuse a bundle with policy warnings.")
@json_option
@templates_option
def render(bundle, doc_ids, all_docs, out, fmt, pdfa, password, password_file, register, no_record, strict,
           as_json, templates_dir):  # fmt: skip
    """Fill documents from one case bundle (a path, or - for standard input).

    Writes one file per document and recipient, named CASEREF_DOCUMENT[_RECIPIENT], prints
    their paths, and records each in the register, as a batch does (--no-record for a
    preview). Without --doc or --all it fills the bundle's documents_requested. A document that
    fails writes nothing; the others still complete and the exit code is 3. --all fills every
    document the bundle has the sections for, and says which it skipped and why. A file already
    there under the same name is replaced, and said so. With --json, one JSON object on standard
    output, on success and on failure (see the README).

    \b
    Example:
        docgen render samples/valid/worcestershire-child-in-need.json --doc outcome-letter --out out/
        docgen render case.json --all --format both --out out/ --json
        docgen render - --doc outcome-letter --out - < case.json > letters.zip
    """
    report = _RenderReport(as_json)
    try:
        password = pdf_password(fmt, pdfa, password, password_file)
        if doc_ids and all_docs:
            raise click.UsageError("Give --doc ID (one or more) or --all, not both.")
        if out == "-" and as_json:
            raise click.UsageError("--json lists files written to a folder; with --out - the files are the output.")
        if fmt != "docx":
            from docgen.convert.warm import prepare

            prepare()  # the warm converter service, if none runs, starts while the bundle is rendered
        pipeline = _pipeline(templates_dir)
        checked = pipeline.check(bundle)
        report.case_reference = checked.case_reference
        report.warn(checked.warnings, checked.source)  # e.g. an address too long for the envelope window
        loaded = checked.raise_for_errors(strict)
        if all_docs:
            doc_ids, lacking = pipeline.fillable(loaded)
            report.skip(lacking)
            if not doc_ids:
                raise MissingField("The bundle has the sections of no document; nothing was written.",
                                   source=checked.source, case_ref=loaded.reference)  # fmt: skip
        results = report.results = pipeline.render(loaded, list(doc_ids) or None)
        if not no_record:
            report.register = register or default_path(Path("."))
        record = functools.partial(pipeline.record, loaded, results, report.register, password=password)
        if out == "-":
            _to_stdout(results, fmt, pdfa, password, report, None if no_record else record)
        else:
            write_with_converter(results, Path(out), fmt=fmt, pdfa=pdfa, password=password)
            report.written()
            if not no_record and any(r.ok for r in results):
                report.run_id = record(out_dir=str(Path(out).resolve()))
    except click.UsageError as e:
        if not as_json:
            raise
        report.error = {"error": "usage", "message": e.message, "source": None, "path": None,
                        "case_reference": None, "exit_code": e.exit_code}  # fmt: skip
    except DocgenError as e:
        report.error = e
    report.finish()


def _to_stdout(results, fmt: str, pdfa: bool, password: str | None, report, record) -> None:
    """One file as itself; several as a zip; none, nothing (never an empty zip)."""
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        write_with_converter(results, Path(work), fmt=fmt, pdfa=pdfa, password=password)
        files = [path for r in results if r.ok for path in r.outputs.values()]
        if len(files) == 1:
            sys.stdout.buffer.write(files[0].read_bytes())
        elif files:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in files:
                    archive.write(path, path.name)
            sys.stdout.buffer.write(buffer.getvalue())
        sys.stdout.buffer.flush()
        if record and files:
            report.run_id = record(out_dir="-", to_stdout=True)


class _RenderReport:
    """What ``render`` tells its user: as lines (paths on standard output, the rest on standard
    error) or, with ``--json``, as one object on standard output, whether it succeeded or not:

    ``{"case_reference", "exit_code", "files": [...], "failures": [...], "skipped": [{"document",
    "missing"}], "warnings": [{"file", "path", "message", "severity"}], "register": {"path",
    "run_id"} or null, "error": null or {"error", "message", "source", "path", "case_reference",
    "exit_code", ...}}``
    """

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.case_reference: str | None = None
        self.results: list = []
        self.warnings: list[dict] = []
        self.skipped: list[dict] = []
        self.register: Path | None = None
        self.run_id: str | None = None
        self.error: DocgenError | dict | None = None

    def warn(self, problems, source: str) -> None:
        for problem in problems:
            self.warnings.append({"file": source, **problem.to_dict()})
            if not self.as_json:
                click.echo(problem.describe(source), err=True)

    def skip(self, lacking: dict[str, list[str]]) -> None:
        for doc_id, missing in lacking.items():
            self.skipped.append({"document": doc_id, "missing": missing})
            if not self.as_json:
                click.echo(f"Skipped {doc_id}: the bundle has no {', '.join(missing)}.", err=True)

    def written(self) -> None:
        """Print each file written (text mode; --json lists them at the end)."""
        if not self.as_json:
            for r in self.results:
                for path in r.outputs.values():
                    click.echo(str(path))

    def _notes(self) -> None:
        """Each file that replaced one already there, and each error once: a template's error
        is the same for every recipient it stopped."""
        stopped: dict[str, list[str]] = {}
        for r in self.results:
            for path in r.replaced:
                click.echo(f"Warning: replaced {path}, which was already there.", err=True)
            if not r.ok:
                stopped.setdefault(str(r.error), []).append(r.recipient.slug if r.recipient else r.doc_id)
        for error, whom in stopped.items():
            click.echo(f"Error: {error}" + (f" (for {', '.join(whom)})" if len(whom) > 1 else ""), err=True)

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return self.error["exit_code"] if isinstance(self.error, dict) else self.error.exit_code
        failed = [r for r in self.results if not r.ok]
        if not failed:
            return 0
        return failed[0].error.exit_code if len(failed) == len(self.results) else RenderError.exit_code

    def finish(self) -> None:
        if self.as_json:
            rows = [row.to_dict() for row in written(self.results)]
            error = self.error.to_dict() if isinstance(self.error, DocgenError) else self.error
            click.echo(json.dumps({
                "case_reference": self.case_reference,
                "exit_code": self.exit_code,
                "files": [row for row in rows if "error" not in row],
                "failures": [row for row in rows if "error" in row],
                "skipped": self.skipped,
                "warnings": self.warnings,
                "register": {"path": str(self.register), "run_id": self.run_id} if self.run_id else None,
                "error": error,
            }, indent=2, ensure_ascii=False))  # fmt: skip
            sys.exit(self.exit_code)
        self._notes()
        if self.error is not None:
            fail(self.error)
        if self.run_id:
            click.echo(f"Recorded in {self.register} as run {self.run_id}.", err=True)
        failed = [r for r in self.results if not r.ok]
        if failed and len(failed) < len(self.results):
            click.echo(f"{len(failed)} of {len(self.results)} documents failed.", err=True)
        sys.exit(self.exit_code)


@cli.group()
def schema() -> None:
    """The published JSON Schema of the case bundle."""


@schema.command("export")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=SCHEMA_PATH, show_default=True,
              help="Where to write it; - for standard output.")
def schema_export(out: Path) -> None:
    """Write the case bundle's JSON Schema, generated from the marshmallow source.

    \b
    Example:
        docgen schema export
        docgen schema export --out - | jq .title
    """
    from docgen.bundle.jsonschema import export_text  # here: only this command needs it

    text = export_text()
    if str(out) == "-":
        click.echo(text, nl=False)
        return
    from docgen.atomic import private_folder, write_atomic

    private_folder(out.parent)
    write_atomic(out.resolve(), text.encode("utf-8"))
    click.echo(str(out))


@click.command("list")
@click.option("--authority", help="Resolve for this authority (default: every authority).")
@json_option
@templates_option
@reports_errors
def list_templates(authority, as_json, templates_dir):
    """Show every document, the template each authority gets, and its version.

    \b
    Example:
        docgen templates list --authority derbyshire
        docgen templates list --json
    """
    from docgen.registry import Registry

    registry = Registry(templates_dir)
    registry.check_names(authority=authority)  # an unknown authority is an error, not an empty list
    slugs = [authority] if authority else registry.authorities()
    rows = [dict(t.to_dict(), authority=slug) for slug in slugs for t in registry.resolve_all(slug)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for slug in slugs:
        click.echo(f"{slug} ({registry.profile(slug).name})")
        for row in (r for r in rows if r["authority"] == slug):
            click.echo(f"  {row['id']:<26} v{row['version']:<6} {row['origin']:<22} {row['title']}")
