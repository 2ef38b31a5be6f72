"""Batches on a real Dask cluster on this machine: a scheduler and two worker processes."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from batch_helpers import make_bundles, write_jsonl
from conftest import ROOT, docx_text
from docgen.batch import BatchOptions, ClusterTLS, run_batch
from docgen.batch.inputs import BundleText
from docgen.batch.templateset import fingerprint
from docgen.batch.workers import Settings, Task, render_chunk
from docgen.cli import cli
from docgen.exceptions import InputError, TemplateError
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
    """A scheduler and workers w1 and w2; ``tls`` the dask CLI's --tls-* options for mutual TLS,
    ``worker_env`` environment variables for a worker by name."""

    def __init__(self, folder: Path, *, tls: tuple[str, ...] = (), worker_env: dict | None = None,
                 names: tuple[str, ...] = ("w1", "w2")) -> None:  # fmt: skip
        self.port = free_port()
        self.address = f"{'tls' if tls else 'tcp'}://127.0.0.1:{self.port}"
        self.folder = folder
        self.procs: list[subprocess.Popen] = []
        protocol = ("--protocol", "tls", *tls) if tls else ()
        self.scheduler = self._start("scheduler", "distributed.cli.dask_scheduler",
                                     "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard",
                                     *protocol)  # fmt: skip
        wait_for_port(self.port, self.scheduler)
        self.tls, self.worker_env = tls, worker_env or {}
        self.workers = {name: self.start_worker(name) for name in names}

    def start_worker(self, name: str) -> subprocess.Popen:
        return self._start(name, "distributed.cli.dask_worker", self.address, "--name", name,
                           "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
                           "--death-timeout", "20", *self.tls, env=self.worker_env.get(name))  # fmt: skip

    def _start(self, name: str, module: str, *args: str, env: dict | None = None) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115
        environment = {k: v for k, v in os.environ.items() if k != "DOCGEN_TEMPLATES"} | (env or {})
        proc = subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, stdout=log, stderr=log,
                                env=environment)  # fmt: skip
        self.procs.append(proc)
        return proc

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()  # a worker ends cleanly, removing its copy of the templates
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
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


# -- one template set per run ------------------------------------------------------------------

OTHER_WORDING = "Printed from the other templates folder."


@pytest.fixture
def other_templates(tmp_path) -> Path:
    """A copy of the templates whose family plan and outcome letter say more, versions unchanged."""
    root = tmp_path / "other-templates"
    shutil.copytree(ROOT / "templates", root)
    for path in [root / "default" / "outcome-letter.docx", *root.glob("*/family-plan.docx")]:
        document = docx.Document(path)
        document.add_paragraph(OTHER_WORDING)
        document.save(path)
    return root


def test_workers_render_from_the_batchs_templates_not_their_own(tmp_path, other_templates, pipeline):
    """w2's $DOCGEN_TEMPLATES holds other templates under the same version numbers: no letter
    may come from them, and the manifest names one template set for the run."""
    with Cluster(tmp_path, worker_env={"w2": {"DOCGEN_TEMPLATES": str(other_templates)}}) as cluster:
        bundles = make_bundles(8, prefix="DASKSET")
        source = write_jsonl(tmp_path / "cases.jsonl", bundles)
        out = tmp_path / "out"
        workers = set()
        options = BatchOptions(source, out, scheduler=cluster.address, chunk_size=1, progress=False)
        summary = run_batch(options, on_result=lambda result: workers.add(result.worker))
    assert len(workers) == 2, "both workers must have rendered"
    assert summary.exit_code == 0, summary.failures
    letters = sorted(out.glob("*.docx"))
    assert sorted(p.stem for p in letters) == sorted(expected_stems(pipeline, bundles))
    assert {"outcome-letter", "family-plan"} <= {p.stem.split("_")[1] for p in letters}
    for path in letters:
        assert OTHER_WORDING not in docx_text(path.read_bytes()), path.name
    with open(summary.reports["manifest_csv"], newline="") as stream:
        sets = {row["template_set"] for row in csv.DictReader(stream)}
    assert sets == {fingerprint(ROOT / "templates")} == {summary.template_set}


def test_a_worker_whose_templates_are_not_the_runs_refuses_the_work(other_templates):
    settings = Settings(templates=str(other_templates), today=None, formats=("docx",),
                        template_set=fingerprint(ROOT / "templates"))  # fmt: skip
    text = (ROOT / "samples" / "valid" / "worcestershire-child-in-need.json").read_text("utf-8")
    with pytest.raises(TemplateError) as refused:
        render_chunk(settings, [Task(BundleText(0, "case.json", None, text), "0" * 64)])
    found, expected = fingerprint(other_templates)[:12], fingerprint(ROOT / "templates")[:12]
    assert refused.value.message == (
        f"This worker's templates (fingerprint {found}) are not the batch's ({expected}); it refused the "
        "work rather than mix two template sets in one run.")  # fmt: skip
    assert refused.value.exit_code == 4


# -- TLS ---------------------------------------------------------------------------------------

PLAIN_REFUSED = (
    "The scheduler is reached over tcp://, unencrypted, and is not on this machine: children's data must "
    "not cross a network in clear. Use tls:// with --tls-ca-file, --tls-cert and --tls-key (see the "
    "README's cluster recipe), or --insecure on a network you trust."
)


def make_certs(folder: Path) -> ClusterTLS:
    """Certificates made by the command the README documents."""
    subprocess.run([str(ROOT / "scripts" / "cluster-certs.sh"), str(folder)], check=True, capture_output=True)
    assert {p.name for p in folder.iterdir()} == {"ca.pem", "ca.key", "cluster.pem", "cluster.key"}
    assert {oct(p.stat().st_mode & 0o777) for p in folder.iterdir()} == {"0o600"}
    return ClusterTLS(folder / "ca.pem", folder / "cluster.pem", folder / "cluster.key")


def tls_args(tls: ClusterTLS) -> tuple[str, ...]:
    return ("--tls-ca-file", str(tls.ca_file), "--tls-cert", str(tls.cert), "--tls-key", str(tls.key))


def test_a_batch_runs_on_a_tls_cluster_and_a_stranger_cannot_join(tmp_path, pipeline):
    tls = make_certs(tmp_path / "certs")
    stranger = make_certs(tmp_path / "stranger")  # a certificate from another CA
    bundles = make_bundles(3, prefix="DASKTLS")
    source = write_jsonl(tmp_path / "cases.jsonl", bundles)
    with Cluster(tmp_path, tls=tls_args(tls)) as cluster:
        assert cluster.address.startswith("tls://")
        summary = run_batch(BatchOptions(source, tmp_path / "out", scheduler=cluster.address, tls=tls,
                                         doc_ids=("family-plan",), progress=False))  # fmt: skip
        with pytest.raises(InputError, match="The Dask scheduler cannot be reached") as refused:
            run_batch(BatchOptions(source, tmp_path / "out2", scheduler=cluster.address, tls=stranger,
                                   scheduler_timeout=3, progress=False))  # fmt: skip
        result = CliRunner().invoke(cli, ["batch", str(source), "--out", str(tmp_path / "out3"),
                                          "--scheduler", cluster.address])  # fmt: skip
    assert summary.exit_code == 0, summary.failures
    assert sorted(p.stem for p in (tmp_path / "out").glob("*.docx")) == sorted(
        s for s in expected_stems(pipeline, bundles) if "_family-plan" in s)  # fmt: skip
    assert refused.value.exit_code == 2
    assert not (tmp_path / "out2").exists()
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {cluster.address}: A tls:// scheduler needs --tls-ca-file and --tls-cert "
                             "(and --tls-key unless the certificate file holds it); see the README's cluster "
                             "recipe.\n")  # fmt: skip


@pytest.mark.parametrize("address", ["tcp://192.0.2.7:8786", "192.0.2.7:8786", "tcp://scheduler.example:8786",
                                     "ws://192.0.2.7:8786"])  # fmt: skip
def test_an_unencrypted_scheduler_off_this_machine_is_refused(tmp_path, address):
    source = write_jsonl(tmp_path / "cases.jsonl", make_bundles(1))
    result = CliRunner().invoke(cli, ["batch", str(source), "--out", str(tmp_path / "out"), "--scheduler", address])
    assert result.exit_code == 2
    scheme = address.split("://")[0] if "://" in address else "tcp"
    assert result.stderr == f"Error: {address}: {PLAIN_REFUSED.replace('tcp://', scheme + '://')}\n"
    assert not (tmp_path / "out").exists()


def test_insecure_lets_a_plain_remote_scheduler_be_tried(tmp_path):
    source = write_jsonl(tmp_path / "cases.jsonl", make_bundles(1))
    address = "tcp://192.0.2.7:8786"  # TEST-NET: nothing answers
    with pytest.raises(InputError, match="The Dask scheduler cannot be reached"):
        run_batch(BatchOptions(source, tmp_path / "out", scheduler=address, tls=ClusterTLS(insecure=True),
                               scheduler_timeout=1, progress=False))  # fmt: skip


def test_a_worker_that_joins_late_gets_the_templates_after_the_first_is_lost(tmp_path, pipeline):
    """w2 joins after the run started and w1, the only worker that had the templates, is
    killed: the template set is handed over again, not lost with w1."""
    from distributed import Client

    bundles = make_bundles(12, prefix="DASKLATE")
    source = write_jsonl(tmp_path / "cases.jsonl", bundles)
    with Cluster(tmp_path, names=("w1",)) as cluster:
        w1 = cluster.workers["w1"]

        def on_result(result) -> None:
            if w1.poll() is None:
                cluster.workers["w2"] = cluster.start_worker("w2")
                with Client(cluster.address, set_as_default=False) as client:
                    client.wait_for_workers(2, timeout=30)
                os.kill(w1.pid, signal.SIGKILL)
                w1.wait()

        summary = run_batch(options(source, tmp_path / "out", cluster, chunk_size=1), on_result=on_result)
    assert w1.returncode == -signal.SIGKILL
    assert summary.exit_code == 0, summary.failures
    assert sorted(p.stem for p in (tmp_path / "out").glob("*.docx")) == sorted(expected_stems(pipeline, bundles))


def test_certificates_with_a_plain_address_are_a_usage_error(tmp_path):
    tls = make_certs(tmp_path / "certs")
    source = write_jsonl(tmp_path / "cases.jsonl", make_bundles(1))
    result = CliRunner().invoke(cli, ["batch", str(source), "--out", str(tmp_path / "out"),
                                      "--scheduler", "tcp://127.0.0.1:8786", *tls_args(tls)])  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == ("Error: tcp://127.0.0.1:8786: Certificates were given, but the scheduler is reached "
                             "over tcp://; give its tls:// address.\n")  # fmt: skip
