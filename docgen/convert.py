"""Convert DOCX to PDF with warm LibreOffice workers.

A :class:`Converter` keeps one LibreOffice user profile per worker for its whole life and hands
each worker many documents per ``soffice --convert-to`` call, so a batch pays LibreOffice's
start-up a handful of times rather than once per document. Workers run in parallel threads,
each driving its own ``soffice`` process.

A worker watches its process: when no document finishes within ``timeout`` seconds, the process
is killed. The document it was on is retried once on its own in a fresh process, then reported
failed; the documents after it go on in another process, so none of them is lost.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from docgen.atomic import private_folder, refuse_link
from docgen.exceptions import ConvertError, OutputError

log = logging.getLogger(__name__)

INSTALL_HINT = (
    "LibreOffice (soffice) was not found; install it with: apt-get install -y "
    "--no-install-recommends libreoffice-writer-nogui fonts-liberation2 fonts-crosextra-carlito"
)
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class ConversionResult:
    """The outcome of converting one document; ``error`` names the file when ``ok`` is false."""

    source: Path
    target: Path
    ok: bool
    error: str | None = None
    attempts: int = 1
    error_kind: str | None = None  # "convert" or "output", as DocgenError.kind

    def raise_for_error(self) -> None:
        """Raise the DocgenError this failed result stands for; do nothing when it succeeded."""
        if self.ok:
            return
        if self.error_kind == OutputError.kind:
            raise OutputError(self.error or "The PDF could not be written.")
        raise ConvertError(self.error or "The document could not be converted.")


@dataclass(frozen=True)
class _Item:
    index: int
    source: Path
    target: Path


@dataclass(frozen=True)
class _Run:
    """What one soffice invocation did: which items it finished, and how it ended."""

    done: set[int]
    failed_writes: dict[int, str]
    killed: bool
    returncode: int | None


def find_soffice(soffice: str | None = None) -> str:
    """Return the path of the LibreOffice binary, or raise ConvertError saying how to install it."""
    candidates = [soffice] if soffice else ["soffice", "libreoffice"]
    for name in candidates:
        found = shutil.which(name)
        if found:
            return found
    raise ConvertError(INSTALL_HINT)


def export_filter(pdfa: bool) -> str:
    """The ``--convert-to`` argument: tagged PDF, all fonts embedded, PDF/A-2b when asked."""
    options: dict[str, dict[str, str]] = {
        "UseTaggedPDF": {"type": "boolean", "value": "true"},
        "EmbedStandardFonts": {"type": "boolean", "value": "true"},
    }
    if pdfa:
        options["SelectPdfVersion"] = {"type": "long", "value": "2"}
    return "pdf:writer_pdf_Export:" + json.dumps(options, separators=(",", ":"))


class Converter:
    """Warm LibreOffice workers converting DOCX files to PDF; use it as a context manager.

    Example::

        with Converter(jobs=2, pdfa=True) as converter:
            results = converter.convert_many([(Path("a.docx"), Path("out/a.pdf"))])
    """

    def __init__(
        self,
        jobs: int | None = None,
        timeout: float = 60.0,
        pdfa: bool = False,
        soffice: str | None = None,
    ) -> None:
        self.soffice = find_soffice(soffice)
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        self.timeout = timeout
        self.pdfa = pdfa
        self._filter = export_filter(pdfa)
        self._workdir: Path | None = None
        self._slots: queue.Queue[int] = queue.Queue()
        self._running: set[subprocess.Popen] = set()
        self._lock = threading.Lock()
        self._counter = 0

    def __enter__(self) -> Converter:
        self._start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _start(self) -> Path:
        with self._lock:
            if self._workdir is None:
                self._workdir = Path(tempfile.mkdtemp(prefix="docgen-soffice-"))
                for slot in range(self.jobs):
                    self._slots.put(slot)
            return self._workdir

    def close(self) -> None:
        """Stop any LibreOffice process still running and remove the worker profiles."""
        with self._lock:
            for proc in list(self._running):
                _kill(proc)
            workdir, self._workdir = self._workdir, None
            self._slots = queue.Queue()
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)

    def convert(self, docx: Path, pdf: Path) -> Path:
        """Convert one document; raise ConvertError (or OutputError) naming it if that fails."""
        result = self.convert_many([(Path(docx), Path(pdf))])[0]
        result.raise_for_error()
        return result.target

    def convert_many(self, jobs: list[tuple[Path, Path]]) -> list[ConversionResult]:
        """Convert each (docx, pdf target) pair; one result per pair, in the order given."""
        items = [_Item(i, Path(src), Path(dst)) for i, (src, dst) in enumerate(jobs)]
        results: dict[int, ConversionResult] = {}
        runnable = []
        for item in items:
            if item.source.is_file():
                runnable.append(item)
            else:
                results[item.index] = _failed(item, "the file was not found", attempts=0)
        if runnable:
            self._start()
            workers = min(self.jobs, len(runnable))
            log.debug("converting %d documents on %d workers", len(runnable), workers)
            chunks = [runnable[w::workers] for w in range(workers)]
            with ThreadPoolExecutor(max_workers=workers) as pool:
                for chunk_results in pool.map(self._convert_chunk, chunks):
                    results.update(chunk_results)
        return [results[item.index] for item in items]

    def _convert_chunk(self, chunk: list[_Item]) -> dict[int, ConversionResult]:
        slot = self._slots.get()
        try:
            return self._convert_on_slot(slot, chunk)
        finally:
            self._slots.put(slot)

    def _convert_on_slot(self, slot: int, chunk: list[_Item]) -> dict[int, ConversionResult]:
        results: dict[int, ConversionResult] = {}
        pending = chunk
        while pending:
            run = self._invoke(slot, pending)
            _collect(results, pending, run, attempts=1)
            missing = [item for item in pending if item.index not in results]
            if not missing:
                break
            # soffice converts in argument order, so the first missing document is the one
            # it hung or crashed on; the ones after it were never reached.
            suspect, pending = missing[0], missing[1:]
            log.debug("retrying %s alone after %s", suspect.source.name, _how_it_ended(run))
            retry = self._invoke(slot, [suspect])
            _collect(results, [suspect], retry, attempts=2)
            if suspect.index not in results:
                reason = _how_it_ended(retry, self.timeout)
                results[suspect.index] = _failed(suspect, f"{reason} (tried twice)", attempts=2)
        return results

    def _invoke(self, slot: int, items: list[_Item]) -> _Run:
        workdir = self._start()
        with self._lock:
            self._counter += 1
            run_dir = workdir / f"run{self._counter}"
        in_dir, out_dir = run_dir / "in", run_dir / "out"
        # Copies with numbered names: two sources called letter.docx cannot collide, and an
        # odd file name never reaches the command line.
        inputs = []
        try:
            in_dir.mkdir(parents=True)
            out_dir.mkdir()
            for item in items:
                staged = in_dir / f"{item.index:06d}{item.source.suffix.lower()}"
                shutil.copyfile(item.source, staged)
                inputs.append(str(staged))
        except OSError as e:
            shutil.rmtree(run_dir, ignore_errors=True)
            message = f"Could not stage documents for LibreOffice in {workdir} ({e.strerror})."
            raise ConvertError(message) from e
        profile = (workdir / f"profile{slot}").as_uri()
        command = [
            self.soffice, f"-env:UserInstallation={profile}", "--headless", "--invisible",
            "--nologo", "--norestore", "--nodefault", "--nolockcheck",
            "--convert-to", self._filter, "--outdir", str(out_dir), *inputs,
        ]  # fmt: skip
        try:
            killed, returncode = self._watch(command, out_dir)
            done, failed_writes = set(), {}
            for item in items:
                produced = out_dir / f"{item.index:06d}.pdf"
                if not _looks_complete(produced):
                    continue
                try:
                    _move_atomically(produced, item.target)
                    done.add(item.index)
                except OSError as e:
                    failed_writes[item.index] = f"{item.target}: {e.strerror}"
                except OutputError as e:  # a link in place of the PDF, or no folder for it
                    failed_writes[item.index] = f"{item.target}: {e.message}"
            return _Run(done, failed_writes, killed, returncode)
        finally:
            shutil.rmtree(run_dir, ignore_errors=True)

    def _watch(self, command: list[str], out_dir: Path) -> tuple[bool, int | None]:
        """Run soffice; kill it when nothing new appears for ``timeout`` seconds."""
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        with self._lock:
            self._running.add(proc)
        try:
            seen, last_progress = 0, time.monotonic()
            while proc.poll() is None:
                count = sum(1 for _ in os.scandir(out_dir))
                now = time.monotonic()
                if count != seen:
                    seen, last_progress = count, now
                elif now - last_progress > self.timeout:
                    _kill(proc)
                    return True, proc.returncode
                time.sleep(POLL_SECONDS)
            return False, proc.returncode
        finally:
            _kill(proc)  # reaps anything soffice left behind in its process group
            with self._lock:
                self._running.discard(proc)


def _collect(
    results: dict[int, ConversionResult], items: list[_Item], run: _Run, attempts: int
) -> None:
    for item in items:
        if item.index in run.done:
            results[item.index] = ConversionResult(item.source, item.target, True, None, attempts)
        elif item.index in run.failed_writes:
            reason = run.failed_writes[item.index]
            message = f"Could not write the PDF of {item.source.name}: {reason}."
            results[item.index] = ConversionResult(
                item.source, item.target, False, message, attempts, OutputError.kind
            )


def _failed(item: _Item, reason: str, attempts: int) -> ConversionResult:
    message = f"Could not convert {item.source.name}: {reason}."
    return ConversionResult(item.source, item.target, False, message, attempts, ConvertError.kind)


def _how_it_ended(run: _Run, timeout: float | None = None) -> str:
    if run.killed:
        seconds = f" for {timeout:g} s" if timeout is not None else ""
        return f"LibreOffice stopped responding{seconds} and was killed"
    if run.returncode:
        return f"LibreOffice exited with code {run.returncode} while converting it"
    return "LibreOffice did not produce a PDF"


def _looks_complete(pdf: Path) -> bool:
    """True when ``pdf`` has a PDF header and an end-of-file marker (not cut off mid-write)."""
    try:
        with pdf.open("rb") as f:
            head = f.read(5)
            f.seek(max(0, pdf.stat().st_size - 1024))
            tail = f.read()
    except OSError:
        return False
    return head == b"%PDF-" and b"%%EOF" in tail


def _move_atomically(produced: Path, target: Path) -> None:
    """Copy ``produced`` to a temporary file beside ``target``, then rename it into place."""
    private_folder(target.parent)
    refuse_link(target)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, produced.open("rb") as src:
            shutil.copyfileobj(src, out)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
