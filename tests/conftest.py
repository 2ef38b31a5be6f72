"""Fixtures shared across docgen's tests."""

from __future__ import annotations

import io
import os
from datetime import date
from pathlib import Path

import docx
import pytest

from docgen.pipeline import Pipeline
from docgen.registry import Registry
from notify_stand_in import NotifyStandIn

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
VALID_SAMPLES = sorted((SAMPLES / "valid").glob("*.json"))
INVALID_SAMPLES = sorted((SAMPLES / "invalid").glob("*.json"))
# PDF commands convert in-process, as with no warm converter service: a service would outlive
# the test that started it. tests/test_warm_service.py turns it on, in a cache folder of its own.
os.environ["DOCGEN_PDF_IDLE"] = "0"

# Samples say which day they were issued on (case.issue_date); tests run as if on that day.
TODAY = date(2026, 11, 20)


@pytest.fixture(scope="module")
def notify_service():
    """GOV.UK Notify's stand-in on the loopback, for a module's ``docgen serve`` to reach through
    the official client (NOTIFY_BASE_URL)."""
    with NotifyStandIn() as stand_in:
        yield stand_in


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry(ROOT / "templates")


@pytest.fixture(scope="session")
def pipeline(registry) -> Pipeline:
    return Pipeline(registry, today=TODAY)


def docx_text(content: bytes) -> str:
    """All the text of a DOCX a reader would see: body paragraphs, tables, headers, footers."""
    document = docx.Document(io.BytesIO(content))
    lines: list[str] = []

    def walk(container) -> None:
        for paragraph in container.paragraphs:
            lines.append(paragraph.text)
        for table in container.tables:
            for row in table.rows:
                for cell in row.cells:
                    walk(cell)

    walk(document)
    for section in document.sections:
        for part in (section.header, section.footer, section.first_page_header, section.first_page_footer):
            if not part.is_linked_to_previous:
                walk(part)
    return "\n".join(lines)
