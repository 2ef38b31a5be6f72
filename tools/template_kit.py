"""Building blocks for docgen's Word templates: page set-up, letter head, tables, lean packages.

``tools/build_templates.py`` composes these into one function per document. Everything here
writes docxtpl/Jinja tags as plain text; python-docx keeps each string in one run, so a tag is
never split across runs.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from lxml import etree

FONT = "Arial"  # Liberation Sans is its metric twin where Arial is not installed
BODY_PT = 12
SMALL_PT = 9
PAGE_MM = (210, 297)
# GOV.UK Notify's precompiled-letter geometry, in mm from the page's top-left corner.
LETTER_SIDE_MM = 15
LETTER_TOP_MM = 6  # Notify's minimum is 5 mm; a 14 pt line's box reaches ~0.5 mm above its top
LOGO_BOTTOM_MM = 30.0  # the foot of Notify's logo area: nothing prints from here to 95 mm on the left
ADDRESS_TOP_MM = 40.5  # 1 mm inside the 39.5 mm box edge: pdftotext boxes are taller than glyphs
ADDRESS_HEIGHT_MM = 25.5  # seven 10 pt lines; the box ends at 66.3 mm
ADDRESS_INDENT_MM = 11.0  # from the 15 mm margin to 26 mm, inside the box's 24.6 mm edge
ADDRESS_RIGHT_MM = 6.0  # wrap before 119 mm, inside the box's 120 mm edge
BODY_TOP_MM = 96.0  # Notify's body starts at 95 mm; 1 mm for the taller boxes
CONTACT_LEFT_MM = 125.0
TICK, CROSS, BOX, BOXED = "✓", "✗", "☐", "☒"
FIXED_TIME = datetime(2026, 11, 1, tzinfo=timezone.utc)
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


# -- pages -------------------------------------------------------------------------------------
def new_document(title: str, *, letter: bool = False, landscape: bool = False) -> DocxDocument:
    """An A4 document in Arial 12 pt with the footer every document carries.

    Letters use Notify's 15 mm sides and 5 mm top, so the letter head lands where Notify
    expects; other documents have ordinary margins.
    """
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    if landscape:  # for wide tables, such as the meeting invitation list
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(PAGE_MM[1]), Mm(PAGE_MM[0])
    section.left_margin = section.right_margin = Mm(LETTER_SIDE_MM)
    section.top_margin = Mm(LETTER_TOP_MM if letter else 12)
    section.bottom_margin = Mm(16)
    section.header_distance = Mm(LETTER_TOP_MM)
    section.footer_distance = Mm(7)
    _style_fonts(doc)
    _footer(doc)
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = title, "docgen", "docgen"
    props.comments = props.subject = props.keywords = props.category = ""
    props.created = props.modified = FIXED_TIME
    props.revision = 1
    return doc


def _style_fonts(doc: DocxDocument) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.0
    normal.paragraph_format.widow_control = True  # no paragraph leaves one line alone on a page
    for name, size in (("Heading 1", 16), ("Heading 2", 13)):
        style = doc.styles[name]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.paragraph_format.space_before = Pt(12 if name == "Heading 2" else 0)
        style.paragraph_format.space_after = Pt(6)


# The footer's title until the document's level-1 heading replaces it (letters have none).
FOOTER_TITLE = "{{ document.title }}"
# 8 pt holds the longest title (South Gloucestershire's early help closure) on one footer line.
FOOTER_PT = 8


def _footer(doc: DocxDocument) -> None:
    """Case reference, document title, OFFICIAL-SENSITIVE and page numbers: never a name."""
    paragraph = doc.sections[0].footer.paragraphs[0]
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.add_run(f"{{{{ case.reference }}}}  |  {FOOTER_TITLE}  |  OFFICIAL-SENSITIVE  |  Page ")
    _field(paragraph, "PAGE")
    paragraph.add_run(" of ")
    _field(paragraph, "NUMPAGES")
    for run in paragraph.runs:
        run.font.size = Pt(FOOTER_PT)


def _field(paragraph, instruction: str) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), str(FOOTER_PT * 2))
    props.append(size)
    run.append(props)
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


# -- text --------------------------------------------------------------------------------------
def heading(doc, text: str, level: int = 2):
    """A heading; the document's title heading (level 1) is also the title its footer prints."""
    if level == 1:
        for run in doc.sections[0].footer.paragraphs[0].runs:
            run.text = run.text.replace(FOOTER_TITLE, text)
    return doc.add_heading(text, level)


