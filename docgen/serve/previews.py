"""A batch's documents as page images and text, for the preview and sign-off pages.

A PDF's pages are drawn by poppler's ``pdftoppm``; a Word file is first made into a PDF by the
server's warm LibreOffice (the converter the API uses). The PDF made and each page drawn are
kept in the job's own folder (``jobs/<id>/previews/``), named by the file's SHA-256: a page is
drawn once however often it is looked at, a file made again is drawn again, and the cache holds
case data no longer than the job that made it.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from pathlib import Path

import docx
from pypdf import PdfReader

from docgen.atomic import private_folder, write_atomic
from docgen.authoring.preview import page_png

PREVIEW_DPI = 80


class Previews:
    """Page images of the files of one job (or of one template check: :mod:`candidate_pages`).
    ``converter`` gives the server's shared converter (started on first use); ``scratch`` is a
    private folder for LibreOffice's output. Both are needed only to draw, not to find a page."""

    def __init__(self, folder: Path, converter: Callable[[], object] | None = None, scratch: Path | None = None) -> None:
        self.folder = folder
        self._converter = converter
        self._scratch = scratch

    def page_count(self, path: Path) -> int:
        """How many pages the document has as it would be printed."""
        return len(PdfReader(self.pdf(path)).pages)

    def page(self, path: Path, number: int) -> bytes:
        """Page ``number`` (from 1) as a PNG, drawn once and kept."""
        return self.draw(path, number).read_bytes()

    def draw(self, path: Path, number: int) -> Path:
        """Where page ``number`` of the file is kept, drawn first if it is not yet."""
        png = self.page_path(path, number)
        if not png.is_file():
            private_folder(png.parent)
            write_atomic(png, page_png(self.pdf(path), number, dpi=PREVIEW_DPI), durable=False)
        return png

    def page_path(self, path: Path, number: int) -> Path:
        """Where page ``number`` of the file is kept once drawn (named by the file's SHA-256)."""
        return self._cached(path, f"page-{number}.png")

    def pdf(self, path: Path) -> Path:
        """The PDF the pages are drawn from: the file itself, or a Word file converted once."""
        if path.suffix == ".pdf":
            return path
        made = self._cached(path, "document.pdf")
        if not made.is_file():
            private_folder(made.parent)
            with tempfile.TemporaryDirectory(dir=self._scratch, prefix="preview-") as work:
                converted = self._converter().convert(path, Path(work) / "document.pdf")
                write_atomic(made, converted.read_bytes(), durable=False)
        return made

    def _cached(self, path: Path, name: str) -> Path:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return self.folder / digest / name


def document_text(path: Path) -> list[str]:
    """The document's text, paragraph by paragraph (PDF: line by line), shown beside its pages."""
    if path.suffix == ".pdf":
        return [line for page in PdfReader(path).pages for line in (page.extract_text() or "").splitlines()]
    return [p.text for p in docx.Document(str(path)).paragraphs]
