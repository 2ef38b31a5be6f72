"""Each authority's documents are its own: its terms, its review decisions, its contacts or none.

Every term that differs between authorities comes from the profile (``[terms]``, worded per plan
type); each profile lists its ``own_terms``, and no document of another authority prints them.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, VALID_SAMPLES, docx_text
from templates_helpers import build, invoke, locked, make_root

from docgen.authoring.terms import FIX
from docgen.bundle import codes
from docgen.cli import cli
from docgen.cli_templates import templates
from docgen.pipeline import Pipeline
from docgen.registry import Registry

AUTHORITIES = ("worcestershire", "south-gloucestershire", "derbyshire")
SAMPLE = {path.stem: path for path in VALID_SAMPLES}


def sample_data(name: str) -> dict:
    return json.loads(SAMPLE[name].read_text("utf-8"))


def load(pipeline: Pipeline, tmp_path: Path, data: dict, name: str = "bundle.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data), "utf-8")
    report = pipeline.check(path)
    assert report.errors == [], [p.message for p in report.errors]
    return report.bundle


def texts(pipeline: Pipeline, bundle, doc_ids: list[str]) -> dict[str, str]:
    """stem -> text of each document rendered; a failure fails the test with its message."""
    rendered = {}
    for result in pipeline.render(bundle, doc_ids):
        assert result.error is None, f"{result.stem}: {result.error.message}"
        rendered[result.stem] = docx_text(result.docx)
    return rendered


def as_plan_type(data: dict, plan_type: str, registry: Registry) -> dict:
    """The bundle as a case of ``plan_type``, its reviews recording decisions its authority offers."""
    data = copy.deepcopy(data)
    data["case"]["plan_type"] = plan_type
    offered = registry.profile(data["authority"]).wording(plan_type)["decisions"]
    for review in data.get("reviews", []):
        if review["decision"] not in offered:
            review["decision"] = next(iter(offered))
            review.pop("new_level", None)
    return data


def own_terms_pattern(terms: list[str]) -> re.Pattern:
    return re.compile("|".join(rf"(?<!\w){re.escape(term)}(?!\w)" for term in terms))


# -- the profiles ------------------------------------------------------------------------------
def test_each_profile_lists_terms_of_its_own_that_no_other_profile_lists(registry):
    owners: dict[str, str] = {}
    for slug in AUTHORITIES:
        terms = registry.profile(slug).own_terms
        assert len(terms) >= 4, slug
        for term in terms:
            assert term not in owners, f"{term!r} is listed by {owners.get(term)} and {slug}"
            owners[term] = slug


def test_the_plan_and_its_meeting_are_worded_for_each_plan_type(registry):
    worcestershire = registry.profile("worcestershire")
    assert worcestershire.wording("early_help_taf")["plan"] == "Co-ordinated Support Plan"
    assert worcestershire.wording("child_in_need")["plan"] == "Child & Young Person's Plan (CYPP)"
    assert worcestershire.wording("child_in_need")["team_around"] == "TACiN"
    assert worcestershire.wording("child_in_need")["submit_plans_to"] is None
    assert worcestershire.wording("early_help_taf")["submit_plans_to"] == "the Early Help Assessment Portal"
    assert registry.profile("south-gloucestershire").wording("early_help_taf")["plan"] == "TAF action plan"
    assert registry.profile("south-gloucestershire").wording("child_in_need")["submit_plans_to"] is None
    derbyshire = registry.profile("derbyshire")
    assert {derbyshire.wording(t)["plan"] for t in codes.PLAN_TYPES if t != "looked_after"} == {"Single Plan"}
    assert derbyshire.wording("child_in_need")["meeting"] == "Child in Need Planning Meeting"


# -- no other authority's words ------------------------------------------------------------------
def test_no_document_prints_another_authoritys_terms(pipeline, registry, tmp_path):
    """Every document, for every sample, recipient and plan type."""
    own = {slug: registry.profile(slug).own_terms for slug in AUTHORITIES}
    rendered: dict[str, set[str]] = {slug: set() for slug in AUTHORITIES}
    own_found: dict[str, set[str]] = {slug: set() for slug in AUTHORITIES}
    for name in SAMPLE:
        data = sample_data(name)
        authority = data["authority"]
        others = own_terms_pattern([t for slug, terms in own.items() if slug != authority for t in terms])
        for plan_type in codes.PLAN_TYPES:
            bundle = load(pipeline, tmp_path, as_plan_type(data, plan_type, registry))
            for result in pipeline.render(bundle, registry.document_ids()):
                if result.error is not None:  # a document needing what this case has not got
                    assert result.error.exit_code == 4 and "does not have" in result.error.message
                    continue
                text = docx_text(result.docx)
                leaked = sorted(set(others.findall(text)))
                assert leaked == [], f"{name} as {plan_type}: {result.stem} prints {leaked}"
                own_found[authority].update(own_terms_pattern(own[authority]).findall(text))
                rendered[authority].add(result.doc_id)
    # Every document was read for every authority, and the scan sees the terms it looks for.
    assert rendered == {slug: set(registry.document_ids()) for slug in AUTHORITIES}
    assert {slug: len(found) >= 3 for slug, found in own_found.items()} == dict.fromkeys(AUTHORITIES, True)


@pytest.mark.parametrize("name, plan_name, meeting", [
    ("worcestershire-child-in-need", "Child & Young Person's Plan (CYPP)", "TACiN meeting"),
    ("south-gloucestershire-early-help-taf", "TAF action plan", "Team Around the Family (TAF) meeting"),
    ("derbyshire-child-in-need", "Single Plan", "Child in Need Planning Meeting"),
])
def test_the_outcome_letter_encloses_the_authoritys_own_plan(pipeline, name, plan_name, meeting):
    bundle = pipeline.load(SAMPLE[name])
    letters = texts(pipeline, bundle, ["outcome-letter"])
    for text in letters.values():
        assert f"I enclose the notes of the last {meeting} and the {plan_name}." in text


def test_a_south_gloucestershire_child_in_need_plan_is_not_a_taf_action_plan_sent_to_art(pipeline):
    bundle = pipeline.load(SAMPLE["south-gloucestershire-child-in-need"])
    text = texts(pipeline, bundle, ["family-plan"])["SGC-CIN-0002_family-plan"]
    assert text.startswith("South Gloucestershire Council  |  Children, Adults and Health\nChild in Need plan\n")
    assert "TAF" not in text and "Access and Response Team" not in text and "submitted" not in text


def test_the_co_working_agreement_names_levels_of_need_not_one_authoritys_plans(pipeline):
    bundle = pipeline.load(SAMPLE["derbyshire-child-protection"])
    text = texts(pipeline, bundle, ["co-working-agreement"])["DBY-CP-0001_co-working-agreement"]
    assert "☐ Child in Need     ☒ Child Protection     ☐ Looked After Child     ☐ Other (state): " in text
    assert "Network Meetings/Family Meetings" in text


def test_the_leaflets_are_the_authoritys_own(pipeline):
    worcestershire = texts(pipeline, pipeline.load(SAMPLE["worcestershire-looked-after"]), ["assessment-agreement"])
    text = next(iter(worcestershire.values()))
    assert "Leaflets to be given include:" in text and "Relative/Friend Carers" in text  # 003's heading
    derbyshire = texts(pipeline, pipeline.load(SAMPLE["derbyshire-child-in-need"]), ["assessment-agreement"])
    assert "Leaflets to be given include:" not in next(iter(derbyshire.values()))


# -- review decisions ----------------------------------------------------------------------------
def decision_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line[:1] in ("☐", "☒") and "  " in line[:3]]


def review_text(pipeline, tmp_path, data) -> str:
    bundle = load(pipeline, tmp_path, data)
    return next(iter(texts(pipeline, bundle, ["plan-review"]).values()))


def test_worcestershire_early_help_offers_its_five_decisions_each_its_own(pipeline, tmp_path):
    text = review_text(pipeline, tmp_path, sample_data("worcestershire-early-help-single-focus"))
    start = text.index("Decision\n")
    assert decision_lines(text[start:]) == [
        "☐  Continue the plan as it is",
        "☐  Amend the plan",
        "☐  End the plan: the needs are fully met",
        "☐  End the plan: a single agency will meet the need",
        "☒  End the plan: only universal services are required",
    ]


def test_a_looked_after_review_never_offers_early_help_decisions(pipeline, tmp_path):
    text = review_text(pipeline, tmp_path, sample_data("worcestershire-looked-after"))
    assert decision_lines(text[text.index("Decision\n"):]) == [
        "☐  Continue the care plan as it is",
        "☒  Amend the care plan (for the Looked After Child Review to agree)",
    ]
    assert "universal" not in text and "single agency" not in text


def test_a_review_decision_the_authority_does_not_offer_is_refused(tmp_path):
    data = sample_data("worcestershire-looked-after")
    data["reviews"][0]["decision"] = "end_universal"
    path = tmp_path / "lac.json"
    path.write_text(json.dumps(data), "utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    assert (f"{path}: reviews[0].decision: error: Worcestershire County Council does not offer the "
            "decision 'end_universal' at a Looked After Child review. Expected one of: continue, amend.\n"
            ) in result.stderr


def test_derbyshire_records_a_step_down_to_early_help_under_the_third_outcome(pipeline, tmp_path):
    data = sample_data("derbyshire-child-in-need")
    data["reviews"][1].update(decision="step_down", new_level="early_help_taf")
    text = review_text(pipeline, tmp_path, data)
    decision = text[text.index("Decision\n"):text.index("Significant harm\n")]
    assert decision_lines(decision) == [
        "☐  The child no longer needs support from Children's Services, and the case is recommended "
        "for closure. Other agencies may still give universal or early help support.",
        "☐  The child still needs the same level of services. They continue, and the plan is amended if needed.",
        "☒  Things have improved or got worse, so the threshold of need has changed. The plan is "
        "stepped up or down.",
    ]
    assert "Stepped down to: Early Help Team Around the Family.\n" in decision
    # No label beneath that contradicts the ticked outcome.
    assert "End the plan" not in text and "Step down:" not in text and "Step up" not in text


def test_derbyshire_records_the_strategy_discussion_and_management_oversight(pipeline, tmp_path):
    text = review_text(pipeline, tmp_path, sample_data("derbyshire-child-protection"))
    assert ("Significant harm\nThere is a concern that the child may be suffering, or be likely to "
            "suffer, significant harm. A Strategy Discussion decides if section 47 enquiries are "
            "needed.\nStrategy Discussion held on 17 November 2026.\n") in text
    assert "Management oversight\nOverseen in supervision by Raj Manager-Example on 18 November 2026.\n" in text


def test_derbyshire_warns_when_a_review_lacks_oversight_or_its_strategy_discussion(tmp_path):
    data = sample_data("derbyshire-child-protection")
    review = data["reviews"][0]
    del review["management_oversight"], review["strategy_discussion"]
    path = tmp_path / "cp.json"
    path.write_text(json.dumps(data), "utf-8")
    result = CliRunner().invoke(cli, ["validate", "--strict", str(path)])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:2] == [
        f"{path}: reviews[0].management_oversight: warning: Record the manager's oversight of the "
        "plan in supervision (Derbyshire's Plan, Do, Review (004)).",
        f"{path}: reviews[0].strategy_discussion: warning: The child may be suffering significant "
        "harm: record the date of the Strategy Discussion held to decide on section 47 enquiries "
        "(Derbyshire's Plan, Do, Review (004)).",
    ]


# -- contacts: the seeds' own, or none -------------------------------------------------------------
def test_shipped_profiles_hold_the_seeds_contacts_or_say_they_have_none(registry):
    south_glos = registry.profile("south-gloucestershire")
    assert (south_glos.phone, south_glos.email) == ("01454 866000", "accessandresponse@southglos.gov.uk")
    worcestershire = registry.profile("worcestershire")
    assert worcestershire.phone.split(" (")[0] == "01562 757867" and worcestershire.email is None
    assert worcestershire.website == "www.worcestershire.gov.uk/requestfamilysupport"
    derbyshire = registry.profile("derbyshire")
    assert derbyshire.no_published_contacts and (derbyshire.phone, derbyshire.email) == (None, None)
    assert [registry.profile(slug).placeholders() for slug in AUTHORITIES] == [[], [], []]


def test_a_letter_from_an_authority_without_published_contacts_still_reads_sensibly(pipeline, tmp_path):
    data = sample_data("derbyshire-child-in-need")
    lead = next(p for p in data["professionals"] if p["id"] == data["case"]["lead_professional"])
    lead.pop("phone", None)
    lead.pop("email", None)
    letters = texts(pipeline, load(pipeline, tmp_path, data), ["outcome-letter"])
    for text in letters.values():
        assert "You can write to Callum Socialworker-Example at the address above." in text
        assert "Telephone" not in text and "Email" not in text and "None" not in text


def profile_with(tmp_path: Path, slug: str, old: str, new: str) -> Path:
    root = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", root)
    profile = root / slug / "authority.toml"
    text = profile.read_text("utf-8")
    assert old in text
    profile.write_text(text.replace(old, new), "utf-8")
    return root


def test_templates_check_refuses_a_shipped_profile_given_a_placeholder_phone(tmp_path):
    root = profile_with(tmp_path, "south-gloucestershire", 'phone = "01454 866000"', 'phone = "01632 960 123"')
    result = CliRunner().invoke(cli, ["templates", "check", str(root / "south-gloucestershire")])
    assert result.exit_code == 1
    assert ("error: The phone '01632 960 123' is a placeholder, not the authority's own: give the "
            "authority's published phone, or remove phone and email and set "
            "no_published_contacts = true\n") in result.stderr


def test_validate_strict_refuses_a_bundle_whose_authority_has_placeholder_contacts(tmp_path):
    root = profile_with(tmp_path, "south-gloucestershire", 'email = "accessandresponse@southglos.gov.uk"',
                        'email = "childrens.services@example.org.uk"')
    sample = str(SAMPLE["south-gloucestershire-early-help-taf"])
    assert CliRunner().invoke(cli, ["validate", "--templates", str(root), sample]).exit_code == 0
    result = CliRunner().invoke(cli, ["validate", "--strict", "--templates", str(root), sample])
    assert result.exit_code == 1
    assert (f"{sample}: authority: warning: The profile templates/south-gloucestershire/authority.toml "
            "has a placeholder email (childrens.services@example.org.uk): give the authority's "
            "published one, or set no_published_contacts = true.\n") in result.stdout


def test_a_profile_must_give_contacts_or_say_it_has_none(tmp_path):
    root = profile_with(tmp_path, "derbyshire", "no_published_contacts = true\n", "")
    result = CliRunner().invoke(cli, ["templates", "check", str(root / "derbyshire")])
    assert result.exit_code == 1
    assert ("derbyshire/authority.toml: error: The profile has errors: phone: Give the authority's "
            "published phone or email, or say it has none with no_published_contacts = true: "
            "correct authority.toml\n") in result.stderr



def test_the_prompt_sheet_names_the_authoritys_own_services(pipeline):
    worcestershire = texts(pipeline, pipeline.load(SAMPLE["worcestershire-looked-after"]), ["prompt-sheet"])
    derbyshire = texts(pipeline, pipeline.load(SAMPLE["derbyshire-child-protection"]), ["prompt-sheet"])
    (worcestershire,), (derbyshire,) = worcestershire.values(), derbyshire.values()
    for own, shared in (("Police – DAU/FPU", "Police"), ("CDT/SPACE", "Substance Misuse Service"),
                        ("EIFSW/FIPs/Home Liaison", "Family Support/Home Liaison")):
        assert f"\n{own}\n" in worcestershire and f"\n{shared}\n" not in worcestershire
        assert f"\n{shared}\n" in derbyshire and own not in derbyshire


def test_a_meeting_the_authority_does_not_hold_is_refused(tmp_path):
    data = sample_data("derbyshire-child-in-need")
    data["meetings"][0]["kind"] = "tacin"
    path = tmp_path / "tacin.json"
    path.write_text(json.dumps(data), "utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    assert (f"{path}: meetings[0].kind: error: Derbyshire County Council holds no meeting of the kind "
            "'tacin'. Expected one of: taf, family_meeting, cin_planning, network, core_group, review.\n"
            ) in result.stderr


def test_a_new_level_of_need_goes_with_a_step_up_or_down_only(tmp_path):
    data = sample_data("derbyshire-child-in-need")
    data["reviews"][0]["new_level"] = "early_help_taf"  # its decision is 'continue'
    path = tmp_path / "level.json"
    path.write_text(json.dumps(data), "utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    assert (f"{path}: reviews[0].new_level: error: A new level of need goes with the decision "
            "step_up or step_down only.\n") in result.stderr


def test_templates_check_refuses_another_authoritys_term_in_a_template(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = make_root(tmp_path)
    build(root / "default" / "closing-letter.docx",
          ["{{ recipient.salutation }},", "I enclose the notes of the last TACiN meeting.", "{{ case.team }}"])
    build(root / "derbyshire" / "closing-letter.docx",
          ["{{ recipient.salutation }},", "Your Single Plan goes to the Access and Response Team.", "{{ case.team }}"])
    locked(root)
    result = invoke(templates, ["check", "templates"])
    assert result.exit_code == 1
    assert [line for line in result.stderr.splitlines() if "authority-term" in line or "own term" in line] == [
        "templates/default/closing-letter.docx: body paragraph 2: error: 'TACiN' is Worcestershire County "
        "Council's own term, and this template serves every authority: " + FIX,
        "templates/derbyshire/closing-letter.docx: body paragraph 2: error: 'Access and Response Team' is South "
        "Gloucestershire Council's own term, and this template serves another authority: " + FIX,
    ]
