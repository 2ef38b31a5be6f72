"""Fillable forms: built from the repo, pre-filled from a bundle, filled by a family, read back."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import INVALID_SAMPLES, ROOT, VALID_SAMPLES
from forms_helpers import (
    FORMS,
    SAMPLE,
    encrypted_copy,
    handmade_pdf,
    family_fills,
    field_values,
    invoke,
    pdftotext,
    plain_pdf,
)
from pypdf import PdfReader

from docgen.cli_forms import feedback as feedback_cli
from docgen.cli_forms import forms as forms_cli
from docgen.forms import Forms
from docgen.forms import wording as w
from docgen.forms.build import LAYOUTS, build, differences
from docgen.forms.pdffields import CHECKBOX, RADIO

SEED = ROOT / "tests" / "fixtures" / "source" / "003-appendices.txt"  # from ../shared/seeds/
FORM_IDS = ["assessment-agreement", "family-meeting-agreement", "feedback-sheet", "meeting-invitation-list"]


def fill(*args):
    return invoke(forms_cli, ["fill", *args])


def extract(*args):
    return invoke(forms_cli, ["extract", *args])


@pytest.fixture(scope="module")
def prefilled(tmp_path_factory) -> Path:
    """Every form pre-filled from the Worcestershire sample, once for the module."""
    out = tmp_path_factory.mktemp("prefilled")
    args = [SAMPLE, "--out", out]
    for form_id in FORM_IDS:
        args += ["--form", form_id]
    result = fill(*args)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [str(out / f"WOR-CIN-0001_{f}_form.pdf") for f in FORM_IDS]
    assert result.stderr == ""
    return out


# -- the committed forms ------------------------------------------------------------------------
def test_the_forms_folder_holds_the_four_forms():
    assert Forms(FORMS).ids() == FORM_IDS
    assert sorted(LAYOUTS) == FORM_IDS


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_committed_pdf_is_what_the_builder_makes(form_id):
    info = Forms(FORMS).get(form_id)
    built = build(info)
    assert differences(info.pdf_path, built) == []
    assert build(info) == built  # reproducible: a rebuild changes no byte


def test_builder_check_reports_a_stale_form(tmp_path):
    stale = tmp_path / "feedback-sheet.pdf"
    shutil.copy(FORMS / "family-meeting-agreement.pdf", stale)
    info = Forms(FORMS).get("feedback-sheet")
    assert differences(stale, build(info)) == [
        f"{stale} has different fields from the builder's",
        f"{stale} has different wording from the builder's",
    ]


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_each_form_says_which_form_and_version_it_is(form_id):
    values = field_values(FORMS / f"{form_id}.pdf")
    assert values["docgen_form"] == form_id
    assert values["docgen_form_version"] == "1.0"


def test_feedback_sheet_fields_and_kinds():
    fields = Forms(FORMS).get("feedback-sheet").fields
    for name in w.YES_NO_QUESTIONS:
        assert (fields[name].kind, fields[name].options) == (RADIO, ("yes", "no"))
    for name in w.RATINGS:
        assert (fields[name].kind, fields[name].options) == (RADIO, ("1", "2", "3", "4", "5"))
    assert fields["helpfulness"].options == (
        "very_unhelpful", "unhelpful", "no_difference", "helpful", "very_helpful",
    )  # fmt: skip
    for name in ("family", "name", "date", "most_least_helpful", "improvements", "case_reference"):
        assert fields[name].kind == "text"
    assert len(fields) == 2 + 4 + 5 + 5 + 1 + 2


def test_agreements_and_invitation_list_have_their_rows():
    forms = Forms(FORMS)
    family = forms.get("family-meeting-agreement").fields
    assert {f"{k}_{n}" for k in ("name", "signature", "date") for n in range(1, 11)} <= set(family)
    assessment = forms.get("assessment-agreement").fields
    assert {"name_1", "signature_1", "date_1", "name_2", "signature_2", "date_2"} <= set(assessment)
    assert all(assessment[name].kind == CHECKBOX for name in w.ASSESSMENT_LEAFLETS)
    invitation = forms.get("meeting-invitation-list").fields
    assert all(invitation[f"family_attending_{n}"].kind == CHECKBOX for n in range(1, 7))
    assert all(invitation[f"professional_attending_{n}"].kind == CHECKBOX for n in range(1, 11))


def _squashed(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("•", " ").replace("*", "")).strip()  # "*": the seed's italics


def test_wording_is_the_source_documents():
    source = _squashed(SEED.read_text("utf-8"))
    words = [
        w.FEEDBACK_INTRO, *w.RATINGS.values(), *w.HELPFULNESS.values(), *w.COMMENTS.values(),
        w.HELPFULNESS_QUESTION, w.HELPFULNESS_PROMPT, *w.FAMILY_MEETING_STATEMENTS,
        w.ASSESSMENT_LEAFLET_INTRO, *w.ASSESSMENT_LEAFLETS.values(), *w.ASSESSMENT_STATEMENTS,
        *[q for q in w.YES_NO_QUESTIONS.values() if "regular feedback" not in q],
    ]  # fmt: skip
    assert [text for text in words if _squashed(text) not in source] == []
    # The source's "by the worker ?" loses only its stray space.
    assert "Were you given regular feedback by the worker ?" in source


@pytest.mark.parametrize("form_id, texts", [
    ("feedback-sheet", [w.FEEDBACK_INTRO, *w.YES_NO_QUESTIONS.values(), *w.RATINGS.values(),
                        *w.HELPFULNESS.values(), *w.COMMENTS.values()]),
    ("family-meeting-agreement", [*w.FAMILY_MEETING_STATEMENTS, "Name Signature Date"]),
    ("assessment-agreement", [*w.ASSESSMENT_STATEMENTS, *w.ASSESSMENT_LEAFLETS.values(),
                              "Signed:", "Dated:"]),
    ("meeting-invitation-list", ["Name of family member Relationship Address Phone number Notes Attending",
                                 "Name of Representative Agency Address",
                                 "Brief details of reason for meeting"]),
])  # fmt: skip
def test_each_form_prints_its_wording(form_id, texts):
    text = _squashed(pdftotext(FORMS / f"{form_id}.pdf", "-raw"))
    assert [t for t in texts if _squashed(t) not in text] == []


# -- fill ---------------------------------------------------------------------------------------
def test_fill_prefills_the_feedback_sheet(prefilled):
    path = prefilled / "WOR-CIN-0001_feedback-sheet_form.pdf"
    values = field_values(path)
    assert values["case_reference"] == "WOR-CIN-0001"
    assert values["family"] == "Placeholder"
    assert values["name"] == ""
    assert values["aims_clear"] is None
    text = pdftotext(path)
    assert re.search(r"Case reference +WOR-CIN-0001", text)
    assert re.search(r"Family: +Placeholder", text)


def test_fill_prefills_the_meeting_invitation_list(prefilled):
    path = prefilled / "WOR-CIN-0001_meeting-invitation-list_form.pdf"
    values = field_values(path)
    assert values["children_names"] == "Poppy Placeholder and Alfie Placeholder"
    assert values["children_dob"] == "12 April 2017; 30 August 2020"
    assert values["child_address"] == "1 Imaginary Lane, Fictionville, WR1 1AA"
    assert values["meeting_datetime"] == "3 December 2026 at 10:30am"
    assert values["venue"] == "Fictionville Family Hub, 10 Story Street, Fictionville, WR5 5EE"
    assert values["chair"] == "Tess Manager-Example"
    assert [values[f"family_name_{n}"] for n in (1, 2, 3)] == ["Dora Placeholder", "Edna Makebelieve", ""]
    assert values["family_relationship_2"] == "Maternal grandmother"
    assert values["family_notes_2"] == "Cares for the children after school."
    assert [values[f"family_attending_{n}"] for n in (1, 2)] == ["/Yes", "/Off"]
    assert [values[f"professional_name_{n}"] for n in range(1, 5)] == [
        "Sam Socialworker-Example", "Tess Manager-Example", "Harry Visitor-Example", "Tara Teacher-Example",
    ]  # fmt: skip
    assert values["professional_address_3"] == "Pretend Health Centre, 3 Nowhere Road, Fictionville, WR3 3CC"
    assert [values[f"professional_attending_{n}"] for n in range(1, 5)] == ["/Yes", "/Off", "/Yes", "/Off"]
    text = pdftotext(path)
    for shown in (
        "Poppy Placeholder and Alfie Placeholder",
        "12 April 2017; 30 August 2020",
        "3 December 2026 at 10:30am",
        "Meeting Room 2",
        "Harry Visitor-Example",
        "Fictional Community Health Trust",
        "01632 960020",
    ):
        assert shown in text


def test_fill_prefills_the_agreements(prefilled):
    family = field_values(prefilled / "WOR-CIN-0001_family-meeting-agreement_form.pdf")
    assert family["children_names"] == "Poppy Placeholder and Alfie Placeholder"
    assert [family["name_1"], family["name_2"], family["name_3"]] == [
        "Dora Placeholder",
        "Edna Makebelieve",
        "",
    ]
    assert family["signature_1"] == ""
    assessment = field_values(prefilled / "WOR-CIN-0001_assessment-agreement_form.pdf")
    assert assessment["name_1"] == "Dora Placeholder"  # the one who gave consent
    assert assessment["name_2"] == ""
    assert assessment["leaflet_child_in_need"] == "/Yes"
    assert assessment["leaflet_section_47"] == "/Off"
    assert "Dora Placeholder" in pdftotext(prefilled / "WOR-CIN-0001_assessment-agreement_form.pdf")


def test_fill_respects_withholding(tmp_path):
    bundle = json.loads(SAMPLE.read_text("utf-8"))
    bundle["withheld"] = [{"path": "family_members[1].last_name", "withheld_from": ["family"]}]
    source = tmp_path / "withheld.json"
    source.write_text(json.dumps(bundle), "utf-8")
    result = fill(
        source, "--form", "family-meeting-agreement", "--form", "meeting-invitation-list", "--out", tmp_path
    )
    assert result.exit_code == 0, result.output
    family = tmp_path / "WOR-CIN-0001_family-meeting-agreement_form.pdf"
    assert field_values(family)["name_2"] == "Edna withheld"
    assert "Makebelieve" not in pdftotext(family)
    # The invitation list is kept on the case record, where nothing is withheld.
    assert (
        field_values(tmp_path / "WOR-CIN-0001_meeting-invitation-list_form.pdf")["family_name_2"]
        == "Edna Makebelieve"
    )


def test_fill_warns_when_people_do_not_fit_the_rows(tmp_path):
    bundle = json.loads(SAMPLE.read_text("utf-8"))
    extra = bundle["family_members"][1]
    bundle["family_members"] += [dict(extra, id=f"aunt{i}", first_name=f"Aunt{i}") for i in range(5)]
    source = tmp_path / "big.json"
    source.write_text(json.dumps(bundle), "utf-8")
    result = fill(source, "--form", "meeting-invitation-list", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "Warning: [WOR-CIN-0001] meeting-invitation-list: family_members: 7, the form has rows for 6; "
        "add the rest by hand.\n"
    )
    values = field_values(tmp_path / "WOR-CIN-0001_meeting-invitation-list_form.pdf")
    assert values["family_name_6"] == "Aunt3 Makebelieve"


def test_fill_json_lists_what_was_prefilled(tmp_path):
    result = fill(SAMPLE, "--form", "feedback-sheet", "--out", tmp_path, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{
        "case_reference": "WOR-CIN-0001", "form": "feedback-sheet", "version": "1.0",
        "path": str(tmp_path / "WOR-CIN-0001_feedback-sheet_form.pdf"),
        "prefilled": ["case_reference", "family"], "left_off": [], "replaced": False,
    }]  # fmt: skip


def test_a_filled_form_and_the_rendered_document_keep_their_own_files(tmp_path, monkeypatch):
    """forms fill and render wrote the same name once, each silently replacing the other."""
    from pypdf import PdfReader

    from docgen.cli import cli

    monkeypatch.setenv("DOCGEN_REGISTER", str(tmp_path / "register.sqlite3"))
    assert fill(SAMPLE, "--form", "feedback-sheet", "--out", tmp_path).exit_code == 0
    flat = invoke(cli, ["render", SAMPLE, "--doc", "feedback-sheet", "--format", "pdf", "--out", tmp_path])
    assert flat.exit_code == 0, flat.output
    assert "Warning: replaced" not in flat.stderr
    form, printed = tmp_path / "WOR-CIN-0001_feedback-sheet_form.pdf", tmp_path / "WOR-CIN-0001_feedback-sheet.pdf"
    assert sorted(p.name for p in tmp_path.glob("*.pdf")) == [printed.name, form.name]
    assert len(PdfReader(form).get_fields()) == len(field_values(FORMS / "feedback-sheet.pdf"))
    assert not PdfReader(printed).get_fields()

    again = fill(SAMPLE, "--form", "feedback-sheet", "--out", tmp_path, "--json")
    assert again.exit_code == 0
    assert again.stderr == f"Warning: replaced {form}, which was already there.\n"
    assert json.loads(again.stdout)[0]["replaced"] is True


def test_fill_an_unknown_form_writes_nothing(tmp_path):
    result = fill(SAMPLE, "--form", "feedback-sheet", "--form", "tax-return", "--out", tmp_path / "out")
    assert result.exit_code == 4
    assert result.stderr == (
        f"Error: {FORMS}: No form 'tax-return'. Known: assessment-agreement, family-meeting-agreement, "
        "feedback-sheet, meeting-invitation-list.\n"
    )
    assert not (tmp_path / "out").exists()


def test_fill_refuses_an_invalid_bundle(tmp_path):
    result = fill(INVALID_SAMPLES[0], "--form", "feedback-sheet", "--out", tmp_path)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert list(tmp_path.iterdir()) == []


def test_a_field_map_naming_what_templates_do_not_see_is_a_template_error(tmp_path):
    forms_dir = tmp_path / "forms"
    shutil.copytree(FORMS, forms_dir)
    field_map = forms_dir / "feedback-sheet.fields.toml"
    field_map.write_text(
        field_map.read_text("utf-8").replace('"child.last_name"', '"kid.last_name"'), "utf-8"
    )
    result = fill(SAMPLE, "--form", "feedback-sheet", "--out", tmp_path, "--forms", forms_dir)
    assert result.exit_code == 4
    assert result.stderr == (
        f"Error: [WOR-CIN-0001] {field_map}: The field map's 'family' starts at 'kid', "
        "which is not a name templates see.\n"
    )


def test_a_broken_field_map_is_reported_with_every_problem(tmp_path):
    forms_dir = tmp_path / "forms"
    shutil.copytree(FORMS, forms_dir)
    field_map = forms_dir / "feedback-sheet.fields.toml"
    field_map.write_text(
        '[form]\nid = "feedback-sheet"\ntitle = "Feedback Sheet"\nversion = "one"\n\n'
        '[fields]\nfamily = "child..name"\ndocgen_form = "case.reference"\n"name_{n}" = "child.name"\n',
        "utf-8",
    )
    result = invoke(forms_cli, ["list", "--forms", forms_dir])
    assert result.exit_code == 4
    assert result.stderr == (
        f"Error: {field_map}: The field map has errors: [form] version must look like 1.0; "
        "[fields] family: 'child..name' is not a path like family_members[0].name; "
        "[fields] docgen_form: docgen sets this field itself; "
        "[fields] name_{n}: 'child.name' needs exactly one [*] for a {n} row field.\n"
    )


# -- round trips --------------------------------------------------------------------------------
FEEDBACK_ANSWERS = {
    "name": "Dora Placeholder",
    "date": "1 December 2026",
    "aims_clear": "/yes",
    "worker_role_clear": "/no",
    "talk_about_important": "/yes",
    "included_in_decisions": "/yes",
    "rating_approachability": "/5",
    "rating_reliability": "/4",
    "rating_accuracy": "/3",
    "rating_children_needs": "/5",
    "helpfulness": "/very_helpful",
    "most_least_helpful": "Most: the morning chart.\nLeast: meetings at short notice.",
    "improvements": "Evening visits would help.",
}


def test_feedback_round_trip(prefilled, tmp_path):
    returned = family_fills(
        prefilled / "WOR-CIN-0001_feedback-sheet_form.pdf", tmp_path / "returned.pdf", FEEDBACK_ANSWERS
    )
    result = extract(returned, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {
            "file": str(returned),
            "form": "feedback-sheet",
            "version": "1.0",
            "fields": {
                "case_reference": "WOR-CIN-0001",
                "family": "Placeholder",
                "name": "Dora Placeholder",
                "date": "1 December 2026",
                "aims_clear": "yes",
                "worker_role_clear": "no",
                "talk_about_important": "yes",
                "regular_feedback": None,
                "included_in_decisions": "yes",
                "rating_approachability": "5",
                "rating_reliability": "4",
                "rating_accuracy": "3",
                "rating_cultural_religious": None,
                "rating_children_needs": "5",
                "helpfulness": "very_helpful",
                "most_least_helpful": "Most: the morning chart.\nLeast: meetings at short notice.",
                "improvements": "Evening visits would help.",
            },
        }
    ]
    assert "Evening visits would help." in pdftotext(returned)


def _answers_for(form_id: str, prefilled_values: dict) -> tuple[dict, dict]:
    """Values a family would give every field still empty: (as pypdf sets them, as extract reads them)."""
    to_set, expected = {}, {}
    for name, spec in Forms(FORMS).get(form_id).fields.items():
        if name.startswith("docgen_"):
            continue
        current = prefilled_values.get(name)
        if spec.kind == "text":
            if current:
                expected[name] = current
            else:
                to_set[name] = expected[name] = f"{name} by hand"
        elif spec.kind == RADIO:
            to_set[name] = f"/{spec.options[-1]}"
            expected[name] = spec.options[-1]
        else:
            to_set[name] = f"/{spec.options[0]}"
            expected[name] = True
    return to_set, expected


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_every_form_round_trips(prefilled, tmp_path, form_id):
    source = prefilled / f"WOR-CIN-0001_{form_id}_form.pdf"
    to_set, expected = _answers_for(form_id, field_values(source))
    returned = family_fills(source, tmp_path / f"{form_id}.pdf", to_set)
    result = extract(returned, "--json")
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert (row["form"], row["version"]) == (form_id, "1.0")
    assert row["fields"] == expected


def test_extract_csv_has_a_row_per_form(prefilled, tmp_path):
    returned = family_fills(
        prefilled / "WOR-CIN-0001_feedback-sheet_form.pdf", tmp_path / "a.pdf", FEEDBACK_ANSWERS
    )
    blank = prefilled / "WOR-CIN-0001_feedback-sheet_form.pdf"
    result = extract(returned, blank, "--csv")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "file,form,version,case_reference,family,name,date,aims_clear,worker_role_clear,talk_about_important,"
        "regular_feedback,included_in_decisions,rating_approachability,rating_reliability,rating_accuracy,"
        "rating_cultural_religious,rating_children_needs,helpfulness,most_least_helpful,improvements"
    )
    assert lines[-1] == f"{blank},feedback-sheet,1.0,WOR-CIN-0001,Placeholder" + "," * 15


def test_extract_text_output(prefilled):
    result = extract(prefilled / "WOR-CIN-0001_assessment-agreement_form.pdf")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{prefilled / 'WOR-CIN-0001_assessment-agreement_form.pdf'}: assessment-agreement v1.0"
    assert "  name_1: Dora Placeholder" in lines
    assert "  leaflet_child_in_need: ticked" in lines
    assert "  leaflet_section_47: not ticked" in lines
    assert "  signature_1: (blank)" in lines


def test_extract_json_and_csv_together_is_a_usage_error(prefilled):
    result = extract(prefilled / "WOR-CIN-0001_feedback-sheet_form.pdf", "--json", "--csv")
    assert result.exit_code == 2
    assert "Give --json or --csv, not both." in result.stderr


# -- bad input ----------------------------------------------------------------------------------
def _truncated(source: Path, target: Path) -> Path:
    content = source.read_bytes()
    target.write_bytes(content[: len(content) // 2])
    return target


def _written(target: Path, content: bytes) -> Path:
    target.write_bytes(content)
    return target


BAD_INPUTS = {
    "not-a-pdf": (
        lambda src, t: _written(t, b"Dear team, my answers are below.\n"),
        "The file is not a PDF (no %PDF- header).",
    ),
    "truncated": (_truncated, "The PDF is incomplete (no %%EOF at its end); it may have been cut short."),
    "corrupt": (
        lambda src, t: _written(t, b"%PDF-1.7\n" + b"\x00garbage" * 400 + b"\n%%EOF\n"),
        "The file is not a readable PDF; it may be damaged.",
    ),
    "page-tree-loop": (
        lambda src, t: handmade_pdf(
            t, b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"
        ),
        "The file is not a readable PDF; it may be damaged.",
    ),
    "field-loop": (
        lambda src, t: handmade_pdf(
            t,
            b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
            b"<< /T (docgen_form) /V (feedback-sheet) /FT /Tx /Kids [4 0 R] >>",
        ),
        "The PDF does not match the feedback-sheet form",
    ),
    "encrypted": (
        lambda src, t: encrypted_copy(src, t, "kept-secret"),
        "The PDF is encrypted; give its password with --password.",
    ),
    "no-fields": (
        lambda src, t: plain_pdf(t),
        "The PDF has no form fields; it is not a docgen form, or was flattened (printed to PDF).",
    ),
    "other-form": (
        lambda src, t: plain_pdf(t, {"surname": "", "postcode": ""}),
        "The PDF's form is not a docgen form (it has no docgen_form field).",
    ),
    "unknown-form": (
        lambda src, t: plain_pdf(t, {"docgen_form": "tax-return", "docgen_form_version": "1.0"}),
        "The PDF says it is a 'tax-return' form, which docgen does not know (known: "
        "assessment-agreement, family-meeting-agreement, feedback-sheet, meeting-invitation-list).",
    ),
    "unexpected-fields": (
        lambda src, t: plain_pdf(
            t,
            {
                "docgen_form": "family-meeting-agreement",
                "docgen_form_version": "2.0",
                "case_reference": "",
                "children_names": "",
                "shoe_size": "",
            },
        ),
        "The PDF does not match the family-meeting-agreement form: "
        "it has fields the form does not (shoe_size); it lacks fields of the form "
        "(name_1, signature_1, date_1, name_2, signature_2, date_2, name_3, signature_3 and 22 more); "
        "it was made from version 2.0 of the form; docgen has version 1.0.",
    ),
}


@pytest.mark.parametrize("kind", BAD_INPUTS)
def test_bad_input_is_named_with_exit_code_7(prefilled, tmp_path, kind):
    make, message = BAD_INPUTS[kind]
    bad = make(prefilled / "WOR-CIN-0001_feedback-sheet_form.pdf", tmp_path / f"{kind}.pdf")
    result = extract(bad)
    assert result.exit_code == 7
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: {bad}: {message}")
    assert result.stderr.count("\n") == 1  # one line: no warnings from the PDF library


def test_a_wrong_kind_of_field_is_named(tmp_path):
    fields = {name: "" for name in Forms(FORMS).get("feedback-sheet").fields}
    fields.update(docgen_form="feedback-sheet", docgen_form_version="1.0")
    bad = plain_pdf(tmp_path / "retyped.pdf", fields)  # every field typed text, radios included
    result = extract(bad)
    assert result.exit_code == 7
    assert result.stderr.startswith(
        f"Error: {bad}: The PDF does not match the feedback-sheet form: "
        "the field 'aims_clear' is a text field, where the form has a radio group; "
    )


def test_encrypted_form_opens_with_its_password(prefilled, tmp_path):
    locked = encrypted_copy(
        prefilled / "WOR-CIN-0001_feedback-sheet_form.pdf", tmp_path / "locked.pdf", "kept-secret"
    )
    result = extract(locked, "--password", "kept-secret", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["fields"]["case_reference"] == "WOR-CIN-0001"
    wrong = extract(locked, "--password", "guess")
    assert wrong.exit_code == 7
    assert wrong.stderr == f"Error: {locked}: The password given does not open the PDF.\n"


def test_good_files_are_still_reported_when_others_fail(prefilled, tmp_path):
    good = family_fills(
        prefilled / "WOR-CIN-0001_feedback-sheet_form.pdf", tmp_path / "good.pdf", FEEDBACK_ANSWERS
    )
    junk = tmp_path / "junk.pdf"
    junk.write_text("not a pdf")
    cut = _truncated(good, tmp_path / "cut.pdf")
    result = extract(junk, good, cut, "--csv")
    assert result.exit_code == 3
    assert result.stdout.splitlines()[1].startswith(f"{good},feedback-sheet,1.0,WOR-CIN-0001,Placeholder,")
    assert result.stderr == (
        f"Error: {junk}: The file is not a PDF (no %PDF- header).\n"
        f"Error: {cut}: The PDF is incomplete (no %%EOF at its end); it may have been cut short.\n"
        "2 of 3 files failed.\n"
    )
    as_json = extract(junk, good, "--json")
    assert as_json.exit_code == 3
    rows = json.loads(as_json.stdout)
    assert rows[0] == {"file": str(junk), "error": {
        "error": "pdf-input", "message": "The file is not a PDF (no %PDF- header).", "source": str(junk),
        "path": None, "case_reference": None, "exit_code": 7,
    }}  # fmt: skip
    assert rows[1]["form"] == "feedback-sheet"
    assert as_json.stderr == "1 of 2 files failed.\n"


def test_forms_list():
    result = invoke(forms_cli, ["list"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "assessment-agreement       v1.0   Standard Agreement for Assessment",
        "family-meeting-agreement   v1.0   Agreement for Family Meeting",
        "feedback-sheet             v1.0   Feedback Sheet",
        "meeting-invitation-list    v1.0   Meeting Invitation List",
    ]


@pytest.mark.parametrize(
    "command", [*forms_cli.commands.values(), *feedback_cli.commands.values()], ids=lambda c: c.name
)
def test_every_forms_command_has_help_with_an_example(command):
    assert "Example:" in (command.help or "")


def test_a_form_without_its_pdf_is_a_template_error(tmp_path):
    forms_dir = tmp_path / "forms"
    shutil.copytree(FORMS, forms_dir)
    (forms_dir / "feedback-sheet.pdf").unlink()
    result = fill(SAMPLE, "--form", "feedback-sheet", "--out", tmp_path / "out", "--forms", forms_dir)
    assert result.exit_code == 4
    assert result.stderr == (
        f"Error: [WOR-CIN-0001] {forms_dir / 'feedback-sheet.fields.toml'}: The form has no PDF beside its "
        "field map; run: python -m docgen.forms.build\n"
    )


def test_long_text_is_drawn_wrapped_and_kept_whole(tmp_path):
    bundle = json.loads(SAMPLE.read_text("utf-8"))
    reason = (
        "To review the Child in Need plan with the family and the professionals working with them, "
        "to hear what Poppy and Alfie have said about school mornings, and to agree who will help "
        "with the health review before the next meeting in the new year."
    )
    bundle["meetings"][0]["reason"] = reason
    source = tmp_path / "long.json"
    source.write_text(json.dumps(bundle), "utf-8")
    result = fill(source, "--form", "meeting-invitation-list", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    path = tmp_path / "WOR-CIN-0001_meeting-invitation-list_form.pdf"
    assert field_values(path)["reason"] == reason
    text = pdftotext(path, "-raw")
    assert "with the health review before the next meeting in the new year." in text
    assert reason not in text  # drawn on two lines, as a viewer would wrap it
    assert _squashed(reason) in _squashed(text)


def test_chosen_buttons_are_drawn_chosen_without_asking_viewers_to_redraw(prefilled):
    reader = PdfReader(prefilled / "WOR-CIN-0001_meeting-invitation-list_form.pdf")
    need_appearances = reader.trailer["/Root"]["/AcroForm"].get("/NeedAppearances")
    assert need_appearances is None or need_appearances.value is False
    states = {
        str(a.get_object()["/T"]): str(a.get_object().get("/AS"))
        for a in reader.pages[0]["/Annots"]
        if a.get_object().get("/FT") == "/Btn"
    }
    assert [states[f"family_attending_{n}"] for n in (1, 2)] == ["/Yes", "/Off"]


@pytest.mark.parametrize("sample", VALID_SAMPLES, ids=lambda p: p.stem)
def test_every_sample_fills_every_form_and_reads_back(sample, tmp_path):
    reference = json.loads(sample.read_text("utf-8"))["case"]["reference"]
    args = [sample, "--out", tmp_path]
    for form_id in FORM_IDS:
        args += ["--form", form_id]
    result = fill(*args)
    assert result.exit_code == 0, result.output
    read = extract(*sorted(tmp_path.glob("*.pdf")), "--json")
    assert read.exit_code == 0, read.output
    rows = json.loads(read.stdout)
    assert sorted(row["form"] for row in rows) == FORM_IDS
    assert {row["fields"]["case_reference"] for row in rows} == {reference}
