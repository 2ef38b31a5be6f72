"""Timescales and reviews as the guidance sets them, in working days, each warning naming its
source (issue 11, point 5). Validated through the library with a fixed today, so that "overdue"
means the same on every day the tests run."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest
from conftest import ROOT, SAMPLES, TODAY, docx_text

from docgen.bundle.load import parse
from docgen.pipeline import Pipeline
from docgen.registry import Registry
from docgen.validate import validate

REGISTRY = Registry(ROOT / "templates")
LEAFLET = "(source: 003: Worcestershire Children in Need leaflet B/1"
ASSESSMENT_SECTION = f"{LEAFLET}, section 3, Assessments of children 'in need')"
SINGLE_PLAN = "(source: 004: Derbyshire Plan, Do, Review)"
WORKING_TOGETHER = "(source: Working Together to Safeguard Children)"
CLOSURE_REASONS = "(source: 002: Effective reviewing of the TAF plan, the reasons a plan may be closed)"
WORCESTERSHIRE_REVIEWS = ("(source: 001 (Early Help: TAF reviews every 6-12 weeks); 003 section 4 (a Child in "
                          "Need plan is reviewed at least every 6 months))")


def sample(name: str) -> dict:
    return json.loads((SAMPLES / "valid" / f"{name}.json").read_text("utf-8"))


def retyped(data: dict, authority: str) -> dict:
    """A sample moved to another authority, with only what every authority offers: its meetings
    held as reviews, no leaflets (each authority has its own), each review's decision 'continue'."""
    data["authority"] = authority
    for meeting in data.get("meetings", []):
        meeting["kind"] = "review"
    data.get("assessment", {}).pop("leaflets_given", None)
    for review in data.get("reviews", []):
        review["decision"] = "continue"
    return data


def warnings(data: dict, today: date, *, about: str = "") -> list[tuple[str, str]]:
    report = validate(parse(json.dumps(data, ensure_ascii=False), "test.json"), REGISTRY, today)
    assert report.errors == []
    return [(p.path, p.message) for p in report.warnings if p.path.startswith(about)]


# -- assessments --------------------------------------------------------------------------------
def test_a_single_assessment_has_45_working_days():
    data = sample("worcestershire-child-in-need")
    data["assessment"].update(started="2026-09-02", completed="2026-11-06")
    data["assessment"].pop("due")
    # 45 working days from Wednesday 2 September 2026 is Wednesday 4 November 2026.
    assert warnings(data, date(2026, 11, 20), about="assessment") == [(
        "assessment.completed",
        "A child and family assessment is completed within 45 working days of its start, by 4 November "
        f"2026; this one was completed on 6 November 2026. {WORKING_TOGETHER}",
    )]
    data["assessment"]["completed"] = "2026-11-04"
    assert warnings(data, date(2026, 11, 20), about="assessment") == []


def test_an_unfinished_assessment_past_its_timescale_is_overdue_against_today():
    data = sample("worcestershire-child-in-need")
    data["assessment"].pop("completed")
    data["assessment"].pop("due")
    for meetings_and_their_records in ("meetings", "meeting_notes", "family_meeting"):
        data.pop(meetings_and_their_records, None)
    assert warnings(data, date(2026, 11, 4), about="assessment") == []
    assert warnings(data, date(2026, 11, 5), about="assessment") == [(
        "assessment.completed",
        "A child and family assessment is completed within 45 working days of its start; this one was "
        f"due by 4 November 2026 and is not recorded as completed. {WORKING_TOGETHER}",
    )]


@pytest.mark.parametrize("kind, completed, due", [
    ("initial", "2026-09-17", "16 September 2026"),  # 10 working days from 2 September
    ("core", "2026-10-22", "21 October 2026"),  # 35
])  # fmt: skip
def test_initial_and_core_assessments_when_the_profile_chooses_them(tmp_path, kind, completed, due):
    root = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", root)
    profile = root / "worcestershire" / "authority.toml"
    profile.write_text(profile.read_text("utf-8").replace(
        'assessment_timescales = "single_assessment"', 'assessment_timescales = "initial_and_core"'), "utf-8")
    data = sample("worcestershire-child-in-need")
    data["assessment"].update(type=kind, started="2026-09-02", completed=completed)
    data["assessment"].pop("due")
    report = validate(parse(json.dumps(data), "test.json"), Registry(root), date(2026, 11, 20))
    days = {"initial": 10, "core": 35}[kind]
    assert [(p.path, p.message) for p in report.warnings if p.path.startswith("assessment")] == [(
        "assessment.completed",
        f"A {kind} assessment is completed within {days} working days of its start, by {due}; this one "
        f"was completed on {date.fromisoformat(completed).day} {date.fromisoformat(completed):%B %Y}. "
        f"{LEAFLET})",
    )]


