"""Builds docgen's starting Word templates from the wording of the source documents.

The .docx files in ``templates/`` are the source of truth once committed: policy owners edit
them in Word. This script is how the first versions were made, kept so the layout decisions
(Notify address box, lean styles) are reproducible: ``python tools/build_templates.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.table import WD_ROW_HEIGHT_RULE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

ROOT = Path(__file__).resolve().parents[1] / "templates"


def new_document() -> Document:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(15)
    section.top_margin = section.bottom_margin = Mm(5)
    section.header_distance = section.footer_distance = Mm(5)
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(12)
    return doc


def _zero_cell_margins(table) -> None:
    props = table._tbl.tblPr
    margins = OxmlElement("w:tblCellMar")
    for side in ("top", "left", "bottom", "right"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:w"), "0")
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    props.append(margins)


def letter_head(doc: Document) -> None:
    """Page 1 laid out for GOV.UK Notify and a window envelope.

    A borderless table from the 15 mm margin: row 1 (5-39.5 mm down) holds the authority's
    name and, from 125 mm across, its contact details; row 2 (39.5-66.3 mm) holds the
    recipient's address 9.6 mm in, so it sits in the box 24.6-120 mm across; row 3 pads to
    95 mm, where the body starts.
    """
    table = doc.add_table(rows=3, cols=2)
    _zero_cell_margins(table)
    widths = (Mm(110), Mm(70))
    heights = (Mm(34.5), Mm(26.8), Mm(28.7))
    for row, height in zip(table.rows, heights):
        row.height = height
        row.height_rule = WD_ROW_HEIGHT_RULE.EXACTLY
        for cell, width in zip(row.cells, widths):
            cell.width = width
    name = table.cell(0, 0).paragraphs[0]
    name.add_run("{{ authority.name }}").bold = True
    table.cell(0, 0).add_paragraph("{{ authority.service }}")
    contact = table.cell(0, 1)
    contact.paragraphs[0].text = "{{ case.team }}"
    for text in (
        "{% for line in authority.address %}{{ line }}, {% endfor %}{{ authority.postcode }}",
        "Telephone: {{ authority.phone }}",
        "Email: {{ authority.email }}",
        "Our reference: {{ case.reference }}",
        "Date: {{ issue_date }}",
    ):
        contact.add_paragraph(text)
    for paragraph in contact.paragraphs:
        paragraph.paragraph_format.space_after = Pt(0)
        for run in paragraph.runs:
            run.font.size = Pt(9)
    address = table.cell(1, 0)
    address.paragraphs[0].text = "{{ recipient.formal_name }}"
    address.add_paragraph("{% for line in recipient.address.lines %}{{ line }}\n{% endfor %}{{ recipient.address.postcode }}")
    for paragraph in address.paragraphs:
        paragraph.paragraph_format.left_indent = Mm(9.6)
        paragraph.paragraph_format.space_after = Pt(0)
        for run in paragraph.runs:
            run.font.size = Pt(10)


def outcome_letter() -> Document:
    """Standard Outcome/Closure Letter (003, appendix): family and agency variants."""
    doc = new_document()
    letter_head(doc)
    p = doc.add_paragraph
    p("{{ recipient.salutation }}")
    p(
        "I write to confirm that {{ case.team }} have now concluded their "
        "{{ closure.concluded }} with {% if recipient.kind == 'family' %}you{% else %}"
        "{{ children_names }} and family{% endif %}."
    )
    p("{% if recipient.kind == 'agency' %}Thank you for your assistance and support during our involvement.{% else %}Thank you for working with us during our involvement.{% endif %}")
    p(
        "{% if closure.outcome == 'support_plan' %}I enclose the notes of the last "
        "{{ authority.terms.team_around }} Meeting/Co-Ordinated Support Plan setting out what support is still "
        "available to {% if recipient.kind == 'family' %}you{% else %}the child and family{% endif %}."
        "{% else %}I confirm that the conclusion of the {{ closure.conclusion_of_label }} was that no "
        "further action is required from us at this time.{% endif %}"
    )
    p(
        "{% if recipient.kind == 'family' and closure.enclose_assessment %}I enclose a copy of the "
        "analysis and conclusion of the {{ closure.conclusion_of_label }}. If you would like a copy of the full "
        "assessment, please contact us by {{ reply_by }}.{% endif %}"
    )
    p(
        "If you would like more information about this please contact us by {{ reply_by }} "
        "(within the next 5 working days) and we will share any information we are able to."
    )
    p("{{ authority.sign_off }}")
    p("{{ sender.name }}")
    p("{{ sender.role }}, {{ case.team }}")
    return doc


def main(argv: list[str]) -> int:
    builders = {"outcome-letter": outcome_letter}
    for doc_id, build in builders.items():
        path = ROOT / "default" / f"{doc_id}.docx"
        build().save(path)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
