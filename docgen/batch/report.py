"""A run's reports: the manifest of documents and the failures, each as CSV and as JSON.

Manifest rows are streamed to hidden ``.docgen-*.part`` files as the batch goes (so memory stays
flat), failures are written in input order at the end; both are renamed into place when the run
ends, so a report in the run folder is always complete. No
personal data: recipients by their id in the bundle, documents by id, cases by reference.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from pathlib import Path

from docgen.atomic import private_folder

MANIFEST_FIELDS = (
    "case_reference",
    "document",
    "recipient",
    "format",
    "status",  # issued (written by this run) or skipped (issued before, file unchanged)
    "template",
    "template_version",
    "template_sha256",
    "template_set",  # the fingerprint of the run's whole templates folder: one per run
    "profile_sha256",
    "bundle_sha256",
    "output_path",
    "sha256",
    "pages",  # of the PDF; a DOCX gets the page count of its PDF when both are made, else ''
    "issued_at",
)
FAILURE_FIELDS = ("file", "line", "case_reference", "document", "recipient", "error", "message", "exit_code")


class Table:
    """One report written as ``NAME.csv`` and ``NAME.json`` (an array of objects) together."""

    def __init__(self, folder: Path, name: str, columns: tuple[str, ...]) -> None:
        self.folder, self.name, self.columns = Path(folder), name, columns
        self.rows = 0
        self._csv_path = self._temp()
        self._json_path = self._temp()
        self._csv_file = open(self._csv_path, "w", newline="", encoding="utf-8")  # noqa: SIM115
        self._json_file = open(self._json_path, "w", encoding="utf-8")  # noqa: SIM115
        self._csv = csv.DictWriter(self._csv_file, fieldnames=columns)
        self._csv.writeheader()
        self._json_file.write("[")

    def _temp(self) -> Path:
        handle, name = tempfile.mkstemp(dir=self.folder, prefix=f".docgen-{self.name}-", suffix=".part")
        os.close(handle)
        return Path(name)

    def add(self, row: dict) -> None:
        row = {c: row.get(c) for c in self.columns}
        self._csv.writerow({c: "" if v is None else v for c, v in row.items()})
        self._json_file.write(("\n  " if not self.rows else ",\n  ") + json.dumps(row, ensure_ascii=False))
        self.rows += 1

    def close(self) -> tuple[Path, Path]:
        """Finish both files and move them into place; return their paths (CSV, JSON)."""
        self._json_file.write("\n]\n" if self.rows else "]\n")
        targets = self.folder / f"{self.name}.csv", self.folder / f"{self.name}.json"
        for stream, temp, target in zip(
            (self._csv_file, self._json_file), (self._csv_path, self._json_path), targets
        ):
            stream.flush()
            os.fsync(stream.fileno())
            stream.close()
            os.replace(temp, target)
        return targets


class RunReport:
    """The manifest and failures of one run, in its own folder ``<out>/runs/<run id>/``."""

    def __init__(self, folder: Path) -> None:
        self.folder = private_folder(Path(folder))
        self.manifest = Table(self.folder, "manifest", MANIFEST_FIELDS)
        self.failures = Table(self.folder, "failures", FAILURE_FIELDS)

    def close(self) -> dict[str, Path]:
        manifest_csv, manifest_json = self.manifest.close()
        failures_csv, failures_json = self.failures.close()
        return {
            "manifest_csv": manifest_csv,
            "manifest_json": manifest_json,
            "failures_csv": failures_csv,
            "failures_json": failures_json,
        }
