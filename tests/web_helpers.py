"""Users for the web workspace's tests, made by the CLI as an administrator would."""

from __future__ import annotations

import subprocess

from serve_helpers import DOCGEN

PASSWORD = "fictional test password"


def make_user(data, name: str, role: str, authority: str) -> None:
    data.mkdir(parents=True, exist_ok=True)
    secret = data.parent / f"{name}.password"
    secret.write_text(PASSWORD + "\n")
    subprocess.run([*DOCGEN, "users", "create", "--name", name, "--role", role, "--authority", authority,
                    "--password-file", str(secret), "--data", str(data)], check=True, capture_output=True)  # fmt: skip
