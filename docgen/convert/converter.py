"""The converter: warm LibreOffice workers turning DOCX files into PDFs.

Each worker holds a cached LibreOffice profile (:mod:`docgen.convert.profiles`) and, where
LibreOffice's UNO bridge is installed, one LibreOffice kept running for the converter's whole
life (:mod:`docgen.convert.bridge`); elsewhere it hands many documents to each
``soffice --convert-to`` call (:mod:`docgen.convert.oneshot`). Workers run in parallel threads.

A worker watches its LibreOffice: when no document finishes within ``timeout`` seconds, it is
killed. The document it was on is retried once on its own in a fresh LibreOffice, then
reported failed; the documents after it go on, so none of them is lost.

LibreOffice's memory grows as it converts (on the samples' documents: from some 140 MiB to 173
after 50 documents, then about 0.1 MiB a document, 213 after 485), so a worker kept running for
long (``docgen serve``, the warm service, a large batch) recycles it between two documents, as
Gotenberg and unoserver do: once it holds more than ``rss_limit_mb`` MiB
($DOCGEN_PDF_RSS_LIMIT_MB, default 400, looked at between calls every RSS_CHECK_EVERY
documents), or after ``recycle_after`` documents whatever its size ($DOCGEN_PDF_RECYCLE_AFTER,
default 1000). Its successor is started ahead (:mod:`docgen.convert.successors`) and takes the
next document.
"""

from __future__ import annotations

import fcntl
import logging
import os
import queue
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from docgen.atomic import private_folder, refuse_link
from docgen.convert.bridge import UnoBridge, uno_python
from docgen.convert.oneshot import kill_group, run_soffice
from docgen.convert.profiles import Profile, claim_profile
from docgen.convert.successors import Started, Successors
from docgen.exceptions import ConvertError, OutputError

log = logging.getLogger(__name__)

INSTALL_HINT = (
    "LibreOffice (soffice) was not found; install it with: apt-get install -y "
    "--no-install-recommends libreoffice-writer-nogui fonts-liberation2 fonts-crosextra-carlito"
)
ENGINES = ("auto", "uno", "oneshot")
WORKDIR_PREFIX = "docgen-soffice-"  # in the system's temporary folder: staged documents, LibreOffice's temp files
IN_USE = ".in-use"  # locked while its converter lives; a workdir whose lock is free was left by a killed one
UNLOCKED_GRACE_SECONDS = 600  # a workdir with no lock file may be one being made right now
RECYCLE_AFTER_ENV = "DOCGEN_PDF_RECYCLE_AFTER"
RSS_LIMIT_ENV = "DOCGEN_PDF_RSS_LIMIT_MB"
# How far ahead of recycling a LibreOffice its successor is started (docgen.convert.successors):
# enough documents or MiB (about one a document) to cover its second of start-up.
AHEAD_DOCUMENTS = 20
AHEAD_MB = 30
# A LibreOffice is handed up to this many documents in one call (a batch's bundle in one), and
# goes from one to the next without a round trip through docgen.
DOCUMENTS_PER_CALL = 32
# Reading a LibreOffice's memory walks its processes in /proc: before every document, that cost
# a batch some 5% of its speed. It grows about 0.1 MiB a document, so it is read between calls
# once this many documents have gone by (``docgen serve`` sends one document a call).
RSS_CHECK_EVERY = 10


@dataclass(frozen=True)
class ConversionResult:
    """The outcome of converting one document; ``error`` names the file when ``ok`` is false."""

    source: Path
    target: Path
    ok: bool
    error: str | None = None
    attempts: int = 1
    error_kind: str | None = None  # "convert" or "output", as DocgenError.kind
    pages: int | None = None  # the PDF's pages, when LibreOffice said (through the UNO bridge)

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
    """What one LibreOffice run did: which items it finished, and how it ended."""

    done: dict[int, int | None]  # each item converted and placed, with its pages when known
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