def test_the_analysis_is_shared_7_working_days_before_a_meeting():
    data = sample("worcestershire-child-in-need")  # the TACiN meets on Thursday 3 December 2026
    data["assessment"]["analysis_shared"] = "2026-11-25"  # 6 working days before
    assert warnings(data, date(2026, 11, 20), about="meetings") == [(
        "meetings[0].starts",
        "The analysis was shared on 25 November 2026, less than 7 working days before this meeting on "
        f"3 December 2026. {ASSESSMENT_SECTION}",
    )]
    data["assessment"]["analysis_shared"] = "2026-11-24"  # 7 working days before
    assert warnings(data, date(2026, 11, 20), about="meetings") == []
    data["assessment"].pop("analysis_shared")
    assert warnings(data, date(2026, 11, 20), about="assessment") == [(
        "assessment.analysis_shared",
        "Say when the analysis was shared with the child and family: at least 7 working days before the "
        f"meeting on 3 December 2026. {ASSESSMENT_SECTION}",
    )]


# -- reviews ------------------------------------------------------------------------------------
def test_worcestershire_child_in_need_reviews_at_least_every_6_months():
    data = sample("worcestershire-child-in-need")  # the plan started on 2 November 2026
    data.pop("closure")
    data["plan"]["review_dates"] = ["2027-04-30", "2027-11-01"]
    assert warnings(data, date(2026, 11, 20), about="plan.review_dates") == [(
        "plan.review_dates[1]",
        "Reviews here are held at least every 6 months; 1 November 2027 is more than that after 30 April "
        f"2027. {WORCESTERSHIRE_REVIEWS}",
    )]


def test_overdue_reviews_count_from_the_last_held_or_the_plan_start():
    data = sample("worcestershire-child-in-need")  # plan started 2 November 2026; a review on 14 December 2026
    data.pop("closure")
    data["reviews"][0].pop("next_review")
    data["plan"]["review_dates"] = ["2026-12-14", "2027-06-11"]  # planned in time, never held
    missed = ("plan.review_dates[1]", "The review planned for 11 June 2027 is not recorded as held: add it "
                                      f"to reviews, or plan a new date. {WORCESTERSHIRE_REVIEWS}")
    assert warnings(data, date(2027, 6, 11), about="") == []
    assert warnings(data, date(2027, 6, 14), about="") == [missed]
    assert warnings(data, date(2027, 6, 15), about="") == [missed, (
        "reviews",
        "A review is overdue: reviews are held at least every 6 months, and none has been held since the "
        f"last review, on 14 December 2026; one was due by 14 June 2027. {WORCESTERSHIRE_REVIEWS}",
    )]
    data["reviews"] = []
    assert warnings(data, date(2027, 6, 15), about="reviews") == [(
        "reviews",
        "A review is overdue: reviews are held at least every 6 months, and none has been held since the "
        f"plan started, on 2 November 2026; one was due by 2 May 2027. {WORCESTERSHIRE_REVIEWS}",
    )]


def test_a_closed_case_has_no_overdue_review():
    data = sample("worcestershire-child-in-need")  # closed on 20 November 2026
    assert warnings(data, date(2028, 1, 3), about="reviews") == []


def test_derbyshire_reviews_6_weekly_and_overdue():
    data = sample("derbyshire-child-protection")  # started 12 October 2026, reviewed 16 November 2026
    assert warnings(data, date(2026, 12, 28), about="reviews") == []
    assert warnings(data, date(2026, 12, 29), about="reviews") == [(
        "reviews",
        "A review is overdue: reviews are held at least every 6 weeks, and none has been held since the "
        f"last review, on 16 November 2026; one was due by 28 December 2026. {SINGLE_PLAN}",
    )]


