"""Command-line commands for fillable forms: ``forms list|fill|extract`` and ``feedback report``.

The lead engineer registers :data:`forms` and :data:`feedback` on the main ``docgen`` group.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from docgen.cli_support import json_option, reports_errors, templates_option
from docgen.exceptions import EXIT_PARTIAL
from docgen.forms import feedback as feedback_lib
from docgen.forms.extract import Outcome, extract_many, to_csv
from docgen.forms.fieldmap import FORMS_ENV, Forms
from docgen.forms.fill import fill_forms
from docgen.pipeline import Pipeline
from docgen.registry import Registry

PDF_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
OUT_DIR = click.Path(file_okay=False, path_type=Path)

forms_option = click.option(
    "--forms", "forms_dir", type=click.Path(file_okay=False, path_type=Path), envvar=FORMS_ENV,
    help="Folder of fillable forms and their field maps (default: the repository's forms/).",
)  # fmt: skip
password_option = click.option(
    "--password", envvar="DOCGEN_FORM_PASSWORD",
    help="Password of encrypted returned PDFs (or $DOCGEN_FORM_PASSWORD, which other users cannot see).",
)  # fmt: skip


@click.group()
def forms() -> None:
    """Fillable PDF forms: pre-fill them from a case bundle, read returned ones back."""


@forms.command("list")
@json_option
@forms_option
@reports_errors
def list_forms(as_json: bool, forms_dir: Path | None) -> None:
    """Show every fillable form, its version, and the fields a bundle pre-fills.

    \b
    Example:
        docgen forms list
        docgen forms list --json
    """
    infos = Forms(forms_dir).all()
    if as_json:
        click.echo(json.dumps([info.to_dict() for info in infos], indent=2))
        return
    for info in infos:
        click.echo(f"{info.form_id:<26} v{info.version:<5} {info.title}")


@forms.command()
@click.argument("bundle")
@click.option(
    "--form",
    "form_ids",
    multiple=True,
    required=True,
    metavar="ID",
    help="Form id (see docgen forms list); repeat for several.",
)
@click.option("--out", required=True, type=OUT_DIR, help="Output folder.")
@json_option
@forms_option
@templates_option
@reports_errors
def fill(bundle: str, form_ids: tuple[str, ...], out: Path, as_json: bool, forms_dir, templates_dir) -> None:
    """Pre-fill forms with what a case bundle knows: names, dates, the case reference.

    Writes CASEREF_FORM_form.pdf into the output folder for each form (distinct from the flat
    CASEREF_FORM.pdf render makes); every field stays fillable. A file already there under that
    name is replaced, and said so.
    Values withheld from the form's readers show as the authority's "withheld" wording.

    \b
    Example:
        docgen forms fill samples/valid/worcestershire-child-in-need.json --form feedback-sheet --out out/
        docgen forms fill case.json --form family-meeting-agreement --form meeting-invitation-list --out out/
    """
    pipeline = Pipeline(Registry(templates_dir))
    loaded = pipeline.load(bundle)
    written = fill_forms(pipeline, loaded, Forms(forms_dir), list(form_ids), out)
    for item in written:
        if item.replaced:
            click.echo(f"Warning: replaced {item.path}, which was already there.", err=True)
        for note in item.left_off:
            click.echo(
                f"Warning: [{item.case_reference}] {item.form.form_id}: {note}; add the rest by hand.",
                err=True,
            )
    if as_json:
        rows = [
            {"case_reference": item.case_reference, "form": item.form.form_id, "version": item.form.version,
             "path": str(item.path), "prefilled": sorted(item.values), "left_off": item.left_off,
             "replaced": item.replaced}
            for item in written
        ]  # fmt: skip
        click.echo(json.dumps(rows, indent=2))
        return
    for item in written:
        click.echo(str(item.path))


@forms.command()
@click.argument("pdfs", nargs=-1, required=True, type=PDF_FILE)
@json_option
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV: one row per form, one column per field.")
@password_option
@forms_option
@reports_errors
def extract(pdfs: tuple[Path, ...], as_json: bool, as_csv: bool, password: str | None, forms_dir) -> None:
    """Read returned, filled-in forms back into data.

    Each PDF says which docgen form it is. A file that is not a readable docgen form is
    reported on standard error and the others are still read: exit 0 when all were read,
    3 when some failed, 7 when none could be read.

    \b
    Example:
        docgen forms extract returned/*.pdf
        docgen forms extract returned/*.pdf --csv > returned.csv
        docgen forms extract sheet.pdf --json --password "$PASSWORD"
    """
    if as_json and as_csv:
        raise click.UsageError("Give --json or --csv, not both.")
    outcomes = extract_many(list(pdfs), Forms(forms_dir), password=password)
    read = [o.extracted for o in outcomes if o.ok]
    if as_json:
        rows = [
            o.extracted.to_dict() if o.ok else {"file": str(o.path), "error": o.error.to_dict()}
            for o in outcomes
        ]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    elif as_csv:
        if read:
            click.echo(to_csv(read), nl=False)
    else:
        for item in read:
            click.echo(f"{item.path}: {item.form.form_id} v{item.version}")
            for name, value in item.values.items():
                click.echo(f"  {name}: {_shown(value)}")
    _finish(outcomes, as_json)


@click.group()
def feedback() -> None:
    """Returned Feedback Sheets, summed up."""


@feedback.command("report")
@click.argument("pdfs", nargs=-1, required=True, type=PDF_FILE)
@click.option("--out", required=True, type=OUT_DIR, help="Folder for the summary CSV and chart.")
@json_option
@password_option
@forms_option
@reports_errors
def report(pdfs: tuple[Path, ...], out: Path, as_json: bool, password: str | None, forms_dir) -> None:
    """Sum up returned Feedback Sheets: a CSV of counts and averages, and a PNG bar chart.

    Counts each answer to the five Yes/No questions, averages each 1-5 rating, and counts the
    helpfulness answers. Files that cannot be read, or are other forms, are reported and left
    out: exit 3 when some failed, 7 when none could be read.

    \b
    Example:
        docgen feedback report returned/feedback/*.pdf --out reports/feedback-2026-q4/
    """
    sheets, outcomes = feedback_lib.collect(list(pdfs), Forms(forms_dir), password=password)
    summary = feedback_lib.summarise(sheets)
    written = feedback_lib.write_report(summary, out) if sheets else (None, None)
    if as_json:
        errors = [{"file": str(o.path), "error": o.error.to_dict()} for o in outcomes if not o.ok]
        click.echo(json.dumps({
            "sheets": summary.sheets, "csv": _path(written[0]), "chart": _path(written[1]),
            "summary": summary.rows() if sheets else [], "errors": errors,
        }, indent=2, ensure_ascii=False))  # fmt: skip
    elif sheets:
        click.echo(f"Summarised {summary.sheets} feedback sheet{'s' if summary.sheets != 1 else ''}.")
        click.echo("\n".join(str(path) for path in written))
    _finish(outcomes, as_json)


def _path(path: Path | None) -> str | None:
    return str(path) if path else None


def _shown(value) -> str:
    if value is True:
        return "ticked"
    if value is False:
        return "not ticked"
    if value is None:
        return "(no answer)"
    return value.replace("\n", " / ") if value else "(blank)"


def _finish(outcomes: list[Outcome], as_json: bool) -> None:
    """Report each failed file; exit 0, 3 when some failed, or the error's own code when all did."""
    failed = [o for o in outcomes if not o.ok]
    if not failed:
        return
    if not as_json:
        for outcome in failed:
            click.echo(f"Error: {outcome.error}", err=True)
    if len(failed) == len(outcomes):
        sys.exit(failed[0].error.exit_code)
    click.echo(f"{len(failed)} of {len(outcomes)} files failed.", err=True)
    sys.exit(EXIT_PARTIAL)
