"""Reading a PDF's form fields and what kind each field is (files are opened by
:func:`docgen.pdfout.pdffile.open_pdf`, which names the file in every failure).

Used both for the committed blank forms (what a form should have) and for the filled forms
families send back (what they have).
"""

from __future__ import annotations

from dataclasses import dataclass

from pypdf import PdfReader

from docgen.pdfout.pdffile import quiet_pypdf

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


def form_fields(reader: PdfReader) -> dict:
    """The PDF's form fields as pypdf reads them, without pypdf's notes on what it mends in a
    damaged file ("a already parsed") reaching standard error."""
    with quiet_pypdf():
        return reader.get_fields() or {}


def read_fields(reader: PdfReader) -> dict[str, FieldSpec]:
    """Every terminal form field of the PDF by its full name, with its kind."""
    return field_specs(form_fields(reader))


def field_specs(fields: dict) -> dict[str, FieldSpec]:
    """The kind of each field of :func:`form_fields`."""
    specs: dict[str, FieldSpec] = {}
    for name, field in fields.items():
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
