"""The render time limit is one budget per document (every recipient's copy together), per
``templates check`` run and per batch record, not one per copy: a slow template to three
recipients must not take three times the limit."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLES, TODAY
from docgen.authoring.check import check
from docgen.batch.inputs import BundleText
from docgen.batch.workers import Settings, Task, render_chunk
from docgen.pipeline import Pipeline
from docgen.registry import Registry
from docgen.render import engine
from security_helpers import make_template

LIMIT = 1.0
RUNAWAY = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
STOPPED = f"Rendering took longer than {LIMIT:g} seconds and was stopped."
SPENT = (f"Not filled: the {LIMIT:g} seconds of rendering allowed for this document (all its copies), check run "
         "or batch record were used up before it started.")  # fmt: skip
SAMPLE = SAMPLES / "valid" / "worcestershire-child-in-need.json"
SLACK = 1.5  # for a loaded machine; each test would take at least twice the limit without the fix


@pytest.fixture
def short_limit(monkeypatch):
    monkeypatch.setattr(engine, "MAX_SECONDS", LIMIT)


def make_runaway(tmp_path: Path, doc_ids: tuple[str, ...]) -> Path:
    """The repository's templates with the default templates of ``doc_ids`` made to run away."""
    root = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", root)
    for doc_id in doc_ids:
        make_template(root / "default" / f"{doc_id}.docx", "Dear family,", RUNAWAY)
        toml = root / "default" / f"{doc_id}.toml"  # clean otherwise, so that check renders it
        text = re.sub(r'(?m)^version = .*$', 'version = "99.0"', toml.read_text("utf-8"))
        toml.write_text(re.sub(r"(?m)^requires = .*$", "requires = []", text), "utf-8")
    return root


@pytest.fixture
def runaway_templates(tmp_path) -> Path:
    return make_runaway(tmp_path, ("outcome-letter", "information-request"))


def test_one_document_to_several_recipients_shares_one_limit(short_limit, runaway_templates):
    pipeline = Pipeline(Registry(runaway_templates), today=TODAY)
    bundle = pipeline.load(SAMPLE)
    started = time.monotonic()
    results = pipeline.render(bundle, ["outcome-letter"])
    elapsed = time.monotonic() - started
    assert len(results) >= 3  # a copy for each recipient
    assert [r.error.message for r in results] == [STOPPED] + [SPENT] * (len(results) - 1)
    assert elapsed < LIMIT + SLACK, elapsed


def test_each_document_has_its_own_limit(short_limit, runaway_templates):
    """The budget is per document: a runaway information request does not stop the prompt sheet."""
    pipeline = Pipeline(Registry(runaway_templates), today=TODAY)
    results = pipeline.render(pipeline.load(SAMPLE), ["information-request", "prompt-sheet"])
    outcome = {(r.doc_id, r.error.message if r.error else None) for r in results}
    assert outcome == {("information-request", STOPPED), ("information-request", SPENT), ("prompt-sheet", None)}


def test_a_templates_check_run_shares_one_limit(short_limit, tmp_path):
    doc_ids = ("outcome-letter", "information-request", "assessment-agreement", "co-working-agreement",
               "equality-impact", "risk-management")  # fmt: skip
    root = make_runaway(tmp_path, doc_ids)
    started = time.monotonic()
    report = check([root / "default" / f"{doc_id}.docx" for doc_id in doc_ids])
    elapsed = time.monotonic() - started
    stopped = [Path(p.file).stem for p in report.problems if p.code == "render" and p.message.endswith(STOPPED)]
    spent = [Path(p.file).stem for p in report.problems if p.code == "render" and p.message.endswith(SPENT)]
    assert len(stopped) == 1 and set(stopped + spent) == set(doc_ids)
    assert elapsed < LIMIT + 3, elapsed  # six templates: at least six seconds with a limit each


def test_a_batch_record_shares_one_limit(short_limit, runaway_templates):
    settings = Settings(templates=str(runaway_templates), today=TODAY, formats=("docx",),
                        doc_ids=("outcome-letter", "information-request"))  # fmt: skip
    task = Task(BundleText(0, SAMPLE.name, None, SAMPLE.read_text("utf-8")), "0" * 64)
    started = time.monotonic()
    (result,) = render_chunk(settings, [task])
    elapsed = time.monotonic() - started
    assert result.error is None
    assert len(result.documents) >= 4
    messages = [d.error.message for d in result.documents]
    assert messages == [STOPPED] + [SPENT] * (len(messages) - 1)
    assert {d.document for d in result.documents} == {"outcome-letter", "information-request"}
    assert elapsed < LIMIT + SLACK, elapsed
