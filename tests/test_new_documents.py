"""The documents beyond the first thirteen: glossary, early help request, step-up and step-down
referrals, family meeting record and meeting notes, each authority's version read back from the DOCX."""

from __future__ import annotations

import copy
import json

from click.testing import CliRunner
from pypdf import PdfReader
from security_helpers import problems_of
from test_documents import PIPELINE, one, raw, render, render_data, table_rows

from conftest import ROOT, TODAY, docx_text
from docgen.cli_pdf import pack
from docgen.bundle.load import parse
from docgen.problems import WARNING
from docgen.validate import validate

NEW_DOCUMENTS = ["glossary", "early-help-request", "step-up-referral", "step-down-referral",
                 "family-meeting-record", "meeting-notes"]


def rendered(data: dict, doc_id: str, tmp_path) -> str:
    (result,) = render_data(data, [doc_id], tmp_path)
    assert result.error is None, result.error
    return docx_text(result.docx)


def test_each_new_document_is_in_the_registry_for_every_authority_with_its_own_version_where_the_seeds_differ():
    registry = PIPELINE.registry
    assert set(NEW_DOCUMENTS) <= set(registry.document_ids())
    origins = {(doc_id, slug): registry.resolve(doc_id, slug).origin
               for doc_id in NEW_DOCUMENTS for slug in registry.authorities()}
    assert origins[("early-help-request", "south-gloucestershire")] == "default"
    assert origins[("early-help-request", "worcestershire")] == "worcestershire"
    assert origins[("family-meeting-record", "derbyshire")] == "default"
    assert origins[("step-up-referral", "worcestershire")] == "worcestershire"
    assert origins[("meeting-notes", "south-gloucestershire")] == "south-gloucestershire"


# -- the glossary ------------------------------------------------------------------------------
def test_the_glossary_lists_the_shared_abbreviations_each_authoritys_own_and_the_cases():
    def rows(sample):
        (result,) = render(sample, "glossary")
        return {row[0]: row[1] for row in table_rows(result.docx)}

    worcestershire = rows("worcestershire-looked-after.json")
    assert worcestershire["CAMHS"] == "Child & Adolescent Mental Health Service"
    assert worcestershire["SMART"] == "Specific, Measurable, Achievable, Realistic, Timely"
    assert worcestershire["ISSS"] == "Integrated Specialist Support Service"
    assert worcestershire["TACiN"] == "Team Around the Child in Need"  # from the profile's terms
    assert worcestershire["IRO"] == "Independent Reviewing Officer"  # the bundle's own
    assert "IRO" not in rows("worcestershire-child-in-need.json")

    south_glos = rows("south-gloucestershire-child-in-need.json")
    assert south_glos["ART"] == "Access and Response Team"
    assert south_glos["TAF"] == "Team Around the Family"
    assert not {"TACiN", "CYPP", "ISSS", "ECAT"} & set(south_glos)

    derbyshire = rows("derbyshire-child-protection.json")
    assert derbyshire["ECAT"] == "Every Child a Talker" and derbyshire["DSL"] == "Designated Safeguarding Lead"
    assert not {"TACiN", "CYPP", "ART"} & set(derbyshire)
    assert list(derbyshire)[:3] == ["Abbreviation", "CAF", "CAMHS"]  # in alphabetical order


# -- the request for Early Help Family Support --------------------------------------------------
def test_the_early_help_request_goes_where_each_authority_takes_requests():
    worcestershire = one("worcestershire-early-help-single-focus.json", "early-help-request")
    assert ("Request services from Early Help Family Support by completing an online form at: "
            "www.worcestershire.gov.uk/requestfamilysupport") in worcestershire
    assert "Requested by\nAda Fable-Example, Head of Year 7, Fictional Academy" in worcestershire
    assert "Level of need\nLevel 2" in worcestershire
    assert "•\tLine manager\n•\tSafeguarding lead\n" in worcestershire
    assert "The family agrees to this request (Rosa Storybook and Leo Storybook)." in worcestershire
    assert "Mentor sessions twice a week." in worcestershire

    derbyshire = one("derbyshire-child-in-need.json", "early-help-request")
    assert "This request goes to Starting Point." in derbyshire
    assert "worcestershire.gov.uk" not in derbyshire and "Levels of need Guidance" not in derbyshire

    south_glos = one("south-gloucestershire-early-help-taf.json", "early-help-request")
    assert ("Send this request to Children, Adults and Health, South Gloucestershire Council: telephone "
            "01454 866000, email accessandresponse@southglos.gov.uk.") in south_glos
    assert "Starting Point" not in south_glos and "worcestershire.gov.uk" not in south_glos
    assert "Request for Early Help\n" in south_glos and "Family Support" not in south_glos  # Worcestershire's service
    assert "Request for Early Help Family Support\n" in worcestershire


