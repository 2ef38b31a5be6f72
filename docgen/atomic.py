"""Writing a file so that nobody sees half of it: a temporary file beside it, then a rename."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from docgen.exceptions import OutputError


def write_atomic(target: Path, content: bytes, *, durable: bool = True) -> Path:
    """Write ``content`` to ``target`` via a temporary file and a rename.

    With ``durable=False`` the file is not flushed to disk before the rename: a reader, or a
    process killed mid-write, still never sees half a file, but a power cut may leave it empty.
    A batch uses it and syncs once at the end (and checks files' hashes before trusting them).
    """
    temp = None
    try:
        handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".docgen-", suffix=".part")
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
        reason = "the disk is full" if e.errno == errno.ENOSPC else e.strerror
        raise OutputError(f"The file could not be written ({reason}).", source=str(target)) from e
    return target
