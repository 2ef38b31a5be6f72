"""One long-lived LibreOffice driven through its UNO bridge: the fast way to convert.

LibreOffice's UNO bridge imports only in Debian's own Python, so :class:`UnoBridge` runs
``uno_bridge.py`` there as a child process, which starts ``soffice`` once and converts each
document asked for over a pipe. Compared with ``soffice --convert-to`` per chunk of files, the
start-up (about a second) is paid once per worker for the whole run, not once per call.
"""

from __future__ import annotations

import functools
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from docgen.convert.oneshot import kill_group
from docgen.convert.profiles import Profile
from docgen.exceptions import ConvertError

BRIDGE_SCRIPT = Path(__file__).with_name("uno_bridge.py")
STARTUP_SECONDS = 120.0


@functools.cache
def uno_python() -> str | None:
    """A Python that can import LibreOffice's ``uno`` module ($DOCGEN_UNO_PYTHON, else Debian's)."""
    candidates = [os.environ.get("DOCGEN_UNO_PYTHON"), "/usr/bin/python3", sys.executable]
    for python in filter(None, candidates):
        if not shutil.which(python):
            continue
        probe = subprocess.run(
            [python, "-c", "import uno"], capture_output=True, timeout=30, check=False
        )
        if probe.returncode == 0:
            return python
    return None


@dataclass(frozen=True)
class Outcome:
    """How one document's conversion ended: converted, refused by LibreOffice, or not finished
    because LibreOffice hung or died."""

    ok: bool
    hung: bool = False
    died: bool = False
    returncode: int | None = None
    pages: int | None = None  # of the PDF written, as LibreOffice laid it out


class UnoBridge:
    """A running LibreOffice with its bridge process; :meth:`convert_all` documents, one call at a time."""

    def __init__(self, python: str, soffice: str, profile: Profile, name: str, temp: Path | None = None,
                 in_office: bool = True) -> None:
        settings = {
            "soffice": soffice, "profile": profile.uri, "pipe": name,
            "startup_timeout": STARTUP_SECONDS, "in_office": in_office,
        }  # fmt: skip
        self._proc = subprocess.Popen(
            [python, str(BRIDGE_SCRIPT), json.dumps(settings)],
            env={**os.environ, "TMPDIR": str(temp)} if temp else None,  # LibreOffice's lu*.tmp files
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so killing it takes soffice too
            text=True,
        )
        self._replies: queue.Queue[dict | None] = queue.Queue()
        self._gone = threading.Event()  # its output has ended
        threading.Thread(target=self._read_replies, daemon=True).start()
        ready = self._next_reply(STARTUP_SECONDS)
        if not ready or not ready.get("ready"):
            self.stop()
            reason = (ready or {}).get("error", "LibreOffice did not start")
            raise ConvertError(f"{reason} (profile {profile.path}).")
        # Whether documents are converted by the macro inside LibreOffice (docgen.convert.in_office).
        self.in_office = bool(ready.get("in_office"))

    @property
    def pid(self) -> int:
        return self._proc.pid

    def alive(self) -> bool:
        """The bridge and the LibreOffice it started are both still running."""
        if self._proc.poll() is not None:
            return False
        try:
            states = [_stat(child)[0] for child in _children(self._proc.pid)]
        except OSError:
            return True  # no /proc to look in: the bridge finds out on its next document
        return any(state != "Z" for state in states)  # LibreOffice's launcher, not yet reaped when dead

    def office_pids(self) -> list[int]:
        """LibreOffice's processes under this bridge (its launcher and soffice.bin)."""
        found, queue_ = [], [self._proc.pid]
        while queue_:
            try:
                children = _children(queue_.pop())
            except OSError:
                continue
            found.extend(children)
            queue_.extend(children)
        return found

    def rss_mb(self) -> int:
        """The resident memory of this bridge's LibreOffice, in MiB (0 when it cannot be read)."""
        total = 0
        for pid in self.office_pids():
            try:
                total += int(_stat(pid)[21])  # rss, in pages
            except (OSError, ValueError, IndexError):
                continue
        return total * os.sysconf("SC_PAGE_SIZE") // (1024 * 1024)

    def convert_all(self, jobs: list[tuple[Path, Path]], options: dict, timeout: float) -> list[Outcome]:
        """Convert each (source, target) pair in one call, in order, with the PDF export
        ``options``; one outcome a pair. LibreOffice counts as hung when no PDF appears for
        ``timeout`` seconds; then, or when it dies, every outcome says so, and the targets
        already written are the documents it finished."""
        documents = [{"source": str(source.resolve()), "target": str(target), "filter": options}
                     for source, target in jobs]  # fmt: skip
        try:
            self._proc.stdin.write(json.dumps({"documents": documents}) + "\n")
            self._proc.stdin.flush()
        except OSError:
            return [Outcome(False, died=True, returncode=self._stopped_code())] * len(jobs)
        reply = self._reply_while_progressing([target for _, target in jobs], timeout)
        if reply is None:
            if not self._gone.is_set() and self._proc.poll() is None:  # alive but silent: hung
                return [Outcome(False, hung=True)] * len(jobs)
            return [Outcome(False, died=True, returncode=self._stopped_code())] * len(jobs)
        if reply.get("fatal"):
            return [Outcome(False, died=True, returncode=reply.get("returncode"))] * len(jobs)
        results = reply.get("results") or []
        return [_outcome(result) for result in results] + [Outcome(False)] * (len(jobs) - len(results))

    def stop(self) -> None:
        """End the bridge and its LibreOffice (the whole process group)."""
        try:
            self._proc.stdin.close()
        except OSError:
            pass
        kill_group(self._proc)

    def _stopped_code(self) -> int | None:
        try:
            return self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return None

    def _next_reply(self, timeout: float) -> dict | None:
        try:
            return self._replies.get(timeout=timeout)
        except queue.Empty:
            return None

    def _reply_while_progressing(self, targets: list[Path], timeout: float) -> dict | None:
        """The reply to a call; None when the bridge has gone, or once ``timeout`` seconds pass
        with no new target written."""
        look_every = min(1.0, timeout / 4)
        written, quiet_since = 0, time.monotonic()
        while True:
            try:
                return self._replies.get(timeout=look_every)
            except queue.Empty:
                pass
            now_written = sum(1 for target in targets if target.exists())
            if now_written > written:
                written, quiet_since = now_written, time.monotonic()
            elif time.monotonic() - quiet_since >= timeout:
                return None

    def _read_replies(self) -> None:
        for line in self._proc.stdout:
            try:
                self._replies.put(json.loads(line))
            except ValueError:
                continue
        self._gone.set()
        self._replies.put(None)  # the bridge has gone


def _outcome(result: dict) -> Outcome:
    pages = result.get("pages")
    return Outcome(bool(result.get("ok")), pages=pages if isinstance(pages, int) and pages > 0 else None)


def _children(pid: int) -> list[int]:
    """``pid``'s child processes, whichever of its threads started them (oosplash starts
    soffice.bin from a thread of its own)."""
    return [
        int(child) for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    ]  # fmt: skip


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name: state first."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
