"""Batches: good and bad bundles together, reports, the register, re-runs and a killed batch."""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import json
import multiprocessing
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import docx
import pytest
from PIL import Image
from click.testing import CliRunner
from pypdf import PdfReader

from batch_helpers import child_names, make_bundles, write_folder, write_jsonl
from conftest import ROOT, TODAY, docx_text
from docgen.batch import BatchOptions, run_batch
from docgen.batch.executors import LocalExecutor
from docgen.batch.inputs import BatchInput, BundleText, Failure
from docgen.batch.progress import Progress
from docgen.batch.workers import Settings, Task, render_chunk
from docgen.bundle.load import parse
from docgen.cli_batch import batch
from docgen.exceptions import BundleInvalid
from docgen.problems import Problem
from docgen.register import Register
from docgen.validate import validate


def run(*args: str):
    return CliRunner().invoke(batch, [str(a) for a in args])


def expected_stems(pipeline, bundles: list[dict]) -> set[str]:
    stems = set()
    for data in bundles:
        bundle = validate(parse(json.dumps(data), "test"), pipeline.registry, TODAY).raise_for_errors()
        stems.update(r.stem for r in pipeline.render(bundle))
    return stems


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def run_folder(out: Path) -> Path:
    (run_dir,) = (out / "runs").iterdir()
    return run_dir


def documents(out: Path, suffix: str = ".docx") -> set[str]:
    return {p.stem for p in out.glob(f"*{suffix}")}


@pytest.fixture
def good():
    return make_bundles(3, prefix="GOOD")


@pytest.fixture
def mixed_folder(tmp_path, good) -> Path:
    """Three good bundles, and one each of: broken JSON, an invalid field, an unknown authority."""
    folder = write_folder(tmp_path / "cases", good)
    (folder / "bad-json.json").write_text('{"schema_version": "1.0",\n  "authority": }\n', "utf-8")
    invalid, unknown = make_bundles(2, prefix="BAD")
    invalid["children"][0]["sex"] = "X"
    unknown["authority"] = "narnia"
    (folder / "invalid-field.json").write_text(json.dumps(invalid), "utf-8")
    (folder / "unknown-authority.json").write_text(json.dumps(unknown), "utf-8")
    return folder


def test_a_folder_with_bad_bundles_writes_the_good_ones_and_reports_the_rest(mixed_folder, tmp_path, good, pipeline):
    out = tmp_path / "out"
    result = run(mixed_folder, "--out", out, "--jobs", "2")

    assert result.exit_code == 3, result.output
    assert documents(out) == expected_stems(pipeline, good)
    for bundle in good:
        reference = bundle["case"]["reference"]
        texts = [docx_text(p.read_bytes()) for p in sorted(out.glob(f"{reference}_*.docx"))]
        assert texts and all(reference in text for text in texts)
        for name in child_names(bundle):
            assert any(name in text for text in texts), name
    failures = read_csv(run_folder(out) / "failures.csv")
    assert failures == [
        {"file": str(mixed_folder / "bad-json.json"), "line": "", "case_reference": "", "document": "",
         "recipient": "", "error": "invalid-bundle",
         "message": "Malformed JSON at line 2, column 16: Expecting value.", "exit_code": "1"},
        {"file": str(mixed_folder / "invalid-field.json"), "line": "", "case_reference": "BAD-00000",
         "document": "", "recipient": "", "error": "invalid-bundle",
         "message": "The bundle has 1 problem. children[0].sex: Expected one of M, F, U but received: 'X'.",
         "exit_code": "1"},
        {"file": str(mixed_folder / "unknown-authority.json"), "line": "", "case_reference": "BAD-00001",
         "document": "", "recipient": "", "error": "invalid-bundle",
         "message": "The bundle has 1 problem. authority: Unknown authority 'narnia'. "
                    "Known: derbyshire, south-gloucestershire, worcestershire.",
         "exit_code": "1"},
    ]  # fmt: skip
    assert json.loads((run_folder(out) / "failures.json").read_text()) == [
        dict(row, line=None, case_reference=row["case_reference"] or None, document=None, recipient=None,
             exit_code=1)
        for row in failures
    ]  # fmt: skip
    assert f"Error: {mixed_folder / 'bad-json.json'}: Malformed JSON at line 2, column 16" in result.stderr
    assert f"Error: {mixed_folder / 'invalid-field.json'} [BAD-00000]: The bundle has 1 problem." in result.stderr
    count = len(expected_stems(pipeline, good))
    lines = result.stdout.splitlines()
    assert lines[0] == f"3 of 6 bundles could not be used; {count} documents issued."
    assert "documents failed" not in result.stdout  # no "0 of N documents failed"
    assert lines[-2:] == [f"Manifest: {run_folder(out) / 'manifest.csv'}", f"Failures: {run_folder(out) / 'failures.csv'}"]


