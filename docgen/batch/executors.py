"""Where a batch's chunks run: local worker processes, or a Dask distributed cluster.

Both take chunks of :class:`~docgen.batch.workers.Task` with ``submit`` and hand back
``(chunk, results or exception)`` with ``next_done`` as chunks finish, in whatever order.
The main process keeps at most ``capacity * 2`` chunks in flight, so memory stays flat.
"""

from __future__ import annotations

import ipaddress
import logging
import multiprocessing
import os
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from docgen.batch.templateset import TemplateSet, hand_over
from docgen.batch.workers import Settings, Task, init_worker, render_chunk
from docgen.exceptions import InputError, RenderError

log = logging.getLogger("docgen.batch")

Chunk = list[Task]
MAX_RESTARTS = 3  # times a local pool is rebuilt after a worker died, in one run
START_RETRY_PAUSE = 0.5  # seconds given a killed process server to finish exiting


class LocalExecutor:
    """``jobs`` worker processes on this machine, each with its own pipeline (and converter).

    Workers are forked from a clean server process (``forkserver``) that has imported docgen
    once, so they start fast and do not inherit the batch's open files or threads. A worker
    that dies (killed, out of memory) breaks the pool: it is rebuilt and the chunks it took down
    are tried once more. So does the server dying (see ``_after_failed_start``). Past
    ``MAX_RESTARTS`` the batch stops with a RenderError (exit 3).
    """

    def __init__(self, settings: Settings, jobs: int) -> None:
        self.settings = settings
        self.capacity = max(1, jobs)
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["docgen.batch.workers"])
        self._pool = self._new_pool()
        self._futures: dict = {}
        self._restarts = 0

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.capacity,
            mp_context=self._context,
            initializer=init_worker,
            initargs=(self.settings, os.getpid()),
        )

    def __len__(self) -> int:
        return len(self._futures)

    def submit(self, chunk: Chunk, attempt: int = 1) -> None:
        try:
            future = self._pool.submit(render_chunk, self.settings, chunk)
        except BrokenProcessPool:
            self._restart()
            return self.submit(chunk, attempt)
        except (OSError, EOFError) as e:  # no new worker process could be started
            self._after_failed_start(e)
            return self.submit(chunk, attempt)
        self._futures[future] = (chunk, attempt)

    def next_done(self):
        done, _ = wait(list(self._futures), return_when=FIRST_COMPLETED)
        future = done.pop()
        chunk, attempt = self._futures.pop(future)
        try:
            return chunk, future.result()
        except BrokenProcessPool as e:
            if attempt > 1:
                return chunk, e
            self._restart()
            self.submit(chunk, attempt + 1)
            return self.next_done()
        except Exception as e:  # noqa: BLE001 - reported against the chunk's bundles
            return chunk, e

    def _after_failed_start(self, error: OSError | EOFError) -> None:
        """No worker could be started, most likely because the process server was killed (by
        the out-of-memory killer, as a worker can be) and a pool reached it while it was still
        exiting: its socket refuses the connection, or closes before a worker is made.
        multiprocessing starts a new server by itself once the old one has exited, so give it a
        moment, then rebuild the pool; this counts as a restart."""
        if self._restarts >= MAX_RESTARTS:
            reason = (error.strerror or str(error)) if isinstance(error, OSError) else "the process server stopped"
            raise RenderError(f"Worker processes cannot be started ({reason}); the batch was stopped.") from error
        log.debug("a worker process could not be started (%s); retrying", error)
        time.sleep(START_RETRY_PAUSE)
        self._restart()

    def _restart(self) -> None:
        """A worker died and took the pool down: start a new one and resubmit what was lost."""
        self._restarts += 1
        if self._restarts > MAX_RESTARTS:
            raise RenderError(
                f"Worker processes stopped unexpectedly {self._restarts} times; the batch was stopped."
            )
        lost = []
        for future, (chunk, attempt) in list(self._futures.items()):
            if not (future.done() and not future.cancelled() and future.exception() is None):
                lost.append((chunk, attempt))
                del self._futures[future]
        log.debug("a worker process died; resubmitting %d chunks", len(lost))
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()
        for chunk, attempt in lost:
            self.submit(chunk, attempt + 1)

    def close(self, *, cancel: bool = False) -> None:
        self._pool.shutdown(wait=True, cancel_futures=cancel)


