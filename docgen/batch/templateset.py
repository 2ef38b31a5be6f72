"""The templates a batch runs with, as one set: fingerprinted, shipped to Dask workers.

A Dask worker reading its own ``$DOCGEN_TEMPLATES`` could fill letters from other templates
than the machine running the batch, under the same version number. Instead the batch packs
its templates folder once (:func:`pack`, a few hundred KiB) and hands the same bytes to every
Dask worker, which renders from its unpacked copy (:func:`unpack`); local worker processes
share one copy the batch unpacks for the run (:func:`unpack_into`). So no worker renders from a
folder of its own or one someone edits mid-run; each checks that it holds the run's
fingerprint and refuses the work otherwise (:func:`verify`). The manifest records the
fingerprint on every row.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from docgen.exceptions import TemplateError


@dataclass(frozen=True)
class TemplateSet:
    """A templates folder packed as a zip, and the fingerprint of its files."""

    sha256: str
    archive: bytes
    name: str = "templates"  # the folder's name, kept so messages name templates as the batch does


def _files(root: Path) -> list[tuple[str, Path]]:
    """The set's files by relative path: editors' lock and backup files (hidden, ``~$``) left out."""
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith((".", "~$")) for part in relative.parts) or not path.is_file():
            continue
        found.append((relative.as_posix(), path))
    return found


def hand_over(template_set: TemplateSet) -> TemplateSet:
    """A Dask task giving the set to the workers whose tasks depend on it."""
    return template_set


def fingerprint(root: Path) -> str:
    """SHA-256 over every file's relative path and content: equal only for the same templates."""
    digest = hashlib.sha256()
    for name, path in _files(Path(root)):
        digest.update(name.encode("utf-8") + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def pack(root: Path) -> TemplateSet:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, path in _files(Path(root)):
            archive.writestr(name, path.read_bytes())
    return TemplateSet(fingerprint(root), buffer.getvalue(), Path(root).resolve().name)


UNPACKED_PREFIX = "docgen-templates-"
_unpacked: dict[str, Path] = {}


def unpack(template_set: TemplateSet) -> Path:
    """The set as a folder of this (Dask worker) process's own, unpacked once."""
    if template_set.sha256 not in _unpacked:
        _unpacked[template_set.sha256] = unpack_into(template_set, _holder())
    return _unpacked[template_set.sha256]


def _holder() -> Path:
    """A private folder for a worker's copy: in the Dask worker's own directory, which Dask
    removes when the worker ends (and, for a killed worker, when the next one starts); outside
    a worker, a temporary folder removed at exit."""
    try:
        from distributed import get_worker

        return Path(tempfile.mkdtemp(prefix=UNPACKED_PREFIX, dir=get_worker().local_directory))
    except (ImportError, ValueError):  # not inside a Dask worker
        holder = Path(tempfile.mkdtemp(prefix=UNPACKED_PREFIX))
        atexit.register(shutil.rmtree, holder, ignore_errors=True)
        return holder


def unpack_into(template_set: TemplateSet, holder: Path) -> Path:
    """Write the set's files into a folder of its name in ``holder`` (a private folder the
    caller made and removes) and check them; returns that folder."""
    folder = holder / template_set.name
    with zipfile.ZipFile(io.BytesIO(template_set.archive)) as archive:
        for name in archive.namelist():
            parts = PurePosixPath(name).parts
            if PurePosixPath(name).is_absolute() or ".." in parts:
                raise TemplateError(f"The batch's templates hold a file outside their folder ({name!r}).")
            target = folder.joinpath(*parts)
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            target.write_bytes(archive.read(name))
    verify(folder, template_set.sha256)
    return folder


def verify(root: Path, expected: str) -> None:
    """Refuse to render from templates other than the run's."""
    found = fingerprint(root)
    if found != expected:
        raise TemplateError(
            f"This worker's templates (fingerprint {found[:12]}) are not the batch's ({expected[:12]}); "
            "it refused the work rather than mix two template sets in one run.",
            source=str(root),
        )
