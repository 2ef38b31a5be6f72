"""Batch jobs for the API: bundles uploaded as a JSON array or a zip, run by the batch stage.

Each job is a folder ``jobs/<id>/``: ``job.json`` (state and counts, rewritten atomically as
the run goes), ``input/`` (the bundles, under names the server gives them) and ``out/`` (the
batch's output folder: files, ``runs/<run>/manifest.json`` and ``failures.json``). Jobs run one
at a time per server process, in a background thread, through :func:`docgen.batch.run_batch`
with the server's register, so the API, the CLI and ``docgen history`` see the same record.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import stat
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from docgen.atomic import write_atomic
from docgen.batch import BatchOptions, run_batch
from docgen.bundle.load import MAX_BUNDLE_BYTES
from docgen.exceptions import DocgenError
from docgen.register import now
from docgen.serve.problems import HttpProblem

MAX_MEMBERS = 1000
MAX_UNCOMPRESSED = 200 * 1024 * 1024
JOB_ID_CHARS = set("0123456789abcdef")


@dataclass(frozen=True)
class Upload:
    """Bundles to run, as (server's file name, bytes), in the order given."""

    bundles: list[tuple[str, bytes]]


def from_json_array(body: bytes) -> Upload:
    try:
        items = json.loads(body)
    except ValueError as e:
        raise HttpProblem(400, "malformed-json", f"The body is not JSON: {e}.") from None
    if not isinstance(items, list) or not items:
        raise HttpProblem(400, "input", "Send the bundles as a JSON array of case bundles, or as a zip.")
    if len(items) > MAX_MEMBERS:
        raise HttpProblem(413, "too-large", f"At most {MAX_MEMBERS} bundles a batch.")
    return Upload([(f"bundle-{n:04d}.json", json.dumps(item).encode()) for n, item in enumerate(items, 1)])


def from_zip(body: bytes) -> Upload:
    """The zip's ``.json`` members; refuses bombs, links, odd names and paths out of the folder."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as e:
        raise HttpProblem(400, "bad-zip", f"The body is not a readable zip ({e}).") from None
    if len(members) > MAX_MEMBERS:
        raise HttpProblem(413, "too-large", f"The zip has {len(members)} members; at most {MAX_MEMBERS}.")
    if sum(m.file_size for m in members) > MAX_UNCOMPRESSED:
        raise HttpProblem(413, "too-large", "The zip would unpack to more than 200 MiB.")
    bundles = []
    for n, member in enumerate(members, 1):
        name = member.filename
        if not member.flag_bits & 0x800 and not name.isascii():
            raise HttpProblem(400, "bad-zip", f"Member {n} has a name that is not UTF-8.")
        if name.startswith(("/", "\\")) or ".." in Path(name).parts or ":" in name:
            raise HttpProblem(400, "bad-zip", f"Member {n} has a path outside the zip ({name!r}).")
        if stat.S_ISLNK(member.external_attr >> 16):
            raise HttpProblem(400, "bad-zip", f"Member {n} is a symbolic link.")
        if member.is_dir():
            continue
        if not name.lower().endswith(".json"):
            raise HttpProblem(400, "bad-zip", f"Member {n} is not a .json bundle ({name!r}).")
        if member.file_size > MAX_BUNDLE_BYTES:
            raise HttpProblem(413, "too-large", f"Member {n} is over 5 MiB.")
        with archive.open(member) as source:
            data = source.read(MAX_BUNDLE_BYTES + 1)  # the header's size may lie
        if len(data) > MAX_BUNDLE_BYTES:
            raise HttpProblem(413, "too-large", f"Member {n} is over 5 MiB.")
        bundles.append((f"bundle-{len(bundles) + 1:04d}.json", data))
    if not bundles:
        raise HttpProblem(400, "input", "The zip holds no .json bundles.")
    return Upload(bundles)


def check_authority(upload: Upload, authority: str) -> None:
    """Refuse an upload holding a bundle of another authority (readable ones; the rest the batch
    reports as invalid)."""
    for n, (_, data) in enumerate(upload.bundles, 1):
        try:
            named = json.loads(data).get("authority")
        except (ValueError, AttributeError):
            continue
        if isinstance(named, str) and named != authority:
            raise HttpProblem(403, "other-authority", f"Bundle {n} is for another authority than this token's.")


class Jobs:
    """Create, run and read batch jobs in ``root`` (the data folder's ``jobs/``)."""

    def __init__(self, root: Path, register: Path, templates: Path | None, on_case=None) -> None:
        self.root = root
        self.register = register
        self.templates = templates
        self.on_case = on_case  # called with (case reference, authority) for each bundle recorded
        self._runner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="docgen-job")
        self._lock = threading.Lock()

    def create(self, upload: Upload, *, authority: str, actor: str, fmt: str, doc_ids: list[str],
               notes: dict | None = None) -> dict:
        """Queue a job; ``notes`` are kept in job.json as they are (the web workspace's checks)."""
        job_id = secrets.token_hex(8)
        folder = self.root / job_id
        try:
            (folder / "input").mkdir(mode=0o700, parents=True)
            for name, data in upload.bundles:
                write_atomic(folder / "input" / name, data)
        except BaseException:  # a full disk: no half-made job is left to be listed or run
            shutil.rmtree(folder, ignore_errors=True)
            raise
        job = {
            "id": job_id, "authority": authority, "actor": actor, "state": "queued",
            "format": fmt, "documents_asked": doc_ids, "created": now(), "finished": None,
            "bundles": len(upload.bundles), "bundles_done": 0, "documents": 0, "issued": 0,
            "skipped": 0, "failed_documents": 0, "failed_bundles": 0, "exit_code": None,
            "run_id": None, "pid": os.getpid(), **(notes or {}),
        }  # fmt: skip
        self._save(job)
        self._runner.submit(self._run, job)
        return job

    def get(self, job_id: str, authority: str) -> dict:
        """The job, or 404 alike whether it does not exist or is another authority's."""
        if not job_id or set(job_id) - JOB_ID_CHARS or len(job_id) != 16:
            raise HttpProblem(404, "not-found", "No such batch.")
        try:
            job = json.loads((self.root / job_id / "job.json").read_text())
        except (OSError, ValueError):
            raise HttpProblem(404, "not-found", "No such batch.") from None
        if job.get("authority") != authority:
            raise HttpProblem(404, "not-found", "No such batch.")
        if job["state"] in ("queued", "running") and not _alive(job["pid"]):
            job["state"] = "interrupted"  # the server process running it has gone
        return job

    def for_authority(self, authority: str) -> list[dict]:
        """The authority's jobs, newest first."""
        found = []
        for folder in self.root.iterdir() if self.root.is_dir() else ():
            try:
                found.append(self.get(folder.name, authority))
            except HttpProblem:
                continue
        return sorted(found, key=lambda job: job["created"], reverse=True)

    def inputs(self, job: dict) -> Upload:
        """The bundles the job ran, as it was given them."""
        folder = self.input_dir(job)
        return Upload([(path.name, path.read_bytes()) for path in sorted(folder.glob("*.json"))])

    def input_dir(self, job: dict) -> Path:
        return self.root / job["id"] / "input"

    def out_dir(self, job: dict) -> Path:
        return self.root / job["id"] / "out"

    def previews_dir(self, job: dict) -> Path:
        """Where the web workspace keeps the job's files drawn as pages (removed with the job)."""
        return self.root / job["id"] / "previews"

    def report(self, job: dict, name: str) -> Path:
        """The run's manifest.json or failures.json."""
        if not job.get("run_id"):
            raise HttpProblem(404, "not-found", "The batch has not started yet.")
        path = self.out_dir(job) / "runs" / job["run_id"] / name
        if not path.is_file():
            raise HttpProblem(404, "not-found", f"The batch has no {name}.")
        return path

    def files(self, job: dict) -> list[Path]:
        folder = self.out_dir(job)
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".") and not p.is_symlink())

    def file(self, job: dict, name: str) -> Path:
        for path in self.files(job):
            if path.name == name:
                return path
        raise HttpProblem(404, "not-found", "The batch has no such file.")

    def close(self) -> None:
        self._runner.shutdown(wait=False, cancel_futures=True)

    # -- running ----------------------------------------------------------------------------------
    def _run(self, job: dict) -> None:
        folder = self.root / job["id"]
        job["state"] = "running"
        self._save(job)

        def on_result(result) -> None:
            job["bundles_done"] += 1
            job["documents"] += len(result.documents)
            job["issued"] += sum(1 for d in result.documents if not d.error and not d.skipped)
            job["skipped"] += sum(1 for d in result.documents if d.skipped)
            job["failed_documents"] += sum(1 for d in result.documents if d.error)
            job["failed_bundles"] += 1 if result.error else 0
            if result.case_reference and self.on_case:
                self.on_case(result.case_reference, job["authority"])
            self._save(job)

        options = BatchOptions(
            folder / "input", folder / "out", fmt=job["format"], doc_ids=tuple(job["documents_asked"]),
            jobs=1, register=self.register, templates=self.templates, progress=False,
        )  # fmt: skip
        try:
            summary = run_batch(options, on_result=on_result)
            job.update(state="finished", exit_code=summary.exit_code, run_id=summary.run_id)
        except DocgenError as e:
            job.update(state="failed", exit_code=e.exit_code, error=e.message)
        except Exception:  # noqa: BLE001 - the job must end in a state, whatever happened
            job.update(state="failed", exit_code=1, error="The batch stopped unexpectedly.")
        job["finished"] = now()
        self._save(job)

    def _save(self, job: dict) -> None:
        with self._lock:
            write_atomic(self.root / job["id"] / "job.json", json.dumps(job, indent=1).encode())


def file_parts(stem: str) -> tuple[str, str, str]:
    """(case, document, recipient) from a CASEREF_DOCUMENT[_RECIPIENT] file name."""
    case, _, rest = stem.partition("_")
    document, _, recipient = rest.partition("_")
    return case, document, recipient


def public(job: dict) -> dict:
    """What the API shows of a job (no server paths, no process id)."""
    return {k: v for k, v in job.items() if k not in ("pid", "actor")}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
