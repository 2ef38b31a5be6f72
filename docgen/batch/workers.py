"""The work done away from the main process: validate, render and convert a chunk of bundles.

:func:`render_chunk` is pure: it reads the bundles' text it is given and the templates, writes
nothing but its own temporary files, and returns the documents' bytes. Running it twice gives
the same documents, so a scheduler may retry it (Dask does when a worker is lost) and the main
process, which alone writes outputs and the register, keeps one copy.

Each worker process (or Dask worker thread) builds one :class:`~docgen.pipeline.Pipeline`, so
templates are parsed once per worker, and, for PDF, one warm LibreOffice
:class:`~docgen.convert.Converter` that lives as long as the worker.
"""

from __future__ import annotations

import atexit
import io
import logging
import os
import re
import select
import signal
import socket
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from multiprocessing import util as mp_util
from pathlib import Path

from docgen.batch.inputs import BundleText, Failure
from docgen.batch.templateset import TemplateSet, unpack, verify
from docgen.bundle.load import parse
from docgen.exceptions import EXIT_INVALID, DocgenError
from docgen.pipeline import Pipeline, Rendered
from docgen.registry import Registry
from docgen.registry.profiles import PROFILE_FILE
from docgen.render.engine import time_budget
from docgen.view.recipients import recipients_for
from docgen.validate import validate

log = logging.getLogger("docgen.batch")

_JSONL_POSITION = re.compile(r"^Malformed JSON at line 1, column (\d+)")
_HOST = socket.gethostname()


def _this_worker() -> str:
    """``host:pid`` of the process running now. Asked for each result, never kept from import:
    this module is imported once in multiprocessing's process server (``forkserver``) and every
    local worker is forked from it, so a name kept from import would be the server's pid."""
    return f"{_HOST}:{os.getpid()}"


@dataclass(frozen=True)
class Settings:
    """What every task of a run shares; a worker keeps its pipeline while these stay the same."""

    templates: str | None
    today: date | None
    formats: tuple[str, ...]  # ("docx",), ("pdf",) or ("docx", "pdf")
    doc_ids: tuple[str, ...] = ()  # empty: the bundle's documents_requested, else all
    strict: bool = False
    dry_run: bool = False  # render to check, return no bytes, convert nothing
    pdf_timeout: float = 60.0
    pdfa: bool = False
    password: str | None = field(default=None, repr=False)  # AES-256 for PDFs; kept out of logs
    template_set: str = ""  # the fingerprint of the run's templates; a worker with others refuses


@dataclass(frozen=True)
class Task:
    """One bundle to render, and the documents already issued from this very content."""

    bundle: BundleText
    bundle_sha256: str
    # (document, recipient, template version, template sha256, profile sha256) issued in every
    # format asked, whose file is still in place: these are not rendered again.
    skip: frozenset[tuple[str, str, str, str, str]] = frozenset()


@dataclass
class DocumentResult:
    """One document for one recipient: its files' bytes by format, or why it failed."""

    document: str
    recipient: str  # the recipient's slug (``family-mum``), '' for a single document
    template: str  # origin/document, e.g. ``default/outcome-letter``
    template_version: str
    template_sha256: str
    profile_sha256: str  # the authority profile's authority.toml and its logo
    stem: str
    files: dict[str, bytes] = field(default_factory=dict)
    pages: int | None = None  # of the PDF, when one was made
    error: Failure | None = None
    skipped: bool = False  # already issued from the same bundle and template


@dataclass
class BundleResult:
    """What became of one bundle: its documents, or the error that stopped all of them."""

    index: int
    file: str
    line: int | None
    bundle_sha256: str
    case_reference: str | None = None
    error: Failure | None = None
    documents: list[DocumentResult] = field(default_factory=list)
    worker: str = field(default_factory=_this_worker)  # host:pid of the process that rendered it


def render_chunk(settings: Settings, tasks: list[Task], shipped: TemplateSet | None = None) -> list[BundleResult]:
    """Validate and render each task's bundle (and convert, for PDF); one result per task.

    ``shipped`` is the run's templates sent by the batch (to Dask workers): rendered from
    instead of any templates folder of the worker's own."""
    return _state(settings, shipped).run(tasks)


