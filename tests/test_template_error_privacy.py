"""A template cannot put personal data into an error message, even a value it computed.

Redacting the bundle's own values misses ``'POPPY'`` made by ``|upper`` or an address made by
``|join``: errors repeat only what the template itself says, and name the expression instead.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT, SAMPLES
from docgen.cli import cli
from docgen.exceptions import MissingField, TemplateError
from docgen.render.engine import CompiledTemplate, Provenance
from security_helpers import make_template

PROVENANCE = Provenance("test-doc", "Test", "1.0", "0" * 64, "CASE-1", "Test Council",
                        datetime(2026, 11, 20, tzinfo=timezone.utc))
CONTEXT = {"children": [{"first_name": "Poppy", "address": {"lines": ["1 Imaginary Lane", "Fictionville"]}}]}
COMPUTED_NAME = "The template looks up a field by a name made from the bundle's values, and the case bundle has no such field"
# docxtpl renders a template with a RichText tag whole: errors must read the same on that path.
DOCXTPL_PARAGRAPHS = ("{%p if false %}", "{{r children }}", "{%p endif %}")


def failure(tmp_path: Path, *paragraphs: str) -> TemplateError:
    path = make_template(tmp_path / "leaky.docx", *paragraphs)
    with pytest.raises(TemplateError) as caught:
        CompiledTemplate(path, label="leaky.docx").render(CONTEXT, PROVENANCE)
    return caught.value


def assert_no_value(error: TemplateError) -> None:
    text = str(error)
    for value in ("Poppy", "POPPY", "poppy", "Imaginary", "IMAGINARY", "Fictionville", "oppy", "1-"):
        assert value not in text, (value, text)
    assert error.__cause__ is None and error.__suppress_context__  # a logged traceback ends here


@pytest.mark.parametrize("docxtpl", [False, True], ids=["fast-path", "docxtpl"])
@pytest.mark.parametrize(
    "expression",
    [
        "{{ {}[children[0].first_name|upper] }}",
        "{{ {}[children[0].address.lines|join(', ')] }}",
        "{{ {}[children[0].first_name|join('-')] }}",
        "{{ {}[children[0].first_name[1:]] }}",
    ],
    ids=["upper", "joined-address", "joined-letters", "sliced"],
)
def test_a_field_named_by_a_computed_value_names_the_expression_not_the_value(tmp_path, expression, docxtpl):
    error = failure(tmp_path, "Dear family,", expression, *(DOCXTPL_PARAGRAPHS if docxtpl else ()))
    assert isinstance(error, MissingField)
    assert error.message.startswith(f"{COMPUTED_NAME} (in {expression}")
    assert_no_value(error)


@pytest.mark.parametrize("docxtpl", [False, True], ids=["fast-path", "docxtpl"])
def test_a_python_error_about_a_computed_value_keeps_the_expression_and_drops_the_value(tmp_path, docxtpl):
    expression = "{{ [1].index(children[0].first_name|upper) }}"
    error = failure(tmp_path, expression, *(DOCXTPL_PARAGRAPHS if docxtpl else ()))
    assert error.message.startswith(f"The template failed: '[personal data removed]' is not in list (in {expression}")
    assert_no_value(error)


def test_a_field_the_template_spells_is_still_named(tmp_path):
    error = failure(tmp_path, "{{ children[0].nickname }}")
    assert error.message == "The template uses the field 'nickname', which this case bundle does not have."


def test_an_error_that_carries_no_value_is_unchanged(tmp_path):
    error = failure(tmp_path, "{{ children[0].first_name + 1 }}")
    assert error.message == 'The template failed: can only concatenate str (not "int") to str.'


def test_the_debug_switch_shows_the_computed_value(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCGEN_DEBUG_PERSONAL_DATA", "1")
    error = failure(tmp_path, "{{ {}[children[0].first_name|upper] }}")
    assert error.message == "The template uses the field 'POPPY', which this case bundle does not have."


def test_render_prints_no_computed_value_from_the_bundle(tmp_path):
    root = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", root)
    make_template(root / "worcestershire" / "family-plan.docx", "Plan for", "{{ {}[child.first_name|upper] }}")
    shutil.copy(root / "default" / "family-plan.toml", root / "worcestershire" / "family-plan.toml")
    sample = SAMPLES / "valid" / "worcestershire-child-in-need.json"
    child = json.loads(sample.read_text("utf-8"))["children"][0]
    result = CliRunner().invoke(cli, ["render", str(sample), "--doc", "family-plan", "--templates", str(root),
                                      "--out", str(tmp_path / "out"), "--no-record"])  # fmt: skip
    assert result.exit_code == 4, result.output
    assert result.stderr == ("Error: [WOR-CIN-0001] templates/worcestershire/family-plan.docx: "
                             f"{COMPUTED_NAME} (in {{{{ {{}}[child.first_name|upper] }}}}), in body paragraph 2 "
                             '("{{ {}[child.first_name|upper] }}").\n')  # fmt: skip
    for value in (child["first_name"], child["first_name"].upper(), child["last_name"]):
        assert value not in result.output
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_a_value_that_is_also_a_word_of_the_wording_is_still_left_out(tmp_path):
    """Only the template's tags count as its own text: the name Poppy in the wording does not
    make the value 'Poppy' safe to print."""
    error = failure(tmp_path, "Poppy seeds are a fine example.", "{{ {}[children[0].first_name] }}")
    assert error.message == f"{COMPUTED_NAME} (in {{{{ {{}}[children[0].first_name] }}}})."
    assert_no_value(error)
