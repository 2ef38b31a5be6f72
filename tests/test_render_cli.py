"""docgen render: files per document and recipient, read back; stdin/stdout; provenance; failures."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tomllib
import zipfile
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from conftest import ROOT, SAMPLES, docx_text
from docgen.cli import cli

SAMPLE = SAMPLES / "valid" / "worcestershire-child-in-need.json"
LETTERS = [
    "WOR-CIN-0001_outcome-letter_family-mum.docx",
    "WOR-CIN-0001_outcome-letter_agency-hv.docx",
    "WOR-CIN-0001_outcome-letter_agency-teacher.docx",
]


def render(*args, input=None):
    return CliRunner().invoke(cli, ["render", *map(str, args)], input=input)


def test_outcome_letter_per_recipient_with_their_address(tmp_path):
    result = render(SAMPLE, "--doc", "outcome-letter", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [str(tmp_path / name) for name in LETTERS]
    family = docx_text((tmp_path / LETTERS[0]).read_bytes())
    assert "Ms Dora Placeholder\n1 Imaginary Lane\nFictionville\nWR1 1AA" in family
    assert "Dear Ms Placeholder" in family
    assert "Thank you for working with us during our involvement." in family
    assert "Thank you for your assistance" not in family
    assert "20 November 2026" in family
    assert "contact us by 27 November 2026" in family  # 5 working days after 20 November
    agency = docx_text((tmp_path / LETTERS[1]).read_bytes())
    assert "Mr Harry Visitor-Example\nPretend Health Centre" in agency
    assert "Thank you for your assistance and support during our involvement." in agency
    assert "Poppy Placeholder and Alfie Placeholder" in agency
    assert "Dora Placeholder" not in agency  # the family's own letter is not the agency's


def test_json_lists_each_file_with_its_hash(tmp_path):
    result = render(SAMPLE, "--doc", "outcome-letter", "--out", tmp_path, "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [r["recipient"] for r in rows] == ["family-mum", "agency-hv", "agency-teacher"]
    for row in rows:
        content = Path(row["path"]).read_bytes()
        assert row["sha256"] == hashlib.sha256(content).hexdigest()
        assert row["document"] == "outcome-letter"
        assert row["case_reference"] == "WOR-CIN-0001"


def test_provenance_in_document_properties_without_personal_data(tmp_path):
    render(SAMPLE, "--doc", "outcome-letter", "--out", tmp_path)
    path = tmp_path / LETTERS[0]
    props = docx.Document(str(path)).core_properties
    assert props.title == "Standard Outcome/Closure Letter"
    assert props.author == "Worcestershire County Council"
    assert props.subject == "outcome-letter WOR-CIN-0001"
    with zipfile.ZipFile(path) as archive:
        custom = archive.read("docProps/custom.xml").decode()
        core = archive.read("docProps/core.xml").decode()
    template = (ROOT / "templates" / "default" / "outcome-letter.docx").read_bytes()
    version = tomllib.loads((ROOT / "templates" / "default" / "outcome-letter.toml").read_text("utf-8"))["version"]
    for expected in (
        'name="docgen.document"><vt:lpwstr>outcome-letter<',
        f'name="docgen.template_version"><vt:lpwstr>{version}<',
        f'name="docgen.template_sha256"><vt:lpwstr>{hashlib.sha256(template).hexdigest()}<',
        'name="docgen.case_reference"><vt:lpwstr>WOR-CIN-0001<',
        'name="docgen.version"><vt:lpwstr>0.1.0<',
        'name="docgen.generated"><vt:lpwstr>20',
    ):
        assert expected in custom
    for personal in ("Placeholder", "Dora", "Poppy", "Imaginary"):
        assert personal not in custom + core


def test_bundle_from_standard_input_and_zip_to_standard_output():
    result = render("-", "--doc", "outcome-letter", "--out", "-", input=SAMPLE.read_bytes())
    assert result.exit_code == 0, result.stderr
    with zipfile.ZipFile(io.BytesIO(result.stdout_bytes)) as archive:
        assert archive.namelist() == LETTERS


def test_single_document_to_standard_output_is_the_docx_itself(tmp_path):
    data = json.loads(SAMPLE.read_text())
    data["professionals"] = data["professionals"][:2]  # no agencies: only the family letter
    for section in ("information_requests", "plan", "reviews"):
        data.pop(section)
    data["closure"].pop("ongoing_actions")
    result = render("-", "--doc", "outcome-letter", "--out", "-", input=json.dumps(data))
    assert result.exit_code == 0
    assert "Dear Ms Placeholder" in docx_text(result.stdout_bytes)


def test_invalid_bundle_writes_nothing(tmp_path):
    result = render(SAMPLES / "invalid" / "bad-values.json", "--doc", "outcome-letter", "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: [INV-0002] {SAMPLES / 'invalid' / 'bad-values.json'}: The bundle has 6 problems.\n")
    assert not (tmp_path / "out").exists()


def test_python_api_writes_files_and_says_what_it_wrote(tmp_path):
    """Pipeline.write does for Python callers what render --json does: every file with its
    SHA-256, and each document that failed with its error, the others still written."""
    from docgen.pipeline import Pipeline

    pipeline = Pipeline()
    bundle = pipeline.load(SAMPLE)
    rows = pipeline.write(bundle, tmp_path, ["outcome-letter", "outcome-leter"], fmt="both")
    files = [r for r in rows if r.error is None]
    assert [(r.recipient, r.format) for r in files] == [
        (recipient, fmt) for recipient in ("family-mum", "agency-hv", "agency-teacher") for fmt in ("docx", "pdf")
    ]
    for row in files:
        assert row.path.parent == tmp_path and row.path.suffix == f".{row.format}"
        assert row.sha256 == hashlib.sha256(row.path.read_bytes()).hexdigest()
        assert row.to_dict()["path"] == str(row.path)
    assert "Ms Dora Placeholder" in docx_text((tmp_path / LETTERS[0]).read_bytes())
    (failed,) = [r for r in rows if r.error is not None]
    assert failed.document == "outcome-leter" and failed.error.exit_code == 4
    assert failed.to_dict()["error"]["error"] == "template-not-found"


def test_json_with_standard_output_is_a_usage_error(tmp_path):
    result = render(SAMPLE, "--doc", "outcome-letter", "--out", "-", "--json")
    assert result.exit_code == 2
    assert "--json lists files written to a folder" in result.stderr


def test_doc_or_all_is_required(tmp_path):
    result = render(SAMPLE, "--out", tmp_path)
    assert result.exit_code == 2
    assert "Give --doc ID (one or more) or --all." in result.stderr


def test_unknown_document_is_a_template_error(tmp_path):
    result = render(SAMPLE, "--doc", "outcome-leter", "--out", tmp_path, "--json")
    assert result.exit_code == 4
    (row,) = json.loads(result.stdout)
    assert row["error"]["error"] == "template-not-found"
    assert row["error"]["case_reference"] == "WOR-CIN-0001"
    assert row["error"]["message"].startswith("No template for document 'outcome-leter'. Known: ")


@pytest.fixture
def registry_with_broken_template(tmp_path):
    """A copy of the registry whose Derbyshire outcome letter asks for a field bundles lack."""
    root = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", root)
    document = docx.Document(str(root / "default" / "outcome-letter.docx"))
    document.add_paragraph("School nurse: {{ child.school_nurse }}")
    document.save(str(root / "worcestershire" / "outcome-letter.docx"))
    shutil.copy(root / "default" / "outcome-letter.toml", root / "worcestershire" / "outcome-letter.toml")
    return root


def test_missing_field_names_template_field_and_case(tmp_path, registry_with_broken_template):
    out = tmp_path / "out"
    result = render(SAMPLE, "--doc", "outcome-letter", "--out", out, "--templates", registry_with_broken_template)
    assert result.exit_code == 4
    first = result.stderr.splitlines()[0]
    assert first == (
        "Error: [WOR-CIN-0001] templates/worcestershire/outcome-letter.docx (word/document.xml): "
        "The template uses the field 'school_nurse', which this case bundle does not have."
    )
    assert not out.exists() or not list(out.iterdir())


def test_one_failing_document_does_not_stop_the_others(tmp_path, registry_with_broken_template):
    result = render(
        SAMPLE, "--doc", "outcome-letter", "--doc", "nonexistent-doc", "--out", tmp_path,
        "--templates", registry_with_broken_template / ".." / "templates",
    )
    assert result.exit_code == 4  # every document failed: the first error's own code
    mixed = render(SAMPLE, "--doc", "outcome-letter", "--doc", "nonexistent-doc", "--out", tmp_path / "mixed")
    assert mixed.exit_code == 3
    assert mixed.stderr.endswith("1 of 4 documents failed.\n")
    assert sorted(p.name for p in (tmp_path / "mixed").iterdir()) == sorted(LETTERS)


def test_pdf_output_with_metadata_and_password(tmp_path):
    from pypdf import PdfReader

    secret = tmp_path / "password.txt"
    secret.write_text("correct horse\n")
    out = tmp_path / "out"
    result = render(SAMPLE, "--doc", "outcome-letter", "--out", out, "--format", "both", "--password-file", secret)
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(LETTERS + [n.replace(".docx", ".pdf") for n in LETTERS])
    reader = PdfReader(out / LETTERS[0].replace(".docx", ".pdf"))
    assert reader.is_encrypted
    assert reader.decrypt("correct horse")
    text = reader.pages[0].extract_text()
    assert "Dear Ms Placeholder" in text and "WR1 1AA" in text
    assert reader.metadata.title == "Standard Outcome/Closure Letter"
    assert reader.metadata.author == "Worcestershire County Council"
    assert reader.metadata.subject == "outcome-letter WOR-CIN-0001"


def test_templates_list_resolves_overrides_per_authority():
    result = CliRunner().invoke(cli, ["templates", "list", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert {r["authority"] for r in rows} == {"derbyshire", "south-gloucestershire", "worcestershire"}
    for row in rows:
        expected = ROOT / "templates" / row["origin"] / f"{row['id']}.docx"
        assert Path(row["path"]) == expected
        assert row["sha256"] == hashlib.sha256(expected.read_bytes()).hexdigest()
    unknown = CliRunner().invoke(cli, ["templates", "list", "--authority", "atlantis"])
    assert unknown.exit_code == 4
    assert unknown.stderr.startswith("Error: Unknown authority 'atlantis'. Known: ")


def test_render_prints_the_bundles_warnings_and_still_writes(tmp_path):
    data = json.loads(SAMPLE.read_text("utf-8"))
    data["plan"]["review_dates"] = ["2026-12-25"]
    result = render("-", "--doc", "outcome-letter", "--out", tmp_path, input=json.dumps(data))
    assert result.exit_code == 0
    assert "<stdin>: plan.review_dates[0]: warning: 25 December 2026 is not a working day" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(LETTERS)
    strict = render("-", "--doc", "outcome-letter", "--out", tmp_path / "strict", "--strict", input=json.dumps(data))
    assert strict.exit_code == 1 and not (tmp_path / "strict").exists()


def test_pdfa_with_a_password_is_a_usage_error_before_any_work(tmp_path):
    result = render(SAMPLE, "--doc", "outcome-letter", "--format", "pdf", "--pdfa", "--password", "x", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "PDF/A does not allow encryption" in result.stderr
    assert not (tmp_path / "out").exists()
