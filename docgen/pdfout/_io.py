"""Reading PDFs given to docgen, and writing PDFs so a reader never sees half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError

from docgen.exceptions import InputError, OutputError, PdfInputError


def open_pdf(path: Path, *, allow_encrypted: bool = False) -> PdfReader:
    """Open ``path`` and read its page tree; raise PdfInputError naming it if it is not a PDF."""
    path = Path(path)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not allow_encrypted:
            raise PdfInputError("is encrypted; give docgen the unencrypted PDF", source=str(path))
        len(reader.pages)  # walks the page tree, so a broken one fails here, not later
    except PdfInputError:
        raise
    except OSError as e:
        raise InputError(f"cannot be read: {e.strerror}", source=str(path)) from e
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as e:
        message = f"is not a readable PDF ({type(e).__name__})"
        raise PdfInputError(message, source=str(path)) from e
    return reader


def write_atomically(writer: PdfWriter, target: Path) -> Path:
    """Write ``writer`` to a temporary file beside ``target``, then rename it into place."""
    target = Path(target)
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".part", dir=target.parent
        )
    except OSError as e:
        raise OutputError(f"cannot be written: {e.strerror}", path=str(target)) from e
    try:
        with os.fdopen(fd, "wb") as out:
            writer.write(out)
        os.replace(tmp_name, target)
    except OSError as e:
        Path(tmp_name).unlink(missing_ok=True)
        raise OutputError(f"cannot be written: {e.strerror}", path=str(target)) from e
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target
