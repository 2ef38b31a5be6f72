"""Where things land on a converted PDF's pages, in millimetres from the top-left corner.

Words come from ``pdftotext -bbox`` (boxes use the font's height, a little taller than the
glyphs); ink comes from ``pdftoppm`` rendering, which also sees pictures and rules.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image, ImageDraw

from conftest import VALID_SAMPLES

PT_TO_MM = 25.4 / 72
DPI = 100
DARK = 160  # grey levels below this are ink; lighter anti-aliased edges are not


@dataclass(frozen=True)
class Word:
    text: str
    left: float
    top: float
    right: float
    bottom: float


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    words: list[Word]

    def text_lines(self) -> list[str]:
        return text_lines(self.words)


def lines_of(words: list[Word]) -> list[list[Word]]:
    """Words grouped into lines by their top edge, top to bottom, each left to right."""
    rows: dict[float, list[Word]] = {}
    for word in words:
        key = next((top for top in rows if abs(top - word.top) < 1.0), word.top)
        rows.setdefault(key, []).append(word)
    return [sorted(rows[top], key=lambda w: w.left) for top in sorted(rows)]


def text_lines(words: list[Word]) -> list[str]:
    return [" ".join(w.text for w in line) for line in lines_of(words)]


def pdf_pages(pdf: Path) -> list[Page]:
    """Every page of ``pdf`` with its words' boxes in mm."""
    done = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True, timeout=60)
    root = etree.fromstring(done.stdout, etree.HTMLParser(encoding="utf-8"))
    pages = []
    for page in root.iter("page"):
        words = [
            Word(w.text or "", *(float(w.get(k)) * PT_TO_MM for k in ("xmin", "ymin", "xmax", "ymax")))
            for w in page.iter("word")
        ]
        pages.append(Page(float(page.get("width")) * PT_TO_MM, float(page.get("height")) * PT_TO_MM, words))
    return pages


def ink_outside(pdf: Path, page_number: int, allowed: list[tuple[float, float, float, float]]):
    """The box (left, top, right, bottom, in mm) of the ink on page ``page_number`` (from 1)
    that lies outside every ``allowed`` (left, top, right, bottom) area, or None when none does."""
    with tempfile.TemporaryDirectory(prefix="layout-ink-") as tmp:
        subprocess.run(
            ["pdftoppm", "-gray", "-r", str(DPI), "-f", str(page_number), "-l", str(page_number),
             "-singlefile", "-png", str(pdf), f"{tmp}/page"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        with Image.open(f"{tmp}/page.png") as image:
            ink = image.convert("L").point(lambda level: 255 if level < DARK else 0)
    px = DPI / 25.4
    draw = ImageDraw.Draw(ink)
    for left, top, right, bottom in allowed:
        draw.rectangle([left * px, top * px, right * px - 1, bottom * px - 1], fill=0)
    box = ink.getbbox()
    return None if box is None else tuple(round(v / px, 1) for v in box)


def page_count(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


@dataclass(frozen=True)
class SamplePdf:
    """One converted document of one sample bundle, with the bundle it came from."""

    path: Path
    document: str
    recipient: str | None  # kind-id, as in the file name
    data: dict  # the bundle's JSON
    docx: bytes  # the filled DOCX the PDF was converted from


def convert_samples(pipeline, bundles: list[Path], out: Path) -> list[SamplePdf]:
    """Every requested document of each bundle, converted by one LibreOffice into ``out``."""
    from docgen.output import write_with_converter

    rendered, data = [], {}
    for source in bundles:
        bundle = pipeline.load(source)
        data[bundle.reference] = bundle.data
        rendered += pipeline.render(bundle)
    write_with_converter(rendered, out, fmt="pdf")
    made = []
    for result in rendered:
        assert result.ok, f"{result.case_reference} {result.doc_id}: {result.error}"
        recipient = result.recipient.slug if result.recipient else None
        made.append(SamplePdf(result.outputs["pdf"], result.doc_id, recipient, data[result.case_reference], result.docx))
    return made


@pytest.fixture(scope="session")
def sample_pdfs(pipeline, tmp_path_factory) -> list[SamplePdf]:
    """Every document every valid sample requests, as PDF: made once for the session."""
    return convert_samples(pipeline, VALID_SAMPLES, tmp_path_factory.mktemp("sample-pdfs"))


def person(data: dict, recipient: str) -> dict:
    """The family member or professional a ``kind-id`` recipient names."""
    pid = recipient.split("-", 1)[1]
    return next(p for group in ("family_members", "professionals") for p in data.get(group, []) if p["id"] == pid)
