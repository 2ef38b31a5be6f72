"""A tag means the same whichever editor saved the template.

LibreOffice Writer stores the quotes inside tags as ``&quot;``/``&apos;`` and ``&`` as ``&amp;``,
where Word writes them as they are; docxtpl's table-column tag ``{#tc ... #}`` removes its column.
These templates are really round-tripped through ``soffice --convert-to docx``.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from conftest import docx_text
from templates_helpers import SAMPLE, build, invoke, locked, small_root

from docgen.authoring.check import check_template
from docgen.cli_templates import templates
from docgen.pipeline import Pipeline
from docgen.registry import Registry

QUOTED = [
    'Children: {{ children | map(attribute="first_name") | join(" & ") }}',
    "Reference: {{ case.reference ~ ' & ' ~ \"<ref>\" }}",
    'Team: {{ [] | join(", ") or "none" }}',
]


def saved_by_libreoffice(template: Path, work: Path) -> Path:
    """``template`` opened and saved again as .docx by LibreOffice Writer, in place."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is needed: scripts/setup.sh installs it"
    out = work / "libreoffice"
    out.mkdir(exist_ok=True)
    subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{work / 'lo-profile'}",
         "--convert-to", "docx", "--outdir", str(out), str(template)],
        check=True, capture_output=True, timeout=180,
    )
    shutil.copy(out / template.name, template)
    return template


def document_xml(template: Path) -> str:
    with zipfile.ZipFile(template) as archive:
        return archive.read("word/document.xml").decode("utf-8")


def render(root: Path, doc_id: str) -> list:
    pipeline = Pipeline(Registry(root))
    return pipeline.render(pipeline.load(SAMPLE), [doc_id])


@pytest.fixture
def root(tmp_path):
    return small_root(tmp_path, "outcome-letter")  # the sample asks for an outcome letter


def test_a_template_saved_by_libreoffice_fills_like_one_saved_by_word(root, tmp_path):
    word = build(root / "default" / "word-note.docx", QUOTED, recipients="none")
    libre = build(root / "default" / "libre-note.docx", QUOTED, recipients="none")
    saved_by_libreoffice(libre, tmp_path)
    xml = document_xml(libre)
    assert "or &quot;none&quot;" in xml and "join(&quot; &amp; &quot;)" in xml  # as Writer stores them
    assert "&apos; &amp; &apos;" in xml
    expected = ["Children: Poppy & Alfie", "Reference: WOR-CIN-0001 & <ref>", "Team: none"]
    for doc_id in ("word-note", "libre-note"):
        [result] = render(root, doc_id)
        assert result.error is None, result.error
        assert docx_text(result.docx).splitlines() == expected
        body = zipfile.ZipFile(io.BytesIO(result.docx)).read("word/document.xml").decode("utf-8")
        assert "Poppy &amp; Alfie" in body and "&amp;amp;" not in body  # escaped once, as XML must be


def test_templates_check_passes_what_render_fills(root, tmp_path):
    libre = saved_by_libreoffice(build(root / "default" / "libre-note.docx", QUOTED, recipients="none"), tmp_path)
    locked(root)
    problems = [p for p in check_template(libre) if p.severity == "error"]
    assert problems == []


def test_a_table_column_tag_removes_its_column_as_docxtpl_does(root, tmp_path):
    template = build(root / "default" / "columns.docx", ["Ref {{ case.reference }}"], recipients="none",
                     table=[["Name", "{#tc a column for later #}", "Born"],
                            ["{{ case.reference }}", "{#tc a column for later #}", "2026"]])
    saved_by_libreoffice(template, tmp_path)
    [result] = render(root, "columns")
    assert result.error is None, result.error
    table = docx.Document(io.BytesIO(result.docx)).tables[0]
    assert len(table._tbl.tblGrid.gridCol_lst) == 2  # no empty column left in the grid
    assert [[c.text for c in row.cells] for row in table.rows] == [["Name", "Born"], ["WOR-CIN-0001", "2026"]]
