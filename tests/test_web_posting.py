"""Posting from the web workspace, over HTTP against a real ``docgen serve``: the print pack and
GOV.UK Notify (the stand-in on the loopback, reached through the official client, with the key
in the data folder) get only the letters a manager approved or that need no sign-off, each sent
once; previews draw Word files as pages too."""

from __future__ import annotations

import io
import json
import re
import shutil
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from pypdf import PdfReader

from serve_helpers import ROOT, Server
from web_helpers import csrf, decide, make_user, sign_in

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftoppm") is None,
                                reason="needs LibreOffice and poppler-utils")  # fmt: skip
SAMPLE = ROOT / "samples" / "valid" / "worcestershire-child-in-need.json"
REQUESTS = ["WOR-CIN-0001_information-request_agency-hv", "WOR-CIN-0001_information-request_agency-teacher"]
OUTCOMES = ["WOR-CIN-0001_outcome-letter_agency-hv", "WOR-CIN-0001_outcome-letter_agency-teacher",
            "WOR-CIN-0001_outcome-letter_family-mum"]  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory, notify_service):
    data = tmp_path_factory.mktemp("web-posting") / "data"
    make_user(data, "ann.staff", "admin-staff", "worcestershire")
    make_user(data, "max.manager", "manager", "worcestershire")
    (data / "notify-api-key").write_text(notify_service.api_key + "\n")
    (data / "notify-api-key").chmod(0o600)
    running = Server(data, workers=1, env={"NOTIFY_BASE_URL": notify_service.url, "NOTIFY_API_KEY": ""})
    yield running
    running.stop()


def start_batch(server, session, fmt: str, documents: list[str], bundle: bytes = SAMPLE.read_bytes()) -> str:
    data = {"csrf_token": csrf(session, server, "/batches/new"), "format": fmt, "documents": documents}
    reply = session.post(server.url + "/batches/new", data=data, files=[("bundles", ("a.json", bundle))],
                         allow_redirects=False, timeout=60)  # fmt: skip
    assert reply.status_code == 302, reply.text
    batch = reply.headers["Location"]
    deadline = time.monotonic() + 240
    while "Finished" not in session.get(server.url + batch, timeout=30).text:
        assert time.monotonic() < deadline, "the batch did not finish"
        time.sleep(1)
    return batch.rsplit("/", 1)[1]


def send(server, session, job_id, **fields):
    path = f"/batches/{job_id}"
    data = {"csrf_token": csrf(session, server, path), "postage": "second", **fields}
    return session.post(server.url + path + "/send", data=data, timeout=120)


def rows(page: str) -> list[tuple[str, str]]:
    """(letter, outcome) from the sends page."""
    return re.findall(r'<th scope="row" class="govuk-table__header">([^<]+)</th>\s*<td class="govuk-table__cell">'
                      r'<strong class="govuk-tag[^"]*">([a-z-]+)</strong>', page)  # fmt: skip


def sends(server) -> list[dict]:
    with sqlite3.connect(server.data / "register.sqlite3") as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM sends ORDER BY id")]


