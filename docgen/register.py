"""The record stage: a register of every document issued, in an embedded SQLite database.

Each row says which document went to which recipient for which case, made from which bundle
(its content hash), template (version and hash) and authority profile (hash), where the file
was written and the SHA-256 of what was written, when, and by which batch run. Rows are written only after the file
is in place, a bundle's rows in one transaction, so the register never lists a file that was not
written. No personal data: recipients are named by their id in the bundle (``family-mum``).

Letters sent through GOV.UK Notify are recorded in ``sends``, against the SHA-256 of the
file sent: Notify's notification id, the route (letter or email), postage, when, the status
Notify last gave, and the reason for a deliberate resend. A row is written *before* the letter
goes ("sending") and completed after, so a run killed in between leaves a trace that the next
run settles by asking Notify for that reference, instead of sending the letter twice.

Where it lives: ``--register PATH``, else ``$DOCGEN_REGISTER``, else, for a batch,
``<output folder>/.docgen/register.sqlite3`` and, for ``docgen render``, ``./.docgen/register.sqlite3``.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import stat
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from pathlib import Path

from docgen.atomic import open_private, private_folder, refuse_link
from docgen.exceptions import InputError, OutputError

REGISTER_ENV = "DOCGEN_REGISTER"
STATE_FOLDER = ".docgen"
REGISTER_FILE = "register.sqlite3"
SCHEMA_VERSION = 3  # 2: sends through GOV.UK Notify; 3: access through the HTTP API

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    input TEXT NOT NULL,
    out_dir TEXT NOT NULL,
    formats TEXT NOT NULL,
    status TEXT NOT NULL,            -- running, finished, interrupted
    issued INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS issued (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs(run_id),
    case_reference TEXT NOT NULL,
    document TEXT NOT NULL,
    recipient TEXT NOT NULL,         -- '' for a document with no single recipient
    format TEXT NOT NULL,            -- docx or pdf
    template TEXT NOT NULL,          -- origin/document, e.g. default/outcome-letter
    template_version TEXT NOT NULL,
    template_sha256 TEXT NOT NULL,
    profile_sha256 TEXT NOT NULL,    -- the authority profile (authority.toml) it was filled with
    bundle_sha256 TEXT NOT NULL,
    output_path TEXT NOT NULL,
    output_sha256 TEXT NOT NULL,
    pages INTEGER,
    issued_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS issued_by_case ON issued(case_reference);
CREATE TABLE IF NOT EXISTS accessed (
    id INTEGER PRIMARY KEY,
    actor TEXT NOT NULL,             -- who: an API token's name (never the token)
    action TEXT NOT NULL,            -- render, download, history
    case_reference TEXT NOT NULL,
    document TEXT NOT NULL,          -- '' when the action concerns the whole case
    recipient TEXT NOT NULL,
    accessed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS accessed_by_case ON accessed(case_reference);
CREATE INDEX IF NOT EXISTS issued_by_bundle ON issued(bundle_sha256);
CREATE TABLE IF NOT EXISTS sends (
    id INTEGER PRIMARY KEY,
    output_sha256 TEXT NOT NULL,     -- the file sent
    case_reference TEXT NOT NULL,
    document TEXT NOT NULL,
    recipient TEXT NOT NULL,
    reference TEXT NOT NULL,         -- the reference Notify was given: the file stem
    route TEXT NOT NULL,             -- letter (precompiled) or email (a file sent by email)
    postage TEXT,
    notification_id TEXT,            -- Notify's id, once it accepted the letter
    status TEXT NOT NULL,            -- sending, then Notify's status, rejected or failed
    detail TEXT,                     -- Notify's message for a rejected or failed send
    resend_reason TEXT,
    sent_at TEXT NOT NULL,
    status_at TEXT
);
CREATE INDEX IF NOT EXISTS sends_by_file ON sends(output_sha256);
CREATE INDEX IF NOT EXISTS sends_by_case ON sends(case_reference);
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY,
    output_sha256 TEXT NOT NULL,     -- the very file a manager signed off or returned
    case_reference TEXT NOT NULL,
    document TEXT NOT NULL,
    recipient TEXT NOT NULL,
    decision TEXT NOT NULL,          -- approved or returned
    comment TEXT NOT NULL,
    actor TEXT NOT NULL,
    decided_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_by_output ON decisions(output_sha256);
CREATE TABLE IF NOT EXISTS publications (
    id INTEGER PRIMARY KEY,
    authority TEXT NOT NULL,
    document TEXT NOT NULL,
    version TEXT NOT NULL,           -- the version published
    previous_version TEXT NOT NULL,  -- the version it replaced (perhaps the shared default's)
    template_sha256 TEXT NOT NULL,   -- the very .docx published
    actor TEXT NOT NULL,
    published_at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Issue:
    """One file issued: a document for one recipient of one case, in one format."""

    run_id: str
    case_reference: str
    document: str
    recipient: str
    format: str
    template: str
    template_version: str
    template_sha256: str
    profile_sha256: str
    bundle_sha256: str
    output_path: str
    output_sha256: str
    pages: int | None
    issued_at: str

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes two issues the same document: document, recipient and format."""
        return (self.document, self.recipient, self.format)

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in COLUMNS}


