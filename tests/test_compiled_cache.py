"""Compiled templates are kept in the cache folder and loaded by later processes, never wrongly."""

from __future__ import annotations

import io
import stat
from datetime import datetime, timezone

import docx
import pytest

from conftest import docx_text
from docgen.exceptions import MissingField, TemplateError
from docgen.render import compiled_cache, wellformed
from docgen.render.engine import CompiledTemplate, Provenance

PROVENANCE = Provenance("test-doc", "Test", "1.0", "0" * 64, "CASE-1", "Test Council",
                        datetime(2026, 11, 22, tzinfo=timezone.utc))  # fmt: skip
CONTEXT = {"name": "Ana <Test> & Bo", "people": [{"name": "Zoë"}, {"name": "Łukasz"}], "late": True}


def _template(tmp_path, *paragraphs: str, name: str = "letter.docx"):
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    path = tmp_path / name
    document.save(path)
    return path


LETTER = ("Dear {{ name }},", "{%p for p in people %}", "Person: {{ p.name }}", "{%p endfor %}",
          "{% if late %}We are sorry this is late.{% endif %}")  # fmt: skip


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("DOCGEN_CACHE_DIR", str(folder))
    return folder / "templates"


def _compiling_forbidden(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("compiled again although the cache holds this template")

    monkeypatch.setattr(wellformed, "provable", refuse)
    monkeypatch.setattr("docgen.render.engine._Patcher.patch_xml", refuse)
    monkeypatch.setattr("docgen.render.engine.sanitize", refuse)


def test_a_template_compiled_once_is_loaded_from_the_cache_and_fills_the_same(tmp_path, cache, monkeypatch):
    path = _template(tmp_path, *LETTER)
    first = CompiledTemplate(path)
    entries = list(cache.glob("*.marshal"))
    assert len(entries) == 1
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700 and stat.S_IMODE(entries[0].stat().st_mode) == 0o600

    _compiling_forbidden(monkeypatch)
    second = CompiledTemplate(path)
    assert second.blob == first.blob  # the sanitized template, as compiled
    assert [p.proven for p in second.parts] == [p.proven for p in first.parts] == [True]
    assert second.words == first.words
    assert second.render(CONTEXT, PROVENANCE) == first.render(CONTEXT, PROVENANCE)
    text = docx_text(second.render(CONTEXT, PROVENANCE))
    assert "Dear Ana <Test> & Bo," in text and "Person: Zoë" in text and "Person: Łukasz" in text
    assert "We are sorry this is late." in text and "{%" not in text


def test_a_template_loaded_from_the_cache_still_names_a_missing_field(tmp_path, cache, monkeypatch):
    path = _template(tmp_path, *LETTER)
    CompiledTemplate(path)
    _compiling_forbidden(monkeypatch)
    with pytest.raises(MissingField) as failure:
        CompiledTemplate(path).render({"people": [], "late": False}, PROVENANCE)
    assert "name" in failure.value.message


def test_a_changed_template_is_compiled_again(tmp_path, cache):
    path = _template(tmp_path, *LETTER)
    CompiledTemplate(path)
    _template(tmp_path, "Hello {{ name }}, a new version.")
    changed = CompiledTemplate(path)
    assert len(list(cache.glob("*.marshal"))) == 2
    assert "Hello Ana <Test> & Bo, a new version." in docx_text(changed.render(CONTEXT, PROVENANCE))


def test_an_entry_that_cannot_be_read_is_compiled_and_written_again(tmp_path, cache):
    path = _template(tmp_path, *LETTER)
    CompiledTemplate(path)
    (entry,) = cache.glob("*.marshal")
    entry.write_bytes(b"not marshal data")
    again = CompiledTemplate(path)
    assert "Person: Zoë" in docx_text(again.render(CONTEXT, PROVENANCE))
    assert compiled_cache.load(entry.stem) is not None  # rewritten whole


def test_an_entry_under_another_name_is_not_trusted(tmp_path, cache):
    first, second = _template(tmp_path, "One {{ name }}", name="one.docx"), _template(tmp_path, "Two {{ name }}", name="two.docx")
    CompiledTemplate(first)
    CompiledTemplate(second)
    one, two = (compiled_cache.key(path.read_bytes()) for path in (first, second))
    (cache / f"{two}.marshal").write_bytes((cache / f"{one}.marshal").read_bytes())  # copied over
    assert compiled_cache.load(two) is None
    assert "Two Ana" in docx_text(CompiledTemplate(second).render(CONTEXT, PROVENANCE))


def test_a_template_with_an_error_is_never_kept(tmp_path, cache):
    path = _template(tmp_path, "Dear {{ name }", "{% if late %}no end")
    for _ in range(2):
        with pytest.raises(TemplateError, match="Jinja syntax error"):
            CompiledTemplate(path)
    assert not list(cache.glob("*.marshal"))


def test_a_cache_folder_that_cannot_be_written_only_costs_time(tmp_path, monkeypatch):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("DOCGEN_CACHE_DIR", str(blocked))
    path = _template(tmp_path, *LETTER)
    for _ in range(2):
        assert "Person: Łukasz" in docx_text(CompiledTemplate(path).render(CONTEXT, PROVENANCE))


def test_old_entries_beyond_the_limit_are_removed(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(compiled_cache, "MAX_ENTRIES", 2)
    for n in range(4):
        CompiledTemplate(_template(tmp_path, f"Version {n}: {{{{ name }}}}", name=f"t{n}.docx"))
    assert len(list(cache.glob("*.marshal"))) == 2


def test_the_same_template_gives_the_same_document_as_docxtpl_after_loading(tmp_path, cache):
    from docxtpl import DocxTemplate

    path = _template(tmp_path, *LETTER)
    CompiledTemplate(path)
    loaded = CompiledTemplate(path)
    reference = DocxTemplate(str(path))
    reference.render(CONTEXT, autoescape=True)
    buffer = io.BytesIO()
    reference.save(buffer)
    assert docx_text(loaded.render(CONTEXT, PROVENANCE)) == docx_text(buffer.getvalue())
