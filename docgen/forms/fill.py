"""Pre-filling a blank form from a case bundle: what the bundle knows goes in, the rest stays fillable.

Values come from the same context templates see (:func:`docgen.view.context.build_context`),
so a value withheld from the form's audience arrives as the authority's "withheld" wording.
pypdf writes each value with its appearance (the text drawn in the box, the chosen button's
state), so the values show in every viewer, in print and to text extraction, with no viewer
asked to redraw the form (NeedAppearances stays off: poppler-based viewers redraw radio buttons
blank). pypdf does not wrap text, so a multi-line box is drawn from the value wrapped to its
width, while the field keeps the value itself.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject
from reportlab.lib.utils import simpleSplit

from docgen.bundle import Bundle
from docgen.exceptions import DocgenError
from docgen.forms.fieldmap import FormInfo, Forms, prefill
from docgen.forms.pdffields import RADIO
from docgen.pdfout.pdffile import open_pdf
from docgen.atomic import write_atomic
from docgen.output import prepare_folder, target_in
from docgen.pipeline import Pipeline
from docgen.registry import TemplateInfo
from docgen.view.context import build_context

log = logging.getLogger("docgen")

_MULTILINE = 1 << 12
_FONT_SIZE = re.compile(r"([\d.]+) Tf")
_PADDING = 2  # points pypdf leaves between a box's edge and its text


@dataclass
class Filled:
    """One pre-filled form written for a case."""

    case_reference: str
    form: FormInfo
    path: Path
    values: dict[str, str | bool] = field(default_factory=dict)
    left_off: list[str] = field(default_factory=list)  # rows the form had no room for
    replaced: bool = False  # a file was already there under this name, and this one replaced it


def form_file_name(case_reference: str, form_id: str) -> str:
    """``CASEREF_FORM_form.pdf``: never the name ``render`` gives the same document as a flat
    PDF (``CASEREF_FORM.pdf``, or ``CASEREF_FORM_KIND-ID.pdf`` per recipient, whose recipient
    part always has a hyphen), so a returnable form and a printed copy never replace each other."""
    return f"{case_reference}_{form_id}_form.pdf"


def fill_forms(
    pipeline: Pipeline, bundle: Bundle, forms: Forms, form_ids: list[str], out_dir: Path
) -> list[Filled]:
    """Write :func:`form_file_name` into ``out_dir`` for each form, pre-filled from ``bundle``."""
    infos = [forms.get(form_id) for form_id in form_ids]  # an unknown id fails before anything is written
    out_dir = prepare_folder(Path(out_dir))
    written = []
    for info in infos:
        try:
            values = form_values(pipeline, bundle, info)
            target = target_in(out_dir, form_file_name(bundle.reference, info.form_id))
            replaced = target.exists()
            write_atomic(target, fill_pdf(info, values.values))
        except DocgenError as e:
            e.case_ref = bundle.reference
            raise
        log.debug("[%s] filled %s (%d fields)", bundle.reference, info.form_id, len(values.values))
        written.append(Filled(bundle.reference, info, target, values.values, values.left_off, replaced))
    return written


def form_values(pipeline: Pipeline, bundle: Bundle, form: FormInfo):
    """The :class:`~docgen.forms.fieldmap.Prefill` of ``form`` for ``bundle``."""
    profile = pipeline.registry.profile(bundle.authority)
    context = build_context(bundle, profile, _as_template(form), None, today=pipeline.today)
    return prefill(form, context)


def fill_pdf(form: FormInfo, values: dict[str, str | bool]) -> bytes:
    """The blank form with ``values`` set (text, a radio's value, or True for a ticked checkbox)."""
    writer = PdfWriter(clone_from=open_pdf(form.pdf_path))
    as_set = pdf_values(form, values)
    widgets = _text_widgets(writer)
    drawn = {name: _wrapped(widgets[name], text) for name, text in as_set.items() if name in widgets}
    writer.update_page_form_field_values(None, {**as_set, **drawn}, auto_regenerate=False)
    for name in drawn:
        widgets[name][NameObject("/V")] = TextStringObject(as_set[name])
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _text_widgets(writer: PdfWriter) -> dict[str, DictionaryObject]:
    """The multi-line text fields by name (in docgen's forms each is its own widget)."""
    widgets = {}
    for page in writer.pages:
        for ref in page.get("/Annots", []):
            annot = ref.get_object()
            if annot.get("/FT") == "/Tx" and int(annot.get("/Ff", 0)) & _MULTILINE:
                widgets[str(annot["/T"])] = annot
    return widgets


def _wrapped(widget: DictionaryObject, text: str) -> str:
    """``text`` with line breaks where it meets the box's right edge, as a viewer would wrap it."""
    match = _FONT_SIZE.search(str(widget.get("/DA", "")))
    size = float(match.group(1)) if match else 12
    width = float(widget["/Rect"][2]) - float(widget["/Rect"][0]) - 2 * _PADDING
    lines = []
    for paragraph in text.split("\n"):
        lines.extend(simpleSplit(paragraph, "Helvetica", size, width) or [""])
    return "\n".join(lines)


def pdf_values(form: FormInfo, values: dict[str, str | bool]) -> dict[str, str]:
    """Values as pypdf sets them: buttons take a state name ("/yes"), text fields the text."""
    specs = form.fields
    out = {}
    for name, value in values.items():
        spec = specs[name]
        if value is True:
            out[name] = f"/{spec.options[0]}"
        elif spec.kind == RADIO:
            out[name] = f"/{value}"
        else:
            out[name] = str(value)
    return out


def _as_template(form: FormInfo) -> TemplateInfo:
    """The form as build_context knows documents: one copy, read by the form's audience."""
    return TemplateInfo(
        doc_id=form.form_id,
        title=form.title,
        version=form.version,
        path=form.pdf_path,
        meta_path=form.map_path,
        origin="forms",
        description=form.description,
        recipients="none",
        audience=form.audience,
        letter=False,
        family_letter=False,
        requires=(),
    )
