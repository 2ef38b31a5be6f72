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


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    """render records into ./.docgen/register.sqlite3 unless told otherwise: keep it out of the repository."""
    monkeypatch.delenv("DOCGEN_REGISTER", raising=False)
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")


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
    result = render(SAMPLE, "--doc", "outcome-letter", "--out", tmp_path / "out", "--json")
    assert result.exit_code == 0
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert (report["case_reference"], report["exit_code"], report["error"]) == ("WOR-CIN-0001", 0, None)
    assert (report["failures"], report["skipped"], report["warnings"]) == ([], [], [])
    assert report["register"]["path"] == ".docgen/register.sqlite3"
    rows = report["files"]
    assert [r["recipient"] for r in rows] == ["family-mum", "agency-hv", "agency-teacher"]
    for row in rows:
        content = Path(row["path"]).read_bytes()
        assert row["sha256"] == hashlib.sha256(content).hexdigest()
        assert row["document"] == "outcome-letter"
        assert row["case_reference"] == "WOR-CIN-0001"
        assert row["replaced"] is False


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
    for expected in (
        'name="docgen.document"><vt:lpwstr>outcome-letter<',
        f'name="docgen.template_version"><vt:lpwstr>{_toml_version("outcome-letter")}<',
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
    for section in ("information_requests", "plan", "reviews", "step_up", "step_down", "meeting_notes"):
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


def test_json_with_standard_output_is_a_usage_error_in_the_same_json_shape(tmp_path):
    result = render(SAMPLE, "--doc", "outcome-letter", "--out", "-", "--json")
    assert result.exit_code == 2
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert report["error"] == {
        "error": "usage", "message": "--json lists files written to a folder; with --out - the files are the output.",
        "source": None, "path": None, "case_reference": None, "exit_code": 2,
    }  # fmt: skip
    assert (report["exit_code"], report["files"], report["register"]) == (2, [], None)


def test_an_invalid_bundle_with_json_is_one_object_on_standard_output(tmp_path):
    bad = SAMPLES / "invalid" / "bad-values.json"
    result = render(bad, "--doc", "outcome-letter", "--out", tmp_path / "out", "--json")
    assert result.exit_code == 1
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert report["case_reference"] == "INV-0002" and report["exit_code"] == 1
    assert report["error"]["error"] == "invalid-bundle" and report["error"]["source"] == str(bad)
    assert len(report["error"]["problems"]) == 6
    assert (report["files"], report["failures"], report["register"]) == ([], [], None)
    assert not (tmp_path / "out").exists() and not Path(".docgen").exists()


def test_without_doc_or_all_the_bundles_documents_requested_are_made(tmp_path):
    data = json.loads(SAMPLE.read_text("utf-8"))
    data["documents_requested"] = ["outcome-letter", "prompt-sheet"]
    result = render("-", "--out", tmp_path / "out", input=json.dumps(data))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        LETTERS + ["WOR-CIN-0001_prompt-sheet.docx"])
    both = render(SAMPLE, "--doc", "outcome-letter", "--all", "--out", tmp_path / "both")
    assert both.exit_code == 2 and "Give --doc ID (one or more) or --all, not both." in both.stderr


def test_standard_output_gets_nothing_when_no_document_could_be_made(tmp_path):
    result = CliRunner().invoke(cli, ["render", str(SAMPLE), "--doc", "outcome-leter", "--out", "-"])
    assert result.exit_code == 4
    assert result.stdout_bytes == b""  # not an empty zip
    assert "No template for document 'outcome-leter'" in result.stderr
    assert not Path(".docgen").exists()  # nothing issued, nothing recorded


