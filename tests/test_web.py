"""The web workspace's guards over HTTP, against a real ``docgen serve`` on the loopback: CSRF,
the lock after failed sign-ins, cookie flags, the idle time-out, uploads refused for what they
are, and headers."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile

import docx
import pytest
import requests

from serve_helpers import ROOT, Server
from web_helpers import PASSWORD, csrf, make_user, sign_in

SAMPLE = ROOT / "samples" / "valid" / "worcestershire-child-in-need.json"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("web-http") / "data"
    for name in ("ann.staff", "lee.staff", "kim.staff"):
        make_user(data, name, "admin-staff", "worcestershire")
    make_user(data, "max.manager", "manager", "worcestershire")
    make_user(data, "pip.policy", "policy-owner", "worcestershire")
    running = Server(data, workers=1, env={"DOCGEN_TRUSTED_PROXY": "1", "DOCGEN_IDLE_MINUTES": "0.05", "NOTIFY_API_KEY": ""})
    yield running
    running.stop()


def upload(session, server, files):
    token = csrf(session, server, "/batches/new")
    return session.post(server.url + "/batches/new", data={"csrf_token": token, "format": "docx"},
                        files=[("bundles", f) for f in files], allow_redirects=False, timeout=60)  # fmt: skip


def jobs_in(server):
    return sorted(p.name for p in (server.data / "jobs").iterdir())


def test_unsigned_visitors_go_to_sign_in_and_forms_need_csrf(server):
    reply = requests.get(server.url + "/cases", allow_redirects=False, timeout=30)
    assert (reply.status_code, reply.headers["Location"].split("?")[0]) == (302, "/sign-in")
    forged = requests.post(server.url + "/sign-in", data={"name": "ann.staff", "password": PASSWORD}, timeout=30)
    assert forged.status_code == 400 and "The request could not be used" in forged.text


def test_session_cookie_flags_and_secure_behind_the_proxy(server):
    _, plain = sign_in(server)
    cookie = plain.headers["Set-Cookie"]
    assert plain.status_code == 302 and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    behind_tls = {"X-Forwarded-Proto": "https", "Referer": server.url.replace("http:", "https:") + "/sign-in"}
    _, proxied = sign_in(server, **behind_tls)
    assert proxied.status_code == 302 and "; Secure" in proxied.headers["Set-Cookie"]
    _, no_referer = sign_in(server, **{"X-Forwarded-Proto": "https"})  # Flask-WTF's check over TLS
    assert no_referer.status_code == 400


def test_lock_after_five_failures_even_for_the_right_password(server):
    for _ in range(5):
        _, reply = sign_in(server, name="kim.staff", password="wrong password, again")
        assert reply.status_code == 401 and "The user name or password is not right." in reply.text
    _, reply = sign_in(server, name="kim.staff")
    assert reply.status_code == 401 and "This account is locked after too many failed sign-ins." in reply.text


def test_idle_time_out_ends_the_session(server):
    session, reply = sign_in(server, name="lee.staff")
    assert session.get(server.url + "/", allow_redirects=False, timeout=30).status_code == 200
    time.sleep(3.5)  # DOCGEN_IDLE_MINUTES=0.05 in this server
    again = session.get(server.url + "/", allow_redirects=False, timeout=30)
    assert again.status_code == 302 and again.headers["Location"].startswith("/sign-in")


@pytest.mark.parametrize("name, body, message", [
    ("notes.exe.json", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", "File 1 is not a JSON case bundle: it is not UTF-8 text."),
    ("bundle.json", b"PK\x03\x04 a zip in disguise", "File 1 is not a .json case bundle or a .zip of them."),
    ("letter.docm", b"PK\x03\x04", "File 1 is not a .json case bundle or a .zip of them."),
])  # fmt: skip
def test_uploads_that_are_not_bundles_are_refused_and_nothing_is_stored(server, name, body, message):
    session, _ = sign_in(server)
    before = jobs_in(server)
    reply = upload(session, server, [(name, body)])
    assert reply.status_code == 400 and message in reply.text
    assert jobs_in(server) == before


def test_zip_bomb_is_refused(server):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(41):
            archive.writestr(f"b{n}.json", b" " * (5 * 1024 * 1024))  # 205 MiB of spaces
    session, _ = sign_in(server)
    before = jobs_in(server)
    reply = upload(session, server, [("cases.zip", buffer.getvalue())])
    assert reply.status_code == 400 and "File 1: The zip would unpack to more than 200 MiB." in reply.text
    assert jobs_in(server) == before


def test_other_authority_bundle_refused(server):
    bundle = json.loads(SAMPLE.read_text())
    bundle["authority"] = "derbyshire"
    session, _ = sign_in(server)
    reply = upload(session, server, [("a.json", json.dumps(bundle).encode())])
    assert reply.status_code == 400 and "Bundle 1 is for another authority than yours." in reply.text


def test_pages_headers_and_attachments(server):
    session, _ = sign_in(server)
    reply = upload(session, server, [("a.json", SAMPLE.read_bytes())])
    assert reply.status_code == 302
    batch = reply.headers["Location"]
    deadline = time.monotonic() + 120
    seen = []
    while "Finished" not in (page := session.get(server.url + batch, timeout=30)).text and time.monotonic() < deadline:
        seen.append(page.text)
        time.sleep(1)
    for text in [*seen, page.text]:  # no page reloads itself (WCAG 2.2.1): progress.js asks instead
        assert 'http-equiv="refresh"' not in text
    for text in seen:
        assert "Check progress</a>" in text and f'data-docgen-progress="{batch}/progress"' in text
    assert "Check progress" not in page.text
    fragment = session.get(server.url + batch + "/progress", timeout=30)
    assert fragment.headers["Cache-Control"] == "no-store"
    assert re.search(r'<p class="govuk-body" data-docgen-done="true">\s*Finished: \d+ documents issued', fragment.text), fragment.text
    assert page.headers["Cache-Control"] == "no-store"
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert re.findall(r"<script[^>]*>", page.text) == ['<script type="module" src="/static/docgen/govuk-init.js">',
                                                       '<script src="/static/docgen/progress.js" defer>']  # external only
    for module in ("/static/docgen/govuk-init.js", "/static/govuk/govuk-frontend.min.js"):
        assert "javascript" in requests.get(server.url + module, timeout=30).headers["Content-Type"], module
    script = requests.get(server.url + "/static/docgen/progress.js", timeout=30)
    assert script.status_code == 200 and "javascript" in script.headers["Content-Type"]
    assert "data-docgen-progress" in script.text
    assert session.get(server.url + batch + "/files/1", timeout=30).status_code == 403  # waits for sign-off
    manager, _ = sign_in(server, name="max.manager")
    decide = server.url + batch.replace("/batches/", "/sign-off/") + "/1"
    assert manager.get(decide, timeout=30).headers["Cache-Control"] == "no-store"
    forged = manager.post(decide, data={"decision": "approved"}, allow_redirects=False, timeout=30)
    assert forged.status_code == 400  # no CSRF token
    approved = manager.post(decide, data={"decision": "approved", "csrf_token": csrf(manager, server, decide.removeprefix(server.url))},
                            allow_redirects=False, timeout=30)  # fmt: skip
    assert (approved.status_code, approved.headers["Location"]) == (302, "/sign-off")
    file = session.get(server.url + batch + "/files/1", timeout=30)
    assert file.headers["Content-Disposition"].startswith("attachment; filename=WOR-CIN-0001_outcome-letter")
    assert session.get(server.url + batch + "/files/99", timeout=30).status_code == 404
    style = requests.get(server.url + "/static/govuk/govuk-frontend.min.css", timeout=30)
    assert style.status_code == 200 and ".govuk-button" in style.text
    # this server has no Notify API key: sending says how to set one up, and nothing is recorded
    token = csrf(session, server, "/batches/new")  # one CSRF token for the session's forms
    unset = session.post(server.url + batch + "/send", data={"csrf_token": token, "postage": "second"}, timeout=30)
    assert unset.status_code == 400 and "GOV.UK Notify is not set up on this server" in unset.text
    assert "notify-api-key" in unset.text


def docx_with(part: str, body: bytes) -> bytes:
    """The current outcome letter's package with one part replaced or added."""
    from docgen.registry import Registry

    source = Registry(None).resolve("outcome-letter", "worcestershire").path
    buffer = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in original.infolist():
            if item.filename != part:
                copy.writestr(item, original.read(item))
        copy.writestr(part, body)
    return buffer.getvalue()


