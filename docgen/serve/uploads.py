"""Files people upload in the web workspace, checked for what they claim to be before anything is kept.

Bundles come as ``.json`` files or zips of them (the API's :func:`docgen.serve.jobs.from_zip`
rules: no bombs, links or paths out of the folder). Each bundle is validated at once, so its
errors and warnings can be shown beside the fields they concern before the batch runs. Word
templates must be real ``.docx`` packages: not macro-enabled, no external entities or DTDs.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from docgen.bundle.load import MAX_BUNDLE_BYTES, parse
from docgen.exceptions import BundleInvalid
from docgen.problems import Problem
from docgen.registry import Registry
from docgen.serve.jobs import Upload, check_authority, from_zip
from docgen.serve.problems import HttpProblem
from docgen.validate import validate

ZIP_MAGIC = b"PK\x03\x04"


class UploadRefused(Exception):
    """Raised when an uploaded file is not what it claims to be; ``message`` names the file by
    its position, never its contents."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class BundleCheck:
    """One uploaded bundle's validation, as the batch page shows it."""

    number: int
    file: str  # the server's name, bundle-0001.json
    case_reference: str | None
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def to_dict(self) -> dict:
        return {"number": self.number, "file": self.file, "case_reference": self.case_reference,
                "problems": [p.to_dict() for p in self.problems]}  # fmt: skip


def bundles_from_files(files: list[tuple[str, bytes]], authority: str) -> Upload:
    """``(name as uploaded, bytes)`` of .json bundles and zips of them, as one upload of
    ``authority``'s bundles."""
    bundles: list[bytes] = []
    for n, (name, data) in enumerate(files, 1):
        lower = name.lower()
        try:
            if lower.endswith(".zip") and data.startswith(ZIP_MAGIC):
                bundles.extend(body for _, body in from_zip(data).bundles)
            elif lower.endswith(".json") and not data.startswith(ZIP_MAGIC):
                if len(data) > MAX_BUNDLE_BYTES:
                    raise UploadRefused(f"File {n} is over the 5 MiB limit for one bundle.")
                if not _is_text(data):
                    raise UploadRefused(f"File {n} is not a JSON case bundle: it is not UTF-8 text.")
                bundles.append(data)
            else:
                raise UploadRefused(f"File {n} is not a .json case bundle or a .zip of them.")
        except HttpProblem as e:
            raise UploadRefused(f"File {n}: {e.detail}") from None
    if not bundles:
        raise UploadRefused("Choose at least one .json case bundle or .zip of them.")
    upload = Upload([(f"bundle-{n:04d}.json", data) for n, data in enumerate(bundles, 1)])
    try:
        check_authority(upload, authority)
    except HttpProblem as e:
        raise UploadRefused(e.detail.replace("this token's", "yours")) from None
    return upload


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return "\x00" not in text


def check_bundles(upload: Upload, registry: Registry) -> list[BundleCheck]:
    """Every uploaded bundle's errors and warnings, each with its JSON path."""
    checks = []
    for n, (name, data) in enumerate(upload.bundles, 1):
        try:
            raw = parse(data.decode("utf-8-sig"), name)
        except UnicodeDecodeError:
            checks.append(BundleCheck(n, name, None, [Problem("", "The file is not UTF-8 text.")]))
            continue
        except BundleInvalid as e:
            checks.append(BundleCheck(n, name, None, e.problems or [Problem("", e.message)]))
            continue
        report = validate(raw, registry)
        checks.append(BundleCheck(n, name, report.case_reference, report.problems))
    return checks


def checks_from_dicts(rows: list[dict]) -> list[BundleCheck]:
    return [BundleCheck(r["number"], r["file"], r["case_reference"], [Problem(**p) for p in r["problems"]])
            for r in rows]  # fmt: skip


def check_docx(data: bytes) -> None:
    """Refuse anything but a plain Word document: a .docm or macros, a renamed program, a zip
    bomb, an external entity or DTD in any of its XML parts."""
    if not data.startswith(ZIP_MAGIC):
        raise UploadRefused("The file is not a Word document (.docx).")
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        members = package.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise UploadRefused("The file is not a readable Word document (.docx).") from None
    if sum(m.file_size for m in members) > 50 * 1024 * 1024 or len(members) > 2000:
        raise UploadRefused("The Word document would unpack to more than 50 MiB.")
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or "word/document.xml" not in names:
        raise UploadRefused("The file is not a Word document (.docx).")
    types = package.read("[Content_Types].xml")
    if any(n.lower().endswith("vbaproject.bin") for n in names) or b"macroEnabled" in types:
        raise UploadRefused("The Word document has macros (.docm); save it as a plain .docx.")
    for member in members:
        if member.filename.endswith((".xml", ".rels")):
            with package.open(member) as part:
                head = part.read(64 * 1024)
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise UploadRefused("The Word document declares a DTD or external entity; it is refused.")
