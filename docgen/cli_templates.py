"""Commands for policy owners who edit the Word templates: ``docgen templates ...`` and ``docgen authority new``.

The lead registers :data:`templates` (check, fields, preview, snapshot, lock; ``list`` joins them)
and :data:`authority` on the main group. Each command is a thin layer over :mod:`docgen.authoring`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from docgen.authoring import lock as version_lock
from docgen.authoring.annotate import annotate
from docgen.authoring.check import check, fields_used
from docgen.authoring.preview import preview as make_preview
from docgen.authoring.reference import as_markdown, as_text, reference, write_pages
from docgen.authoring.scaffold import new_authority
from docgen.authoring.snapshot import compare, render_snapshots, snapshot_folder, told_once, update
from docgen.cli_support import json_option, reports_errors, templates_option
from docgen.exceptions import EXIT_INVALID
from docgen.atomic import private_folder, write_atomic
from docgen.registry import Registry


@click.group()
def templates() -> None:
    """The template registry: what is registered, and tools for policy owners."""


@templates.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--annotate", "annotate_to", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a copy of the (one) template with a Word comment at each problem.")
@json_option
@templates_option
@reports_errors
def check_command(paths, strict, annotate_to, as_json, templates_dir):
    """Check Word templates for everything that would break or mislead a document.

    PATHS are templates (.docx), an authority's folder, or the templates folder (the default).
    Each problem names the file, where it is (body paragraph 12, table 1 row 2 cell 3, header)
    with the paragraph's text, and a fix. Exit 0 clean, 1 when there are errors (or warnings,
    with --strict).

    \b
    Example:
        docgen templates check
        docgen templates check templates/default/outcome-letter.docx --annotate checked.docx
        docgen templates check templates/derbyshire --strict --json
    """
    root = Registry(templates_dir).root
    report = check(list(paths) or [root])
    if annotate_to:
        if len(report.templates) != 1:
            raise click.UsageError("--annotate needs exactly one template.")
        annotate(report.templates[0], report.problems, annotate_to)
    if as_json:
        click.echo(json.dumps({
            "templates": [str(t) for t in report.templates],
            "errors": len(report.errors),
            "warnings": len(report.warnings),
            "problems": [p.to_dict() for p in report.problems],
        }, indent=2, ensure_ascii=False))
    else:
        for problem in report.problems:
            click.echo(problem.describe(), err=problem.severity == "error")
        ok = report.ok(strict)
        click.echo(_summary(report), err=not ok)
    if annotate_to:
        click.echo(f"Wrote {annotate_to} with {len(report.problems)} comments.", err=True)
    sys.exit(0 if report.ok(strict) else EXIT_INVALID)


def _summary(report) -> str:
    def count(n, word):
        return f"{n} {word}{'' if n == 1 else 's'}"

    return (f"Checked {count(len(report.templates), 'template')}: {count(len(report.errors), 'error')}, "
            f"{count(len(report.warnings), 'warning')}.")


@templates.command("fields")
@click.argument("doc_id", required=False)
@click.option("--authority", help="List the fields as this authority's template sees them.")
@click.option("--markdown", is_flag=True, help="Write the list as a Markdown reference page.")
@click.option("--out", type=click.Path(path_type=Path), help="Write to this file (with --all: folder).")
@click.option("--all", "all_docs", is_flag=True, help="Every document's Markdown page, into the --out folder.")
@templates_option
@reports_errors
def fields_command(doc_id, authority, markdown, out, all_docs, templates_dir):
    """List every field a document's template may use, with examples from the samples.

    Shows each field's type, whether it is always there or needs {% if %} around it, what it
    is, and an example from the fictional samples; lists are marked (loop over them with
    {% for %}). Without --markdown, fields the template already uses are marked "used".

    \b
    Example:
        docgen templates fields outcome-letter
        docgen templates fields family-plan --authority derbyshire
        docgen templates fields --all --markdown --out docs/fields
    """
    registry = Registry(templates_dir)
    if all_docs:
        if doc_id or not markdown or out is None:
            raise click.UsageError("--all writes Markdown pages: give --markdown and --out FOLDER, and no DOC_ID.")
        for page in write_pages(out, registry):
            click.echo(str(page))
        return
    if not doc_id:
        raise click.UsageError("Give a DOC_ID, or --all.")
    registry.check_names(authority=authority, doc_id=doc_id)
    if markdown:
        text = as_markdown(reference(doc_id, authority=authority, registry=registry))
    else:
        template = registry.resolve(doc_id, authority or "default")
        text = as_text(reference(doc_id, authority=authority, registry=registry, used=fields_used(template.path)))
    if out is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    private_folder(out.parent)
    write_atomic(out.resolve(), text.encode("utf-8"))
    click.echo(str(out))


@templates.command("preview")
@click.argument("doc_id")
@click.option("--authority", required=True, help="The authority whose template and profile to use.")
@click.option("--sample", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The sample bundle to fill it from (default: the authority's first that fits).")
@click.option("--recipient", help="For documents with one copy per recipient: whose copy, like family-mum.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The file to write: .docx, .pdf, or .png (the first page).")
@templates_option
@reports_errors
def preview_command(doc_id, authority, sample, recipient, out, templates_dir):
    """Fill a template from a sample bundle to see what it will look like.

    Every recipient's copy (family and agency variants) is filled; the first, or the
    --recipient's, is written. When any copy fails nothing is written and the exit code is 4,
    with each failing copy named. The --out extension chooses the format: .docx, .pdf (through
    LibreOffice), or .png, a picture of the first page (needs poppler's pdftoppm).

    \b
    Example:
        docgen templates preview outcome-letter --authority worcestershire --out letter.pdf
        docgen templates preview family-plan --authority derbyshire --out plan.png
    """
    registry = Registry(templates_dir)
    registry.check_names(authority=authority, doc_id=doc_id)
    made = make_preview(doc_id, authority, out, registry=registry, sample=sample, recipient=recipient)
    borrowed = f", as if for {authority}" if made.borrowed else ""
    whose = f" for {made.recipient}" if made.recipient else ""
    click.echo(f"Wrote {made.out} from {made.sample.name}{whose}{borrowed}.")


@templates.command("snapshot")
@click.option("--update", "do_update", is_flag=True, help="Record the documents as they are now.")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="Where the snapshots are kept (default: tests/snapshots for the repository's templates, "
                   "else snapshots/ beside the templates folder).")
@templates_option
@reports_errors
def snapshot_command(do_update, folder, templates_dir):
    """Compare every template filled from the samples with its text snapshot.

    Prints a difference for each document whose text changed. After a deliberate change to a
    template, --update records the new text (commit it with the template). Exit 1 when
    anything differs (without --update) or a document could not be filled.

    \b
    Example:
        docgen templates snapshot
        docgen templates snapshot --update
    """
    registry = Registry(templates_dir)
    folder = folder or snapshot_folder(registry.root)
    snapshots = render_snapshots(registry)
    differences = update(snapshots, folder) if do_update else compare(snapshots, folder)
    if do_update:
        for difference in differences:
            if difference.kind != "failed":
                click.echo(f"{'removed' if difference.kind == 'gone' else 'updated'} {difference.name}")
    for told in told_once([d for d in differences if d.kind == "failed" or not do_update]):
        click.echo(told, err=True)
    failing = [d for d in differences if d.kind == "failed"] if do_update else differences
    click.echo(f"{len(snapshots)} documents, {len(differences)} {'changed' if do_update else 'different'}.",
               err=bool(failing))
    sys.exit(EXIT_INVALID if failing else 0)


@templates.command("lock")
@click.option("--force", is_flag=True, help="Record templates that changed without a new version too.")
@templates_option
@reports_errors
def lock_command(force, templates_dir):
    """Record each template's version and SHA-256 in templates/versions.lock.json.

    Run it after raising a changed template's version in its .toml; `templates check` then
    fails whenever a template changes again without a new version. A template changed without
    a new version is refused unless --force.

    \b
    Example:
        docgen templates lock
    """
    root = Registry(templates_dir).root
    changes = version_lock.update_lock(root, force=force)
    for line in changes:
        click.echo(line)
    click.echo(f"{version_lock.lock_path(root)}: {len(changes)} changed.")


@click.group()
def authority() -> None:
    """Local authorities: their profiles and templates of their own."""


@authority.command("new")
@click.argument("slug")
@click.option("--name", help="The authority's name, like 'North Somerset Council'.")
@templates_option
@reports_errors
def new_authority_command(slug, name, templates_dir):
    """Start a new authority: a profile to fill in, and a folder for its own templates.

    Writes templates/SLUG/authority.toml (every key, each explained) and a README.txt. Every
    document uses the default template until the authority adds its own. Its contact details
    are placeholders: `templates check` and `validate --strict` refuse them until replaced.

    \b
    Example:
        docgen authority new north-somerset --name "North Somerset Council"
    """
    for path in new_authority(slug, name=name, root=templates_dir):
        click.echo(str(path))