# Paragraphs a section may have and still be kept whole on one page, with its heading; the
# last section may have more, so a document never ends on a page of a few stray lines.
SHORT_SECTION_PARAGRAPHS = 4
LAST_SECTION_PARAGRAPHS = 12


def keep_short_sections_whole(doc: DocxDocument) -> None:
    """Chain each short section's paragraphs with keep-with-next, so that a section of a few
    lines moves to the next page whole instead of leaving its first lines (or its heading)
    behind. Headings keep with what follows through their style; tables are left to split by
    rows, which never split themselves. Paragraphs that hold only a docxtpl ``{%p %}`` tag
    vanish when filled and are not counted."""
    body = doc.element.body
    section: list = []
    in_section = False

    def close(limit: int = SHORT_SECTION_PARAGRAPHS) -> None:
        if in_section and section and len(section) <= limit:
            for p in section[:-1]:
                p.get_or_add_pPr().keepNext_val = True
        section.clear()

    for element in body.iterchildren():
        if element.tag == qn("w:tbl"):
            close()
            in_section = False
            continue
        if element.tag != qn("w:p"):
            continue
        style = element.pPr.pStyle.val if element.pPr is not None and element.pPr.pStyle is not None else ""
        if style.startswith("Heading"):
            close()
            in_section = True
            continue
        text = "".join(t.text or "" for t in element.iter(qn("w:t"))).strip()
        if text.startswith("{%p ") or not text:
            continue
        section.append(element)
    close(LAST_SECTION_PARAGRAPHS)


def para(container, text: str = "", *, bold: bool = False, size: float | None = None,
         after: float | None = None, indent_mm: float | None = None):
    """A paragraph of one run (so tags stay whole) in ``container`` (document or cell)."""
    paragraph = container.add_paragraph()
    run = paragraph.add_run(text)
    run.bold = bold or None
    if size:
        run.font.size = Pt(size)
    if after is not None:
        paragraph.paragraph_format.space_after = Pt(after)
    if indent_mm is not None:
        paragraph.paragraph_format.left_indent = Mm(indent_mm)
    return paragraph


def first_para(cell, text: str, **kwargs):
    """Write into a cell's existing first paragraph instead of adding a second one."""
    paragraph = cell.paragraphs[0]
    run = paragraph.add_run(text)
    run.bold = kwargs.get("bold") or None
    if kwargs.get("size"):
        run.font.size = Pt(kwargs["size"])
    if kwargs.get("after") is not None:
        paragraph.paragraph_format.space_after = Pt(kwargs["after"])
    return paragraph


def tag(container, statement: str):
    """A paragraph holding only a docxtpl paragraph tag: it vanishes from the output."""
    return container.add_paragraph(f"{{%p {statement} %}}")


def bullet(container, text: str, *, size: float | None = None):
    paragraph = para(container, f"•\t{text}", after=3, size=size)
    fmt = paragraph.paragraph_format
    fmt.left_indent = Mm(7)
    fmt.first_line_indent = Mm(-7)
    fmt.tab_stops.add_tab_stop(Mm(7))
    return paragraph


def bullets(container, items: str, *, empty: str | None = None, item: str = "{{ item }}"):
    """One bullet per item of ``items`` (a Jinja expression); ``empty`` when there are none."""
    tag(container, f"for item in {items}")
    bullet(container, item)
    if empty:
        tag(container, "else")
        para(container, empty)
    tag(container, "endfor")


def boxed(condition: str) -> str:
    """☒ when ``condition`` holds, else ☐."""
    return f"{{{{ '{BOXED}' if {condition} else '{BOX}' }}}}"


def one_line_address(expr: str) -> str:
    """An address on one line; the withheld marker when it is withheld; nothing when absent."""
    return (
        f"{{% if {expr} %}}{{{{ {expr}.lines|join(', ') }}}}, {{{{ {expr}.postcode }}}}"
        f"{{% elif {expr} is defined and {expr} is not none %}}{{{{ {expr} }}}}{{% endif %}}"
    )


def optional(expr: str) -> str:
    """A value that may be absent: itself, or nothing."""
    return f"{{{{ {expr} if {expr} else '' }}}}"


