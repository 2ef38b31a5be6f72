"""A Word package (zip) read once and written many times, copying unchanged parts as they are.

Rendering a letter changes two or three XML parts; the rest (styles, theme, fonts, images) are
the template's own bytes. Copying their compressed data instead of inflating and deflating it
again is most of what makes the fast path fast.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass

_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_END = struct.Struct("<4s4H2LH")
# 1980-01-01 00:00: a fixed time keeps outputs of the same input byte-identical.
_DOS_TIME, _DOS_DATE = 0, (0 << 9) | (1 << 5) | 1


@dataclass(frozen=True)
class Entry:
    name: str
    method: int
    crc: int
    size: int
    data: bytes  # compressed as ``method`` says


def read_entries(blob: bytes) -> dict[str, Entry]:
    """Every part of a zip, keeping each one's compressed bytes."""
    entries: dict[str, Entry] = {}
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        for info in archive.infolist():
            header = _LOCAL.unpack_from(blob, info.header_offset)
            start = info.header_offset + _LOCAL.size + header[9] + header[10]
            data = blob[start : start + info.compress_size]
            entries[info.filename] = Entry(
                info.filename, info.compress_type, info.CRC, info.file_size, data
            )
    return entries


def compressed(name: str, content: bytes, level: int = 6) -> Entry:
    packer = zlib.compressobj(level, zlib.DEFLATED, -15)
    data = packer.compress(content) + packer.flush()
    return Entry(name, zipfile.ZIP_DEFLATED, zlib.crc32(content), len(content), data)


def text_of(entry: Entry) -> str:
    if entry.method == zipfile.ZIP_STORED:
        return entry.data.decode("utf-8")
    return zlib.decompress(entry.data, -15).decode("utf-8")


def write_zip(entries: list[Entry]) -> bytes:
    """The zip holding ``entries`` in order, ``[Content_Types].xml`` expected first."""
    body = bytearray()
    directory = bytearray()
    for entry in entries:
        name = entry.name.encode("utf-8")
        offset = len(body)
        body += _LOCAL.pack(
            b"PK\x03\x04", 20, 0x800, entry.method, _DOS_TIME, _DOS_DATE,
            entry.crc, len(entry.data), entry.size, len(name), 0,
        )
        body += name
        body += entry.data
        directory += _CENTRAL.pack(
            b"PK\x01\x02", 20, 20, 0x800, entry.method, _DOS_TIME, _DOS_DATE,
            entry.crc, len(entry.data), entry.size, len(name), 0, 0, 0, 0, 0, offset,
        )
        directory += name
    end = _END.pack(
        b"PK\x05\x06", 0, 0, len(entries), len(entries), len(directory), len(body), 0
    )
    return bytes(body + directory + end)