def test_an_early_help_request_the_family_has_not_agreed_to_says_so(tmp_path):
    data = raw("worcestershire-early-help-single-focus.json")
    data["early_help_request"].update(family_agrees=False, consent_given_by=[])
    text = rendered(data, "early-help-request", tmp_path)
    assert "The family has not agreed to this request." in text
    assert "The family agrees" not in text


# -- step-up and step-down ---------------------------------------------------------------------
def test_the_step_up_referral_names_who_referred_and_worcestershire_steps_up_from_the_caf():
    worcestershire = one("worcestershire-child-in-need.json", "step-up-referral")
    assert "Step-Up Process: CAF to Social Care" in worcestershire
    assert ("Stepped from\nEarly Help Team Around the Family\nStepped to\nChild in Need\n"
            "Referred by\nTara Teacher-Example, Designated Teacher, Make-Believe Primary School") in worcestershire
    assert "a comprehensive picture of needs rather than a series of partial snapshots." in worcestershire
    assert "June: attendance below 85%." in worcestershire
    south_glos = one("south-gloucestershire-child-in-need.json", "step-up-referral")
    assert "Step-Up Referral\nFrom early help to children's social care" in south_glos
    assert "CAF" not in south_glos
    assert "Risk of significant harm" not in south_glos  # not flagged in the sample
    derbyshire = one("derbyshire-child-in-need.json", "step-up-referral")
    assert "led by Children's Services, so the plan is stepped up." in derbyshire


def test_a_step_up_for_significant_harm_calls_for_a_strategy_discussion(tmp_path):
    data = raw("south-gloucestershire-child-in-need.json")
    data["step_up"]["significant_harm"] = True
    del data["step_up"]["referred_by"]
    text = rendered(data, "step-up-referral", tmp_path)
    assert ("Risk of significant harm\nIt appears that the child may be suffering, or likely to suffer, "
            "significant harm. A strategy discussion or meeting should take place to decide whether "
            "section 47 enquiries are needed.") in text
    lead = next(p for p in data["professionals"] if p["id"] == data["case"]["lead_professional"])
    assert f"Referred by\n{lead['first_name']} {lead['last_name']}, {lead['role']}" in text  # the lead, by default


def test_the_step_down_referral_says_who_is_told_and_each_authoritys_route():
    worcestershire = one("worcestershire-child-in-need.json", "step-down-referral")
    assert "Step-Down Process: Social Care to CAF" in worcestershire
    assert "A co-ordinated support plan might better meet the child's needs." in worcestershire
    assert ("•\tthe people with parental responsibility\n•\tthe carer\n"
            "•\tthe child, if of sufficient age and understanding\n") in worcestershire
    (result,) = render("worcestershire-child-in-need.json", "step-down-referral")
    assert ["Attendance support", "Tara Teacher-Example, Make-Believe Primary School"] in table_rows(result.docx)
    assert "New Lead Professional\nTara Teacher-Example, Designated Teacher" in worcestershire

    derbyshire = one("derbyshire-child-in-need.json", "step-down-referral")
    assert "stepped down to Early Help Services when someone other than a social worker" in derbyshire
    assert "co-ordinated support plan" not in derbyshire.lower() and "CAF" not in derbyshire
    south_glos = one("south-gloucestershire-child-in-need.json", "step-down-referral")
    assert "Step-Down Referral\nFrom children's social care to early help" in south_glos
    assert "co-ordinated support plan" not in south_glos.lower() and "Early Help Services" not in south_glos
    assert "The decision\nThe Team Manager decides whether our involvement ends." in south_glos
    assert "Consultant Social Worker" not in south_glos + derbyshire  # Worcestershire's role (003)
    assert "Only the Team Manager, or a Consultant Social Worker acting with their agreement" in worcestershire


