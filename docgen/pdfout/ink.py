"""How close to each page edge anything is printed: text, images or drawn lines.

Pages are rendered in grey at a low resolution with poppler's ``pdftoppm``; a pixel darker than
the threshold is ink. This sees what pdftotext cannot, such as a logo or a rule in a margin.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from docgen.exceptions import ConvertError, PdfInputError

DPI = 50
DARK = 160  # grey levels below this count as ink (anti-aliased edges are lighter)
_INK = bytes(1 if level < DARK else 0 for level in range(256))


def ink_reach(pdf_path: Path) -> list[dict[str, float] | None]:
    """For each page, the distance in mm from each edge (left, right, top, bottom) to the
    nearest ink, or None for a blank page."""
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
        return [_reach(image.read_bytes()) for image in sorted(Path(tmp).glob("page-*.pgm"))]


def _reach(pgm: bytes) -> dict[str, float] | None:
    magic, width, height, _maxval, pixels = _parse_pgm(pgm)
    if magic != b"P5":
        raise ValueError("pdftoppm did not write a binary greymap")
    left, right, top, bottom = width, -1, height, -1
    for y in range(height):
        row = pixels[y * width : (y + 1) * width].translate(_INK)
        first = row.find(1)
        if first < 0:
            continue
        left, right = min(left, first), max(right, row.rfind(1))
        top, bottom = min(top, y), y
    if right < 0:
        return None
    mm = 25.4 / DPI
    return {
        "left": left * mm,
        "right": (width - 1 - right) * mm,
        "top": top * mm,
        "bottom": (height - 1 - bottom) * mm,
    }


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
