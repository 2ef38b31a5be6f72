"""Who may call the API: bearer tokens, one authority each, with scopes and limits.

A token is 32 random bytes shown once when it is made (``docgen tokens create``); only its
SHA-256 is stored, in ``access.sqlite3``, with a name (what logs and the register say), an
authority and scopes. A random 256-bit token needs no slow hash: nothing can be guessed from
its digest. The same database remembers which authority each case reference was seen for, so
a token reaches only its own authority's cases and jobs.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from docgen.exceptions import InputError

SCOPES = ("render", "validate", "batch", "history", "templates")
TOKEN_PREFIX = "dg_"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    name TEXT PRIMARY KEY,
    authority TEXT NOT NULL,
    scopes TEXT NOT NULL,            -- space-separated
    sha256 TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    revoked TEXT
);
CREATE TABLE IF NOT EXISTS cases (
    case_reference TEXT PRIMARY KEY,
    authority TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Token:
    name: str
    authority: str
    scopes: tuple[str, ...]
    created: str
    revoked: str | None = None

    def to_dict(self) -> dict:
        return {"name": self.name, "authority": self.authority, "scopes": list(self.scopes),
                "created": self.created, "revoked": self.revoked}  # fmt: skip


class AccessStore:
    """Tokens and case ownership in ``access.sqlite3`` (made 0600)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db = open_private_db(self.path)
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    # -- tokens -----------------------------------------------------------------------------------
    def create(self, name: str, authority: str, scopes: tuple[str, ...] = SCOPES) -> str:
        """Make a token and return it; it is not stored and cannot be shown again."""
        unknown = [s for s in scopes if s not in SCOPES]
        if unknown:
            raise InputError(f"Unknown scope {unknown[0]!r}. Known: {', '.join(SCOPES)}.")
        if not name or not name.replace("-", "").replace("_", "").isalnum():
            raise InputError("A token's name is letters, digits, '-' and '_' (it appears in logs).")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO tokens (name, authority, scopes, sha256, created) VALUES (?, ?, ?, ?, ?)",
                    (name, authority, " ".join(scopes), _digest(token), _now()),
                )
            except sqlite3.IntegrityError:
                raise InputError(f"A token named {name!r} exists already; revoke it or choose another name.") from None
        return token

    def _rows(self, sql: str, values: tuple = ()) -> list[tuple]:
        """A query's rows. The one connection is shared by the server's threads, and sqlite3 lets
        only one of them use it at a time, reads included."""
        with self._lock:
            return self._db.execute(sql, values).fetchall()

    def verify(self, token: str) -> Token | None:
        """The live token this bearer value is, or None (unknown or revoked)."""
        found = self._rows(
            "SELECT name, authority, scopes, created, revoked FROM tokens WHERE sha256 = ?", (_digest(token),)
        )
        row = found[0] if found else None
        if row is None or row[4] is not None:
            return None
        return Token(row[0], row[1], tuple(row[2].split()), row[3])

    def tokens(self) -> list[Token]:
        rows = self._rows("SELECT name, authority, scopes, created, revoked FROM tokens ORDER BY name")
        return [Token(r[0], r[1], tuple(r[2].split()), r[3], r[4]) for r in rows]

    def revoke(self, name: str) -> None:
        with self._lock:
            changed = self._db.execute(
                "UPDATE tokens SET revoked = ? WHERE name = ? AND revoked IS NULL", (_now(), name)
            ).rowcount
        if not changed:
            raise InputError(f"No live token named {name!r}.")

    # -- cases ------------------------------------------------------------------------------------
    def claim_case(self, case_reference: str, authority: str) -> bool:
        """Remember ``case_reference`` as ``authority``'s; False when another authority has it."""
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO cases (case_reference, authority) VALUES (?, ?)", (case_reference, authority)
            )
        return self.case_authority(case_reference) == authority

    def cases_of(self, authority: str) -> list[str]:
        rows = self._rows("SELECT case_reference FROM cases WHERE authority = ? ORDER BY case_reference", (authority,))
        return [row[0] for row in rows]

    def case_authority(self, case_reference: str) -> str | None:
        rows = self._rows("SELECT authority FROM cases WHERE case_reference = ?", (case_reference,))
        return rows[0][0] if rows else None


def open_private_db(path: Path) -> sqlite3.Connection:
    """``access.sqlite3``, made 0600 before SQLite first writes to it (it holds token and
    password hashes)."""
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_NOFOLLOW, 0o600))
    db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    return db


class Limiter:
    """Per-token limits in this server process: requests a minute, and requests at once.

    A token bucket refills ``per_minute`` requests a minute; an answer over either limit is 429
    with the seconds to wait (Retry-After).
    """

    def __init__(self, per_minute: int = 600, at_once: int = 16) -> None:
        self.per_minute = per_minute
        self.at_once = at_once
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # name -> (tokens left, last refill)
        self._running: dict[str, int] = {}

    def enter(self, name: str) -> int | None:
        """Admit a request (returns None) or say how many seconds to wait."""
        with self._lock:
            now = time.monotonic()
            left, last = self._buckets.get(name, (float(self.per_minute), now))
            left = min(self.per_minute, left + (now - last) * self.per_minute / 60)
            if left < 1:
                return max(1, int((1 - left) * 60 / self.per_minute) + 1)
            if self._running.get(name, 0) >= self.at_once:
                return 1
            self._buckets[name] = (left - 1, now)
            self._running[name] = self._running.get(name, 0) + 1
            return None

    def leave(self, name: str) -> None:
        with self._lock:
            self._running[name] = max(0, self._running.get(name, 0) - 1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> str:
    from docgen.register import now

    return now()
