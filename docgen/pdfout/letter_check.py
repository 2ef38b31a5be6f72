"""Check a letter PDF against GOV.UK Notify's precompiled-letter rules, from the PDF itself.

Word positions come from poppler's ``pdftotext -bbox`` rather than pypdf's text visitor: poppler
gives every word a finished box in page coordinates (top-left origin, after text and page
matrices and rotation), where the visitor gives only the start point of each text run and
leaves glyph widths to us. Poppler's boxes use the font's bounding box, a little taller than
the glyphs, so the check errs on the strict side: a letter that passes here has its text
inside the zones with room to spare.

Ink (text, images, drawn lines) is also checked on pages rendered by ``pdftoppm``, as Notify
checks it (see :mod:`docgen.pdfout.ink`): nothing in the margins of any page, and on page 1
nothing outside the areas Notify leaves to the sender (logo, contact details, address window,
body). Fonts must be embedded and nothing may run when the letter is opened.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from docgen.exceptions import ConvertError, PdfInputError
from docgen.letter_layout import ADDRESS_LINES, MM
from docgen.pdfout.active import find_active_content
from docgen.pdfout.fonts import unembedded_fonts
from docgen.pdfout.ink import DPI, Box, PageInk, render_pages
from docgen.pdfout.pdffile import open_pdf

A4_MM = (210.0, 297.0)
SIZE_TOLERANCE_MM = 1.0
MAX_PAGES = 10
MARGINS_MM = {"left": 15.0, "right": 15.0, "top": 5.0, "bottom": 5.0}
INK_GRACE_MM = 25.4 / DPI
ADDRESS_BOX_MM = (24.6, 39.5, 120.0, 66.3)  # left, top, right, bottom from the top-left corner
POSTCODE = re.compile(r"^(GIR ?0AA|[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})$")
XHTML = "{http://www.w3.org/1999/xhtml}"
BOX_TEXT = "the address box (24.6-120 mm from the left, 39.5-66.3 mm from the top)"
# Page 1's space inside the margins that belongs to none of Notify's areas: the logo (15-125 mm
# across, 5-30 mm down), the sender's contact details (125-195 across, 5-95 down), the address
# window and the body (from 95 mm down). Notify prints nothing there.
PAGE_ONE_GAPS = (
    ("between the logo area (to 30 mm down) and the address window (from 39.5 mm down)",
     Box(15.0, 30.0, 125.0, 39.5)),
    ("left of the address window (24.6 mm from the left)", Box(15.0, 39.5, 24.6, 66.3)),
    ("between the address window (to 120 mm across) and the contact details area "
     "(from 125 mm across)", Box(120.0, 39.5, 125.0, 66.3)),
    ("between the address window (to 66.3 mm down) and the body (from 95 mm down)",
     Box(15.0, 66.3, 125.0, 95.0)),
)  # fmt: skip


@dataclass(frozen=True)
class LetterProblem:
    """One way a letter breaks Notify's rules; ``message`` says what and where, in mm."""

    code: str
    message: str
    page: int | None = None

    def __str__(self) -> str:
        return f"page {self.page}: {self.message}" if self.page else self.message

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Word:
    """A word's box in mm from the page's top-left corner, and its text."""

    left: float
    top: float
    right: float
    bottom: float
    text: str


def check_letter(
    pdf_path: Path, password: str | None = None, *, password_option: str | None = None
) -> list[LetterProblem]:
    """Every way ``pdf_path`` breaks Notify's precompiled-letter rules; empty when it passes.

    ``password`` opens an encrypted letter (``password_option`` names where a user gives it).
    Raises PdfInputError naming the file when it is not a readable PDF.
    """
    pdf_path = Path(pdf_path)
    reader = open_pdf(pdf_path, password, password_option=password_option)
    problems: list[LetterProblem] = []
    if len(reader.pages) > MAX_PAGES:
        problems.append(
            LetterProblem(
                "page-count",
                f"the letter has {len(reader.pages)} pages; Notify accepts at most {MAX_PAGES}",
            )
        )
    with _readable_copy(pdf_path, reader) as plain:
        pages = read_words(plain)
        inks = render_pages(plain)
    for number, ((size, words), ink) in enumerate(zip(pages, inks, strict=True), start=1):
        problems += _check_size(number, size)
        problems += _check_margins(number, size, words, ink)
    if pages:
        problems += _check_page_one_areas(inks[0])
        problems += check_address(pages[0][1], inks[0])
    for page, name in unembedded_fonts(reader):
        message = f"the font {name} is not embedded; Notify needs every font embedded"
        problems.append(LetterProblem("font-not-embedded", message, page))
    for page, what in find_active_content(reader):
        message = f"{what}; Notify refuses letters with active content"
        problems.append(LetterProblem("active-content", message, page))
    return problems


