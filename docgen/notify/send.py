"""Send letter PDFs through GOV.UK Notify, each once, with a record of every send.

For each letter: settle any send of it a killed run left unfinished (by asking Notify for its
reference), skip it if Notify already has it (unless resending, with a reason), check it
against Notify's rules, record the send as ``sending``, send it, and record Notify's answer.
The reference Notify gets is the file stem: case reference, document and recipient id, never a
name. One letter's failure never stops the others; only a refused API key stops a run.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from docgen.exceptions import DocgenError, NotifyError, NotifyKeyRefused
from docgen.notify.gateway import NotifyGateway
from docgen.pdfout import check_letter
from docgen.pdfout.letters import LETTER_NAME, named_parts
from docgen.register import Register, Send

POSTAGE = ("first", "second", "economy")
# Statuses after which Notify's answer does not change (letters and emails).
FINAL = ("received", "delivered", "cancelled", "validation-failed", "virus-scan-failed",
         "technical-failure", "permanent-failure", "temporary-failure", "returned-letter")  # fmt: skip
NOT_SENT = ("rejected", "failed")  # docgen's own: Notify did not take it
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendOptions:
    postage: str | None = None  # Notify's default, second class, when None
    resend_reason: str | None = None  # send again letters Notify already has, saying why
    # A letter's (email address, Notify email template id with ((link_to_file))), or None to
    # post it: see docgen.notify.email_route.
    email_route: Callable[[Path], tuple[str, str] | None] | None = None


@dataclass(frozen=True)
class SendOutcome:
    """What happened to one file: sent, skipped, not-sent (failed the check or unreadable),
    rejected (Notify said 400) or failed (Notify unreachable or failing)."""

    path: Path
    outcome: str
    message: str
    notification_id: str | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.outcome}: {self.message}"

    def to_dict(self) -> dict:
        return {"file": str(self.path), "outcome": self.outcome, "message": self.message,
                "notification_id": self.notification_id}  # fmt: skip


def send_letters(paths: list[Path], register: Register, gateway: NotifyGateway,
                 options: SendOptions = SendOptions()) -> Iterator[SendOutcome]:  # fmt: skip
    """Send each letter in ``paths``, yielding what happened to it as it happens.

    Raises NotifyKeyRefused (exit 8) when Notify refuses the API key; letters already sent
    stay recorded.
    """
    for path in paths:
        yield _send_one(Path(path), register, gateway, options)


def _send_one(path: Path, register: Register, gateway: NotifyGateway, options: SendOptions) -> SendOutcome:
    if not LETTER_NAME.match(path.stem):
        return SendOutcome(path, "not-sent", "the file is not named as docgen names letters "
                           "(CASEREF_DOCUMENT_RECIPIENT); its name is the reference Notify keeps, "
                           "so it must hold no one's name")  # fmt: skip
    try:
        pdf = path.read_bytes()
    except OSError as e:
        return SendOutcome(path, "not-sent", f"the file cannot be read ({e.strerror})")
    sha256 = hashlib.sha256(pdf).hexdigest()
    reference = path.stem
    try:
        _settle_interrupted(register, gateway, sha256, reference)
    except NotifyKeyRefused:
        raise
    except NotifyError as e:  # sending now might make a second letter: wait for the next run
        return SendOutcome(path, "failed", f"an earlier send was not settled, as Notify could not "
                           f"be asked about it ({e.message}); run again later")  # fmt: skip
    accepted = [s for s in register.sends_of(sha256) if s.notification_id]
    if accepted and not options.resend_reason:
        last = accepted[-1]
        return SendOutcome(path, "skipped", f"already sent on {last.sent_at} (Notify id "
                           f"{last.notification_id}, {last.status}); --resend --reason to send it again",
                           last.notification_id)  # fmt: skip
    email = options.email_route(path) if options.email_route else None
    if email is None:
        try:
            problems = check_letter(path)
        except DocgenError as e:
            return SendOutcome(path, "not-sent", e.message)
        if problems:
            more = f" (and {len(problems) - 1} more; docgen check-letter lists them)" if len(problems) > 1 else ""
            return SendOutcome(path, "not-sent", f"fails Notify's rules: {problems[0]}{more}")
    issue = register.issue_of(sha256)
    case, document, recipient = (
        (issue.case_reference, issue.document, issue.recipient) if issue else named_parts(path)
    )
    send_id = register.start_send(
        output_sha256=sha256, case_reference=case, document=document, recipient=recipient,
        reference=reference, route="email" if email else "letter",
        postage=None if email else (options.postage or "second"),
        resend_reason=options.resend_reason if accepted else None,
    )  # fmt: skip
    known = frozenset(s.notification_id for s in register.sends_with_reference(reference)
                      if s.notification_id)  # fmt: skip
    try:
        if email:
            answer = gateway.send_file_by_email(pdf, path.name, *email, reference, known)
        else:
            answer = gateway.send_letter(pdf, reference, options.postage, known)
    except NotifyKeyRefused as e:
        register.settle_send(send_id, status="failed", detail=e.message)
        raise
    except NotifyError as e:
        status = "failed" if e.retryable else "rejected"
        register.settle_send(send_id, status=status, detail=e.message)
        return SendOutcome(path, status, e.message)
    register.settle_send(send_id, status="accepted", notification_id=answer["id"])
    log.info("%s: sent through Notify as %s", reference, answer["id"])
    how = "a link by email" if email else f"{answer.get('postage') or options.postage or 'second'} class"
    return SendOutcome(path, "sent", f"Notify id {answer['id']}, {how}", answer["id"])


def _settle_interrupted(register: Register, gateway: NotifyGateway, sha256: str, reference: str) -> None:
    """A send left ``sending`` (the run was killed between asking Notify and recording its
    answer) or ``failed`` without an answer (timeouts) may have reached Notify all the same.
    If Notify has a letter with this reference that the register does not know, that is it;
    otherwise it never arrived, and may be sent now."""
    unsettled = [s for s in register.sends_of(sha256)
                 if s.status in ("sending", "failed") and not s.notification_id]  # fmt: skip
    if not unsettled:
        return
    known = {s.notification_id for s in register.sends_with_reference(reference) if s.notification_id}
    found = []
    for route in sorted({s.route for s in unsettled}):
        found += [n for n in gateway.with_reference(reference, route) if n["id"] not in known]
    for send in unsettled:
        if found:
            arrived = found.pop()  # oldest first: Notify lists newest first
            register.settle_send(send.id, status=arrived.get("status", "accepted"),
                                 notification_id=arrived["id"])  # fmt: skip
        elif send.status == "sending":
            register.settle_send(send.id, status="failed", detail="interrupted before Notify took it")


def update_statuses(register: Register, gateway: NotifyGateway) -> Iterator[tuple[Send, str]]:
    """Ask Notify for every send not yet final and record its status; yields (send, status)."""
    for send in register.sends_not_in(FINAL + NOT_SENT):
        try:
            status = gateway.notification(send.notification_id)["status"]
        except NotifyKeyRefused:
            raise
        except NotifyError as e:
            yield send, f"unknown ({e.message})"
            continue
        if status != send.status:
            register.settle_send(send.id, status=status, notification_id=send.notification_id)
        yield send, status


def letters_in_manifest(manifest_json: Path) -> list[Path]:
    """The PDF letters (documents with a recipient) a batch run issued or found issued."""
    rows = json.loads(Path(manifest_json).read_text(encoding="utf-8"))
    return [Path(r["output_path"]) for r in rows if r.get("format") == "pdf" and r.get("recipient")]
