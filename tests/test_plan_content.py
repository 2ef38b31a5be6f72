"""Child in Need and Child Protection plans hold what 003 (section 4) and 004 require (issue 11,
point 4): the bundle has the fields, validation warns naming the source when a plan lacks them,
and the plan templates print them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, TODAY, docx_text
from test_documents import table_rows
from test_validate import _variant, run, warnings_of

from docgen.pipeline import Pipeline
from docgen.registry import Registry

SAMPLES = ROOT / "samples" / "valid"
PLAN_SECTION = "(source: 003: Worcestershire Children in Need leaflet B/1, section 4, Making and Reviewing Plans)"
SINGLE_PLAN = "(source: 004: Derbyshire Plan, Do, Review)"
PLAN_PARTS = (
    "developmental_needs", "negotiable", "non_negotiable", "unacceptable_care", "renewed_risk",
    "contact", "progress_measures", "child_wishes_followed", "child_wishes_not_followed_because",
)


def _without_plan_parts(data: dict) -> None:
    for part in PLAN_PARTS:
        data["plan"].pop(part, None)


def test_a_child_in_need_plan_without_them_is_warned_naming_the_source(tmp_path):
    path = _variant(tmp_path, _without_plan_parts)
    assert warnings_of(path) == [
        ("plan.negotiable", f"The plan does not say which of its parts are negotiable. {PLAN_SECTION}"),
        ("plan.non_negotiable", f"The plan does not say which of its parts are not negotiable. {PLAN_SECTION}"),
        ("plan.unacceptable_care", f"The plan does not say what is unacceptable care of the child. {PLAN_SECTION}"),
        ("plan.renewed_risk", "The plan does not say what will happen if the child is at renewed risk of "
                              f"significant harm. {PLAN_SECTION}"),
        ("plan.progress_measures", f"The plan does not say how progress will be judged. {SINGLE_PLAN}"),
        ("plan.developmental_needs",
         f"The plan does not describe the developmental needs of children[0] ('poppy'). {SINGLE_PLAN}"),
        ("plan.developmental_needs",
         f"The plan does not describe the developmental needs of children[1] ('alfie'). {SINGLE_PLAN}"),
        ("plan.contact", "The plan does not say how often each professional and family member has contact "
                         f"with the child and family. {PLAN_SECTION}"),
        ("plan.child_wishes_followed", f"The plan does not say whether it follows the child's wishes. {SINGLE_PLAN}"),
    ]  # fmt: skip
    result = run("--strict", str(path))
    assert result.exit_code == 1
    assert "Poppy" not in result.output and "Placeholder" not in result.output  # ids, never names


def test_each_missing_part_is_warned_on_its_own(tmp_path):
    def gaps(data):
        plan = data["plan"]
        plan["developmental_needs"] = plan["developmental_needs"][:1]  # Alfie's are missing
        plan["contact"] = [c for c in plan["contact"] if c["person"] != "hv"]  # hv owns an action
        plan.pop("child_wishes_not_followed_because")

    assert warnings_of(_variant(tmp_path, gaps)) == [
        ("plan.developmental_needs",
         f"The plan does not describe the developmental needs of children[1] ('alfie'). {SINGLE_PLAN}"),
        ("plan.actions[1].who", f"'hv' has an action in the plan but no contact frequency in plan.contact. {SINGLE_PLAN}"),
        ("plan.child_wishes_not_followed_because",
         f"The plan does not follow the child's wishes but does not say why. {SINGLE_PLAN}"),
    ]  # fmt: skip


@pytest.mark.parametrize("plan_type", ["early_help_taf", "looked_after"])
def test_other_plans_are_not_asked_for_them(tmp_path, plan_type):
    def other(data):
        _without_plan_parts(data)
        data["case"]["plan_type"] = plan_type

    assert [w for w in warnings_of(_variant(tmp_path, other)) if "source: 00" in w[1]] == []


def test_references_in_the_new_fields_must_point_at_the_right_people(tmp_path):
    def wrong(data):
        data["plan"]["developmental_needs"][0]["child"] = "mum"
        data["plan"]["contact"][0]["person"] = "poppy"

    path = _variant(tmp_path, wrong)
    result = run(str(path))
    assert result.exit_code == 1
    assert f"{path}: plan.developmental_needs[0].child: error: No child has the id 'mum'.\n" in result.stderr
    assert ("plan.contact[0].person: error: No professional or family member has the id 'poppy'."
            in result.stderr)


def test_the_schema_refuses_a_contact_without_its_frequency(tmp_path):
    result = run(str(_variant(tmp_path, lambda data: data["plan"]["contact"][0].pop("frequency"))))
    assert result.exit_code == 1
    assert "plan.contact[0].frequency: error: This field is required.\n" in result.stderr


# -- the plan templates print them --------------------------------------------------------------
PIPELINE = Pipeline(Registry(ROOT / "templates"), today=TODAY)


def _plan(path: Path) -> tuple[str, list[list[str]]]:
    (result,) = PIPELINE.render(PIPELINE.load(path), ["family-plan"])
    assert result.error is None, result.error
    return docx_text(result.docx), table_rows(result.docx)


@pytest.mark.parametrize("sample", [
    "worcestershire-child-in-need.json", "derbyshire-child-in-need.json",
    "derbyshire-child-protection.json", "south-gloucestershire-child-in-need.json",
])  # fmt: skip
def test_every_authority_s_plan_prints_them(sample):
    data = json.loads((SAMPLES / sample).read_text("utf-8"))
    plan = data["plan"]
    text, rows = _plan(SAMPLES / sample)
    people = {p["id"]: f"{p['first_name']} {p['last_name']}"
              for group in ("children", "family_members", "professionals") for p in data.get(group, [])}
    for need in plan["developmental_needs"]:
        assert [people[need["child"]], need["needs"], need["services"]] in rows
    for contact in plan["contact"]:
        row = next(r for r in rows if r[0] == people[contact["person"]] and r[2] == contact["frequency"])
        assert row[3] == contact["purpose"]
    for part in ("negotiable", "non_negotiable", "unacceptable_care", "progress_measures"):
        assert all(f"•\t{item}\n" in text for item in plan[part]), part
    assert "These parts of the plan can change as we learn what works:" in text
    assert "These parts of the plan cannot change:" in text
    assert plan["renewed_risk"] in text
    assert "at risk of significant harm again\n" in text
    assert ("Why this plan does not do what" in text) == (plan["child_wishes_followed"] is False)


def test_the_reason_the_child_s_wishes_are_not_followed_is_printed():
    text, _ = _plan(SAMPLES / "worcestershire-child-in-need.json")
    assert ("Why this plan does not do what Poppy Placeholder and Alfie Placeholder wanted\n"
            "Poppy would like to walk to school with her friend.") in text


def test_a_plan_lacking_them_says_so(tmp_path):
    path = _variant(tmp_path, _without_plan_parts)
    text, rows = _plan(path)
    assert ["Not recorded yet.", "", ""] in rows  # developmental needs
    assert ["Not agreed yet.", "", "", ""] in rows  # contact
    assert "If Poppy Placeholder and Alfie Placeholder are at risk of significant harm again\nNot agreed yet." in text
    assert "Why this plan does not do what" not in text


def test_an_early_help_plan_has_none_of_it():
    text, _ = _plan(SAMPLES / "south-gloucestershire-early-help-taf.json")
    for heading in ("developmental needs", "Who has contact, and how often", "What can change and what cannot",
                    "What is not acceptable care", "at risk of significant harm again", "How we will judge progress"):
        assert heading not in text
