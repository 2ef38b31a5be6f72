"""Every document for every authority, filled from the sample bundles and read back from the DOCX."""

from __future__ import annotations

import importlib.util
import io
import json
import re
import shutil
import sys
import zipfile
from pathlib import Path

import docx
import pytest

from conftest import ROOT, TODAY, VALID_SAMPLES, docx_text
from docgen.bundle import codes
from docgen.convert import Converter
from docgen.exceptions import MissingField, TemplateFault
from docgen.exceptions import MissingField
from docgen.forms import wording
from docgen.pdfout.letter_check import ADDRESS_BOX_MM, check_letter, read_words
from docgen.pipeline import Pipeline
from docgen.registry import Registry, load_template_info

TEMPLATES = ROOT / "templates"
# Parameters are worked out when tests are collected, so these do not come from fixtures.
PIPELINE = Pipeline(Registry(TEMPLATES), today=TODAY)
BUNDLES = {path.name: PIPELINE.load(path) for path in VALID_SAMPLES}
FILLABLE = [(name, doc_id) for name, bundle in BUNDLES.items() for doc_id in PIPELINE.fillable(bundle)[0]]
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
LEFTOVER_TAG = re.compile(r"\{[{%#]|[}%#]\}|\bNone\b|Undefined")


def raw(name: str) -> dict:
    return json.loads((ROOT / "samples" / "valid" / name).read_text("utf-8"))


def render(name: str, doc_id: str) -> list:
    return PIPELINE.render(BUNDLES[name], [doc_id])


def one(name: str, doc_id: str) -> str:
    (result,) = render(name, doc_id)
    assert result.error is None, result.error
    return docx_text(result.docx)


def render_data(data: dict, doc_ids: list[str], tmp_path: Path, pipeline: Pipeline = PIPELINE) -> list:
    path = tmp_path / f"{data['case']['reference']}.json"
    path.write_text(json.dumps(data), "utf-8")
    return pipeline.render(pipeline.load(path), doc_ids)


def by_recipient(results) -> dict[str, str]:
    assert all(r.error is None for r in results), [str(r.error) for r in results if r.error]
    return {r.recipient.slug: docx_text(r.docx) for r in results}


def table_rows(content: bytes) -> list[list[str]]:
    """Every row of every body table, as its cells' text."""
    document = docx.Document(io.BytesIO(content))
    return [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]


# -- every document, every authority -----------------------------------------------------------
def test_every_authority_has_a_sample_for_every_document():
    registry = PIPELINE.registry
    covered = {(bundle.authority, doc_id) for name, bundle in BUNDLES.items()
               for doc_id in PIPELINE.fillable(bundle)[0]}
    wanted = {(authority, doc_id) for authority in registry.authorities() for doc_id in registry.document_ids()}
    assert wanted - covered == set()
    assert len(registry.document_ids()) == 19
    plan_types = {bundle.data["case"]["plan_type"] for bundle in BUNDLES.values()}
    assert plan_types == {"early_help_single_focus", "early_help_taf", "child_in_need", "child_protection", "looked_after"}


@pytest.mark.parametrize("sample", sorted(BUNDLES))
def test_samples_check_cleanly_and_request_only_what_they_can_fill(sample):
    report = PIPELINE.check(ROOT / "samples" / "valid" / sample)
    assert report.problems == []
    bundle = BUNDLES[sample]
    assert set(bundle.data["documents_requested"]) <= set(PIPELINE.fillable(bundle)[0])


