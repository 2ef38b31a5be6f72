"""Command line for GOV.UK Notify: ``send``, and what ``batch --send`` shares with it
(:func:`notify_options`, :func:`gateway_and_options`, :func:`report_sends`)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from docgen.cli_support import json_option, reports_errors
from docgen.exceptions import EXIT_OK, EXIT_PARTIAL, InputError
from docgen.notify import NotifyGateway, SendOptions, read_api_key, send_letters, update_statuses
from docgen.notify.gateway import API_KEY_ENV, BASE_URL_ENV
from docgen.notify.send import POSTAGE
from docgen.pdfout.letters import find_letters
from docgen.register import REGISTER_ENV, REGISTER_FILE, STATE_FOLDER, Register, default_path, locate


def notify_options(command):
    """The options ``send`` and ``batch --send`` share."""
    for option in reversed([
        click.option("--postage", type=click.Choice(POSTAGE),
                     help="Postage for every letter (default: Notify's, second class)."),
        click.option("--api-key-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help=f"A file holding the Notify API key (default: ${API_KEY_ENV}). Never "
                          "give the key itself on the command line."),
        click.option("--notify-url", envvar=BASE_URL_ENV, metavar="URL",
                     help=f"Notify's API address (default: ${BASE_URL_ENV}, else Notify's own)."),
        click.option("--resend", is_flag=True, help="Send again letters Notify already has (needs --reason)."),
        click.option("--reason", metavar="TEXT", help="Why letters are sent again; recorded in the register."),
    ]):  # fmt: skip
        command = option(command)
    return command


def gateway_and_options(api_key_file, notify_url, postage, resend, reason) -> tuple[NotifyGateway, SendOptions]:
    """The gateway (the key read now, so that a missing one costs no work) and send options."""
    if resend and not (reason and reason.strip()):
        raise click.UsageError("--resend needs --reason TEXT, saying why; it is recorded.")
    if reason and not resend:
        raise click.UsageError("--reason goes with --resend.")
    gateway = NotifyGateway(read_api_key(api_key_file), notify_url)
    return gateway, SendOptions(postage=postage, resend_reason=reason.strip() if resend else None)


def report_sends(outcomes, as_json: bool, *, print_json: bool = True) -> tuple[int, list[dict]]:
    """Print each outcome as it comes (with ``as_json``, all at the end, unless the caller
    prints the rows itself); the exit code (0 all sent or skipped, 3 otherwise) and the rows."""
    rows, failed = [], 0
    for outcome in outcomes:
        failed += outcome.outcome not in ("sent", "skipped")
        if as_json:
            rows.append(outcome.to_dict())
        else:
            click.echo(str(outcome))
    if as_json and print_json:
        click.echo(json.dumps(rows, indent=2))
    return (EXIT_PARTIAL if failed else EXIT_OK), rows


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@notify_options
@click.option("--status", "statuses", is_flag=True,
              help="Instead of sending, ask Notify for the status of every send not yet final.")
@click.option("--register", type=click.Path(path_type=Path),
              help=f"The register file, or a batch's output folder (default: ${REGISTER_ENV}, else "
                   ".docgen/register.sqlite3 in the first letter's folder; with --status, in the "
                   "current folder).")  # fmt: skip
@json_option
@click.pass_context
@reports_errors
def send(ctx, paths, postage, api_key_file, notify_url, resend, reason, statuses, register, as_json):
    """Post letter PDFs through GOV.UK Notify's precompiled-letter API.

    PATHS are letter PDFs or folders of them (docgen's files that are not letters are skipped).
    Each letter is checked against Notify's rules first and not sent if it fails; the
    reference Notify gets is the file name without .pdf. Each send is recorded in the register
    against the file's SHA-256, and a letter Notify already has is skipped unless --resend
    --reason TEXT. A run stopped half-way can simply be run again. The API key comes from
    $NOTIFY_API_KEY or --api-key-file. Exit 0 when every letter was sent or skipped, 3 when
    some were not, 8 when Notify refused the API key (nothing more is sent).

    \b
    Example:
        NOTIFY_API_KEY=$(cat ~/.notify-key) docgen send out/ --postage first
        docgen send out/WOR-CIN-0001_outcome-letter_family-mum.pdf --api-key-file key.txt
        docgen send --status --register out/.docgen/register.sqlite3 --api-key-file key.txt
    """
    if statuses:
        if paths:
            raise click.UsageError("--status takes no PATHS: it asks about every letter sent.")
        gateway, _ = gateway_and_options(api_key_file, notify_url, postage, resend, reason)
        rows = []
        with Register(locate(register)) as reg:
            for sent, status in update_statuses(reg, gateway):
                rows.append({"reference": sent.reference, "notification_id": sent.notification_id,
                             "status": status})  # fmt: skip
                if not as_json:
                    click.echo(f"{sent.reference}: {status} (Notify id {sent.notification_id})")
        if as_json:
            click.echo(json.dumps(rows, indent=2))
        return
    if not paths:
        raise click.UsageError("Give the letters to send (PDFs or folders), or --status.")
    found = find_letters(list(paths))
    if not found.letters:
        raise InputError(f"None of the PDFs given is a letter. {found.skipped_line() or ''}".strip())
    gateway, options = gateway_and_options(api_key_file, notify_url, postage, resend, reason)
    if register is not None and register.is_dir():
        register = register / STATE_FOLDER / REGISTER_FILE
    with Register(register or default_path(found.letters[0].parent)) as reg:
        code, _ = report_sends(send_letters(found.letters, reg, gateway, options), as_json)
    if found.skipped_line():
        click.echo(found.skipped_line(), err=as_json)
    ctx.exit(code)
