"""Template sanitising: what a Word template carries besides its wording never reaches a reader.

Applied once, when a template is compiled (:class:`docgen.render.engine.CompiledTemplate`), so
every document made from it is clean whatever the template's author left in it:

- comments, their extended data and the list of reviewers (``word/comments*.xml``,
  ``word/people.xml``) are dropped with their relationships and content types, and comment
  ranges and references are taken out of the text;
- tracked changes are accepted: insertions and moves-to are kept as plain text, deletions and
  moves-from are dropped, formatting-change records removed; revision tracking is turned off;
- hidden text (``w:vanish``, directly or through a style) is removed;
- fields whose remembered result names a person (AUTHOR, USERNAME, LASTSAVEDBY...) are removed;
- ``docProps/app.xml`` loses Company, Manager, Template, HyperlinkBase and the titles of parts;
  the thumbnail, custom XML (SharePoint metadata), the glossary (building blocks), document
  variables, mail-merge settings and the attached template's path are dropped (``docProps/core.xml`` and ``custom.xml`` are
  written fresh for each document by the engine);
- every XML part is parsed without DTDs, entities or network access; a part that declares a
  DOCTYPE, a template with macros, or a link to an outside file other than a hyperlink is
  refused with :class:`TemplateSecurityError`.
"""

from __future__ import annotations

import posixpath
import re

from lxml import etree

from docgen.exceptions import TemplateError, TemplateSecurityError
from docgen.render import package

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{W}}}"
_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
_APP = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"

# A parser that never reads a DTD, expands an entity or touches the network.
SAFE_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
)

REQUIRED_PARTS = ("[Content_Types].xml", "_rels/.rels", "word/document.xml")
_DROPPED_PART = re.compile(
    r"^(word/comments[A-Za-z]*\.xml|word/people\.xml|docProps/thumbnail\.[a-z]+|"
    r"customXml/.*|word/_rels/comments[A-Za-z]*\.xml\.rels|word/glossary/.*)$"
)
_MACROS = re.compile(r"(^|/)vbaProject\.bin$|(^|/)vbaData\.xml$", re.IGNORECASE)
_STORY_PART = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")
_KEEP_EXTERNAL = {"http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"}
_ATTACHED_TEMPLATE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate"

# Elements removed with everything in them.
_DROPPED = {
    f"{_W}{name}"
    for name in (
        "del", "moveFrom", "moveFromRangeStart", "moveFromRangeEnd", "moveToRangeStart",
        "moveToRangeEnd", "commentRangeStart", "commentRangeEnd", "commentReference",
        "rPrChange", "pPrChange", "sectPrChange", "tblPrChange", "tblGridChange", "trPrChange",
        "tcPrChange", "tblPrExChange", "numberingChange", "cellIns", "cellDel", "cellMerge",
        "customXmlInsRangeStart", "customXmlInsRangeEnd", "customXmlDelRangeStart",
        "customXmlDelRangeEnd", "customXmlMoveFromRangeStart", "customXmlMoveFromRangeEnd",
        "customXmlMoveToRangeStart", "customXmlMoveToRangeEnd", "dataBinding",
    )
}
# Elements replaced by their children: accepted insertions and moves.
_UNWRAPPED = {f"{_W}ins", f"{_W}moveTo"}
# Marks on properties (an inserted or deleted paragraph mark or row), dropped; a deleted row goes.
_MARKS = {f"{_W}ins", f"{_W}del", f"{_W}moveFrom", f"{_W}moveTo"}
_PROPERTIES = {f"{_W}rPr", f"{_W}trPr", f"{_W}pPr"}
_PERSONAL_FIELDS = re.compile(
    r"^\s*(AUTHOR|USERNAME|USERINITIALS|USERADDRESS|LASTSAVEDBY|TEMPLATE|COMMENTS|"
    r"DOCPROPERTY\s+\"?(Company|Manager|Author|Comments|LastSavedBy|Template))\b",
    re.IGNORECASE,
)
_SETTINGS_DROPPED = {f"{_W}{n}" for n in ("trackRevisions", "attachedTemplate", "docVars", "mailMerge", "revisionView")}
_APP_BLANKED = {f"{{{_APP}}}{n}" for n in ("Company", "Manager", "Template", "HyperlinkBase")}
_APP_DROPPED = {f"{{{_APP}}}{n}" for n in ("TitlesOfParts", "HeadingPairs")}