@pytest.mark.parametrize(("sample", "doc_id"), FILLABLE, ids=[f"{s[:-5]}:{d}" for s, d in FILLABLE])
def test_every_document_fills_from_every_sample(sample, doc_id):
    bundle = BUNDLES[sample]
    results = render(sample, doc_id)
    assert results and all(r.error is None for r in results), [str(r.error) for r in results]
    reference = bundle.reference
    children = [f"{c['first_name']} {c['last_name']}" for c in bundle.data["children"]]
    for result in results:
        text = docx_text(result.docx)
        assert reference in text
        assert not ISO_DATE.search(text), ISO_DATE.search(text)
        assert not LEFTOVER_TAG.search(text), LEFTOVER_TAG.search(text)
        footer = _footer_text(result.docx)
        # The footer's title is the document's title heading; a letter, with none, keeps the template's.
        titles = [p.text for p in docx.Document(io.BytesIO(result.docx)).paragraphs if p.style.name == "Heading 1"]
        title = titles[0] if titles else result.template.title
        assert footer.startswith(f"{reference}  |  {title}  |  OFFICIAL-SENSITIVE  |  Page ")
        for name in children:  # a child's name never goes in a header or footer
            for part in name.split():
                assert part not in footer and part not in _header_text(result.docx)
        if result.template.family_letter:
            assert _long_sentences(text, bundle.data) == []


def _footer_text(content: bytes) -> str:
    section = docx.Document(io.BytesIO(content)).sections[0]
    return "\n".join(p.text for p in section.footer.paragraphs)


def _header_text(content: bytes) -> str:
    section = docx.Document(io.BytesIO(content)).sections[0]
    return "\n".join(p.text for p in section.header.paragraphs)


def _long_sentences(text: str, data: dict, limit: int = 25) -> list[str]:
    """Sentences of the template's own wording over ``limit`` words.

    The bundle's free text and people's names are the caseworker's words, not the template's:
    each counts as one word.
    """
    for value in sorted(_strings(data), key=len, reverse=True):
        if len(value.split()) > 1:
            text = text.replace(value, "X")
    lines = [line.removeprefix("•").strip() for line in text.splitlines()]
    lines = [line for line in lines if line not in SIGNED_STATEMENTS]
    sentences = [s for line in lines for s in re.split(r"(?<=[.!?])\s+", line)]
    return [s for s in sentences if len(s.split()) > limit]


# What people sign is the source's wording, word for word, however long its sentences.
SIGNED_STATEMENTS = {
    wording.resolve_alternatives(statement, names, lambda one, several: (one, several)[choice])
    for statement in wording.SIGNED_STATEMENTS
    for choice in (0, 1)
    for names in ("X", "X and X", "X, X and X")  # the children's names, as _long_sentences leaves them
}  # fmt: skip


