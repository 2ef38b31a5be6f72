"""Running a batch: many bundles, several documents each, in parallel, safe to run again.

    from docgen.batch import BatchOptions, run_batch
    summary = run_batch(BatchOptions(Path("cases/"), Path("out/"), fmt="both"))
    print(summary.exit_code, summary.issued, summary.failed_documents)

The main process reads bundles one at a time, sends them in chunks to workers (local processes
or a Dask cluster) with at most ``capacity * 2`` chunks in flight, and alone writes what comes
back: each file atomically (a hidden ``.docgen-*.part`` renamed into place), then the file's row
in the register, then the manifest. A bundle or document that fails is reported in the failures
report and costs only itself. Files are not flushed to disk one by one (that would halve the
speed); the run syncs once at the end. After a power cut mid-run a file may be empty, and the
next run sees that its hash no longer matches the register and makes it again.

Running it again skips every document whose bundle content, template version and hash, and
authority profile are unchanged and whose file is still there with the hash the register
recorded; ``force`` makes them again. A batch killed at any point (even by SIGKILL) leaves only
whole files, and the next run, after removing stale temporary files, finishes the rest. Ctrl-C
stops between bundles, so files, register and manifest agree.

Exit codes (:attr:`BatchSummary.exit_code`):

* 0 - every document was issued, or had been issued before;
* 3 (``EXIT_PARTIAL``) - some bundles or documents failed, and at least one document was
  issued (with ``check``: rendered);
* when nothing at all could be issued, the exit code every failure shares: 1 when every bundle
  was invalid, 4 when templates are missing or need fields, 5 when LibreOffice failed, 6 when
  nothing could be written; 1 when the failures differ.

Errors that stop the whole batch raise :class:`~docgen.exceptions.DocgenError`: an unreadable
input, an empty folder, an unreachable Dask scheduler or one reached without TLS from another
machine (2), an unknown ``--doc`` id (4), LibreOffice missing for PDF (5), an output folder that
cannot be written, is in use by another batch or has a link planted in it (6), local worker
processes that keep dying (3, after the documents already written).
"""

from __future__ import annotations

import fcntl
import hashlib
import itertools
import logging
import math
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from docgen.batch.executors import ClusterTLS, DaskExecutor, LocalExecutor
from docgen.batch.inputs import BatchInput, BundleText, Failure, content_hash
from docgen.batch.progress import Progress
from docgen.batch.report import RunReport
from docgen.batch.templateset import UNPACKED_PREFIX, pack, unpack_into
from docgen.batch.workers import BundleResult, DocumentResult, Settings, Task
from docgen.exceptions import EXIT_INVALID, EXIT_OK, EXIT_PARTIAL, OutputError, TemplateNotFound
from docgen.atomic import open_private, private_folder, write_atomic
from docgen.output import prepare_folder, target_in
from docgen.register import STATE_FOLDER, Issue, Register, default_path, new_run_id, now
from docgen.registry import Registry

log = logging.getLogger("docgen.batch")

FORMATS = {"docx": ("docx",), "pdf": ("pdf",), "both": ("docx", "pdf")}
RUNS_FOLDER = "runs"
LOCK_FILE = "batch.lock"
# The most bundles a chunk sent to a worker holds (chunks shrink towards the run's end).
CHUNK = {"docx": 8, "pdf": 4}