COLUMNS = tuple(f.name for f in fields(Issue))


@dataclass(frozen=True)
class Send:
    """One attempt to send a file through GOV.UK Notify, and what became of it."""

    id: int
    output_sha256: str
    case_reference: str
    document: str
    recipient: str
    reference: str
    route: str
    postage: str | None
    notification_id: str | None
    status: str
    detail: str | None
    resend_reason: str | None
    sent_at: str
    status_at: str | None

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in SEND_COLUMNS}


SEND_COLUMNS = tuple(f.name for f in fields(Send))


@dataclass(frozen=True)
class Access:
    """Who rendered, downloaded or read the history of a case's documents through the API."""

    actor: str
    action: str
    case_reference: str
    document: str
    recipient: str
    accessed_at: str

    def to_dict(self) -> dict:
        return {name: getattr(self, name) for name in ACCESS_COLUMNS}


ACCESS_COLUMNS = tuple(f.name for f in fields(Access))


@dataclass(frozen=True)
class Decision:
    """A manager's sign-off of one issued file (by its SHA-256): approved, or returned with why."""

    output_sha256: str
    case_reference: str
    document: str
    recipient: str
    decision: str
    comment: str
    actor: str
    decided_at: str


DECISION_COLUMNS = tuple(f.name for f in fields(Decision))


@dataclass(frozen=True)
class Publication:
    """A new version of an authority's template, published by a policy owner from the web workspace."""

    authority: str
    document: str
    version: str
    previous_version: str
    template_sha256: str
    actor: str
    published_at: str


PUBLICATION_COLUMNS = tuple(f.name for f in fields(Publication))


def now() -> str:
    """The current UTC time as the register writes it: ``2026-11-20T10:15:00Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_run_id() -> str:
    """A run's id: when it started, and a random part so two runs in one second differ."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def default_path(out_dir: Path) -> Path:
    """``$DOCGEN_REGISTER``, else ``<out_dir>/.docgen/register.sqlite3``."""
    if os.environ.get(REGISTER_ENV):
        return Path(os.environ[REGISTER_ENV])
    return Path(out_dir) / STATE_FOLDER / REGISTER_FILE


def locate(path: Path | None) -> Path:
    """The register file for ``history``: a file, an output folder holding one, or the default."""
    if path is None:
        path = Path(os.environ[REGISTER_ENV]) if os.environ.get(REGISTER_ENV) else Path(".")
    path = Path(path)
    if path.is_dir():
        path = path / STATE_FOLDER / REGISTER_FILE
    if not path.is_file():
        raise InputError(
            f"No register found. Give --register PATH (the register file or the batch's output "
            f"folder) or set {REGISTER_ENV}.",
            source=str(path),
        )
    return path