def init_worker(settings: Settings, batch_pid: int | None = None) -> None:
    """Initializer of a local worker process: end with the batch, build the pipeline now.

    Ctrl-C reaches every process of the terminal's group; only the batch process acts on it
    (it lets the chunks in hand finish and closes its reports), so workers ignore it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if batch_pid is not None:
        _exit_with(batch_pid)
    state = _state(settings)
    if state.converts:  # LibreOffice starts while the first chunk is validated and rendered
        threading.Thread(target=state.warm, name="docgen-warm-up", daemon=True).start()


class _WorkerState:
    def __init__(self, settings: Settings, shipped: TemplateSet | None = None) -> None:
        self.settings = settings
        if shipped is not None:
            registry = Registry(unpack(shipped))
        else:
            registry = Registry(settings.templates) if settings.templates else Registry()
        if settings.template_set:
            verify(registry.root, settings.template_set)
        self.pipeline = Pipeline(registry, today=settings.today)
        self.converts = "pdf" in settings.formats and not settings.dry_run
        self._converter = None
        self._converter_lock = threading.Lock()

    def run(self, tasks: list[Task]) -> list[BundleResult]:
        results = []
        # Each bundle's documents go to LibreOffice as soon as they are rendered, and the next
        # bundle is rendered meanwhile: LibreOffice does not wait for the whole chunk.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="docgen-convert") as converting:
            conversions = []
            for task in tasks:
                with time_budget():  # one limit for the record's documents and copies together
                    result, rendered = self.render(task)
                results.append(result)
                if self.converts and rendered:
                    conversions.append(converting.submit(self.convert, rendered))
            for conversion in conversions:
                conversion.result()
        return results

    def warm(self) -> None:
        """Start the worker's LibreOffice now; a failure is met again, and reported, at its first PDF."""
        try:
            self.converter().warm()
        except DocgenError:
            log.debug("LibreOffice did not start ahead of the first chunk", exc_info=True)

    def render(self, task: Task) -> tuple[BundleResult, list[tuple[DocumentResult, Rendered]]]:
        text = task.bundle
        result = BundleResult(text.index, text.file, text.line, task.bundle_sha256, error=text.error)
        rendered: list[tuple[DocumentResult, Rendered]] = []
        if text.error:
            return result, rendered
        try:
            raw = parse(text.text, text.label)
            bundle = validate(raw, self.pipeline.registry, self.settings.today).raise_for_errors(
                self.settings.strict
            )
            result.case_reference = bundle.reference
            log.debug("[%s] bundle valid (%s)", bundle.reference, text.label)
            profile = self.pipeline.profile_sha256(bundle.authority)
            for doc_id in self.pipeline.document_ids(bundle, list(self.settings.doc_ids)):
                rendered.extend(self._document(bundle, doc_id, profile, task.skip, result.documents))
        except DocgenError as e:
            result.error = _failure(e, text)
        except Exception as e:  # a bug must cost one bundle, not the batch
            log.debug("unexpected error on %s", text.label, exc_info=True)
            message = f"docgen failed unexpectedly on this bundle ({type(e).__name__})."
            result.error = Failure("internal", message, EXIT_INVALID)
        if result.error:
            result.documents, rendered = [], []
        return result, rendered

    def _document(self, bundle, doc_id: str, profile: str, skip, documents: list[DocumentResult]):
        """Render one document for each of its recipients, leaving out those already issued."""
        already = set()
        if skip:
            try:
                template = self.pipeline.registry.resolve(doc_id, bundle.authority)
                slugs = [r.slug if r else "" for r in recipients_for(template, bundle)]
                made_from = (template.version, template.sha256, profile)
                already = {s for s in slugs if (doc_id, s, *made_from) in skip}
                if already and len(already) == len(slugs):
                    documents.extend(_skipped(template, profile, bundle.reference, s) for s in sorted(already))
                    return []
            except DocgenError:
                already = set()  # pipeline.render reports it as the document's error
        pairs = []
        for item in self.pipeline.render(bundle, [doc_id]):
            slug = item.recipient.slug if item.recipient else ""
            if slug in already:
                documents.append(_skipped(item.template, profile, bundle.reference, slug))
                continue
            document = _document_result(item, profile, keep_bytes=not self.settings.dry_run)
            documents.append(document)
            if item.ok:
                pairs.append((document, item))
        return pairs

    def convert(self, pairs: list[tuple[DocumentResult, Rendered]]) -> None:
        """Convert the chunk's documents in one call to the worker's warm LibreOffice."""
        from docgen.pdfout import finish_pdf

        converter = self.converter()
        # Inside the converter's folder, so a killed worker's documents go with its profile.
        with tempfile.TemporaryDirectory(prefix="docgen-batch-", dir=converter.workdir) as work:
            jobs, names = [], set()
            for n, (document, _) in enumerate(pairs):
                name = document.stem if document.stem not in names else f"{document.stem}-{n}"
                names.add(name)
                source = Path(work) / f"{name}.docx"
                source.write_bytes(document.files["docx"])
                jobs.append((source, Path(work) / f"{name}.pdf"))
            for (document, item), outcome in zip(pairs, converter.convert_many(jobs)):
                try:
                    outcome.raise_for_error()  # LibreOffice wrote the PDF's metadata itself
                    if self.settings.password:  # only encryption is left to do
                        finish_pdf(
                            outcome.target,
                            title=item.template.title,
                            author=item.author,
                            subject=f"{item.doc_id} {item.case_reference}",
                            password=self.settings.password,
                        )
                    pdf = outcome.target.read_bytes()
                    document.files["pdf"] = pdf
                    document.pages = outcome.pages or _page_count(pdf, self.settings.password)
                    if "docx" not in self.settings.formats:
                        del document.files["docx"]
                except DocgenError as e:
                    e.case_ref = item.case_reference
                    document.error, document.files = Failure.of(e), {}
                log.debug("[%s] converted %s", item.case_reference, document.stem)

    def converter(self):
        with self._converter_lock:  # the warm-up thread and the first chunk may ask at once
            return self._started_converter()

    def _started_converter(self):
        if self._converter is None:
            from docgen.convert import Converter

            self._converter = Converter(jobs=1, timeout=self.settings.pdf_timeout, pdfa=self.settings.pdfa)
            self._converter.__enter__()
            # Local workers end through multiprocessing's exit hooks, Dask workers through atexit.
            mp_util.Finalize(self, self.close, exitpriority=10)
            atexit.register(self.close)
        return self._converter

    def close(self) -> None:
        if self._converter is not None:
            self._converter.close()
            self._converter = None


