"""Managers' sign-off: documents an authority's profile lists in ``approval_required`` wait
for a manager, who approves or returns each with a comment; only approved ones can be
downloaded, packed for printing or sent through Notify, from the web workspace or the API
(:func:`released`). A decision is about the very file (its SHA-256) and is recorded in the
register, so a document made again waits again; a returned one stays held.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from docgen.exceptions import InputError
from docgen.register import Decision, Register, now
from docgen.serve.jobs import Jobs, file_parts

APPROVED, RETURNED, WAITING = "approved", "returned", "waiting"
NOT_NEEDED = "not-needed"  # the file's document needs no sign-off


@dataclass(frozen=True)
class SignOff:
    """One file of a batch that needs a manager's decision, and where it stands."""

    job: dict
    number: int  # its place in the batch's files, as the batch page numbers them
    path: Path
    case_reference: str
    document: str
    recipient: str
    sha256: str
    decision: Decision | None

    @property
    def state(self) -> str:
        return self.decision.decision if self.decision else WAITING


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sign_offs(jobs: Jobs, job: dict, required: list[str], register: Path) -> dict[int, SignOff]:
    """The batch's files that need sign-off, by their number in the batch."""
    found = {}
    with Register(register) as book:
        for number, path in enumerate(jobs.files(job), 1):
            case, document, recipient = file_parts(path.stem)
            if document in required:
                digest = file_sha256(path)
                found[number] = SignOff(job, number, path, case, document, recipient, digest, book.decision(digest))
    return found


def released(files: list[Path], items: dict[int, SignOff]) -> list[Path]:
    """The files that may go out for posting: those needing no sign-off, and those approved."""
    held = {s.path for s in items.values() if s.state != APPROVED}
    return [path for path in files if path not in held]


def states(items: dict[int, SignOff]) -> dict[str, str]:
    """Each file needing sign-off, by name: waiting, approved or returned."""
    return {s.path.name: s.state for s in items.values()}


def queue(jobs: Jobs, authority: str, required: list[str], register: Path) -> list[SignOff]:
    """Every file of the authority's batches still waiting for a manager, oldest batch first."""
    waiting = []
    for job in reversed(jobs.for_authority(authority)):
        waiting.extend(s for s in sign_offs(jobs, job, required, register).values() if s.state == WAITING)
    return waiting


def decide(item: SignOff, decision: str, comment: str, actor: str, register: Path) -> Decision:
    """Record a manager's decision; returning a document needs a comment saying why."""
    if decision not in (APPROVED, RETURNED):
        raise InputError("Choose whether to approve the document or return it.")
    if decision == RETURNED and not comment.strip():
        raise InputError("Say why the document is returned.")
    if file_sha256(item.path) != item.sha256:
        raise InputError("The document changed while you were reading it; open it again.")
    made = Decision(item.sha256, item.case_reference, item.document, item.recipient, decision,
                    comment.strip(), actor, now())  # fmt: skip
    with Register(register) as book:
        book.record_decision(made)
    return made
