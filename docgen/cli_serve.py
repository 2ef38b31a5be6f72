"""``docgen serve``, ``docgen tokens`` and ``docgen users``: the HTTP API, the web workspace and
who may use them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from docgen.cli_support import json_option, reports_errors, templates_option
from docgen.exceptions import InputError
from docgen.registry import Registry
from docgen.serve.access import SCOPES, AccessStore
from docgen.serve.auth import ROLES, UserStore
from docgen.serve.data import DATA_ENV, DataFolder
from docgen.serve.housekeeping import KEEP_DAYS, KEEP_DAYS_ENV

data_option = click.option(
    "--data", "data_dir", envvar=DATA_ENV, help=f"The server's data folder (default: ${DATA_ENV}, else ./docgen-data)."
)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (keep the loopback behind a TLS proxy).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=lambda: os.cpu_count() or 1, type=click.IntRange(1, 64),
              help="Server processes (default: one per core), each with its own warm LibreOffice.")
@click.option("--threads", default=2, show_default=True, type=click.IntRange(1, 256),
              help="Requests each process works on at once (a slow client takes none).")
@click.option("--client-timeout", default=15.0, show_default=True, type=click.FloatRange(0.1, 3600),
              help="Seconds a client may fall silent while sending a request before it is answered 408.")
@click.option("--keep-days", default=KEEP_DAYS, show_default=True, envvar=KEEP_DAYS_ENV, type=click.IntRange(1, 3650),
              help=f"Days a finished batch job and a template check are kept in the data folder (or ${KEEP_DAYS_ENV}); "
                   "the register keeps what was issued.")
@data_option
@templates_option
@reports_errors
def serve(host, port, workers, threads, client_timeout, keep_days, data_dir, templates_dir):
    """Serve the HTTP API (/v1) for case-management systems.

    Every endpoint but /v1/health needs 'Authorization: Bearer TOKEN' (see docgen tokens).

    \b
    Example:
        docgen serve --port 8000 --data /var/lib/docgen
    """
    from docgen.serve.server import serve as run_server

    run_server(DataFolder(data_dir), host=host, port=port, workers=workers, threads=threads,
               client_timeout=client_timeout, templates=templates_dir, keep_days=keep_days)


@click.group()
def tokens() -> None:
    """API tokens: each for one authority, stored only as a hash."""


@tokens.command("create")
@click.option("--name", required=True, help="What logs and the register call the caller (e.g. mosaic-live).")
@click.option("--authority", required=True, help="The authority whose cases and templates it reaches.")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(SCOPES),
              help="What it may do; repeat for several (default: all).")
@data_option
@templates_option
@reports_errors
def tokens_create(name, authority, scopes, data_dir, templates_dir):
    """Make a token and print it alone on standard output, once: it is not stored.

    \b
    Example:
        docgen tokens create --name mosaic-live --authority worcestershire > token.txt
    """
    known = Registry(templates_dir).authorities()
    if authority not in known:
        raise InputError(f"Unknown authority '{authority}'. Known: {', '.join(known)}.")
    store = AccessStore(DataFolder(data_dir).prepare().access)
    try:
        click.echo(store.create(name, authority, tuple(scopes) or SCOPES))
    finally:
        store.close()


@tokens.command("list")
@data_option
@json_option
@reports_errors
def tokens_list(data_dir, as_json):
    """List tokens by name, authority, scopes and whether revoked (never the tokens).

    \b
    Example:
        docgen tokens list --json
    """
    store = AccessStore(DataFolder(data_dir).prepare().access)
    try:
        rows = [t.to_dict() for t in store.tokens()]
    finally:
        store.close()
    _print_rows(rows, as_json, lambda row: (
        f"{row['name']:<24} {row['authority']:<24} {' '.join(row['scopes']):<40} "
        + (f"revoked {row['revoked']}" if row["revoked"] else "live")))  # fmt: skip


@tokens.command("revoke")
@click.argument("name")
@data_option
@reports_errors
def tokens_revoke(name, data_dir):
    """Revoke a token by name; it stops working at once.

    \b
    Example:
        docgen tokens revoke mosaic-live
    """
    store = AccessStore(DataFolder(data_dir).prepare().access)
    try:
        store.revoke(name)
    finally:
        store.close()
    click.echo(f"Revoked {name}.")


# -- users of the web workspace ---------------------------------------------------------------------
def _password(password_file) -> str:
    """From the file's first line, else asked for twice without echo (never an argument: it
    would be in the shell's history and the process list)."""
    if password_file:
        try:
            text = Path(password_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"The password file cannot be read ({e}).", source=str(password_file)) from e
        return text.splitlines()[0] if text else ""
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _user_store(data_dir) -> UserStore:
    return UserStore(DataFolder(data_dir).prepare().access)


password_file_option = click.option(
    "--password-file", type=click.Path(dir_okay=False), help="Read the password from this file's first line (else asked for)."
)


@click.group()
def users() -> None:
    """People who sign in to the web workspace: a role and an authority each."""


@users.command("create")
@click.option("--name", required=True, help="The sign-in name (what the register records as the actor).")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What they may do.")
@click.option("--authority", required=True, help="The authority whose cases and templates they reach.")
@password_file_option
@data_option
@templates_option
@reports_errors
def users_create(name, role, authority, password_file, data_dir, templates_dir):
    """Add a user; the password is asked for, or read from --password-file.

    The first one is the authority's administrator.

    \b
    Example:
        docgen users create --name ada.admin --role administrator --authority worcestershire
    """
    known = Registry(templates_dir).authorities()
    if authority not in known:
        raise InputError(f"Unknown authority '{authority}'. Known: {', '.join(known)}.")
    store = _user_store(data_dir)
    try:
        user = store.create(name, role, authority, _password(password_file))
    finally:
        store.close()
    click.echo(f"Created {user.name} ({user.role}, {user.authority}).")


@users.command("list")
@data_option
@json_option
@reports_errors
def users_list(data_dir, as_json):
    """List users by name, role, authority and whether disabled (never a password).

    \b
    Example:
        docgen users list --json
    """
    store = _user_store(data_dir)
    try:
        rows = [u.to_dict() for u in store.users()]
    finally:
        store.close()
    _print_rows(rows, as_json, lambda row: (
        f"{row['name']:<24} {row['role']:<14} {row['authority']:<24} "
        + (f"disabled {row['disabled']}" if row["disabled"] else "active")))  # fmt: skip


@users.command("disable")
@click.argument("name")
@data_option
@reports_errors
def users_disable(name, data_dir):
    """Disable a user; their sessions end at once.

    \b
    Example:
        docgen users disable ada.admin
    """
    store = _user_store(data_dir)
    try:
        store.disable(name)
    finally:
        store.close()
    click.echo(f"Disabled {name}.")


@users.command("reset-password")
@click.argument("name")
@password_file_option
@data_option
@reports_errors
def users_reset_password(name, password_file, data_dir):
    """Give a user a new password; unlocks the account and ends their sessions.

    \b
    Example:
        docgen users reset-password ada.admin --password-file new.txt
    """
    store = _user_store(data_dir)
    try:
        store.reset_password(name, _password(password_file))
    finally:
        store.close()
    click.echo(f"New password set for {name}.")


def _print_rows(rows: list[dict], as_json: bool, line) -> None:
    """The rows as JSON, or one line each as ``line`` writes it."""
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(line(row))
