"""The published JSON Schema: in step with marshmallow, and agreeing with it on every sample."""

from __future__ import annotations

import json

import jsonschema
import pytest
from click.testing import CliRunner

from conftest import INVALID_SAMPLES, ROOT, VALID_SAMPLES
from docgen.bundle.jsonschema import export_text
from docgen.bundle.schema import BundleSchema
from docgen.cli import cli

COMMITTED = ROOT / "schemas" / "case-bundle.schema.json"


def test_committed_schema_is_up_to_date():
    assert COMMITTED.read_text("utf-8") == export_text(), (
        "schemas/case-bundle.schema.json is out of date: run `docgen schema export`"
    )


def test_export_command_writes_the_schema(tmp_path):
    out = tmp_path / "schema.json"
    result = CliRunner().invoke(cli, ["schema", "export", "--out", str(out)])
    assert result.exit_code == 0
    assert result.stdout == f"{out}\n"
    schema = json.loads(out.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["children"]["minItems"] == 1
    assert schema["$defs"]["Child"]["properties"]["sex"]["enum"] == ["M", "F", "U"]
    assert schema["$defs"]["Child"]["additionalProperties"] is False


def _validator():
    schema = json.loads(COMMITTED.read_text("utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def _marshmallow_accepts(data) -> bool:
    return not BundleSchema().validate(data)


@pytest.mark.parametrize("sample", VALID_SAMPLES + INVALID_SAMPLES, ids=lambda p: p.parent.name + "/" + p.name)
def test_json_schema_agrees_with_marshmallow(sample):
    try:
        data = json.loads(sample.read_text("utf-8"))
    except json.JSONDecodeError:
        assert sample in INVALID_SAMPLES  # neither can accept what does not parse
        return
    by_json_schema = not list(_validator().iter_errors(data))
    assert by_json_schema == _marshmallow_accepts(data) == (sample in VALID_SAMPLES)
