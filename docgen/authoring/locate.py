"""Where things are in a Word template, in words a policy owner can find in Word.

Every paragraph of the parts docgen fills (body, headers, footers, footnotes) is listed in
document order with a label: "body paragraph 12", "table 1, row 2, cell 3", "header,
paragraph 1". Its text is the text of its ``w:t`` runs, which is what docxtpl joins into tags.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field

import docx
from docx.document import Document
from lxml import etree

from docgen.exceptions import TemplateError

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
BODY_PART = "word/document.xml"
SHORT_TEXT = 60


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


@dataclass
class TextRun:
    """One ``w:t`` of a paragraph: where its text sits in the paragraph's text, and its run."""

    start: int
    end: int
    t: etree._Element
    run: etree._Element | None


@dataclass
class Paragraph:
    part: str  # the part it lives in: "word/document.xml", "word/header1.xml"
    label: str  # "body paragraph 3", "table 1, row 2, cell 1", "header, paragraph 1"
    element: etree._Element
    index: int  # position among all paragraphs of its part, from 0
    runs: list[TextRun] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(r.t.text or "" for r in self.runs)

    @property
    def in_body(self) -> bool:
        return self.part == BODY_PART

    def short_text(self, limit: int = SHORT_TEXT) -> str:
        return shorten(self.text, limit)


def shorten(text: str, limit: int = SHORT_TEXT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def open_document(path_or_bytes) -> Document:
    try:
        source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else str(path_or_bytes)
        return docx.Document(source)
    except Exception as e:  # python-docx raises several unrelated types for a bad file
        raise TemplateError(f"The template is not a readable Word file ({e}).", source=str(path_or_bytes)[:200]) from e


def parts(document: Document) -> list[tuple[str, str, etree._Element]]:
    """(part name, label, root) for each part docgen fills, body first, in a stable order."""
    found = [(BODY_PART, "body", document.element.body)]
    labels = _header_footer_labels(document)
    for part in document.part.package.iter_parts():
        name = str(part.partname).lstrip("/")
        if name in labels:
            found.append((name, labels[name], part.element))
        elif name in ("word/footnotes.xml", "word/endnotes.xml"):
            root = getattr(part, "element", None)
            if root is None:
                root = etree.fromstring(part.blob)
            found.append((name, name.split("/")[1].removesuffix(".xml"), root))
    order = {name: i for i, name in enumerate(labels)}
    return [found[0]] + sorted(found[1:], key=lambda f: (order.get(f[0], len(order)), f[0]))


def _header_footer_labels(document: Document) -> dict[str, str]:
    """Header and footer part names in section order, labelled "header", "first-page footer"..."""
    kinds = {"default": "", "first": "first-page ", "even": "even-page "}
    sections = document.element.body.iter(w("sectPr"))
    sections = list(sections)
    labels: dict[str, str] = {}
    for number, sect in enumerate(sections, start=1):
        for ref in sect:
            which = etree.QName(ref).localname
            if which not in ("headerReference", "footerReference"):
                continue
            rel = document.part.rels.get(ref.get(f"{{{R}}}id"))
            if rel is None or rel.is_external:
                continue
            name = str(rel.target_part.partname).lstrip("/")
            label = kinds.get(ref.get(w("type")), "") + which.removesuffix("Reference")
            if len(sections) > 1:
                label += f" (section {number})"
            labels.setdefault(name, label)
    return labels


def paragraphs(document: Document) -> list[Paragraph]:
    """Every paragraph of every filled part, in document order, each with its label."""
    found: list[Paragraph] = []
    for name, label, root in parts(document):
        prefix = "body " if name == BODY_PART else f"{label}, "
        start = len(found)
        found.extend(_in_container(root, name, prefix, top=True))
        for i, p in enumerate(found[start:]):
            p.index = i
    return found


def _in_container(container, part: str, prefix: str, top: bool = False) -> Iterator[Paragraph]:
    blocks = list(_block_children(container))
    count = sum(1 for b in blocks if b.tag == w("p"))
    number = tables = 0
    for block in blocks:
        if block.tag == w("p"):
            number += 1
            if top or count > 1:
                label = f"{prefix}paragraph {number}"
            else:
                label = prefix.rstrip(", ")
            yield from _paragraph_and_text_boxes(block, part, label)
        elif block.tag == w("tbl"):
            tables += 1
            table_prefix = ("" if prefix == "body " else prefix) + f"table {tables}, "
            for r, row in enumerate(block.findall(w("tr")), start=1):
                for c, cell in enumerate(row.findall(w("tc")), start=1):
                    yield from _in_container(cell, part, f"{table_prefix}row {r}, cell {c}, ")


def _block_children(container) -> Iterator[etree._Element]:
    """Paragraphs and tables, looking through content controls."""
    for child in container:
        if child.tag in (w("p"), w("tbl")):
            yield child
        elif child.tag == w("sdt"):
            content = child.find(w("sdtContent"))
            if content is not None:
                yield from _block_children(content)
        elif child.tag in (w("footnote"), w("endnote")):
            yield from _block_children(child)


def _paragraph_and_text_boxes(p, part: str, label: str) -> Iterator[Paragraph]:
    para = Paragraph(part, label, p, 0)
    offset = 0
    for t in p.iter(w("t")):
        if _owner(t) is not p:
            continue
        text = t.text or ""
        run = t.getparent() if t.getparent().tag == w("r") else None
        para.runs.append(TextRun(offset, offset + len(text), t, run))
        offset += len(text)
    yield para
    for k, box in enumerate(p.iter(w("txbxContent")), start=1):
        if _owner(box) is p:
            yield from _in_container(box, part, f"{label}, text box {k}, ")


def _owner(element) -> etree._Element | None:
    """The nearest paragraph holding ``element``."""
    node = element.getparent()
    while node is not None and node.tag != w("p"):
        node = node.getparent()
    return node
