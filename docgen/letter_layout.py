"""Place a letter's address where GOV.UK Notify's precompiled-letter window expects it.

The address goes in a Word *frame*: each address line is a paragraph carrying the same
``<w:framePr>``, anchored to the page (not the margin or the text) at a fixed x/y, with an exact
height and ``wrap="notBeside"`` so no body text flows beside it. LibreOffice and Word both turn
consecutive paragraphs with identical frame properties into one frame, so the address lands at
the same place however much text comes before it.

Measured after LibreOffice 7.4 conversion with pdftotext's word boxes (which use the font's
bounding box, taller than the glyphs): a frame at x=26 mm, y=40.5 mm, 93 x 25.5 mm, with
``vSpace`` 2 mm and lines of 10 pt Arial (Liberation Sans), Calibri (Carlito) or Times New
Roman at an exact 10 pt line pitch, puts seven lines at 40.0-65.7 mm from the top and 26.0 mm
from the left: inside Notify's 24.6-120 x 39.5-66.3 mm box with 0.5 mm to spare. ``vSpace``
keeps body text 2 mm clear above and below the frame (it ends by 38.5 mm and resumes at 68 mm),
so none of it reaches into the box.
"""

from __future__ import annotations

from collections.abc import Iterable

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

MM = 72 / 25.4  # points per millimetre
ADDRESS_LINES = (3, 7)  # the fewest and most address lines GOV.UK Notify accepts

# The frame that keeps the address inside the window, in mm.
FRAME_MM = {"x": 26.0, "y": 40.5, "width": 93.0, "height": 25.5}
# Space kept clear of body text above and below the frame (framePr vSpace), in mm.
FRAME_GAP_MM = 2.0
ADDRESS_FONT_PT = 10
ADDRESS_LINE_PITCH_PT = 10


def _twips(mm: float) -> str:
    return str(round(mm * 1440 / 25.4))


def _put_frame(ppr, frame) -> None:
    """Add ``framePr`` to a paragraph's properties where the OOXML schema orders it."""
    before = [qn(f"w:{tag}") for tag in ("pStyle", "keepNext", "keepLines", "pageBreakBefore")]
    earlier = [child for child in ppr if child.tag in before]
    if earlier:
        earlier[-1].addnext(frame)
    else:
        ppr.insert(0, frame)


def add_address_frame(document: DocxDocument, lines: Iterable[str]) -> None:
    """Insert the address lines at the start of ``document`` as one page-anchored frame.

    Keep each line under about 90 mm of 10 pt text (some 45 characters): a longer one wraps,
    which adds a line, and lines past the frame's height are cut off.
    """
    body = document.element.body
    first = body[0] if len(body) else None
    for line in lines:
        paragraph = document.add_paragraph(line)
        fmt = paragraph.paragraph_format
        fmt.space_before = fmt.space_after = Pt(0)
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(ADDRESS_LINE_PITCH_PT)
        for run in paragraph.runs:
            run.font.size = Pt(ADDRESS_FONT_PT)
        frame = OxmlElement("w:framePr")
        for name, value in {
            "w": _twips(FRAME_MM["width"]),
            "h": _twips(FRAME_MM["height"]),
            "hRule": "exact",
            "wrap": "notBeside",
            "vSpace": _twips(FRAME_GAP_MM),
            "hAnchor": "page",
            "vAnchor": "page",
            "x": _twips(FRAME_MM["x"]),
            "y": _twips(FRAME_MM["y"]),
        }.items():
            frame.set(qn(f"w:{name}"), value)
        _put_frame(paragraph._p.get_or_add_pPr(), frame)
        if first is not None:  # keep document order: the frame first, then what was there
            first.addprevious(paragraph._p)


def notify_letter(
    address_lines: Iterable[str], paragraphs: Iterable[str] = (), *, font: str = "Arial"
) -> DocxDocument:
    """A4 letter with the address in Notify's window and the paragraphs as its body.

    Margins are 20 mm all round, inside Notify's printable area (15 mm sides, 5 mm top and
    bottom).
    """
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(20))
    section.header_distance = section.footer_distance = Mm(10)
    normal = document.styles["Normal"]
    normal.font.name = font
    normal.font.size = Pt(11)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(8)
    for text in paragraphs:
        document.add_paragraph(text)
    add_address_frame(document, address_lines)
    return document
