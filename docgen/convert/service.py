"""The warm converter service: one LibreOffice kept running between docgen commands.

Starting LibreOffice costs about a second, more than converting a letter. So the first
``docgen render --format pdf`` starts this service, detached (``python -m
docgen.convert.service``); it holds a :class:`~docgen.convert.Converter` and listens on a Unix
socket in docgen's cache folder (0700: only its user can reach it). Later commands hand it
their documents (:mod:`docgen.convert.warm`). It exits once no command has used it for
``--idle`` seconds ($DOCGEN_PDF_IDLE, default 300), or on SIGTERM, stopping its LibreOffice.

Protocol, one JSON object a line. A request is ``{"convert": [[docx, pdf], ...], "pdfa":
bool}``, both paths absolute; the service answers one line per document as it finishes,
``{"index", "ok", "error", "kind", "attempts", "pages"}``, in any order. ``{"status": true}`` answers
``{"pid", "offices"}``: the service's process id and its LibreOffices'.

Stop it at once with ``kill $(cat ~/.cache/docgen/converter.pid)`` (SIGTERM; its LibreOffice
stops with it).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from docgen.convert.converter import Converter, move_atomically
from docgen.cache import cache_root
from docgen.exceptions import DocgenError, OutputError

log = logging.getLogger("docgen.convert.service")

SOCKET_NAME = "converter.sock"
LOCK_NAME = "converter.lock"  # held while a command finds or starts the service, and while it stops
LOG_NAME = "converter.log"
PID_NAME = "converter.pid"
IDLE_ENV = "DOCGEN_PDF_IDLE"
DEFAULT_IDLE_SECONDS = 300.0


def service_folder() -> Path:
    """The cache folder the socket lives in, made 0700 and refused when another user owns it."""
    folder = cache_root()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if folder.stat().st_uid != os.getuid():
        raise PermissionError(f"{folder} belongs to another user")
    os.chmod(folder, 0o700)
    return folder


def idle_seconds() -> float:
    """$DOCGEN_PDF_IDLE: how long the service waits for work before it exits (0: no service)."""
    raw = os.environ.get(IDLE_ENV, "")
    try:
        return max(0.0, float(raw)) if raw else DEFAULT_IDLE_SECONDS
    except ValueError:
        return DEFAULT_IDLE_SECONDS


def peer(conn: socket.socket) -> tuple[int, int]:
    """(pid, uid) of the process at the other end of a Unix socket (Linux's SO_PEERCRED)."""
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, _gid = struct.unpack("3i", creds)
    return pid, uid


class Service:
    """The listening socket, the converter, and the clock that ends them when idle."""

    def __init__(self, folder: Path, idle: float) -> None:
        self.folder = folder
        self.idle = idle
        self.converter = Converter()
        self.path = folder / SOCKET_NAME
        self._active = 0
        self._last = time.monotonic()
        self._state = threading.Lock()
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(self.path))  # the command starting it removed any stale socket
        os.chmod(self.path, 0o600)
        self._listener.listen(64)
        self._listener.settimeout(0.5)  # how often it looks at the idle clock
        self._inode = self.path.stat().st_ino
        (folder / PID_NAME).write_text(f"{os.getpid()}\n")

    def serve(self) -> None:
        """Answer commands until idle for ``self.idle`` seconds."""
        threading.Thread(target=self._warm, name="warm", daemon=True).start()
        while True:
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                if self._idle() and self._close_if_nobody_waits():
                    log.info("idle for %g s: stopping", self.idle)
                    return
                continue
            conn.settimeout(None)
            with self._state:
                self._active += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def close(self) -> None:
        """Remove the socket if it is still this service's, and stop LibreOffice."""
        try:
            if self.path.stat().st_ino == self._inode:
                self.path.unlink()
            if (self.folder / PID_NAME).read_text().strip() == str(os.getpid()):
                (self.folder / PID_NAME).unlink()
        except OSError:
            pass
        self._listener.close()
        self.converter.close()

    def _idle(self) -> bool:
        with self._state:
            return self._active == 0 and time.monotonic() - self._last >= self.idle

    def _close_if_nobody_waits(self) -> bool:
        # Commands connect only while holding the lock, so once it is held here no command can
        # reach the socket between this look at the queue and its removal.
        with open(self.folder / LOCK_NAME, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            waiting, _, _ = select.select([self._listener], [], [], 0)
            if waiting:
                return False
            self.close()
            return True

    def _warm(self) -> None:
        try:
            self.converter.warm()
        except DocgenError as e:
            log.warning("LibreOffice could not be started: %s", e.message)

    def _handle(self, conn: socket.socket) -> None:
        try:
            with conn, conn.makefile("rw", encoding="utf-8") as stream:
                if peer(conn)[1] != os.getuid():
                    return
                for line in stream:
                    request = json.loads(line)
                    if request.get("status"):
                        answer = {"pid": os.getpid(), "offices": self.converter.office_pids()}
                        stream.write(json.dumps(answer) + "\n")
                        stream.flush()
                    elif "convert" in request:
                        self._convert(request, stream)
        except (OSError, ValueError) as e:  # a command that went away, or sent nonsense
            log.debug("connection ended: %s", e)
        finally:
            with self._state:
                self._active -= 1
                self._last = time.monotonic()

    def _convert(self, request: dict, stream) -> None:
        jobs = [(Path(source), Path(target)) for source, target in request["convert"]]
        pdfa = bool(request.get("pdfa"))
        write = threading.Lock()

        def one(index: int) -> None:
            # One document a call: each is answered as soon as it is done, and the documents of
            # commands running at once take turns for the workers.
            source, target = jobs[index]
            staged = self.converter.workdir / f"{uuid.uuid4().hex}.pdf"
            (result,) = self.converter.convert_many([(source, staged)], pdfa=pdfa)
            answer = {"index": index, "ok": result.ok, "error": result.error,
                      "kind": result.error_kind, "attempts": result.attempts, "pages": result.pages}  # fmt: skip
            if result.ok:
                try:
                    # Never a folder made: a command that went away (Ctrl-C) has removed its
                    # work folder, and nothing of it may come back.
                    move_atomically(staged, target, make_folder=False)
                except (OSError, OutputError) as e:
                    reason = e.message if isinstance(e, OutputError) else e.strerror
                    message = f"Could not write the PDF of {source.name}: {target}: {reason}."
                    answer.update(ok=False, error=message, kind=OutputError.kind)
            staged.unlink(missing_ok=True)
            with write:
                stream.write(json.dumps(answer) + "\n")
                stream.flush()

        with ThreadPoolExecutor(max_workers=self.converter.jobs) as pool:
            list(pool.map(one, range(len(jobs))))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m docgen.convert.service", description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=float, default=None, help="seconds without work before it exits")
    args = parser.parse_args(argv)
    idle = args.idle if args.idle is not None else idle_seconds()
    folder = service_folder()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(message)s")
    service = Service(folder, idle or DEFAULT_IDLE_SECONDS)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `kill PID` stops it cleanly
    log.info("converter service listening on %s (idle exit after %g s)", service.path, service.idle)
    try:
        service.serve()
    finally:
        service.close()
        log.info("converter service stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
