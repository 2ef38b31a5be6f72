"""Fonts a PDF uses without carrying them: Notify prints letters only with embedded fonts,
since a printer's substitute changes where every line falls."""

from __future__ import annotations

from pypdf import PdfReader
from pypdf.generic import DictionaryObject

FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


def unembedded_fonts(reader: PdfReader) -> list[tuple[int, str]]:
    """(page number, font name) for each font a page uses that the file does not embed,
    each font named once, on the first page that uses it. Type 3 fonts draw their glyphs in
    the file itself, so they count as embedded."""
    found: list[tuple[int, str]] = []
    seen: set[str] = set()
    for number, page in enumerate(reader.pages, start=1):
        for font in _page_fonts(page):
            name = str(font.get("/BaseFont", "/unnamed")).lstrip("/")
            if name not in seen and not _embedded(font):
                seen.add(name)
                found.append((number, name))
    return found


def _page_fonts(page) -> list[DictionaryObject]:
    """The fonts in a page's resources and in those of the form XObjects it draws."""
    fonts, pending, visited = [], [page.get("/Resources")], set()
    while pending:
        resources = pending.pop()
        resources = resources.get_object() if resources is not None else None
        if not isinstance(resources, DictionaryObject) or id(resources) in visited:
            continue
        visited.add(id(resources))
        for font in (resources.get("/Font") or DictionaryObject()).get_object().values():
            fonts.append(font.get_object())
        for xobject in (resources.get("/XObject") or DictionaryObject()).get_object().values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                pending.append(xobject.get("/Resources"))
    return fonts


def _embedded(font: DictionaryObject) -> bool:
    if font.get("/Subtype") == "/Type3":
        return True
    if font.get("/Subtype") == "/Type0":
        return all(_embedded(d.get_object()) for d in font.get("/DescendantFonts").get_object())
    descriptor = font.get("/FontDescriptor")
    descriptor = descriptor.get_object() if descriptor is not None else {}
    return any(key in descriptor for key in FONT_FILES)
