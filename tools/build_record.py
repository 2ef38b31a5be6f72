"""What ``build_templates.py`` last wrote, so it never overwrites a template edited by hand.

Once committed, a template is edited in Word by its policy owner and the file is the source of
truth. The builder records the SHA-256 of each template it writes in
``templates/build-record.json``; before writing one again it compares the file on disk with the
record, and a file that differs was changed by someone else: it is left alone unless forced.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from docgen.atomic import write_atomic  # noqa: E402

RECORD_NAME = "build-record.json"


class HandEdited(Exception):
    """Raised when a template on disk is not the one the builder last wrote."""


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class BuildRecord:
    """The SHA-256 of every template the builder wrote into ``templates``, by relative path."""

    def __init__(self, templates: Path) -> None:
        self.templates = templates
        self.path = templates / RECORD_NAME
        self.hashes: dict[str, str] = json.loads(self.path.read_text("utf-8")) if self.path.exists() else {}

    def write(self, name: str, content: bytes, *, force: bool = False) -> None:
        """Write ``content`` to ``templates/name`` unless the file there was edited by hand."""
        target = self.templates / name
        on_disk = sha256(target.read_bytes()) if target.exists() else None
        built = sha256(content)
        if on_disk not in (None, built, self.hashes.get(name)) and not force:
            why = ("it is not the file this script last built" if name in self.hashes
                   else "this script has no record of building it")
            raise HandEdited(
                f"{self.templates.name}/{name} was changed since it was built ({why}, "
                f"{RECORD_NAME}); the edited file is the source of truth, so it is left as it "
                "is. Use --force to overwrite it with the built one."
            )
        if on_disk != built:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, content)
            os.chmod(target, 0o644)  # a template is read by everyone who renders
        self.hashes[name] = built

    def save(self) -> None:
        text = json.dumps(dict(sorted(self.hashes.items())), indent=2) + "\n"
        write_atomic(self.path, text.encode("utf-8"))
        os.chmod(self.path, 0o644)