def export_options(pdfa: bool) -> dict[str, bool | int]:
    """LibreOffice's PDF export options: tagged PDF, all fonts embedded, PDF/A-2b when asked.

    Either way LibreOffice writes the title, author and subject from the DOCX's core properties
    into both the document info and an XMP packet (PDF/UA identification when not PDF/A), so a
    PDF needs no second pass unless it is to be encrypted.
    """
    options: dict[str, bool | int] = {"UseTaggedPDF": True, "EmbedStandardFonts": True}
    if pdfa:
        options["SelectPdfVersion"] = 2
    else:
        options["PDFUACompliance"] = True
    return options


class Converter:
    """Warm LibreOffice workers converting DOCX files to PDF; use it as a context manager.

    ``engine`` is "uno" (one LibreOffice kept running per worker), "oneshot" (one
    ``soffice --convert-to`` per batch of files) or "auto": UNO where it is installed.

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
        engine: str = "auto",
        recycle_after: int | None = None,
        rss_limit_mb: int | None = None,
    ) -> None:
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}")
        self.soffice = find_soffice(soffice)
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        self.timeout = timeout
        self.pdfa = pdfa
        self.options = export_options(pdfa)
        self.engine = engine
        # 0 turns either limit off.
        self.recycle_after = _setting(recycle_after, RECYCLE_AFTER_ENV, 1000)
        self.rss_limit_mb = _setting(rss_limit_mb, RSS_LIMIT_ENV, 400)
        self.recycled = 0  # how many times a LibreOffice was recycled (for tests and diagnostics)
        self._uno_python: str | None = None
        self._workdir: Path | None = None
        self._in_use = None  # the open, locked IN_USE file of the workdir
        self._slots: queue.Queue[int] = queue.Queue()
        self._profiles: dict[int, Profile] = {}
        self._bridges: dict[int, UnoBridge] = {}
        self._converted: dict[int, int] = {}  # documents each slot's current LibreOffice has converted
        self._memory_read_at: dict[int, int] = {}  # its count of documents when its memory was last read
        self._successors = Successors(self._start_successor)
        self._running: set = set()
        self._lock = threading.Lock()
        self._counter = 0

    def __enter__(self) -> Converter:
        self._start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def workdir(self) -> Path:
        """This converter's private temporary folder (removed by :meth:`close`, or, if the process
        is killed, by the next converter to start), for callers' own temporary files."""
        return self._start()

    @property
    def uses_uno(self) -> bool:
        """True when documents go through a LibreOffice kept running (the UNO bridge)."""
        self._start()
        return self._uno_python is not None

    def _start(self) -> Path:
        with self._lock:
            if self._workdir is None:
                removed = remove_stale_workdirs()
                if removed:
                    log.info("removed %d LibreOffice work folders left by killed runs", removed)
                self._workdir = Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX))
                # Locked before it is seen under its name: a converter starting at the same moment
                # could otherwise find it unlocked, take the folder for a killed one's and remove it.
                self._in_use = open(self._workdir / f"{IN_USE}.new", "w")  # noqa: SIM115 - held while in use
                fcntl.flock(self._in_use, fcntl.LOCK_EX)
                os.rename(self._workdir / f"{IN_USE}.new", self._workdir / IN_USE)
                (self._workdir / "tmp").mkdir()
                if self.engine != "oneshot":
                    self._uno_python = uno_python()
                    if self._uno_python is None and self.engine == "uno":
                        raise ConvertError(
                            "LibreOffice's UNO bridge was not found; install it with: "
                            "apt-get install -y --no-install-recommends python3-uno"
                        )
                for slot in range(self.jobs):
                    self._slots.put(slot)
            return self._workdir

    def close(self) -> None:
        """Stop every LibreOffice this converter started and release its profiles."""
        with self._lock:
            for proc in list(self._running):
                kill_group(proc)
            bridges, self._bridges = list(self._bridges.values()), {}
            profiles, self._profiles = list(self._profiles.values()), {}
            workdir, self._workdir = self._workdir, None
            self._slots = queue.Queue()
        self._successors.close()
        for bridge in bridges:
            bridge.stop()
        for profile in profiles:
            profile.release()
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
            self._in_use.close()

    def warm(self) -> None:
        """Start every worker's LibreOffice now (UNO only), so the first document does not wait."""
        self._start()
        if self._uno_python is None:
            return
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            list(pool.map(lambda _: self._warm_one_slot(), range(self.jobs)))

    def _warm_one_slot(self) -> None:
        slot = self._slots.get()  # held like a conversion holds it, so nothing else starts one
        try:
            self._bridge(slot)
        finally:
            self._slots.put(slot)

    def alive(self) -> bool:
        """True unless a LibreOffice this converter keeps running has died (UNO only)."""
        with self._lock:
            bridges = list(self._bridges.values())
        return all(bridge.alive() for bridge in bridges)

    def profile_paths(self) -> list[Path]:
        """The LibreOffice profile folders this converter holds (for tests and diagnostics)."""
        with self._lock:
            return [profile.path for profile in self._profiles.values()]

    def convert(self, docx: Path, pdf: Path) -> Path:
        """Convert one document; raise ConvertError (or OutputError) naming it if that fails."""
        result = self.convert_many([(Path(docx), Path(pdf))])[0]
        result.raise_for_error()
        return result.target

    def convert_many(self, jobs: list[tuple[Path, Path]], pdfa: bool | None = None) -> list[ConversionResult]:
        """Convert each (docx, pdf target) pair; one result per pair, in the order given.
        ``pdfa`` overrides the converter's own choice for these documents (the warm service
        converts for commands asking either)."""
        options = self.options if pdfa is None else export_options(pdfa)
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
                for chunk_results in pool.map(lambda chunk: self._convert_chunk(chunk, options), chunks):
                    results.update(chunk_results)
        return [results[item.index] for item in items]

    def _convert_chunk(self, chunk: list[_Item], options: dict) -> dict[int, ConversionResult]:
        slot = self._slots.get()
        try:
            return self._convert_on_slot(slot, chunk, options)
        finally:
            self._slots.put(slot)

    def _convert_on_slot(self, slot: int, chunk: list[_Item], options: dict) -> dict[int, ConversionResult]:
        results: dict[int, ConversionResult] = {}
        pending = chunk
        while pending:
            run = self._invoke(slot, pending, options)
            _collect(results, pending, run, attempts=1)
            missing = [item for item in pending if item.index not in results]
            if not missing:
                break
            # Documents are converted in order, so the first missing one is the one LibreOffice
            # hung or crashed on; the ones after it were never reached.
            suspect, pending = missing[0], missing[1:]
            log.debug("retrying %s alone after %s", suspect.source.name, _how_it_ended(run))
            retry = self._invoke(slot, [suspect], options)
            _collect(results, [suspect], retry, attempts=2)
            if suspect.index not in results:
                reason = _how_it_ended(retry, self.timeout)
                results[suspect.index] = _failed(suspect, f"{reason} (tried twice)", attempts=2)
        return results

    def _invoke(self, slot: int, items: list[_Item], options: dict) -> _Run:
        workdir = self._start()
        with self._lock:
            self._counter += 1
            run_dir = workdir / f"run{self._counter}"
        out_dir = run_dir / "out"
        try:
            out_dir.mkdir(parents=True)
            if self._uno_python is not None:
                return self._invoke_bridge(slot, items, out_dir, options)
            return self._invoke_soffice(slot, items, run_dir / "in", out_dir, options)
        except OSError as e:
            message = f"Could not stage documents for LibreOffice in {workdir} ({e.strerror})."
            raise ConvertError(message) from e
        finally:
            shutil.rmtree(run_dir, ignore_errors=True)

    def _invoke_bridge(self, slot: int, items: list[_Item], out_dir: Path, options: dict) -> _Run:
        done: dict[int, int | None] = {}
        failed_writes: dict[int, str] = {}
        remaining = items
        while remaining:
            bridge = self._bridge(slot)
            size = self._call_size(slot)
            call, remaining = remaining[:size], remaining[size:]
            produced = [out_dir / f"{item.index:06d}.pdf" for item in call]
            outcomes = bridge.convert_all([(item.source, path) for item, path in zip(call, produced)],
                                          options, self.timeout)  # fmt: skip
            self._converted[slot] = self._converted.get(slot, 0) + len(call)
            stopped = outcomes[0].hung or outcomes[0].died  # then the PDFs written are those it finished
            for item, path, outcome in zip(call, produced, outcomes):
                if (outcome.ok or stopped) and _looks_complete(path):
                    _place(item, path, done, failed_writes, outcome.pages)
            if stopped:
                self._stop_bridge(slot)
                return _Run(done, failed_writes, outcomes[0].hung, outcomes[0].returncode)
        return _Run(done, failed_writes, False, None)

    def _call_size(self, slot: int) -> int:
        """How many documents the slot's LibreOffice takes in its next call: DOCUMENTS_PER_CALL,
        fewer where a call would pass the point its successor is to be started, or its recycling."""
        if not self.recycle_after:
            return DOCUMENTS_PER_CALL
        left = self.recycle_after - self._converted.get(slot, 0)
        if left > self._ahead():
            return min(DOCUMENTS_PER_CALL, left - self._ahead())
        return max(1, min(DOCUMENTS_PER_CALL, left))

    def _ahead(self) -> int:
        """How many documents before recycling its successor is started."""
        return max(1, min(AHEAD_DOCUMENTS, self.recycle_after // 4))

    def _invoke_soffice(self, slot: int, items: list[_Item], in_dir: Path, out_dir: Path, options: dict) -> _Run:
        # Copies with numbered names: two sources called letter.docx cannot collide, and an
        # odd file name never reaches the command line.
        in_dir.mkdir()
        inputs = []
        for item in items:
            staged = in_dir / f"{item.index:06d}{item.source.suffix.lower()}"
            shutil.copyfile(item.source, staged)
            inputs.append(str(staged))
        profile = self._profile(slot)
        killed, returncode = run_soffice(
            self.soffice, profile.uri, options, inputs, out_dir, self.timeout, self._running,
            temp=self._workdir / "tmp",
        )
        done: dict[int, int | None] = {}
        failed_writes: dict[int, str] = {}
        for item in items:
            produced = out_dir / f"{item.index:06d}.pdf"
            if _looks_complete(produced):
                _place(item, produced, done, failed_writes)
        return _Run(done, failed_writes, killed, returncode)

    def _profile(self, slot: int) -> Profile:
        with self._lock:
            if slot not in self._profiles:
                self._profiles[slot] = claim_profile()
            return self._profiles[slot]

    def _bridge(self, slot: int) -> UnoBridge:
        """The slot's LibreOffice for its next document: the running one, or, when that one has
        died or is due to be recycled, its successor (started ahead when it could be)."""
        with self._lock:
            bridge = self._bridges.get(slot)
        if bridge is not None and bridge.alive():
            due = self._recycling_due(slot, bridge)
            if due is None:
                return bridge
            if due == "soon":
                self._successors.start_ahead(slot)
                return bridge
            self.recycled += 1
            self._stop_bridge(slot)  # out of the map first: health does not see a dead worker
        elif bridge is not None:  # died while idle: start its successor before this document, not after
            log.debug("LibreOffice of worker %d died while idle; starting it again", slot)
            self._stop_bridge(slot)
        successor = self._successors.take(slot)
        if successor is not None:
            bridge, profile = successor
            with self._lock:
                old_profile = self._profiles.pop(slot, None)
                self._profiles[slot] = profile
            if old_profile is not None:
                old_profile.release()  # its LibreOffice has stopped
        else:
            bridge = self._started_bridge(self._profile(slot))
        self._converted[slot] = self._memory_read_at[slot] = 0
        with self._lock:
            self._bridges[slot] = bridge
        return bridge

    def _started_bridge(self, profile: Profile) -> UnoBridge:
        with self._lock:
            self._counter += 1
            name = f"docgen-{os.getpid()}-{self._counter}"
        try:
            return UnoBridge(self._uno_python, self.soffice, profile, name, temp=self._workdir / "tmp")
        except ConvertError:
            # A profile left broken by a killed run: start once more from a fresh one.
            log.debug("LibreOffice did not start with %s; making the profile afresh", profile.path)
            profile.reset()
            return UnoBridge(self._uno_python, self.soffice, profile, name, temp=self._workdir / "tmp")

    def _start_successor(self) -> Started:
        profile = claim_profile()  # its own: the LibreOffice it replaces holds the slot's
        try:
            return self._started_bridge(profile), profile
        except BaseException:
            profile.release()
            raise

    def _recycling_due(self, slot: int, bridge: UnoBridge) -> str | None:
        """"now" when the slot's LibreOffice is due to be recycled (enough documents, or too
        big), "soon" when its successor should be started, else None."""
        converted = self._converted.get(slot, 0)
        due = None
        if self.recycle_after:
            if converted >= self.recycle_after:
                log.debug("recycling LibreOffice of worker %d after %d documents", slot, converted)
                return "now"
            if converted >= self.recycle_after - self._ahead():
                due = "soon"
        if self.rss_limit_mb and converted - self._memory_read_at.get(slot, 0) >= RSS_CHECK_EVERY:
            self._memory_read_at[slot] = converted
            rss = bridge.rss_mb()
            if rss > self.rss_limit_mb:
                log.debug("recycling LibreOffice of worker %d at %d MiB", slot, rss)
                return "now"
            if rss > self.rss_limit_mb - AHEAD_MB:
                due = "soon"
        return due

    def office_pids(self) -> list[int]:
        """The process ids of the LibreOffices running for this converter (UNO only)."""
        with self._lock:
            bridges = list(self._bridges.values())
        return [pid for bridge in bridges for pid in bridge.office_pids()]

    def _stop_bridge(self, slot: int) -> None:
        with self._lock:
            bridge = self._bridges.pop(slot, None)
        if bridge is not None:
            bridge.stop()


def _setting(value: int | None, env: str, default: int) -> int:
    if value is not None:
        return max(0, value)
    raw = os.environ.get(env, "")
    try:
        return max(0, int(raw)) if raw else default
    except ValueError:
        raise ConvertError(f"${env} must be a whole number, not {raw!r}.") from None


def _place(item: _Item, produced: Path, done: dict[int, int | None], failed_writes: dict[int, str],
           pages: int | None = None) -> None:
    try:
        move_atomically(produced, item.target)
        done[item.index] = pages
    except OSError as e:
        failed_writes[item.index] = f"{item.target}: {e.strerror}"
    except OutputError as e:  # a link in place of the PDF, or no folder for it
        failed_writes[item.index] = f"{item.target}: {e.message}"


def remove_stale_workdirs() -> int:
    """Remove the work folders (staged documents, LibreOffice's temporary files) of converters
    that were killed: this user's whose in-use lock nobody holds. Returns how many were removed."""
    stale = [w for w in Path(tempfile.gettempdir()).glob(f"{WORKDIR_PREFIX}*") if _is_stale(w)]
    for workdir in stale:
        shutil.rmtree(workdir, ignore_errors=True)
    return len(stale)


def _is_stale(workdir: Path) -> bool:
    try:
        if workdir.is_symlink() or not workdir.is_dir() or workdir.stat().st_uid != os.getuid():
            return False
        with open(workdir / IN_USE) as in_use:
            fcntl.flock(in_use, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free: its converter is gone
            return True
    except FileNotFoundError:  # no lock file: an older docgen's folder, or one being made now
        try:
            return time.time() - workdir.stat().st_mtime >= UNLOCKED_GRACE_SECONDS
        except OSError:
            return False
    except OSError:  # locked (BlockingIOError): in use
        return False


def _collect(
    results: dict[int, ConversionResult], items: list[_Item], run: _Run, attempts: int
) -> None:
    for item in items:
        if item.index in run.done:
            results[item.index] = ConversionResult(item.source, item.target, True, None, attempts,
                                                   pages=run.done[item.index])  # fmt: skip
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


def move_atomically(produced: Path, target: Path, *, make_folder: bool = True) -> None:
    """Copy ``produced`` to a temporary file beside ``target``, then rename it into place.
    With ``make_folder`` false a missing folder is an error (FileNotFoundError), not made."""
    if make_folder:
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
