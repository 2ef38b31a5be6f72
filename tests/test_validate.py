"""docgen validate: every problem at once, with its file, JSON path, message and exit code."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import INVALID_SAMPLES, ROOT, SAMPLES, VALID_SAMPLES
from docgen.bundle.schema import nhs_number_is_valid
from docgen.cli import cli

FIXTURES = Path(__file__).parent / "fixtures" / "bundles"
BASE_SAMPLE = SAMPLES / "valid" / "worcestershire-child-in-need.json"


def run(*args, input=None):
    return CliRunner().invoke(cli, ["validate", *args], input=input)


def problems_of(path: Path) -> list[dict]:
    result = run("--json", str(path))
    return json.loads(result.stdout)


def test_samples_are_present():
    assert len(VALID_SAMPLES) >= 1
    assert len(INVALID_SAMPLES) >= 4


@pytest.mark.parametrize("sample", VALID_SAMPLES, ids=lambda p: p.name)
def test_every_valid_sample_is_valid(sample):
    result = run(str(sample))
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("1 of 1 bundles valid.\n")


# The exact errors each invalid sample produces: (path, message).
EXPECTED = {
    "misspelt-keys.json": [
        ("case.plan_type", "This field is required."),
        ("case.plan_typ", "Unknown key 'plan_typ'. Did you mean 'plan_type'?"),
        ("children[0].date_of_birth", "This field is required."),
        ("children[0].date_of_brith", "Unknown key 'date_of_brith'. Did you mean 'date_of_birth'?"),
    ],
    "bad-values.json": [
        ("children[0].date_of_birth", "Expected a date like 2026-11-22."),
        ("children[0].sex", "Expected one of M, F, U but received: 'X'."),
        ("children[0].ethnicity", None),
        ("children[0].upn", "Expected a UPN: a letter and 12 digits, or a letter, 11 digits and a letter."),
        ("family_members[0].address.postcode", "Expected a UK postcode like 'WR5 2NP'."),
        ("professionals[2].email", "Not a valid email address."),
    ],
    "missing-and-wrong-types.json": [
        ("schema_version", "Expected one of 1.0 but received: '0.9'."),
        ("case.reference", "This field is required."),
        ("children", "Length must be between 1 and 20."),
        ("family_members[0].parental_responsibility", "Expected true or false."),
    ],
    "malformed-json.json": [("", "Malformed JSON at line 6, column 3: Expecting ',' delimiter.")],
}


@pytest.mark.parametrize("sample", INVALID_SAMPLES, ids=lambda p: p.name)
def test_invalid_sample_reports_every_error_with_its_path(sample):
    result = run("--json", str(sample))
    assert result.exit_code == 1
    rows = json.loads(result.stdout)
    expected = EXPECTED[sample.name]
    assert [r["path"] for r in rows] == [path for path, _ in expected]
    for row, (path, message) in zip(rows, expected):
        assert row["severity"] == "error"
        assert row["file"] == str(sample)
        if message is not None:
            assert row["message"] == message


def test_plain_output_names_file_path_and_message():
    sample = SAMPLES / "invalid" / "misspelt-keys.json"
    result = run(str(sample))
    assert result.exit_code == 1
    assert (
        f"{sample}: children[0].date_of_brith: error: Unknown key 'date_of_brith'. "
        "Did you mean 'date_of_birth'?\n"
    ) in result.stderr
    assert result.stderr.endswith("0 of 1 bundles valid.\n")


def test_several_files_are_all_reported():
    result = run("--json", str(BASE_SAMPLE), *map(str, INVALID_SAMPLES))
    assert result.exit_code == 1
    files = {row["file"] for row in json.loads(result.stdout)}
    assert files == {str(p) for p in INVALID_SAMPLES}


def test_semantic_errors_references_and_nhs_check_digit():
    rows = problems_of(FIXTURES / "broken-references-and-check-digit.json")
    assert {(r["path"], r["message"]) for r in rows} == {
        ("children[0].nhs_number", "The NHS number's check digit is wrong."),
        ("family_members[1].id", "The id 'mum' is already used at family_members[0].id."),
        ("case.lead_professional", "No professional has the id 'nobody'."),
        ("plan.actions[0].who", "No person has the id 'ghost'."),
    }


def test_repeated_keys_are_errors_with_their_paths():
    rows = problems_of(FIXTURES / "repeated-key.json")
    assert [(r["path"], r["message"]) for r in rows] == [
        ("authority", "This key is given more than once."),
        ("case.team", "This key is given more than once."),
    ]


def test_standard_input_is_read_with_dash():
    result = run("-", input=BASE_SAMPLE.read_text())
    assert result.exit_code == 0
    bad = run("--json", "-", input="{}")
    assert bad.exit_code == 1
    assert {r["file"] for r in json.loads(bad.stdout)} == {"<stdin>"}


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "File not found."),
        (b"\xff\xfe{}", "The file is not UTF-8 text (byte 0 cannot be read); save it as UTF-8."),
        (b"x" * (5 * 1024 * 1024 + 1), "The bundle is larger than the 5 MiB limit."),
    ],
    ids=["missing", "not-utf8", "too-large"],
)
def test_unreadable_files_are_usage_errors(tmp_path, content, message):
    path = tmp_path / "bundle.json"
    if content is not None:
        path.write_bytes(content)
    result = run(str(path))
    assert result.exit_code == 2
    assert f"{path}: error: {message}\n" in result.stderr
    assert result.stderr.endswith("0 of 1 bundles valid (1 could not be read).\n")


def test_the_summary_counts_unreadable_and_invalid_files_apart_from_valid_ones(tmp_path):
    result = run(str(BASE_SAMPLE), str(tmp_path / "missing.json"), str(SAMPLES / "invalid" / "bad-values.json"))
    assert result.exit_code == 2
    assert result.stderr.endswith("1 of 3 bundles valid (1 could not be read).\n")


def test_empty_file_is_invalid(tmp_path):
    path = tmp_path / "empty.json"
    path.write_text("  \n")
    rows = problems_of(path)
    assert rows == [{"file": str(path), "path": "", "message": "The file is empty; expected a JSON object.", "severity": "error"}]


def _variant(tmp_path, change) -> Path:
    data = json.loads(BASE_SAMPLE.read_text())
    change(data)
    path = tmp_path / "variant.json"
    path.write_text(json.dumps(data))
    return path


def warnings_of(path: Path) -> list[tuple[str, str]]:
    return [(r["path"], r["message"]) for r in problems_of(path) if r["severity"] == "warning"]


def test_policy_warnings_for_a_weak_plan(tmp_path):
    def weaken(data):
        data["plan"]["actions"][1].pop("who")
        data["plan"]["actions"][2].pop("by")
        data["plan"].pop("contingency")
        data["plan"]["review_dates"] = []
        data["case"].pop("lead_professional")

    path = _variant(tmp_path, weaken)
    assert warnings_of(path) == [
        ("case.lead_professional", "The plan does not name its Lead Professional."),
        ("plan.contingency", "The plan has no contingency: what happens if it is not followed."),
        ("plan.review_dates", "The plan has no review date."),
        ("plan.actions[1].who", "This action has no owner: say who will do it."),
        ("plan.actions[2].by", "This action has no date: say by when."),
    ]
    assert run(str(path)).exit_code == 0
    strict = run("--strict", str(path))
    assert strict.exit_code == 1


@pytest.mark.parametrize("review_dates, warning", [
    (["2026-12-14", "2027-03-01"],
     ("plan.review_dates[1]", "Reviews here are every 6 weeks; this one is 11 weeks after the last. "
                              "(source: 004: Derbyshire Plan, Do, Review)")),
    # Out of order: the warning names the date out of step, where the bundle has it.
    (["2027-06-01", "2026-12-14"],
     ("plan.review_dates[0]", "Reviews here are every 6 weeks; this one is 24 weeks and 1 day after the last. "
                              "(source: 004: Derbyshire Plan, Do, Review)")),
])
def test_review_cadence_follows_the_authority(tmp_path, review_dates, warning):
    def derbyshire_reviews(data):
        data["authority"] = "derbyshire"
        data["plan"]["started"] = "2026-11-02"
        data["plan"]["review_dates"] = review_dates
        data["assessment"].pop("leaflets_given")  # Worcestershire's leaflets
        for meeting in data["meetings"]:  # and its TACiN meetings
            meeting["kind"] = "network"
        for review in data["reviews"]:  # Derbyshire's reviews: its own decisions, overseen
            review["decision"] = "continue"
            review["management_oversight"] = {"by": data["case"]["manager"], "date": "2026-11-20"}

    assert warnings_of(_variant(tmp_path, derbyshire_reviews)) == [warning]


def test_review_dates_on_a_bank_holiday_or_weekend_are_warned_with_the_next_working_day(tmp_path):
    def holiday_reviews(data):
        data["plan"]["review_dates"] = ["2026-12-25"]
        data["reviews"][0]["next_review"] = "2027-01-02"

    path = _variant(tmp_path, holiday_reviews)
    warnings = warnings_of(path)
    assert (
        "plan.review_dates[0]",
        "25 December 2026 is not a working day (a weekend or a bank holiday in England and Wales); "
        "the next working day is 29 December 2026.",
    ) in warnings
    assert (
        "reviews[0].next_review",
        "2 January 2027 is not a working day (a weekend or a bank holiday in England and Wales); "
        "the next working day is 4 January 2027.",
    ) in warnings


def test_adult_child_and_unqualified_key_worker(tmp_path):
    def change(data):
        data["case"]["plan_type"] = "child_protection"
        data["children"][0]["date_of_birth"] = "2008-01-01"
        data["professionals"][0]["qualified_social_worker"] = False

    path = _variant(tmp_path, change)
    assert warnings_of(path) == [
        ("children[0].date_of_birth", "This child is 18 or over."),
        (
            "case.lead_professional",
            "The key worker for a Child Protection or Looked After plan must be a qualified social worker.",
        ),
    ]


def test_unknown_authority_and_document(tmp_path):
    def change(data):
        data["authority"] = "atlantis"
        data["documents_requested"] = ["outcome-leter"]

    rows = problems_of(_variant(tmp_path, change))
    assert [(r["path"], r["message"]) for r in rows] == [
        ("authority", "Unknown authority 'atlantis'. Known: derbyshire, south-gloucestershire, worcestershire."),
        ("documents_requested[0]", "No document has the id 'outcome-leter'."),
    ]


@pytest.mark.parametrize(
    "number, valid",
    [("943 476 5919", True), ("9434765919", True), ("943 476 5918", False), ("401 023 2137", True), ("123", False)],
)
def test_nhs_check_digit(number, valid):
    assert nhs_number_is_valid(number) is valid


def test_control_characters_follow_the_documented_rule(tmp_path):
    def change(data):
        data["children"][0]["first_name"] = "Pop\tpy"  # single-line: no tab
        data["children"][0]["views"] = "Line one\nLine two\twith a tab"  # free text: allowed
        data["closure"]["final_summary"] = "Page\fbreak"  # form feed: never

    rows = problems_of(_variant(tmp_path, change))
    assert [(r["path"], r["message"]) for r in rows] == [
        ("children[0].first_name", "Line breaks, tabs and control characters are not allowed here."),
        ("closure.final_summary", "Control characters other than newline and tab are not allowed."),
    ]


def test_readme_error_example_matches(monkeypatch):
    monkeypatch.chdir(ROOT)
    readme = (ROOT / "README.md").read_text()
    result = run("samples/invalid/misspelt-keys.json")
    for line in result.stderr.splitlines():
        assert line in readme
