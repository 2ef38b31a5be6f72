"""A new version of a Word template, checked as ``docgen templates check`` checks one, before it
replaces the current version: in a copy of the registry, so the samples fill it as they would
fill the real one, and nothing served changes until a policy owner publishes it (written into
the authority's folder of the templates, version raised, ``versions.lock.json`` updated, that
document's text snapshots recorded, and a row in the register's ``publications``)."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from docgen.atomic import held_lock, write_atomic
from docgen.authoring.annotate import annotate
from docgen.authoring.check import check_template
from docgen.authoring.lock import update_lock
from docgen.authoring.samples import document_text, has_required, issue_date, read_sample, sample_files
from docgen.authoring.snapshot import snapshot_folder, unified_diff, update_document
from docgen.exceptions import DocgenError, InputError
from docgen.pipeline import Pipeline
from docgen.register import Publication, Register, now
from docgen.registry import Registry
from docgen.serve.candidate_pages import SIDES, filled_path


@dataclass(frozen=True)
class CandidateCheck:
    problems: list  # docgen.authoring.problems.TemplateProblem, errors and warnings
    annotated: bytes  # the template with a Word comment at each problem; b"" when it cannot be
    previews: list = field(default_factory=list)  # per sample and recipient: the text difference
    filled: list = field(default_factory=list)  # beside each preview: (current's DOCX, candidate's), b"" if unfilled
    current_version: str = ""  # the version the candidate was checked against

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")

    def rows(self) -> list[dict]:
        """Each problem as the API and the pages show it: where it is, what, and the fix."""
        return [{"severity": p.severity, "where": ", ".join(x for x in (p.location, p.text) if x) or "the whole template",
                 "message": p.message, "fix": p.fix} for p in self.problems]  # fmt: skip


def check_candidate(registry: Registry, doc_id: str, authority: str, docx: bytes, scratch: Path) -> CandidateCheck:
    """Check ``docx`` in place of ``authority``'s template for ``doc_id``."""
    current = registry.resolve(doc_id, authority)
    with tempfile.TemporaryDirectory(dir=scratch) as work:
        root = Path(work) / "templates"
        shutil.copytree(registry.root, root, ignore=shutil.ignore_patterns("*.docx"))
        folder = root / authority
        folder.mkdir(exist_ok=True)
        uploaded = folder / f"{doc_id}.docx"
        uploaded.write_bytes(docx)
        shutil.copyfile(current.path.with_suffix(".toml"), uploaded.with_suffix(".toml"))
        for other in registry.template_files():  # the rest of the registry, for rendering samples
            target = root / other.relative_to(registry.root)
            if not target.exists():
                shutil.copyfile(other, target)
        problems = check_template(uploaded)
        previews, filled = sample_differences(registry, Registry(root), doc_id, authority)
        annotated = Path(work) / "annotated.docx"
        try:
            annotate(uploaded, problems, annotated)
            annotated_docx = annotated.read_bytes()
        except DocgenError:
            annotated_docx = b""
    return CandidateCheck(problems, annotated_docx, previews, filled, current.version)


def sample_differences(current: Registry, candidate: Registry, doc_id: str, authority: str) -> tuple[list, list]:
    """The document filled from each of the authority's fictional samples, for each recipient,
    by the current template and by the candidate: the difference in their text (never case
    data), and beside each the two filled DOCX files (``b""`` for one that could not be filled)."""
    found, filled = [], []
    for sample in sample_files(current.root):
        bundle = read_sample(sample)
        if bundle.authority != authority or not has_required(bundle, current.resolve(doc_id, authority).requires):
            continue
        made = [_filled(registry, bundle, doc_id) for registry in (current, candidate)]
        for name in sorted(set(made[0]) | set(made[1])):
            (before, old), (after, new) = (m.get(name, ("", b"")) for m in made)
            found.append({"number": len(found) + 1, "name": f"{bundle.reference}/{name}", "changed": before != after,
                          "diff": _changes(before, after, name)})  # fmt: skip
            filled.append((old, new))
    return found, filled


def _changes(before: str, after: str, name: str) -> str:
    """The unified diff without its two file-name lines (they would say "snapshot")."""
    return "".join(unified_diff(before, after, name).splitlines(keepends=True)[2:]) if before != after else ""


def _filled(registry: Registry, bundle, doc_id: str) -> dict[str, tuple[str, bytes]]:
    """``{doc_id[_recipient]: (text, docx)}``; a document that cannot be filled reads as its
    error, with no DOCX."""
    made = {}
    for result in Pipeline(registry, today=issue_date(bundle)).render(bundle, [doc_id]):
        name = doc_id + (f"_{result.recipient.slug}" if result.recipient else "")
        made[name] = (document_text(result.docx), result.docx) if result.ok else (f"(could not be filled: {result.error.message})", b"")
    return made


