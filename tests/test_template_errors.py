"""Template errors at render, preview, snapshot and batch time, told as `templates check` tells them.

Each names the template, the paragraph (its opening words) or table cell, and a fix; a template's
own mistake is never blamed on the bundle, and is told once, not once per recipient or sample.
"""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import ROOT, VALID_SAMPLES, docx_text
from templates_helpers import SAMPLE, build, invoke, small_root

from docgen.cli import cli

FAMILY_BRANCH_TYPO = [
    "{{ recipient.salutation }},",
    '{%p if recipient.kind == "family" %}',
    "We will write to {{ child.frist_name }} too.",
    "{%p endif %}",
    "Our reference: {{ case.reference }}",
]
FAULT = "The template has 1 error in its wording, whatever bundle fills it: "
TYPO = (FAULT + 'body paragraph 3 ("We will write to {{ child.frist_name }} too."): '
        "`child.frist_name` is not a field this template can use: did you mean `child.first_name`?")


@pytest.fixture
def root(tmp_path):
    return small_root(tmp_path, "outcome-letter")  # the sample asks for an outcome letter


def run(*args):
    return invoke(cli, list(args))


def test_preview_fills_every_recipient_variant_and_fails_on_the_family_branch(root, tmp_path):
    build(root / "default" / "note.docx", FAMILY_BRANCH_TYPO)
    out = tmp_path / "note.docx"
    result = run("templates", "preview", "note", "--authority", "worcestershire", "--out", out, "--templates", root)
    assert result.exit_code == 4
    assert result.stdout == ""
    assert result.stderr == (f"Error: {root / 'default' / 'note.docx'}: {TYPO} "
                             "It fails for family-mum from worcestershire-child-in-need.json.\n")
    assert not out.exists()


def test_preview_of_a_sound_template_still_writes_the_first_recipients_copy(root, tmp_path):
    build(root / "default" / "note.docx", [line.replace("frist", "first") for line in FAMILY_BRANCH_TYPO])
    out = tmp_path / "note.docx"
    result = run("templates", "preview", "note", "--authority", "worcestershire", "--out", out, "--templates", root)
    assert result.exit_code == 0, result.output
    assert docx_text(out.read_bytes()).splitlines()[:2] == ["Dear Ms Placeholder,", "We will write to Poppy too."]


def test_render_blames_the_template_not_the_bundle_once_for_the_recipients_it_stopped(root, tmp_path):
    build(root / "default" / "note.docx", FAMILY_BRANCH_TYPO)
    result = run("render", SAMPLE, "--doc", "note", "--out", tmp_path / "out", "--templates", root, "--no-record")
    assert result.exit_code == 3  # the agency copies were written
    assert result.stderr == f"Error: [WOR-CIN-0001] templates/default/note.docx: {TYPO}\n1 of 3 documents failed.\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "WOR-CIN-0001_note_agency-hv.docx", "WOR-CIN-0001_note_agency-teacher.docx"]


def test_an_unclosed_if_points_at_where_it_opens(root, tmp_path):
    build(root / "default" / "note.docx",
          ["Dear {{ recipient.salutation }},", "{% if case.reference %}We have closed the case.",
           "Thank you.", "Our reference: {{ case.reference }}"])
    result = run("render", SAMPLE, "--doc", "note", "--out", tmp_path / "out", "--templates", root, "--no-record")
    assert result.exit_code == 4
    assert result.stderr == (
        f"Error: [WOR-CIN-0001] templates/default/note.docx: {FAULT}"
        'body paragraph 2 ("{% if case.reference %}We have closed the case."): '
        "`{% if %}` opened in body paragraph 2 is never closed: add `{% endif %}` "
        "(for family-mum, agency-hv, agency-teacher)\n"
    )
    assert "end of template" not in result.stderr


