"""A batch renders from one template set: packed once, given to every worker, named in the
manifest, and the workers' copies removed when they end."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLES
from docgen.batch import BatchOptions, run_batch
from docgen.batch.templateset import fingerprint, pack, unpack


@pytest.fixture
def cases(tmp_path) -> Path:
    folder = tmp_path / "cases"
    folder.mkdir()
    shutil.copy(SAMPLES / "valid" / "worcestershire-child-in-need.json", folder)
    return folder


def test_local_workers_render_from_the_runs_template_set_and_leave_no_copy_behind(cases, tmp_path):
    before = set(Path(tempfile.gettempdir()).glob("docgen-templates-*"))
    summary = run_batch(BatchOptions(cases, tmp_path / "out", doc_ids=("family-plan",), jobs=2, progress=False))
    assert summary.exit_code == 0, summary.failures
    assert summary.template_set == fingerprint(SAMPLES.parent / "templates")
    manifest = (summary.reports["manifest_csv"]).read_text("utf-8")
    assert f",{summary.template_set}," in manifest
    assert set(Path(tempfile.gettempdir()).glob("docgen-templates-*")) == before


def test_the_fingerprint_ignores_editors_lock_files_and_sees_any_change(tmp_path):
    root = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", root)
    original = fingerprint(root)
    (root / "default" / ".~lock.outcome-letter.docx#").write_text("LibreOffice has it open")
    (root / "default" / "~$tcome-letter.docx").write_bytes(b"Word has it open")
    assert fingerprint(root) == original
    (root / "worcestershire" / "authority.toml").write_text(
        (root / "worcestershire" / "authority.toml").read_text("utf-8") + "\n", "utf-8")  # fmt: skip
    assert fingerprint(root) != original
    shipped = pack(root)
    assert shipped.sha256 == fingerprint(root) == fingerprint(unpack(shipped))