@contextmanager
def _readable_copy(pdf_path: Path, reader: PdfReader) -> Iterator[Path]:
    """``pdf_path`` itself, or for an encrypted letter a decrypted copy in a private temporary
    folder, so that poppler never needs the password on its command line (where other users
    could read it)."""
    if not reader.is_encrypted:
        yield pdf_path
        return
    writer = PdfWriter(clone_from=reader)
    buffer = io.BytesIO()
    writer.write(buffer)
    with tempfile.TemporaryDirectory(prefix="docgen-letter-") as folder:
        plain = Path(folder) / "letter.pdf"
        plain.write_bytes(buffer.getvalue())
        yield plain


def read_words(pdf_path: Path) -> list[tuple[tuple[float, float], list[Word]]]:
    """Each page's (width, height) in mm and its words, as poppler's pdftotext lays them out."""
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        raise ConvertError(
            "pdftotext was not found; install it with: apt-get install -y poppler-utils."
        )
    done = subprocess.run(
        [pdftotext, "-bbox", str(pdf_path), "-"], capture_output=True, check=False, timeout=120
    )
    if done.returncode != 0:
        raise PdfInputError("The PDF could not be read by pdftotext.", source=str(pdf_path))
    try:
        root = ET.fromstring(done.stdout)
    except ET.ParseError as e:
        raise PdfInputError("pdftotext gave unreadable output.", source=str(pdf_path)) from e
    pages = []
    for page in root.iter(f"{XHTML}page"):
        size = (float(page.get("width", 0)) / MM, float(page.get("height", 0)) / MM)
        words = [
            Word(*(float(w.get(k, 0)) / MM for k in ("xMin", "yMin", "xMax", "yMax")), w.text or "")
            for w in page.iter(f"{XHTML}word")
        ]
        pages.append((size, words))
    return pages


def _check_size(number: int, size: tuple[float, float]) -> list[LetterProblem]:
    width, height = size
    if abs(width - A4_MM[0]) <= SIZE_TOLERANCE_MM and abs(height - A4_MM[1]) <= SIZE_TOLERANCE_MM:
        return []
    shape = "landscape" if width > height else "portrait"
    message = (
        f"the page is {width:.0f} x {height:.0f} mm ({shape}); "
        "Notify needs A4 portrait, 210 x 297 mm"
    )
    return [LetterProblem("page-size", message, number)]


def _check_margins(
    number: int, size: tuple[float, float], words: list[Word], page: PageInk
) -> list[LetterProblem]:
    """Text by its word boxes; then ink (images, lines) on the sides where the text is clear.
    Each problem says how close to the edge it comes and where along the edge it is.

    Ink is measured to the pixel, so it is given one pixel's grace.
    """
    width, height = size
    ink = page.reach()
    problems = []
    for side, margin in MARGINS_MM.items():
        strip = {
            "left": Box(0, 0, margin, height),
            "right": Box(width - margin, 0, width, height),
            "top": Box(0, 0, width, margin),
            "bottom": Box(0, height - margin, width, height),
        }[side]
        inside = [w for w in words if w.left < strip.right and w.right > strip.left
                  and w.top < strip.bottom and w.bottom > strip.top]  # fmt: skip
        if inside:
            what, found = "text", _box_of(inside)
        elif ink and ink[side] + INK_GRACE_MM < margin:
            what, found = "an image or drawing", page.ink_in(strip)
        else:
            continue
        distance = {"left": found.left, "right": width - found.right, "top": found.top,
                    "bottom": height - found.bottom}[side] if found else ink[side]  # fmt: skip
        where = f", {found.describe()}" if found else ""
        message = (
            f"{what} reaches {max(distance, 0):.1f} mm from the {side} edge, inside the "
            f"{margin:g} mm {side} margin{where}"
        )
        problems.append(LetterProblem("margin", message, number))
    return problems