XXE = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><w:document xmlns:w="x">&e;</w:document>'


@pytest.mark.parametrize("name, body, message", [
    ("letter.docx", b"MZ\x90\x00 a program", "The file is not a Word document (.docx)."),
    ("letter.docx", lambda: docx_with("word/document.xml", XXE), "The Word document declares a DTD or external entity; it is refused."),
    ("letter.docx", lambda: docx_with("word/vbaProject.bin", b"macros"), "The Word document has macros (.docm); save it as a plain .docx."),
    ("letter.docm", lambda: docx_with("word/document.xml", b"<w:document/>"), "The file must be a Word document saved as .docx."),
])  # fmt: skip
def test_template_uploads_that_are_not_plain_docx_are_refused(server, name, body, message):
    session, _ = sign_in(server, name="pip.policy")
    path = "/templates/outcome-letter/check"
    token = csrf(session, server, path)
    data = body() if callable(body) else body
    reply = session.post(server.url + path, data={"csrf_token": token}, files=[("template", (name, data))],
                         allow_redirects=False, timeout=60)  # fmt: skip
    assert reply.status_code == 400 and message in reply.text
    assert not (server.data / "candidates").exists() or not any((server.data / "candidates").iterdir())


def test_policy_owners_never_reach_case_data(server):
    """Samples only: no batch, file, page image, case or sign-off of their own authority."""
    staff, _ = sign_in(server)
    batch = upload(staff, server, [("a.json", SAMPLE.read_bytes())]).headers["Location"]
    deadline = time.monotonic() + 120
    while "Finished" not in staff.get(server.url + batch, timeout=30).text and time.monotonic() < deadline:
        time.sleep(1)
    case = re.search(r'href="(/cases/[0-9a-f]{32})"', staff.get(server.url + "/cases", timeout=30).text).group(1)
    assert staff.get(server.url + case, timeout=30).status_code == 200
    owner, _ = sign_in(server, name="pip.policy")
    for path in ("/", "/templates"):
        page = owner.get(server.url + path, timeout=30)
        assert page.status_code == 200 and "WOR-CIN-0001" not in page.text
    for path in (batch, batch + "/files/1", batch + "/files/1/preview", batch + "/files/1/pages/1.png", batch + "/zip",
                 "/batches/new", "/cases", case, "/sign-off", batch.replace("/batches/", "/sign-off/") + "/1"):  # fmt: skip
        assert owner.get(server.url + path, allow_redirects=False, timeout=30).status_code == 403, path
    assert staff.get(server.url + "/templates", allow_redirects=False, timeout=30).status_code == 403


