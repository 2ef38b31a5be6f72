"""docgen send and batch --send against a stand-in for GOV.UK Notify on the loopback.

The official notifications-python-client talks to tests/notify_stand_in.py through its
base_url; the stand-in checks the JWT and the bodies as Notify does and answers in Notify's
shapes. Letters are real ones, laid out by LibreOffice and passing check-letter.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest
import requests
from click.testing import CliRunner

from docgen.cli import cli
from docgen.convert import Converter
from docgen.notify import NotifyGateway, SendOptions, send_letters
from docgen.register import Register
from letter_helpers import ADDRESS, BODY, notify_letter
from notify_stand_in import NotifyStandIn

pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="needs LibreOffice and poppler-utils",
)
NAMES = ["WOR-CIN-0001_outcome-letter_family-mum", "WOR-CIN-0001_outcome-letter_agency-hv",
         "WOR-CIN-0001_information-request_agency-gp"]  # fmt: skip


@pytest.fixture(scope="module")
def letter_pdfs(tmp_path_factory) -> dict[str, bytes]:
    """Three passing letters and one with a two-line address, as PDF bytes by file stem."""
    folder = tmp_path_factory.mktemp("notify-letters")
    jobs = []
    for number, name in enumerate([*NAMES, "WOR-CIN-0001_outcome-letter_family-dad"]):
        address = ADDRESS if number < 3 else ["Mr Sam Example", "DY10 1AA"]
        document = notify_letter(address, [f"Letter {number}", *BODY])
        document.save(folder / f"{name}.docx")
        jobs.append((folder / f"{name}.docx", folder / f"{name}.pdf"))
    with Converter(jobs=2) as converter:
        assert all(r.ok for r in converter.convert_many(jobs))
    return {target.stem: target.read_bytes() for _, target in jobs}


@pytest.fixture
def out(tmp_path, letter_pdfs) -> Path:
    """An output folder holding the three passing letters and a family plan (not a letter)."""
    folder = tmp_path / "out"
    folder.mkdir()
    for name in NAMES:
        (folder / f"{name}.pdf").write_bytes(letter_pdfs[name])
    (folder / "WOR-CIN-0001_family-plan.pdf").write_bytes(letter_pdfs[NAMES[0]])
    return folder


@pytest.fixture
def notify():
    with NotifyStandIn() as stand_in:
        yield stand_in


def run(args, notify, **env):
    environment = {"NOTIFY_API_KEY": notify.api_key, "NOTIFY_BASE_URL": notify.url, **env}
    return CliRunner().invoke(cli, args, env=environment)


def sends(out: Path) -> list[dict]:
    with sqlite3.connect(out / ".docgen" / "register.sqlite3") as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM sends ORDER BY id")]


def test_send_posts_each_letter_once_with_its_stem_as_reference(out, notify, letter_pdfs):
    result = run(["send", str(out), "--postage", "first"], notify)

    assert result.exit_code == 0, result.output
    letters = sorted(notify.letters(), key=lambda n: n["reference"])
    assert [n["reference"] for n in letters] == sorted(NAMES)
    for n in letters:  # the body Notify got: the very PDF, base64, first class
        [request] = [r for r in notify.requests if r["method"] == "POST" and r["body"]["reference"] == n["reference"]]
        assert set(request["body"]) == {"reference", "content", "postage"}
        assert request["body"]["postage"] == "first"
        assert base64.b64decode(request["body"]["content"]) == letter_pdfs[n["reference"]]
    lines = result.stdout.splitlines()
    by_name = {n["reference"]: n["id"] for n in letters}
    assert lines[:3] == [f"{out / (name + '.pdf')}: sent: Notify id {by_name[name]}, first class"
                         for name in sorted(NAMES)]  # fmt: skip
    assert lines[3] == "Skipped 1 PDF that is not a letter: WOR-CIN-0001_family-plan.pdf."
    recorded = sends(out)
    assert [(r["reference"], r["status"], r["postage"], r["route"]) for r in recorded] == [
        (name, "accepted", "first", "letter") for name in sorted(NAMES)
    ]
    assert {r["output_sha256"] for r in recorded} == {
        hashlib.sha256(letter_pdfs[name]).hexdigest() for name in NAMES
    }
    assert {(r["case_reference"], r["document"], r["recipient"]) for r in recorded} == {
        ("WOR-CIN-0001", "outcome-letter", "family-mum"), ("WOR-CIN-0001", "outcome-letter", "agency-hv"),
        ("WOR-CIN-0001", "information-request", "agency-gp"),
    }  # fmt: skip


def test_a_second_run_sends_nothing_and_a_resend_needs_a_reason(out, notify):
    assert run(["send", str(out)], notify).exit_code == 0
    again = run(["send", str(out)], notify)
    unexplained = run(["send", str(out / f"{NAMES[0]}.pdf"), "--resend"], notify)
    resent = run(["send", str(out / f"{NAMES[0]}.pdf"), "--resend", "--reason", "returned: moved house"], notify)

    assert again.exit_code == 0
    assert len(notify.letters()) == 4  # three, and the one resend
    assert all(": skipped: already sent on " in line for line in again.stdout.splitlines()[:3])
    assert unexplained.exit_code == 2
    assert "--resend needs --reason TEXT" in unexplained.stderr
    assert resent.exit_code == 0 and ": sent: Notify id " in resent.stdout
    assert [n["reference"] for n in notify.letters(NAMES[0])] == [NAMES[0], NAMES[0]]
    assert sends(out)[-1]["resend_reason"] == "returned: moved house"


def test_a_letter_failing_notifys_rules_is_not_sent_and_the_others_are(out, notify, letter_pdfs):
    bad = out / "WOR-CIN-0001_outcome-letter_family-dad.pdf"
    bad.write_bytes(letter_pdfs[bad.stem])

    result = run(["send", str(out)], notify)

    assert result.exit_code == 3
    assert f"{bad}: not-sent: fails Notify's rules: page 1: the address has 2 lines; Notify needs 3 to 7\n" in result.stdout
    assert sorted(n["reference"] for n in notify.letters()) == sorted(NAMES)
    assert bad.stem not in {r["reference"] for r in sends(out)}


def test_a_refused_api_key_stops_at_once_with_exit_8_and_is_never_shown(out, notify, caplog, tmp_path):
    wrong = notify.api_key[:-36] + "0" * 36  # the right service, the wrong secret
    key_file = tmp_path / "key.txt"
    key_file.write_text(wrong + "\n")
    caplog.set_level(logging.DEBUG)

    result = run(["send", str(out), "--api-key-file", str(key_file)], notify, NOTIFY_API_KEY="")

    assert result.exit_code == 8
    assert result.stderr == (
        f"Error: {NAMES[2]}: GOV.UK Notify refused the API key (AuthError: Invalid token: API key "
        "not found); nothing more was sent. Check $NOTIFY_API_KEY or --api-key-file, and that the "
        "key is not revoked.\n"
    )
    assert [r["status"] for r in notify.requests] == [403]  # the first letter, and no other
    assert notify.letters() == []
    everything = result.output + caplog.text + json.dumps(sends(out))
    assert wrong[-36:] not in everything and notify.secret not in everything


def test_no_key_is_a_usage_error(out, notify):
    result = run(["send", str(out)], notify, NOTIFY_API_KEY="")

    assert result.exit_code == 2
    assert result.stderr == "Error: No GOV.UK Notify API key: set $NOTIFY_API_KEY or give --api-key-file.\n"


def test_the_stand_in_checks_the_jwt_as_notify_does(notify):
    """What makes these tests worth having: a token that is stale, from another service or
    signed with another secret is refused."""

    def post(claims, secret):
        token = jwt.encode(claims, secret, algorithm="HS256")
        return requests.post(f"{notify.url}/v2/notifications/letter", json={},
                             headers={"Authorization": f"Bearer {token}"}, timeout=5)  # fmt: skip

    now = int(time.time())
    stale = post({"iss": notify.service_id, "iat": now - 60}, notify.secret)
    stranger = post({"iss": "another-service", "iat": now}, notify.secret)
    forged = post({"iss": notify.service_id, "iat": now}, "not-the-secret-but-just-as-long-as-one")
    fresh = post({"iss": notify.service_id, "iat": now}, notify.secret)

    assert [r.status_code for r in (stale, stranger, forged)] == [403, 403, 403]
    assert forged.json() == {"status_code": 403, "errors": [{"error": "AuthError", "message": "Invalid token: API key not found"}]}
    assert fresh.status_code == 400  # through the door, then the empty body is refused
    assert {e["message"] for e in fresh.json()["errors"]} == {
        "reference is a required property", "Letter content is not a valid PDF"
    }


def _send(out, notify, **gateway):
    with Register(out / ".docgen" / "register.sqlite3") as register:
        gate = NotifyGateway(notify.api_key, notify.url, backoff=0.01, **gateway)
        return list(send_letters(sorted(out.glob("*_agency-*.pdf")) + [out / f"{NAMES[0]}.pdf"],
                                 register, gate, SendOptions()))  # fmt: skip


def test_429_waits_and_tries_again(out, notify):
    notify.faults[NAMES[1]] = [429, 429]

    outcomes = _send(out, notify)

    assert [o.outcome for o in outcomes] == ["sent", "sent", "sent"]
    tries = [r["status"] for r in notify.requests if r["body"] and r["body"].get("reference") == NAMES[1]]
    assert tries == [429, 429, 201]


def test_400_is_recorded_and_not_retried_and_the_others_go(out, notify):
    notify.faults[NAMES[1]] = [400]

    outcomes = _send(out, notify)

    assert [(o.path.stem, o.outcome) for o in outcomes] == [
        (NAMES[2], "sent"), (NAMES[1], "rejected"), (NAMES[0], "sent")
    ]
    assert outcomes[1].message == "GOV.UK Notify answered 400: BadRequestError: Bad request"
    assert [r["status"] for r in notify.requests if r["body"] and r["body"].get("reference") == NAMES[1]] == [400]
    assert [(r["reference"], r["status"], r["detail"]) for r in sends(out)][1] == (
        NAMES[1], "rejected", "GOV.UK Notify answered 400: BadRequestError: Bad request"
    )


def test_5xx_backs_off_then_is_recorded_failed_and_the_run_carries_on(out, notify):
    notify.faults[NAMES[1]] = [500] * 5

    outcomes = _send(out, notify)

    assert [o.outcome for o in outcomes] == ["sent", "failed", "sent"]
    assert outcomes[1].message == "GOV.UK Notify answered 500: Exception: Internal server error"
    assert len([r for r in notify.requests if r["body"] and r["body"].get("reference") == NAMES[1]]) == 5
    assert sends(out)[1]["status"] == "failed"
    # a failed letter was never sent, so the next run sends it
    assert [o.outcome for o in _send(out, notify)] == ["skipped", "sent", "skipped"]


def test_a_timeout_is_retried_without_sending_the_letter_twice(out, notify):
    notify.hold.add(NAMES[1])  # Notify takes it but its answer never comes back

    outcomes = _send(out, notify, timeout=0.5, attempts=2)

    [arrived] = notify.letters(NAMES[1])  # asked before trying again: it had arrived
    assert [o.outcome for o in outcomes] == ["sent", "sent", "sent"]
    assert outcomes[1].notification_id == arrived["id"]
    assert sends(out)[1]["notification_id"] == arrived["id"]


def test_before_trying_again_docgen_asks_whether_the_letter_arrived(out, notify):
    notify.faults[NAMES[1]] = [500, 500]

    outcomes = _send(out, notify, attempts=2)

    assert [o.outcome for o in outcomes] == ["sent", "failed", "sent"]
    lookups = [r for r in notify.requests if r["method"] == "GET" and NAMES[1] in r["path"]]
    assert len(lookups) == 1  # before the second try: had the first arrived after all?
    assert notify.letters(NAMES[1]) == []


def test_a_run_killed_while_notify_answers_sends_each_letter_exactly_once_when_run_again(out, notify):
    notify.hold.add(NAMES[1])  # accepted by Notify; the process dies before it hears so
    env = {**os.environ, "NOTIFY_API_KEY": notify.api_key, "NOTIFY_BASE_URL": notify.url}
    docgen = Path(sys.executable).with_name("docgen")
    process = subprocess.Popen([str(docgen), "send", str(out)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        assert notify.held.wait(120), "docgen never reached the second letter"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    notify.hold.clear()
    assert [r["status"] for r in sends(out)] == ["accepted", "sending"]

    again = run(["send", str(out)], notify)

    assert again.exit_code == 0, again.output
    for name in NAMES:
        assert len(notify.letters(name)) == 1, name
    [held] = notify.letters(NAMES[1])
    assert again.stdout.splitlines()[1] == (
        f"{out / (NAMES[1] + '.pdf')}: skipped: already sent on {sends(out)[1]['sent_at']} "
        f"(Notify id {held['id']}, pending-virus-check); --resend --reason to send it again"
    )
    assert [(r["reference"], r["notification_id"]) for r in sends(out)][1] == (NAMES[1], held["id"])


def test_status_records_what_notify_says_and_history_shows_it(out, notify):
    assert run(["send", str(out)], notify).exit_code == 0
    first, second, third = sorted(notify.letters(), key=lambda n: n["reference"])
    notify.set_status(first["id"], "received")
    notify.set_status(second["id"], "validation-failed")

    status = run(["send", "--status", "--register", str(out / ".docgen" / "register.sqlite3")], notify)
    history = run(["history", "WOR-CIN-0001", "--register", str(out)], notify)

    assert status.exit_code == 0, status.output
    assert sorted(status.stdout.splitlines()) == sorted([
        f"{first['reference']}: received (Notify id {first['id']})",
        f"{second['reference']}: validation-failed (Notify id {second['id']})",
        f"{third['reference']}: pending-virus-check (Notify id {third['id']})",
    ])  # fmt: skip
    assert history.exit_code == 0, history.output
    lines = history.stdout.splitlines()
    assert lines[0] == "Sent through GOV.UK Notify:"
    assert any(f"  {first['reference']}  letter, second  received  Notify id {first['id']}  " in line for line in lines)
    again = run(["send", "--status", "--json", "--register", str(out / ".docgen" / "register.sqlite3")], notify)
    assert json.loads(again.stdout) == [  # only the one not final yet
        {"reference": third["reference"], "notification_id": third["id"], "status": "pending-virus-check"}
    ]


def test_information_requests_to_agencies_can_go_as_a_file_by_email(out, notify, letter_pdfs):
    template = "f33517ff-2a88-4f6e-b855-c550268ce08a"
    options = SendOptions(email_route=lambda p: ("duty@agency.example", template) if "_information-request_" in p.stem else None)
    with Register(out / ".docgen" / "register.sqlite3") as register:
        gate = NotifyGateway(notify.api_key, notify.url, backoff=0.01)
        outcomes = list(send_letters([out / f"{NAMES[2]}.pdf", out / f"{NAMES[0]}.pdf"], register, gate, options))

    assert [(o.outcome, o.message.split(", ")[-1]) for o in outcomes] == [
        ("sent", "a link by email"), ("sent", "second class")
    ]
    [email] = [n for n in notify.notifications.values() if n["type"] == "email"]
    assert (email["reference"], email["template_id"], email["email_address"]) == (NAMES[2], template, "duty@agency.example")
    upload = notify.files[email["id"]]
    assert base64.b64decode(upload["file"]) == letter_pdfs[NAMES[2]]
    assert (upload["filename"], upload["confirm_email_before_download"], upload["retention_period"]) == (
        f"{NAMES[2]}.pdf", True, "26 weeks"
    )
    assert [(r["route"], r["postage"]) for r in sends(out)] == [("email", None), ("letter", "second")]


def test_batch_send_posts_the_runs_letters_that_pass_and_a_rerun_posts_none(tmp_path, notify):
    """Sample letters are sent exactly when check-letter passes them (until the letter head
    fits Notify's areas, none does: see test_check_letter), each reference once."""
    from docgen.pdfout import check_letter

    cases = tmp_path / "cases"
    cases.mkdir()
    sample = Path(__file__).parent.parent / "samples" / "valid" / "worcestershire-child-in-need.json"
    shutil.copy(sample, cases)
    out = tmp_path / "out"
    args = ["batch", str(cases), "--out", str(out), "--format", "pdf", "--doc", "outcome-letter",
            "--jobs", "1", "--send", "--postage", "second"]  # fmt: skip

    first = run(args, notify)
    second = run(args, notify)

    letters = sorted(out.glob("WOR-CIN-0001_outcome-letter_*.pdf"))
    assert len(letters) == 3
    passing = {p.stem for p in letters if not check_letter(p)}
    assert {n["reference"] for n in notify.letters()} == passing
    assert all(len(notify.letters(name)) == 1 for name in passing)
    assert first.exit_code == (0 if len(passing) == 3 else 3), first.output
    for letter in letters:
        expected = "sent: Notify id " if letter.stem in passing else "not-sent: fails Notify's rules: page 1: "
        assert f"{letter}: {expected}" in first.stdout
        if letter.stem in passing:
            assert f"{letter}: skipped: already sent on " in second.stdout
    assert second.stdout.count(": sent: ") == 0


def test_batch_send_needs_pdfs(tmp_path, notify):
    result = run(["batch", str(tmp_path), "--out", str(tmp_path / "out"), "--send"], notify)

    assert result.exit_code == 2
    assert "--send posts PDFs: give --format pdf or both, and not --check." in result.stderr


def test_batch_send_emails_information_requests_when_the_profile_names_a_template(tmp_path, notify):
    template = "8c1e7f0a-3f5b-4d2a-9e61-0b7d2c4a5e93"
    templates = tmp_path / "templates"
    shutil.copytree(Path(__file__).parent.parent / "templates", templates)
    profile = templates / "worcestershire" / "authority.toml"
    profile.write_text(f'notify_email_template = "{template}"\n' + profile.read_text("utf-8"), "utf-8")
    cases = tmp_path / "cases"
    cases.mkdir()
    shutil.copy(Path(__file__).parent.parent / "samples" / "valid" / "worcestershire-child-in-need.json", cases)
    out = tmp_path / "out"

    result = run(["batch", str(cases), "--out", str(out), "--format", "pdf", "--doc", "information-request",
                  "--jobs", "1", "--templates", str(templates), "--send"], notify)  # fmt: skip

    assert result.exit_code == 0, result.output
    emails = sorted((n for n in notify.notifications.values() if n["type"] == "email"), key=lambda n: n["reference"])
    assert [(n["reference"], n["template_id"]) for n in emails] == [
        ("WOR-CIN-0001_information-request_agency-hv", template),
        ("WOR-CIN-0001_information-request_agency-teacher", template),
    ]
    bundle = json.loads((cases / "worcestershire-child-in-need.json").read_text("utf-8"))
    addresses = {p["id"]: p.get("email") for p in bundle["professionals"]}
    assert [n["email_address"] for n in emails] == [addresses["hv"], addresses["teacher"]]
    for n in emails:
        pdf = (out / f"{n['reference']}.pdf").read_bytes()
        assert base64.b64decode(notify.files[n["id"]]["file"]) == pdf
        assert f"{out / (n['reference'] + '.pdf')}: sent: Notify id {n['id']}, a link by email" in result.stdout
    assert notify.letters() == []
    assert {(r["route"], r["postage"], r["status"]) for r in sends(out)} == {("email", None, "accepted")}


def test_status_with_a_refused_key_exits_8(out, notify):
    assert run(["send", str(out)], notify).exit_code == 0
    wrong = notify.api_key[:-36] + "1" * 36

    result = run(["send", "--status", "--register", str(out)], notify, NOTIFY_API_KEY=wrong)

    assert result.exit_code == 8
    assert result.stderr.startswith("Error: ")
    assert "GOV.UK Notify refused the API key (AuthError: Invalid token: API key not found)" in result.stderr
    assert {r["status"] for r in sends(out)} == {"accepted"}  # unchanged


def test_an_unfinished_send_that_cannot_be_settled_is_not_sent_again_until_it_can(out, notify, letter_pdfs):
    letter = out / f"{NAMES[1]}.pdf"
    with Register(out / ".docgen" / "register.sqlite3") as register:  # as a killed run leaves it
        register.start_send(output_sha256=hashlib.sha256(letter.read_bytes()).hexdigest(),
                            case_reference="WOR-CIN-0001", document="outcome-letter", recipient="agency-hv",
                            reference=NAMES[1], route="letter", postage="second")  # fmt: skip
    notify.lookup_faults[NAMES[1]] = [500] * 5  # Notify cannot be asked about it

    [unsettled] = [o for o in _send(out, notify) if o.path == letter]
    [settled] = [o for o in _send(out, notify) if o.path == letter]

    assert (unsettled.outcome, unsettled.message) == ("failed", (
        "an earlier send was not settled, as Notify could not be asked about it (GOV.UK Notify "
        "answered 500: Exception: Internal server error); run again later"))
    assert settled.outcome == "sent"
    assert len(notify.letters(NAMES[1])) == 1
    assert [(r["status"], r["detail"]) for r in sends(out) if r["reference"] == NAMES[1]] == [
        ("failed", "interrupted before Notify took it"), ("accepted", None)
    ]


def test_a_file_not_named_as_docgen_names_letters_is_not_sent(out, notify, letter_pdfs):
    renamed = out / "letter to Alex Example.pdf"
    renamed.write_bytes(letter_pdfs[NAMES[0]])

    result = run(["send", str(renamed)], notify)

    assert result.exit_code == 3
    assert result.stdout == (
        f"{renamed}: not-sent: the file is not named as docgen names letters "
        "(CASEREF_DOCUMENT_RECIPIENT); its name is the reference Notify keeps, so it must hold "
        "no one's name\n"
    )
    assert notify.requests == []


def test_something_that_is_not_a_notify_key_is_refused_without_showing_it(out, notify, tmp_path):
    key_file = tmp_path / "key.txt"
    key_file.write_text("sk_live_hunter2hunter2\n")

    result = run(["send", str(out), "--api-key-file", str(key_file)], notify)

    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {key_file}: This is not a GOV.UK Notify API key (name-SERVICEID-SECRET, as "
        "Notify shows it once when the key is made).\n"
    )
    assert notify.requests == []