def _create_private(path: Path) -> None:
    """Make the register file 0600 in a 0700 folder before SQLite opens it (SQLite would
    follow the umask, and its journal files take the database's mode), refusing links."""
    private_folder(path.parent)
    for companion in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        refuse_link(companion)
    refuse_link(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        os.close(open_private(path))  # no connection can hold it yet
        return
    # Never open and close a descriptor of a database another connection of this process may
    # hold: closing it drops that connection's SQLite locks (POSIX locks are per process),
    # which corrupts concurrent writes ("disk I/O error" under docgen serve's threads).
    if stat.S_IMODE(mode) != 0o600:
        os.chmod(path, 0o600)  # a register left by an older docgen may be 0644


class Register:
    """The register database; open it with ``Register(path)`` and close it (or use ``with``)."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        try:
            if read_only:
                self._db = sqlite3.connect(
                    f"{self.path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None
                )
            else:
                _create_private(self.path)
                self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.executescript(_SCHEMA)
                self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self._db.row_factory = sqlite3.Row
        except OutputError as e:  # a link, or a file where its folder should be
            raise OutputError(f"The register cannot be opened: {e.message}", source=e.source) from e
        except (OSError, sqlite3.Error) as e:
            raise OutputError(f"The register cannot be opened ({e}).", source=str(self.path)) from e

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    # -- runs -------------------------------------------------------------------------------------
    def start_run(self, run_id: str, *, input: str, out_dir: str, formats: str) -> None:
        """Record a run starting. Called with ``out_dir`` locked, so an earlier run into it
        still marked running was killed: it is marked interrupted, with what it issued."""
        with self._write():
            self._db.execute(
                "UPDATE runs SET status = 'interrupted', "
                "issued = (SELECT COUNT(DISTINCT case_reference || char(0) || document || char(0) || recipient) "
                "FROM issued WHERE issued.run_id = runs.run_id) "
                "WHERE status = 'running' AND out_dir = ?",
                (out_dir,),
            )
            self._db.execute(
                "INSERT INTO runs (run_id, started, input, out_dir, formats, status) "
                "VALUES (?, ?, ?, ?, ?, 'running')",
                (run_id, now(), input, out_dir, formats),
            )

    def finish_run(self, run_id: str, *, status: str, issued: int, skipped: int, failed: int) -> None:
        with self._write():
            self._db.execute(
                "UPDATE runs SET finished = ?, status = ?, issued = ?, skipped = ?, failed = ? "
                "WHERE run_id = ?",
                (now(), status, issued, skipped, failed, run_id),
            )

    def record_run(self, run_id: str, issues: list[Issue], *, input: str, out_dir: str, formats: str,
                   failed: int) -> None:  # fmt: skip
        """Record a whole run at once, finished, with its issues: what ``docgen render`` does after
        its files are in place. Unlike :meth:`start_run` it leaves other runs' status alone."""
        issued = len({(i.document, i.recipient) for i in issues})
        with self._write():
            self._db.execute(
                "INSERT INTO runs (run_id, started, finished, input, out_dir, formats, status, issued, failed) "
                "VALUES (?, ?, ?, ?, ?, ?, 'finished', ?, ?)",
                (run_id, now(), now(), input, out_dir, formats, issued, failed),
            )
            self._insert(issues)

    # -- issues -----------------------------------------------------------------------------------
    def record(self, issues: list[Issue]) -> None:
        """Add ``issues`` in one transaction: all of them or, if interrupted, none."""
        if not issues:
            return
        with self._write():
            self._insert(issues)

    def _insert(self, issues: list[Issue]) -> None:
        placeholders = ", ".join("?" for _ in COLUMNS)
        self._db.executemany(
            f"INSERT INTO issued ({', '.join(COLUMNS)}) VALUES ({placeholders})",
            [tuple(getattr(issue, c) for c in COLUMNS) for issue in issues],
        )

    def latest_for_bundle(self, bundle_sha256: str) -> dict[tuple[str, str, str], Issue]:
        """The last issue of each document, recipient and format made from this bundle content."""
        rows = self._db.execute(
            f"SELECT {', '.join(COLUMNS)} FROM issued WHERE bundle_sha256 = ? ORDER BY id",
            (bundle_sha256,),
        )
        latest: dict[tuple[str, str, str], Issue] = {}
        for row in rows:
            issue = Issue(**dict(row))
            latest[issue.key] = issue
        return latest

    def knows(self, output_path: str, output_sha256: str | None) -> bool:
        """Whether a file with this path and content was issued (by a batch or by render)."""
        row = self._db.execute(
            "SELECT 1 FROM issued WHERE output_path = ? AND output_sha256 = ? LIMIT 1",
            (output_path, output_sha256),
        ).fetchone()
        return row is not None

    def history(self, case_reference: str) -> list[Issue]:
        """Every document issued for a case, oldest first."""
        rows = self._db.execute(
            f"SELECT {', '.join(COLUMNS)} FROM issued WHERE case_reference = ? ORDER BY id",
            (case_reference,),
        )
        return [Issue(**dict(row)) for row in rows]

    # -- sends through GOV.UK Notify -------------------------------------------------------------
    def start_send(self, *, output_sha256: str, case_reference: str, document: str, recipient: str,
                   reference: str, route: str, postage: str | None,
                   resend_reason: str | None = None) -> int:  # fmt: skip
        """Record that a file is about to go to Notify (status ``sending``); its row id."""
        with self._write():
            cursor = self._db.execute(
                "INSERT INTO sends (output_sha256, case_reference, document, recipient, reference, "
                "route, postage, status, resend_reason, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
                "'sending', ?, ?)",
                (output_sha256, case_reference, document, recipient, reference, route, postage,
                 resend_reason, now()),
            )  # fmt: skip
            return int(cursor.lastrowid)

    def settle_send(self, send_id: int, *, status: str, notification_id: str | None = None,
                    detail: str | None = None) -> None:  # fmt: skip
        """Record what Notify said about a send: its id and status, or why it failed."""
        with self._write():
            self._db.execute(
                "UPDATE sends SET status = ?, notification_id = COALESCE(?, notification_id), "
                "detail = ?, status_at = ? WHERE id = ?",
                (status, notification_id, detail, now(), send_id),
            )

    def sends_of(self, output_sha256: str) -> list[Send]:
        """Every send of this file, oldest first."""
        return self._sends("output_sha256 = ?", (output_sha256,))

    def sends_with_reference(self, reference: str) -> list[Send]:
        """Every send under this Notify reference (a file stem), whatever the file's hash."""
        return self._sends("reference = ?", (reference,))

    def sends_for_case(self, case_reference: str) -> list[Send]:
        return self._sends("case_reference = ?", (case_reference,))

    def sends_in(self, statuses: tuple[str, ...], *, known_to_notify: bool) -> list[Send]:
        """Sends whose status is one of ``statuses``, with (or without) a notification id."""
        marks = ", ".join("?" for _ in statuses)
        has_id = "IS NOT NULL" if known_to_notify else "IS NULL"
        return self._sends(f"status IN ({marks}) AND notification_id {has_id}", statuses)

    def sends_not_in(self, statuses: tuple[str, ...]) -> list[Send]:
        """Sends Notify accepted whose status is none of ``statuses`` (not final yet)."""
        marks = ", ".join("?" for _ in statuses)
        return self._sends(f"status NOT IN ({marks}) AND notification_id IS NOT NULL", statuses)

    def _sends(self, where: str, values: tuple) -> list[Send]:
        if not self._has_table("sends"):  # a register made before sends were recorded
            return []
        rows = self._db.execute(
            f"SELECT {', '.join(SEND_COLUMNS)} FROM sends WHERE {where} ORDER BY id", values
        )
        return [Send(**dict(row)) for row in rows]

    def _has_table(self, name: str) -> bool:
        found = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return found is not None

    def issue_of(self, output_sha256: str) -> Issue | None:
        """The latest issue of the file with this SHA-256, if docgen issued it."""
        row = self._db.execute(
            f"SELECT {', '.join(COLUMNS)} FROM issued WHERE output_sha256 = ? ORDER BY id DESC",
            (output_sha256,),
        ).fetchone()
        return Issue(**dict(row)) if row else None


    def record_access(self, accesses: list[Access]) -> None:
        """Add who rendered, downloaded or read what, in one transaction."""
        if not accesses:
            return
        with self._write():
            self._db.executemany(
                f"INSERT INTO accessed ({', '.join(ACCESS_COLUMNS)}) VALUES ({', '.join('?' for _ in ACCESS_COLUMNS)})",
                [tuple(getattr(a, c) for c in ACCESS_COLUMNS) for a in accesses],
            )

    def accesses(self, case_reference: str) -> list[Access]:
        """Every API access to a case's documents, oldest first."""
        if not self._has_table("accessed"):  # a register made before the API existed
            return []
        rows = self._db.execute(
            f"SELECT {', '.join(ACCESS_COLUMNS)} FROM accessed WHERE case_reference = ? ORDER BY id",
            (case_reference,),
        )
        return [Access(**dict(row)) for row in rows]

    def record_decision(self, decision: Decision) -> None:
        with self._write():
            self._db.execute(
                f"INSERT INTO decisions ({', '.join(DECISION_COLUMNS)}) VALUES ({', '.join('?' for _ in DECISION_COLUMNS)})",
                tuple(getattr(decision, c) for c in DECISION_COLUMNS),
            )

    def decision(self, output_sha256: str) -> Decision | None:
        """The latest sign-off decision on this file, if any."""
        row = self._db.execute(
            f"SELECT {', '.join(DECISION_COLUMNS)} FROM decisions WHERE output_sha256 = ? ORDER BY id DESC LIMIT 1",
            (output_sha256,),
        ).fetchone()
        return Decision(**dict(row)) if row else None

    def decisions(self, case_reference: str) -> list[Decision]:
        """Every sign-off decision on a case's documents, oldest first."""
        rows = self._db.execute(
            f"SELECT {', '.join(DECISION_COLUMNS)} FROM decisions WHERE case_reference = ? ORDER BY id",
            (case_reference,),
        )
        return [Decision(**dict(row)) for row in rows]

    def record_publication(self, publication: Publication) -> None:
        with self._write():
            self._db.execute(
                f"INSERT INTO publications ({', '.join(PUBLICATION_COLUMNS)}) VALUES ({', '.join('?' for _ in PUBLICATION_COLUMNS)})",
                tuple(getattr(publication, c) for c in PUBLICATION_COLUMNS),
            )

    def publications(self, authority: str) -> list[Publication]:
        """Every template the authority's policy owners published, newest first."""
        if not self._has_table("publications"):  # a register made before the web workspace, read only
            return []
        rows = self._db.execute(
            f"SELECT {', '.join(PUBLICATION_COLUMNS)} FROM publications WHERE authority = ? ORDER BY id DESC",
            (authority,),
        )
        return [Publication(**dict(row)) for row in rows]

    def run(self, run_id: str) -> dict | None:
        row = self._db.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return dict(row) if row else None

    def _write(self):
        """A transaction: committed when the block ends, rolled back when it raises."""
        return _Transaction(self._db, self.path)


class _Transaction:
    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self.db, self.path = db, path

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            try:
                self.db.execute("COMMIT")
                return False
            except sqlite3.Error as e:
                self.db.execute("ROLLBACK")
                raise OutputError(f"The register could not be written ({e}).", source=str(self.path)) from e
        self.db.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise OutputError(f"The register could not be written ({exc}).", source=str(self.path)) from exc
        return False