def test_a_checked_template_is_drawn_beside_the_current_version_without_javascript(server):
    from docgen.registry import Registry

    current = Registry(None).resolve("outcome-letter", "worcestershire")
    letter = docx.Document(str(current.path))
    letter.add_paragraph("We are glad to help.")
    buffer = io.BytesIO()
    letter.save(buffer)
    owner, _ = sign_in(server, name="pip.policy")
    path = "/templates/outcome-letter/check"
    reply = owner.post(server.url + path, data={"csrf_token": csrf(owner, server, path)},
                       files=[("template", ("outcome-letter.docx", buffer.getvalue()))], allow_redirects=False, timeout=120)  # fmt: skip
    report = reply.headers["Location"]
    assert "See every page beside the current version" in owner.get(server.url + report, timeout=30).text
    deadline = time.monotonic() + 180
    drawing = 0
    while "All the pages are drawn." not in (page := owner.get(server.url + report + "/pages", timeout=30)).text:
        # no meta refresh (WCAG 2.2.1): a link to check again, and progress.js's address to poll
        assert re.search(r"Drawing the pages: \d+ of 14 documents done", page.text), page.text
        assert f'<a class="govuk-link" href="{report}/pages">Check progress</a>' in page.text
        assert f'data-docgen-progress="{report}/pages/progress"' in page.text
        fragment = owner.get(server.url + report + "/pages/progress", timeout=30)
        assert fragment.status_code == 200 and fragment.headers["Content-Type"].startswith("text/html")
        assert re.search(r'data-docgen-done="(false">\s*Drawing the pages: \d+ of 14|true">All the pages are drawn)', fragment.text), fragment.text
        drawing += 1
        assert time.monotonic() < deadline, page.text
        time.sleep(1)
    assert drawing, "the pages were drawn before the page was first seen: nothing showed progress"
    assert "Check progress" not in page.text and "data-docgen-progress" not in page.text
    done = owner.get(server.url + report + "/pages/progress", timeout=30).text
    assert 'data-docgen-done="true">All the pages are drawn.' in re.sub(r"\s+", " ", done), done
    assert re.findall(r"<script[^>]*></script>", page.text) == [  # external only: no inline script
        '<script type="module" src="/static/docgen/govuk-init.js"></script>', '<script src="/static/docgen/progress.js" defer></script>']
    assert page.text.count("<script") == 2
    images = re.findall(r'<img class="docgen-page" src="([^"]+)"', page.text)
    assert len([i for i in images if "/current/" in i]) >= 7 and len([i for i in images if "/candidate/" in i]) >= 7
    drawn = owner.get(server.url + images[0], timeout=30)
    assert drawn.headers["Content-Type"] == "image/png" and drawn.content.startswith(b"\x89PNG")
    assert owner.get(server.url + images[0].replace("/1.png", "/99.png"), timeout=30).status_code == 404
    assert owner.get(server.url + "/templates/checks/0123456789abcdef/pages", timeout=30).status_code == 404
    staff, _ = sign_in(server)
    assert staff.get(server.url + images[0], allow_redirects=False, timeout=30).status_code == 403
