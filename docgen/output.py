"""Writing documents: atomically, inside the output folder, never two to one name.

A document is written to a hidden temporary file in the same folder and renamed into place, so
a reader (or a batch killed half way) never sees a partial file.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from docgen.atomic import os_reason, private_folder, refuse_link, write_atomic
from docgen.exceptions import DocgenError, OutputError


_UNSAFE = re.compile(r"[\x00-\x1f\x7f\\]")  # control characters, and Windows' separator


def prepare_folder(out_dir: Path) -> Path:
    """The output folder, made (0700, with any missing parents) when it does not exist."""
    private_folder(out_dir)
    if not os.access(out_dir, os.W_OK):
        raise OutputError("The output folder is read-only.", source=str(out_dir))
    return out_dir


def target_in(out_dir: Path, filename: str) -> Path:
    """``out_dir/filename``, refusing a name that would land outside the folder, and a link
    planted under that name (it would be followed to another file)."""
    if not filename or filename != Path(filename).name or filename.startswith(".") or _UNSAFE.search(filename):
        raise OutputError(f"The file name {filename!r} would escape the output folder.", source=str(out_dir))
    return refuse_link(Path(out_dir).resolve() / filename)


FORMATS = ("docx", "pdf", "both")


def write_documents(results, out_dir: Path, *, fmt: str = "docx", converter=None, password=None) -> None:
    """Write each rendered document as DOCX and/or PDF into ``out_dir``.

    ``results`` are :class:`docgen.pipeline.Rendered`; each gets ``outputs`` filled in, or its
    ``error`` set when its own file could not be made. PDFs are converted in one call to the
    warm ``converter`` and finished (metadata, optional AES-256 password) before they are moved
    into place, so a PDF in the folder is always complete.
    """
    out_dir = prepare_folder(Path(out_dir))
    pending = one_per_name(results, str(out_dir))
    if fmt in ("docx", "both"):
        for result in pending:
            _write_one(result, "docx", out_dir, result.docx)
    if fmt in ("pdf", "both"):
        _write_pdfs([r for r in pending if r.ok], out_dir, converter, password, keep_docx=fmt == "both")


def one_per_name(results, where: str) -> list:
    """The results that rendered, each failed but the first where two would have one file name
    (the same document asked for twice)."""
    taken: set[str] = set()
    for result in results:
        if not result.ok:
            continue
        if result.stem in taken:
            result.error = OutputError(f"Two documents would both be named {result.stem}.", source=where)
        taken.add(result.stem)
    return [r for r in results if r.ok]


def write_with_converter(results, out_dir: Path, *, fmt: str = "docx", pdfa: bool = False, password=None) -> None:
    """:func:`write_documents`, converting PDFs through the warm converter service (started when
    none runs; see :mod:`docgen.convert.service`), or a LibreOffice of its own with
    $DOCGEN_PDF_IDLE=0."""
    if fmt == "docx":
        write_documents(results, out_dir)
        return
    from docgen.convert.warm import open_converter  # only PDF output needs LibreOffice

    with open_converter(pdfa=pdfa) as converter:
        write_documents(results, out_dir, fmt=fmt, converter=converter, password=password)


@dataclass(frozen=True)
class Written:
    """One file written, or one document that failed: what ``render --json`` prints."""

    case_reference: str
    document: str
    recipient: str | None  # the recipient's kind and id (family-mum), never a name
    template_version: str
    format: str | None = None
    path: Path | None = None
    sha256: str | None = None
    error: DocgenError | None = None
    replaced: bool = False  # a file was already there under this name, and this one replaced it

    def to_dict(self) -> dict:
        row = {
            "case_reference": self.case_reference,
            "document": self.document,
            "recipient": self.recipient,
            "template_version": self.template_version,
        }
        if self.error is not None:
            return dict(row, error=self.error.to_dict())
        return dict(row, format=self.format, path=str(self.path), sha256=self.sha256, replaced=self.replaced)


def written(results) -> list[Written]:
    """Each file the results were written to (with its SHA-256), and each result that failed."""
    rows = []
    for r in results:
        common = dict(
            case_reference=r.case_reference,
            document=r.doc_id,
            recipient=r.recipient.slug if r.recipient else None,
            template_version=r.template.version,
        )
        if not r.ok:
            rows.append(Written(**common, error=r.error))
            continue
        for fmt, path in r.outputs.items():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            rows.append(Written(**common, format=fmt, path=path, sha256=digest, replaced=path in r.replaced))
    return rows


def _write_one(result, fmt: str, out_dir: Path, content: bytes) -> None:
    try:
        target = target_in(out_dir, f"{result.stem}.{fmt}")
        _note_replacing(result, target)
        result.outputs[fmt] = write_atomic(target, content)
    except OutputError as e:
        e.case_ref = result.case_reference
        result.error = e


def _write_pdfs(results, out_dir: Path, converter, password, *, keep_docx: bool) -> None:
    if not results:
        return
    try:
        work = Path(tempfile.mkdtemp(prefix=".docgen-pdf-", dir=out_dir))
    except OSError as e:
        for result in results:
            result.error = OutputError(f"The PDF could not be prepared ({os_reason(e)}).", source=str(out_dir),
                                       case_ref=result.case_reference)
        return
    try:
        jobs, converting = [], []
        for result in results:
            source = result.outputs.get("docx") if keep_docx else None
            if source is None:
                source = work / f"{result.stem}.docx"
                try:
                    source.write_bytes(result.docx)
                except OSError as e:  # a full disk fails this document, not the run
                    result.error = OutputError(f"The PDF could not be prepared ({os_reason(e)}).",
                                               source=str(out_dir / f"{result.stem}.pdf"), case_ref=result.case_reference)
                    continue
            jobs.append((source, work / f"{result.stem}.pdf"))
            converting.append(result)
        for result, outcome in zip(converting, converter.convert_many(jobs) if jobs else []):
            try:
                outcome.raise_for_error()
                if password:  # LibreOffice wrote the metadata; only encryption is left to do
                    from docgen.pdfout import finish_pdf  # here: pypdf is needed for encryption only

                    finish_pdf(
                        outcome.target,
                        title=result.template.title,
                        author=result.author,
                        subject=f"{result.doc_id} {result.case_reference}",
                        password=password,
                    )
                target = target_in(out_dir, f"{result.stem}.pdf")
                _note_replacing(result, target)
                try:
                    os.replace(outcome.target, target)
                except OSError as e:
                    raise OutputError(f"The file could not be written ({os_reason(e)}).", source=str(target)) from e
                result.outputs["pdf"] = target
            except DocgenError as e:
                e.case_ref = result.case_reference
                result.error = e
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _note_replacing(result, target: Path) -> None:
    """Remember that writing ``target`` replaces a file already there (another run's, a form,
    someone's edit), so the caller can say so rather than replace it silently."""
    if target.exists():
        result.replaced.append(target)