def _check_page_one_areas(ink: PageInk) -> list[LetterProblem]:
    """Ink on page 1 between Notify's areas, inside the margins (the margins are checked
    on every page by :func:`_check_margins`)."""
    problems = []
    for name, gap in PAGE_ONE_GAPS:
        found = ink.ink_in(gap)
        if found:
            message = f"something is printed {name}, {found.describe()}; Notify prints nothing there"
            problems.append(LetterProblem("page-one-area", message, 1))
    return problems


def check_address(words: list[Word], ink: PageInk | None = None) -> list[LetterProblem]:
    """Problems with page 1's address: where it is, how many lines, the postcode, intruders
    (text, or with ``ink`` anything printed above or below the address in the window)."""
    lines, problems = [], []
    for line in _lines([w for w in words if _overlaps_box(w)]):
        if all(_inside_box(w) for w in line):
            lines.append(line)
        else:
            message = f"text crosses the edge of the address box, {_where(line)}"
            problems.append(LetterProblem("address-box-edge", message, 1))
    if not lines:
        message = f"no address text was found inside {BOX_TEXT}"
        return problems + [LetterProblem("address-missing", message, 1)]
    address, others = _address_block(lines)
    text_out_of_place = bool(problems or others)  # named by its text; ink would name it twice
    for line in others:
        message = f"text inside the address box is not part of the address, {_where(line)}"
        problems.append(LetterProblem("address-box-intrusion", message, 1))
    low, high = ADDRESS_LINES
    if not low <= len(address) <= high:
        count = f"{len(address)} line{'s' if len(address) != 1 else ''}"
        message = f"the address has {count}; Notify needs {low} to {high}"
        problems.append(LetterProblem("address-lines", message, 1))
    if ink is not None and not text_out_of_place:
        problems += _ink_around_address(address, ink)
    last = " ".join(w.text for w in address[-1]).upper()
    if not POSTCODE.match(" ".join(last.split())):
        message = "the last line of the address is not a UK postcode"
        problems.append(LetterProblem("address-postcode", message, 1))
    return problems


def _ink_around_address(address: list[list[Word]], ink: PageInk) -> list[LetterProblem]:
    """Ink in the address window above the address's first line or below its last (images,
    lines, text drawn as shapes): Notify wants the address alone in the window."""
    left, top, right, bottom = ADDRESS_BOX_MM
    first_top = min(w.top for w in address[0])
    last_bottom = max(w.bottom for w in address[-1])
    problems = []
    for area in (Box(left, top, right, first_top), Box(left, last_bottom, right, bottom)):
        found = ink.ink_in(area) if area.bottom > area.top else None
        if found:
            message = f"something other than the address is printed in the address box, {found.describe()}"
            problems.append(LetterProblem("address-box-intrusion", message, 1))
    return problems


def _overlaps_box(word: Word) -> bool:
    left, top, right, bottom = ADDRESS_BOX_MM
    return word.left < right and word.right > left and word.top < bottom and word.bottom > top


def _inside_box(word: Word) -> bool:
    left, top, right, bottom = ADDRESS_BOX_MM
    return word.left >= left and word.right <= right and word.top >= top and word.bottom <= bottom


def _lines(words: list[Word]) -> list[list[Word]]:
    """Group words into lines, top to bottom, each line's words left to right."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.top, w.left)):
        if lines:
            current = lines[-1]
            mid = (word.top + word.bottom) / 2
            if current[0].top <= mid <= current[0].bottom:
                current.append(word)
                continue
        lines.append([word])
    return [sorted(line, key=lambda w: w.left) for line in lines]


def _address_block(lines: list[list[Word]]) -> tuple[list[list[Word]], list[list[Word]]]:
    """Split the box's lines into the address (aligned, evenly spaced from the first line) and
    the rest: lines after a gap wider than a line, or starting more than 2 mm off its left edge.
    """
    first = lines[0]
    height = first[0].bottom - first[0].top
    address, others = [first], []
    for line in lines[1:]:
        gap = line[0].top - address[-1][0].bottom
        aligned = abs(line[0].left - first[0].left) <= 2.0
        if aligned and gap <= height and not others:
            address.append(line)
        else:
            others.append(line)
    return address, others


def _box_of(words: list[Word]) -> Box:
    return Box(min(w.left for w in words), min(w.top for w in words),
               max(w.right for w in words), max(w.bottom for w in words))  # fmt: skip


def _where(line: list[Word]) -> str:
    return _box_of(line).describe()
