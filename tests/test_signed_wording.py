"""What people sign stays word for word: the statements of the Standard Agreement for Assessment
and the Agreement for Family Meeting, as seed 003's appendices print them (issue 11, point 3).

The seed's text comes from tests/fixtures/source/003-appendices.txt, not from docgen, so a
template or form reworded anywhere fails here.
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import docx
import pytest
from conftest import ROOT, TODAY, VALID_SAMPLES, docx_text
from forms_helpers import FORMS, pdftotext

from docgen.pipeline import Pipeline
from docgen.registry import Registry

SEED = (ROOT / "tests" / "fixtures" / "source" / "003-appendices.txt").read_text("utf-8")
PIPELINE = Pipeline(Registry(ROOT / "templates"), today=TODAY)
SAMPLES = {path.name: path for path in VALID_SAMPLES}


def _section(start: str, end: str) -> str:
    return SEED[SEED.index(start):SEED.index(end, SEED.index(start))]


def _seed_statements() -> dict[str, list[str]]:
    assessment = _section("**Standard Agreement for Assessment**", "Signed:")
    meeting = _section("Agreement for Family Meeting", "Name\tSignature")
    return {
        "assessment-agreement": [
            line for line in assessment.splitlines() if line.startswith(("I have been", "I understand"))
        ],
        "family-meeting-agreement": [
            line[2:].replace("*", "") for line in meeting.splitlines() if line.startswith("- ")
        ],
    }


STATEMENTS = _seed_statements()


def resolved(statement: str, names: list[str]) -> str:
    """The seed's statement with only its child(ren) alternatives chosen for these children."""
    one = len(names) == 1
    if names:
        joined = names[0] if one else ", ".join(names[:-1]) + " and " + names[-1]
        statement = statement.replace("(name of child/ren)", joined)
    statement = statement.replace("my child(ren)/me", "my child" if one else "my children")
    statement = statement.replace("my child(ren) needs", "my child needs" if one else "my children need")
    return statement.replace("child(ren)", "child" if one else "children")


def test_the_seed_holds_every_statement():
    assert len(STATEMENTS["assessment-agreement"]) == 8
    assert len(STATEMENTS["family-meeting-agreement"]) == 6
    assert STATEMENTS["family-meeting-agreement"][0] == (
        "I agree to keep the welfare and safety of (name of child/ren) as our priority at this Meeting"
    )


def _paragraphs(content: bytes) -> list[str]:
    return [p.text.removeprefix("•\t") for p in docx.Document(io.BytesIO(content)).paragraphs]


@pytest.mark.parametrize("doc_id", sorted(STATEMENTS))
@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_every_authority_prints_the_seed_statements_word_for_word(sample, doc_id):
    bundle = PIPELINE.load(SAMPLES[sample])
    if doc_id == "assessment-agreement" and "assessment" not in bundle.data:
        pytest.skip("this sample has no assessment to agree to")  # the document needs one
    (result,) = PIPELINE.render(bundle, [doc_id])
    assert result.error is None, result.error
    names = [f"{c['first_name']} {c['last_name']}" for c in bundle.data["children"]]
    paragraphs = _paragraphs(result.docx)
    expected = [resolved(s, names) for s in STATEMENTS[doc_id]]
    assert [s for s in expected if s not in paragraphs] == []
    assert "(ren)" not in docx_text(result.docx) and "child/ren" not in docx_text(result.docx)


def test_one_child_reads_in_the_singular():
    bundle = PIPELINE.load(SAMPLES["worcestershire-early-help-single-focus.json"])
    (result,) = PIPELINE.render(bundle, ["assessment-agreement"])
    paragraphs = _paragraphs(result.docx)
    assert ("I understand that my child needs to be seen alone as part of the assessment unless it "
            "is felt they are too young for this to be possible.") in paragraphs
    assert ("I have been given a copy of the leaflet explaining the assessment being completed "
            "about my child.") in paragraphs


@pytest.mark.parametrize("doc_id", sorted(STATEMENTS))
def test_the_fillable_pdf_prints_the_same_statements_unresolved(doc_id):
    text = re.sub(r"\s+", " ", pdftotext(FORMS / f"{doc_id}.pdf", "-raw").replace("•", " "))
    assert [s for s in STATEMENTS[doc_id] if s not in text] == []


def test_an_authority_may_replace_the_statements_in_its_own_template(tmp_path: Path):
    root = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", root)
    own = docx.Document(root / "default" / "family-meeting-agreement.docx")
    for paragraph in own.paragraphs:
        if paragraph.text.startswith("•\tI agree to give everyone"):
            paragraph.runs[0].text = "•\tI agree to listen to everyone at the Meeting"
            for run in paragraph.runs[1:]:
                run.text = ""
    own.save(root / "derbyshire" / "family-meeting-agreement.docx")
    meta = (root / "default" / "family-meeting-agreement.toml").read_text("utf-8")
    (root / "derbyshire" / "family-meeting-agreement.toml").write_text(meta, "utf-8")
    pipeline = Pipeline(Registry(root), today=TODAY)
    derbyshire = pipeline.load(SAMPLES["derbyshire-child-in-need.json"])
    (result,) = pipeline.render(derbyshire, ["family-meeting-agreement"])
    assert result.error is None, result.error
    paragraphs = _paragraphs(result.docx)
    assert "I agree to listen to everyone at the Meeting" in paragraphs
    assert not any(p.startswith("I agree to give everyone") for p in paragraphs)
    worcestershire = pipeline.load(SAMPLES["worcestershire-child-in-need.json"])
    (result,) = pipeline.render(worcestershire, ["family-meeting-agreement"])
    assert STATEMENTS["family-meeting-agreement"][2] in _paragraphs(result.docx)


def test_templates_check_does_not_ask_to_shorten_what_people_sign(tmp_path: Path):
    from docgen.authoring.check import check_template

    for doc_id in STATEMENTS:
        problems = check_template(ROOT / "templates" / "default" / f"{doc_id}.docx", render=False)
        assert [p for p in problems if p.code in ("long-sentence", "reading-age")] == []
    # Other long wording in the same template is still flagged.
    root = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", root)
    own = docx.Document(root / "default" / "family-meeting-agreement.docx")
    own.add_paragraph("We ask that everyone who comes to the meeting reads this page and signs it, so that we "
                      "all know what we have agreed to before the meeting starts today.")
    own.save(root / "default" / "family-meeting-agreement.docx")
    problems = check_template(root / "default" / "family-meeting-agreement.docx", render=False)
    assert [p.code for p in problems if p.code in ("long-sentence", "reading-age")] == ["long-sentence"]