# -- the family meeting record -----------------------------------------------------------------
def test_the_family_meeting_record_has_the_three_stages_what_is_not_agreed_and_the_endorsement():
    (result,) = render("derbyshire-child-protection.json", "family-meeting-record")
    text = docx_text(result.docx)
    assert "Stage 1: Information-sharing" in text and "Stage 2: Family Time" in text
    assert "Pearl will have the children for tea on weekdays, until Kerry gets home." in text
    rows = table_rows(result.docx)
    assert ["Tea at Nan's on weekdays", "Pearl Fictitious", "15 December 2026"] in rows
    assert ["The children stay overnight at Nan's at weekends.",
            "The core group has to agree any change to where the children sleep."] in rows
    assert "Only a statutory core group, Child Protection Conference or Looked After Child Review" in text
    assert "Endorsed by Hollie Socialworker-Example, Social Worker, on 28 October 2026." in text
    assert "Meeting\nFamily Meeting, 27 October 2026 at 10am" in text


def test_a_child_in_need_family_meeting_record_has_no_statutory_plan_wording_or_empty_not_agreed_table():
    text = one("south-gloucestershire-child-in-need.json", "family-meeting-record")
    assert "statutory core group" not in text
    assert "not agreed, and why" not in text
    assert "Concerns about harm or risk\nNot recorded." in text


def test_an_unendorsed_family_plan_says_so(tmp_path):
    data = raw("south-gloucestershire-child-in-need.json")
    del data["family_meeting"]["endorsed_by"], data["family_meeting"]["endorsed_on"]
    text = rendered(data, "family-meeting-record", tmp_path)
    assert "Not endorsed yet." in text and "Endorsed by" not in text


# -- meeting notes -----------------------------------------------------------------------------
def test_meeting_notes_go_where_each_authority_sends_them():
    south_glos = one("south-gloucestershire-early-help-taf.json", "meeting-notes")
    assert "Meeting Notes\nTeam around the family meeting" in south_glos
    assert "•\tWalter Fictionhurst, Maternal grandfather" in south_glos.split("Apologies")[1]
    assert ("They are submitted to the Access and Response Team (ART), 01454 866000, "
            "accessandresponse@southglos.gov.uk.") in south_glos
    derbyshire = one("derbyshire-child-in-need.json", "meeting-notes")
    assert "These notes are copied to everyone involved, including the child and parents." in derbyshire
    assert "Apologies\nNo apologies were sent." in derbyshire
    assert "Access and Response Team" not in derbyshire
    worcestershire = one("worcestershire-child-in-need.json", "meeting-notes")
    assert "Everyone in the plan is the Team Around the Child in Need (TACiN)." in worcestershire
    assert "School attendance\nAttendance is up to 93% this half term." in worcestershire
    assert "The next meeting is on 3 December 2026 at 10:30am." in worcestershire
    assert "TACiN" not in south_glos and "TACiN" not in derbyshire


# -- validation --------------------------------------------------------------------------------
def test_records_must_name_meetings_and_people_the_bundle_has(registry):
    data = raw("derbyshire-child-in-need.json")
    data["meeting_notes"]["meeting"] = "net9"
    data["meeting_notes"]["apologies"] = ["nobody"]
    data["step_down"]["decided_by"] = "dad"
    data["early_help_request"]["requested_by"] = "gran"
    assert problems_of(data, registry) == [
        ("early_help_request.requested_by", "No professional has the id 'gran'."),
        ("step_down.decided_by", "No professional has the id 'dad'."),
        ("meeting_notes.meeting", "No meeting has the id 'net9'."),
        ("meeting_notes.apologies[0]", "No person has the id 'nobody'."),
    ]


def test_meeting_ids_are_unique_so_a_record_names_one_meeting(registry):
    data = raw("derbyshire-child-in-need.json")
    data["meetings"][1]["id"] = "net5"
    data["meeting_notes"]["meeting"] = "net5"
    assert problems_of(data, registry) == [("meetings[1].id", "The id 'net5' is already used at meetings[0].id.")]