_local = threading.local()


def _state(settings: Settings, shipped: TemplateSet | None = None) -> _WorkerState:
    state = getattr(_local, "state", None)
    if state is None or state.settings != settings:
        if state is not None:
            state.close()
        _local.state = None  # a worker that refuses these settings keeps no state from others
        state = _local.state = _WorkerState(settings, shipped)
    return state


def _page_count(pdf: bytes, password: str | None) -> int:
    """The pages of a PDF LibreOffice did not count (converted without the UNO bridge)."""
    from pypdf import PdfReader  # here: with the bridge, a worker never needs it

    return len(PdfReader(io.BytesIO(pdf), password=password).pages)


def _document_result(item: Rendered, profile: str, *, keep_bytes: bool) -> DocumentResult:
    template = item.template
    document = DocumentResult(
        document=item.doc_id,
        recipient=item.recipient.slug if item.recipient else "",
        template=f"{template.origin}/{template.doc_id}" if template.origin else template.doc_id,
        template_version=template.version,
        template_sha256=template.sha256 if template.origin else "",
        profile_sha256=profile,
        stem=item.stem,
    )
    if item.error:
        document.error = Failure.of(item.error)
    elif keep_bytes:
        document.files["docx"] = item.docx
    return document


def _skipped(template, profile: str, case_reference: str, slug: str) -> DocumentResult:
    stem = "_".join(p for p in (case_reference, template.doc_id, slug) if p)
    return DocumentResult(
        document=template.doc_id,
        recipient=slug,
        template=f"{template.origin}/{template.doc_id}",
        template_version=template.version,
        template_sha256=template.sha256,
        profile_sha256=profile,
        stem=stem,
        skipped=True,
    )


def _failure(error: DocgenError, text: BundleText) -> Failure:
    failure = Failure.of(error)
    if text.line is not None:  # a JSON Lines bundle is one line: its column is what helps
        message = _JSONL_POSITION.sub(r"Malformed JSON at column \1", failure.message)
        failure = replace(failure, message=message)
    return failure


def _exit_with(pid: int) -> None:
    """End this worker when the batch process ends, even by SIGKILL: its results have nowhere
    to go, and a worker blocked writing them would otherwise live on."""
    try:
        handle = os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux, or the batch is already gone
        handle = None

    def watch() -> None:
        if handle is not None:
            select.select([handle], [], [])
        else:
            while _alive(pid):
                time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, name="docgen-batch-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
