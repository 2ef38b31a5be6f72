"""Compiled templates kept between runs, in docgen's cache folder.

Compiling a Word template (docxtpl's preparation of its XML, Jinja's compilation to Python, and
the proof that its fillings are well-formed) takes about 40 ms. A `docgen render` of one bundle
uses some fifteen templates, so every command spent longer compiling than LibreOffice spent
converting its PDFs, and each batch worker compiled every template again. A template's
compiled parts are kept here instead, and a later process loads them in a fraction of that.

An entry is named by the template's bytes and by everything that decides what compiling them
gives: the source of :mod:`docgen.render`, and the versions of Jinja, docxtpl and Python. A
changed template, or another docgen, never reads an old entry. Entries are written atomically
and privately (the folder is 0700, like Python's own ``__pycache__`` they hold code to run,
so nobody else may write them); one that cannot be read is compiled again and rewritten, and
a cache folder that cannot be written only costs the time.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from docgen.atomic import private_folder, write_atomic
from docgen.cache import cache_root
from docgen.exceptions import OutputError

MAX_ENTRIES = 400  # templates (and their past versions) kept; the oldest read go first


def key(template: bytes) -> str:
    """The name of the entry for the template whose bytes are ``template``."""
    return hashlib.sha256(_compiler_fingerprint() + template).hexdigest()


def load(name: str) -> dict | None:
    """The entry ``name`` as :func:`store` was given it, or None if there is none to trust."""
    path = _folder() / f"{name}.marshal"
    try:
        with open(path, "rb") as stream:
            entry = marshal.load(stream)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return entry if isinstance(entry, dict) and entry.get("key") == name else None


def store(name: str, entry: dict) -> None:
    """Keep ``entry`` (plain values and code objects only: what marshal writes) as ``name``."""
    try:
        folder = private_folder(_folder())
        write_atomic(folder / f"{name}.marshal", marshal.dumps({**entry, "key": name}), durable=False)
        _prune(folder)
    except (OSError, OutputError, ValueError):
        pass  # a cache that cannot be written costs time, nothing else


def _folder() -> Path:
    return cache_root() / "templates"


def _prune(folder: Path) -> None:
    entries = list(folder.glob("*.marshal"))
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort(key=lambda path: path.stat().st_atime)
    for path in entries[: len(entries) - MAX_ENTRIES]:
        path.unlink(missing_ok=True)


@lru_cache(maxsize=1)
def _compiler_fingerprint() -> bytes:
    digest = hashlib.sha256()
    render_package = Path(__file__).parent
    for source in sorted(render_package.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    for library in ("jinja2", "docxtpl", "markupsafe"):
        digest.update(f"{library}={metadata.version(library)}\0".encode())
    digest.update(f"python={sys.implementation.cache_tag}\0{os.sep}".encode())
    return digest.digest()