def test_only_approved_letters_are_packed_and_sent_each_once(server, notify_service):
    staff, _ = sign_in(server, "ann.staff")
    job_id = start_batch(server, staff, "pdf", ["outcome-letter", "information-request"])
    names = sorted(f"{stem}.pdf" for stem in REQUESTS + OUTCOMES)  # the batch page numbers files so
    page = staff.get(f"{server.url}/batches/{job_id}", timeout=30).text
    assert "2 letters can be posted" in page and page.count("govuk-tag--yellow\">waiting for sign-off") == 3

    # before sign-off: the pack and Notify get the information requests alone
    pack = staff.get(f"{server.url}/batches/{job_id}/print-pack", timeout=60)
    assert pack.headers["Content-Disposition"] == f"attachment; filename=batch-{job_id}-print-pack.pdf"
    reader = PdfReader(io.BytesIO(pack.content))
    assert [item.title for item in reader.outline] == REQUESTS
    assert "Information" in "".join(p.extract_text() for p in reader.pages)
    first = send(server, staff, job_id, postage="first")
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
    assert rows(first.text) == [(f"{stem}.pdf", "sent") for stem in REQUESTS]
    assert "2 of 2 letters sent." in first.text
    assert sorted(n["reference"] for n in notify_service.letters()) == REQUESTS

    # a manager approves two outcome letters and returns one; the returned one stays held
    manager, _ = sign_in(server, "max.manager")
    for stem in OUTCOMES:
        returned = stem.endswith("family-mum")
        decide(server, manager, job_id, names.index(f"{stem}.pdf") + 1, "returned" if returned else "approved",
               "The review date is missing." if returned else "")  # fmt: skip
    assert manager.get(f"{server.url}/batches/{job_id}/print-pack", timeout=30).status_code == 403
    token = csrf(manager, server, f"/sign-off/{job_id}/{names.index(OUTCOMES[0] + '.pdf') + 1}")
    refused = manager.post(f"{server.url}/batches/{job_id}/send", data={"csrf_token": token}, timeout=30)
    assert refused.status_code == 403  # managers approve; admin staff send

    reader = PdfReader(io.BytesIO(staff.get(f"{server.url}/batches/{job_id}/print-pack", timeout=60).content))
    each_agency_together = [REQUESTS[0], OUTCOMES[0], REQUESTS[1], OUTCOMES[1]]
    assert [item.title for item in reader.outline] == each_agency_together
    second = send(server, staff, job_id)
    assert rows(second.text) == [(f"{stem}.pdf", "skipped" if stem in REQUESTS else "sent")
                                 for stem in each_agency_together]  # fmt: skip
    assert sorted(n["reference"] for n in notify_service.letters()) == sorted(REQUESTS + OUTCOMES[:2])
    recorded = sends(server)
    assert sorted(r["reference"] for r in recorded) == sorted(REQUESTS + OUTCOMES[:2])  # once each
    assert {r["postage"] for r in recorded if r["reference"] in REQUESTS} == {"first"}
    assert all(r["status"] == "accepted" and r["resend_reason"] is None for r in recorded)

    # sending again needs a reason, and is recorded with it
    unexplained = send(server, staff, job_id, resend="y")
    assert unexplained.status_code == 400 and "Say why the letters are sent again" in unexplained.text
    again = send(server, staff, job_id, resend="y", reason="returned: moved house")
    assert [outcome for _, outcome in rows(again.text)] == ["sent"] * 4
    assert len(notify_service.letters()) == 8
    assert [r["resend_reason"] for r in sends(server)[4:]] == ["returned: moved house"] * 4

    case = staff.get(f"{server.url}/cases", timeout=30).text
    key = re.search(r'href="/cases/([0-9a-f]{32})"', case).group(1)
    history = staff.get(f"{server.url}/cases/{key}", timeout=30).text
    assert "returned: moved house" in history and "user:ann.staff</td><td class=\"govuk-table__cell\">send" in history


def test_a_docx_batch_previews_as_page_images_kept_with_the_job(server):
    staff, _ = sign_in(server, "ann.staff")
    job_id = start_batch(server, staff, "docx", ["information-request"])
    preview = staff.get(f"{server.url}/batches/{job_id}/files/1/preview", timeout=120)
    assert preview.status_code == 200 and "Dear Mr Visitor-Example" in preview.text
    [cached] = (server.data / "jobs" / job_id / "previews").iterdir()
    pages = len(PdfReader(cached / "document.pdf").pages)  # made by LibreOffice from the .docx
    assert "Visitor-Example" in PdfReader(cached / "document.pdf").pages[0].extract_text()
    assert preview.text.count('<img class="docgen-page"') == pages
    assert f'alt="Page 1 of {pages}; its text follows the pages"' in preview.text
    image = staff.get(f"{server.url}/batches/{job_id}/files/1/pages/1.png", timeout=60)
    assert image.headers["Content-Type"] == "image/png" and image.content.startswith(b"\x89PNG")
    assert staff.get(f"{server.url}/batches/{job_id}/files/1/pages/{pages + 1}.png", timeout=30).status_code == 404
    assert sorted(p.name for p in cached.iterdir()) == ["document.pdf", "page-1.png"]
    assert (cached / "page-1.png").read_bytes() == image.content
    assert all(p.stat().st_mode & 0o077 == 0 for p in [cached, *cached.iterdir()])
    # no letter to post from a Word-only batch
    assert "No letter can be posted yet" in staff.get(f"{server.url}/batches/{job_id}", timeout=30).text


def test_two_sends_at_once_post_each_letter_once(server, notify_service):
    """A double click, or two people sending the same batch: the second waits for the first
    (whose first letter Notify answers with a 500, so it is retried after a pause) and then
    finds both letters sent."""
    bundle = json.loads(SAMPLE.read_text())
    bundle["case"]["reference"] = "WOR-CIN-0555"  # letters Notify has never had
    staff, _ = sign_in(server, "ann.staff")
    job_id = start_batch(server, staff, "pdf", ["information-request"], json.dumps(bundle).encode())
    stems = [stem.replace("WOR-CIN-0001", "WOR-CIN-0555") for stem in REQUESTS]
    notify_service.faults[stems[0]] = [500]
    other, _ = sign_in(server, "ann.staff")
    with ThreadPoolExecutor(2) as pool:
        pages = list(pool.map(lambda session: send(server, session, job_id).text, [staff, other]))
    outcomes = sorted(sorted(outcome for _, outcome in rows(page)) for page in pages)
    assert outcomes == [["sent", "sent"], ["skipped", "skipped"]]
    assert sorted(n["reference"] for n in notify_service.letters() if "0555" in n["reference"]) == stems
    recorded = [r for r in sends(server) if "0555" in r["reference"]]
    assert sorted((r["reference"], r["status"]) for r in recorded) == [(stem, "accepted") for stem in stems]