@dataclass(frozen=True)
class ClusterTLS:
    """How the batch talks to a Dask cluster: mutual TLS with these files (a CA, and this
    machine's certificate and key signed by it), else Dask's own configuration. ``insecure``
    allows a scheduler reached without TLS on another machine."""

    ca_file: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    insecure: bool = False

    def security(self, address: str):
        """Dask's Security for ``address``; refuses plain connections that leave this machine."""
        from distributed.comm import parse_address, parse_host_port
        from distributed.security import Security

        given = {"tls_ca_file": self.ca_file, "tls_client_cert": self.cert, "tls_client_key": self.key}
        given = {name: str(path) for name, path in given.items() if path is not None}
        security = Security(**given, require_encryption=True) if given else Security()
        try:
            scheme, location = parse_address(address, strict=False)
            host = parse_host_port(location)[0] if scheme in ("tcp", "tls") else ""
        except ValueError as e:
            raise InputError(f"This is not a Dask scheduler address ({e}).", source=address) from e
        if given and scheme != "tls":
            raise InputError(f"Certificates were given, but the scheduler is reached over {scheme}://; "
                             "give its tls:// address.", source=address)  # fmt: skip
        if scheme == "tls" and not (security.tls_ca_file and security.tls_client_cert):
            raise InputError("A tls:// scheduler needs --tls-ca-file and --tls-cert (and --tls-key unless the "
                             "certificate file holds it); see the README's cluster recipe.", source=address)  # fmt: skip
        if scheme not in ("tls", "wss") and not _loopback(host) and not self.insecure:
            raise InputError(
                f"The scheduler is reached over {scheme}://, unencrypted, and is not on this machine: "
                "children's data must not cross a network in clear. Use tls:// with --tls-ca-file, "
                "--tls-cert and --tls-key (see the README's cluster recipe), or --insecure on a network "
                "you trust.",
                source=address,
            )
        return security


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may be anywhere
        return False


class DaskExecutor:
    """Chunks sent to a Dask distributed scheduler; its workers render and convert.

    Each chunk is a task with a key of its own. When a worker is lost, the scheduler runs its
    tasks again elsewhere; tasks are pure, and the main process writes each document once.
    Workers need docgen installed; the run's templates are sent to them once (``shipped``,
    :mod:`docgen.batch.templateset`), so no worker renders from a templates folder of its own.
    """

    def __init__(self, settings: Settings, address: str, run_id: str, shipped: TemplateSet, *,
                 tls: ClusterTLS | None = None, wait_seconds: float = 30) -> None:  # fmt: skip
        try:
            from distributed import Client, as_completed
        except ImportError as e:
            raise InputError('--scheduler needs Dask: pip install "distributed".', source=address) from e
        tls = tls or ClusterTLS()
        security = tls.security(address)
        self.settings = settings
        self._run_id = run_id
        self._count = 0
        self._chunks: dict[str, tuple] = {}  # key -> (future, chunk)
        try:
            self._client = Client(address, security=security, timeout=f"{wait_seconds}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as e:  # ValueError: a certificate Dask cannot use
            raise InputError(f"The Dask scheduler cannot be reached ({e}).", source=address) from e
        try:
            self._client.wait_for_workers(1, timeout=wait_seconds)
        except TimeoutError as e:
            self._client.close()
            raise InputError(f"The Dask scheduler has no workers after {wait_seconds:g} s.", source=address) from e
        self.capacity = max(1, sum(self._client.nthreads().values()))
        # Sent once, as a task of its own rather than scattered data: a result the cluster loses
        # with a worker is made again elsewhere, where scattered data would be gone.
        self._shipped = self._client.submit(hand_over, shipped, key=f"docgen-templates-{run_id}", pure=False)
        self._done = as_completed(loop=self._client.loop)

    def __len__(self) -> int:
        return len(self._chunks)

    def submit(self, chunk: Chunk) -> None:
        self._count += 1
        key = f"docgen-batch-{self._run_id}-{self._count}"
        future = self._client.submit(render_chunk, self.settings, chunk, self._shipped, key=key, pure=False)
        self._chunks[future.key] = (future, chunk)
        self._done.add(future)

    def next_done(self):
        future = next(self._done)
        _, chunk = self._chunks.pop(future.key)
        try:
            return chunk, future.result()
        except Exception as e:  # noqa: BLE001 - e.g. KilledWorker after repeated worker losses
            return chunk, e
        finally:
            future.release()

    def close(self, *, cancel: bool = False) -> None:
        if cancel and self._chunks:
            self._client.cancel([future for future, _ in self._chunks.values()])
        self._client.close()
