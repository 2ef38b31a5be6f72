"""Command-line commands for batches: ``batch`` and ``history``.

The lead engineer registers :data:`batch` and :data:`history` on the main ``docgen`` group.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from docgen.batch import BatchOptions, BatchSummary, ClusterTLS, run_batch
from docgen.batch.run import FORMATS
from docgen.cli_support import json_option, reports_errors, templates_option
from docgen.register import REGISTER_ENV, Register, locate


@click.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder for the documents (not needed with --check).")
@click.option("--doc", "doc_ids", multiple=True, metavar="ID",
              help="Document id; repeat for several (default: each bundle's documents_requested).")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="docx", show_default=True)
@click.option("--jobs", type=click.IntRange(min=1),
              help="Worker processes (default: one per core; with --scheduler the cluster decides).")
@click.option("--check", is_flag=True,
              help="Dry run: validate every bundle and render every document in memory; write nothing.")
@click.option("--force", is_flag=True, help="Make every document again, even those issued before.")
@click.option("--strict", is_flag=True, help="Treat policy warnings as errors.")
@click.option("--register", type=click.Path(dir_okay=False, path_type=Path),
              help=f"The register database (default: ${REGISTER_ENV}, else OUT/.docgen/register.sqlite3).")
@click.option("--scheduler", metavar="ADDRESS",
              help="Send the work to a Dask scheduler, e.g. tls://10.0.0.5:8786 (default: this machine).")
@click.option("--tls-ca-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The cluster's CA certificate, for a tls:// scheduler.")
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="This machine's certificate, signed by that CA.")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Its private key (unless the certificate file holds it).")
@click.option("--insecure", is_flag=True,
              help="Allow a tcp:// scheduler on another machine: children's data then crosses the network unencrypted.")
@templates_option
@json_option
@click.pass_context
@reports_errors
def batch(ctx, input_path, out_dir, doc_ids, fmt, jobs, check, force, strict, register, scheduler,
          tls_ca_file, tls_cert, tls_key, insecure, templates_dir, as_json):  # fmt: skip
    """Make the documents of many case bundles: a folder of *.json files or a JSON Lines file.

    Documents are written to OUT as CASEREF_DOCUMENT[_RECIPIENT].docx/.pdf and recorded in the
    register. Run it again to finish an interrupted batch: documents already issued from the
    same bundle and template, whose file is unchanged, are skipped (--force makes them again).
    Each run writes OUT/runs/RUN-ID/manifest.csv (and .json) and failures.csv (and .json).

    A bad bundle or document never stops the others. Exit 0 when every document was issued,
    3 when some failed; when none could be issued, the code the failures share (1 every
    bundle invalid, 4 template problems, 5 LibreOffice, 6 output); 2 for usage errors.

    \b
    Example:
        docgen batch cases/ --out out/ --format both --jobs 4
        docgen batch cases.jsonl --check
        docgen batch cases/ --out out/ --scheduler tls://10.0.0.5:8786 --tls-ca-file ca.pem --tls-cert cluster.pem --tls-key cluster.key
    """
    if out_dir is None and not check:
        raise click.UsageError("Give --out DIR, or --check for a dry run.")
    summary = run_batch(BatchOptions(
        input=input_path, out_dir=out_dir, fmt=fmt, doc_ids=doc_ids, jobs=jobs, check=check,
        force=force, strict=strict, register=register, scheduler=scheduler, templates=templates_dir,
        tls=ClusterTLS(tls_ca_file, tls_cert, tls_key, insecure),
    ))  # fmt: skip
    if as_json:
        click.echo(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(summary_table(summary))
    ctx.exit(summary.exit_code)


def summary_table(summary: BatchSummary) -> str:
    """The table printed when a batch ends."""
    verb = "rendered" if summary.checked else "issued"
    valid = summary.bundles - summary.failed_bundles
    rows = [
        ("bundles", summary.bundles, f"{valid} valid, {summary.failed_bundles} failed"),
        ("documents", summary.documents, f"{summary.issued} {verb}, {summary.skipped} already issued, "
                                         f"{summary.failed_documents} failed"),  # fmt: skip
    ]
    if not summary.checked:
        rows.append(("files", summary.files, f"written to {summary.out_dir}"))
    lines = [f"{'Checked' if summary.checked else 'Batch'} {summary.run_id} in {summary.seconds:.1f} s "
             f"({summary.rate:.1f} documents/s)"]  # fmt: skip
    lines += [f"  {name:<10} {count:>7}  {detail}" for name, count, detail in rows]
    if summary.failures:
        lines.append(f"{summary.failed_documents} of {summary.documents} documents failed; "
                     f"{summary.failed_bundles} of {summary.bundles} bundles failed.")  # fmt: skip
    else:
        lines.append(f"All {summary.documents} documents {verb} or already issued; no failures.")
    for name, label in (("manifest_csv", "Manifest"), ("failures_csv", "Failures")):
        if name in summary.reports:
            lines.append(f"{label}: {summary.reports[name]}")
    return "\n".join(lines)


@click.command()
@click.argument("case_reference")
@click.option("--register", type=click.Path(path_type=Path),
              help=f"The register file, or a batch's output folder (default: ${REGISTER_ENV}, "
                   "else ./.docgen/register.sqlite3).")  # fmt: skip
@json_option
@reports_errors
def history(case_reference, register, as_json):
    """List every document issued for a case, oldest first, from the register.

    Shows when, which document and recipient, the format, the template version and the file.

    \b
    Example:
        docgen history WOR-CIN-0001 --register out/
        docgen history WOR-CIN-0001 --json
    """
    with Register(locate(register), read_only=True) as reg:
        issues = reg.history(case_reference)
    if as_json:
        click.echo(json.dumps([i.to_dict() for i in issues], indent=2, ensure_ascii=False))
        return
    if not issues:
        click.echo(f"No documents issued for {case_reference}.")
        return
    for i in issues:
        click.echo(f"{i.issued_at}  {i.document:<24} {i.recipient or '-':<22} {i.format:<4} "
                   f"v{i.template_version:<5} {i.output_sha256[:12]}  {i.output_path}")  # fmt: skip
