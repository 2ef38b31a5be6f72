"""Placeholders Word has split: across runs formatted differently, or across hyperlinks and fields.

Word keeps text in runs; formatting part of a tag, spell-checking it or bookmarking it splits
the tag over several runs. docxtpl's ``patch_xml`` joins them again before Jinja sees the tag.
Each paragraph is put through ``patch_xml`` and compared with what Word stored:

- a tag that is not whole in one text run afterwards cannot be filled: error;
- a tag whose runs sit in different containers (part in a hyperlink, a field, a content
  control) leaves a container half-closed, which breaks the document: error;
- a tag split over runs formatted differently is mended, but the value takes the first run's
  formatting and the rest of that run's text takes it too: warning.
"""

from __future__ import annotations

import html
import io
import re
from functools import cache

from docx import Document as new_document
from docxtpl import DocxTemplate
from lxml import etree

from docgen.authoring.locate import Paragraph, TextRun, w
from docgen.authoring.problems import ERROR, WARNING, TemplateProblem
from docgen.authoring.tags import Tag

CONTAINERS = {
    "hyperlink": "a hyperlink",
    "fldSimple": "a field",
    "sdt": "a content control",
    "smartTag": "a smart tag",
    "customXml": "a custom XML element",
    "ins": "a tracked insertion",
    "del": "a tracked deletion",
    "moveTo": "a tracked move",
    "moveFrom": "a tracked move",
}
_BALANCED = tuple(CONTAINERS) + ("sdtContent", "p", "r", "t", "tbl", "tr", "tc")
# Run properties that do not show: spelling language, proofing marks, complex-script variants.
_INVISIBLE = {"lang", "noProof", "szCs", "bCs", "iCs", "rtl", "cs", "specVanish", "webHidden"}
_FORMAT_NAMES = {
    "b": "bold", "i": "italic", "u": "underlined", "strike": "struck through", "dstrike": "struck through",
    "color": "coloured", "sz": "a different size", "rFonts": "a different font", "highlight": "highlighted",
    "rStyle": "a character style", "caps": "capitals", "smallCaps": "small capitals",
    "vertAlign": "raised or lowered", "shd": "shaded", "vanish": "hidden",
}
_W_T = re.compile(r"<w:t(?:\s[^>]*)?>(.*?)</w:t>", re.DOTALL)
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})


@cache
def _patcher() -> DocxTemplate:
    blank = io.BytesIO()
    new_document().save(blank)
    blank.seek(0)
    return DocxTemplate(blank)


def check_paragraph(paragraph: Paragraph, tags: list[Tag]) -> list[TemplateProblem]:
    if not tags:
        return []
    problems: list[TemplateProblem] = []
    xml = etree.tostring(paragraph.element, encoding="unicode")
    patched = _patcher().patch_xml(xml)
    texts = [html.unescape(t) for t in _W_T.findall(patched)]
    straddling = set()
    for tag in tags:
        runs = _runs_of(paragraph, tag)
        container = _crossed_container(paragraph, runs)
        if container:
            straddling.add(tag.raw)
            problems.append(TemplateProblem.at(
                paragraph, ERROR, "split-container",
                f"part of `{tag.raw}` is inside {CONTAINERS[container]} and part is not, which breaks the "
                "document when it is filled",
                f"retype the placeholder so it is all inside or all outside {CONTAINERS[container]}",
            ))
        elif _movable(tag) and not any(tag.raw.translate(_QUOTES) in t for t in texts):
            problems.append(TemplateProblem.at(
                paragraph, ERROR, "split-tag",
                f"Word has split `{tag.raw}` in a way docgen cannot mend, so it would be printed as it is",
                "delete the placeholder and type it again in one go",
            ))
        else:
            warning = _formatting_warning(paragraph, tag, runs)
            if warning:
                problems.append(warning)
    if not straddling and not _balanced(patched):
        problems.append(TemplateProblem.at(
            paragraph, ERROR, "split-container",
            "a placeholder here is split across a hyperlink, field or content control, which breaks the "
            "document when it is filled",
            "retype the placeholders of this paragraph outside hyperlinks, fields and content controls",
        ))
    return problems


def _movable(tag: Tag) -> bool:
    """Tags docxtpl leaves in their text run (not ``{%p``, ``{%tr``, ``{{r``, ``{%-``)."""
    raw = tag.raw
    return not re.match(r"^\{[{%](p|tr|tc|r)\s", raw) and not raw.startswith(("{%-", "{{-")) \
        and not raw.endswith(("-%}", "-}}"))


def _runs_of(paragraph: Paragraph, tag: Tag) -> list[TextRun]:
    return [r for r in paragraph.runs if r.end > tag.start and r.start < tag.end and r.end > r.start]


def _crossed_container(paragraph: Paragraph, runs: list[TextRun]) -> str | None:
    """The container some of the tag's runs are in and others are not."""
    chains = [_containers(paragraph, r) for r in runs]
    for chain in chains:
        for element in chain:
            if any(element not in other for other in chains):
                return etree.QName(element).localname
    return None


def _containers(paragraph: Paragraph, run: TextRun) -> list:
    found = []
    node = run.t.getparent()
    while node is not None and node is not paragraph.element:
        if etree.QName(node).localname in CONTAINERS:
            found.append(node)
        node = node.getparent()
    return found


def _balanced(patched: str) -> bool:
    for name in _BALANCED:
        opened = len(re.findall(rf"<w:{name}[ >]", patched))
        closed = patched.count(f"</w:{name}>")
        if opened != closed:
            return False
    return True


def _formatting_warning(paragraph: Paragraph, tag: Tag, runs: list[TextRun]) -> TemplateProblem | None:
    pieces: list[tuple[str, tuple, str]] = []  # (text, format key, format in words)
    for run in runs:
        text = paragraph.text[max(tag.start, run.start) : min(tag.end, run.end)]
        key, words = _format_of(run)
        if pieces and pieces[-1][1] == key:
            pieces[-1] = (pieces[-1][0] + text, key, words)
        else:
            pieces.append((text, key, words))
    if len(pieces) < 2:
        return None
    ways = "two ways" if len({p[1] for p in pieces}) == 2 else "several ways"
    described = "; ".join(f"`{text}` {words}" for text, _, words in pieces)
    return TemplateProblem.at(
        paragraph, WARNING, "mixed-format",
        f"`{tag.raw}` is formatted in {ways} ({described}), so the filled-in value will be "
        f"{pieces[0][2]} throughout",
        "select the whole placeholder and give it one format",
    )


def _format_of(run: TextRun) -> tuple[tuple, str]:
    props = run.run.find(w("rPr")) if run.run is not None else None
    if props is None:
        return (), "plain"
    key = []
    names = []
    for prop in props:
        name = etree.QName(prop).localname
        if name in _INVISIBLE or not isinstance(prop.tag, str):
            continue
        attrs = tuple(sorted((etree.QName(k).localname, v) for k, v in prop.attrib.items()))
        if dict(attrs).get("val") in ("0", "false", "none"):
            continue
        key.append((name, attrs))
        names.append(_FORMAT_NAMES.get(name, name))
    key.sort()
    return tuple(key), ", ".join(dict.fromkeys(names)) or "plain"
