"""A command's way to the warm converter service (:mod:`docgen.convert.service`).

:func:`open_converter` gives a command something with :class:`~docgen.convert.Converter`'s
``convert_many``: the running service, started (detached) when there is none, or, with
$DOCGEN_PDF_IDLE=0, a converter of the command's own as before. A service that cannot be
started, refuses, dies or stops answering costs no document: it is killed, and the documents it
has not answered are converted by a LibreOffice of the command's own (which retries a
document that hangs it, alone, as ever).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from docgen.convert.converter import ConversionResult, Converter
from docgen.convert.service import LOCK_NAME, LOG_NAME, SOCKET_NAME, idle_seconds, peer, service_folder

log = logging.getLogger(__name__)

START_SECONDS = 30.0  # for the service to listen (LibreOffice starts after, in its background)
# A document's answer may wait for its two tries (``timeout`` each), a LibreOffice start, and
# the documents of other commands ahead of it.
REPLY_SECONDS = 4 * 60.0 + 60.0


@contextlib.contextmanager
def open_converter(pdfa: bool = False):
    """The warm service when it is on ($DOCGEN_PDF_IDLE > 0, the default), else a Converter."""
    idle = idle_seconds()
    if not idle:
        with Converter(pdfa=pdfa) as converter:
            yield converter
        return
    client = WarmClient(pdfa, idle)
    try:
        yield client
    finally:
        client.close()


def prepare() -> None:
    """Find or start the service now, in the background, for a command that will convert PDFs
    after rendering: a service it has to start then starts LibreOffice meanwhile."""
    idle = idle_seconds()
    if idle:
        threading.Thread(target=_prepare, args=(idle,), name="docgen-converter-service", daemon=True).start()


def _prepare(idle: float) -> None:
    try:
        connect(idle).close()
    except OSError:
        log.debug("the converter service could not be started ahead", exc_info=True)  # met again when converting


class WarmClient:
    """Converts through the service; falls back to a Converter of its own for what it cannot."""

    def __init__(self, pdfa: bool, idle: float) -> None:
        self.pdfa = pdfa
        self.idle = idle
        self._fallback: Converter | None = None

    def convert_many(self, jobs: list[tuple[Path, Path]]) -> list[ConversionResult]:
        """Convert each (docx, pdf target) pair; one result per pair, in the order given."""
        jobs = [(Path(src), Path(dst)) for src, dst in jobs]
        results: dict[int, ConversionResult] = {}
        try:
            self._through_service(jobs, results)
        except (OSError, ValueError) as e:
            log.debug("the converter service did not convert %d of %d documents (%s); converting them here",
                      len(jobs) - len(results), len(jobs), e)  # fmt: skip
        missing = [i for i in range(len(jobs)) if i not in results]
        if missing:
            if self._fallback is None:
                self._fallback = Converter(pdfa=self.pdfa).__enter__()
            for i, result in zip(missing, self._fallback.convert_many([jobs[i] for i in missing])):
                results[i] = result
        return [results[i] for i in range(len(jobs))]

    def close(self) -> None:
        if self._fallback is not None:
            self._fallback.close()
            self._fallback = None

    def _through_service(self, jobs: list[tuple[Path, Path]], results: dict[int, ConversionResult]) -> None:
        conn = connect(self.idle)
        pid = peer(conn)[0]
        try:
            conn.settimeout(REPLY_SECONDS)
            request = {"convert": [[str(src.resolve()), str(dst.resolve())] for src, dst in jobs], "pdfa": self.pdfa}
            conn.sendall((json.dumps(request) + "\n").encode())
            with conn.makefile("r", encoding="utf-8") as replies:
                while len(results) < len(jobs):
                    line = replies.readline()  # raises TimeoutError when the service hangs
                    if not line:
                        raise ConnectionError("the converter service stopped")
                    answer = json.loads(line)
                    src, dst = jobs[answer["index"]]
                    results[answer["index"]] = ConversionResult(
                        src, dst, answer["ok"], answer["error"], answer["attempts"], answer["kind"],
                        answer.get("pages"),
                    )
        except TimeoutError:
            _kill(pid)  # hung: the next command starts a fresh one
            raise
        finally:
            conn.close()


def connect(idle: float) -> socket.socket:
    """A connection to this user's converter service, started first when none answers."""
    folder = service_folder()
    path = folder / SOCKET_NAME
    with open(folder / LOCK_NAME, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one command at a time finds or starts the service
        conn = _try_connect(path)
        if conn is not None:
            return conn
        path.unlink(missing_ok=True)  # a killed service's socket
        _start(folder, idle)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            conn = _try_connect(path)
            if conn is not None:
                return conn
            time.sleep(0.02)
    raise ConnectionError("the converter service did not start")


def _try_connect(path: Path) -> socket.socket | None:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(path))
    except OSError:
        conn.close()
        return None
    if peer(conn)[1] != os.getuid():  # not this user's: never hand it documents
        conn.close()
        return None
    return conn


def _start(folder: Path, idle: float) -> None:
    """Start the service detached: its own session, so it outlives this command and its Ctrl-C."""
    with open(folder / LOG_NAME, "ab") as log_file:
        subprocess.Popen(
            [sys.executable, "-m", "docgen.convert.service", "--idle", str(idle)],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            cwd=folder,
            start_new_session=True,
        )


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
