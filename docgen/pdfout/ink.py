"""Where a page is printed on: text, images or drawn lines, as GOV.UK Notify sees it.

Pages are rendered in grey at a low resolution with poppler's ``pdftoppm``; a pixel darker than
the threshold is ink. This sees what pdftotext cannot, such as a logo, a rule or a line of text
drawn as curves, which is how Notify's own precompiled-letter validation looks at a letter.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from docgen.exceptions import ConvertError, PdfInputError

DPI = 50
MM_PER_PIXEL = 25.4 / DPI
DARK = 160  # grey levels below this count as ink (anti-aliased edges are lighter)
_INK = bytes(1 if level < DARK else 0 for level in range(256))


@dataclass(frozen=True)
class Box:
    """A rectangle in mm from the page's top-left corner."""

    left: float
    top: float
    right: float
    bottom: float

    def describe(self) -> str:
        return (
            f"at {self.left:.1f}-{self.right:.1f} mm from the left and "
            f"{self.top:.1f}-{self.bottom:.1f} mm from the top"
        )


@dataclass(frozen=True)
class PageInk:
    """One rendered page: a row of 0/1 bytes per pixel row, 1 where there is ink."""

    width: int
    height: int
    rows: tuple[bytes, ...]

    def reach(self) -> dict[str, float] | None:
        """The distance in mm from each edge (left, right, top, bottom) to the nearest ink,
        or None for a blank page."""
        found = self.ink_in(Box(0, 0, self.width * MM_PER_PIXEL, self.height * MM_PER_PIXEL))
        if found is None:
            return None
        return {
            "left": found.left,
            "right": self.width * MM_PER_PIXEL - found.right,
            "top": found.top,
            "bottom": self.height * MM_PER_PIXEL - found.bottom,
        }

    def ink_in(self, area: Box) -> Box | None:
        """The smallest box around the ink inside ``area`` (whole pixels only), or None."""
        first_x, last_x = _pixels(area.left, area.right, self.width)
        first_y, last_y = _pixels(area.top, area.bottom, self.height)
        left, right, top, bottom = last_x, -1, last_y, -1
        for y in range(first_y, last_y):
            row = self.rows[y]
            start = row.find(1, first_x, last_x)
            if start < 0:
                continue
            left, right = min(left, start), max(right, row.rfind(1, first_x, last_x))
            top, bottom = min(top, y), y
        if right < 0:
            return None
        mm = MM_PER_PIXEL
        return Box(left * mm, top * mm, (right + 1) * mm, (bottom + 1) * mm)


def _pixels(start_mm: float, end_mm: float, limit: int) -> tuple[int, int]:
    """The pixels lying wholly inside ``start_mm``-``end_mm``: an area is never blamed for the
    anti-aliased edge of ink just outside it."""
    first = max(0, int(-(-start_mm // MM_PER_PIXEL)))
    last = min(limit, int(end_mm // MM_PER_PIXEL))
    return first, max(first, last)


def render_pages(pdf_path: Path) -> list[PageInk]:
    """Every page of ``pdf_path`` rendered as ink and blank."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        message = "pdftoppm was not found; install it with: apt-get install -y poppler-utils."
        raise ConvertError(message)
    with tempfile.TemporaryDirectory(prefix="docgen-ink-") as tmp:
        done = subprocess.run(
            [pdftoppm, "-gray", "-r", str(DPI), str(pdf_path), f"{tmp}/page"],
            capture_output=True, check=False, timeout=120,
        )  # fmt: skip
        if done.returncode != 0:
            raise PdfInputError("The PDF could not be rendered by pdftoppm.", source=str(pdf_path))
        images = sorted(Path(tmp).glob("page-*.pgm"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        return [_page_ink(image.read_bytes()) for image in images]


def ink_reach(pdf_path: Path) -> list[dict[str, float] | None]:
    """For each page, the distance in mm from each edge to the nearest ink (None if blank)."""
    return [page.reach() for page in render_pages(pdf_path)]


def _page_ink(pgm: bytes) -> PageInk:
    magic, width, height, _maxval, pixels = _parse_pgm(pgm)
    if magic != b"P5":
        raise ValueError("pdftoppm did not write a binary greymap")
    rows = tuple(pixels[y * width : (y + 1) * width].translate(_INK) for y in range(height))
    return PageInk(width, height, rows)


def _parse_pgm(pgm: bytes) -> tuple[bytes, int, int, int, bytes]:
    """Split a binary PGM into magic number, width, height, maximum value and pixel bytes."""
    fields: list[bytes] = []
    position = 0
    while len(fields) < 4:
        while pgm[position : position + 1].isspace():
            position += 1
        end = position
        while not pgm[end : end + 1].isspace():
            end += 1
        fields.append(pgm[position:end])
        position = end
    position += 1  # the single whitespace byte before the pixels
    return fields[0], int(fields[1]), int(fields[2]), int(fields[3]), pgm[position:]