@dataclass
class BatchOptions:
    """What to run: ``input`` (folder or JSON Lines file) into ``out_dir`` (None with check)."""

    input: Path
    out_dir: Path | None
    fmt: str = "docx"  # docx, pdf or both
    doc_ids: tuple[str, ...] = ()
    jobs: int | None = None  # worker processes; default: one per core
    check: bool = False  # dry run: validate and render everything, write nothing
    force: bool = False  # make every document again, even when already issued
    strict: bool = False  # policy warnings fail a bundle
    register: Path | None = None  # default: $DOCGEN_REGISTER, else <out>/.docgen/register.sqlite3
    scheduler: str | None = None  # a Dask scheduler address; default: local processes
    tls: ClusterTLS | None = None  # certificates for a tls:// scheduler; insecure for plain tcp:// off this machine
    templates: Path | None = None
    pdfa: bool = False  # PDF/A-2b
    password: str | None = None  # encrypt PDFs with AES-256 (PDF output only, not with pdfa)
    today: date | None = None
    chunk_size: int | None = None
    pdf_timeout: float = 60.0
    scheduler_timeout: float = 30.0  # seconds to reach the scheduler and see a worker
    progress: bool = True  # show progress on standard error


@dataclass
class BatchSummary:
    """What a run did; ``exit_code`` says how it went (see the module's docstring)."""

    run_id: str
    checked: bool = False
    out_dir: Path | None = None
    bundles: int = 0
    failed_bundles: int = 0  # failed as a whole: unreadable, invalid, or a duplicate case
    documents: int = 0  # documents (one per recipient) attempted in valid bundles
    issued: int = 0  # made by this run (with check: rendered)
    skipped: int = 0  # issued before from the same bundle and template, file unchanged
    failed_documents: int = 0
    files: int = 0  # files written
    replaced: int = 0  # files already in the folder, not issued by docgen, that this run replaced
    seconds: float = 0.0
    reports: dict[str, Path] = field(default_factory=dict)
    failures: list[dict] = field(default_factory=list)
    interrupted: bool = False
    template_set: str = ""  # the fingerprint of the templates every document was made from

    @property
    def exit_code(self) -> int:
        if not self.failures:
            return EXIT_OK
        if self.issued or self.skipped:
            return EXIT_PARTIAL
        codes = {f["exit_code"] for f in self.failures}
        return codes.pop() if len(codes) == 1 else EXIT_INVALID

    @property
    def rate(self) -> float:
        return self.issued / self.seconds if self.seconds else 0.0

    def to_dict(self) -> dict:
        return {
            "run_id": self.run_id,
            "check": self.checked,
            "out_dir": str(self.out_dir) if self.out_dir else None,
            "bundles": self.bundles,
            "failed_bundles": self.failed_bundles,
            "documents": self.documents,
            "issued": self.issued,
            "skipped": self.skipped,
            "failed_documents": self.failed_documents,
            "files": self.files,
            "replaced": self.replaced,
            "seconds": round(self.seconds, 3),
            "documents_per_second": round(self.rate, 1),
            "exit_code": self.exit_code,
            "template_set": self.template_set,
            "reports": {name: str(path) for name, path in self.reports.items()},
            "failures": self.failures,
        }


def run_batch(options: BatchOptions, *, on_result: Callable[[BundleResult], None] | None = None) -> BatchSummary:
    """Run a batch; ``on_result`` is called in the main process after each bundle is recorded.

    Local workers start from a clean process (multiprocessing's ``forkserver``), so a script
    calling this must guard its entry point with ``if __name__ == "__main__":``.
    """
    return _Run(options, on_result).run()


