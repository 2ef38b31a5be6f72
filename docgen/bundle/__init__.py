"""The bundle stage: a case bundle read from JSON and, once validated, ready to render."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bundle:
    """A validated case bundle; ``data`` is marshmallow's output (dates as ``date`` objects)."""

    source: str
    data: dict
    sha256: str = ""  # of the JSON content (docgen.bundle.load.content_sha256), as the register keeps it

    @property
    def reference(self) -> str:
        return self.data["case"]["reference"]

    @property
    def authority(self) -> str:
        return self.data["authority"]
