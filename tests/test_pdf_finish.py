"""finish_pdf on PDFs LibreOffice made: metadata in Info and XMP, PDF/A kept, AES-256."""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
import pytest
from pypdf import PasswordType, PdfReader

from docgen.convert import Converter
from docgen.exceptions import PdfInputError
from docgen.pdfout import finish_pdf

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None, reason="needs LibreOffice")

DETAILS = {
    "title": "Outcome letter",
    "author": "Worcestershire County Council",
    "subject": "Outcome letter, case WCC-2026-0042",
}


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> dict[str, Path]:
    """One plain and one PDF/A conversion of the same letter."""
    folder = tmp_path_factory.mktemp("finish")
    source = folder / "letter.docx"
    document = docx.Document()
    document.add_paragraph("Pangolin outcome paragraph")
    document.save(source)
    with Converter(jobs=1) as plain, Converter(jobs=1, pdfa=True) as archival:
        return {
            "plain": plain.convert(source, folder / "plain.pdf"),
            "pdfa": archival.convert(source, folder / "pdfa.pdf"),
        }


@pytest.fixture
def plain(converted, tmp_path) -> Path:
    return Path(shutil.copy(converted["plain"], tmp_path / "letter.pdf"))


@pytest.fixture
def pdfa(converted, tmp_path) -> Path:
    return Path(shutil.copy(converted["pdfa"], tmp_path / "letter-a.pdf"))


def test_metadata_is_set_in_the_info_dictionary_and_xmp(pdfa):
    finish_pdf(pdfa, **DETAILS, keywords=["outcome", "WCC-2026-0042"])

    reader = PdfReader(pdfa)
    assert reader.metadata.title == "Outcome letter"
    assert reader.metadata.author == "Worcestershire County Council"
    assert reader.metadata.subject == "Outcome letter, case WCC-2026-0042"
    assert reader.metadata["/Keywords"] == "outcome, WCC-2026-0042"
    xmp = reader.xmp_metadata
    assert xmp.dc_title == {"x-default": "Outcome letter"}
    assert xmp.dc_creator == ["Worcestershire County Council"]
    assert xmp.dc_description == {"x-default": "Outcome letter, case WCC-2026-0042"}
    assert xmp.pdf_keywords == "outcome, WCC-2026-0042"
    assert xmp.pdf_producer == reader.metadata.producer
    assert "Pangolin outcome paragraph" in reader.pages[0].extract_text()


def test_pdfa_identification_survives_finishing(pdfa):
    finish_pdf(pdfa, **DETAILS)

    reader = PdfReader(pdfa)
    packet = reader.trailer["/Root"]["/Metadata"].get_object()
    assert "/Filter" not in packet  # PDF/A keeps the XMP stream unfiltered
    data = packet.get_data()
    assert b"<pdfaid:part>2</pdfaid:part>" in data
    assert b"<pdfaid:conformance>B</pdfaid:conformance>" in data
    assert data.startswith(b"<?xpacket begin=") and data.rstrip().endswith(b"?>")
    assert reader.pdf_header == PdfReader(pdfa).pdf_header == "%PDF-1.6"
    assert "/OutputIntents" in reader.trailer["/Root"]
    assert "/ID" in reader.trailer


def test_plain_pdf_gets_metadata_without_xmp_identification(plain):
    finish_pdf(plain, **DETAILS)

    reader = PdfReader(plain)
    assert reader.metadata.title == "Outcome letter"
    assert "/Keywords" not in reader.metadata


def test_a_password_encrypts_with_aes_256(plain):
    finish_pdf(plain, **DETAILS, password="correct horse")

    locked = PdfReader(plain)
    assert locked.is_encrypted
    encrypt = locked.trailer["/Encrypt"]
    assert (encrypt["/V"], encrypt["/R"]) == (5, 6)
    assert encrypt["/CF"]["/StdCF"]["/CFM"] == "/AESV3"
    assert locked.decrypt("wrong password") == PasswordType.NOT_DECRYPTED
    assert b"Pangolin" not in plain.read_bytes()

    opened = PdfReader(plain, password="correct horse")
    assert "Pangolin outcome paragraph" in opened.pages[0].extract_text()
    assert opened.metadata.title == "Outcome letter"


def test_pdfa_cannot_be_encrypted(pdfa):
    before = pdfa.read_bytes()

    with pytest.raises(PdfInputError) as raised:
        finish_pdf(pdfa, **DETAILS, password="secret")

    assert str(raised.value) == (
        f"{pdfa}: The PDF is PDF/A, which does not allow encryption; convert without PDF/A."
    )
    assert raised.value.exit_code == 7
    assert pdfa.read_bytes() == before


def test_finishing_is_atomic_and_leaves_no_temporary_file(plain):
    finish_pdf(plain, **DETAILS)

    assert [p.name for p in plain.parent.iterdir()] == ["letter.pdf"]


def test_a_file_that_is_not_a_pdf_is_named(tmp_path):
    bogus = tmp_path / "letter.pdf"
    bogus.write_text("Dear parent")

    with pytest.raises(PdfInputError) as raised:
        finish_pdf(bogus, **DETAILS)

    assert str(raised.value) == f"{bogus}: The file is not a PDF (no %PDF- header)."
    assert raised.value.exit_code == 7


def test_an_encrypted_pdf_is_refused(plain):
    finish_pdf(plain, **DETAILS, password="pw")

    with pytest.raises(PdfInputError) as raised:
        finish_pdf(plain, **DETAILS)

    assert str(raised.value) == (
        f"{plain}: The PDF is encrypted; give docgen the unencrypted file."
    )


def test_a_plain_pdf_gets_an_xmp_packet_agreeing_with_its_info(plain):
    assert b"pdfuaid" in PdfReader(plain).trailer["/Root"]["/Metadata"].get_object().get_data()  # LibreOffice's own

    finish_pdf(plain, **DETAILS, keywords="outcome")

    reader = PdfReader(plain)
    xmp = reader.xmp_metadata
    assert xmp.dc_title == {"x-default": "Outcome letter"}
    assert xmp.dc_creator == ["Worcestershire County Council"]
    assert xmp.dc_description == {"x-default": "Outcome letter, case WCC-2026-0042"}
    assert xmp.pdf_keywords == "outcome"
    assert xmp.pdf_producer == reader.metadata.producer and "LibreOffice" in xmp.pdf_producer
    stream = reader.trailer["/Root"]["/Metadata"].get_object()
    assert (stream["/Type"], stream["/Subtype"]) == ("/Metadata", "/XML")
    assert b"pdfaid" not in stream.get_data()  # a plain PDF does not claim to be PDF/A


def test_an_encrypted_pdf_keeps_its_xmp(plain):
    finish_pdf(plain, **DETAILS, password="correct horse")

    opened = PdfReader(plain, password="correct horse")
    assert opened.xmp_metadata.dc_title == {"x-default": "Outcome letter"}
