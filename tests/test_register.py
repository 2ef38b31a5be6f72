"""The register of issued documents, and the history command that reads it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from docgen.cli_batch import history
from docgen.exceptions import InputError, OutputError
from docgen.register import REGISTER_ENV, Issue, Register, default_path, locate


def issue(n: int = 1, **changes) -> Issue:
    base = Issue(
        run_id="run-1",
        case_reference="WOR-CIN-0001",
        document="outcome-letter",
        recipient="family-mum",
        format="docx",
        template="default/outcome-letter",
        template_version="1.0",
        template_sha256="t" * 64,
        profile_sha256="p" * 64,
        bundle_sha256="b" * 64,
        output_path="/out/WOR-CIN-0001_outcome-letter_family-mum.docx",
        output_sha256=f"{n:064d}",
        pages=None,
        issued_at=f"2026-11-20T10:00:0{n}Z",
    )
    return replace(base, **changes)


@pytest.fixture
def register(tmp_path):
    with Register(tmp_path / ".docgen" / "register.sqlite3") as register:
        register.start_run("run-1", input="cases/", out_dir="/out", formats="docx")
        yield register


def test_records_and_lists_a_cases_history_oldest_first(register):
    first, other_case, second = issue(1), issue(2, case_reference="DER-CP-0002"), issue(3, recipient="agency-hv")
    register.record([first, other_case])
    register.record([second])
    assert register.history("WOR-CIN-0001") == [first, second]
    assert register.history("NOBODY") == []


def test_the_latest_issue_of_each_document_from_a_bundle(register):
    register.record([issue(1), issue(2, format="pdf", pages=2)])
    register.record([issue(3)])
    register.record([issue(4, bundle_sha256="c" * 64)])
    latest = register.latest_for_bundle("b" * 64)
    assert latest == {
        ("outcome-letter", "family-mum", "docx"): issue(3),
        ("outcome-letter", "family-mum", "pdf"): issue(2, format="pdf", pages=2),
    }


def test_a_failed_write_records_none_of_its_rows(register):
    with pytest.raises(OutputError, match="The register could not be written"):
        register.record([issue(1), issue(2, case_reference=None)])
    assert register.history("WOR-CIN-0001") == []


def test_runs_are_recorded_with_their_outcome(register):
    assert register.run("run-1")["status"] == "running"
    register.finish_run("run-1", status="finished", issued=3, skipped=1, failed=2)
    run = register.run("run-1")
    assert (run["status"], run["issued"], run["skipped"], run["failed"]) == ("finished", 3, 1, 2)
    assert run["finished"].endswith("Z")


def test_where_the_register_lives(tmp_path, monkeypatch):
    monkeypatch.delenv(REGISTER_ENV, raising=False)
    assert default_path(tmp_path) == tmp_path / ".docgen" / "register.sqlite3"
    monkeypatch.setenv(REGISTER_ENV, str(tmp_path / "elsewhere.sqlite3"))
    assert default_path(tmp_path) == tmp_path / "elsewhere.sqlite3"
    with pytest.raises(InputError) as missing:
        locate(None)
    assert missing.value.source == str(tmp_path / "elsewhere.sqlite3")
    Register(tmp_path / "out" / ".docgen" / "register.sqlite3").close()
    assert locate(tmp_path / "out") == tmp_path / "out" / ".docgen" / "register.sqlite3"


def test_a_register_that_cannot_be_opened(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputError, match="The register cannot be opened"):
        Register(tmp_path / "file" / "register.sqlite3")


def test_history_command_lists_what_was_issued(register, tmp_path):
    register.record([issue(1), issue(2, format="pdf", pages=2)])
    out = str(tmp_path)
    result = CliRunner().invoke(history, ["WOR-CIN-0001", "--register", out])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "2026-11-20T10:00:01Z  outcome-letter           family-mum             docx v1.0   "
        "000000000000  /out/WOR-CIN-0001_outcome-letter_family-mum.docx",
        "2026-11-20T10:00:02Z  outcome-letter           family-mum             pdf  v1.0   "
        "000000000000  /out/WOR-CIN-0001_outcome-letter_family-mum.docx",
    ]
    as_json = CliRunner().invoke(history, ["WOR-CIN-0001", "--register", out, "--json"])
    assert json.loads(as_json.stdout) == [  # each with its sends through Notify: none here
        {**issue(1).to_dict(), "sends": []},
        {**issue(2, format="pdf", pages=2).to_dict(), "sends": []},
    ]

    none = CliRunner().invoke(history, ["DER-CP-0009", "--register", out])
    assert (none.exit_code, none.stdout) == (0, "No documents issued for DER-CP-0009.\n")


def test_history_without_a_register(tmp_path, monkeypatch):
    monkeypatch.delenv(REGISTER_ENV, raising=False)
    result = CliRunner().invoke(history, ["WOR-CIN-0001", "--register", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {tmp_path / 'missing'}: No register found. Give --register PATH (the register file "
        f"or the batch's output folder) or set {REGISTER_ENV}.\n"
    )


def test_history_reads_without_changing_the_register(register, tmp_path):
    register.record([issue(1)])
    path = Path(register.path)
    before = path.read_bytes()
    CliRunner().invoke(history, ["WOR-CIN-0001", "--register", str(path)])
    assert path.read_bytes() == before


def test_a_register_made_before_sends_gains_their_table_and_reads_the_same(tmp_path):
    import sqlite3

    from docgen.register import _SCHEMA

    path = tmp_path / "register.sqlite3"
    with sqlite3.connect(path) as db:  # as schema version 1 made it: runs and issued only
        db.executescript(_SCHEMA.split("CREATE TABLE IF NOT EXISTS sends")[0])
        db.execute("PRAGMA user_version=1")
    db.close()

    with Register(path, read_only=True) as old:
        assert old.sends_for_case("WOR-CIN-0001") == []  # no table yet, and no error
    with Register(path) as register:
        send_id = register.start_send(output_sha256="a" * 64, case_reference="WOR-CIN-0001",
                                      document="outcome-letter", recipient="family-mum",
                                      reference="WOR-CIN-0001_outcome-letter_family-mum",
                                      route="letter", postage="second")  # fmt: skip
        register.settle_send(send_id, status="accepted", notification_id="n-1")
        [send] = register.sends_for_case("WOR-CIN-0001")
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (3,)
    assert (send.status, send.notification_id, send.postage) == ("accepted", "n-1", "second")