# -- tables ------------------------------------------------------------------------------------
def table(container, widths_mm: list[float], headers: list[str] | None = None, *, grid: bool = True):
    """A fixed-width table, with a bold header row repeated on each page when given."""
    t = container.add_table(rows=1 if headers else 0, cols=len(widths_mm))
    if grid:
        t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.LEFT
    t.autofit = False
    _indent(t, CELL_MARGIN_TWIPS)  # borders on the margin, not 1.9 mm outside it
    for column, width in zip(t.columns, widths_mm):
        column.width = Mm(width)
    if headers:
        row = t.rows[0]
        _repeat_header(row)
        _keep_whole(row)
        for cell, text in zip(row.cells, headers):
            first_para(cell, text, bold=True, after=0).paragraph_format.keep_with_next = True
    _set_widths(t, widths_mm)
    return t


def add_row(t, values: list[str], *, bold_first: bool = False, height_mm: float | None = None):
    row = t.add_row()
    _keep_whole(row)
    for i, (cell, text) in enumerate(zip(row.cells, values)):
        lines = text.split("\n") if text else [""]
        first_para(cell, lines[0], bold=bold_first and i == 0, after=0)
        for extra in lines[1:]:
            para(cell, extra, after=0)
    if height_mm:
        row.height = Mm(height_mm)
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    _set_widths(t, [c.width.mm if c.width else 0 for c in t.columns])
    return row


def loop_rows(t, loop: str, values: list[str], *, empty: str | None = None,
              height_mm: float | None = None) -> None:
    """Rows repeated by docxtpl: ``{%tr for ... %}``, the row of values, ``{%tr endfor %}``."""
    add_row(t, [f"{{%tr {loop} %}}"] + [""] * (len(values) - 1))
    add_row(t, values, height_mm=height_mm)
    if empty:
        add_row(t, ["{%tr else %}"] + [""] * (len(values) - 1))
        add_row(t, [empty] + [""] * (len(values) - 1))
    add_row(t, ["{%tr endfor %}"] + [""] * (len(values) - 1))


def details(container, rows: list[tuple[str, str]], widths_mm=(50, 130)):
    """A two-column table of labels and values."""
    t = table(container, list(widths_mm))
    for label, value in rows:
        add_row(t, [label, value], bold_first=True)
    return t


def _set_widths(t, widths_mm) -> None:
    for row in t.rows:
        for cell, width in zip(row.cells, widths_mm):
            cell.width = Mm(width)


CELL_MARGIN_TWIPS = 108  # Table Grid's left and right cell margins


# The order OOXML requires of a table's properties; Word refuses files that break it.
TBLPR_ORDER = (
    "tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize",
    "tblStyleColBandSize", "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd",
    "tblLayout", "tblCellMar", "tblLook", "tblCaption", "tblDescription",
)


def _set_table_property(t, element) -> None:
    """Put ``element`` in the table's properties, replacing any like it, in schema order."""
    props = t._tbl.tblPr
    name = etree.QName(element).localname
    for old in props.findall(qn(f"w:{name}")):
        props.remove(old)
    rank = TBLPR_ORDER.index(name)
    for i, child in enumerate(props):
        if TBLPR_ORDER.index(etree.QName(child).localname) > rank:
            props.insert(i, element)
            return
    props.append(element)


def _indent(t, twips: int) -> None:
    indent = OxmlElement("w:tblInd")
    indent.set(qn("w:w"), str(twips))
    indent.set(qn("w:type"), "dxa")
    _set_table_property(t, indent)


def _repeat_header(row) -> None:
    props = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    props.append(header)


def _keep_whole(row) -> None:
    """Never split ``row`` across pages: a row moves to the next page whole (w:cantSplit)."""
    props = row._tr.get_or_add_trPr()
    props.insert(0, OxmlElement("w:cantSplit"))  # CT_TrPr lists cantSplit before tblHeader


