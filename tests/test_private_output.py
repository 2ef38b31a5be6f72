"""What docgen writes is private and lands only where it says: files 0600, folders 0700 under any
umask, and a symbolic link planted in an output folder is refused (exit 6), never followed."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SAMPLES, docx_text
from docgen.atomic import private_folder, write_atomic
from docgen.cli import cli
from docgen.exceptions import OutputError
from docgen.register import Register

SAMPLE = SAMPLES / "valid" / "worcestershire-child-in-need.json"
LINK_MESSAGE = "is a symbolic link; docgen does not write through links. Remove it, or choose another output folder."


def run(*args) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def open_umask():
    """Run the test under umask 000, where folders would be 0777 and files 0666."""
    previous = os.umask(0)
    yield
    os.umask(previous)


@pytest.fixture
def cases(tmp_path) -> Path:
    folder = tmp_path / "cases"
    folder.mkdir()
    shutil.copy(SAMPLE, folder)
    return folder


def modes(root: Path) -> dict[str, int]:
    """The permission bits of ``root`` and everything under it, by path relative to ``root``."""
    found = {".": stat.S_IMODE(root.lstat().st_mode)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return found


# -- 0600 files, 0700 folders -----------------------------------------------------------------


def test_a_batch_under_umask_000_writes_0600_files_in_0700_folders(open_umask, cases, tmp_path):
    out = tmp_path / "new" / "out"  # two folders docgen makes
    result = run("batch", cases, "--out", out, "--doc", "family-plan", "--doc", "outcome-letter")
    assert result.exit_code == 0, result.output
    found = modes(out)
    run_id = next((out / "runs").iterdir()).name
    for name in (".docgen/register.sqlite3", ".docgen/batch.lock", f"runs/{run_id}/manifest.csv",
                 f"runs/{run_id}/manifest.json", f"runs/{run_id}/failures.csv",
                 "WOR-CIN-0001_family-plan.docx", "WOR-CIN-0001_outcome-letter_family-mum.docx"):  # fmt: skip
        assert found.pop(name) == 0o600, name
    for folder in (".", ".docgen", "runs", f"runs/{run_id}"):
        assert found.pop(folder) == 0o700, folder
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
    assert {oct(mode) for mode in found.values()} == {"0o600"}  # the other letters and reports


def test_rendered_docx_and_pdf_are_0600_under_umask_000(open_umask, tmp_path):
    out = tmp_path / "out"
    result = run("render", SAMPLE, "--doc", "family-plan", "--format", "both", "--out", out)
    assert result.exit_code == 0, result.output
    assert modes(out) == {".": 0o700, "WOR-CIN-0001_family-plan.docx": 0o600, "WOR-CIN-0001_family-plan.pdf": 0o600}


def test_a_register_left_readable_by_others_is_made_private_when_opened(tmp_path):
    path = tmp_path / "register.sqlite3"
    sqlite3.connect(path).close()
    path.chmod(0o644)
    with Register(path) as register:
        register.start_run("RUN-1", input="cases", out_dir=str(tmp_path), formats="docx")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        wal = path.with_name("register.sqlite3-wal")
        assert wal.exists() and stat.S_IMODE(wal.stat().st_mode) == 0o600  # SQLite copies the mode


def test_an_existing_folder_keeps_its_mode_and_new_ones_below_it_are_private(open_umask, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    private_folder(shared / "a" / "b")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    assert stat.S_IMODE((shared / "a").stat().st_mode) == 0o700
    assert stat.S_IMODE((shared / "a" / "b").stat().st_mode) == 0o700


# -- links planted in the output folder --------------------------------------------------------


@pytest.fixture
def out_and_elsewhere(tmp_path) -> tuple[Path, Path]:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    return out, elsewhere


@pytest.mark.parametrize("planted", [".docgen", "runs"])
def test_a_batch_refuses_a_state_or_runs_folder_that_links_elsewhere(cases, out_and_elsewhere, planted):
    out, elsewhere = out_and_elsewhere
    (out / planted).symlink_to(elsewhere)
    result = run("batch", cases, "--out", out, "--doc", "family-plan")
    assert result.exit_code == 6
    assert result.stderr == f"Error: {out / planted}: {planted} {LINK_MESSAGE}\n"
    assert list(elsewhere.iterdir()) == []  # no register, lock or manifest landed there
    assert sorted(p.name for p in out.iterdir()) == sorted({".docgen", planted})  # no letter either


def test_a_batch_refuses_a_register_file_that_links_elsewhere(cases, out_and_elsewhere):
    out, elsewhere = out_and_elsewhere
    (out / ".docgen").mkdir()
    (out / ".docgen" / "register.sqlite3").symlink_to(elsewhere / "register.sqlite3")
    result = run("batch", cases, "--out", out, "--doc", "family-plan")
    assert result.exit_code == 6
    register = out / ".docgen" / "register.sqlite3"
    assert result.stderr == f"Error: {register}: The register cannot be opened: register.sqlite3 {LINK_MESSAGE}\n"
    assert list(elsewhere.iterdir()) == []


def test_a_batch_does_not_overwrite_the_file_a_letter_named_link_points_to(cases, out_and_elsewhere):
    out, _ = out_and_elsewhere
    other = out / "WOR-CIN-0001_prompt-sheet.docx"
    other.write_bytes(b"another file in the folder")
    (out / "WOR-CIN-0001_family-plan.docx").symlink_to(other.name)
    result = run("batch", cases, "--out", out, "--doc", "family-plan", "--doc", "outcome-letter")
    assert result.exit_code == 3  # the outcome letters were written; the family plan was refused
    assert (f"Error: {cases / SAMPLE.name} [WOR-CIN-0001] family-plan: "
            f"WOR-CIN-0001_family-plan.docx {LINK_MESSAGE}") in result.stderr.splitlines()
    assert other.read_bytes() == b"another file in the folder"
    assert (out / "WOR-CIN-0001_family-plan.docx").is_symlink()
    letter = docx_text((out / "WOR-CIN-0001_outcome-letter_family-mum.docx").read_bytes())
    assert "Worcestershire" in letter  # the other documents were written as usual


def test_render_refuses_a_letter_named_link_with_exit_6(out_and_elsewhere):
    out, elsewhere = out_and_elsewhere
    target = elsewhere / "notes.txt"
    target.write_text("precious")
    link = out / "WOR-CIN-0001_family-plan.docx"
    link.symlink_to(target)
    result = run("render", SAMPLE, "--doc", "family-plan", "--out", out)
    assert result.exit_code == 6
    assert result.stderr == f"Error: [WOR-CIN-0001] {link}: WOR-CIN-0001_family-plan.docx {LINK_MESSAGE}\n"
    assert target.read_text() == "precious"


def test_a_link_to_another_file_in_the_same_folder_is_refused_by_the_writer(tmp_path):
    (tmp_path / "kept.docx").write_bytes(b"kept")
    (tmp_path / "letter.docx").symlink_to("kept.docx")
    with pytest.raises(OutputError) as caught:
        write_atomic(tmp_path / "letter.docx", b"new")
    assert caught.value.exit_code == 6
    assert caught.value.message == f"letter.docx {LINK_MESSAGE}"
    assert (tmp_path / "kept.docx").read_bytes() == b"kept"


def test_a_preview_into_a_new_folder_is_private_under_umask_000(open_umask, tmp_path):
    out = tmp_path / "previews" / "letter.docx"
    result = run("templates", "preview", "family-plan", "--authority", "worcestershire", "--out", out)
    assert result.exit_code == 0, result.output
    assert modes(tmp_path / "previews") == {".": 0o700, "letter.docx": 0o600}
    assert "Worcestershire" in docx_text(out.read_bytes())



def test_docgens_own_folders_left_open_by_an_older_version_are_made_private(cases, tmp_path):
    out = tmp_path / "out"
    for folder in (out / ".docgen", out / "runs"):
        folder.mkdir(parents=True)
        folder.chmod(0o755)
    out.chmod(0o755)
    result = run("batch", cases, "--out", out, "--doc", "family-plan")
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((out / ".docgen").stat().st_mode) == 0o700
    assert stat.S_IMODE((out / "runs").stat().st_mode) == 0o700
    assert stat.S_IMODE(out.stat().st_mode) == 0o755  # the user's own folder is theirs to set


def test_an_output_folder_reached_through_a_linked_parent_is_fine(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    out = tmp_path / "linked" / "out"
    result = run("render", SAMPLE, "--doc", "family-plan", "--out", out)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "real" / "out" / "WOR-CIN-0001_family-plan.docx").is_file()


def test_a_preview_is_not_written_through_a_link_named_as_its_output(tmp_path):
    kept = tmp_path / "kept.txt"
    kept.write_text("precious")
    link = tmp_path / "letter.docx"
    link.symlink_to(kept)
    result = run("templates", "preview", "family-plan", "--authority", "worcestershire", "--out", link)
    assert result.exit_code == 6
    assert result.stderr.splitlines()[-1].endswith(f"letter.docx {LINK_MESSAGE}")
    assert kept.read_text() == "precious" and link.is_symlink()
