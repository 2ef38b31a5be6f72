"""Reading PDFs given to docgen, and writing PDFs so a reader never sees half a file."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from docgen.exceptions import InputError, OutputError, PdfInputError


def open_pdf(path: Path, *, allow_encrypted: bool = False) -> PdfReader:
    """Open ``path`` and read its page tree; raise PdfInputError naming it if it is not a PDF."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            head = f.read(1024)
        if b"%PDF-" not in head:
            raise PdfInputError("The file is not a PDF (no %PDF- header).", source=str(path))
        with _quiet_pypdf():
            reader = PdfReader(path)
            if reader.is_encrypted and not allow_encrypted:
                message = "The PDF is encrypted; give docgen the unencrypted file."
                raise PdfInputError(message, source=str(path))
            len(reader.pages)  # walks the page tree, so a broken one fails here, not later
    except PdfInputError:
        raise
    except OSError as e:
        raise InputError(f"The file cannot be read ({e.strerror}).", source=str(path)) from e
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as e:
        message = f"The file is not a readable PDF ({e})."
        raise PdfInputError(message, source=str(path)) from e
    return reader


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """Hold back pypdf's warnings about a damaged file; the error raised says it instead."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def write_atomically(writer: PdfWriter, target: Path) -> Path:
    """Write ``writer`` to a temporary file beside ``target``, then rename it into place."""
    target = Path(target)
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".part", dir=target.parent
        )
    except OSError as e:
        message = f"The file could not be written ({e.strerror})."
        raise OutputError(message, source=str(target)) from e
    try:
        with os.fdopen(fd, "wb") as out:
            writer.write(out)
        os.replace(tmp_name, target)
    except OSError as e:
        Path(tmp_name).unlink(missing_ok=True)
        message = f"The file could not be written ({e.strerror})."
        raise OutputError(message, source=str(target)) from e
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target
