"""Convert: DOCX to PDF with warm LibreOffice workers (see :mod:`docgen.convert.converter`)."""

from docgen.convert.converter import (
    INSTALL_HINT,
    ConversionResult,
    Converter,
    export_options,
    find_soffice,
)
from docgen.convert.oneshot import export_filter

__all__ = [
    "INSTALL_HINT",
    "ConversionResult",
    "Converter",
    "export_filter",
    "export_options",
    "find_soffice",
]
