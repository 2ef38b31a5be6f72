"""The compiled fast path gives docxtpl's text for every kind of template docxtpl accepts."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timezone

import docx
import pytest
from docxtpl import DocxTemplate, RichText

from conftest import docx_text
from docgen.exceptions import MissingField, TemplateError
from docgen.render.engine import CompiledTemplate, Provenance
from docgen.render.environment import make_environment

PROVENANCE = Provenance("test-doc", "Test", "1.0", "0" * 64, "CASE-1", "Test Council", datetime(2026, 11, 22, tzinfo=timezone.utc))

CONTEXT = {
    "title": "Plan for Ana & Bo <Test>",
    "people": [
        {"name": "Zoë O'Brien", "role": "Parent", "attending": True},
        {"name": "محمد Example", "role": "Uncle", "attending": False},
        {"name": "Łukasz \"Luke\" Exámple", "role": "Teacher", "attending": None},
    ],
    "notes": "First line\nSecond line\twith a tab",
    "show_extra": False,
    "case": {"reference": "CASE-1"},
}


def _template(build) -> bytes:
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _rows_loop(document):
    document.add_paragraph("{{ title }}")
    table = document.add_table(rows=3, cols=3)
    table.cell(0, 0).text = "{%tr for p in people %}"
    table.cell(1, 0).text = "{{ p.name }}"
    table.cell(1, 1).text = "{{ p.role }}"
    table.cell(1, 2).text = "{{ p.attending|tick }}"
    table.cell(2, 0).text = "{%tr endfor %}"


def _cell_loop_and_paragraph_tags(document):
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "{% for p in people %}{{ p.name }}; {% endfor %}"
    table.cell(0, 1).text = "{{ notes }}"
    document.add_paragraph("{%p if show_extra %}")
    document.add_paragraph("Extra paragraph that must vanish")
    document.add_paragraph("{%p endif %}")
    document.add_paragraph("{%p for p in people %}")
    document.add_paragraph("Person: {{ p.name }}")
    document.add_paragraph("{%p endfor %}")


def _headers_and_footers(document):
    section = document.sections[0]
    section.header.paragraphs[0].text = "Header {{ case.reference }}"
    section.footer.paragraphs[0].text = "Footer {{ title }}"
    document.add_paragraph("Body {{ people|length }}")


def _split_runs(document):
    paragraph = document.add_paragraph()
    paragraph.add_run("Name: {{ peo")
    paragraph.add_run("ple[0].name }}").bold = True


KINDS = {
    "rows-loop": _rows_loop,
    "cell-loop-paragraph-tags": _cell_loop_and_paragraph_tags,
    "headers-footers": _headers_and_footers,
    "split-runs": _split_runs,
}


def _docxtpl_text(blob: bytes, context: dict) -> str:
    template = DocxTemplate(io.BytesIO(blob))
    template.render(context, jinja_env=make_environment(), autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return docx_text(out.getvalue())


@pytest.mark.parametrize("kind", KINDS)
def test_fast_path_text_equals_docxtpl(tmp_path, kind):
    path = tmp_path / f"{kind}.docx"
    path.write_bytes(_template(KINDS[kind]))
    compiled = CompiledTemplate(path)
    assert not compiled.uses_docxtpl
    fast = docx_text(compiled.render(CONTEXT, PROVENANCE))
    assert fast == _docxtpl_text(path.read_bytes(), CONTEXT)
    assert "{{" not in fast and "{%" not in fast


def test_values_come_out_exactly(tmp_path):
    path = tmp_path / "rows.docx"
    path.write_bytes(_template(_rows_loop))
    text = docx_text(CappedRender(path).render())
    for value in ("Plan for Ana & Bo <Test>", "Zoë O'Brien", "محمد Example", 'Łukasz "Luke" Exámple', "✓", "✗"):
        assert value in text


def test_docxtpl_literal_tag_markers_in_values_come_out_as_given(tmp_path):
    """docxtpl turns `}_}` into `}}` after filling (a template's literal tag); values keep them,
    on the fast path and the docxtpl one, while a template's own `{_{` still prints `{{`."""
    odd = "Ann }_} {_{ {_% %_} Smith"
    path = tmp_path / "literal.docx"
    path.write_bytes(_template(lambda d: d.add_paragraph("{{ title }} and {_{ literal }_}")))
    fast = docx_text(CompiledTemplate(path).render({"title": odd}, PROVENANCE))
    assert fast.strip() == f"{odd} and {{{{ literal }}}}"
    assert _docxtpl_text(path.read_bytes(), {"title": odd}) == fast
    rich = tmp_path / "rich-literal.docx"
    rich.write_bytes(_template(lambda d: d.add_paragraph("{{r bold }} {{ title }}")))
    compiled = CompiledTemplate(rich)
    assert compiled.uses_docxtpl
    text = docx_text(compiled.render({"title": odd, "bold": RichText("B", bold=True)}, PROVENANCE))
    assert text.strip() == f"B {odd}"


class CappedRender:
    def __init__(self, path):
        self.compiled = CompiledTemplate(path)

    def render(self, context=CONTEXT):
        return self.compiled.render(context, PROVENANCE)


def test_newline_and_tab_become_a_break_and_a_tab_not_a_page_break(tmp_path):
    path = tmp_path / "cells.docx"
    path.write_bytes(_template(_cell_loop_and_paragraph_tags))
    content = CappedRender(path).render()
    xml = zipfile.ZipFile(io.BytesIO(content)).read("word/document.xml").decode()
    assert "<w:br/>" in xml and "<w:tab/>" in xml
    assert 'w:type="page"' not in xml
    assert "Extra paragraph that must vanish" not in docx_text(content)


def test_richtext_templates_are_handed_to_docxtpl(tmp_path):
    path = tmp_path / "rich.docx"
    path.write_bytes(_template(lambda d: d.add_paragraph("Hello {{r greeting }}")))
    compiled = CompiledTemplate(path)
    assert compiled.uses_docxtpl
    rich = RichText("bold words", bold=True)
    text = docx_text(compiled.render({"greeting": rich}, PROVENANCE))
    assert text.strip() == "Hello bold words"


def test_unchanged_parts_are_copied_byte_for_byte(tmp_path):
    path = tmp_path / "rows.docx"
    path.write_bytes(_template(_rows_loop))
    output = zipfile.ZipFile(io.BytesIO(CappedRender(path).render()))
    source = zipfile.ZipFile(path)
    for name in ("word/styles.xml", "word/theme/theme1.xml", "word/settings.xml"):
        assert output.getinfo(name).CRC == source.getinfo(name).CRC
        assert output.read(name) == source.read(name)
    assert output.testzip() is None


def test_missing_field_is_named(tmp_path):
    path = tmp_path / "missing.docx"
    path.write_bytes(_template(lambda d: d.add_paragraph("{{ child.school_nurse }}")))
    with pytest.raises(MissingField) as error:
        CompiledTemplate(path, label="templates/x.docx").render({"child": {"name": "A"}}, PROVENANCE)
    assert str(error.value) == (
        "templates/x.docx (word/document.xml): The template uses the field 'school_nurse', "
        "which this case bundle does not have."
    )


def test_absent_optional_field_tests_false_but_unknown_name_fails(tmp_path):
    path = tmp_path / "optional.docx"
    path.write_bytes(_template(lambda d: d.add_paragraph("{% if child.school %}School{% else %}None{% endif %}")))
    assert "None" in docx_text(CappedRender(path).render({"child": {}}))
    with pytest.raises(MissingField):
        CappedRender(path).render({})


def test_syntax_error_names_template_and_text(tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(_template(lambda d: d.add_paragraph("{% if child.name %}Hello")))
    with pytest.raises(TemplateError) as error:
        CompiledTemplate(path, label="templates/broken.docx")
    assert str(error.value).startswith("templates/broken.docx (word/document.xml): Jinja syntax error: ")


def _if_from_paragraph_into_table_cell(document):
    document.add_paragraph("Before {% if show_extra %}")
    table = document.add_table(rows=1, cols=1)
    table.cell(0, 0).text = "inside {% endif %} after"


def test_a_tag_spanning_a_paragraph_and_a_cell_is_refused_not_written_as_broken_xml(tmp_path):
    path = tmp_path / "spanning.docx"
    path.write_bytes(_template(_if_from_paragraph_into_table_cell))
    with pytest.raises(TemplateError) as error:
        CompiledTemplate(path, label="templates/spanning.docx").render(CONTEXT, PROVENANCE)
    message = str(error.value)
    assert message.startswith("templates/spanning.docx (word/document.xml): The filled template is not valid Word XML")
    assert "(mismatched tag: line 2, column " in message


def test_a_doctype_in_a_filled_part_is_refused(tmp_path):
    from docgen.render.wellformed import check as _check_well_formed

    with pytest.raises(TemplateError, match="not valid Word XML"):
        _check_well_formed('<!DOCTYPE w [<!ENTITY a "b">]><w>&a;</w>', "t.docx", "word/document.xml")
    _check_well_formed("<w:document xmlns:w='urn:w'><w:body/></w:document>", "t.docx", "word/document.xml")