def test_a_tag_split_by_a_hyperlink_is_a_plain_message_told_once_in_a_snapshot(root, tmp_path):
    for sample in VALID_SAMPLES:  # every sample fills it: seven of them
        shutil.copy(sample, tmp_path / "samples" / "valid")
    build(root / "default" / "note.docx",
          [[("Dear {{ recipient.sal", "plain"), ("utation }}", "link")], "Our reference: {{ case.reference }}"])
    result = run("templates", "snapshot", "--dir", tmp_path / "snapshots", "--templates", root)
    assert result.exit_code == 1
    told = [line for line in result.stderr.splitlines() if "hyperlink" in line]
    assert told == [
        f"templates/default/note.docx: {FAULT}"
        'body paragraph 1 ("Dear {{ recipient.salutation }}"): part of `{{ recipient.salutation }}` is inside a '
        "hyperlink and part is not, which breaks the document when it is filled: retype the placeholder so it is "
        "all inside or all outside a hyperlink"
    ]
    assert "could not be filled (" in result.stderr
    assert "XML" not in result.stderr and "Opening and ending tag" not in result.stderr


def test_batch_tells_a_template_error_in_full_once(root, tmp_path):
    build(root / "default" / "note.docx", FAMILY_BRANCH_TYPO)
    cases = tmp_path / "cases"
    cases.mkdir()
    for number in (1, 2):
        data = json.loads(SAMPLE.read_text("utf-8"))
        data["case"]["reference"] = f"WOR-CIN-000{number}"
        (cases / f"case-{number}.json").write_text(json.dumps(data), "utf-8")
    result = run("batch", cases, "--out", tmp_path / "out", "--doc", "note", "--jobs", "1", "--templates", root)
    assert result.exit_code == 3
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [
        f"Error: {cases / 'case-1.json'} [WOR-CIN-0001] note for family-mum: templates/default/note.docx: {TYPO}",
        f"Error: {cases / 'case-2.json'} [WOR-CIN-0002] note for family-mum: the template error above",
    ]


def test_a_misspelt_field_in_a_table_cell_is_placed_in_its_cell(root, tmp_path):
    build(root / "default" / "note.docx", ["Our reference: {{ case.reference }}"],
          table=[["Child", "Born"], ["{{ child.frist_name }}", "{{ child.date_of_birth | date }}"]])
    result = run("render", SAMPLE, "--doc", "note", "--out", tmp_path / "out", "--templates", root, "--no-record")
    assert result.exit_code == 4
    assert result.stderr == (
        f"Error: [WOR-CIN-0001] templates/default/note.docx: {FAULT}"
        'table 1, row 2, cell 1 ("{{ child.frist_name }}"): `child.frist_name` is not a field this template '
        "can use: did you mean `child.first_name`? (for family-mum, agency-hv, agency-teacher)\n"
    )


def test_a_failure_while_filling_is_placed_at_the_paragraph_being_filled(root, tmp_path):
    build(root / "default" / "note.docx", ["Dear family,", "Weeks open: {{ 12 // 0 }}",
                                           "Our reference: {{ case.reference }}"], recipients="none")
    result = run("render", SAMPLE, "--doc", "note", "--out", tmp_path / "out", "--templates", root, "--no-record")
    assert result.exit_code == 4
    assert result.stderr == ("Error: [WOR-CIN-0001] templates/default/note.docx: The template failed: integer "
                             'division or modulo by zero, in body paragraph 2 ("Weeks open: {{ 12 // 0 }}").\n')


def test_a_compile_error_outside_the_wording_check_is_told_once_unchanged(root, tmp_path):
    build(root / "default" / "note.docx", ["Dear {{ recipient.salutation }},"], header="{{ authority.logo }}")
    result = run("render", SAMPLE, "--doc", "note", "--out", tmp_path / "out", "--templates", root, "--no-record")
    assert result.exit_code == 4
    assert result.stderr == (
        "Error: [WOR-CIN-0001] templates/default/note.docx: The authority's logo can be printed in the document "
        "body only, not in header1. (for family-mum, agency-hv, agency-teacher)\n"
    )
