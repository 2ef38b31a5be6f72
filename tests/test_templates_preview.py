"""`docgen templates preview`: a template filled from a sample, as DOCX, PDF (LibreOffice) and PNG."""

from __future__ import annotations

import io
import struct

import pytest
from conftest import docx_text
from pypdf import PdfReader
from templates_helpers import SAMPLE, build, invoke, small_root

from docgen.authoring.preview import PDFTOPPM_HINT, first_page_png
from docgen.cli_templates import templates
from docgen.exceptions import ConvertError


@pytest.fixture
def root(tmp_path):
    root = small_root(tmp_path)
    build(root / "default" / "note.docx",
          ["{{ recipient.salutation }},", "Our reference: {{ case.reference }}",
           "We are writing about {{ children_names }}."])
    return root


def test_docx_preview_from_the_authoritys_first_sample(root, tmp_path):
    out = tmp_path / "out" / "note.docx"
    result = invoke(templates, ["preview", "note", "--authority", "worcestershire", "--out", out, "--templates", root])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Wrote {out} from worcestershire-child-in-need.json for family-mum.\n"
    assert docx_text(out.read_bytes()).splitlines() == [
        "Dear Ms Placeholder,",
        "Our reference: WOR-CIN-0001",
        "We are writing about Poppy Placeholder and Alfie Placeholder.",
    ]


def test_a_chosen_sample_and_recipient(root, tmp_path):
    out = tmp_path / "note-hv.docx"
    result = invoke(templates, ["preview", "note", "--authority", "worcestershire", "--sample", SAMPLE,
                                "--recipient", "agency-hv", "--out", out, "--templates", root])
    assert result.exit_code == 0, result.output
    assert docx_text(out.read_bytes()).splitlines()[0] == "Dear Mr Visitor-Example,"


def test_an_authority_without_a_sample_borrows_one(root, tmp_path):
    out = tmp_path / "note.docx"
    result = invoke(templates, ["preview", "note", "--authority", "derbyshire", "--out", out, "--templates", root])
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("for family-mum, as if for derbyshire.\n")


def test_pdf_and_png_previews(root, tmp_path):
    pdf = tmp_path / "note.pdf"
    result = invoke(templates, ["preview", "note", "--authority", "worcestershire", "--out", pdf, "--templates", root])
    assert result.exit_code == 0, result.output
    text = PdfReader(io.BytesIO(pdf.read_bytes())).pages[0].extract_text()
    assert "Our reference: WOR-CIN-0001" in text
    assert "Dear Ms Placeholder," in text

    png = first_page_png(pdf)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (680, 880)  # python-docx's default Letter page, 8.5 × 11 in, at 80 dpi


def test_png_preview_through_the_command(root, tmp_path):
    out = tmp_path / "note.png"
    result = invoke(templates, ["preview", "note", "--authority", "worcestershire", "--out", out, "--templates", root])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_unknown_format_is_a_usage_error(root, tmp_path):
    result = invoke(templates, ["preview", "note", "--authority", "worcestershire", "--out", "note.txt",
                                "--templates", root])
    assert result.exit_code == 2
    assert result.stderr == "Error: note.txt: Expected --out to end in .docx, .pdf, .png.\n"


def test_a_recipient_the_sample_does_not_have(root, tmp_path):
    result = invoke(templates, ["preview", "note", "--authority", "worcestershire", "--sample", SAMPLE,
                                "--recipient", "family-nobody", "--out", tmp_path / "x.docx", "--templates", root])
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {SAMPLE}: The sample has no recipient 'family-nobody' for note. "
        "Known: family-mum, agency-hv, agency-teacher.\n"
    )


def test_png_needs_pdftoppm(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConvertError) as raised:
        first_page_png(tmp_path / "any.pdf")
    assert raised.value.message == PDFTOPPM_HINT
