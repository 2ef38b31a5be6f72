"""tools/build_templates.py never overwrites a template someone edited in Word since it built it."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys

import docx
import pytest

from conftest import ROOT

BUILDER = ROOT / "tools" / "build_templates.py"


def build(templates, *args):
    return subprocess.run([sys.executable, str(BUILDER), "--templates", str(templates), *args],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def templates(tmp_path):
    root = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", root)
    return root


def edit_in_word(path) -> bytes:
    document = docx.Document(path)
    document.add_paragraph("A sentence the policy owner added.")
    buffer = io.BytesIO()
    document.save(buffer)
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def test_the_committed_templates_are_the_ones_the_record_names(templates):
    record = json.loads((templates / "build-record.json").read_text("utf-8"))
    assert set(record) == {f"{p.parent.name}/{p.name}" for p in templates.glob("*/*.docx")}
    before = {p: p.read_bytes() for p in templates.glob("*/*.docx")}
    done = build(templates, "outcome-letter", "family-plan")
    assert (done.returncode, done.stderr) == (0, "")
    assert {p: p.read_bytes() for p in templates.glob("*/*.docx")} == before


def test_a_template_edited_by_hand_is_refused_and_the_others_are_built(templates):
    letter, sheet = templates / "default" / "outcome-letter.docx", templates / "default" / "feedback-sheet.docx"
    edited = edit_in_word(letter)
    sheet.unlink()
    done = build(templates, "outcome-letter", "feedback-sheet")
    assert done.returncode == 1
    assert done.stderr == (
        "Error: templates/default/outcome-letter.docx was changed since it was built (it is not the "
        "file this script last built, build-record.json); the edited file is the source of truth, so "
        "it is left as it is. Use --force to overwrite it with the built one.\n"
    )
    assert letter.read_bytes() == edited
    assert sheet.read_bytes() == (ROOT / "templates" / "default" / "feedback-sheet.docx").read_bytes()
    assert "templates/default/feedback-sheet.docx" in done.stdout


def test_force_overwrites_the_edit_and_records_the_new_file(templates):
    letter = templates / "default" / "outcome-letter.docx"
    edit_in_word(letter)
    done = build(templates, "--force", "outcome-letter")
    assert (done.returncode, done.stderr) == (0, "")
    assert letter.read_bytes() == (ROOT / "templates" / "default" / "outcome-letter.docx").read_bytes()
    assert build(templates, "outcome-letter").returncode == 0


def test_a_template_the_builder_has_no_record_of_is_not_overwritten(templates):
    (templates / "build-record.json").unlink()
    letter = templates / "default" / "outcome-letter.docx"
    edited = edit_in_word(letter)
    done = build(templates, "outcome-letter")
    assert done.returncode == 1
    assert "(this script has no record of building it, build-record.json)" in done.stderr
    assert letter.read_bytes() == edited
