"""Pages that look finished, on the PDF of every document of every sample and of a plan long
enough to run to three pages (issue 11, point 8).

LibreOffice really converts each filled DOCX; the checks read the PDF's words and their boxes
(``pdftotext -bbox``) beside the DOCX they came from:

- a document of several pages never ends on a page of a few stray lines: its last page starts
  a section (a heading, or a table's repeated header row) or holds a good part of a page;
- no table row is split across pages;
- no heading, or table header row, is the last thing on a page;
- the footer's title is the document's heading;
- no word is broken inside ("Excell/ent"): every word printed is a word of the document;
- the plan's "Next review" agrees with the review dates its body lists.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from collections import Counter

import docx
import pytest
from docx.oxml.ns import qn

from conftest import ROOT, SAMPLES, TODAY
from docgen.pipeline import Pipeline
from docgen.registry import Registry
from layout_helpers import convert_samples, pdf_pages, sample_pdfs, text_lines  # noqa: F401

pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="needs LibreOffice and poppler-utils",
)

FOOTER_MM = 12  # words within this distance of the page's foot are the footer
FULL_ENOUGH_LINES = 10  # a last page with this many lines is not a page of stray lines


def body_lines(page) -> list[str]:
    return text_lines([w for w in page.words if w.bottom < page.height - FOOTER_MM])


def footer_lines(page) -> list[str]:
    return text_lines([w for w in page.words if w.bottom >= page.height - FOOTER_MM])


def tokens(text: str) -> list[str]:
    """Words, split after hyphens and slashes too, since a line may break after one."""
    return [part for word in text.split() for part in re.split(r"(?<=[-/])", word) if part]


class Filled:
    """What the filled DOCX holds: headings, table header rows, table cells, words."""

    def __init__(self, content: bytes) -> None:
        document = docx.Document(io.BytesIO(content))
        self.headings = [p.text.strip() for p in document.paragraphs
                         if p.style.name.startswith("Heading") and p.text.strip()]
        self.title = next((p.text.strip() for p in document.paragraphs if p.style.name == "Heading 1"), None)
        self.table_headers, self.cells = [], []
        self.headers_over_text = []  # header rows whose first row below prints text
        for table in document.tables:
            for i, row in enumerate(table.rows):
                texts = [c.text.strip() for c in _unique(row.cells)]
                if i == 0 and row._tr.trPr is not None and row._tr.trPr.find(qn("w:tblHeader")) is not None:
                    self.table_headers.append(" ".join(t for t in texts if t))
                    if len(table.rows) > 1 and any(c.text.strip() for c in table.rows[1].cells):
                        self.headers_over_text.append(self.table_headers[-1])
                else:
                    self.cells += [t for t in texts if len(t.split()) > 1]
        text = [p.text for p in document.paragraphs] + [c.text for t in document.tables for r in t.rows for c in r.cells]
        for section in document.sections:
            text += [p.text for p in section.footer.paragraphs]
        self.words = {w for line in text for w in tokens(line)}

    def starts_section(self, line: str) -> bool:
        return line in self.headings or any(h.startswith(line) for h in self.table_headers)

    def is_heading_end(self, line: str) -> bool:
        """Whether ``line`` is a heading, a heading's last wrapped line, or a table header row
        (one over a row of text: a header over an empty box to write in cannot be told from it)."""
        ends = self.headings + self.headers_over_text
        return line in ends or (len(line.split()) > 1 and any(h.endswith(line) for h in ends))


def _unique(cells):
    seen = []
    for cell in cells:
        if not any(cell._tc is other._tc for other in seen):
            seen.append(cell)
    return seen


@pytest.fixture(scope="module")
def long_plan(tmp_path_factory):
    """A Worcestershire plan with many long actions and wishes: several pages of table rows."""
    data = json.loads((SAMPLES / "valid" / "worcestershire-child-in-need.json").read_text("utf-8"))
    plan = data["plan"]
    plan["what_is_important"] = [f"Wish {i}: the family wants to keep the things that help them. " * 3
                                 for i in range(1, 13)]
    base = plan["actions"]
    plan["actions"] = [dict(base[i % len(base)], what=f"Action {i}: " + base[i % len(base)]["what"] * (1 + i % 5))
                       for i in range(1, 31)]
    data["documents_requested"] = ["family-plan"]
    out = tmp_path_factory.mktemp("long-plan")
    (out / "long-plan.json").write_text(json.dumps(data), "utf-8")
    return convert_samples(Pipeline(Registry(ROOT / "templates"), today=TODAY), [out / "long-plan.json"], out)


@pytest.fixture(scope="module", params=["samples", "long plan"])
def documents(request):
    if request.param == "samples":
        made = [(x, pdf_pages(x.path), Filled(x.docx)) for x in request.getfixturevalue("sample_pdfs")]
        assert len({x.document for x, _, _ in made}) >= 13  # every kind of document
        assert sum(len(pages) > 1 for _, pages, _ in made) >= 10  # and enough that run to pages
    else:
        made = [(x, pdf_pages(x.path), Filled(x.docx)) for x in request.getfixturevalue("long_plan")]
        assert [len(pages) >= 3 for _, pages, _ in made] == [True]
    return made


def test_no_document_ends_on_a_page_of_a_few_stray_lines(documents):
    stray = []
    for sample, pages, filled in documents:
        if len(pages) == 1:
            continue
        last = body_lines(pages[-1])
        if len(last) < FULL_ENOUGH_LINES and not filled.starts_section(last[0]):
            stray.append(f"{sample.path.name}: last page starts mid-section with {last[0]!r} ({len(last)} lines)")
    assert stray == [], "\n".join(stray)


def test_no_heading_or_table_header_ends_a_page(documents):
    stranded = []
    for sample, pages, filled in documents:
        for number, page in enumerate(pages[:-1], start=1):
            last = body_lines(page)[-1]
            if filled.is_heading_end(last):
                stranded.append(f"{sample.path.name} page {number}: {last!r}")
    assert stranded == []


def test_no_table_row_is_split_across_pages(documents):
    split = []
    for sample, pages, filled in documents:
        if len(pages) == 1:
            continue
        on_page = [Counter(tokens(" ".join(w.text for w in page.words))) for page in pages]
        for cell in filled.cells:
            wanted = Counter(tokens(cell))
            if not any(not (wanted - page) for page in on_page):
                split.append(f"{sample.path.name}: {cell[:40]!r}")
    assert split == []


def test_every_word_printed_is_a_word_of_the_document(documents):
    """A word broken inside, as a narrow column breaks "Excellent" into "Excell" and "ent",
    prints two pieces that are not words of the document."""
    broken = []
    for sample, pages, filled in documents:
        for page in pages:
            for word in page.words:
                for piece in tokens(word.text):
                    # page numbers are fields; pdftotext runs symbols together ("✓ ✗" as "✓✗")
                    if piece not in filled.words and any(c.isalpha() for c in piece):
                        broken.append(f"{sample.path.name}: {piece!r}")
    assert broken == []


def test_the_footer_title_is_the_documents_heading(documents):
    wrong = []
    for sample, pages, filled in documents:
        if filled.title is None:  # letters have no title heading; their footer keeps the template's title
            continue
        for number, page in enumerate(pages, start=1):
            found = footer_lines(page)
            if len(found) != 1:
                wrong.append(f"{sample.path.name} page {number}: footer on {len(found)} lines: {found}")
                continue
            fields = [f.strip() for f in found[0].split("|")]
            if fields[1] != filled.title:
                wrong.append(f"{sample.path.name} page {number}: {fields[1]!r} under {filled.title!r}")
    assert wrong == []


def test_the_next_review_agrees_with_the_review_dates_listed(sample_pdfs):
    plans = [(s, pdf_pages(s.path)) for s in sample_pdfs if s.document == "family-plan"]
    assert len(plans) == 6  # every sample that asks for a plan
    seen = set()
    for sample, pages in plans:
        text = " ".join(line for page in pages for line in body_lines(page))
        (next_review,) = re.findall(r"Next review (To be agreed|\d{1,2} [A-Z][a-z]+ \d{4})", text)
        listed = re.search(r"We will review the plan together on (.+?)\.", text)
        if listed:
            first = re.match(r"\d{1,2} [A-Z][a-z]+ \d{4}", listed.group(1)).group(0)
            assert next_review == first, sample.path.name
            seen.add("dates")
        else:
            assert "We will agree a review date." in text, sample.path.name
            assert next_review == "To be agreed", sample.path.name
            seen.add("to be agreed")
    assert seen == {"dates", "to be agreed"}  # the samples have both kinds
