"""docgen feedback report: returned Feedback Sheets summed up as CSV counts and a PNG chart."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from forms_helpers import SAMPLE, family_fills, invoke
from PIL import Image

from docgen.cli_forms import feedback as feedback_cli
from docgen.cli_forms import forms as forms_cli

# Four families' answers (a missing key is a question left unanswered).
SHEETS = [
    {"aims_clear": "/yes", "worker_role_clear": "/yes", "talk_about_important": "/yes",
     "regular_feedback": "/no", "included_in_decisions": "/yes",
     "rating_approachability": "/5", "rating_reliability": "/4", "rating_accuracy": "/4",
     "rating_cultural_religious": "/3", "rating_children_needs": "/5", "helpfulness": "/very_helpful"},
    {"aims_clear": "/yes", "worker_role_clear": "/no", "talk_about_important": "/yes",
     "regular_feedback": "/no", "included_in_decisions": "/no",
     "rating_approachability": "/4", "rating_reliability": "/2", "rating_accuracy": "/3",
     "rating_children_needs": "/4", "helpfulness": "/helpful"},
    {"aims_clear": "/no", "talk_about_important": "/yes", "regular_feedback": "/yes",
     "rating_approachability": "/4", "rating_reliability": "/3", "helpfulness": "/helpful",
     "improvements": "Fewer changes of worker."},
    {"aims_clear": "/yes", "worker_role_clear": "/yes", "included_in_decisions": "/yes",
     "rating_approachability": "/2", "rating_accuracy": "/5", "rating_children_needs": "/5",
     "helpfulness": "/no_difference"},
]  # fmt: skip


@pytest.fixture(scope="module")
def returned(tmp_path_factory) -> list[Path]:
    """Four feedback sheets pre-filled from the sample, then filled in by families."""
    folder = tmp_path_factory.mktemp("returned")
    result = invoke(forms_cli, ["fill", SAMPLE, "--form", "feedback-sheet", "--out", folder])
    assert result.exit_code == 0, result.output
    blank = folder / "WOR-CIN-0001_feedback-sheet_form.pdf"
    return [family_fills(blank, folder / f"sheet-{i}.pdf", answers) for i, answers in enumerate(SHEETS, 1)]


def report(*args):
    return invoke(feedback_cli, ["report", *args])


def read_rows(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def count(rows, question, answer) -> str:
    [row] = [r for r in rows if r["question"] == question and r["answer"] == answer]
    return row["count"]


def average(rows, question) -> str:
    [row] = [r for r in rows if r["question"] == question and r["answer"] == "Average"]
    return row["average"]


def test_report_counts_and_averages_exactly(returned, tmp_path):
    result = report(*returned, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Summarised 4 feedback sheets.",
        str(tmp_path / "feedback-summary.csv"),
        str(tmp_path / "feedback-summary.png"),
    ]
    rows = read_rows(tmp_path / "feedback-summary.csv")
    aims = "Were the aims and reasons for the work made clear to you?"
    assert [count(rows, aims, a) for a in ("Yes", "No", "No answer")] == ["3", "1", "0"]
    role = "Was the role of the worker made clear to you?"
    assert [count(rows, role, a) for a in ("Yes", "No", "No answer")] == ["2", "1", "1"]
    talk = "Were you able to talk about the things important to you?"
    assert [count(rows, talk, a) for a in ("Yes", "No", "No answer")] == ["3", "0", "1"]
    feedback = "Were you given regular feedback by the worker?"
    assert [count(rows, feedback, a) for a in ("Yes", "No", "No answer")] == ["1", "2", "1"]
    decisions = "Were you included in making decisions?"
    assert [count(rows, decisions, a) for a in ("Yes", "No", "No answer")] == ["2", "1", "1"]

    assert average(rows, "Approachability of social worker") == "3.75"  # (5+4+4+2)/4
    assert average(rows, "Reliability of social worker") == "3.00"  # (4+2+3)/3
    assert average(rows, "Accuracy of the assessments and information shared") == "4.00"  # (4+3+5)/3
    assert average(rows, "Sensitivity to your cultural & religious needs") == "3.00"  # 3/1
    needs = "Sensitivity and understanding to the individual needs of the children"
    assert average(rows, needs) == "4.67"  # (5+4+5)/3
    assert count(rows, needs, "Average") == "3"
    assert count(rows, needs, "No answer") == "1"
    assert [count(rows, "Approachability of social worker", s) for s in "12345"] == ["0", "1", "0", "2", "1"]

    helpful = "How helpful has this service been to your family?"
    labels = ("Very unhelpful", "Unhelpful", "No difference", "Helpful", "Very helpful", "No answer")
    assert [count(rows, helpful, label) for label in labels] == ["0", "0", "1", "2", "1", "0"]
    assert len(rows) == 5 * 3 + 5 * 7 + 6


def test_chart_is_a_real_png(returned, tmp_path):
    result = report(*returned, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    chart = tmp_path / "feedback-summary.png"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert chart.stat().st_size > 10_000
    with Image.open(chart) as image:
        assert image.format == "PNG"
        assert image.width == 1000 and image.height > 500
        colours = image.convert("RGB").getcolors(maxcolors=100_000)
        # Bars in the Yes, No and helpfulness colours, not just text on white.
        present = {rgb for _, rgb in colours}
        assert {(0x1F, 0x77, 0xB4), (0xFF, 0x7F, 0x0E), (0x6A, 0x4C, 0x93)} <= present


def test_report_json(returned, tmp_path):
    result = report(*returned[:2], "--out", tmp_path, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["sheets"] == 2
    assert data["csv"] == str(tmp_path / "feedback-summary.csv")
    assert data["errors"] == []
    approachability = [r for r in data["summary"] if r["answer"] == "Average"][0]
    assert approachability == {
        "section": "rating",
        "question": "Approachability of social worker",
        "answer": "Average",
        "count": 2,
        "average": "4.50",
    }


def test_other_forms_and_broken_files_are_left_out(returned, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    result = invoke(forms_cli, ["fill", SAMPLE, "--form", "family-meeting-agreement", "--out", folder])
    assert result.exit_code == 0, result.output
    agreement = folder / "WOR-CIN-0001_family-meeting-agreement_form.pdf"
    scan = folder / "scan.pdf"
    scan.write_bytes(b"\xff\xd8\xff\xe0 a JPEG saved as .pdf")
    result = report(returned[0], agreement, scan, returned[1], "--out", tmp_path / "report")
    assert result.exit_code == 3
    assert result.stdout.splitlines()[0] == "Summarised 2 feedback sheets."
    assert result.stderr == (
        f"Error: {agreement}: The PDF is a family-meeting-agreement form, not a feedback sheet.\n"
        f"Error: {scan}: The file is not a PDF (no %PDF- header).\n"
        "2 of 4 files failed.\n"
    )
    rows = read_rows(tmp_path / "report" / "feedback-summary.csv")
    assert average(rows, "Approachability of social worker") == "4.50"


def test_nothing_is_written_when_no_sheet_can_be_read(tmp_path):
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"not a pdf")
    result = report(scan, "--out", tmp_path / "report")
    assert result.exit_code == 7
    assert result.stdout == ""
    assert result.stderr == f"Error: {scan}: The file is not a PDF (no %PDF- header).\n"
    assert not (tmp_path / "report").exists()