def zero_cell_margins(t) -> None:
    margins = OxmlElement("w:tblCellMar")
    for side in ("top", "left", "bottom", "right"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:w"), "0")
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    _set_table_property(t, margins)


def signature_lines(container, who: str | None = None) -> None:
    """"Signed: ..... Dated: ....." (with a printed name line when ``who`` is given)."""
    if who:
        para(container, f"Name (print): {who}", after=2)
    para(container, "Signed: ....................................................    "
                    "Dated: ............................", after=10)


# -- letters -----------------------------------------------------------------------------------
def letter_head(doc: DocxDocument) -> None:
    """Page 1 laid out for GOV.UK Notify and a window envelope, as a borderless table.

    Notify lets nothing print from 30 mm to 95 mm down outside the contact details and the
    address window, so each area is a cell of its own, with an exact height that clips what
    would overflow rather than letting it reach a forbidden area:

    - the logo area (15-125 mm across, 6-30 mm down): the logo (at most 60 x 15 mm), or the
      authority's name in 14 pt for an authority without one;
    - an empty band from 30 mm to the address window;
    - the window (40.5-66 mm down, 26-119 mm across, inside Notify's 24.6-120 x 39.5-66.3 mm
      box): the recipient's name and address and nothing else;
    - an empty band from the window to 96 mm, where the body starts;
    - the contact details (125-195 mm across, 6-96 mm down, one cell across all four rows):
      the authority, service and team, their address, telephone and email, the case reference
      and date, and who to ask for. Its 90 mm holds two-line authority, team and sender names.
    """
    t = doc.add_table(rows=4, cols=2)
    zero_cell_margins(t)
    t.autofit = False
    widths = (CONTACT_LEFT_MM - LETTER_SIDE_MM, PAGE_MM[0] - LETTER_SIDE_MM - CONTACT_LEFT_MM)
    heights = (
        LOGO_BOTTOM_MM - LETTER_TOP_MM,
        ADDRESS_TOP_MM - LOGO_BOTTOM_MM,
        ADDRESS_HEIGHT_MM,
        BODY_TOP_MM - ADDRESS_TOP_MM - ADDRESS_HEIGHT_MM,
    )
    for column, width in zip(t.columns, widths):
        column.width = Mm(width)
    for row, height in zip(t.rows, heights):
        row.height = Mm(height)
        row.height_rule = WD_ROW_HEIGHT_RULE.EXACTLY
    _set_widths(t, widths)

    logo = t.cell(0, 0)
    first_para(logo, "{%p if authority.logo %}", after=0)
    para(logo, "{{ authority.logo }}", after=0)
    tag(logo, "else")
    para(logo, "{{ authority.name }}", bold=True, size=14, after=0)
    tag(logo, "endif")

    contact = t.cell(0, 1).merge(t.cell(len(heights) - 1, 1))
    first_para(contact, "{{ authority.name }}", bold=True, size=SMALL_PT, after=0)
    # An authority that publishes no phone or email prints neither line (its profile says why).
    for text, bold in (
        ("{{ authority.service }}", False),
        ("{{ case.team }}", True),
        ("{% for line in authority.address %}{{ line }}\n{% endfor %}{{ authority.postcode }}", False),
        ("{% if authority.phone %}Telephone: {{ authority.phone }}{% endif %}", False),
        ("{% if authority.email %}Email: {{ authority.email }}{% endif %}", False),
        ("Our reference: {{ case.reference }}", False),
        ("Date: {{ issue_date }}", False),
        ("Please ask for: {{ sender.name }}", False),
        ("{% if sender.phone or authority.phone %}Telephone: {{ sender.phone or authority.phone }}{% endif %}", False),
        ("{% if sender.email or authority.email %}Email: {{ sender.email or authority.email }}{% endif %}", False),
    ):
        paragraph = para(contact, text, bold=bold, size=SMALL_PT, after=0)
        if text.startswith(("Our reference", "Please ask for")):
            paragraph.paragraph_format.space_before = Pt(SMALL_PT)

    address = t.cell(2, 0)
    _address_line(first_para(address, "{{ recipient.formal_name }}"))
    _address_line(para(
        address,
        "{% for line in recipient.address.lines %}{{ line }}\n{% endfor %}{{ recipient.address.postcode }}",
    ))


def _address_line(paragraph) -> None:
    fmt = paragraph.paragraph_format
    fmt.left_indent = Mm(ADDRESS_INDENT_MM)
    fmt.right_indent = Mm(ADDRESS_RIGHT_MM)
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(10)
    for run in paragraph.runs:
        run.font.size = Pt(10)


def sign_off(doc: DocxDocument) -> None:
    para(doc, "{{ authority.sign_off }}", after=30)
    para(doc, "{{ sender.name }}", after=0)
    para(doc, "{{ sender.role }}, {{ case.team }}", after=0)
    para(doc, "{{ authority.name }}")


# -- saving ------------------------------------------------------------------------------------
def save_lean(doc: DocxDocument, path: Path) -> int:
    """Save ``doc`` as :func:`lean_bytes` makes it; returns the file's size."""
    content = lean_bytes(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return len(content)


def lean_bytes(doc: DocxDocument) -> bytes:
    """``doc`` without what python-docx's default template carries but no document uses.

    Drops stylesWithEffects.xml, the thumbnail, customXml, unused numbering, latent styles and
    every style not used (or depended on); fonts are Arial outright rather than via the theme.
    Entries get a fixed time, so building twice gives the same bytes. Short sections are kept
    whole first (:func:`keep_short_sections_whole`).
    """
    keep_short_sections_whole(doc)
    buffer = io.BytesIO()
    doc.save(buffer)
    parts = {}
    with zipfile.ZipFile(buffer) as source:
        for name in source.namelist():
            parts[name] = source.read(name)
    drop = {"word/stylesWithEffects.xml", "docProps/thumbnail.jpeg"}
    drop |= {n for n in parts if n.startswith("customXml/")}
    used_xml = b"".join(v for n, v in parts.items() if re.match(r"word/(document|header\d*|footer\d*)\.xml$", n))
    if b"<w:numPr>" not in used_xml and b"<w:numPr " not in used_xml:
        drop.add("word/numbering.xml")
    for name in drop:
        parts.pop(name, None)
    parts["word/styles.xml"] = _lean_styles(parts["word/styles.xml"], used_xml)
    parts["word/settings.xml"] = _lean_settings(parts["word/settings.xml"])
    parts["[Content_Types].xml"] = _without_overrides(parts["[Content_Types].xml"], drop)
    for rels in ("_rels/.rels", "word/_rels/document.xml.rels"):
        parts[rels] = _without_targets(parts[rels], drop, base="" if rels.startswith("_") else "word/")
    order = ["[Content_Types].xml", "_rels/.rels"] + sorted(n for n in parts if n not in ("[Content_Types].xml", "_rels/.rels"))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, parts[name], compresslevel=9)
    return out.getvalue()


def _lean_styles(xml: bytes, used_xml: bytes) -> bytes:
    root = etree.fromstring(xml)
    ns = {"w": W}
    for latent in root.findall("w:latentStyles", ns):
        root.remove(latent)
    styles = {s.get(qn("w:styleId")): s for s in root.findall("w:style", ns)}
    keep = set(re.findall(rb'w:(?:pStyle|rStyle|tblStyle) w:val="([^"]+)"', used_xml))
    keep = {k.decode() for k in keep} | {i for i, s in styles.items() if s.get(qn("w:default")) == "1"}
    pending = list(keep)
    while pending:
        style = styles.get(pending.pop())
        if style is None:
            continue
        for ref in ("basedOn", "next", "link"):
            element = style.find(f"w:{ref}", ns)
            if element is not None and element.get(qn("w:val")) not in keep:
                keep.add(element.get(qn("w:val")))
                pending.append(element.get(qn("w:val")))
    for style_id, style in styles.items():
        if style_id not in keep:
            root.remove(style)
            continue
        for rsid in style.findall("w:rsid", ns):
            style.remove(rsid)
    for fonts in root.iter(qn("w:rFonts")):
        for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
            fonts.attrib.pop(qn(f"w:{attr}"), None)
        for attr in ("ascii", "hAnsi", "cs", "eastAsia"):
            fonts.set(qn(f"w:{attr}"), FONT)
    for color in root.iter(qn("w:color")):
        for attr in ("themeColor", "themeShade", "themeTint"):
            color.attrib.pop(qn(f"w:{attr}"), None)
    defaults = root.find("w:docDefaults/w:rPrDefault/w:rPr", ns)
    for element, value in (("w:sz", str(BODY_PT * 2)), ("w:szCs", str(BODY_PT * 2))):
        found = defaults.find(element, ns)
        if found is not None:
            found.set(qn("w:val"), value)
    lang = defaults.find("w:lang", ns)
    if lang is not None:
        lang.set(qn("w:val"), "en-GB")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _lean_settings(xml: bytes) -> bytes:
    root = etree.fromstring(xml)
    for name in ("rsids", "savePreviewPicture", "attachedTemplate", "proofState"):
        for element in root.findall(f"w:{name}", {"w": W}):
            root.remove(element)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _without_overrides(xml: bytes, dropped: set[str]) -> bytes:
    text = xml.decode("utf-8")
    for name in dropped:
        text = re.sub(rf'<Override PartName="/{re.escape(name)}"[^>]*/>', "", text)
    if "docProps/thumbnail.jpeg" in dropped:
        text = re.sub(r'<Default Extension="jpeg"[^>]*/>', "", text)
    return text.encode("utf-8")


def _without_targets(xml: bytes, dropped: set[str], base: str) -> bytes:
    text = xml.decode("utf-8")

    def keep(match: re.Match) -> str:
        target = match.group(1)
        full = target[3:] if target.startswith("../") else base + target
        return "" if full in dropped else match.group(0)

    return re.sub(r'<Relationship [^>]*Target="([^"]+)"[^>]*/>', keep, text).encode("utf-8")