def test_derbyshire_long_term_disability_support_is_reviewed_12_monthly():
    data = sample("derbyshire-child-protection")
    data["plan"]["review_dates"] = ["2026-11-23", "2027-08-23"]
    six_weekly = warnings(data, date(2026, 11, 20), about="plan.review_dates")
    assert six_weekly == [("plan.review_dates[1]", "Reviews here are every 6 weeks; this one is 39 weeks "
                                                   f"after the last. {SINGLE_PLAN}")]
    data["plan"]["long_term_disability_support"] = True
    data["reviews"][0]["next_review"] = "2027-11-16"
    assert warnings(data, date(2026, 11, 20), about="plan.review_dates") == []
    assert warnings(data, date(2027, 11, 16), about="reviews") == []
    data["plan"]["review_dates"] = ["2026-11-23", "2027-11-24"]
    assert warnings(data, date(2027, 11, 17), about="") == [
        ("plan.review_dates[1]", "Reviews here are held at least every 12 months for long-term disability "
                                 f"support; 24 November 2027 is more than that after 23 November 2026. {SINGLE_PLAN}"),
        ("reviews[0].next_review", "The review planned for 16 November 2027 is not recorded as held: add it "
                                   f"to reviews, or plan a new date. {SINGLE_PLAN}"),
        ("reviews", "A review is overdue: reviews are held at least every 12 months for long-term disability "
                    "support, and none has been held since the last review, on 16 November 2026; one was due "
                    f"by 16 November 2027. {SINGLE_PLAN}"),
    ]


def test_a_derbyshire_child_in_need_plan_open_12_months_needs_a_formal_review_by_a_team_manager():
    data = sample("derbyshire-child-in-need")  # the plan started on 4 May 2026
    data.pop("closure")
    oversight = {"by": "tm", "date": "2027-04-27", "notes": "Agreed in supervision."}  # 004 asks for it
    data["reviews"] = [{"date": "2027-04-26", "progress": "positive_change", "decision": "continue",
                        "management_oversight": oversight}]
    formal = "A Child in Need plan open 12 months has a formal multi-agency review chaired by a Team Manager"
    assert warnings(data, date(2027, 5, 3), about="reviews") == []
    assert warnings(data, date(2027, 5, 4), about="reviews") == [(
        "reviews", f"{formal}: none is recorded since the plan started, on 4 May 2026; it was due by 4 May "
                   f"2027. {SINGLE_PLAN}",
    )]
    data["reviews"].append({"date": "2027-05-04", "progress": "positive_change", "decision": "continue",
                            "formal": True, "chair": "tm", "management_oversight": oversight})
    assert warnings(data, date(2027, 5, 4), about="reviews") == []
    data["reviews"][1]["chair"] = "sw"
    assert warnings(data, date(2027, 5, 4), about="reviews") == [
        ("reviews[1].chair", f"A formal review is chaired by a Team Manager. {SINGLE_PLAN}"),
    ]
    data["reviews"][1]["chair"] = "tm"
    assert warnings(data, date(2028, 5, 4), about="reviews") == [
        ("reviews", "A review is overdue: reviews are held at least every 6 weeks, and none has been held "
                    "since the last review, on 4 May 2027; one was due by 15 June 2027. "
                    f"{SINGLE_PLAN}"),
        ("reviews", f"{formal}: none is recorded since the last formal review, on 4 May 2027; it was due by "
                    f"4 May 2028. {SINGLE_PLAN}"),
    ]


# -- closure ------------------------------------------------------------------------------------
def test_reached_adulthood_needs_every_child_18():
    data = sample("derbyshire-child-in-need")  # Finn was born on 12 December 2010
    data["closure"]["reason"] = "reached_adulthood"
    data["closure"]["date"] = "2028-12-11"
    assert warnings(data, date(2028, 12, 11), about="closure") == [(
        "closure.reason",
        "The case is closed as the children have reached adulthood, but children[0] ('finn') is under 18 "
        f"on 11 December 2028. {CLOSURE_REASONS}",
    )]
    data["closure"]["date"] = "2028-12-12"
    assert warnings(data, date(2028, 12, 12), about="closure") == []


