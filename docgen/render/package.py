"""A Word package (zip) read once and written many times, copying unchanged parts as they are.

Rendering a letter changes two or three XML parts; the rest (styles, theme, fonts, images) are
the template's own bytes. Copying their compressed data instead of inflating and deflating it
again is most of what makes the fast path fast.

A template is read with limits: at most MAX_ENTRIES parts, each declaring at most
MAX_PART_BYTES and all together MAX_TOTAL_BYTES when inflated, and :func:`verify` inflates each
part in bounded steps to check it really is the size and checksum it declares, before anything
(python-docx included) inflates it whole. A zip bomb is refused without being inflated.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass, field

from isal import isal_zlib

_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_END = struct.Struct("<4s4H2LH")
MAX_ENTRIES = 1000
MAX_PART_BYTES = 32 * 1024 * 1024
MAX_TOTAL_BYTES = 128 * 1024 * 1024
# 1980-01-01 00:00: a fixed time keeps outputs of the same input byte-identical.
_DOS_TIME, _DOS_DATE = 0, (0 << 9) | (1 << 5) | 1


@dataclass(frozen=True)
class Entry:
    name: str
    method: int
    crc: int
    size: int
    data: bytes  # compressed as ``method`` says
    _records: list = field(default_factory=list, init=False, repr=False, compare=False)

    def zip_records(self) -> tuple[bytes, bytes]:
        """Its local header with name and data, and its central directory record up to the
        offset (which :func:`write_zip` adds). Kept once made: a template's parts are written
        again in every filled copy."""
        if not self._records:
            name = self.name.encode("utf-8")
            local = _LOCAL.pack(
                b"PK\x03\x04", 20, 0x800, self.method, _DOS_TIME, _DOS_DATE,
                self.crc, len(self.data), self.size, len(name), 0,
            )  # fmt: skip
            central = _CENTRAL.pack(
                b"PK\x01\x02", 20, 20, 0x800, self.method, _DOS_TIME, _DOS_DATE,
                self.crc, len(self.data), self.size, len(name), 0, 0, 0, 0, 0, 0,
            )  # fmt: skip
            self._records[:] = (local + name + self.data, central[:-4], name)
        return self._records


class PackageError(ValueError):
    """Raised when a Word file is not a zip docgen will read: broken, encrypted, or too large
    once inflated (``too_large`` tells a zip bomb from plain damage)."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large


def read_entries(blob: bytes) -> dict[str, Entry]:
    """Every part of a zip, keeping each one's compressed bytes; sizes are checked as declared."""
    entries: dict[str, Entry] = {}
    try:
        archive = zipfile.ZipFile(io.BytesIO(blob))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise PackageError(f"it is not a zip file ({e})") from e
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise PackageError(f"it has {len(infos):,} parts; the limit is {MAX_ENTRIES:,}", too_large=True)
        total = 0
        for info in infos:
            total += info.file_size
            if info.file_size > MAX_PART_BYTES or total > MAX_TOTAL_BYTES:
                raise PackageError(
                    f"the part {info.filename} would inflate past the limit of "
                    f"{MAX_PART_BYTES // 2**20} MiB a part, {MAX_TOTAL_BYTES // 2**20} MiB in all",
                    too_large=True,
                )
            if info.flag_bits & 1:
                raise PackageError(f"the part {info.filename} is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise PackageError(f"the part {info.filename} uses an unsupported compression")
            if info.filename in entries:
                raise PackageError(f"the part {info.filename} is in it twice")
            try:
                header = _LOCAL.unpack_from(blob, info.header_offset)
            except struct.error as e:
                raise PackageError(f"the part {info.filename} is cut off") from e
            if header[0] != b"PK\x03\x04":
                raise PackageError(f"the part {info.filename} is damaged")
            start = info.header_offset + _LOCAL.size + header[9] + header[10]
            data = blob[start : start + info.compress_size]
            if len(data) != info.compress_size:
                raise PackageError(f"the part {info.filename} is cut off")
            entries[info.filename] = Entry(
                info.filename, info.compress_type, info.CRC, info.file_size, data
            )
    return entries


def inflate(entry: Entry) -> bytes:
    """The part's bytes, inflated in bounded steps: never more than its declared size (+1)."""
    if entry.method == zipfile.ZIP_STORED:
        content = entry.data
    else:
        inflater = zlib.decompressobj(-15)
        try:
            content = inflater.decompress(entry.data, entry.size + 1)
        except zlib.error as e:
            raise PackageError(f"the part {entry.name} is damaged ({e})") from e
        if len(content) > entry.size or inflater.unconsumed_tail:
            raise PackageError(
                f"the part {entry.name} inflates to more than the {entry.size:,} bytes it declares",
                too_large=True,
            )
    if len(content) != entry.size or zlib.crc32(content) != entry.crc:
        raise PackageError(f"the part {entry.name} is damaged (its size or checksum is wrong)")
    return content


def verify(entries: dict[str, Entry]) -> None:
    """Check every part inflates to exactly its declared size and checksum (see module doc)."""
    for entry in entries.values():
        inflate(entry)


def compressed(name: str, content: bytes, level: int = 6) -> Entry:
    """A part deflated by zlib, for parts made once per template."""
    packer = zlib.compressobj(level, zlib.DEFLATED, -15)
    data = packer.compress(content) + packer.flush()
    return Entry(name, zipfile.ZIP_DEFLATED, zlib.crc32(content), len(content), data)


def compressed_fast(name: str, content: bytes) -> Entry:
    """A part made for one document, deflated by ISA-L at its fastest level (0). zlib's
    level 1 took a tenth of a letter's rendering, most of it setting up its tables on every
    call; ISA-L's level 0 takes about a fifth of that, and a letter comes out 4% larger (the
    outcome letter: 20.7 KB against 19.9)."""
    data = isal_zlib.compress(content, 0, -15)
    return Entry(name, zipfile.ZIP_DEFLATED, zlib.crc32(content), len(content), data)


def stored(name: str, content: bytes) -> Entry:
    """A part kept as it is (for content that is compressed already, like a PNG)."""
    return Entry(name, zipfile.ZIP_STORED, zlib.crc32(content), len(content), content)


def text_of(entry: Entry) -> str:
    try:
        return inflate(entry).decode("utf-8")
    except UnicodeDecodeError as e:
        raise PackageError(f"the part {entry.name} is not UTF-8 XML") from e


def write_zip(entries: list[Entry]) -> bytes:
    """The zip holding ``entries`` in order, ``[Content_Types].xml`` expected first."""
    body: list[bytes] = []
    directory: list[bytes] = []
    offset = 0
    for entry in entries:
        local, central, name = entry.zip_records()
        body.append(local)
        directory += (central, offset.to_bytes(4, "little"), name)
        offset += len(local)
    central_directory = b"".join(directory)
    end = _END.pack(b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central_directory), offset, 0)
    return b"".join(body) + central_directory + end