class Candidates:
    """Checked candidates kept for their policy owner: ``candidates/<id>/`` with the upload,
    its annotated copy, ``check.json`` (authority, document, who, when, the report) and
    ``pages/`` (each sample's documents filled by the current version and by the candidate)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def keep(self, *, authority: str, doc_id: str, actor: str, docx: bytes, checked: CandidateCheck) -> str:
        candidate_id = secrets.token_hex(8)
        folder = self.root / candidate_id
        folder.mkdir(mode=0o700, parents=True)
        (folder / "pages").mkdir(mode=0o700)
        write_atomic(folder / "candidate.docx", docx)
        if checked.annotated:
            write_atomic(folder / "annotated.docx", checked.annotated)
        for preview, pair in zip(checked.previews, checked.filled):
            for side, docx in zip(SIDES, pair):
                if docx:
                    write_atomic(filled_path(folder, preview["number"], side), docx)
        record = {"id": candidate_id, "authority": authority, "document": doc_id, "actor": actor, "checked": now(),
                  "errors": checked.errors, "problems": checked.rows(), "previews": checked.previews,
                  "current_version": checked.current_version}  # fmt: skip
        write_atomic(folder / "check.json", json.dumps(record, indent=1).encode())
        return candidate_id

    def get(self, candidate_id: str, authority: str) -> dict | None:
        """The check record, or None alike when unknown or another authority's."""
        if len(candidate_id) != 16 or set(candidate_id) - set("0123456789abcdef"):
            return None
        try:
            record = json.loads((self.root / candidate_id / "check.json").read_text())
        except (OSError, ValueError):
            return None
        return record if record.get("authority") == authority else None

    def annotated(self, record: dict) -> Path | None:
        path = self.root / record["id"] / "annotated.docx"
        return path if path.is_file() else None

    def publish(self, record: dict, registry: Registry, actor: str, register: Path) -> str:
        """Make a checked candidate without errors the authority's template, with its version
        raised and locked, and its text snapshots recorded (:func:`snapshot_folder`); who
        published which version when, from which, goes into its record and the register."""
        if record["errors"]:
            raise InputError("A template with errors cannot be published; correct them and check it again.")
        # Two policy owners publishing at once (the same check twice, or two checks of one
        # document) would both raise the same version, the second silently replacing the first.
        # One at a time per authority, and each publishes only over the version it was checked
        # against; the check record is read again once the lock is held.
        with held_lock(self.root / f".publish-{record['authority']}.lock"):
            record.update(json.loads((self.root / record["id"] / "check.json").read_text()))
            return self._publish(record, Registry(registry.root), actor, register)

    def _publish(self, record: dict, registry: Registry, actor: str, register: Path) -> str:
        if record.get("published"):
            raise InputError("This version has been published already.")
        current = registry.resolve(record["document"], record["authority"])
        checked_against = record.get("current_version")
        if checked_against and current.version != checked_against:
            raise InputError(
                f"Version {current.version} was published after this one was checked against version "
                f"{checked_against}; check this version again against it."
            )
        version = raise_version(current.version)
        folder = registry.root / record["authority"]
        target = folder / f"{record['document']}.docx"
        meta = current.meta_path.read_text("utf-8")
        bumped = re.sub(r'(?m)^version\s*=\s*"[^"]*"', f'version = "{version}"', meta, count=1)
        docx = (self.root / record["id"] / "candidate.docx").read_bytes()
        write_atomic(target, docx)
        write_atomic(target.with_suffix(".toml"), bumped.encode("utf-8"))
        update_lock(registry.root)
        update_document(Registry(registry.root), record["document"], record["authority"], snapshot_folder(registry.root))
        published = Publication(record["authority"], record["document"], version, current.version,
                                hashlib.sha256(docx).hexdigest(), actor, now())  # fmt: skip
        with Register(register) as kept:
            kept.record_publication(published)
        record["published"] = {"version": version, "by": actor, "at": published.published_at}
        write_atomic(self.root / record["id"] / "check.json", json.dumps(record, indent=1).encode())
        return version


def raise_version(version: str) -> str:
    """``1.1`` -> ``1.2``: the last number raised."""
    head, _, last = version.rpartition(".")
    if not last.isdigit():
        raise InputError(f"The template's version {version!r} does not end in a number; raise it by hand.")
    return f"{head}.{int(last) + 1}" if head else str(int(last) + 1)
