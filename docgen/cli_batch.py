"""Command-line commands for batches: ``batch`` and ``history``.

The lead engineer registers :data:`batch` and :data:`history` on the main ``docgen`` group.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import click

from docgen.batch import BatchOptions, BatchSummary, ClusterTLS, run_batch
from docgen.batch.run import FORMATS
from docgen.cli_notify import gateway_and_options, notify_options, report_sends
from docgen.cli_support import json_option, pdf_options, pdf_password, reports_errors, templates_option
from docgen.exceptions import EXIT_PARTIAL
from docgen.notify import send_letters
from docgen.notify.email_route import batch_email_routes
from docgen.notify.send import letters_in_manifest
from docgen.registry import Registry
from docgen.register import REGISTER_ENV, Register, default_path, locate


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
@pdf_options
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
@click.option("--send", "send_letters_after", is_flag=True,
              help="Then post the run's PDF letters through GOV.UK Notify, as docgen send does.")
@notify_options
@templates_option
@json_option
@click.pass_context
@reports_errors
def batch(ctx, input_path, out_dir, doc_ids, fmt, jobs, check, force, strict, register, pdfa, password,
          password_file, scheduler, tls_ca_file, tls_cert, tls_key, insecure, send_letters_after, postage,
          api_key_file, notify_url, resend, reason, templates_dir, as_json):  # fmt: skip
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
        docgen batch cases/ --out record/ --format pdf --pdfa
        docgen batch cases/ --out out/ --scheduler tls://10.0.0.5:8786 --tls-ca-file ca.pem --tls-cert cluster.pem --tls-key cluster.key
        docgen batch cases/ --out out/ --format pdf --send --postage first

    With --send, each PDF letter of the run (issued now or before) is then checked and posted
    through GOV.UK Notify and recorded, exactly as docgen send does; letters Notify already
    has are skipped. Information requests to agencies with an email address go by email
    instead (a link to the PDF) when the authority's profile names notify_email_template.
    The exit code is then the worse of the batch's and the sending's.
    """
    if out_dir is None and not check:
        raise click.UsageError("Give --out DIR, or --check for a dry run.")
    password = pdf_password(fmt, pdfa, password, password_file)
    if send_letters_after and (check or fmt == "docx"):
        raise click.UsageError("--send posts PDFs: give --format pdf or both, and not --check.")
    if send_letters_after and password:
        raise click.UsageError("--send posts PDFs to GOV.UK Notify, which cannot open encrypted ones: drop the password.")
    sending = None
    if send_letters_after:  # the key is read before the batch, so a missing one costs no work
        sending = gateway_and_options(api_key_file, notify_url, postage, resend, reason)
    summary = run_batch(BatchOptions(
        input=input_path, out_dir=out_dir, fmt=fmt, doc_ids=doc_ids, jobs=jobs, check=check,
        force=force, strict=strict, register=register, scheduler=scheduler, templates=templates_dir,
        pdfa=pdfa, password=password, tls=ClusterTLS(tls_ca_file, tls_cert, tls_key, insecure),
    ))  # fmt: skip
    report = summary.to_dict()
    if not as_json:
        click.echo(summary_table(summary))
    code = summary.exit_code
    if sending and "manifest_json" in summary.reports:
        gateway, options = sending
        options = replace(options, email_route=batch_email_routes(input_path, Registry(templates_dir)))
        letters = letters_in_manifest(summary.reports["manifest_json"])
        with Register(register or default_path(out_dir)) as reg:
            outcomes = send_letters(letters, reg, gateway, options)
            sent_code, report["sends"] = report_sends(outcomes, as_json, print_json=False)
        code = max(code, sent_code) if code in (0, EXIT_PARTIAL) else code
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    ctx.exit(code)


def headline(summary: BatchSummary) -> str:
    """What a batch came to, in one line: the failures first, and only those there were."""
    verb = "rendered" if summary.checked else "issued"
    made = summary.issued + summary.skipped
    documents = _count(made, "document")
    before = f" ({summary.skipped} by an earlier run)" if summary.skipped and not summary.checked else ""
    if not summary.failures:
        return f"All {documents} {verb}{before}, from {_count(summary.bundles, 'bundle')}; no failures."
    failed = []
    if summary.failed_bundles:
        failed.append(f"{summary.failed_bundles} of {_count(summary.bundles, 'bundle')} could not be used")
    if summary.failed_documents:
        failed.append(f"{summary.failed_documents} of {_count(summary.documents, 'document')} failed")
    rest = f"{documents} {verb}{before}" if made else f"no documents {verb}"
    return f"{' and '.join(failed).capitalize()}; {rest}."


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def summary_table(summary: BatchSummary) -> str:
    """What is printed when a batch ends: the headline, the counts, and where the reports are."""
    verb = "rendered" if summary.checked else "issued"
    valid = summary.bundles - summary.failed_bundles
    rows = [
        ("bundles", summary.bundles, f"{valid} valid, {summary.failed_bundles} failed"),
        ("documents", summary.documents, f"{summary.issued} {verb}, {summary.skipped} already issued, "
                                         f"{summary.failed_documents} failed"),  # fmt: skip
    ]
    if not summary.checked:
        rows.append(("files", summary.files, f"written to {summary.out_dir}"))
    lines = [headline(summary),
             f"{'Checked' if summary.checked else 'Batch'} {summary.run_id} in {summary.seconds:.1f} s "
             f"({summary.rate:.1f} documents/s)"]  # fmt: skip
    lines += [f"  {name:<10} {count:>7}  {detail}" for name, count, detail in rows]
    if "manifest_csv" in summary.reports:
        lines.append(f"Manifest: {summary.reports['manifest_csv']}")
    if summary.failures and "failures_csv" in summary.reports:
        lines.append(f"Failures: {summary.reports['failures_csv']}")
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

    Shows when, which document and recipient, the format, the template version and the file;
    then each send through GOV.UK Notify with its status (see docgen send --status), and who
    rendered, downloaded or read the case's history through the HTTP API (docgen serve).

    \b
    Example:
        docgen history WOR-CIN-0001 --register out/
        docgen history WOR-CIN-0001 --json
    """
    with Register(locate(register), read_only=True) as reg:
        issues = reg.history(case_reference)
        sends = reg.sends_for_case(case_reference)
        accesses = reg.accesses(case_reference)
    if as_json:
        rows = [{**i.to_dict(), "sends": [s.to_dict() for s in sends if s.output_sha256 == i.output_sha256]}
                for i in issues]  # fmt: skip
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not issues and not sends and not accesses:
        click.echo(f"No documents issued for {case_reference}.")
        return
    for i in issues:
        click.echo(f"{i.issued_at}  {i.document:<24} {i.recipient or '-':<22} {i.format:<4} "
                   f"v{i.template_version:<5} {i.output_sha256[:12]}  {i.output_path}")  # fmt: skip
    if sends:
        click.echo("Sent through GOV.UK Notify:")
    for s in sends:
        how = f"letter, {s.postage}" if s.route == "letter" else "email"
        why = f", resent: {s.resend_reason}" if s.resend_reason else ""
        click.echo(f"{s.sent_at}  {s.reference}  {how}  {s.status}  Notify id "
                   f"{s.notification_id or '-'}  {s.output_sha256[:12]}{why}")  # fmt: skip
    if accesses:
        click.echo("Through the HTTP API:")
    for a in accesses:
        click.echo(f"{a.accessed_at}  {a.actor:<20} {a.action:<9} {a.document or '-':<24} {a.recipient or '-'}")
