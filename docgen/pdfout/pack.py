"""Merge letters into one print-ready pack with a contents page, ready for duplex printing."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from docgen.pdfout.active import strip_active_content
from docgen.pdfout.letters import LETTER_NAME
from docgen.pdfout.pdffile import open_pdf, write_pdf

A4 = (595.28, 841.89)  # points
ROWS_PER_PAGE = 40
TOP, LEFT, RIGHT = 770.0, 70.0, 525.0
LEADING = 16.0
MAX_LABEL = 70


@dataclass(frozen=True)
class PackEntry:
    """Where one item of a pack starts (1-based page number) and how many pages it has."""

    label: str
    first_page: int
    pages: int


@dataclass(frozen=True)
class Pack:
    """A pack as written: its path, where each item starts, and its total page count."""

    path: Path
    entries: list[PackEntry]
    pages: int



def in_recipient_order(paths: list[Path]) -> list[Path]:
    """``paths`` grouped by case and recipient, so each person's letters are together: cases
    in the order given, the family's before agencies', each recipient's documents in the order
    given. Files not named by docgen keep their place among the cases."""
    first_seen: dict[object, int] = {}

    def key(item: tuple[int, Path]):
        index, path = item
        match = LETTER_NAME.match(path.stem)
        if not match:
            return (first_seen.setdefault(("file", index), len(first_seen)), 0, 0, index)
        case, recipient = match["case"], match["recipient"]
        return (
            first_seen.setdefault(("case", case), len(first_seen)),
            0 if match["kind"] == "family" else 1,
            first_seen.setdefault((case, recipient), len(first_seen)),
            index,
        )

    keys = [key(item) for item in enumerate(paths)]  # first_seen fills in the order given
    return [path for _, path in sorted(zip(keys, paths), key=lambda pair: pair[0])]


def make_pack(items: list[tuple[str, Path]], out: Path, duplex: bool = True) -> Pack:
    """Merge ``items`` (label, PDF) in the order given into ``out``, after a contents page.

    With ``duplex`` every item starts on an odd page, the front of a new sheet: a blank page
    follows the contents and any item with an odd page count. Each item gets a bookmark. Every
    input is read before anything is written; ``out`` is replaced atomically. Active content
    the inputs carry (scripts, launch actions, links to outside addresses) is left out, so a
    pack printed or opened runs nothing and reaches nowhere.
    """
    readers = [(label, open_pdf(Path(path))) for label, path in items]
    contents_pages = max(1, math.ceil(len(readers) / ROWS_PER_PAGE))
    entries, next_page = [], contents_pages + _padding(contents_pages, duplex) + 1
    for label, reader in readers:
        count = len(reader.pages)
        entries.append(PackEntry(label, next_page, count))
        next_page += count + _padding(count, duplex)

    writer = PdfWriter()
    for start in range(0, max(1, len(entries)), ROWS_PER_PAGE):
        _add_contents_page(writer, entries[start : start + ROWS_PER_PAGE], first=start == 0)
    if _padding(contents_pages, duplex):
        writer.add_blank_page(*A4)
    for entry, (_, reader) in zip(entries, readers, strict=True):
        _append(writer, reader)
        writer.add_outline_item(title=_clip(entry.label), page_number=entry.first_page - 1)
        if _padding(entry.pages, duplex):
            last = reader.pages[-1].mediabox
            writer.add_blank_page(float(last.width), float(last.height))
    strip_active_content(writer)
    write_pdf(writer, Path(out))
    return Pack(Path(out), entries, len(writer.pages))


def _padding(pages: int, duplex: bool) -> int:
    return 1 if duplex and pages % 2 else 0


def _append(writer: PdfWriter, reader: PdfReader) -> None:
    for page in reader.pages:
        writer.add_page(page)


def _add_contents_page(writer: PdfWriter, entries: list[PackEntry], *, first: bool) -> None:
    lines = ["BT"]
    y = TOP
    if first:
        lines += [f"/F2 16 Tf {LEFT} {y} Td ({_pdf_text('Contents')}) Tj"]
        y -= 2 * LEADING
        lines += [f"/F2 11 Tf 1 0 0 1 {LEFT} {y} Tm ({_pdf_text('Document')}) Tj"]
        lines += [_right_aligned("Page", y, bold=True)]
        y -= LEADING * 1.5
    for entry in entries:
        lines += [f"/F1 11 Tf 1 0 0 1 {LEFT} {y} Tm ({_pdf_text(_clip(entry.label))}) Tj"]
        lines += [_right_aligned(str(entry.first_page), y)]
        y -= LEADING
    lines += ["ET"]
    page = writer.add_blank_page(*A4)
    fonts = DictionaryObject()
    for name, base in (("/F1", "/Helvetica"), ("/F2", "/Helvetica-Bold")):
        fonts[NameObject(name)] = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject(base),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        )
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
    stream = DecodedStreamObject()
    stream.set_data("\n".join(lines).encode("ascii"))
    page.replace_contents(stream)


def _right_aligned(text: str, y: float, *, bold: bool = False) -> str:
    # Helvetica's digits are 0.556 em wide; "Page" in Helvetica-Bold is 2.389 em.
    width = 2.389 * 11 if bold else 0.556 * 11 * len(text)
    font = "/F2" if bold else "/F1"
    return f"{font} 11 Tf 1 0 0 1 {RIGHT - width:.2f} {y} Tm ({_pdf_text(text)}) Tj"


def _clip(label: str) -> str:
    label = " ".join(label.split())
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 3] + "..."


def _pdf_text(text: str) -> str:
    """``text`` as the inside of a PDF literal string in WinAnsi, escaped."""
    raw = text.encode("cp1252", errors="replace")
    out = []
    for byte in raw:
        char = chr(byte)
        if char in "()\\":
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return "".join(out)