def _strings(value) -> set[str]:
    if isinstance(value, dict):
        found = {f"{value['first_name']} {value['last_name']}"} if "first_name" in value else set()
        return found.union(*(_strings(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value))
    return {value} if isinstance(value, str) else set()


# -- the outcome letter ------------------------------------------------------------------------
def test_outcome_letter_family_and_agency_variants_with_enclosed_notes():
    letters = by_recipient(render("worcestershire-child-in-need.json", "outcome-letter"))
    family, agency = letters["family-mum"], letters["agency-hv"]
    assert "Dear Ms Placeholder" in family
    assert "I write to confirm that Family Front Door Team have now concluded their involvement with you." in family
    assert "Thank you for working with us during our involvement." in family
    assert "Thank you for your assistance" not in family
    assert ("I enclose the notes of the last TACiN meeting and the Child & Young Person's Plan (CYPP). They set "
            "out what support is still available to you.") in family
    assert ("I enclose a copy of the analysis and conclusion of the child and family assessment. If you "
            "would like a copy of the full assessment, please contact us by 27 November 2026.") in family
    assert "please contact us by 27 November 2026. That is within 5 working days." in family
    # 001 signposts early help families to the Virtual Family Hub; 003 gives a child in need none.
    assert "Virtual Family Hub" not in family and "If things change" not in family

    assert "Dear Mr Visitor-Example" in agency
    assert ("have now concluded their involvement with Poppy Placeholder and Alfie Placeholder and "
            "their family.") in agency
    assert "Thank you for your assistance and support during our involvement." in agency
    assert "Thank you for working with us" not in agency
    assert "support is still available to the children and family." in agency
    assert "analysis and conclusion" not in agency  # the assessment goes to families only
    assert "Virtual Family Hub" not in agency


def test_outcome_letter_no_further_action_and_taf_wording():
    letters = by_recipient(render("worcestershire-early-help-single-focus.json", "outcome-letter"))
    for text in letters.values():
        assert ("I confirm that the conclusion of the early help assessment was that no further action "
                "is required from us at this time.") in text
        assert "I enclose" not in text
    family = letters["family-mum"]
    assert "If things change and you need support in the future, you can contact the Virtual Family Hub." in family
    taf = by_recipient(render("south-gloucestershire-early-help-taf.json", "outcome-letter"))
    assert ("I enclose the notes of the last Team Around the Family (TAF) meeting and the TAF action "
            "plan.") in taf["family-mum"]
    assert "the Access and Response Team (ART) on 01454 866000" in taf["family-mum"]


def test_outcome_letter_paragraph_tags_leave_no_empty_paragraphs():
    (result, *_) = render("worcestershire-early-help-single-focus.json", "outcome-letter")
    body = [p.text for p in docx.Document(io.BytesIO(result.docx)).paragraphs]
    assert body[0] == "Dear Ms Storybook"
    assert all(text.strip() for text in body), body


# -- who gets a copy ---------------------------------------------------------------------------
@pytest.mark.parametrize("sample", [n for n in sorted(BUNDLES) if "closure" in BUNDLES[n].data])
def test_outcome_letter_goes_to_each_family_member_with_parental_responsibility_and_each_agency(sample):
    data = raw(sample)
    team = {data["case"]["lead_professional"], data["case"]["manager"]}
    family = [m for m in data["family_members"] if m.get("receives_letters", m.get("parental_responsibility"))]
    agencies = [p for p in data["professionals"] if p["id"] not in team]
    letters = by_recipient(render(sample, "outcome-letter"))
    assert list(letters) == [f"family-{m['id']}" for m in family] + [f"agency-{p['id']}" for p in agencies]
    for person in family + agencies:
        text = letters[f"{'family' if person in family else 'agency'}-{person['id']}"]
        assert f"{person.get('title', '')} {person['first_name']} {person['last_name']}".strip() in text
        assert f"Dear {person['title']} {person['last_name']}" in text


@pytest.mark.parametrize("sample", sorted(BUNDLES))
def test_one_information_request_per_professional_asked_about_the_children_asked_about(sample):
    data = raw(sample)
    children = {c["id"]: f"{c['first_name']} {c['last_name']}" for c in data["children"]}
    letters = by_recipient(render(sample, "information-request"))
    requests = data["information_requests"]
    assert list(letters) == [f"agency-{r['professional']}" for r in requests]
    for request in requests:
        rows = [r for r in _rows_of(sample, request["professional"]) if r[0] in children.values()]
        assert [r[0] for r in rows] == [children[c] for c in request["about"]]


def _rows_of(sample: str, professional: str) -> list[list[str]]:
    (result,) = [r for r in render(sample, "information-request") if r.recipient.person_id == professional]
    return table_rows(result.docx)


def test_information_request_wording_for_consent_and_statutory_enquiries():
    consent = by_recipient(render("worcestershire-child-in-need.json", "information-request"))["agency-hv"]
    assert "We are undertaking an assessment of need (child and family assessment) in respect of:" in consent
    assert "We have the consent of Ms Dora Placeholder to ask for this information, given on 2 September 2026." in consent
    assert "In particular, please tell us:\nDates of the most recent health checks." in consent
    assert "This information is required by 27 November 2026. Please email it to sam.example@example.org.uk" in consent
    assert "please contact Sam Socialworker-Example on 01632 960010." in consent
    statutory = by_recipient(render("derbyshire-child-protection.json", "information-request"))
    assert ("We have statutory responsibility to request relevant information from your agency as part of "
            "our enquiries. This is because these children have been identified as children whose welfare "
            "may be significantly impaired, or who may be suffering significant harm.") in statutory["agency-gp"]
    assert "This is because this child has been identified as a child whose welfare" in statutory["agency-hv"]
    assert "This information is required by 27 November 2026." in statutory["agency-gp"]  # the request's own date
    assert "consent" not in statutory["agency-police"]


# -- authority overrides -----------------------------------------------------------------------
def test_south_gloucestershire_plan_review_and_closure_go_to_art():
    sample = "south-gloucestershire-early-help-taf.json"
    for doc_id in ("family-plan", "plan-review", "closure-summary"):
        (result,) = render(sample, doc_id)
        assert result.template.origin == "south-gloucestershire"
        assert "Access and Response Team (ART), 01454 866000, accessandresponse@southglos.gov.uk" in docx_text(result.docx)
    plan = one(sample, "family-plan")
    assert "\nTAF action plan\n" in plan
    assert "How the support will be put in place, and by whom" in plan
    assert "Next review\n2 December 2026" in plan  # the next review after the issue date
    assert "Has the plan made any difference?\nPositive change" in one(sample, "plan-review")
    assert "can be re-opened if needs increase again" in one(sample, "closure-summary")


def test_derbyshire_single_plan_with_its_review_cadence_and_outcomes():
    cp = one("derbyshire-child-protection.json", "family-plan")
    assert "Single Plan\n" in cp and "Level of need\nChild Protection" in cp
    assert "Plans are reviewed every 6 weeks, usually at a Network Meeting." in cp
    assert "12 months" not in cp
    cin = one("derbyshire-child-in-need.json", "family-plan")
    assert "If a child is on a Child in Need plan for 12 months, a formal multi-agency review is held." in cin
    review = one("derbyshire-child-in-need.json", "plan-review")
    assert "☒  The child no longer needs support from Children's Services" in review
    assert "☐  The child still needs the same level of services." in review
    assert "Review of the Single Plan" in review
    # Derbyshire has no closure-summary of its own: the default serves it.
    (closure,) = render("derbyshire-child-in-need.json", "closure-summary")
    assert closure.template.origin == "default"
    assert "If things change, the family can get support from Starting Point." in docx_text(closure.docx)


def test_worcestershire_review_ticks_progress_and_decision_and_closing_summary_goes_to_the_portal():
    review = one("worcestershire-early-help-single-focus.json", "plan-review")
    assert "☒  Positive change\n☐  No change or improvement\n☐  Deterioration or concerns increased" in review
    assert "☒  End the plan: only universal services are required" in review
    assert review.count("☒") == 2 and review.count("☐") == 6
    closing = one("worcestershire-early-help-single-focus.json", "closure-summary")
    assert "Closing Summary" in closing
    assert "This closing summary is submitted to the Early Help Assessment Portal." in closing
    assert "the family can get support from the Virtual Family Hub." in closing
    cin = one("worcestershire-child-in-need.json", "closure-summary")
    assert "Early Help Assessment Portal" not in cin
    assert "Only the Team Manager, or a Consultant Social Worker with their agreement" in cin
    early_help_plan = one("worcestershire-early-help-single-focus.json", "family-plan")
    assert "SMART actions: who will do what, and by when" in early_help_plan
    assert "It is submitted to the Early Help Assessment Portal." in early_help_plan
    cin_plan = one("worcestershire-child-in-need.json", "family-plan")
    assert "Team Around the Child in Need (TACiN)" in cin_plan and "Portal" not in cin_plan


# -- the forms ---------------------------------------------------------------------------------
def test_prompt_sheet_ticks_the_agencies_already_involved():
    (result,) = render("derbyshire-child-protection.json", "prompt-sheet")
    rows = {row[1]: row for row in table_rows(result.docx) if len(row) == 4}
    assert rows["Police"][0] == "✓"  # Derbyshire's: Worcestershire's "Police – DAU/FPU" is its own
    assert rows["Police"][2] == (
        "Sara Officer-Example, Fictional Constabulary Public Protection Unit, 01632 960630")
    assert rows["GP"][0] == "✓" and rows["Health Visitor"][0] == "✓"
    assert rows["Designated Teacher"][0] == "✓"
    assert rows["Family Support/Home Liaison"][2] == "June Support-Example, Derbyshire County Council Children's Services, 01632 960611"
    assert rows["Probation"][:3] == ["", "Probation", ""]
    assert rows["Other Social Care professional"][0] == ""  # the case's own social workers are not listed
    assert "Hollie Socialworker-Example, Derbyshire" not in docx_text(result.docx)
    assert sum(row[0] == "✓" for agency, row in rows.items() if agency != "Agency") == 5
    assert set(codes.AGENCY_TYPES.values()) <= set(rows)  # every agency on the list, ticked or not


def test_meeting_invitation_list_tables_with_attendance_and_withheld_addresses():
    (result,) = render("derbyshire-child-protection.json", "meeting-invitation-list")
    rows = table_rows(result.docx)
    text = docx_text(result.docx)
    assert "Date and time\n1 December 2026 at 1pm to 2:30pm" in text
    assert "Room booked\nRoom 3" in text and "Chair\nHollie Socialworker-Example, Social Worker" in text
    assert ["Amber Fictitious", "19 September 2011", "withheld"] in rows  # withheld from the father
    assert ["Kerry Fictitious", "Mother", "withheld", "01632 960601", "", "✓"] in rows
    assert ["Wayne Imaginario", "Father of Rowan and Sky", "Room 7, Pretend Hostel, Chesterfield Pretend, S40 9YY",
            "01632 960602", "Attends separately; contact with Mum is restricted.", "✗"] in rows
    assert ["Neil Doctor-Example\nGP", "Pretend Dales Surgery",
            "Pretend Dales Surgery, Surgery Lane, Matlock Pretend, DE4 2BB", "01632 960621", "", "✗"] in rows
    assert "3 Makebelieve Terrace" not in text


def test_co_working_agreement_boxes_parties_and_tasks():
    (result,) = render("worcestershire-looked-after.json", "co-working-agreement")
    text = docx_text(result.docx)
    assert "☐ Child in Need     ☐ Child Protection     ☒ Looked After Child     ☐ Other (state): " in text
    assert "Date of Agreement\n5 July 2026\nDate of Review\n5 January 2027" in text
    rows = table_rows(result.docx)
    assert ["Consultant Social Worker", "Cora Consultant-Example", "Consultant Social Worker", "", ""] in rows
    assert ["Supervising family time with Mum", "Finley Support-Example", "Weekly, Saturdays",
            "Priya Socialworker-Example"] in rows
    assert ["Reviewing this Agreement", "Tom Manager-Example", "Every 6 months", ""] in rows
    assert "The key worker for a child with a Child Protection Plan or Looked After Child/Adoption Plan" in text


def test_family_meeting_agreement_names_the_children_and_has_a_row_per_family_member_attending():
    (result,) = render("south-gloucestershire-child-in-need.json", "family-meeting-agreement")
    text = docx_text(result.docx)
    assert "I agree to keep the welfare and safety of Théo O'Pretend as our priority at this Meeting" in text
    rows = table_rows(result.docx)
    signature_rows = rows[rows.index(["Name", "Signature", "Date"]) + 1:]
    assert signature_rows == [["Zoë O'Pretend", "", ""], ["Kwame Inventado", "", ""],
                              ["Saoirse O'Pretend", "", ""]] + [["", "", ""]] * 4


def test_assessment_agreement_ticks_the_leaflets_given():
    text = one("worcestershire-looked-after.json", "assessment-agreement")
    assert ("☐  Child in Need – Initial/Core\n☐  S.47 enquiries/CP Plan\n☒  LAC Plan\n"
            "☒  Relative/Friend Carers") in text
    assert "I understand that my children need to be seen alone" in text
    assert all(f"  {label}\n" in text for label in codes.LEAFLETS.values())
    one_child = one("worcestershire-early-help-single-focus.json", "assessment-agreement")
    assert "I understand that my child needs to be seen alone" in one_child
    assert "Milo Storybook, born 9 March 2015" in one_child


def test_equality_risk_and_feedback_records():
    equality = one("south-gloucestershire-child-in-need.json", "equality-impact")
    assert all(f"\n{label}\n" in equality for label in codes.EQUALITY_AREAS.values())
    assert "Disability\nThéo is autistic and communicates mostly with pictures.\nA communication book used by everyone." in equality
    assert "Age\nNo factor recorded." in equality
    risk = one("derbyshire-child-protection.json", "risk-management")
    assert "Level of risk: High" in risk and "Level of risk even if all measures are put in place\nMedium" in risk
    assert "The Social Worker on 01632 960610, or Call Derbyshire on 01632 960699 out of hours." in risk
    feedback = one("derbyshire-child-in-need.json", "feedback-sheet")
    assert "Family\nNotreal family\nName\nDeclan Notreal\nDate\n20 November 2026" in feedback
    assert "Were you included in making decisions?\n☐\n☐" in feedback


# -- dates, characters and missing fields ------------------------------------------------------
def test_reply_by_skips_christmas_and_new_year_bank_holidays(tmp_path):
    data = raw("worcestershire-child-in-need.json")
    data["case"]["issue_date"] = "2026-12-23"
    results = render_data(data, ["outcome-letter", "information-request"], tmp_path)
    letters = {f"{r.doc_id}:{r.recipient.slug}": docx_text(r.docx) for r in results}
    assert "Date: 23 December 2026" in letters["outcome-letter:family-mum"]
    assert "please contact us by 4 January 2027. That is within 5 working days." in letters["outcome-letter:family-mum"]
    assert "This information is required by 4 January 2027." in letters["information-request:agency-teacher"]


HOSTILE = {
    "child_first": "Zoë & <Ann>",
    "child_last": "O'Brien \"Quoted\"",
    "second_first": "小明",
    "second_last": "محمد",
    "mum_first": "דנה",
    "mum_last": "Łukasz-Ñandú",
    "important": "Tom & Jerry's <favourite> \"show\" — café {{ case.reference }} {% if x %}",
    "venue": "St Mary's & <All> Saints",
}


def test_hostile_characters_come_out_exactly(tmp_path):
    data = raw("worcestershire-child-in-need.json")
    data["children"][0].update(first_name=HOSTILE["child_first"], last_name=HOSTILE["child_last"])
    data["children"][1].update(first_name=HOSTILE["second_first"], last_name=HOSTILE["second_last"])
    data["family_members"][0].update(first_name=HOSTILE["mum_first"], last_name=HOSTILE["mum_last"])
    data["plan"]["what_is_important"][0] = HOSTILE["important"]
    data["meetings"][0]["venue"]["name"] = HOSTILE["venue"]
    results = render_data(data, ["family-plan", "meeting-invitation-list", "outcome-letter"], tmp_path)
    assert all(r.error is None for r in results), [str(r.error) for r in results if r.error]
    text = {f"{r.doc_id}:{r.recipient.slug if r.recipient else ''}": docx_text(r.docx) for r in results}
    children = f"{HOSTILE['child_first']} {HOSTILE['child_last']} and {HOSTILE['second_first']} {HOSTILE['second_last']}"
    assert f"What is important to {children} and the family" in text["family-plan:"]
    assert f"•\t{HOSTILE['important']}" in text["family-plan:"]  # printed, never run as a template
    assert HOSTILE["venue"] in text["meeting-invitation-list:"]
    assert f"{HOSTILE['mum_first']} {HOSTILE['mum_last']}" in text["meeting-invitation-list:"]
    assert f"Dear Ms {HOSTILE['mum_last']}" in text["outcome-letter:family-mum"]
    assert f"with {children} and their family." in text["outcome-letter:agency-hv"]


def test_a_recipient_without_an_address_fails_only_their_letter_naming_the_field(tmp_path):
    data = raw("worcestershire-child-in-need.json")
    del next(p for p in data["professionals"] if p["id"] == "hv")["address"]
    results = render_data(data, ["information-request"], tmp_path)
    failed, worked = results
    assert isinstance(failed.error, MissingField)
    assert str(failed.error) == (
        "[WOR-CIN-0001] templates/default/information-request.docx: The template uses the field 'address', "
        "which this case bundle does not have, in table 1, row 3, cell 1, paragraph 2 "
        '("{% for line in recipient.address.lines %}{{ line }}{% endfo…").')
    assert worked.error is None and worked.recipient.person_id == "teacher"


def test_a_template_using_a_field_no_bundle_has_fails_naming_template_place_and_case(tmp_path):
    root = tmp_path / "templates"
    shutil.copytree(TEMPLATES, root)
    document = docx.Document(str(root / "default" / "feedback-sheet.docx"))
    document.add_paragraph("Pager: {{ case.social_worker_pager }}")
    document.save(str(root / "default" / "feedback-sheet.docx"))
    pipeline = Pipeline(Registry(root), today=TODAY)
    (result,) = pipeline.render(pipeline.load(VALID_SAMPLES[0]), ["feedback-sheet"])
    assert isinstance(result.error, TemplateFault) and result.error.exit_code == 4  # the template's, not the bundle's
    assert result.error.case_ref == BUNDLES[VALID_SAMPLES[0].name].reference
    assert result.error.message == (
        "The template has 1 error in its wording, whatever bundle fills it: body paragraph 13 "
        '("Pager: {{ case.social_worker_pager }}"): `case.social_worker_pager` is not a field this template '
        "can use: check the spelling; `docgen templates fields feedback-sheet` lists every field")
    assert result.error.source == "templates/default/feedback-sheet.docx"


def test_a_document_whose_section_is_missing_names_it(tmp_path):
    data = raw("worcestershire-child-in-need.json")
    del data["closure"]
    data["documents_requested"] = ["closure-summary"]
    (result,) = render_data(data, ["closure-summary"], tmp_path)
    assert isinstance(result.error, MissingField)
    assert str(result.error) == ("[WOR-CIN-0001] templates/worcestershire/closure-summary.docx: The document "
                                 "needs 'closure', which this case bundle does not have.")


# -- the templates themselves ------------------------------------------------------------------
@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*/*.docx")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_templates_are_lean_and_open(path):
    assert path.stat().st_size < 30_000
    with zipfile.ZipFile(path) as package:
        names = set(package.namelist())
        styles = package.read("word/styles.xml").decode()
    assert not {n for n in names if "stylesWithEffects" in n or "thumbnail" in n or n.startswith("customXml")}
    assert "latentStyles" not in styles and "Theme" not in styles
    assert styles.count("<w:style ") <= 12
    document = docx.Document(str(path))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) in ((210, 297), (297, 210))
    assert document.styles["Normal"].font.name == "Arial" and document.styles["Normal"].font.size.pt == 12
    meta = load_template_info(path, path.parent.name)
    assert re.fullmatch(r"\d+\.\d+", meta.version) and meta.title and meta.description


def test_the_builder_builds_every_template_the_same_way_twice():
    """tools/build_templates.py made the committed templates; it must still run, cover them all
    and be deterministic. (Once a policy owner edits a template in Word, the file is the truth,
    so the committed bytes are not compared with the builder's.)"""
    saved = list(sys.path)
    try:
        spec = importlib.util.spec_from_file_location("build_templates", ROOT / "tools" / "build_templates.py")
        builder = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(builder)  # puts tools/ on the path for its own imports
    finally:
        sys.path[:] = saved
    builders = builder.all_builders()
    assert {f"{folder}/{doc_id}" for folder, doc_id in builders} == {
        f"{p.parent.name}/{p.stem}" for p in TEMPLATES.glob("*/*.docx")}
    for key in (("default", "outcome-letter"), ("derbyshire", "family-plan")):
        assert builder.lean_bytes(builders[key]()) == builder.lean_bytes(builders[key]())


# -- letters in Notify's window, through LibreOffice --------------------------------------------
LETTERS = [doc_id for doc_id in PIPELINE.registry.document_ids()
           if PIPELINE.registry.resolve(doc_id, "worcestershire").letter]


def _address_block(person: dict) -> list[str]:
    name = " ".join(filter(None, (person.get("title"), person["first_name"], person["last_name"])))
    return [name, *person["address"]["lines"], person["address"]["postcode"]]


def _convert(jobs: list[tuple[Path, Path]]) -> None:
    with Converter(jobs=1) as converter:
        for result in converter.convert_many(jobs):
            result.raise_for_error()


def test_every_letter_of_every_sample_puts_the_address_and_only_the_address_in_notifys_window(tmp_path):
    jobs, expected = [], {}
    for sample, bundle in BUNDLES.items():
        data = raw(sample)
        people = {p["id"]: p for p in data.get("family_members", []) + data["professionals"]}
        for result in PIPELINE.render(bundle, LETTERS):
            if result.error is None:
                source = tmp_path / f"{result.stem}.docx"
                source.write_bytes(result.docx)
                jobs.append((source, tmp_path / f"{result.stem}.pdf"))
                expected[result.stem] = _address_block(people[result.recipient.person_id])
    assert len(jobs) >= 25 and {"outcome-letter", "information-request"} <= set(LETTERS)
    _convert(jobs)
    left, top, right, bottom = ADDRESS_BOX_MM
    for source, pdf in jobs:
        assert check_letter(pdf) == [], pdf.name
        (_, words), *_ = read_words(pdf)
        in_box = [w for w in words if w.left < right and w.right > left and w.top < bottom and w.bottom > top]
        lines: dict[float, list[str]] = {}
        for word in in_box:
            lines.setdefault(round(word.top, 1), []).append(word.text)
        assert [" ".join(line) for _, line in sorted(lines.items())] == expected[source.stem]
        body = [w for w in words if w.top > bottom and w.left < 120]
        assert min(w.top for w in body) >= 95.0


@pytest.mark.parametrize("last_line, fits", [
    ("Fictionville North Side Example District Area Place Beyond", True),  # seven lines: fits
    ("Fictionville North Side Example District Area Place Beyond The Hills", False),  # wraps: eight
])
def test_validation_warns_of_exactly_the_addresses_that_would_not_fit_the_window(tmp_path, last_line, fits):
    """The warning's estimate of wrapped lines agrees with LibreOffice's layout at the edge."""
    data = raw("worcestershire-child-in-need.json")
    data["family_members"][0]["address"]["lines"] = [
        "Flat 12, The Very Long Named Example Residential Building",  # wraps onto a second line
        "Somewhere Over The Long Imaginary Street Name Road",
        last_line,
        "Another Place",
    ]
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(data), "utf-8")
    report = PIPELINE.check(path)
    assert [p.path for p in report.warnings] == ([] if fits else ["family_members[0].address"])
    (letter,) = [r for r in PIPELINE.render(report.raise_for_errors(), ["outcome-letter"])
                 if r.recipient.person_id == "mum"]
    source = tmp_path / "letter.docx"
    source.write_bytes(letter.docx)
    _convert([(source, tmp_path / "letter.pdf")])
    codes_found = {p.code for p in check_letter(tmp_path / "letter.pdf") if p.code.startswith("address")}
    assert (codes_found == set()) is fits, codes_found
