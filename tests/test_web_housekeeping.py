"""Housekeeping a long-running server does: old jobs and template checks removed after
--keep-days, one publication of a document at a time, and a Notify key others can read refused."""

from __future__ import annotations

import io
import json
import os
import shutil
import threading
import time

import docx
import pytest

from docgen.exceptions import InputError
from docgen.register import Register
from docgen.registry import Registry
from docgen.serve.candidates import CandidateCheck, Candidates
from docgen.serve.housekeeping import sweep
from serve_helpers import ROOT, Server

DAY = 86400


def stamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def old_and_new(data, now: float) -> None:
    """Under ``data``: a job finished 40 days ago, one 2 days ago, one still running (started 40
    days ago, by this live process), and template checks made 40 and 2 days ago."""
    for job_id, state, finished in (("a" * 16, "finished", now - 40 * DAY), ("b" * 16, "failed", now - 2 * DAY),
                                    ("c" * 16, "running", None)):  # fmt: skip
        (data / "jobs" / job_id / "output").mkdir(parents=True)
        (data / "jobs" / job_id / "output" / "letter.pdf").write_bytes(b"%PDF-1.7")
        job = {"id": job_id, "state": state, "created": stamp(now - 40 * DAY), "pid": os.getpid(),
               "finished": stamp(finished) if finished else None}  # fmt: skip
        (data / "jobs" / job_id / "job.json").write_text(json.dumps(job))
    for check_id, checked in (("d" * 16, now - 40 * DAY), ("e" * 16, now - 2 * DAY)):
        (data / "candidates" / check_id / "pages").mkdir(parents=True)
        (data / "candidates" / check_id / "check.json").write_text(json.dumps({"id": check_id, "checked": stamp(checked)}))


def test_jobs_and_checks_older_than_the_retention_are_removed(tmp_path):
    now = time.time()
    old_and_new(tmp_path, now)
    assert sweep(tmp_path, 30, now=now) == ["jobs/" + "a" * 16, "candidates/" + "d" * 16]
    assert sorted(p.name for p in (tmp_path / "jobs").iterdir()) == ["b" * 16, "c" * 16]  # recent, and running
    assert [p.name for p in (tmp_path / "candidates").iterdir()] == ["e" * 16]
    assert sweep(tmp_path, 1, now=now) == ["jobs/" + "b" * 16, "candidates/" + "e" * 16]
    assert [p.name for p in (tmp_path / "jobs").iterdir()] == ["c" * 16]  # its process is alive: kept


def test_docgen_serve_sweeps_at_start_and_refuses_a_key_others_can_read(tmp_path):
    data = tmp_path / "data"
    old_and_new(data, time.time())
    key = data / "notify-api-key"
    key.write_text("test-" + "1" * 36 + "-" + "2" * 36)
    key.chmod(0o644)
    with pytest.raises(RuntimeError, match=r"notify-api-key can be read by others \(mode 0644\).*chmod 600"):
        Server(data, options=("--keep-days", "10"))
    assert (data / "jobs" / ("a" * 16)).is_dir()  # refused before anything was touched
    key.chmod(0o600)
    server = Server(data, options=("--keep-days", "10"))
    try:
        assert not (data / "jobs" / ("a" * 16)).exists() and not (data / "candidates" / ("d" * 16)).exists()
        assert (data / "jobs" / ("b" * 16)).is_dir() and (data / "candidates" / ("e" * 16)).is_dir()
        assert "removed 2 jobs and template checks older than 10 days" in server.log.read_text()
    finally:
        server.stop()


def test_two_policy_owners_publishing_at_once_cannot_both_publish(tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    shutil.copytree(ROOT / "tests" / "snapshots", tmp_path / "snapshots")
    current = Registry(templates).resolve("outcome-letter", "worcestershire")
    candidates = Candidates(tmp_path / "data" / "candidates")
    kept = []
    for words in ("We are glad to help.", "Thank you for working with us."):
        letter = docx.Document(str(current.path))
        letter.add_paragraph(words)
        body = io.BytesIO()
        letter.save(body)
        checked = CandidateCheck([], b"", current_version=current.version)
        kept.append(candidates.keep(authority="worcestershire", doc_id="outcome-letter", actor=f"user:{len(kept)}",
                                    docx=body.getvalue(), checked=checked))  # fmt: skip
    register = tmp_path / "data" / "register.sqlite3"

    def race(ids: list[str]) -> list:
        start, outcomes = threading.Barrier(len(ids)), []

        def publish(candidate_id: str) -> None:
            record = candidates.get(candidate_id, "worcestershire")  # both read it before either publishes
            start.wait()
            try:
                outcomes.append(candidates.publish(record, Registry(templates), f"user:{candidate_id}", register))
            except InputError as e:
                outcomes.append(e.message)

        threads = [threading.Thread(target=publish, args=(i,)) for i in ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        return sorted(outcomes)

    major, minor = current.version.split(".")
    raised = f"{major}.{int(minor) + 1}"
    # the same check, published by two people at once: once
    assert race([kept[0], kept[0]]) == [raised, "This version has been published already."]
    # another check of the same document, made against the version before: refused, not laid over it
    (refused,) = race([kept[1]])
    assert refused == (f"Version {raised} was published after this one was checked against version "
                       f"{current.version}; check this version again against it.")  # fmt: skip
    with Register(register, read_only=True) as book:
        assert [(p.version, p.actor) for p in book.publications("worcestershire")] == [(raised, f"user:{kept[0]}")]
    published = docx.Document(str(templates / "worcestershire" / "outcome-letter.docx"))
    assert [p.text for p in published.paragraphs][-1] == "We are glad to help."
