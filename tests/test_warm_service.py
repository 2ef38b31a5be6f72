"""The warm converter service: real `docgen render` commands sharing one real LibreOffice."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from conftest import SAMPLES
from docgen.cli import cli

pytestmark = [
    pytest.mark.skipif(shutil.which("soffice") is None, reason="needs LibreOffice"),
    pytest.mark.skipif(not Path("/usr/lib/python3/dist-packages/uno.py").exists(), reason="needs python3-uno"),
]

WORCESTER = SAMPLES / "valid" / "worcestershire-child-in-need.json"
DERBY = SAMPLES / "valid" / "derbyshire-child-in-need.json"
FAMILY_LETTER = "WOR-CIN-0001_outcome-letter_family-mum.pdf"


@pytest.fixture
def cache(monkeypatch):
    """A cache folder of the test's own, with the service on; afterwards no service, and no
    LibreOffice started from this folder, may be left running."""
    # Short: a Unix socket's path holds at most 107 bytes.
    folder = Path(tempfile.mkdtemp(prefix="dg-warm-"))
    monkeypatch.setenv("DOCGEN_CACHE_DIR", str(folder))
    monkeypatch.setenv("DOCGEN_PDF_IDLE", "60")
    monkeypatch.delenv("DOCGEN_REGISTER", raising=False)
    yield folder
    leftovers = _processes(folder)
    pid_file = folder / "converter.pid"
    if pid_file.exists():
        _signal(int(pid_file.read_text()), signal.SIGTERM)
    stray = _wait_for_none(folder, seconds=30)
    for pid in stray:
        _signal(pid, signal.SIGKILL)
    shutil.rmtree(folder, ignore_errors=True)
    assert not stray, f"left running: {stray} (of {leftovers})"


def render(*args: object, env: dict | None = None) -> subprocess.CompletedProcess:
    """`docgen render`, as a user runs it: a process of its own."""
    command = [str(Path(sys.executable).with_name("docgen")), "render", *map(str, args), "--no-record"]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})


def status(cache: Path) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(str(cache / "converter.sock"))
        conn.sendall(b'{"status": true}\n')
        return json.loads(conn.makefile().readline())


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_consecutive_renders_share_one_libreoffice(cache, tmp_path):
    first = render(WORCESTER, "--doc", "outcome-letter", "--format", "pdf", "--out", tmp_path / "one")
    assert first.returncode == 0, first.stderr
    before = status(cache)
    second = render(DERBY, "--format", "pdf", "--out", tmp_path / "two")
    assert second.returncode == 0, second.stderr
    after = status(cache)

    assert before["offices"] and before == after  # the same service, the same LibreOffices
    assert _offices(cache) and set(_offices(cache)) <= set(before["offices"])  # soffice.bin, without launchers
    assert "Dear Ms Placeholder" in pdf_text(tmp_path / "one" / FAMILY_LETTER)
    derby = sorted((tmp_path / "two").glob("*.pdf"))
    assert derby and all(p.name.startswith("DBY-CIN-0002_") for p in derby)
    for pdf in derby:  # each PDF is its own document's, not another's
        assert PdfReader(pdf).metadata.subject == f"{pdf.stem.split('_')[1]} DBY-CIN-0002"
        assert pdf_text(pdf).strip()
    assert oct(cache.stat().st_mode & 0o777) == "0o700"
    assert oct((cache / "converter.sock").stat().st_mode & 0o777) == "0o600"


def test_the_service_exits_when_idle_and_takes_libreoffice_with_it(cache, tmp_path):
    result = render(WORCESTER, "--doc", "outcome-letter", "--format", "pdf", "--out", tmp_path, env={"DOCGEN_PDF_IDLE": "2"})
    assert result.returncode == 0, result.stderr
    assert (cache / "converter.sock").exists() and _processes(cache)

    assert _wait_for_none(cache, seconds=30) == []
    assert not (cache / "converter.sock").exists() and not (cache / "converter.pid").exists()
    assert "Dear Ms Placeholder" in pdf_text(tmp_path / FAMILY_LETTER)


def test_idle_zero_converts_in_the_command_with_no_service(cache, tmp_path):
    result = render(WORCESTER, "--doc", "outcome-letter", "--format", "pdf", "--out", tmp_path, env={"DOCGEN_PDF_IDLE": "0"})
    assert result.returncode == 0, result.stderr
    assert not (cache / "converter.sock").exists()
    assert _processes(cache) == []
    assert "Dear Ms Placeholder" in pdf_text(tmp_path / FAMILY_LETTER)


def test_a_killed_libreoffice_is_replaced_by_the_service(cache, tmp_path):
    assert render(WORCESTER, "--doc", "outcome-letter", "--format", "pdf", "--out", tmp_path / "one").returncode == 0
    before = status(cache)
    for pid in before["offices"]:
        _signal(pid, signal.SIGKILL)

    result = render(WORCESTER, "--doc", "outcome-letter", "--format", "pdf", "--out", tmp_path / "two")

    assert result.returncode == 0, result.stderr
    after = status(cache)
    assert after["pid"] == before["pid"] and not set(after["offices"]) & set(before["offices"])
    assert "Dear Ms Placeholder" in pdf_text(tmp_path / "two" / FAMILY_LETTER)


def test_a_killed_service_is_replaced_and_its_libreoffice_ends(cache, tmp_path):
    assert render(WORCESTER, "--doc", "outcome-letter", "--format", "pdf", "--out", tmp_path / "one").returncode == 0
    before = status(cache)
    _signal(before["pid"], signal.SIGKILL)

    result = render(WORCESTER, "--doc", "outcome-letter", "--format", "pdf", "--out", tmp_path / "two")

    assert result.returncode == 0, result.stderr
    after = status(cache)
    assert after["pid"] != before["pid"]
    assert "Dear Ms Placeholder" in pdf_text(tmp_path / "two" / FAMILY_LETTER)
    deadline = time.monotonic() + 30  # the orphaned bridge reads the end of its input and stops
    while set(before["offices"]) & set(_processes(cache)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not set(before["offices"]) & set(_processes(cache))


def test_a_hung_service_is_killed_and_the_command_converts_on_its_own(cache, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert render(WORCESTER, "--doc", "outcome-letter", "--format", "pdf", "--out", tmp_path / "one").returncode == 0
    hung = status(cache)["pid"]
    _signal(hung, signal.SIGSTOP)
    monkeypatch.setattr("docgen.convert.warm.REPLY_SECONDS", 3.0)

    args = ["render", str(WORCESTER), "--doc", "outcome-letter", "--format", "pdf", "--out", str(tmp_path / "two"), "--no-record"]
    result = CliRunner().invoke(cli, args)

    assert result.exit_code == 0, result.output
    assert "Dear Ms Placeholder" in pdf_text(tmp_path / "two" / FAMILY_LETTER)
    assert _gone(hung)
    again = render(WORCESTER, "--doc", "outcome-letter", "--format", "pdf", "--out", tmp_path / "three")
    assert again.returncode == 0 and status(cache)["pid"] != hung  # the next command starts a fresh one


def test_concurrent_renders_both_get_their_own_pdfs(cache, tmp_path):
    jobs = [(WORCESTER, tmp_path / "wor"), (DERBY, tmp_path / "der")]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda job: render(job[0], "--format", "pdf", "--out", job[1]), jobs))

    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    assert "Dear Ms Placeholder" in pdf_text(tmp_path / "wor" / FAMILY_LETTER)
    for folder, reference in ((tmp_path / "wor", "WOR-CIN-0001"), (tmp_path / "der", "DBY-CIN-0002")):
        pdfs = sorted(folder.glob("*.pdf"))
        assert pdfs and all(p.name.startswith(f"{reference}_") for p in pdfs)
        for pdf in pdfs:
            assert PdfReader(pdf).metadata.subject == f"{pdf.stem.split('_')[1]} {reference}"
    assert len(list(cache.glob("converter.sock"))) == 1 and _service_pids(cache) == [status(cache)["pid"]]


def _processes(cache: Path) -> list[int]:
    """The services and LibreOffices started from ``cache``."""
    return sorted(set(_service_pids(cache)) | set(_offices(cache)))


def _offices(cache: Path) -> list[int]:
    profile = f"-env:UserInstallation={(cache / 'libreoffice').as_uri()}/".encode()
    return [pid for pid, argv in _commands() if argv[0].endswith(b"soffice.bin") and any(a.startswith(profile) for a in argv)]


def _service_pids(cache: Path) -> list[int]:
    found = []
    for pid, argv in _commands():
        if b"docgen.convert.service" in argv:
            try:
                cache_dir = [v for v in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
                             if v.startswith(b"DOCGEN_CACHE_DIR=")]  # fmt: skip
            except OSError:
                continue
            if cache_dir == [f"DOCGEN_CACHE_DIR={cache}".encode()]:
                found.append(pid)
    return found


def _commands():
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if argv[0] and state != "Z":
                yield int(entry.name), argv


def _wait_for_none(cache: Path, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := _processes(cache)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except OSError:
        pass


def test_a_command_that_went_away_gets_nothing_written_back(cache, tmp_path):
    from docgen.convert.warm import connect
    from test_convert import make_docx

    gone, kept = tmp_path / ".docgen-pdf-gone", tmp_path / ".docgen-pdf-kept"
    sources = [make_docx(gone / f"letter{n}.docx", f"Gannet {n}") for n in range(4)]
    conn = connect(idle=60)
    request = {"convert": [[str(s), str(gone / f"{s.stem}.pdf")] for s in sources], "pdfa": False}
    conn.sendall((json.dumps(request) + "\n").encode())
    conn.close()  # as on Ctrl-C: the command stops listening and removes its work folder
    shutil.rmtree(gone)
    later = make_docx(kept / "later.docx", "Puffin")
    with connect(idle=60) as again:
        again.sendall((json.dumps({"convert": [[str(later), str(kept / "later.pdf")]]}) + "\n").encode())
        answer = json.loads(again.makefile().readline())
    time.sleep(5)  # any document of the first request still in LibreOffice's hands has finished

    assert answer["ok"] and "Puffin" in pdf_text(kept / "later.pdf")
    assert not gone.exists()  # the service made no folder, and put no PDF, where the command was
