"""Batches on a real Dask cluster on this machine: a scheduler and two worker processes."""

from __future__ import annotations

import csv
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from batch_helpers import make_bundles, write_jsonl
from conftest import ROOT
from docgen.batch import BatchOptions, run_batch
from docgen.exceptions import InputError
from docgen.register import Register
from test_batch import expected_stems

pytest.importorskip("distributed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the scheduler stopped"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the scheduler did not start")


class Cluster:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.folder = folder
        self.procs: list[subprocess.Popen] = []
        self.scheduler = self._start("scheduler", "distributed.cli.dask_scheduler",
                                     "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard")  # fmt: skip
        wait_for_port(self.port, self.scheduler)
        self.workers = {
            name: self._start(name, "distributed.cli.dask_worker", self.address, "--name", name,
                              "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
                              "--death-timeout", "20")  # fmt: skip
            for name in ("w1", "w2")
        }

    def _start(self, name: str, module: str, *args: str) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, stdout=log, stderr=log)
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


@pytest.fixture
def cluster(tmp_path):
    cluster = Cluster(tmp_path)
    yield cluster
    cluster.stop()


def options(source: Path, out: Path, cluster: Cluster, **kwargs) -> BatchOptions:
    return BatchOptions(source, out, scheduler=cluster.address, templates=ROOT / "templates", progress=False,
                        **kwargs)  # fmt: skip


def test_a_worker_killed_halfway_loses_and_doubles_nothing(cluster, tmp_path, pipeline):
    bundles = make_bundles(60, prefix="DASK")
    source = write_jsonl(tmp_path / "cases.jsonl", bundles)
    out = tmp_path / "out"
    killed_at = []
    by_worker: dict[str, int] = {}
    w1_pid = cluster.workers["w1"].pid

    def on_result(result) -> None:
        pid = int(result.worker.split(":")[-1])
        by_worker[pid] = by_worker.get(pid, 0) + 1
        # Right after w1 hands back a chunk, the scheduler has given it the next one.
        if not killed_at and pid == w1_pid and sum(by_worker.values()) >= 10:
            os.kill(w1_pid, signal.SIGKILL)
            killed_at.append(sum(by_worker.values()))

    summary = run_batch(options(source, out, cluster, chunk_size=2), on_result=on_result)

    assert killed_at and killed_at[0] < len(bundles), "w1 was not killed while the batch ran"
    assert cluster.workers["w1"].poll() is not None
    assert summary.exit_code == 0, summary.failures
    expected = expected_stems(pipeline, bundles)
    assert summary.issued == len(expected) and summary.bundles == len(bundles)
    assert sorted(p.stem for p in out.glob("*.docx")) == sorted(expected)
    assert not list(out.rglob("*.part"))
    for path in out.glob("*.docx"):
        docx.Document(path)
    with open(summary.reports["manifest_csv"], newline="") as stream:
        manifest = list(csv.DictReader(stream))
    assert sorted(Path(r["output_path"]).stem for r in manifest) == sorted(expected)
    with Register(out / ".docgen" / "register.sqlite3") as register:
        rows = [i for b in bundles for i in register.history(b["case"]["reference"])]
    assert sorted(Path(r.output_path).stem for r in rows) == sorted(expected)
    for row in rows:
        assert hashlib.sha256(Path(row.output_path).read_bytes()).hexdigest() == row.output_sha256
    assert by_worker.get(cluster.workers["w2"].pid), "w2 took over no work"


def test_pdf_is_converted_on_the_workers(cluster, tmp_path, pipeline):
    bundles = make_bundles(2, prefix="DASKPDF")
    source = write_jsonl(tmp_path / "cases.jsonl", bundles)
    out = tmp_path / "out"
    summary = run_batch(options(source, out, cluster, fmt="pdf", chunk_size=1))
    assert summary.exit_code == 0, summary.failures
    assert sorted(p.stem for p in out.glob("*.pdf")) == sorted(expected_stems(pipeline, bundles))
    assert not list(out.glob("*.docx"))
    for pdf in out.glob("*.pdf"):
        assert PdfReader(pdf).metadata.title


def test_an_unreachable_scheduler_is_a_usage_error(tmp_path):
    source = write_jsonl(tmp_path / "cases.jsonl", make_bundles(1))
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(InputError, match="The Dask scheduler cannot be reached") as error:
        run_batch(BatchOptions(source, tmp_path / "out", scheduler=address, scheduler_timeout=1, progress=False))
    assert error.value.exit_code == 2
