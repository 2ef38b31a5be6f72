"""Reading returned, filled-in forms back into data.

A returned PDF says which form it is in its hidden ``docgen_form`` field (or, failing that, its
``docgen.form=`` keyword). Its fields must be the fields of that form: anything else means it is
not a docgen form, or not one docgen can trust, and it is refused with a PdfInputError naming
the file. Values come back as text (empty text ``""``), a radio group's chosen value (or None),
and True/False for a checkbox.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader

from docgen.exceptions import DocgenError, PdfInputError
from docgen.forms.fieldmap import FormInfo, Forms
from docgen.forms.pdffields import (
    CHECKBOX,
    FORM_ID_FIELD,
    FORM_VERSION_FIELD,
    HIDDEN_FIELDS,
    RADIO,
    TEXT,
    FieldSpec,
    field_specs,
    form_fields,
)
from docgen.pdfout.pdffile import open_pdf

_KEYWORD = re.compile(r"docgen\.form=(\S+)")
_LISTED = 8  # field names named in one message


@dataclass
class Extracted:
    """One returned form read back: which form, which version, and every field's value."""

    path: Path
    form: FormInfo
    version: str
    values: dict[str, str | bool | None]

    def to_dict(self) -> dict:
        return {
            "file": str(self.path),
            "form": self.form.form_id,
            "version": self.version,
            "fields": self.values,
        }


@dataclass
class Outcome:
    """What reading one file gave: the form's data, or the error that stopped it."""

    path: Path
    extracted: Extracted | None = None
    error: DocgenError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def extract(path: Path, forms: Forms, *, password: str | None = None) -> Extracted:
    """The data of one returned form; PdfInputError if the file is not a readable docgen form."""
    path = Path(path)
    reader = open_pdf(path, password, password_option="--password")
    raw = form_fields(reader)
    found = field_specs(raw)
    if not found:
        message = "The PDF has no form fields; it is not a docgen form, or was flattened (printed to PDF)."
        raise PdfInputError(message, source=str(path))
    form_id = _value_text(raw.get(FORM_ID_FIELD)) or _keyword_form(reader)
    if not form_id:
        message = f"The PDF's form is not a docgen form (it has no {FORM_ID_FIELD} field)."
        raise PdfInputError(message, source=str(path))
    if form_id not in forms.ids():
        known = ", ".join(forms.ids())
        message = f"The PDF says it is a '{form_id}' form, which docgen does not know (known: {known})."
        raise PdfInputError(message, source=str(path))
    form = forms.get(form_id)
    version = _value_text(raw.get(FORM_VERSION_FIELD)) or ""
    problems = _mismatches(form, found)
    values = {}
    for name, spec in form.fields.items():
        if name in HIDDEN_FIELDS or name not in found:
            continue
        value = _value(spec, raw[name].get("/V"))
        if spec.kind == RADIO and value is not None and value not in spec.options:
            problems.append(f"the field '{name}' holds '{value}', not one of: {', '.join(spec.options)}")
        values[name] = value
    if problems:
        if version and version != form.version:
            problems.append(
                f"it was made from version {version} of the form; docgen has version {form.version}"
            )
        raise PdfInputError(
            f"The PDF does not match the {form_id} form: {'; '.join(problems)}.", source=str(path)
        )
    return Extracted(path, form, version, values)


def extract_many(paths: list[Path], forms: Forms, *, password: str | None = None) -> list[Outcome]:
    """Every file read, in order; one bad file costs only itself."""
    outcomes = []
    for path in paths:
        try:
            outcomes.append(Outcome(Path(path), extracted=extract(path, forms, password=password)))
        except DocgenError as e:
            outcomes.append(Outcome(Path(path), error=e))
    return outcomes


def to_csv(extracted: list[Extracted]) -> str:
    """One row per form: file, form, version, then every field (ticked boxes as "Yes")."""
    columns: dict[str, None] = {}
    for item in extracted:
        columns.update(dict.fromkeys(item.values))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["file", "form", "version", *columns])
    for item in extracted:
        cells = [_csv_cell(item.values.get(name)) for name in columns]
        writer.writerow([str(item.path), item.form.form_id, item.version, *cells])
    return buffer.getvalue()


def _csv_cell(value) -> str:
    if value is True:
        return "Yes"
    return "" if value in (None, False) else str(value)


def _mismatches(form: FormInfo, found: dict[str, FieldSpec]) -> list[str]:
    expected = form.fields
    problems = []
    extra = [name for name in found if name not in expected]
    missing = [name for name in expected if name not in found and name not in HIDDEN_FIELDS]
    if extra:
        problems.append(f"it has fields the form does not ({_names(extra)})")
    if missing:
        problems.append(f"it lacks fields of the form ({_names(missing)})")
    for name, spec in found.items():
        if name in expected and spec.kind != expected[name].kind:
            problems.append(
                f"the field '{name}' is {spec.describe()}, where the form has {expected[name].describe()}"
            )
    return problems


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:_LISTED])
    return f"{shown} and {len(names) - _LISTED} more" if len(names) > _LISTED else shown


def _value(spec: FieldSpec, raw) -> str | bool | None:
    if spec.kind == TEXT:
        return _plain(raw) or ""
    state = _plain(raw).lstrip("/") if raw is not None else ""
    if spec.kind == CHECKBOX:
        return bool(state) and state != "Off"
    return state if state and state != "Off" else None


def _plain(raw) -> str:
    if raw is None:
        return ""
    if isinstance(raw, list):  # a list box's several values; docgen forms have none
        return ", ".join(str(v) for v in raw)
    return str(raw)


def _value_text(field) -> str:
    return _plain(field.get("/V")).strip() if field is not None else ""


def _keyword_form(reader: PdfReader) -> str:
    keywords = str((reader.metadata or {}).get("/Keywords", "") or "")
    match = _KEYWORD.search(keywords)
    return match.group(1) if match else ""
