"""Users for the web workspace's tests, made by the CLI as an administrator would, and signing
in and sending forms over HTTP as a browser without JavaScript does."""

from __future__ import annotations

import re
import subprocess

import requests

from serve_helpers import DOCGEN

PASSWORD = "fictional test password"


def make_user(data, name: str, role: str, authority: str) -> None:
    data.mkdir(parents=True, exist_ok=True)
    secret = data.parent / f"{name}.password"
    secret.write_text(PASSWORD + "\n")
    subprocess.run([*DOCGEN, "users", "create", "--name", name, "--role", role, "--authority", authority,
                    "--password-file", str(secret), "--data", str(data)], check=True, capture_output=True)  # fmt: skip


def csrf(session, server, path):
    page = session.get(server.url + path, timeout=30)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)


def sign_in(server, name="ann.staff", password=PASSWORD, session=None, **headers):
    session = session or requests.Session()
    token = csrf(session, server, "/sign-in")
    reply = session.post(server.url + "/sign-in", data={"csrf_token": token, "name": name, "password": password},
                         headers=headers, allow_redirects=False, timeout=30)  # fmt: skip
    return session, reply


def decide(server, manager, job_id: str, number: int, decision: str, comment: str = ""):
    """A manager's decision on file ``number`` of a batch, sent through the sign-off page."""
    path = f"/sign-off/{job_id}/{number}"
    data = {"csrf_token": csrf(manager, server, path), "decision": decision, "comment": comment}
    reply = manager.post(server.url + path, data=data, allow_redirects=False, timeout=60)
    assert (reply.status_code, reply.headers.get("Location")) == (302, "/sign-off"), reply.text
