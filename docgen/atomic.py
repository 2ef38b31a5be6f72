"""Writing files and folders safely: private, never through a link, never half-written.

Everything docgen writes is readable by its user alone (files 0600, folders it makes 0700,
whatever the umask), because it holds children's data. A symbolic link where docgen is about to
write is refused rather than followed: a link planted in an output folder (``OUT/.docgen``,
``OUT/runs``, a file named like a letter) could otherwise send the register, the manifests or a
letter somewhere else, or overwrite another file.
"""

from __future__ import annotations

import errno
import fcntl
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from docgen.exceptions import OutputError

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def refuse_link(path: Path) -> Path:
    """``path``, unless it is a symbolic link: docgen never writes through one."""
    if Path(path).is_symlink():
        raise OutputError(
            f"{Path(path).name} is a symbolic link; docgen does not write through links. Remove it, "
            "or choose another output folder.",
            source=str(path),
        )
    return Path(path)


def private_folder(path: Path, *, own: bool = False) -> Path:
    """Make the folder ``path`` and any missing parents, each 0700. A link in place of ``path``
    is refused (its parents are the user's to arrange). An existing folder is kept as it is,
    unless it is docgen's ``own`` (its state and run folders): that is made 0700 again, in case
    an older docgen left it open."""
    target = path = Path(path)
    refuse_link(target)
    if own and target.is_dir():
        os.chmod(target, PRIVATE_FOLDER, follow_symlinks=False)
    missing = []
    while not path.is_dir():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_FOLDER)
            os.chmod(folder, PRIVATE_FOLDER, follow_symlinks=False)  # the umask may have taken bits
        except FileExistsError:
            refuse_link(folder)  # made meanwhile by someone else: only a real folder will do
            if not folder.is_dir():
                raise OutputError("This is a file, not a folder.", source=str(folder)) from None
        except OSError as e:
            raise OutputError(f"The folder cannot be created ({os_reason(e)}).", source=str(folder)) from e
    return target


def open_private(path: Path, flags: int = os.O_RDWR) -> int:
    """Open (or create) the file ``path`` as 0600, refusing a link; returns the descriptor."""
    try:
        handle = os.open(path, flags | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, PRIVATE_FILE)
    except OSError as e:
        if e.errno == errno.ELOOP:
            refuse_link(path)
        raise OutputError(f"The file could not be written ({os_reason(e)}).", source=str(path)) from e
    os.fchmod(handle, PRIVATE_FILE)  # a file left by an older docgen may have been 0644
    return handle


def write_atomic(target: Path, content: bytes, *, durable: bool = True) -> Path:
    """Write ``content`` to ``target`` (0600) via a temporary file and a rename.

    With ``durable=False`` the file is not flushed to disk before the rename: a reader, or a
    process killed mid-write, still never sees half a file, but a power cut may leave it empty.
    A batch uses it and syncs once at the end (and checks files' hashes before trusting them).
    """
    refuse_link(target)
    temp = None
    try:
        handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".docgen-", suffix=".part")  # 0600
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.replace(temp, target)
    except BaseException as e:
        if temp is not None:
            Path(temp).unlink(missing_ok=True)
        if not isinstance(e, OSError):
            raise
        raise OutputError(f"The file could not be written ({os_reason(e)}).", source=str(target)) from e
    return target


def os_reason(error: OSError) -> str:
    return "the disk is full" if error.errno == errno.ENOSPC else (error.strerror or str(error))


@contextmanager
def held_lock(path: Path):
    """An exclusive lock on the file ``path`` (made 0600 if missing, never through a link),
    held until the block ends, across threads and processes alike; a second holder waits."""
    handle = os.open(path, os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # releases the lock
