"""Posting a batch's letters from the web workspace: the print pack, and GOV.UK Notify.

Only the letters :func:`docgen.serve.signoff.released` lets go reach here. The pack is
``docgen pack``'s (recipient order, contents page, duplex); sending is ``docgen send``'s
(:func:`docgen.notify.send_letters`: each letter checked against Notify's rules, recorded in the
server's register once, skipped when Notify has it unless re-sent with a reason). The API key
is the server's: the file ``notify-api-key`` in the data folder, else ``$NOTIFY_API_KEY``;
never a form field, a page or a URL.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from docgen.atomic import held_lock
from docgen.exceptions import InputError
from docgen.notify import NotifyGateway, SendOptions, SendOutcome, read_api_key, send_letters
from docgen.notify.email_route import EmailRoute
from docgen.notify.gateway import API_KEY_ENV
from docgen.pdfout import make_pack
from docgen.pdfout.letters import is_letter
from docgen.pdfout.pack import in_recipient_order
from docgen.register import Register
from docgen.serve.data import DataFolder

KEY_FILE = "notify-api-key"
LOCK_FILE = "notify.lock"


def letters(paths: list[Path]) -> list[Path]:
    """The PDF letters among ``paths`` (documents with a recipient), each person's together."""
    return in_recipient_order([p for p in paths if p.suffix == ".pdf" and is_letter(p)])


def print_pack(paths: list[Path], scratch: Path) -> bytes:
    """The letters merged into one print-ready PDF, as ``docgen pack`` makes it."""
    with tempfile.TemporaryDirectory(dir=scratch, prefix="pack-") as work:
        pack = make_pack([(path.stem, path) for path in paths], Path(work) / "pack.pdf", duplex=True)
        return pack.path.read_bytes()


def check_key_file(root: Path) -> None:
    """InputError when the data folder's key file can be read or written by anyone but its owner
    (0600 expected): whoever reads it can send letters as the service. ``docgen serve`` refuses
    to start, and no letter is sent, until it is made private."""
    key_file = root / KEY_FILE
    try:
        mode = key_file.stat(follow_symlinks=False).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise InputError(f"The data folder's {KEY_FILE} must be a plain file, not a link.", source=str(key_file))
    if mode & 0o077:
        raise InputError(
            f"The data folder's {KEY_FILE} can be read by others (mode {stat.S_IMODE(mode):04o}): "
            f"make it the server user's alone with: chmod 600 {key_file}",
            source=str(key_file),
        )


def gateway(data: DataFolder) -> NotifyGateway:
    """The server's Notify gateway; InputError saying how to set the key up when there is none,
    or to make it private (:func:`check_key_file`)."""
    key_file = data.root / KEY_FILE
    check_key_file(data.root)
    if not key_file.exists() and not os.environ.get(API_KEY_ENV, "").strip():
        raise InputError(
            "GOV.UK Notify is not set up on this server: an administrator puts the service's API key "
            f"in the data folder's {KEY_FILE} file, or in ${API_KEY_ENV} for docgen serve."
        )
    return NotifyGateway(read_api_key(key_file if key_file.exists() else None))


def send(paths: list[Path], data: DataFolder, notify: NotifyGateway, *, postage: str | None,
         resend_reason: str | None, email_route: EmailRoute) -> list[SendOutcome]:  # fmt: skip
    """Send each letter as ``docgen batch --send`` does, into the data folder's register; what
    happened to each."""
    options = SendOptions(postage=postage, resend_reason=resend_reason, email_route=email_route)
    # One send at a time across the server's processes. A second click, or a colleague sending
    # the same batch, waits, then finds the letters sent and skips them; without this it would
    # take a send still under way for one a killed run left, and post the letter again.
    with held_lock(data.root / LOCK_FILE), Register(data.register) as book:
        return list(send_letters(paths, book, notify, options))
