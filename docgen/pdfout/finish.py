"""Finish a converted PDF: document metadata (Info and XMP kept in step), optional encryption."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape
from collections.abc import Sequence
from pathlib import Path

from pypdf import PdfWriter
from pypdf.generic import NameObject, StreamObject

from docgen.exceptions import PdfInputError
from docgen.pdfout.pdffile import open_pdf, write_pdf

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)


def finish_pdf(
    path: Path,
    *,
    title: str,
    author: str,
    subject: str,
    keywords: str | Sequence[str] | None = None,
    password: str | None = None,
) -> Path:
    """Set the PDF's title, author (the authority), subject and keywords; encrypt if asked.

    The same values go into the XMP packet (:func:`write_xmp`), which every PDF gets; a PDF/A
    file's identification is kept. With ``password`` the file is encrypted with AES-256, which PDF/A
    forbids, so asking for both raises PdfInputError. The file is replaced atomically.
    """
    path = Path(path)
    reader = open_pdf(path)
    writer = PdfWriter(clone_from=reader)
    writer.pdf_header = reader.pdf_header
    if isinstance(keywords, str) or keywords is None:
        keyword_text = keywords or ""
    else:
        keyword_text = ", ".join(keywords)
    info = {"/Title": title, "/Author": author, "/Subject": subject}
    if keyword_text:
        info["/Keywords"] = keyword_text

    if password and b"pdfaid" in _xmp_packet(writer):
        message = "The PDF is PDF/A, which does not allow encryption; convert without PDF/A."
        raise PdfInputError(message, source=str(path))
    write_xmp(writer, info, keyword_text)
    writer.add_metadata(info)

    if password:
        if writer.pdf_header < "%PDF-1.7":  # AES-256 needs PDF 1.7 (extension level 3)
            writer.pdf_header = "%PDF-1.7"
        writer.encrypt(user_password=password, algorithm="AES-256")
    return write_pdf(writer, path)


def write_xmp(writer: PdfWriter, info: dict[str, str], keywords: str) -> None:
    """Put title, author, subject and keywords into the PDF's XMP packet, making one if it has none.

    The one place docgen writes XMP: LibreOffice writes a packet only for PDF/A, and the README
    promises every PDF carries the metadata in XMP too. ``info`` is the document information
    dictionary about to be written; its ``/Producer`` is made to agree with the packet's, as
    PDF/A requires.
    """
    packet = _xmp_packet(writer) or _empty_packet(writer)
    producer = _xmp_producer(packet)
    if producer:
        info["/Producer"] = producer
    packet = update_xmp(packet, info["/Title"], info["/Author"], info["/Subject"], keywords)
    metadata = writer.root_object.get("/Metadata")
    if metadata is None:
        writer.xmp_metadata = packet
        stream = writer.root_object["/Metadata"].get_object()
        stream[NameObject("/Type")] = NameObject("/Metadata")
        stream[NameObject("/Subtype")] = NameObject("/XML")
    else:
        _set_stream(metadata.get_object(), packet)


def _xmp_packet(writer: PdfWriter) -> bytes:
    metadata = writer.root_object.get("/Metadata")
    return metadata.get_object().get_data() if metadata is not None else b""


def _empty_packet(writer: PdfWriter) -> bytes:
    """An XMP packet with the producer the PDF already names, for :func:`update_xmp` to fill."""
    producer = str(writer.metadata.get("/Producer", "")) if writer.metadata else ""
    producer_xml = ""
    if producer:
        producer_xml = (f'<rdf:Description rdf:about="" xmlns:pdf="{NS["pdf"]}">'
                        f"<pdf:Producer>{escape(producer)}</pdf:Producer></rdf:Description>")
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        f'<x:xmpmeta xmlns:x="{NS["x"]}"><rdf:RDF xmlns:rdf="{NS["rdf"]}">{producer_xml}</rdf:RDF></x:xmpmeta>'
        '<?xpacket end="w"?>'
    ).encode("utf-8")


def update_xmp(packet: bytes, title: str, author: str, subject: str, keywords: str) -> bytes:
    """Return the XMP ``packet`` with Dublin Core title, creator, description and keywords set.

    Everything else in the packet (PDF/A identification, dates, producer) and its
    ``<?xpacket?>`` wrapper and padding are kept as they were.
    """
    start = packet.find(b"<x:xmpmeta")
    end = packet.find(b"</x:xmpmeta>")
    if start < 0 or end < 0:
        return packet
    end += len(b"</x:xmpmeta>")
    root = ET.fromstring(packet[start:end])
    rdf = root.find("rdf:RDF", NS)
    if rdf is None:
        return packet
    replaced = {f"{{{NS['dc']}}}{n}" for n in ("title", "creator", "description")}
    replaced.add(f"{{{NS['pdf']}}}Keywords")
    for description in rdf.findall("rdf:Description", NS):
        for child in list(description):
            if child.tag in replaced:
                description.remove(child)
        if len(description) == 0:
            rdf.remove(description)

    description = ET.SubElement(rdf, f"{{{NS['rdf']}}}Description", {f"{{{NS['rdf']}}}about": ""})
    _lang_alt(description, "title", title)
    creator = ET.SubElement(ET.SubElement(description, f"{{{NS['dc']}}}creator"), _rdf("Seq"))
    ET.SubElement(creator, _rdf("li")).text = author
    _lang_alt(description, "description", subject)
    if keywords:
        ET.SubElement(description, f"{{{NS['pdf']}}}Keywords").text = keywords
    ET.indent(root, space=" ")
    body = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return packet[:start] + body + packet[end:]


def _lang_alt(parent: ET.Element, name: str, text: str) -> None:
    alt = ET.SubElement(ET.SubElement(parent, f"{{{NS['dc']}}}{name}"), _rdf("Alt"))
    ET.SubElement(alt, _rdf("li"), {XML_LANG: "x-default"}).text = text


def _rdf(name: str) -> str:
    return f"{{{NS['rdf']}}}{name}"


def _xmp_producer(packet: bytes) -> str | None:
    found = re.search(rb"<pdf:Producer>([^<]*)</pdf:Producer>", packet)
    return found.group(1).decode("utf-8") if found else None


def _set_stream(stream: StreamObject, data: bytes) -> None:
    # PDF/A forbids a filter on the metadata stream, so store it as plain bytes.
    for key in ("/Filter", "/DecodeParms"):
        stream.pop(key, None)
    stream.set_data(data)
