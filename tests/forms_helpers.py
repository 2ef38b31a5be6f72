"""Helpers for the forms tests: filling a PDF the way a family's viewer would, and reading it."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from click.testing import CliRunner
from conftest import ROOT, VALID_SAMPLES
from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen.canvas import Canvas

FORMS = ROOT / "forms"
SAMPLE = next(p for p in VALID_SAMPLES if p.name == "worcestershire-child-in-need.json")


def invoke(command, args: list[str]):
    return CliRunner().invoke(command, [str(a) for a in args])


def family_fills(source: Path, target: Path, values: dict[str, str]) -> Path:
    """Fill fields as a PDF viewer would: text as text, buttons by state name ("/yes", "/Yes")."""
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.update_page_form_field_values(None, values, auto_regenerate=False)
    with target.open("wb") as out:
        writer.write(out)
    return target


def field_values(path: Path) -> dict[str, str | None]:
    """Every field's raw /V as text, as pypdf reads it."""
    fields = PdfReader(path).get_fields() or {}
    return {name: (str(f["/V"]) if f.get("/V") is not None else None) for name, f in fields.items()}


def pdftotext(path: Path, mode: str = "-layout") -> str:
    """The text poppler sees: laid out as on the page, or with "-raw" in the order it was drawn."""
    return subprocess.run(
        ["pdftotext", mode, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def plain_pdf(target: Path, fields: dict[str, str] | None = None) -> Path:
    """A one-page PDF made with reportlab, with the given text fields (none: no form at all)."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, "A PDF that is not one of docgen's forms.")
    for i, (name, value) in enumerate((fields or {}).items()):
        canvas.acroForm.textfield(name=name, value=value, x=72, y=650 - i * 30, width=200, height=20)
    canvas.showPage()
    canvas.save()
    target.write_bytes(buffer.getvalue())
    return target


def encrypted_copy(source: Path, target: Path, password: str) -> Path:
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(password, algorithm="AES-256")
    with target.open("wb") as out:
        writer.write(out)
    return target


def handmade_pdf(target: Path, *objects: bytes) -> Path:
    """A PDF written object by object (object 1 the catalogue), with a correct xref table, for
    files no PDF library would make: loops in the page tree or the form's fields."""
    out = b"%PDF-1.7\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    target.write_bytes(out)
    return target
