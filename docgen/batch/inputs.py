"""Reading a batch's bundles, one at a time: a folder of ``*.json`` files or a JSON Lines file.

Bundles are streamed, never all held at once. A bundle that cannot be read (not UTF-8, too
large) is still yielded, carrying its error, so the batch reports it and goes on.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from docgen.bundle.load import MAX_BUNDLE_BYTES, content_sha256, read_text
from docgen.bundle.schema import _CASE_REF
from docgen.exceptions import InputError

MAX_PROBLEMS = 20  # validation problems spelt out in one failure message


@dataclass(frozen=True)
class Failure:
    """Why a bundle or document failed, in a form that crosses process boundaries."""

    kind: str
    message: str
    exit_code: int

    @classmethod
    def of(cls, error) -> Failure:
        """From a DocgenError: its message, with every validation problem spelt out."""
        message = error.message
        if error.kind == "template-fault" and error.source:  # which template: the default or an override
            message = f"{error.source}: {message}"
        problems = getattr(error, "problems", None)
        if problems and not (len(problems) == 1 and problems[0].message == message):
            shown = problems[:MAX_PROBLEMS]
            message += " " + "; ".join(f"{p.path}: {p.message}" if p.path else p.message for p in shown)
            if len(problems) > len(shown):
                message += f"; and {len(problems) - len(shown)} more."
        return cls(error.kind, message, error.exit_code)


@dataclass(frozen=True)
class BundleText:
    """One bundle of a batch, as text: where it came from, and its position in the batch."""

    index: int  # 0-based, in reading order
    file: str
    line: int | None  # its line in a JSON Lines file; None for a file of its own
    text: str | None
    error: Failure | None = None  # why it could not be read

    @property
    def label(self) -> str:
        """How messages name it: ``cases/a.json`` or ``cases.jsonl:12``."""
        return f"{self.file}:{self.line}" if self.line is not None else self.file


class BatchInput:
    """The bundles of a batch: a folder of ``*.json`` files, or a JSON Lines file."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            self.kind = "folder"
            self._files = sorted(p for p in self.path.glob("*.json") if not p.name.startswith("."))
            if not self._files:
                raise InputError("No bundles (*.json files) in this folder.", source=str(self.path))
        elif self.path.is_file():
            if self.path.suffix.lower() == ".json":
                raise InputError(
                    "Expected a folder of *.json bundles or a JSON Lines file (.jsonl); "
                    "for a single bundle use docgen render.",
                    source=str(self.path),
                )
            self.kind = "jsonl"
            self._files = []
        elif self.path.exists():
            raise InputError("Expected a folder or a JSON Lines file.", source=str(self.path))
        else:
            raise InputError("File not found.", source=str(self.path))

    def count(self) -> int:
        """How many bundles there are (a JSON Lines file is read once to count its lines)."""
        if self.kind == "folder":
            return len(self._files)
        with self._open_lines() as stream:
            return sum(1 for raw in stream if raw.strip())

    def __iter__(self) -> Iterator[BundleText]:
        if self.kind == "folder":
            return self._folder()
        return self._json_lines()

    def _folder(self) -> Iterator[BundleText]:
        for index, path in enumerate(self._files):
            try:
                yield BundleText(index, str(path), None, read_text(path))
            except InputError as e:
                yield BundleText(index, str(path), None, None, Failure.of(e))

    def _json_lines(self) -> Iterator[BundleText]:
        name = str(self.path)
        index = 0
        with self._open_lines() as stream:
            for number, raw in enumerate(stream, start=1):
                if not raw.strip():
                    continue
                yield _line(index, name, number, raw)
                index += 1

    def _open_lines(self):
        try:
            return self.path.open("rb")
        except OSError as e:
            raise InputError(f"The file cannot be read ({e.strerror}).", source=str(self.path)) from e


def _line(index: int, name: str, number: int, raw: bytes) -> BundleText:
    if len(raw) > MAX_BUNDLE_BYTES:
        limit = MAX_BUNDLE_BYTES // (1024 * 1024)
        error = InputError(f"The bundle is larger than the {limit} MiB limit.")
        return BundleText(index, name, number, None, Failure.of(error))
    try:
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8").rstrip("\r\n")
    except UnicodeDecodeError as e:
        error = InputError(f"The line is not UTF-8 text (byte {e.start} cannot be read); save it as UTF-8.")
        return BundleText(index, name, number, None, Failure.of(error))
    return BundleText(index, name, number, text)


def content_hash(text: str) -> tuple[str, str | None]:
    """The bundle's content hash and its case reference (when it has a well-formed one).

    The hash is of the JSON with its keys sorted and no spaces, so the same bundle pretty-printed
    in a folder or on one line of a JSON Lines file has the same hash. Text that is not JSON is
    hashed as it is.
    """
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), None
    reference = None
    if isinstance(data, dict) and isinstance(data.get("case"), dict):
        value = data["case"].get("reference")
        # Only a well-formed reference: whatever else the field holds could be personal data.
        reference = value if isinstance(value, str) and re.match(_CASE_REF, value) else None
    return content_sha256(data), reference
