"""Helpers for the template-authoring tests: small registries of deliberately broken templates.

A registry here is ``tmp/templates`` with the repository's authority profiles and one or more
templates made with python-docx, each named for what it breaks.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from click.testing import CliRunner
from conftest import ROOT
from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from docgen.authoring import lock

REPO_TEMPLATES = ROOT / "templates"
SAMPLE = ROOT / "samples" / "valid" / "worcestershire-child-in-need.json"


def make_root(tmp_path: Path) -> Path:
    """An empty templates folder with the repository's authority profiles and their logos."""
    root = tmp_path / "templates"
    (root / "default").mkdir(parents=True)
    for profile in REPO_TEMPLATES.glob("*/authority.toml"):
        (root / profile.parent.name).mkdir(exist_ok=True)
        for part in (profile, *profile.parent.glob("*.png")):
            shutil.copy(part, root / profile.parent.name / part.name)
    return root


def small_root(tmp_path: Path, *doc_ids: str) -> Path:
    """A templates folder with copies of the given repository templates, and one sample beside it."""
    root = make_root(tmp_path)
    for doc_id in doc_ids:
        for suffix in (".docx", ".toml"):
            shutil.copy(REPO_TEMPLATES / "default" / f"{doc_id}{suffix}", root / "default")
    (tmp_path / "samples" / "valid").mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLE, tmp_path / "samples" / "valid")
    return root


def write_meta(path: Path, *, version: str = "1.0", recipients: str = "family-and-agencies",
               family_letter: bool = False, requires: tuple[str, ...] = ()) -> Path:
    doc_id = path.stem
    needs = ", ".join(f'"{r}"' for r in requires)
    path.with_suffix(".toml").write_text(
        f'id = "{doc_id}"\ntitle = "{doc_id} for a test"\nversion = "{version}"\n'
        f'recipients = "{recipients}"\nletter = true\nfamily_letter = {str(family_letter).lower()}\n'
        f"requires = [{needs}]\n",
        "utf-8",
    )
    return path


def build(path: Path, paragraphs: list, *, header: str | None = None, table: list[list[str]] | None = None,
          **meta) -> Path:
    """A template: each paragraph a string, or a list of (text, "bold"/"plain"/"link") runs."""
    document = Document()
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, text in enumerate(row):
                grid.cell(r, c).paragraphs[0].text = text
    for item in paragraphs:
        if isinstance(item, str):
            document.add_paragraph(item)
            continue
        paragraph = document.add_paragraph()
        for text, how in item:
            if how == "link":
                add_link(paragraph, text)
            elif how == "deleted":
                add_deleted(paragraph, text)
            elif how == "field":  # a field (PAGE) whose code and result sit between two runs
                for kind, code in (("begin", None), (None, text), ("end", None)):
                    run = OxmlElement("w:r")
                    if kind:
                        run.append(_element("w:fldChar", {"w:fldCharType": kind}))
                    else:
                        instr = OxmlElement("w:instrText")
                        instr.text = code
                        run.append(instr)
                    paragraph._p.append(run)
            elif how == "spelling":  # Word's proofing marks and a bookmark between two runs
                paragraph._p.append(_element("w:proofErr", {"w:type": "spellStart"}))
                paragraph._p.append(_element("w:bookmarkStart", {"w:id": "0", "w:name": "_GoBack"}))
                paragraph.add_run(text)
                paragraph._p.append(_element("w:bookmarkEnd", {"w:id": "0"}))
                paragraph._p.append(_element("w:proofErr", {"w:type": "spellEnd"}))
            else:
                paragraph.add_run(text).bold = how == "bold"
    if header is not None:
        document.sections[0].header.paragraphs[0].text = header
    document.save(path)
    return write_meta(path, **meta)


def add_link(paragraph, text: str, url: str = "https://www.example.org.uk/") -> None:
    """A run inside a hyperlink, as Word makes when a policy owner links part of a line."""
    r_id = paragraph.part.relate_to(url, RT.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    run = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = text
    t.set(qn("xml:space"), "preserve")
    run.append(t)
    link.append(run)
    paragraph._p.append(link)


def add_deleted(paragraph, text: str) -> None:
    """Text deleted with Track Changes on: Word hides it, but it is still in the paragraph."""
    deleted = _element("w:del", {"w:id": "1", "w:author": "A policy owner", "w:date": "2026-11-01T09:00:00Z"})
    run = OxmlElement("w:r")
    gone = OxmlElement("w:delText")
    gone.text = text
    run.append(gone)
    deleted.append(run)
    paragraph._p.append(deleted)


def _element(tag: str, attributes: dict[str, str]):
    element = OxmlElement(tag)
    for name, value in attributes.items():
        element.set(qn(name), value)
    return element


def locked(root: Path) -> Path:
    lock.update_lock(root)
    return root


def invoke(command, args: list) -> object:
    return CliRunner().invoke(command, [str(a) for a in args])


def comments_of(docx: Path) -> dict[str, str]:
    """Each comment's id and text, from word/comments.xml."""
    from lxml import etree

    with zipfile.ZipFile(docx) as archive:
        root = etree.fromstring(archive.read("word/comments.xml"))
    ns = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
    return {
        c.get(qn("w:id")): "".join(c.itertext())
        for c in root.findall("w:comment", ns)
    }


def commented_paragraphs(docx: Path) -> dict[str, int]:
    """For each comment id, the number (from 1) of the body paragraph its range starts in."""
    from lxml import etree

    with zipfile.ZipFile(docx) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    ns = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
    body = root.find("w:body", ns)
    found = {}
    for number, p in enumerate(body.findall("w:p", ns), start=1):
        for start in p.iter(qn("w:commentRangeStart")):
            found[start.get(qn("w:id"))] = number
    return found