def sanitize(blob: bytes, label: str) -> bytes:
    """The template ``blob`` (a .docx) with everything listed in the module doc removed."""
    entries = _read(blob, label)
    for name in REQUIRED_PARTS:
        if name not in entries:
            raise TemplateError(f"The template is not a Word document: it has no {name}.", source=label)
    for name in entries:
        if _MACROS.search(name):
            raise TemplateSecurityError(
                "The template contains macros; save it as a Word document (.docx) without them.",
                source=label,
            )
    dropped = {name for name in entries if _DROPPED_PART.match(name)}
    hidden_styles = _hidden_styles(entries.get("word/styles.xml"), label)
    out: list[package.Entry] = []
    for name, entry in entries.items():
        if name in dropped:
            continue
        if not name.endswith((".xml", ".rels")):
            out.append(entry)
            continue
        root = parse_xml(entry, label)
        if name.endswith(".rels"):
            changed = _clean_relationships(root, name, dropped, label)
        elif name == "[Content_Types].xml":
            changed = _clean_content_types(root, dropped)
        elif _STORY_PART.match(name):
            changed = clean_story(root, hidden_styles)
        elif name == "word/settings.xml":
            changed = _drop_children(root, _SETTINGS_DROPPED)
        elif name == "docProps/app.xml":
            changed = _clean_app(root)
        else:
            changed = False
        if changed:
            xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            out.append(package.compressed(name, xml))
        else:
            out.append(entry)
    return package.write_zip(out)


def _read(blob: bytes, label: str) -> dict[str, package.Entry]:
    try:
        entries = package.read_entries(blob)
        package.verify(entries)
    except package.PackageError as e:
        error = TemplateSecurityError if e.too_large else TemplateError
        raise error(f"The template is not a Word file docgen will read: {e}.", source=label) from e
    return entries


def parse_xml(entry: package.Entry, label: str) -> etree._Element:
    """One part parsed safely; a DOCTYPE (entities, external files) is refused outright."""
    try:
        content = package.inflate(entry)
        root = etree.fromstring(content, SAFE_PARSER)
    except package.PackageError as e:
        raise TemplateError(f"The template is damaged: {e}.", source=label) from e
    except etree.XMLSyntaxError as e:
        raise TemplateError(f"The template's {entry.name} is not valid XML ({e}).", source=label) from e
    if root.getroottree().docinfo.doctype:
        raise TemplateSecurityError(
            f"The template's {entry.name} declares a DOCTYPE (entities or external files); "
            "Word never writes one, so the file has been tampered with.",
            source=label,
        )
    return root


def clean_story(root: etree._Element, hidden_styles: set[str] = frozenset()) -> bool:
    """Accept tracked changes, drop comments, hidden text and personal fields in one text part."""
    changed = False
    for element in list(root.iter(etree.Element)):
        tag = element.tag
        parent = element.getparent()
        if parent is None:
            continue
        if tag in _MARKS and parent.tag in _PROPERTIES:
            if tag == f"{_W}del" and parent.tag == f"{_W}trPr":
                row = parent.getparent()
                if row is not None and row.getparent() is not None:
                    row.getparent().remove(row)
            else:
                parent.remove(element)
            changed = True
        elif tag in _DROPPED:
            parent.remove(element)
            changed = True
        elif tag in _UNWRAPPED:
            _unwrap(element)
            changed = True
    for run in list(root.iter(f"{_W}r")):
        if run.getparent() is not None and (_is_hidden(run, hidden_styles) or _is_empty_reference_run(run)):
            run.getparent().remove(run)
            changed = True
    return _drop_personal_fields(root) or changed


def _unwrap(element: etree._Element) -> None:
    parent = element.getparent()
    index = parent.index(element)
    for offset, child in enumerate(list(element)):
        parent.insert(index + offset, child)
    parent.remove(element)


