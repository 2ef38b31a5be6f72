"""gunicorn's threaded worker, reading each request whole before a thread takes it.

gunicorn's ``gthread`` worker hands a connection to a thread as soon as its first bytes arrive,
and the thread then blocks reading the rest: a client sending its headers or body slowly (a
phone on a poor line, or someone doing it on purpose) holds a thread for as long as it likes,
and a few such clients stop the server answering anyone. nginx protects a server behind it by
reading the request first; this worker does the same itself, so ``docgen serve`` is safe
without one:

- the main loop (which already waits on every idle connection) reads the request's headers and
  its body (up to :data:`BUFFERED_BODY` bytes) without blocking, and only a whole request goes
  to a thread, which then never waits on the client;
- a client that falls silent for ``client_timeout`` seconds part-way through a request is
  answered 408 and disconnected (one that never sent a byte is just disconnected);
- a larger body (a zip of bundles for a batch), a chunked one, or one sent after
  ``Expect: 100-continue`` goes to a thread once the headers are in, and every read of it by
  that thread gives up after ``client_timeout`` seconds of silence (as nginx's
  ``client_body_timeout`` does): the request is answered 408.

It also shares connections evenly between the worker processes. A kept-alive connection stays
with the process that accepted it, and which one accepts is a race: 16 clients connecting at
once were split 4/12 or 13/3, and the clients of the busier process waited twice as long.
Each worker publishes how many connections it holds (in memory the arbiter shares with the
workers it forks); one holding more than another live worker lets the new connection go to
that one, and takes it itself only if it is still waiting after :data:`HAND_OFF` seconds (the
other worker may be stuck), so no connection waits longer than that for balance.
"""

from __future__ import annotations

import mmap
import os
import selectors
import socket
import struct
import time
from functools import partial

from gunicorn import http
from gunicorn.workers.gthread import ThreadWorker

BUFFERED_BODY = 8 * 1024 * 1024  # a bundle is at most 5 MiB; larger bodies are batch uploads
MAX_HEAD = 64 * 1024  # past this the headers go to gunicorn's parser, which refuses them
TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
PAUSE = 0.01  # how long a worker holding more connections stops accepting, to let another take one
HAND_OFF = 0.2  # after which it accepts a connection still waiting anyway

SLOTS = 64  # workers' slots (a worker's spawn number modulo SLOTS): its pid and connections held
# Made in the arbiter when it imports this module, so every worker it forks shares it.
_SHARED = mmap.mmap(-1, SLOTS * 16)
_COUNTS = memoryview(_SHARED).cast("q")  # [pid, connections] for each slot


