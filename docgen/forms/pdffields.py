"""Reading a PDF's form fields: opening it safely, and what kind each field is.

Used both for the committed blank forms (what a form should have) and for the filled forms
families send back (what they have). Every failure is a PdfInputError naming the file.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PyPdfError

from docgen.exceptions import InputError, PdfInputError

# Hidden, read-only fields every docgen form carries, so a returned PDF says what it is.
FORM_ID_FIELD = "docgen_form"
FORM_VERSION_FIELD = "docgen_form_version"
HIDDEN_FIELDS = (FORM_ID_FIELD, FORM_VERSION_FIELD)

TEXT, RADIO, CHECKBOX, OTHER = "text", "radio", "checkbox", "other"
_RADIO_FLAG = 1 << 15
_PUSHBUTTON_FLAG = 1 << 16


@dataclass(frozen=True)
class FieldSpec:
    """One form field: its kind and, for a radio group, the values it can take."""

    name: str
    kind: str  # TEXT, RADIO, CHECKBOX or OTHER
    options: tuple[str, ...] = ()  # radio export values; a checkbox's "on" value

    def describe(self) -> str:
        return {TEXT: "a text field", RADIO: "a radio group", CHECKBOX: "a checkbox"}.get(
            self.kind, "a field of a kind docgen forms do not use"
        )


def open_pdf(path: Path, password: str | None = None) -> PdfReader:
    """A readable, decrypted PDF, or PdfInputError saying plainly what is wrong with the file."""
    path = Path(path)
    try:
        content = path.read_bytes()
    except OSError as e:
        raise InputError(f"The file cannot be read ({e.strerror}).", source=str(path)) from e
    if b"%PDF-" not in content[:1024]:
        raise PdfInputError("The file is not a PDF (no %PDF- header).", source=str(path))
    if b"%%EOF" not in content[-1024:]:
        raise PdfInputError(
            "The PDF is incomplete (no %%EOF at its end); it may have been cut short.", source=str(path)
        )
    try:
        with _quiet_pypdf():
            reader = PdfReader(path)
            if reader.is_encrypted:
                _decrypt(reader, path, password)
            len(reader.pages)  # walks the page tree, so a broken one fails here
            reader.get_fields()
    except PdfInputError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as e:
        raise PdfInputError("The file is not a readable PDF; it may be damaged.", source=str(path)) from e
    return reader


def _decrypt(reader: PdfReader, path: Path, password: str | None) -> None:
    if password is None:
        raise PdfInputError("The PDF is encrypted; give its password with --password.", source=str(path))
    try:
        opened = reader.decrypt(password)
    except (FileNotDecryptedError, NotImplementedError) as e:
        raise PdfInputError("The PDF is encrypted in a way docgen cannot open.", source=str(path)) from e
    if not opened:
        raise PdfInputError("The password given does not open the PDF.", source=str(path))


def read_fields(reader: PdfReader) -> dict[str, FieldSpec]:
    """Every terminal form field of the PDF by its full name, with its kind."""
    specs: dict[str, FieldSpec] = {}
    for name, field in (reader.get_fields() or {}).items():
        kind = field_kind(field)
        states = [str(s).lstrip("/") for s in field.get("/_States_", []) or []]
        options = tuple(s for s in states if s != "Off") if kind in (RADIO, CHECKBOX) else ()
        specs[name] = FieldSpec(name, kind, options)
    return specs


def field_kind(field) -> str:
    """TEXT, RADIO or CHECKBOX; OTHER for kinds docgen forms do not use (lists, buttons, signatures)."""
    field_type = field.get("/FT")
    flags = int(field.get("/Ff", 0) or 0)
    if field_type == "/Tx":
        return TEXT
    if field_type == "/Btn" and not flags & _PUSHBUTTON_FLAG:
        return RADIO if flags & _RADIO_FLAG else CHECKBOX
    return OTHER


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """Hold back pypdf's warnings about a damaged file; the error raised says it instead."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
