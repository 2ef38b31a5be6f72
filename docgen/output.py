"""Writing documents: atomically, inside the output folder, never two to one name.

A document is written to a hidden temporary file in the same folder and renamed into place, so
a reader (or a batch killed half way) never sees a partial file.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from docgen.exceptions import OutputError


def prepare_folder(out_dir: Path) -> Path:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"The output folder cannot be created ({e.strerror}).", source=str(out_dir)) from e
    if not os.access(out_dir, os.W_OK):
        raise OutputError("The output folder is read-only.", source=str(out_dir))
    return out_dir


def target_in(out_dir: Path, filename: str) -> Path:
    """``out_dir/filename``, refusing a name that would land outside the folder."""
    if not filename or filename != Path(filename).name or filename.startswith("."):
        raise OutputError(f"The file name {filename!r} would escape the output folder.", source=str(out_dir))
    target = (out_dir / filename).resolve()
    if target.parent != out_dir.resolve():
        raise OutputError(f"The file name {filename!r} would escape the output folder.", source=str(out_dir))
    return target


def write_atomic(target: Path, content: bytes) -> Path:
    """Write ``content`` to ``target`` via a temporary file and a rename."""
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".docgen-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, target)
    except OSError as e:
        Path(temp).unlink(missing_ok=True)
        reason = "the disk is full" if e.errno == errno.ENOSPC else e.strerror
        raise OutputError(f"The file could not be written ({reason}).", source=str(target)) from e
    return target