def test_render_records_in_the_register_and_history_shows_it(tmp_path, monkeypatch):
    result = render(SAMPLE, "--doc", "outcome-letter", "--out", tmp_path / "out")
    assert result.exit_code == 0
    run_id = result.stderr.split(" as run ")[1].rstrip(".\n")
    assert result.stderr.endswith(f"Recorded in .docgen/register.sqlite3 as run {run_id}.\n")
    history = CliRunner().invoke(cli, ["history", "WOR-CIN-0001", "--json"])  # ./.docgen by default
    assert history.exit_code == 0, history.output
    issues = json.loads(history.stdout)
    assert [(i["document"], i["recipient"], i["format"], i["run_id"]) for i in issues] == [
        ("outcome-letter", r, "docx", run_id) for r in ("family-mum", "agency-hv", "agency-teacher")]
    for issue, name in zip(issues, LETTERS):
        path = tmp_path / "out" / name
        assert issue["output_path"] == str(path)
        assert issue["output_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert issue["template"] == "default/outcome-letter"
        assert issue["bundle_sha256"] and issue["profile_sha256"] and issue["pages"] is None

    piped = render("-", "--doc", "outcome-letter", "--out", "-", input=SAMPLE.read_bytes())
    assert piped.exit_code == 0
    with zipfile.ZipFile(io.BytesIO(piped.stdout_bytes)) as archive:
        sent = {name: hashlib.sha256(archive.read(name)).hexdigest() for name in archive.namelist()}
    later = json.loads(CliRunner().invoke(cli, ["history", "WOR-CIN-0001", "--json"]).stdout)[3:]
    assert [(i["output_path"], i["output_sha256"]) for i in later] == [("-", sent[name]) for name in LETTERS]

    elsewhere = tmp_path / "elsewhere.sqlite3"
    monkeypatch.setenv("DOCGEN_REGISTER", str(elsewhere))
    assert render(SAMPLE, "--doc", "outcome-letter", "--out", tmp_path / "env").exit_code == 0
    assert len(json.loads(CliRunner().invoke(cli, ["history", "WOR-CIN-0001", "--json"]).stdout)) == 3
    flag = tmp_path / "flag.sqlite3"
    assert render(SAMPLE, "--doc", "outcome-letter", "--out", tmp_path / "f", "--register", flag).exit_code == 0
    assert flag.exists()


def test_no_record_is_a_preview_that_leaves_no_trace(tmp_path):
    result = render(SAMPLE, "--doc", "outcome-letter", "--out", tmp_path / "out", "--no-record", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["register"] is None
    assert len(list((tmp_path / "out").iterdir())) == 3
    assert not Path(".docgen").exists()


def test_a_file_already_there_is_replaced_and_said_so(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / LETTERS[0]).write_bytes(b"someone else's file")
    result = render(SAMPLE, "--doc", "outcome-letter", "--out", out)
    assert result.exit_code == 0
    assert f"Warning: replaced {out / LETTERS[0]}, which was already there.\n" in result.stderr
    assert result.stderr.count("Warning: replaced") == 1
    assert "Ms Dora Placeholder" in docx_text((out / LETTERS[0]).read_bytes())
    report = json.loads(render(SAMPLE, "--doc", "outcome-letter", "--out", out, "--json").stdout)
    assert [row["replaced"] for row in report["files"]] == [True, True, True]


def test_unknown_document_is_a_template_error(tmp_path):
    result = render(SAMPLE, "--doc", "outcome-leter", "--out", tmp_path, "--json")
    assert result.exit_code == 4
    (row,) = json.loads(result.stdout)["failures"]
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


def test_a_misspelt_field_blames_the_template_once_with_its_place_and_a_suggestion(
        tmp_path, registry_with_broken_template):
    out = tmp_path / "out"
    result = render(SAMPLE, "--doc", "outcome-letter", "--out", out, "--templates", registry_with_broken_template)
    assert result.exit_code == 4
    assert result.stderr == (
        "Error: [WOR-CIN-0001] templates/worcestershire/outcome-letter.docx: The template has 1 error in its "
        'wording, whatever bundle fills it: body paragraph 28 ("School nurse: {{ child.school_nurse }}"): '
        "`child.school_nurse` is not a field this template can use: did you mean `child.school`? "
        "(for family-mum, agency-hv, agency-teacher)\n"
    )
    assert "does not have" not in result.stderr
    assert not out.exists() or not list(out.iterdir())


def test_a_field_the_bundle_lacks_is_named_with_the_paragraph_using_it(tmp_path):
    root = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", root)
    document = docx.Document(str(root / "default" / "outcome-letter.docx"))
    document.add_paragraph("Known as: {{ children[0].preferred_name }}")
    document.save(str(root / "default" / "outcome-letter.docx"))
    data = json.loads(SAMPLE.read_text("utf-8"))
    data["children"][0].pop("preferred_name", None)
    bundle = tmp_path / "case.json"
    bundle.write_text(json.dumps(data), "utf-8")
    result = render(bundle, "--doc", "outcome-letter", "--out", tmp_path / "out", "--templates", root)
    assert result.exit_code == 4
    assert result.stderr == (
        "Error: [WOR-CIN-0001] templates/default/outcome-letter.docx: The template uses the field "
        "'preferred_name', which this case bundle does not have, in body paragraph 28 "
        '("Known as: {{ children[0].preferred_name }}"). (for family-mum, agency-hv, agency-teacher)\n'
    )


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
    result = render(SAMPLE, "--doc", "outcome-letter", "--out", out, "--format", "pdf", "--password-file", secret)
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(n.replace(".docx", ".pdf") for n in LETTERS)  # no open DOCX beside them
    reader = PdfReader(out / LETTERS[0].replace(".docx", ".pdf"))
    assert reader.is_encrypted
    assert reader.decrypt("correct horse")
    text = reader.pages[0].extract_text()
    assert "Dear Ms Placeholder" in text and "WR1 1AA" in text
    assert reader.metadata.title == "Standard Outcome/Closure Letter"
    assert reader.metadata.author == "Worcestershire County Council"
    assert reader.metadata.subject == "outcome-letter WOR-CIN-0001"
    assert reader.xmp_metadata.dc_title == {"x-default": "Standard Outcome/Closure Letter"}
    issues = json.loads(CliRunner().invoke(cli, ["history", "WOR-CIN-0001", "--json"]).stdout)
    assert [(i["format"], i["pages"]) for i in issues][0] == ("pdf", len(reader.pages))  # read with the password


@pytest.mark.parametrize("fmt", ["docx", "both"])
def test_a_password_with_docx_output_is_refused_before_any_work(tmp_path, fmt):
    result = render(SAMPLE, "--doc", "outcome-letter", "--out", tmp_path / "out", "--format", fmt,
                    "--password", "correct horse")
    assert result.exit_code == 2
    assert (f"Error: --format {fmt} writes DOCX files, which cannot be encrypted: "
            "use --format pdf with a password.") in result.stderr
    assert not (tmp_path / "out").exists()


def test_templates_list_resolves_overrides_per_authority():
    result = CliRunner().invoke(cli, ["templates", "list", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert {r["authority"] for r in rows} == {"derbyshire", "south-gloucestershire", "worcestershire"}
    for row in rows:
        expected = ROOT / "templates" / row["origin"] / f"{row['id']}.docx"
        assert Path(row["path"]) == expected
        assert row["sha256"] == hashlib.sha256(expected.read_bytes()).hexdigest()
    unknown = CliRunner().invoke(cli, ["templates", "list", "--authority", "nowhere"])
    assert unknown.exit_code == 2
    assert unknown.stdout == ""
    assert unknown.stderr == "Error: Unknown authority 'nowhere'. Known: derbyshire, south-gloucestershire, worcestershire.\n"
    misspelt = CliRunner().invoke(cli, ["templates", "list", "--authority", "worcestershir"])
    assert misspelt.exit_code == 2
    assert misspelt.stderr.startswith("Error: Unknown authority 'worcestershir'. Did you mean 'worcestershire'? ")


def test_render_prints_the_bundles_warnings_and_still_writes(tmp_path):
    data = json.loads(SAMPLE.read_text("utf-8"))
    data["plan"]["review_dates"] = ["2026-12-25"]
    result = render("-", "--doc", "outcome-letter", "--out", tmp_path / "out", input=json.dumps(data))
    assert result.exit_code == 0
    assert "<stdin>: plan.review_dates[0]: warning: 25 December 2026 is not a working day" in result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(LETTERS)
    strict = render("-", "--doc", "outcome-letter", "--out", tmp_path / "strict", "--strict", input=json.dumps(data))
    assert strict.exit_code == 1 and not (tmp_path / "strict").exists()


def test_pdfa_with_a_password_is_a_usage_error_before_any_work(tmp_path):
    result = render(SAMPLE, "--doc", "outcome-letter", "--format", "pdf", "--pdfa", "--password", "x", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "PDF/A does not allow encryption" in result.stderr
    assert not (tmp_path / "out").exists()


def test_every_pdf_carries_its_metadata_in_the_info_dictionary_and_xmp(tmp_path):
    from pypdf import PdfReader

    out = tmp_path / "out"
    result = render(SAMPLE, "--doc", "outcome-letter", "--out", out, "--format", "pdf")
    assert result.exit_code == 0, result.stderr
    reader = PdfReader(out / LETTERS[0].replace(".docx", ".pdf"))
    assert not reader.is_encrypted
    assert (reader.metadata.title, reader.metadata.author, reader.metadata.subject) == (
        "Standard Outcome/Closure Letter", "Worcestershire County Council", "outcome-letter WOR-CIN-0001",
    )
    xmp = reader.xmp_metadata
    assert xmp.dc_title == {"x-default": "Standard Outcome/Closure Letter"}
    assert xmp.dc_creator == ["Worcestershire County Council"]
    assert xmp.dc_description == {"x-default": "outcome-letter WOR-CIN-0001"}
    assert "Ms Placeholder" not in reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()


def test_a_batch_sharing_the_register_skips_what_render_issued(tmp_path, monkeypatch):
    from docgen.cli_batch import batch

    monkeypatch.setenv("DOCGEN_REGISTER", str(tmp_path / "shared.sqlite3"))
    cases = tmp_path / "cases"
    cases.mkdir()
    shutil.copy(SAMPLE, cases)
    assert render(SAMPLE, "--doc", "outcome-letter", "--out", tmp_path / "out").exit_code == 0
    result = CliRunner().invoke(batch, [str(cases), "--out", str(tmp_path / "out"), "--doc", "outcome-letter",
                                        "--json", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["issued"], summary["skipped"]) == (0, 3)


def _toml_version(doc_id: str) -> str:
    """The version the default template's metadata gives (raised whenever its wording changes)."""
    meta = (ROOT / "templates" / "default" / f"{doc_id}.toml").read_text("utf-8")
    return tomllib.loads(meta)["version"]
