"""LibreOffice user profiles kept between runs, one per converter worker at a time.

LibreOffice spends most of its first start writing a new user profile. Keeping the profiles in
docgen's cache folder lets the next run start warm. A lock on each profile gives it to one
worker at a time, across processes, so two runs never share one (LibreOffice would refuse).
"""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

from docgen.cache import cache_root
from docgen.exceptions import ConvertError

MAX_PROFILES = 64


class Profile:
    """A LibreOffice profile folder held (locked) by this process until :meth:`release`."""

    def __init__(self, path: Path, lock_fd: int) -> None:
        self.path = path
        self._lock_fd = lock_fd

    @property
    def uri(self) -> str:
        return self.path.as_uri()

    def reset(self) -> None:
        """Remove the profile's contents, so LibreOffice makes it afresh (after a failed start)."""
        shutil.rmtree(self.path, ignore_errors=True)

    def release(self) -> None:
        if self._lock_fd >= 0:
            os.close(self._lock_fd)  # closing the descriptor releases the lock
            self._lock_fd = -1


def claim_profile() -> Profile:
    """Lock and return the first free cached profile, making the cache folder (0700) if needed."""
    folder = cache_root() / "libreoffice"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as e:
        raise ConvertError(f"Could not make LibreOffice's profile folder {folder} ({e.strerror}).") from e
    for number in range(MAX_PROFILES):
        lock_path = folder / f"profile{number}.lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return Profile(folder / f"profile{number}", fd)
    raise ConvertError(f"All {MAX_PROFILES} LibreOffice profiles in {folder} are in use.")