def test_the_manifest_lists_every_file_with_its_hash_and_the_register_agrees(mixed_folder, tmp_path, good, registry):
    out = tmp_path / "out"
    run(mixed_folder, "--out", out)
    rows = read_csv(run_folder(out) / "manifest.csv")
    authorities = {b["case"]["reference"]: b["authority"] for b in good}
    assert {Path(r["output_path"]).name for r in rows} == {p.name for p in out.glob("*.docx")}
    for row in rows:
        path = Path(row["output_path"])
        assert row["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert row["status"] == "issued" and row["format"] == "docx" and row["pages"] == ""
        template = registry.resolve(row["document"], authorities[row["case_reference"]])
        assert row["template"] == f"{template.origin}/{template.doc_id}"
        assert (row["template_version"], row["template_sha256"]) == (template.version, template.sha256)
        assert row["bundle_sha256"] and len(row["bundle_sha256"]) == 64
        docx.Document(path)  # opens
        assert row["recipient"] in path.stem and row["case_reference"] in path.stem
    assert json.loads((run_folder(out) / "manifest.json").read_text()) == [
        dict(r, pages=None) for r in rows
    ]
    with Register(out / ".docgen" / "register.sqlite3") as register:
        issued = [i.to_dict() for b in good for i in register.history(b["case"]["reference"])]
    assert sorted((i["output_path"], i["output_sha256"]) for i in issued) == sorted(
        (r["output_path"], r["sha256"]) for r in rows
    )
    assert {i["run_id"] for i in issued} == {run_folder(out).name}


def test_no_personal_data_in_the_reports_or_the_register(mixed_folder, tmp_path, good):
    out = tmp_path / "out"
    run(mixed_folder, "--out", out)
    text = "".join(p.read_text() for p in run_folder(out).iterdir())
    text += (out / ".docgen" / "register.sqlite3").read_bytes().decode("latin-1")
    for bundle in good:
        for person in bundle["children"] + bundle["family_members"]:
            assert person["last_name"] not in text
            assert person["first_name"] not in text


def test_json_lines_name_the_line_of_each_bad_bundle(tmp_path, good, pipeline):
    invalid = make_bundles(1, prefix="BADLINE")[0]
    del invalid["case"]["reference"]
    source = write_jsonl(tmp_path / "cases.jsonl", [good[0], '{"authority": "worcestershire",', "", invalid, good[1]])
    out = tmp_path / "out"
    result = run(source, "--out", out, "--json")

    assert result.exit_code == 3
    summary = json.loads(result.stdout)
    assert summary["bundles"] == 4 and summary["failed_bundles"] == 2
    assert documents(out) == expected_stems(pipeline, good[:2])
    assert [(f["line"], f["message"]) for f in summary["failures"]] == [
        (2, "Malformed JSON at column 32: Expecting property name enclosed in double quotes."),
        (4, "The bundle has 1 problem. case.reference: This field is required."),
    ]
    assert f"Error: {source}:2: Malformed JSON at column 32" in result.stderr


def test_a_second_run_skips_what_was_issued_and_force_makes_it_again(tmp_path, good):
    folder = write_folder(tmp_path / "cases", good)
    out = tmp_path / "out"
    first = json.loads(run(folder, "--out", out, "--json").stdout)
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.docx")}
    assert first["issued"] == len(before) and first["skipped"] == 0

    again = run(folder, "--out", out, "--json")
    second = json.loads(again.stdout)
    assert again.exit_code == 0
    assert (second["issued"], second["skipped"], second["files"]) == (0, len(before), 0)
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.docx")} == before
    manifest = read_csv(Path(second["reports"]["manifest_csv"]))
    assert {r["status"] for r in manifest} == {"skipped"} and len(manifest) == len(before)

    forced = json.loads(run(folder, "--out", out, "--force", "--json").stdout)
    assert (forced["issued"], forced["skipped"]) == (len(before), 0)
    with Register(out / ".docgen" / "register.sqlite3") as register:
        rows = register.history(good[0]["case"]["reference"])
    assert len(rows) == 2 * len([n for n in before if n.startswith(good[0]["case"]["reference"])])
    assert len({r.run_id for r in rows}) == 2


def test_a_changed_file_or_bundle_is_made_again(tmp_path, good):
    folder = write_folder(tmp_path / "cases", good)
    out = tmp_path / "out"
    run(folder, "--out", out)
    tampered = sorted(out.glob(f"{good[0]['case']['reference']}_*.docx"))[0]
    tampered.write_bytes(b"not the document that was issued")
    changed = dict(good[1], case=dict(good[1]["case"], team="Another Fictional Team"))
    (folder / f"{good[1]['case']['reference']}.json").write_text(json.dumps(changed))

    summary = json.loads(run(folder, "--out", out, "--json").stdout)
    remade = {Path(r["output_path"]).name for r in read_csv(Path(summary["reports"]["manifest_csv"]))
              if r["status"] == "issued"}  # fmt: skip
    assert tampered.name in remade
    assert {n for n in remade if n.startswith(good[1]["case"]["reference"])} == {
        p.name for p in out.glob(f"{good[1]['case']['reference']}_*.docx")
    }
    assert not any(n.startswith(good[2]["case"]["reference"]) for n in remade)
    docx.Document(tampered)
    letters = out.glob(f"{good[1]['case']['reference']}_outcome-letter_*.docx")
    assert all("Another Fictional Team" in docx_text(p.read_bytes()) for p in letters)


def test_check_renders_everything_in_memory_reports_every_problem_and_writes_nothing(mixed_folder, tmp_path, good):
    no_closure = make_bundles(1, prefix="NOCLOSE")[0]
    del no_closure["closure"]
    (mixed_folder / "no-closure.json").write_text(json.dumps(no_closure))
    out = tmp_path / "out"
    result = run(mixed_folder, "--out", out, "--check", "--json")

    assert result.exit_code == 3
    assert not out.exists()
    summary = json.loads(result.stdout)
    assert summary["check"] is True and summary["failed_bundles"] == 3
    missing = [f for f in summary["failures"] if f["document"]]
    assert summary["issued"] == summary["documents"] - len(missing)
    assert {"file": str(mixed_folder / "no-closure.json"), "line": None, "case_reference": "NOCLOSE-00000",
            "document": "outcome-letter", "recipient": None, "error": "missing-field",
            "message": "The document needs 'closure', which this case bundle does not have.",
            "exit_code": 4} in missing  # fmt: skip
    assert {(f["case_reference"], f["error"]) for f in missing} == {("NOCLOSE-00000", "missing-field")}
    assert result.stderr.count("Error: ") == 3 + len(missing)


def test_check_without_out_and_exit_codes_when_nothing_can_be_made(tmp_path):
    broken = make_bundles(2, prefix="ALLBAD")
    for bundle in broken:
        bundle["authority"] = "narnia"
    folder = write_folder(tmp_path / "cases", broken)
    result = run(folder, "--check")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == "2 of 2 bundles could not be used; no documents rendered."

    result = run(folder, "--out", tmp_path / "out")
    assert result.exit_code == 1


def test_usage_errors(tmp_path, good):
    folder = write_folder(tmp_path / "cases", good[:1])
    result = run(folder)
    assert result.exit_code == 2 and "Error: Give --out DIR, or --check for a dry run." in result.stderr

    single = next(folder.glob("*.json"))
    result = run(single, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {single}: Expected a folder of *.json bundles or a JSON Lines file (.jsonl); "
        "for a single bundle use docgen render.\n"
    )
    result = run(tmp_path / "nothing-here", "--out", tmp_path / "out")
    assert result.exit_code == 2

    empty = tmp_path / "empty"
    empty.mkdir()
    result = run(empty, "--out", tmp_path / "out")
    assert result.exit_code == 2 and result.stderr == f"Error: {empty}: No bundles (*.json files) in this folder.\n"

    result = run(folder, "--out", tmp_path / "out", "--doc", "no-such-letter")
    assert result.exit_code == 4 and "No template for document 'no-such-letter'." in result.stderr


def test_a_case_given_twice_is_refused_the_second_time(tmp_path, good):
    folder = write_folder(tmp_path / "cases", good[:1])
    (folder / "zz-copy.json").write_text(json.dumps(good[0]))
    result = run(folder, "--out", tmp_path / "out", "--json")
    summary = json.loads(result.stdout)
    assert result.exit_code == 3
    reference = good[0]["case"]["reference"]
    assert summary["failures"] == [{
        "file": str(folder / "zz-copy.json"), "line": None, "case_reference": reference, "document": None,
        "recipient": None, "error": "duplicate-case",
        "message": f"The case {reference} is also in {folder / f'{reference}.json'}; a batch takes each case once.",
        "exit_code": 1,
    }]  # fmt: skip


def test_another_batch_on_the_same_folder_is_refused(tmp_path, good):
    folder = write_folder(tmp_path / "cases", good[:1])
    out = tmp_path / "out"
    (out / ".docgen").mkdir(parents=True)
    with open(out / ".docgen" / "batch.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = run(folder, "--out", out)
    assert result.exit_code == 6
    assert result.stderr == f"Error: {out}: Another batch is writing to this folder; wait for it to finish.\n"


def test_stale_temporary_files_are_removed_on_start(tmp_path, good):
    folder = write_folder(tmp_path / "cases", good[:1])
    out = tmp_path / "out"
    out.mkdir()
    (out / ".docgen-abc123.part").write_bytes(b"half a document")
    (out / "keep-me.txt").write_text("not ours")
    run(folder, "--out", out)
    assert not list(out.glob(".docgen-*.part"))
    assert (out / "keep-me.txt").exists()


def test_pdf_and_docx_together(tmp_path, good):
    folder = write_folder(tmp_path / "cases", good[:1])
    out = tmp_path / "out"
    result = run(folder, "--out", out, "--format", "both", "--jobs", "1", "--doc", "outcome-letter", "--json")
    assert result.exit_code == 0, result.output
    rows = read_csv(Path(json.loads(result.stdout)["reports"]["manifest_csv"]))
    pdfs = sorted(out.glob("*.pdf"))
    assert {p.stem for p in pdfs} == documents(out) and pdfs
    for pdf in pdfs:
        reader = PdfReader(pdf)
        row = next(r for r in rows if r["output_path"] == str(pdf))
        assert int(row["pages"]) == len(reader.pages)
        assert row["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
        assert reader.metadata.title == "Standard Outcome/Closure Letter"
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert good[0]["case"]["reference"] in text
        docx_row = next(r for r in rows if r["output_path"] == str(pdf.with_suffix(".docx")))
        assert docx_row["pages"] == row["pages"]


def test_a_batch_killed_halfway_finishes_on_the_next_run(tmp_path, pipeline):
    bundles = make_bundles(60, prefix="KILL")
    source = write_jsonl(tmp_path / "cases.jsonl", bundles)
    out = tmp_path / "out"
    command = [sys.executable, "-c", "from docgen.cli_batch import batch; batch()",
               str(source), "--out", str(out), "--jobs", "1"]  # fmt: skip
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(list(out.glob("*.docx"))) < 40:
        assert proc.poll() is None, "the batch finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    import psutil

    workers = psutil.Process(proc.pid).children(recursive=True)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    psutil.wait_procs(workers, timeout=10)
    assert not [w for w in workers if w.is_running() and w.status() != psutil.STATUS_ZOMBIE]
    expected = expected_stems(pipeline, bundles)
    done_before = documents(out)
    assert 40 <= len(done_before) < len(expected)

    rerun = subprocess.run(command[:-2] + ["--jobs", "2", "--json"], cwd=ROOT, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert summary["issued"] + summary["skipped"] == len(expected)
    # Files are registered a bundle at a time: the last bundle's may be on disk but not registered.
    assert summary["skipped"] >= len(done_before) - 20
    assert sorted(p.stem for p in out.glob("*.docx")) == sorted(expected)
    assert not list(out.rglob("*.part"))
    assert [p.name for p in (out / "runs").iterdir()] == [summary["run_id"]]  # not the killed run's, empty
    for path in out.glob("*.docx"):
        docx.Document(path)
    with Register(out / ".docgen" / "register.sqlite3") as register:
        rows = [i for b in bundles for i in register.history(b["case"]["reference"])]
    latest = {}
    for row in rows:
        assert Path(row.output_path).is_file()
        latest[row.output_path] = row.output_sha256
    assert len(latest) == len(expected)
    assert all(hashlib.sha256(Path(p).read_bytes()).hexdigest() == sha for p, sha in latest.items())
    # The killed run is marked interrupted by the next, with the documents it issued.
    db = sqlite3.connect(out / ".docgen" / "register.sqlite3")
    (killed, status, issued), *later = db.execute("SELECT run_id, status, issued FROM runs ORDER BY started").fetchall()
    assert status == "interrupted" and [s for _, s, _ in later] == ["finished"]
    assert issued == db.execute(
        "SELECT COUNT(*) FROM (SELECT DISTINCT case_reference, document, recipient FROM issued WHERE run_id = ?)",
        (killed,),
    ).fetchone()[0] > 0


def test_progress_prints_plain_lines_when_not_on_a_terminal(capsys):
    with Progress(4, terminal=False, every=0) as progress:
        progress.advance(3, 0)
        progress.note("Error: cases/b.json: broken")
        progress.advance(0, 1)
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("progress: 1 of 4 bundles, 3 documents, 0 failed, ")
    assert err[0].endswith(" left")
    assert err[1] == "Error: cases/b.json: broken"
    assert err[2].startswith("progress: 2 of 4 bundles, 3 documents, 1 failed, ")


def test_progress_bar_on_a_terminal(capsys):
    with Progress(2, terminal=True) as progress:
        progress.advance(5, 1)
        progress.note("Error: x")
    err = capsys.readouterr().err
    assert "1/2 bundles" in err and "5 documents, 1 failed" in err and "Error: x" in err


def test_a_changed_template_or_authority_profile_is_made_again(tmp_path, good):
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    folder = write_folder(tmp_path / "cases", good)
    out = tmp_path / "out"
    args = (folder, "--out", out, "--templates", templates, "--json")
    first = json.loads(run(*args).stdout)
    authority = good[0]["authority"]
    with (templates / authority / "authority.toml").open("a") as profile:
        profile.write("\n# reviewed\n")
    with (templates / "default" / "outcome-letter.docx").open("ab") as template:
        template.write(b"\0")  # a zip reader ignores bytes after the end record

    summary = json.loads(run(*args).stdout)
    manifest = read_csv(Path(summary["reports"]["manifest_csv"]))
    remade = {(r["case_reference"], r["document"]) for r in manifest if r["status"] == "issued"}
    by_case = {b["case"]["reference"]: b for b in good}
    assert remade == {
        (r["case_reference"], r["document"]) for r in manifest
        if by_case[r["case_reference"]]["authority"] == authority or r["document"] == "outcome-letter"
    }  # fmt: skip
    assert summary["issued"] + summary["skipped"] == first["issued"] and summary["skipped"]


def test_a_new_logo_makes_that_authoritys_documents_again(tmp_path, good):
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    folder = write_folder(tmp_path / "cases", good)
    out = tmp_path / "out"
    args = (folder, "--out", out, "--templates", templates, "--json")
    first = json.loads(run(*args).stdout)
    authority = good[0]["authority"]
    Image.new("RGB", (400, 100), "black").save(templates / authority / "logo.png", "PNG")

    summary = json.loads(run(*args).stdout)
    manifest = read_csv(Path(summary["reports"]["manifest_csv"]))
    by_case = {b["case"]["reference"]: b for b in good}
    remade = {r["case_reference"] for r in manifest if r["status"] == "issued"}
    assert remade == {ref for ref, b in by_case.items() if b["authority"] == authority}
    assert summary["issued"] + summary["skipped"] == first["issued"] and summary["skipped"]


def test_each_result_names_the_worker_process_that_rendered_it(good):
    """Local workers are forked from multiprocessing's process server, which has imported
    docgen.batch.workers: a name taken at import named that server in every result, so the test
    below killed the server instead of a worker."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["docgen.batch.workers"])  # as the batch's LocalExecutor does
    settings = Settings(templates=None, today=TODAY, formats=("docx",), dry_run=True)
    task = Task(BundleText(0, "case.json", None, json.dumps(good[0])), "0" * 64)
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        pid = pool.submit(os.getpid).result()
        (result,) = pool.submit(render_chunk, settings, [task]).result()
    assert result.error is None and result.documents
    assert result.worker == f"{socket.gethostname()}:{pid}" != f"{socket.gethostname()}:{os.getpid()}"


def test_a_worker_process_that_dies_is_replaced_and_its_work_redone(tmp_path, pipeline):
    bundles = make_bundles(24, prefix="DIES")
    source = write_jsonl(tmp_path / "cases.jsonl", bundles)
    out = tmp_path / "out"
    killed = []

    def on_result(result) -> None:
        if not killed:
            killed.append(int(result.worker.split(":")[-1]))
            os.kill(killed[0], signal.SIGKILL)  # as the out-of-memory killer would

    summary = run_batch(BatchOptions(source, out, jobs=2, chunk_size=2, progress=False), on_result=on_result)
    assert killed and summary.exit_code == 0, summary.failures
    expected = expected_stems(pipeline, bundles)
    assert sorted(p.stem for p in out.glob("*.docx")) == sorted(expected)
    assert summary.issued == len(expected)


def test_a_killed_process_server_is_started_again_and_no_work_is_lost(good):
    """The out-of-memory killer may pick the forkserver itself. A worker started just after
    reaches it while it is still exiting; it is started again once multiprocessing has started
    a new server. (The new pool has no worker yet: none dies with the server.)"""
    import psutil

    settings = Settings(templates=None, today=TODAY, formats=("docx",), dry_run=True)
    tasks = [Task(BundleText(i, f"case-{i}.json", None, json.dumps(data)), "0" * 64) for i, data in enumerate(good)]
    first = LocalExecutor(settings, jobs=1)
    first.submit(tasks[:1])
    assert first.next_done()[1][0].error is None
    first.close()  # its worker ends; the process server stays for the next pool
    (server,) = [p for p in psutil.Process().children() if "multiprocessing.forkserver" in " ".join(p.cmdline())]
    executor = LocalExecutor(settings, jobs=1)
    server.kill()
    try:
        executor.submit(tasks[1:])  # the pool's first worker is asked of the killed server
        chunk, results = executor.next_done()
    finally:
        executor.close(cancel=True)
    assert not server.is_running() or server.status() == psutil.STATUS_ZOMBIE
    assert [r.index for r in results] == [1, 2] and all(r.error is None and r.documents for r in results)


def test_json_lines_that_cannot_be_read_are_reported_by_line(tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_bytes(json.dumps(make_bundles(1)[0]).encode() + b'\n{"a": "\xff"}\n\n')
    items = list(BatchInput(path))
    assert [(i.index, i.line, i.label, i.error) for i in items] == [
        (0, 1, f"{path}:1", None),
        (1, 2, f"{path}:2", Failure("input", "The line is not UTF-8 text (byte 7 cannot be read); save it as UTF-8.", 2)),
    ]  # fmt: skip
    assert BatchInput(path).count() == 2


def test_a_failure_spells_out_at_most_20_problems():
    problems = [Problem(f"children[{i}].sex", "Bad.") for i in range(25)]
    message = Failure.of(BundleInvalid("The bundle has 25 problems.", problems=problems)).message
    assert message.startswith("The bundle has 25 problems. children[0].sex: Bad.; children[1].sex: Bad.; ")
    assert message.endswith("; children[19].sex: Bad.; and 5 more.")


def test_ctrl_c_stops_the_batch_cleanly(tmp_path):
    source = write_jsonl(tmp_path / "cases.jsonl", make_bundles(60, prefix="CTRLC"))
    out = tmp_path / "out"
    command = [sys.executable, "-c", "from docgen.cli_batch import batch; batch()",
               str(source), "--out", str(out), "--jobs", "2"]  # fmt: skip
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while len(list(out.glob("*.docx"))) < 40:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C does, to every process of the group
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1 and stderr.endswith("Aborted!\n")
    assert not list(out.rglob("*.part"))
    with Register(out / ".docgen" / "register.sqlite3") as register:
        (run_id,) = [p.name for p in (out / "runs").iterdir()]
        assert register.run(run_id)["status"] == "interrupted"
    manifest = read_csv(out / "runs" / run_id / "manifest.csv")
    assert sorted(Path(r["output_path"]).name for r in manifest) == sorted(p.name for p in out.glob("*.docx"))


def test_pdfs_encrypted_with_a_password_or_pdfa_and_a_rerun_remakes_the_other_kind(tmp_path, good):
    folder = write_folder(tmp_path / "cases", good[:1])
    out = tmp_path / "out"
    secret = tmp_path / "password.txt"
    secret.write_text("correct horse\n")
    reference = good[0]["case"]["reference"]

    locked = run(folder, "--out", out, "--format", "pdf", "--jobs", "1", "--doc", "outcome-letter",
                 "--password-file", secret, "--json")
    assert locked.exit_code == 0, locked.output
    pdfs = sorted(out.glob("*.pdf"))
    assert pdfs and not list(out.glob("*.docx"))
    rows = read_csv(Path(json.loads(locked.stdout)["reports"]["manifest_csv"]))
    for pdf in pdfs:
        reader = PdfReader(pdf)
        assert reader.is_encrypted and reference.encode() not in pdf.read_bytes()
        assert reader.decrypt("correct horse")
        assert reference in reader.pages[0].extract_text()
        assert int(next(r for r in rows if r["output_path"] == str(pdf))["pages"]) == len(reader.pages)

    archival = run(folder, "--out", out, "--format", "pdf", "--jobs", "1", "--doc", "outcome-letter",
                   "--pdfa", "--json")
    assert archival.exit_code == 0, archival.output
    assert json.loads(archival.stdout)["issued"] == len(pdfs)  # not skipped as issued before
    for pdf in pdfs:
        reader = PdfReader(pdf)
        assert not reader.is_encrypted
        assert b"<pdfaid:part>2</pdfaid:part>" in reader.xmp_metadata.stream.get_data()

    again = run(folder, "--out", out, "--format", "pdf", "--jobs", "1", "--doc", "outcome-letter", "--pdfa", "--json")
    assert json.loads(again.stdout)["skipped"] == len(pdfs)


@pytest.mark.parametrize("fmt", ["docx", "both"])
def test_a_batch_refuses_a_password_with_docx_output(tmp_path, good, fmt):
    folder = write_folder(tmp_path / "cases", good[:1])
    result = run(folder, "--out", tmp_path / "out", "--format", fmt, "--password", "x")
    assert result.exit_code == 2
    assert f"Error: --format {fmt} writes DOCX files, which cannot be encrypted" in result.stderr
    assert not (tmp_path / "out").exists()


def test_replacing_a_file_docgen_did_not_issue_is_said(tmp_path, good, pipeline):
    folder = write_folder(tmp_path / "cases", good[:1])
    out = tmp_path / "out"
    out.mkdir()
    reference = good[0]["case"]["reference"]
    stem = min(s for s in expected_stems(pipeline, good[:1]) if "_outcome-letter" in s)
    foreign = out / f"{stem}.docx"
    foreign.write_bytes(b"a letter someone edited by hand")

    result = run(folder, "--out", out, "--doc", "outcome-letter", "--jobs", "1", "--json")
    assert result.exit_code == 0, result.output
    assert (f"Warning: [{reference}] replaced {foreign}, which the register does not list as issued."
            in result.stderr)  # fmt: skip
    assert result.stderr.count("Warning: ") == 1
    assert json.loads(result.stdout)["replaced"] == 1
    assert reference in docx_text(foreign.read_bytes())

    again = run(folder, "--out", out, "--doc", "outcome-letter", "--jobs", "1", "--force", "--json")
    assert again.exit_code == 0 and "Warning: " not in again.stderr  # its own files: re-issued quietly
    assert json.loads(again.stdout)["replaced"] == 0


def test_a_clean_run_says_so_first_and_names_no_failures_file(tmp_path, good):
    folder = write_folder(tmp_path / "cases", good[:1])
    out = tmp_path / "out"
    result = run(folder, "--out", out, "--doc", "outcome-letter", "--jobs", "1")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    count = len(list(out.glob("*.docx")))
    assert lines[0] == f"All {count} documents issued, from 1 bundle; no failures."
    assert lines[-1] == f"Manifest: {run_folder(out) / 'manifest.csv'}"
    assert "Failures" not in result.stdout
    again = run(folder, "--out", out, "--doc", "outcome-letter", "--jobs", "1")
    assert again.stdout.splitlines()[0] == f"All {count} documents issued ({count} by an earlier run), from 1 bundle; no failures."


def test_document_failures_lead_the_summary(tmp_path, good):
    folder = write_folder(tmp_path / "cases", good[:2])  # the second has no closure for the letter
    result = run(folder, "--out", tmp_path / "out", "--doc", "outcome-letter", "--jobs", "1")
    assert result.exit_code == 3, result.output
    made = len(list((tmp_path / "out").glob("*.docx")))
    assert result.stdout.splitlines()[0] == f"1 of {made + 1} documents failed; {made} documents issued."
