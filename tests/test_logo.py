"""Each authority's logo in its letters: the right picture, its size and alternative text, in the
DOCX and the PDF; nothing for an authority without one; plain errors for a bad logo."""

from __future__ import annotations

import io
import shutil
import zipfile
from datetime import datetime, timezone

import docx
import pytest
from docx.shared import Mm
from PIL import Image
from pypdf import PdfReader

from conftest import ROOT, SAMPLES, TODAY, docx_text
from docgen.convert import Converter
from docgen.exceptions import TemplateError
from docgen.pdfout import check_letter
from docgen.pipeline import Pipeline
from docgen.registry import Registry
from docgen.view.context import build_context
from docgen.render.engine import CompiledTemplate, Provenance
from security_helpers import make_template

TEMPLATES = ROOT / "templates"
SAMPLE_OF = {
    "worcestershire": "worcestershire-child-in-need.json",
    "derbyshire": "derbyshire-child-in-need.json",
    "south-gloucestershire": "south-gloucestershire-early-help-taf.json",
}
PROVENANCE = Provenance("t", "T", "1.0", "0" * 64, "CASE-1", "Test", datetime(2026, 11, 22, tzinfo=timezone.utc))


def family_letter(pipeline: Pipeline, slug: str):
    bundle = pipeline.load(SAMPLES / "valid" / SAMPLE_OF[slug])
    return next(r for r in pipeline.render(bundle, ["outcome-letter"]) if r.recipient.kind == "family")


def alt_texts(content: bytes) -> list[str]:
    document = docx.Document(io.BytesIO(content))
    return [d.get("descr") for d in document.element.body.iter("{*}docPr")]


@pytest.mark.parametrize("slug", sorted(SAMPLE_OF))
def test_each_authoritys_letter_carries_its_own_logo_and_its_name(pipeline, slug):
    letter = family_letter(pipeline, slug)
    assert letter.ok, letter.error
    document = docx.Document(io.BytesIO(letter.docx))
    (shape,) = document.inline_shapes
    assert (shape.width, shape.height) == (Mm(60), Mm(15))  # 4:1 fitted to the 60 x 15 mm box
    logo = (TEMPLATES / slug / "logo.png").read_bytes()
    assert zipfile.ZipFile(io.BytesIO(letter.docx)).read("word/media/docgen-logo.png") == logo
    name = pipeline.registry.profile(slug).name
    assert alt_texts(letter.docx) == [f"{name} logo"]
    assert name in docx_text(letter.docx).splitlines()  # the name still prints, as text, in the contact details


def test_the_pdf_shows_the_logo_and_still_fits_notify(pipeline, tmp_path):
    letter = family_letter(pipeline, "derbyshire")
    source = tmp_path / "letter.docx"
    source.write_bytes(letter.docx)
    with Converter(jobs=1) as converter:
        (outcome,) = converter.convert_many([(source, tmp_path / "letter.pdf")])
        outcome.raise_for_error()
    (image,) = PdfReader(tmp_path / "letter.pdf").pages[0].images
    with Image.open(io.BytesIO(image.data)) as shown, Image.open(TEMPLATES / "derbyshire" / "logo.png") as logo:
        assert shown.size == logo.size == (600, 150)
    assert check_letter(tmp_path / "letter.pdf") == []


@pytest.fixture
def copied_templates(tmp_path):
    root = tmp_path / "templates"
    shutil.copytree(TEMPLATES, root)
    return root


def set_logo_line(root, slug: str, line: str) -> None:
    profile = root / slug / "authority.toml"
    text = profile.read_text("utf-8").replace('logo = "logo.png"', line)
    profile.write_text(text, "utf-8")


def test_an_authority_without_a_logo_gets_its_name_and_no_picture(copied_templates):
    set_logo_line(copied_templates, "worcestershire", "")
    letter = family_letter(Pipeline(Registry(copied_templates), today=TODAY), "worcestershire")
    document = docx.Document(io.BytesIO(letter.docx))
    assert len(document.inline_shapes) == 0
    assert "Worcestershire County Council" in docx_text(letter.docx).splitlines()
    # The relationship a logo tag needs still points at a picture: a blank pixel.
    with Image.open(io.BytesIO(zipfile.ZipFile(io.BytesIO(letter.docx)).read("word/media/docgen-logo.png"))) as blank:
        assert blank.size == (1, 1) and blank.getpixel((0, 0))[3] == 0


@pytest.mark.parametrize("line, make, message", [
    ('logo = "missing.png"', None, "The logo 'missing.png' cannot be read (No such file or directory)."),
    ('logo = "logo.jpg"', "jpeg", "The logo 'logo.jpg' is a JPEG image; docgen takes PNG."),
    ('logo = "logo.png"', "text", "The logo 'logo.png' is not a readable PNG image."),
    ('logo = "big.png"', "big", "The logo 'big.png' is over 1024 KiB."),
    ('logo = "../default/logo.png"', "outside", "The logo 'logo.png' must be a file in the authority's own folder."),
])
def test_a_bad_logo_is_named_with_the_profile(copied_templates, line, make, message):
    folder = copied_templates / "derbyshire"
    if make == "jpeg":
        Image.new("RGB", (40, 10), "red").save(folder / "logo.jpg", "JPEG")
    elif make == "text":
        (folder / "logo.png").write_text("not a picture", "utf-8")
    elif make == "big":
        (folder / "big.png").write_bytes(b"\x89PNG" + bytes(1024 * 1024))
    elif make == "outside":
        shutil.copy(folder / "logo.png", copied_templates / "default" / "logo.png")
    set_logo_line(copied_templates, "derbyshire", line)
    with pytest.raises(TemplateError) as raised:
        Registry(copied_templates).profile("derbyshire")
    assert raised.value.message == message
    assert raised.value.source == str(folder / "authority.toml")


def test_a_logo_in_a_header_is_refused_when_the_template_is_compiled(tmp_path):
    path = make_template(tmp_path / "headed.docx", "Body", header="{{ authority.logo }}")
    with pytest.raises(TemplateError) as raised:
        CompiledTemplate(path)
    assert raised.value.message == "The authority's logo can be printed in the document body only, not in header1."


def test_the_logo_reaches_templates_on_docxtpls_own_path_too(pipeline, tmp_path):
    """A template docxtpl renders whole (RichText) gets the same picture and relationship."""
    path = make_template(tmp_path / "rich.docx", "{{ authority.logo }}", "{{r authority.name }}")
    compiled = CompiledTemplate(path)
    assert compiled.uses_docxtpl and compiled.uses_logo
    bundle = pipeline.load(SAMPLES / "valid" / SAMPLE_OF["worcestershire"])
    template = pipeline.registry.resolve("outcome-letter", "worcestershire")
    context = build_context(bundle, pipeline.registry.profile("worcestershire"), template, None, today=TODAY)
    content = compiled.render(context, PROVENANCE)
    assert len(docx.Document(io.BytesIO(content)).inline_shapes) == 1
    assert alt_texts(content) == ["Worcestershire County Council logo"]