class RequestBufferingWorker(ThreadWorker):
    """``gthread`` with whole requests read by the main loop (see the module's docstring)."""

    client_timeout = 15.0  # set by docgen.serve.server before the workers start

    def __init__(self, *args, **kwargs) -> None:
        self._slot: int | None = None  # set in the worker process, once forked
        super().__init__(*args, **kwargs)
        self.reading: dict[object, float] = {}  # connection -> when it times out
        self._paused_until = 0.0  # not accepting before this (time.monotonic())
        self._waiting_since: float | None = None  # when this worker first let a connection wait
        self._last_deferral = 0.0

    # -- sharing connections between workers ------------------------------------------------------
    @property
    def nr_conns(self) -> int:
        return self._nr_conns

    @nr_conns.setter
    def nr_conns(self, value: int) -> None:
        """gthread counts the connections it holds here; other workers see the count."""
        self._nr_conns = value
        if self._slot is not None:
            _COUNTS[self._slot + 1] = value

    def run(self) -> None:
        """Publish this worker's slot once it can accept (its application loaded), then serve."""
        self._slot = (self.age % SLOTS) * 2
        _COUNTS[self._slot + 1] = self._nr_conns
        _COUNTS[self._slot] = os.getpid()
        super().run()

    def _fewer_elsewhere(self) -> bool:
        """Whether another live worker holds fewer connections than this one."""
        for slot in range(0, SLOTS * 2, 2):
            pid = _COUNTS[slot]
            if pid and slot != self._slot and _COUNTS[slot + 1] < self._nr_conns:
                try:
                    os.kill(pid, 0)
                    return True
                except ProcessLookupError:  # died without clearing its slot (killed)
                    _COUNTS[slot] = 0
        return False

    def accept(self, listener) -> None:
        now = time.monotonic()
        if self._fewer_elsewhere():
            if self._waiting_since is None or now - self._last_deferral > 2 * PAUSE:
                self._waiting_since = now  # a new connection, not the one let wait before
            self._last_deferral = now
            if now - self._waiting_since < HAND_OFF:
                self._paused_until = now + PAUSE
                self.set_accept_enabled(False)
                return
        self._waiting_since = None
        super().accept(listener)

    def set_accept_enabled(self, enabled: bool) -> None:
        if enabled and time.monotonic() < self._paused_until:
            return  # gthread's loop asks again on its next turn
        if not enabled and not self.alive and self._slot is not None:
            _COUNTS[self._slot] = 0  # stopping: others must not leave connections for this one
        super().set_accept_enabled(enabled)

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        paused = self._paused_until - time.monotonic()
        super().wait_for_and_dispatch_events(min(timeout, paused) if paused > 0 else timeout)

    def enqueue_req(self, conn) -> None:
        """Called on the main thread for every request a connection is about to send."""
        if getattr(conn, "docgen_read", False) or self.cfg.is_ssl:
            conn.docgen_read = False
            _limit_reads(conn.sock, self.client_timeout)
            super().enqueue_req(conn)
            return
        conn.docgen_buffer = bytearray(conn.parser.unreader.take_buffered() if conn.parser else b"")
        conn.docgen_needs = None  # bytes the request takes, once its headers are in
        conn.sock.setblocking(False)
        self.reading[conn] = time.monotonic() + self.client_timeout
        if self._complete(conn):  # a pipelined request already held
            self._hand_over(conn)
            return
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _on_readable(self, conn, _sock) -> None:
        try:
            data = conn.sock.recv(256 * 1024)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away
            self._drop(conn)
            return
        conn.docgen_buffer += data
        self.reading[conn] = time.monotonic() + self.client_timeout
        if self._complete(conn):
            self.poller.unregister(conn.sock)
            self._hand_over(conn)

    @staticmethod
    def _complete(conn) -> bool:
        if conn.docgen_needs is None:  # the headers are read once, not again for each piece of body
            conn.docgen_needs = _request_size(conn.docgen_buffer)
        return conn.docgen_needs is not None and len(conn.docgen_buffer) >= conn.docgen_needs

    def _hand_over(self, conn) -> None:
        del self.reading[conn]
        conn.sock.setblocking(True)
        if conn.parser is None:
            conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
        conn.parser.unreader.unread(bytes(conn.docgen_buffer))
        conn.docgen_buffer = None
        conn.data_ready = conn.docgen_read = True
        self.enqueue_req(conn)

    def _drop(self, conn, answer: bytes = b"") -> None:
        self.poller.unregister(conn.sock)
        del self.reading[conn]
        if answer:
            try:
                conn.sock.send(answer)
            except OSError:
                pass
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self) -> None:
        """gthread's own clean-up, and 408 for each request whose client fell silent."""
        super().murder_pending()
        now = time.monotonic()
        for conn in [c for c, deadline in self.reading.items() if deadline <= now]:
            self._drop(conn, TIMED_OUT if conn.docgen_buffer else b"")  # a silent one is just closed


def _request_size(buffer: bytearray) -> int | None:
    """How many bytes must be read before a thread takes the request: None while its headers
    are incomplete; the headers alone when the thread reads the body itself (large, chunked,
    or awaiting 100 Continue), or when gunicorn's parser will refuse the headers anyway."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return 0 if len(buffer) > MAX_HEAD else None
    length = 0
    for line in bytes(buffer[:end]).split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            if not value.isdigit():
                return 0  # gunicorn's parser answers it 400
            length = int(value)
        elif (name == b"transfer-encoding" and value) or (name == b"expect" and value == b"100-continue"):
            return 0
    return 0 if length > BUFFERED_BODY else end + 4 + length


def _limit_reads(sock: socket.socket, seconds: float) -> None:
    """Make every blocking read of ``sock`` fail after ``seconds`` without data (SO_RCVTIMEO;
    Python's own timeouts would be undone by gunicorn's setblocking(True))."""
    whole = int(seconds)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", whole, int((seconds - whole) * 1e6)))