def test_a_referral_must_say_which_plans_it_steps_between(registry):
    data = copy.deepcopy(raw("derbyshire-child-in-need.json"))
    del data["step_up"]["from_plan_type"]
    data["step_down"]["to_plan_type"] = "tier_2"
    problems = dict(problems_of(data, registry))
    assert problems["step_up.from_plan_type"] == "This field is required."
    assert problems["step_down.to_plan_type"].startswith("Expected one of early_help_single_focus, ")


def test_a_bundle_without_the_records_can_fill_only_the_glossary_of_the_new_documents(tmp_path):
    data = raw("worcestershire-looked-after.json")
    for key in ("early_help_request", "step_up", "step_down", "family_meeting", "meeting_notes"):
        data.pop(key, None)
    data["documents_requested"] = []
    path = tmp_path / "bare.json"
    path.write_text(json.dumps(data), "utf-8")
    ready, lacking = PIPELINE.fillable(PIPELINE.load(path))
    assert "glossary" in ready  # any pack can include the glossary
    assert {doc_id: lacking.get(doc_id) for doc_id in NEW_DOCUMENTS[1:]} == {
        "early-help-request": ["early_help_request"],
        "step-up-referral": ["step_up"],
        "step-down-referral": ["step_down"],
        "family-meeting-record": ["family_meeting"],
        "meeting-notes": ["meeting_notes"],
    }


def warnings_of(data: dict, registry) -> list[tuple[str, str]]:
    report = validate(parse(json.dumps(data, ensure_ascii=False), "test.json"), registry, TODAY)
    assert not report.errors, [(p.path, p.message) for p in report.errors]
    return [(p.path, p.message) for p in report.problems if p.severity == WARNING]


def test_the_samples_records_raise_no_warnings(registry):
    for name in ("derbyshire-child-in-need.json", "worcestershire-looked-after.json"):
        assert warnings_of(raw(name), registry) == []


def test_records_that_go_against_the_guidance_are_warned_of(registry):
    data = raw("derbyshire-child-in-need.json")
    data["early_help_request"]["family_agrees"] = False
    data["step_up"]["to_plan_type"] = "early_help_single_focus"
    data["step_down"]["to_plan_type"] = "child_protection"
    del data["step_down"]["decided_by"]
    data["meeting_notes"]["meeting"] = "net5"  # 30 November, after the issue date
    assert warnings_of(data, registry) == [
        ("early_help_request.family_agrees",
         "Early help is given with the family's consent (002); the family has not agreed to this request."),
        ("step_up.to_plan_type", "A step-up goes up the levels of need (003); this one does not."),
        ("step_down.to_plan_type", "A step-down goes down the levels of need (003); this one does not."),
        ("step_down.decided_by", "Say who decided: only the Team Manager, or a Consultant Social Worker with "
                                 "their agreement, can decide to end involvement (003, section 6)."),
        ("meeting_notes.meeting", "This meeting has not been held yet on the issue date: record it once it has."),
    ]
    record = raw("derbyshire-child-protection.json")
    del record["family_meeting"]["endorsed_by"]
    assert warnings_of(record, registry) == [(
        "family_meeting.endorsed_by",
        "The case worker or case supervisor has to endorse the family's plan before it is adopted (003, section 5).",
    )]


def test_a_pack_of_letters_can_include_the_glossary(tmp_path):
    bundle = PIPELINE.load(ROOT / "samples" / "valid" / "worcestershire-child-in-need.json")
    files = PIPELINE.write(bundle, tmp_path / "out", ["outcome-letter", "glossary"], fmt="pdf")
    assert all(f.error is None for f in files), [str(f.error) for f in files]
    paths = sorted(str(f.path) for f in files if f.recipient in (None, "", "family-mum", "agency-hv"))
    out = tmp_path / "pack.pdf"
    result = CliRunner().invoke(pack, [*paths, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert [item.title for item in PdfReader(out).outline] == [
        "WOR-CIN-0001_glossary", "WOR-CIN-0001_outcome-letter_family-mum", "WOR-CIN-0001_outcome-letter_agency-hv",
    ]
    glossary = next(page.extract_text() for page in PdfReader(out).pages if "Glossary of Abbreviations" in page.extract_text())
    assert "TACiN Team Around the Child in Need" in glossary