class _Run:
    def __init__(self, options: BatchOptions, on_result) -> None:
        if options.fmt not in FORMATS:
            raise ValueError(f"unknown format {options.fmt!r}")
        if not options.check and options.out_dir is None:
            raise ValueError("out_dir is required unless check is set")
        self.options = options
        self.formats = FORMATS[options.fmt]
        self.on_result = on_result
        self.summary = BatchSummary(new_run_id(), checked=options.check)
        self.out_dir: Path | None = None
        self.register: Register | None = None
        self.report: RunReport | None = None
        self._taken: set[str] = set()  # file names written or kept by this run
        self._cases: dict[str, str] = {}  # case reference -> the bundle that gave it first
        self._pending: dict[int, tuple[BundleText, str | None, dict]] = {}
        self._failures: list[tuple[int, int, dict]] = []  # (bundle index, arrival, row)
        self._told: set[str] = set()  # template errors printed in full; repeats are one short line
        self._recording = self._interrupt_pending = False
        self._templates_copy: Path | None = None  # the run's templates, for local workers

    # -- the run ----------------------------------------------------------------------------------
    def run(self) -> BatchSummary:
        options = self.options
        source = BatchInput(options.input)
        registry = Registry(options.templates)
        known = registry.document_ids()
        for doc_id in options.doc_ids:
            if doc_id not in known:
                raise TemplateNotFound(f"No template for document '{doc_id}'. Known: {', '.join(known)}.")
        started = time.monotonic()
        # No LibreOffice, or no scheduler: stop before touching the output.
        self._start_executor(registry.root)
        lock = None
        previous_handler = _handle_sigint(self._on_sigint)
        try:
            if not options.check:
                lock = self._open_output()
            total = source.count()
            largest = CHUNK["pdf" if "pdf" in self.formats else "docx"]
            sizes = [options.chunk_size] if options.chunk_size else _shrinking_sizes(total, self.executor.capacity, largest)
            with Progress(total, enabled=options.progress) as self.progress:
                self._feed(_chunks(self._tasks(source), sizes))
        except KeyboardInterrupt:
            self.summary.interrupted = True
            raise
        finally:
            _handle_sigint(previous_handler)
            self.executor.close(cancel=self.summary.interrupted)
            if self._templates_copy is not None:
                shutil.rmtree(self._templates_copy, ignore_errors=True)
            self.summary.seconds = time.monotonic() - started
            self._close(lock)
        return self.summary

    def _on_sigint(self, signum, frame) -> None:
        """Ctrl-C: stop now, unless a bundle is being recorded; then right after it."""
        if self._recording:
            self._interrupt_pending = True
        else:
            raise KeyboardInterrupt

    def _open_output(self):
        out_dir = prepare_folder(Path(self.options.out_dir))
        state = private_folder(out_dir / STATE_FOLDER, own=True)
        private_folder(out_dir / RUNS_FOLDER, own=True)  # a link planted here stops the run before it starts
        lock = os.fdopen(open_private(state / LOCK_FILE, os.O_WRONLY), "w")  # held for the whole run
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            lock.close()
            raise OutputError("Another batch is writing to this folder; wait for it to finish.",
                              source=str(out_dir)) from e  # fmt: skip
        self.out_dir = self.summary.out_dir = out_dir.resolve()
        removed = clean_stale(self.out_dir)
        if removed:
            log.info("removed %d unfinished temporary files of an earlier run", removed)
        self.register = Register(self.options.register or default_path(self.out_dir))
        self.register.start_run(
            self.summary.run_id,
            input=str(self.options.input),
            out_dir=str(self.out_dir),
            formats=",".join(self.formats),
        )
        self.report = RunReport(self.out_dir / RUNS_FOLDER / self.summary.run_id)
        return lock

    def _start_executor(self, templates: Path) -> None:
        options = self.options
        if "pdf" in self.formats and not options.check:
            from docgen.convert import find_soffice

            find_soffice()  # LibreOffice missing stops the batch before it starts
        shipped = pack(templates)  # one template set for the whole run, on every worker
        self.summary.template_set = shipped.sha256
        local_copy = None
        if not options.scheduler:  # local workers share a copy of the run's own, removed at the end
            self._templates_copy = Path(tempfile.mkdtemp(prefix=UNPACKED_PREFIX))
            local_copy = unpack_into(shipped, self._templates_copy)
        settings = Settings(
            templates=str(local_copy) if local_copy else None,
            today=options.today,
            formats=self.formats,
            doc_ids=tuple(options.doc_ids),
            strict=options.strict,
            dry_run=options.check,
            pdf_timeout=options.pdf_timeout,
            pdfa=options.pdfa,
            password=options.password,
            template_set=self.summary.template_set,
        )
        if options.scheduler:
            self.executor = DaskExecutor(settings, options.scheduler, self.summary.run_id, shipped,
                                         tls=options.tls, wait_seconds=options.scheduler_timeout)  # fmt: skip
        else:
            self.executor = LocalExecutor(settings, options.jobs or os.cpu_count() or 1)

    def _feed(self, chunks: Iterator[list[Task]]) -> None:
        limit = self.executor.capacity * 2
        for chunk in chunks:
            while len(self.executor) >= limit:
                self._collect()
            self.executor.submit(chunk)
        while len(self.executor):
            self._collect()

    def _collect(self) -> None:
        chunk, results = self.executor.next_done()
        if isinstance(results, BaseException):
            reason = f"The worker running this bundle failed ({type(results).__name__}: {results})."
            results = [
                BundleResult(t.bundle.index, t.bundle.file, t.bundle.line, t.bundle_sha256,
                             error=Failure("worker", reason, EXIT_INVALID))  # fmt: skip
                for t in chunk
            ]
        for result in results:
            self._record(result)

    def _tasks(self, source: BatchInput) -> Iterator[Task]:
        """Tasks for the bundles still to do; duplicates of a case are failed here, in input order."""
        for text in source:
            self.summary.bundles += 1
            if text.error:
                sha, reference, previous = "", None, {}
            else:
                sha, reference = content_hash(text.text)
                first = self._cases.get(reference) if reference else None
                if first:
                    message = f"The case {reference} is also in {first}; a batch takes each case once."
                    self._fail_bundle(text, reference, Failure("duplicate-case", message, EXIT_INVALID))
                    continue
                if reference:
                    self._cases[reference] = text.label
                previous = self._still_issued(sha)
            self._pending[text.index] = (replace(text, text=None), reference, previous)
            yield Task(text, sha, frozenset(_skippable(previous, self.formats)))

    def _still_issued(self, bundle_sha: str) -> dict[tuple[str, str, str], Issue]:
        """Issues of this bundle content whose file is still in the output folder, unchanged."""
        if self.options.force or self.register is None:
            return {}
        kept = {}
        for key, issue in self.register.latest_for_bundle(bundle_sha).items():
            path = Path(issue.output_path)
            in_place = (path.parent == self.out_dir and not path.is_symlink()
                        and _file_sha256(path) == issue.output_sha256)  # fmt: skip
            if issue.format in self.formats and in_place and self._same_kind(issue, path):
                kept[key] = issue
        return kept

    def _same_kind(self, issue: Issue, path: Path) -> bool:
        """Whether a PDF issued before is the kind asked for now: a run with a password must not
        keep an open PDF (nor a run with --pdfa a plain one), and the other way round."""
        if issue.format != "pdf":
            return True
        from pypdf import PdfReader  # here: only a re-run over PDFs already issued reads one

        try:
            reader = PdfReader(path)
            encrypted = reader.is_encrypted
            archival = not encrypted and b"pdfaid" in (reader.xmp_metadata.stream.get_data()
                                                         if reader.xmp_metadata else b"")  # fmt: skip
        except Exception:  # an unreadable file is made again  # noqa: BLE001
            return False
        return encrypted == bool(self.options.password) and archival == self.options.pdfa

    # -- recording what comes back ------------------------------------------------------------------
    def _record(self, result: BundleResult) -> None:
        """Write a bundle's files, then its register rows and manifest lines, as one step."""
        self._recording = True
        try:
            self._record_bundle(result)
        finally:
            self._recording = False
        if self._interrupt_pending:
            raise KeyboardInterrupt

    def _record_bundle(self, result: BundleResult) -> None:
        if result.index not in self._pending:  # a retried task answering twice: keep the first
            log.debug("ignored a second result for bundle %d", result.index)
            return
        text, reference, previous = self._pending.pop(result.index)
        case = result.case_reference or reference
        if result.error:
            self._fail_bundle(text, case, result.error)
            self._notify(result)
            return
        issues: list[Issue] = []
        made = failed = 0
        for document in result.documents:
            self.summary.documents += 1
            if document.error:
                self._fail(text, case, document, document.error)
                self.summary.failed_documents += 1
                failed += 1
            elif document.skipped:
                self._keep(document, previous)
                made += 1
            else:
                written, errors = self._write(result, document)
                issues.extend(written)
                for error in errors:
                    self._fail(text, case, document, error)
                if errors:
                    self.summary.failed_documents += 1
                    failed += 1
                else:
                    made += 1
        if self.register is not None:
            self.register.record(issues)  # after the files are in place, in one transaction
        for issue in issues:
            self._manifest(issue, "issued")
        self.progress.advance(made, failed)
        self._notify(result)

    def _write(self, result: BundleResult, document: DocumentResult) -> tuple[list[Issue], list[Failure]]:
        if self.options.check:
            self.summary.issued += 1
            return [], []
        issues, errors = [], []
        for fmt in self.formats:
            name = f"{document.stem}.{fmt}"
            try:
                if name in self._taken:
                    raise OutputError(f"Two documents would both be named {name}.", source=str(self.out_dir))
                content = document.files[fmt]
                target = target_in(self.out_dir, name)
                self._warn_if_foreign(target, result.case_reference)
                write_atomic(target, content, durable=False)
            except OutputError as e:
                errors.append(Failure.of(e))
                continue
            self._taken.add(name)
            self.summary.files += 1
            issues.append(Issue(
                run_id=self.summary.run_id,
                case_reference=result.case_reference,
                document=document.document,
                recipient=document.recipient,
                format=fmt,
                template=document.template,
                template_version=document.template_version,
                template_sha256=document.template_sha256,
                profile_sha256=document.profile_sha256,
                bundle_sha256=result.bundle_sha256,
                output_path=str(target),
                output_sha256=hashlib.sha256(content).hexdigest(),
                pages=document.pages,
                issued_at=now(),
            ))  # fmt: skip
            log.debug("[%s] wrote %s", result.case_reference, name)
        if not errors:
            self.summary.issued += 1
        return issues, errors

    def _warn_if_foreign(self, target: Path, case: str | None) -> None:
        """Say so before replacing a file the register does not know (a form, a hand-edited
        letter, another tool's file); re-issuing docgen's own files is what a batch is for."""
        if target.exists() and not self.register.knows(str(target), _file_sha256(target)):
            self.summary.replaced += 1
            self.progress.note(f"Warning: [{case}] replaced {target}, which the register does not list as issued.")

    def _keep(self, document: DocumentResult, previous: dict) -> None:
        self.summary.skipped += 1
        for fmt in self.formats:
            issue = previous[(document.document, document.recipient, fmt)]
            self._taken.add(Path(issue.output_path).name)
            self._manifest(issue, "skipped")

    def _manifest(self, issue: Issue, status: str) -> None:
        if self.report is not None:
            row = issue.to_dict()
            self.report.manifest.add(dict(row, status=status, sha256=issue.output_sha256,
                                          template_set=self.summary.template_set))  # fmt: skip

    def _fail_bundle(self, text: BundleText, case: str | None, failure: Failure) -> None:
        self.summary.failed_bundles += 1
        self._fail(text, case, None, failure)
        self.progress.advance(0, 1)

    def _fail(self, text: BundleText, case: str | None, document: DocumentResult | None, failure: Failure) -> None:
        row = {
            "file": text.file,
            "line": text.line,
            "case_reference": case,
            "document": document.document if document else None,
            "recipient": (document.recipient or None) if document else None,
            "error": failure.kind,
            "message": failure.message,
            "exit_code": failure.exit_code,
        }
        self._failures.append((text.index, len(self._failures), row))
        where = text.label + (f" [{case}]" if case else "")
        if document:
            where += f" {document.document}" + (f" for {document.recipient}" if document.recipient else "")
        if failure.kind == "template-fault" and failure.message in self._told:
            self.progress.note(f"Error: {where}: the template error above")  # told in full once
            return
        self._told.add(failure.message)
        self.progress.note(f"Error: {where}: {failure.message}")

    def _notify(self, result: BundleResult) -> None:
        if self.on_result is not None:
            self.on_result(result)

    def _close(self, lock) -> None:
        if self.summary.files:
            os.sync()  # files were not flushed one by one; a finished run is on disk
        # Results arrive in any order; failures are reported in input order.
        self.summary.failures = [row for _, _, row in sorted(self._failures, key=lambda f: f[:2])]
        if self.report is not None:
            for row in self.summary.failures:
                self.report.failures.add(row)
            self.summary.reports = self.report.close()
        if self.register is not None:
            status = "interrupted" if self.summary.interrupted else "finished"
            self.register.finish_run(
                self.summary.run_id,
                status=status,
                issued=self.summary.issued,
                skipped=self.summary.skipped,
                failed=len(self.summary.failures),
            )
            self.register.close()
        if lock is not None:
            clean_stale(self.out_dir)  # a temporary file an interruption left half-written
            lock.close()


