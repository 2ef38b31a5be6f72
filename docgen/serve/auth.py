"""Who may use the web workspace: people with a name, a password, one role and one authority.

Everything about signing in is here, so single sign-on (OpenID Connect) can replace
:meth:`UserStore.authenticate` and :func:`sign_in` without touching the pages. Users live in
the data folder's ``access.sqlite3`` beside the API's tokens; passwords are Argon2id hashes
(argon2-cffi). Sessions are Flask's signed cookies, HttpOnly and SameSite=Lax, Secure when the
request came over TLS (or ``X-Forwarded-Proto: https`` from a proxy trusted with
``DOCGEN_TRUSTED_PROXY=1``), ended after ``DOCGEN_IDLE_MINUTES`` (30) without a request. Each
user has a ``generation`` that disabling or a new password raises, which ends their sessions.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import Flask, abort, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, current_user, login_user, logout_user
from werkzeug.middleware.proxy_fix import ProxyFix

from docgen.exceptions import InputError
from docgen.serve.access import open_private_db
from docgen.register import now

ROLES = ("admin-staff", "manager", "policy-owner", "administrator")
MIN_PASSWORD = 12
MAX_FAILURES = 5  # failed sign-ins in a row before the account locks
LOCK_SECONDS = 15 * 60
NAME = re.compile(r"[a-z0-9][a-z0-9._@-]{1,63}")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    authority TEXT NOT NULL,
    password TEXT NOT NULL,          -- Argon2id hash
    generation INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until REAL NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    disabled TEXT
);
"""
_hasher = PasswordHasher()


