"""``docgen users`` and the user store behind the web workspace's sign-in."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from docgen.cli import cli
from docgen.exceptions import InputError
from docgen.serve.auth import MAX_FAILURES, SignInRefused, UserStore

PASSWORD = "correct horse battery"


@pytest.fixture
def data(tmp_path):
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    return tmp_path


def run(*args):
    return CliRunner().invoke(cli, list(args))


def create(data, name="ada.admin", role="administrator", authority="worcestershire"):
    return run("users", "create", "--name", name, "--role", role, "--authority", authority,
               "--password-file", str(data / "pw"), "--data", str(data / "d"))  # fmt: skip


def test_create_list_disable(data):
    result = create(data)
    assert result.exit_code == 0, result.output
    assert result.stdout == "Created ada.admin (administrator, worcestershire).\n"
    listed = json.loads(run("users", "list", "--json", "--data", str(data / "d")).stdout)
    assert [(u["name"], u["role"], u["authority"], u["disabled"]) for u in listed] == [
        ("ada.admin", "administrator", "worcestershire", None)
    ]
    assert PASSWORD not in (data / "d" / "access.sqlite3").read_bytes().decode("latin-1")
    assert (data / "d" / "access.sqlite3").stat().st_mode & 0o777 == 0o600  # it holds password hashes
    assert run("users", "disable", "ada.admin", "--data", str(data / "d")).stdout == "Disabled ada.admin.\n"
    store = UserStore(data / "d" / "access.sqlite3")
    with pytest.raises(SignInRefused, match="disabled"):
        store.authenticate("ada.admin", PASSWORD)


def test_refusals_name_what_is_wrong(data):
    assert create(data).exit_code == 0
    again = create(data)
    assert (again.exit_code, again.stderr) == (2, "Error: A user named 'ada.admin' exists already.\n")
    unknown = create(data, name="bob", authority="atlantis")
    assert unknown.exit_code == 2 and unknown.stderr.startswith("Error: Unknown authority 'atlantis'. Known: ")
    (data / "pw").write_text("short\n")
    weak = create(data, name="bob")
    assert (weak.exit_code, weak.stderr) == (2, "Error: A password needs at least 12 characters.\n")
    missing = run("users", "disable", "nobody", "--data", str(data / "d"))
    assert (missing.exit_code, missing.stderr) == (2, "Error: No user named 'nobody'.\n")


def test_lock_after_repeated_failures_and_reset(data):
    store = UserStore(data / "access.sqlite3")
    store.create("ben.staff", "admin-staff", "worcestershire", PASSWORD)
    assert store.authenticate("ben.staff", PASSWORD).role == "admin-staff"
    for _ in range(MAX_FAILURES):
        with pytest.raises(SignInRefused, match="not right"):
            store.authenticate("ben.staff", "wrong password!!")
    with pytest.raises(SignInRefused, match="locked"):
        store.authenticate("ben.staff", PASSWORD)  # even the right password, while locked
    generation = store.get("ben.staff").generation
    (data / "pw").write_text("another long password\n")
    done = run("users", "reset-password", "ben.staff", "--password-file", str(data / "pw"), "--data", str(data))
    assert done.stdout == "New password set for ben.staff.\n"
    assert store.authenticate("ben.staff", "another long password").generation == generation + 1
    with pytest.raises(SignInRefused, match="not right"):
        store.authenticate("nobody", PASSWORD)
    with pytest.raises(InputError, match="Unknown role"):
        store.create("cat", "superuser", "worcestershire", PASSWORD)
