"""Opening PDFs given to docgen (letters to check or pack, returned forms), and writing PDFs
so that a reader never sees half a file."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.errors import FileNotDecryptedError, PyPdfError

from docgen.exceptions import InputError, PdfInputError
from docgen.atomic import write_atomic


def open_pdf(path: Path, password: str | None = None, *, password_option: str | None = None) -> PdfReader:
    """A readable, decrypted PDF, or PdfInputError saying plainly what is wrong with the file.

    ``password_option`` names the command's option that gives a password, for the message
    about an encrypted file given without one.

    The whole page tree and form fields are read here, so a damaged file fails now, naming
    the file, rather than halfway through filling or packing it.
    """
    path = Path(path)
    try:
        content = path.read_bytes()
    except OSError as e:
        raise InputError(f"The file cannot be read ({e.strerror}).", source=str(path)) from e
    if b"%PDF-" not in content[:1024]:
        raise PdfInputError("The file is not a PDF (no %PDF- header).", source=str(path))
    if b"%%EOF" not in content[-1024:]:
        raise PdfInputError(
            "The PDF is incomplete (no %%EOF at its end); it may have been cut short.", source=str(path)
        )
    try:
        with quiet_pypdf():
            reader = PdfReader(io.BytesIO(content))
            if reader.is_encrypted:
                _decrypt(reader, path, password, password_option)
            len(reader.pages)  # walks the page tree
            reader.get_fields()
    except PdfInputError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as e:
        raise PdfInputError("The file is not a readable PDF; it may be damaged.", source=str(path)) from e
    return reader


def _decrypt(reader: PdfReader, path: Path, password: str | None, password_option: str | None) -> None:
    if password is None:
        fix = f"give its password with {password_option}" if password_option else "give docgen the unencrypted file"
        raise PdfInputError(f"The PDF is encrypted; {fix}.", source=str(path))
    try:
        opened = reader.decrypt(password)
    except (FileNotDecryptedError, NotImplementedError) as e:
        raise PdfInputError("The PDF is encrypted in a way docgen cannot open.", source=str(path)) from e
    if not opened:
        raise PdfInputError("The password given does not open the PDF.", source=str(path))


@contextmanager
def quiet_pypdf() -> Iterator[None]:
    """Hold back pypdf's warnings about a damaged file; the error raised says it instead."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def write_pdf(writer: PdfWriter, target: Path) -> Path:
    """Write ``writer`` to ``target`` atomically (see :func:`docgen.output.write_atomic`)."""
    buffer = io.BytesIO()
    writer.write(buffer)
    return write_atomic(Path(target), buffer.getvalue())