class SignInRefused(Exception):
    """Raised when a name and password do not sign anyone in; ``message`` is safe to show."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class User:
    """A signed-in person as Flask-Login sees them."""

    name: str
    role: str
    authority: str
    generation: int
    created: str
    disabled: str | None = None

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.name}|{self.generation}"

    def to_dict(self) -> dict:
        return {"name": self.name, "role": self.role, "authority": self.authority,
                "created": self.created, "disabled": self.disabled}  # fmt: skip


class UserStore:
    """Users in ``access.sqlite3``; the same file as :class:`docgen.serve.access.AccessStore`."""

    def __init__(self, path: Path) -> None:
        self._db = open_private_db(Path(path))
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def create(self, name: str, role: str, authority: str, password: str) -> User:
        if not NAME.fullmatch(name):
            raise InputError("A user name is 2-64 lower-case letters, digits, '.', '_', '-' or '@'.")
        if role not in ROLES:
            raise InputError(f"Unknown role {role!r}. Known: {', '.join(ROLES)}.")
        digest = _hash(password)
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO users (name, role, authority, password, created) VALUES (?, ?, ?, ?, ?)",
                    (name, role, authority, digest, now()),
                )
            except sqlite3.IntegrityError:
                raise InputError(f"A user named {name!r} exists already.") from None
        return self.get(name)

    def _rows(self, sql: str, values: tuple = ()) -> list[tuple]:
        """A query's rows: the one connection is shared by the server's threads, one at a time."""
        with self._lock:
            return self._db.execute(sql, values).fetchall()

    def get(self, name: str) -> User | None:
        rows = self._rows(
            "SELECT name, role, authority, generation, created, disabled FROM users WHERE name = ?", (name,)
        )
        return User(*rows[0]) if rows else None

    def users(self) -> list[User]:
        rows = self._rows("SELECT name, role, authority, generation, created, disabled FROM users ORDER BY name")
        return [User(*row) for row in rows]

    def disable(self, name: str) -> None:
        self._change(name, "UPDATE users SET disabled = ?, generation = generation + 1 WHERE name = ?", (now(), name))

    def reset_password(self, name: str, password: str) -> None:
        """A new password; unlocks the account and ends the user's sessions."""
        self._change(name, "UPDATE users SET password = ?, failures = 0, locked_until = 0, "
                           "generation = generation + 1 WHERE name = ?", (_hash(password), name))  # fmt: skip

    def authenticate(self, name: str, password: str) -> User:
        """The user these credentials sign in, or :class:`SignInRefused`; counts failures and
        locks the account for 15 minutes after five in a row."""
        wrong = SignInRefused("The user name or password is not right.")
        rows = self._rows("SELECT password, failures, locked_until, disabled FROM users WHERE name = ?", (name,))
        row = rows[0] if rows else None
        if row is None:
            _hasher.hash(password)  # as slow as a real check, so timing does not tell who exists
            raise wrong
        digest, failures, locked_until, disabled = row
        if locked_until > time.time():
            raise SignInRefused("This account is locked after too many failed sign-ins. "
                                "Try again in 15 minutes, or ask an administrator to reset the password.")  # fmt: skip
        try:
            _hasher.verify(digest, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            failures += 1
            locked = time.time() + LOCK_SECONDS if failures >= MAX_FAILURES else 0
            with self._lock:
                self._db.execute("UPDATE users SET failures = ?, locked_until = ? WHERE name = ?",
                                 (0 if locked else failures, locked, name))  # fmt: skip
            raise wrong from None
        if disabled:
            raise SignInRefused("This account is disabled. Ask an administrator.")
        with self._lock:
            self._db.execute("UPDATE users SET failures = 0 WHERE name = ?", (name,))
        return self.get(name)

    def _change(self, name: str, sql: str, args: tuple) -> None:
        with self._lock:
            changed = self._db.execute(sql, args).rowcount
        if not changed:
            raise InputError(f"No user named {name!r}.")


def _hash(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"A password needs at least {MIN_PASSWORD} characters.")
    return _hasher.hash(password)


# -- the Flask side ---------------------------------------------------------------------------------
class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, marked Secure whenever the request came over TLS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def init_auth(app: Flask, users: UserStore, secret_file: Path) -> None:
    """Sessions, Flask-Login and the idle time-out for the web workspace's blueprints."""
    if os.environ.get("DOCGEN_TRUSTED_PROXY") == "1":  # X-Forwarded-Proto/For from one proxy
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)
    idle = timedelta(minutes=float(os.environ.get("DOCGEN_IDLE_MINUTES", "30")))
    app.config.update(
        SECRET_KEY=_secret(secret_file),
        SESSION_COOKIE_NAME="docgen_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=idle,
        SESSION_REFRESH_EACH_REQUEST=True,
    )
    app.session_interface = _SessionInterface()
    manager = LoginManager(app)
    manager.login_view = "web.sign_in_page"
    manager.login_message = None
    manager.session_protection = None  # the generation check below ends stale sessions

    @manager.user_loader
    def load(user_id: str):
        name, _, generation = user_id.partition("|")
        user = users.get(name)
        if user is None or user.disabled or str(user.generation) != generation:
            return None
        last = session.get("seen", 0)
        if time.time() - last > idle.total_seconds():
            session.clear()
            return None
        session["seen"] = int(time.time())
        return user


def sign_in(user: User) -> None:
    session.clear()  # nothing from before signing in carries over
    session.permanent = True
    session["seen"] = int(time.time())
    login_user(user)


def sign_out() -> None:
    logout_user()
    session.clear()


def role_required(*roles: str):
    """Let a view be reached only by a signed-in user with one of ``roles`` (administrators
    reach everything); anyone else signed in gets 403, a visitor the sign-in page."""

    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("web.sign_in_page"))
            if current_user.role not in roles and current_user.role != "administrator":
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


def _secret(path: Path) -> bytes:
    """The key that signs session cookies: made once per data folder (0600), shared by every
    worker process so a session survives whichever one answers."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        for _ in range(50):  # another worker process may be writing it this moment
            key = path.read_bytes()
            if len(key) == 32:
                return key
            time.sleep(0.02)
        raise InputError("The session key file is damaged; remove it (signs everyone out).", source=str(path))
    with os.fdopen(fd, "wb") as out:
        key = secrets.token_bytes(32)
        out.write(key)
    return key
