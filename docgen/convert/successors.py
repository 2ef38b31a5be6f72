"""LibreOffices started ahead of the ones they are to replace, so recycling costs no wait.

A worker's LibreOffice is recycled after so many documents or megabytes (see
:mod:`docgen.convert.converter`). Starting its successor takes about a second, and a worker that
waited for it lost that second each time: an idle core in a batch, a request held in
``docgen serve``. Shortly before it is due, the successor is started here, in the background,
with a profile of its own, while the old one goes on converting; when the old one is due, the
successor is ready to take the next document.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from docgen.convert.bridge import UnoBridge
from docgen.convert.profiles import Profile
from docgen.exceptions import ConvertError

log = logging.getLogger(__name__)

Started = tuple[UnoBridge, Profile]


class Successors:
    """At most one LibreOffice waiting per worker slot, started by ``start`` (which claims a
    profile and starts a bridge with it, raising ConvertError when it cannot)."""

    def __init__(self, start: Callable[[], Started]) -> None:
        self._start = start
        self._pool: ThreadPoolExecutor | None = None
        self._waiting: dict[int, Future[Started]] = {}
        self._lock = threading.Lock()  # workers' threads ask for their own slots at once

    def start_ahead(self, slot: int) -> None:
        """Start ``slot``'s successor now, unless one is already starting or waiting."""
        with self._lock:
            if slot in self._waiting:
                return
            if self._pool is None:
                self._pool = ThreadPoolExecutor(thread_name_prefix="docgen-successor")
            log.debug("starting the successor of worker %d's LibreOffice ahead of recycling", slot)
            self._waiting[slot] = self._pool.submit(self._start)

    def take(self, slot: int) -> Started | None:
        """``slot``'s successor, once it has started; None when none was started, it failed to
        start or it died while it waited (the caller starts one itself, as before)."""
        with self._lock:
            future = self._waiting.pop(slot, None)
        if future is None:
            return None
        try:
            bridge, profile = future.result()
        except ConvertError:
            log.debug("the successor of worker %d's LibreOffice did not start", slot, exc_info=True)
            return None
        if not bridge.alive():
            bridge.stop()
            profile.release()
            return None
        return bridge, profile

    def close(self) -> None:
        """Stop every successor, started or starting, and release its profile."""
        with self._lock:
            waiting, self._waiting = list(self._waiting.values()), {}
            pool, self._pool = self._pool, None
        for future in waiting:
            try:
                bridge, profile = future.result()
            except ConvertError:
                continue
            bridge.stop()
            profile.release()
        if pool is not None:
            pool.shutdown(wait=True)
