"""The server's one folder of state: register, tokens and batch jobs, private to its owner.

``--data DIR``, else ``$DOCGEN_DATA``, else ``./docgen-data``. Made 0700; everything in it is
written 0600. Holds ``register.sqlite3`` (the same register ``docgen batch`` writes),
``access.sqlite3`` (token hashes, which authority each case belongs to), ``jobs/<id>/`` (a
batch's input, output and preview pages) and, put there by an administrator, ``notify-api-key``
for sending letters from the web workspace (:mod:`docgen.serve.posting`).
"""

from __future__ import annotations

import os
from pathlib import Path

from docgen.exceptions import OutputError

DATA_ENV = "DOCGEN_DATA"
DEFAULT_DATA = "docgen-data"


class DataFolder:
    """Paths inside the data folder; :meth:`prepare` makes it (0700) before first use."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root or os.environ.get(DATA_ENV) or DEFAULT_DATA).absolute()

    @property
    def register(self) -> Path:
        return self.root / "register.sqlite3"

    @property
    def access(self) -> Path:
        return self.root / "access.sqlite3"

    @property
    def jobs(self) -> Path:
        return self.root / "jobs"

    def prepare(self) -> DataFolder:
        try:
            for folder in (self.root, self.jobs):
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                if folder.is_symlink():
                    raise OutputError("The data folder must not be a symbolic link.", source=str(folder))
                os.chmod(folder, 0o700)
        except OSError as e:
            raise OutputError(f"The data folder cannot be made ({e.strerror}).", source=str(self.root)) from e
        return self