def _is_on(element: etree._Element | None) -> bool:
    return element is not None and element.get(f"{_W}val", "true").lower() not in ("0", "false", "off")


def _is_hidden(run: etree._Element, hidden_styles: set[str]) -> bool:
    props = run.find(f"{_W}rPr")
    vanish = props.find(f"{_W}vanish") if props is not None else None
    if vanish is not None:
        return _is_on(vanish)
    style = props.find(f"{_W}rStyle") if props is not None else None
    if style is not None and style.get(f"{_W}val") in hidden_styles:
        return True
    paragraph = run.getparent()
    while paragraph is not None and paragraph.tag != f"{_W}p":
        paragraph = paragraph.getparent()
    if paragraph is None:
        return False
    pstyle = paragraph.find(f"{_W}pPr/{_W}pStyle")
    return pstyle is not None and pstyle.get(f"{_W}val") in hidden_styles


def _is_empty_reference_run(run: etree._Element) -> bool:
    """A run left with nothing but its properties once its comment reference is gone."""
    return len(run) > 0 and all(child.tag == f"{_W}rPr" for child in run)


def _hidden_styles(entry: package.Entry | None, label: str) -> set[str]:
    """Ids of styles that hide their text."""
    if entry is None:
        return set()
    root = parse_xml(entry, label)
    return {
        style.get(f"{_W}styleId")
        for style in root.iter(f"{_W}style")
        if _is_on(style.find(f"{_W}rPr/{_W}vanish"))
    }


def _drop_personal_fields(root: etree._Element) -> bool:
    """Remove fields whose remembered result names the template's author or its user."""
    changed = False
    for simple in list(root.iter(f"{_W}fldSimple")):
        if _PERSONAL_FIELDS.match(simple.get(f"{_W}instr", "")) and simple.getparent() is not None:
            simple.getparent().remove(simple)
            changed = True
    for paragraph in root.iter(f"{_W}p"):
        runs = list(paragraph.iter(f"{_W}r"))
        start = None
        instruction = ""
        for index, run in enumerate(runs):
            char = run.find(f"{_W}fldChar")
            kind = char.get(f"{_W}fldCharType") if char is not None else None
            if kind == "begin":
                start, instruction = index, ""
            elif start is not None:
                instruction += "".join(t.text or "" for t in run.iter(f"{_W}instrText"))
                if kind == "end":
                    if _PERSONAL_FIELDS.match(instruction):
                        for dropped in runs[start : index + 1]:
                            if dropped.getparent() is not None:
                                dropped.getparent().remove(dropped)
                        changed = True
                    start = None
    return changed


def _clean_relationships(root: etree._Element, name: str, dropped: set[str], label: str) -> bool:
    folder = posixpath.dirname(posixpath.dirname(name))  # word/_rels/x.rels -> word
    changed = False
    for rel in list(root.iter(f"{{{_REL}}}Relationship")):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            if rel.get("Type") == _ATTACHED_TEMPLATE:
                root.remove(rel)
                changed = True
            elif rel.get("Type") not in _KEEP_EXTERNAL:
                raise TemplateSecurityError(
                    f"The template links to an outside file ({rel.get('Type', '').rsplit('/', 1)[-1]}); "
                    "Word would fetch it when a letter is opened. Embed it instead.",
                    source=label,
                )
            continue
        resolved = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        if resolved in dropped:
            root.remove(rel)
            changed = True
    return changed


def _clean_content_types(root: etree._Element, dropped: set[str]) -> bool:
    changed = False
    for override in list(root.iter(f"{{{_TYPES}}}Override")):
        if override.get("PartName", "").lstrip("/") in dropped:
            root.remove(override)
            changed = True
    return changed


def _drop_children(root: etree._Element, tags: set[str]) -> bool:
    changed = False
    for child in list(root):
        if child.tag in tags:
            root.remove(child)
            changed = True
    return changed


def _clean_app(root: etree._Element) -> bool:
    changed = _drop_children(root, _APP_DROPPED)
    for child in root:
        if child.tag in _APP_BLANKED and (child.text or len(child)):
            child.text = None
            for grandchild in list(child):
                child.remove(grandchild)
            changed = True
    return changed