def _handle_sigint(handler):
    """Install ``handler`` for SIGINT and return the one it replaces (main thread only)."""
    if handler is None or threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGINT, handler)


def clean_stale(out_dir: Path) -> int:
    """Remove temporary files an interrupted run left in ``out_dir`` (and its run folders), and
    the run folders a killed run left with no report in them."""
    removed = 0
    runs = out_dir / RUNS_FOLDER  # links planted in the folder are not followed, even to delete
    run_folders = [] if runs.is_symlink() else [p for p in runs.glob("*") if p.is_dir() and not p.is_symlink()]
    places = [out_dir, *run_folders]
    for folder in places:
        for temp in folder.glob(".docgen-*.part"):
            temp.unlink(missing_ok=True)
            removed += 1
    for folder in run_folders:
        if not any(folder.iterdir()):
            folder.rmdir()
            removed += 1
    for work in out_dir.glob(".docgen-pdf-*"):
        if work.is_dir() and not work.is_symlink():
            shutil.rmtree(work, ignore_errors=True)
            removed += 1
    return removed


def _skippable(previous: dict, formats: tuple[str, ...]) -> set[tuple[str, ...]]:
    """(document, recipient, template version and sha, profile sha) still issued in every format."""
    by_document: dict[tuple[str, ...], set[str]] = {}
    for (doc_id, recipient, fmt), issue in previous.items():
        key = (doc_id, recipient, issue.template_version, issue.template_sha256, issue.profile_sha256)
        by_document.setdefault(key, set()).add(fmt)
    return {key for key, fmts in by_document.items() if fmts.issuperset(formats)}


def _chunks(tasks: Iterator[Task], sizes: Iterable[int]) -> Iterator[list[Task]]:
    """``tasks`` in chunks of the ``sizes`` given in turn, the last size repeated."""
    size = 1
    sizes = iter(sizes)
    while True:
        size = next(sizes, size)
        chunk = list(itertools.islice(tasks, size))
        if not chunk:
            return
        yield chunk


def _shrinking_sizes(total: int, workers: int, largest: int) -> Iterator[int]:
    """Chunk sizes for ``total`` bundles on ``workers``: up to ``largest`` while much is left,
    then smaller, down to one bundle a chunk at the end ("guided" scheduling). With equal
    chunks, a worker handed the last long chunk (a dozen bundles' PDFs, many seconds) kept its
    LibreOffice busy while the others sat idle; small chunks at the end finish together."""
    remaining = total
    while remaining > 0:
        size = max(1, min(largest, math.ceil(remaining / (workers * 4))))
        remaining -= size
        yield size


def _file_sha256(path: Path) -> str | None:
    try:
        with path.open("rb") as stream:
            return hashlib.file_digest(stream, "sha256").hexdigest()
    except OSError:
        return None
