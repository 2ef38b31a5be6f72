"""A filled part is well-formed XML: proved once per template where its shape allows, read with
expat after every filling where it does not, and read anyway when a value printed was not text."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import docx
import pytest
from markupsafe import Markup

from conftest import docx_text
from docgen.exceptions import TemplateError
from docgen.render.engine import CompiledTemplate, Provenance

ROOT = Path(__file__).resolve().parents[1]
PROVENANCE = Provenance("test-doc", "Test", "1.0", "0" * 64, "CASE-1", "Test Council", datetime(2026, 11, 22, tzinfo=timezone.utc))
RUN = '<w:p><w:r><w:t xml:space="preserve">{}</w:t></w:r></w:p>'


def template_with_body(tmp_path: Path, body: str, name: str = "t.docx") -> Path:
    """A Word file made by python-docx whose document body is ``body`` (raw WordprocessingML)."""
    buffer = io.BytesIO()
    docx.Document().save(buffer)
    source = zipfile.ZipFile(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = re.sub(rb"<w:body>.*</w:body>", f"<w:body>{body}</w:body>".encode(), data, flags=re.DOTALL)
            target.writestr(item, data)
    path = tmp_path / name
    path.write_bytes(out.getvalue())
    return path


def body_part(path: Path, label: str = "templates/t.docx"):
    compiled = CompiledTemplate(path, label=label)
    (part,) = [p for p in compiled.parts if p.name == "word/document.xml"]
    return compiled, part


def test_every_template_in_the_repository_is_proved_well_formed_once():
    """So no document they fill is read again by expat (unless a value is not text)."""
    templates = sorted((ROOT / "templates").rglob("*.docx"))
    assert templates
    unproved = [
        f"{path.relative_to(ROOT)} ({part.name})"
        for path in templates
        for part in CompiledTemplate(path).parts
        if not part.proven
    ]
    assert unproved == []


@pytest.mark.parametrize(
    "body",
    [
        RUN.format("{{ title }}"),
        RUN.format("{% if show %}{{ title }}{% else %}none{% endif %}"),
        "{% for p in people %}" + RUN.format("{{ p }}") + "{% endfor %}",
        # a loop that closes a w:t and opens another: it ends with what it started with open
        RUN.format('{% for p in people %}{{ p }}</w:t><w:br/><w:t xml:space="preserve">{% endfor %}end'),
    ],
    ids=["value", "if-else", "paragraph-loop", "line-loop"],
)
def test_templates_whose_tags_hold_whole_elements_are_proved(tmp_path, body):
    compiled, part = body_part(template_with_body(tmp_path, body))
    assert part.proven
    text = docx_text(compiled.render({"title": "A & B <c>", "show": True, "people": ["Ann", "Bo"]}, PROVENANCE))
    assert "A & B <c>" in text or "Ann" in text


@pytest.mark.parametrize(
    "body",
    [
        # an if that opens a paragraph in one branch and closes it after the endif
        "{% if show %}<w:p><w:r><w:t>a</w:t></w:r>{% endif %}</w:p>",
        # a value in an attribute, not in a run's text
        '<w:p><w:pPr><w:pStyle w:val="{{ title }}"/></w:pPr><w:r><w:t>a</w:t></w:r></w:p>',
        # a value between runs
        "<w:p>{{ title }}<w:r><w:t>a</w:t></w:r></w:p>",
        # an if inside an attribute's value
        '<w:p><w:pPr><w:pStyle w:val="{% if a %}Title{% endif %}"/></w:pPr><w:r><w:t>a</w:t></w:r></w:p>',
        # a macro prints markup the proof cannot follow
        "{% macro p(x) %}" + RUN.format("{{ x }}") + "{% endmacro %}{{ p(title) }}",
        # a comment in the template
        "<!-- note -->" + RUN.format("{{ title }}"),
    ],
    ids=["if-opens-a-paragraph", "value-in-attribute", "value-between-runs", "if-in-attribute", "macro", "comment"],
)
def test_templates_the_proof_cannot_follow_are_read_after_every_filling(tmp_path, body):
    _, part = body_part(template_with_body(tmp_path, body))
    assert not part.proven


def test_an_unproved_template_that_breaks_the_xml_is_still_refused(tmp_path):
    path = template_with_body(tmp_path, "{% if show %}<w:p><w:r><w:t>a</w:t></w:r>{% endif %}</w:p>")
    compiled, part = body_part(path)
    assert not part.proven
    compiled.render({"show": True}, PROVENANCE)  # this filling happens to be well-formed
    with pytest.raises(TemplateError) as error:
        compiled.render({"show": False}, PROVENANCE)
    assert str(error.value).startswith(
        "templates/t.docx (word/document.xml): The filled template is not valid Word XML; a tag "
        "probably spans table cells or paragraphs in a way Word cannot hold (mismatched tag: line 2, column "
    )


@pytest.mark.parametrize(
    ("expression", "context"),
    [
        # a control character XML cannot hold, in a plain value (bundles refuse them; a caller may not)
        ("{{ title }}", {"title": "A\x01B"}),
        # a character the template makes itself
        ('{{ "%c"|format(1) }}', {}),
        # markup from the caller that is not escaped text: an element left open, "&amp;" cut short
        ("{{ title }}", {"title": Markup("<w:b>")}),
        ("{{ title }}", {"title": Markup("A &am")}),
        # markup the template cuts short: a value joined to markup is markup, and so is its slice
        ('{{ (title ~ "")[:3] }}', {"title": Markup("A &amp; B")}),
    ],
    ids=["control-character", "made-by-the-template", "open-element", "cut-entity", "cut-by-the-template"],
)
def test_a_proved_template_still_refuses_a_value_that_is_not_text(tmp_path, expression, context):
    compiled, part = body_part(template_with_body(tmp_path, RUN.format(expression)))
    assert part.proven
    with pytest.raises(TemplateError) as error:
        compiled.render(context, PROVENANCE)
    assert str(error.value).startswith("templates/t.docx (word/document.xml): The filled template is not valid Word XML")


def test_markup_that_is_text_or_whole_elements_is_read_and_let_through(tmp_path):
    compiled, part = body_part(template_with_body(tmp_path, RUN.format("{{ title }}")))
    assert part.proven
    text = docx_text(compiled.render({"title": Markup("A &amp; B</w:t><w:br/><w:t>C")}, PROVENANCE))
    assert "A & B" in text and "C" in text


def test_tabs_and_newlines_in_values_of_a_proved_template_make_valid_xml(tmp_path):
    compiled, part = body_part(template_with_body(tmp_path, RUN.format("{{ notes }}")))
    assert part.proven
    content = compiled.render({"notes": "one\ntwo\tthree & <four>"}, PROVENANCE)
    xml = zipfile.ZipFile(io.BytesIO(content)).read("word/document.xml").decode()
    assert "<w:br/>" in xml and "<w:tab/>" in xml
    assert "one" in docx_text(content) and "three & <four>" in docx_text(content)


def test_documents_of_a_proved_template_are_not_read_again(pipeline, monkeypatch):
    """The point of the proof: the samples' letters are filled without an expat reading each,
    unless a value is not text."""
    from docgen.render import wellformed

    reads = []
    real = wellformed.check
    monkeypatch.setattr(wellformed, "check", lambda *args: reads.append(args[2]) or real(*args))
    bundle = pipeline.load(ROOT / "samples" / "valid" / "worcestershire-child-in-need.json")
    results = pipeline.render(bundle, ["outcome-letter"])
    assert results and all(r.ok for r in results)
    assert reads == []