def test_a_family_that_moved_names_the_new_authority():
    data = sample("worcestershire-child-in-need")
    data["closure"]["reason"] = "moved_away"
    assert warnings(data, date(2026, 11, 20), about="closure") == [(
        "closure.new_authority",
        f"The family has left the area: name the authority they moved to. {CLOSURE_REASONS}",
    )]
    data["closure"]["new_authority"] = "Fictional Borough Council"
    assert warnings(data, date(2026, 11, 20), about="closure") == []


# -- plan-review records a formal review as such ------------------------------------------------
@pytest.mark.parametrize("authority", ["derbyshire", "worcestershire"])
def test_plan_review_records_a_formal_review_and_its_chair(tmp_path, authority):
    data = retyped(sample("derbyshire-child-in-need"), authority)
    data["reviews"][-1].update(formal=True, chair="tm")
    path = tmp_path / "formal.json"
    path.write_text(json.dumps(data), "utf-8")
    pipeline = Pipeline(REGISTRY, today=TODAY)
    (result,) = pipeline.render(pipeline.load(path), ["plan-review"])
    assert result.error is None, result.error
    text = docx_text(result.docx)
    assert "This is a formal multi-agency review, chaired by Esme Manager-Example, Team Manager.\n" in text
    derbyshire_rule = "A child on a Child in Need plan for 12 months has a formal review chaired by a Team Manager."
    assert (derbyshire_rule in text) == (authority == "derbyshire")
    data["reviews"][-1]["formal"] = False
    path.write_text(json.dumps(data), "utf-8")
    (result,) = pipeline.render(pipeline.load(path), ["plan-review"])
    assert "formal multi-agency review" not in docx_text(result.docx)


def test_a_derbyshire_disability_support_plan_says_it_is_reviewed_12_monthly(tmp_path):
    data = sample("derbyshire-child-in-need")
    pipeline = Pipeline(REGISTRY, today=TODAY)
    texts = {}
    for disability in (False, True):
        data["plan"]["long_term_disability_support"] = disability
        path = tmp_path / f"{disability}.json"
        path.write_text(json.dumps(data), "utf-8")
        (result,) = pipeline.render(pipeline.load(path), ["family-plan"])
        assert result.error is None, result.error
        texts[disability] = docx_text(result.docx)
    six_weekly = "Plans are reviewed every 6 weeks, usually at a Child in Need Planning Meeting."
    yearly = "It is reviewed at least every 12 months."
    assert six_weekly in texts[False] and yearly not in texts[False]
    assert yearly in texts[True] and six_weekly not in texts[True]


@pytest.mark.parametrize("authority", ["worcestershire", "south-gloucestershire", "derbyshire"])
def test_the_closure_summary_names_the_authority_a_family_moved_to(tmp_path, authority):
    data = retyped(sample("worcestershire-child-in-need"), authority)
    data.pop("documents_requested")
    data["closure"].update(reason="moved_away", new_authority="Fictional Borough Council")
    path = tmp_path / "moved.json"
    path.write_text(json.dumps(data), "utf-8")
    pipeline = Pipeline(REGISTRY, today=TODAY)
    (result,) = pipeline.render(pipeline.load(path), ["closure-summary"])
    assert result.error is None, result.error
    assert "They have moved to the area of Fictional Borough Council.\n" in docx_text(result.docx)
    data["closure"].pop("new_authority")
    path.write_text(json.dumps(data), "utf-8")
    (result,) = pipeline.render(pipeline.load(path), ["closure-summary"])
    assert "They have moved to the area of" not in docx_text(result.docx)


def test_a_planned_review_whose_date_has_passed_without_being_held_is_warned():
    data = sample("worcestershire-child-in-need")  # reviewed 14 December 2026, next on 25 January 2027
    data.pop("closure")
    assert warnings(data, date(2027, 1, 25), about="reviews") == []
    assert warnings(data, date(2027, 1, 26), about="reviews") == [(
        "reviews[0].next_review",
        "The review planned for 25 January 2027 is not recorded as held: add it to reviews, or plan a new "
        f"date. {WORCESTERSHIRE_REVIEWS}",
    )]
    data["reviews"] = []  # then the plan's own review date is the one planned
    assert warnings(data, date(2026, 12, 15), about="plan.review_dates") == [(
        "plan.review_dates[0]",
        "The review planned for 14 December 2026 is not recorded as held: add it to reviews, or plan a "
        f"new date. {WORCESTERSHIRE_REVIEWS}",
    )]
