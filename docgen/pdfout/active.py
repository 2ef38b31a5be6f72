"""Active content in a PDF: what runs or reaches outside when the file is opened or clicked.

GOV.UK Notify refuses letters carrying active content: JavaScript, launch actions, form
submissions, actions run on opening (``/OpenAction``) or on an event (``/AA``). A print pack
passes on neither that nor links to outside addresses or files.
"""

from __future__ import annotations

from collections.abc import Iterator

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject

# Actions that run code, start programs or send data: active content.
ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/Rendition", "/Movie",
                  "/Sound"}  # fmt: skip
# Links out of the file: harmless to Notify, but not for a pack to pass on.
OUTSIDE_LINKS = {"/URI", "/GoToR", "/GoToE"}
WHAT = {
    "/JavaScript": "JavaScript",
    "/Launch": "a launch action (starts a program or opens a file)",
    "/SubmitForm": "a form submission to an outside address",
    "/ImportData": "an import of outside data",
}


def _resolved(value):
    return value.get_object() if value is not None else None


def _actions(action) -> Iterator[str]:
    """The kinds (``/S``) of an action and of the actions chained after it (``/Next``)."""
    seen: set[int] = set()
    pending = [action]
    while pending:
        current = _resolved(pending.pop())
        if isinstance(current, ArrayObject):
            pending.extend(current)
            continue
        if not isinstance(current, DictionaryObject) or id(current) in seen:
            continue
        seen.add(id(current))
        if "/S" in current:
            yield str(current["/S"])
        if "/Next" in current:
            pending.append(current["/Next"])


def _describe(kinds: Iterator[str], of_interest: set[str] = ACTIVE_ACTIONS) -> str | None:
    found = [WHAT.get(kind, kind.lstrip("/")) for kind in kinds if kind in of_interest]
    return ", ".join(dict.fromkeys(found)) or None


def find_active_content(reader: PdfReader) -> list[tuple[int | None, str]]:
    """Each piece of active content as (page number or None for the document, what and where).
    Links to outside addresses are not active content: on paper they do nothing."""
    found: list[tuple[int | None, str]] = []
    root = reader.trailer["/Root"].get_object()
    if "/OpenAction" in root:
        what = _describe(_actions(root["/OpenAction"]))
        if what:
            found.append((None, f"the document runs {what} when it is opened (/OpenAction)"))
    if "/AA" in root:
        found.append((None, "the document has actions run on events (/AA)"))
    names = _resolved(root.get("/Names"))
    if isinstance(names, DictionaryObject) and "/JavaScript" in names:
        found.append((None, "the document carries JavaScript (/Names /JavaScript)"))
    acroform = _resolved(root.get("/AcroForm"))
    if isinstance(acroform, DictionaryObject) and "/XFA" in acroform:
        found.append((None, "the document carries an XFA form, which can run scripts"))
    for number, page in enumerate(reader.pages, start=1):
        if "/AA" in page:
            found.append((number, "the page has actions run when it is opened or closed (/AA)"))
        for annotation in _resolved(page.get("/Annots")) or []:
            annotation = _resolved(annotation)
            if not isinstance(annotation, DictionaryObject):
                continue
            what = _describe(_actions(annotation.get("/A")))
            if what:
                found.append((number, f"a {_kind(annotation)} on the page runs {what}"))
            if "/AA" in annotation:
                found.append((number, f"a {_kind(annotation)} on the page has actions run on events (/AA)"))
    return found


def _kind(annotation: DictionaryObject) -> str:
    subtype = str(annotation.get("/Subtype", "/Annot")).lstrip("/")
    return {"Link": "link", "Widget": "form field"}.get(subtype, f"{subtype} annotation")


def strip_active_content(writer: PdfWriter) -> None:
    """Remove every action that runs code or reaches outside from ``writer``'s document and
    pages: page and annotation ``/AA``, annotations whose action does that, the document's
    ``/OpenAction``, ``/AA`` and named JavaScript. Links within the document stay."""
    root = writer._root_object
    for key in ("/OpenAction", "/AA"):
        if key in root:
            del root[key]
    names = _resolved(root.get("/Names"))
    if isinstance(names, DictionaryObject) and "/JavaScript" in names:
        del names["/JavaScript"]
    for page in writer.pages:
        if "/AA" in page:
            del page[NameObject("/AA")]
        annotations = _resolved(page.get("/Annots"))
        if not annotations:
            continue
        kept = ArrayObject()
        for reference in annotations:
            annotation = _resolved(reference)
            if isinstance(annotation, DictionaryObject):
                if _describe(_actions(annotation.get("/A")), ACTIVE_ACTIONS | OUTSIDE_LINKS):
                    continue
                if "/AA" in annotation:
                    del annotation[NameObject("/AA")]
            kept.append(reference)
        page[NameObject("/Annots")] = kept
