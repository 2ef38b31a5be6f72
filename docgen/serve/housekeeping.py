"""Housekeeping of the server's data folder: old batch jobs and template checks removed.

A batch job (``jobs/<id>/``: the bundles uploaded, the documents made, their page images) and
a policy owner's template check (``candidates/<id>/``: the upload, its filled samples and page
images) are working copies: the register keeps what was issued, sent, approved and published.
Each is removed ``keep_days`` after it finished (a job) or was checked (a template check),
``--keep-days`` of ``docgen serve`` (or ``$DOCGEN_KEEP_DAYS``; default 30); a job still
running is never removed. The server sweeps when it starts, before it listens, and each
process then at most once an hour, in the background, when a request comes.
A folder is first renamed out of the way (atomic), so no page sees one half removed.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from docgen.serve.jobs import _alive  # the same test Jobs.get makes for an interrupted job

log = logging.getLogger("docgen.serve")
KEEP_DAYS = 30
KEEP_DAYS_ENV = "DOCGEN_KEEP_DAYS"
SWEEP_EVERY = 3600  # seconds between sweeps in one server process
RUNNING = ("queued", "running")


def sweep(root: Path, keep_days: int, *, now: float | None = None) -> list[str]:
    """Remove the data folder ``root``'s jobs and template checks older than ``keep_days``
    days; what was removed (``jobs/<id>``, ``candidates/<id>``), for the log."""
    cutoff = (time.time() if now is None else now) - keep_days * 86400
    removed = []
    for kind, record, stamp in (("jobs", "job.json", _job_finished), ("candidates", "check.json", _checked)):
        folder = root / kind
        for item in sorted(folder.iterdir()) if folder.is_dir() else ():
            if item.name.startswith(".removing-"):  # a sweep that died part way
                shutil.rmtree(item, ignore_errors=True)
                continue
            if item.name.startswith(".") or not item.is_dir() or item.is_symlink():
                continue
            when = stamp(item / record)
            if when is not None and when < cutoff and _remove(item):
                removed.append(f"{kind}/{item.name}")
    return removed


class Sweeper:
    """Sweeps one server process's data folder at most once every :data:`SWEEP_EVERY` seconds,
    in a background thread so no request waits for it."""

    def __init__(self, root: Path, keep_days: int) -> None:
        self.root, self.keep_days = root, keep_days
        self._last = time.monotonic()  # docgen serve has just swept, before it started listening
        self._lock = threading.Lock()

    def maybe(self) -> None:
        with self._lock:
            if time.monotonic() - self._last < SWEEP_EVERY:
                return
            self._last = time.monotonic()
        threading.Thread(target=self.now, name="docgen-sweep", daemon=True).start()

    def now(self) -> list[str]:
        try:
            removed = sweep(self.root, self.keep_days)
        except OSError as e:  # a sweep that fails must not take a request with it
            log.warning("housekeeping: the data folder could not be swept: %s", e)
            return []
        if removed:
            log.info("housekeeping: removed %d jobs and template checks older than %d days", len(removed), self.keep_days)
        return removed


def _job_finished(path: Path) -> float | None:
    """When the job finished; a job still running (or unreadable) is kept."""
    job = _read(path)
    if job is None:
        return _mtime(path.parent)  # a job whose record was never written: by its folder's age
    if job.get("state") in RUNNING and isinstance(job.get("pid"), int) and _alive(job["pid"]):
        return None
    return _parse(job.get("finished") or job.get("created")) or _mtime(path)


def _checked(path: Path) -> float | None:
    check = _read(path)
    return (_parse(check.get("checked")) if check else None) or _mtime(path.parent)


def _read(path: Path) -> dict | None:
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _parse(stamp) -> float | None:
    """The register's ``2026-11-20T10:15:00Z`` as seconds since the epoch."""
    try:
        return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
    except (TypeError, ValueError):
        return None


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def _remove(item: Path) -> bool:
    """Rename out of the way, then delete: another process sees the folder whole or not at all."""
    doomed = item.with_name(f".removing-{item.name}-{secrets.token_hex(4)}")
    try:
        item.rename(doomed)
    except OSError:  # another process took it first
        return False
    shutil.rmtree(doomed, ignore_errors=True)
    return True
