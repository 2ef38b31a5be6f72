"""The HTTP API against a real ``docgen serve`` process on the loopback."""

from __future__ import annotations

import base64
import io
import json
import sqlite3
import subprocess
import time
import zipfile
from pathlib import Path

import docx
import pytest
import requests
from pypdf import PdfReader

from serve_helpers import DOCGEN, ROOT, Server, make_token
from web_helpers import decide, make_user, sign_in

SAMPLES = ROOT / "samples" / "valid"
WORCS = SAMPLES / "worcestershire-child-in-need.json"
DERBY = SAMPLES / "derbyshire-child-in-need.json"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("serve") / "data"
    tokens = {
        "worcs": make_token(data, "worcs-test", "worcestershire"),
        "derby": make_token(data, "derby-test", "derbyshire"),
        "readonly": make_token(data, "worcs-validate", "worcestershire", "validate"),
        "revoked": make_token(data, "worcs-old", "worcestershire"),
    }
    subprocess.run([*DOCGEN, "tokens", "revoke", "worcs-old", "--data", str(data)], check=True, capture_output=True)
    make_user(data, "mae.manager", "manager", "worcestershire")  # signs documents off in the web workspace
    running = Server(data, workers=2)
    running.tokens = tokens
    yield running
    running.stop()


def call(server, method, path, token="worcs", **kwargs):
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {server.tokens.get(token, token)}"
    return requests.request(method, server.url + path, headers=headers, timeout=120, **kwargs)


def post_bundle(server, path, bundle: Path | bytes, token="worcs", **params):
    body = bundle.read_bytes() if isinstance(bundle, Path) else bundle
    return call(server, "POST", path, token, data=body, params=params, headers={"Content-Type": "application/json"})


def assert_problem(reply, status, kind):
    assert reply.status_code == status, reply.text
    assert reply.headers["Content-Type"] == "application/problem+json"
    body = reply.json()
    assert body["status"] == status and body["type"] == f"urn:docgen:problem:{kind}"
    return body


# -- access -------------------------------------------------------------------------------------------
def test_health_needs_no_token_and_says_what_is_ready(server):
    reply = requests.get(server.url + "/v1/health", timeout=10)
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok", "libreoffice": "ready", "register": "writable"}


@pytest.mark.parametrize("token", [None, "revoked", "dg_not-a-token"])
@pytest.mark.parametrize("path", ["/v1/openapi.json", "/v1/templates", "/v1/schema", "/v1/cases/WOR-CIN-0001/history"])
def test_every_other_endpoint_needs_a_live_token(server, path, token):
    reply = call(server, "GET", path, token)
    body = assert_problem(reply, 401, "unauthorized")
    assert reply.headers["WWW-Authenticate"] == 'Bearer realm="docgen"'
    assert "Authorization: Bearer TOKEN" in body["detail"]


def test_a_token_without_the_scope_is_refused(server):
    assert post_bundle(server, "/v1/validate", WORCS, token="readonly").status_code == 200
    body = assert_problem(post_bundle(server, "/v1/render", WORCS, token="readonly"), 403, "scope")
    assert body["detail"] == "This token does not have the 'render' scope."


def test_a_bundle_of_another_authority_is_refused(server):
    body = assert_problem(post_bundle(server, "/v1/render", DERBY), 403, "other-authority")
    assert "another authority" in body["detail"]


def test_tokens_are_stored_only_as_hashes_and_listed_without_them(server):
    database = (server.data / "access.sqlite3").read_bytes()
    for token in server.tokens.values():
        assert token.encode() not in database
    listed = subprocess.run([*DOCGEN, "tokens", "list", "--json", "--data", str(server.data)],
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    rows = {row["name"]: row for row in json.loads(listed)}
    assert rows["worcs-old"]["revoked"] and not rows["worcs-test"]["revoked"]
    assert not any(token in listed for token in server.tokens.values())


def test_the_data_folder_and_what_is_in_it_are_private(server):
    assert oct(server.data.stat().st_mode & 0o777) == "0o700"
    for path in server.data.rglob("*"):
        expected = 0o700 if path.is_dir() else 0o600
        assert path.stat().st_mode & 0o777 == expected, path


# -- validate and render ------------------------------------------------------------------------------
def test_validate_gives_the_same_report_as_the_command_line(server):
    bundle = ROOT / "samples" / "invalid" / "misspelt-keys.json"
    reply = post_bundle(server, "/v1/validate", bundle)
    assert reply.status_code == 200
    cli = json.loads(subprocess.run([*DOCGEN, "validate", "--json", str(bundle)], capture_output=True,
                                    text=True, cwd=ROOT).stdout)  # fmt: skip
    assert reply.json()["valid"] is False
    assert reply.json()["problems"] == [{k: v for k, v in row.items() if k != "file"} for row in cli]


def test_render_one_document_for_one_recipient_is_the_docx_itself(server):
    bundle = json.loads(WORCS.read_text())
    bundle["documents_requested"] = ["feedback-sheet"]
    reply = post_bundle(server, "/v1/render", json.dumps(bundle).encode())
    assert reply.status_code == 200, reply.text
    assert reply.headers["Content-Type"] == DOCX_TYPE
    assert reply.headers["Content-Disposition"] == "attachment; filename=WOR-CIN-0001_feedback-sheet.docx"
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(reply.content)).paragraphs)
    assert "Feedback" in text


def test_render_several_gives_a_zip_named_as_the_cli_names_files(server):
    reply = post_bundle(server, "/v1/render", DERBY, token="derby", doc=["outcome-letter"], format="pdf")
    assert reply.status_code == 200, reply.text
    archive = zipfile.ZipFile(io.BytesIO(reply.content))
    assert sorted(archive.namelist()) == [
        "DBY-CIN-0002_outcome-letter_agency-college.pdf",
        "DBY-CIN-0002_outcome-letter_agency-youth.pdf",
        "DBY-CIN-0002_outcome-letter_family-dad.pdf",
    ]
    family = PdfReader(io.BytesIO(archive.read("DBY-CIN-0002_outcome-letter_family-dad.pdf")))
    assert "Dear Mr Notreal" in family.pages[0].extract_text()


@pytest.mark.parametrize("params", [{"doc": ["feedback-sheet", "outcome-letter", "outcome-letter"]}, {}], ids=["asked", "requested"])
def test_render_refuses_documents_a_manager_signs_off(server, params):
    """Worcestershire signs off outcome letters: asked for by name, or by the bundle's
    documents_requested, they come only from a batch, once approved; nothing is made."""
    def renders() -> int:
        with sqlite3.connect(server.data / "register.sqlite3") as db:
            return db.execute("SELECT count(*) FROM accessed WHERE action = 'render'").fetchone()[0]

    before = renders()
    body = assert_problem(post_bundle(server, "/v1/render", WORCS, **params), 409, "sign-off-required")
    assert body["documents"] == ["outcome-letter"]
    assert body["detail"].startswith("outcome-letter must be signed off by a manager before posting")
    assert "POST /v1/batches" in body["detail"]
    assert renders() == before


def test_a_document_asked_for_twice_is_made_once_and_the_repeat_reported(server):
    reply = post_bundle(server, "/v1/render", DERBY, token="derby", doc=["outcome-letter", "outcome-letter"], format="docx")
    assert reply.status_code == 200, reply.text
    assert reply.headers["X-Docgen-Failed"] == "3"
    archive = zipfile.ZipFile(io.BytesIO(reply.content))
    assert sorted(archive.namelist()) == [
        "DBY-CIN-0002_outcome-letter_agency-college.docx",
        "DBY-CIN-0002_outcome-letter_agency-youth.docx",
        "DBY-CIN-0002_outcome-letter_family-dad.docx",
        "failures.json",
    ]
    family = docx.Document(io.BytesIO(archive.read("DBY-CIN-0002_outcome-letter_family-dad.docx")))
    assert any("Dear Mr Notreal" in p.text for p in family.paragraphs)
    failures = json.loads(archive.read("failures.json"))
    assert [f["error"]["message"] for f in failures] == [
        f"Two documents would both be named DBY-CIN-0002_outcome-letter_{who}." for who in ("family-dad", "agency-college", "agency-youth")
    ]


def test_an_invalid_bundle_is_422_with_every_problem_and_its_path(server):
    reply = post_bundle(server, "/v1/render", ROOT / "samples" / "invalid" / "misspelt-keys.json")
    body = assert_problem(reply, 422, "invalid-bundle")
    paths = [p["path"] for p in body["problems"]]
    assert "case.plan_typ" in paths and "children[0].date_of_brith" in paths
    assert body["exit_code"] == 1


def test_an_unknown_document_is_404_and_a_bad_format_400(server):
    assert_problem(post_bundle(server, "/v1/render", WORCS, doc="outcom-letter"), 404, "template-not-found")
    body = assert_problem(post_bundle(server, "/v1/render", WORCS, format="odt"), 400, "bad-query")
    assert body["problems"][0]["path"] == "query.format"


def test_bad_bodies_get_clear_answers(server):
    malformed = assert_problem(post_bundle(server, "/v1/validate", b'{"authority": "worcestershire",\n "case": }'),
                               400, "malformed-json")  # fmt: skip
    assert malformed["detail"] == "Malformed JSON at line 2, column 10: Expecting value."
    wrong_type = call(server, "POST", "/v1/validate", data=WORCS.read_bytes(), headers={"Content-Type": "text/plain"})
    assert_problem(wrong_type, 415, "media-type")
    too_big = post_bundle(server, "/v1/validate", b" " * (5 * 1024 * 1024 + 1))
    assert_problem(too_big, 413, "too-large")


# -- batches ------------------------------------------------------------------------------------------
def wait_for(server, job_id, token="worcs"):
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        job = call(server, "GET", f"/v1/batches/{job_id}", token).json()
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(0.3)
    raise AssertionError("the batch did not finish")


def test_a_batch_runs_reports_and_serves_its_files(server):
    good = json.loads(WORCS.read_text())
    other = json.loads((SAMPLES / "worcestershire-looked-after.json").read_text())
    broken = json.loads(WORCS.read_text())
    broken["case"]["reference"] = "WOR-CIN-0999"
    del broken["children"][0]["date_of_birth"]
    reply = call(server, "POST", "/v1/batches", json=[good, broken, other], params={"doc": ["outcome-letter", "feedback-sheet"]})
    assert reply.status_code == 202, reply.text
    job_id = reply.json()["id"]
    assert reply.headers["Location"] == f"/v1/batches/{job_id}"

    job = wait_for(server, job_id)
    assert (job["state"], job["bundles"], job["bundles_done"], job["failed_bundles"]) == ("finished", 3, 3, 1)
    assert job["exit_code"] == 3 and job["issued"] + job["failed_documents"] == job["documents"]

    failures = call(server, "GET", f"/v1/batches/{job_id}/failures").json()
    broken_rows = [f for f in failures if f["case_reference"] == "WOR-CIN-0999"]
    assert len(broken_rows) == 1 and broken_rows[0]["file"].endswith("bundle-0002.json")
    assert "children[0].date_of_birth" in broken_rows[0]["message"]
    assert len(failures) == 1 + job["failed_documents"]
    manifest = call(server, "GET", f"/v1/batches/{job_id}/manifest").json()
    names = sorted(Path(row["output_path"]).name for row in manifest)
    assert "WOR-CIN-0001_outcome-letter_family-mum.docx" in names
    assert "Placeholder" not in json.dumps(manifest)
    # outcome letters wait for a manager (Worcestershire's approval_required); feedback sheets do not
    assert {row["document"]: row["sign_off"] for row in manifest} == {"outcome-letter": "waiting", "feedback-sheet": "not-needed"}
    mum = "WOR-CIN-0001_outcome-letter_family-mum.docx"
    held = assert_problem(call(server, "GET", f"/v1/batches/{job_id}/files/{mum}"), 409, "awaiting-sign-off")
    assert held["sign_off"] == "waiting"
    assert held["detail"] == (f"{mum} waits for a manager's sign-off; it can be downloaded once a manager "
                              "approves it in the web workspace.")
    sheets = [n for n in names if "_feedback-sheet" in n]
    some = call(server, "GET", f"/v1/batches/{job_id}/zip")
    assert sorted(zipfile.ZipFile(io.BytesIO(some.content)).namelist()) == sheets
    assert some.headers["X-Docgen-Held"] == str(len(names) - len(sheets))

    manager, _ = sign_in(server, "mae.manager")
    letters = [n for n in names if "_outcome-letter" in n]
    for name in letters:  # approve each but one, which is returned
        decision = "returned" if name == letters[0] else "approved"
        decide(server, manager, job_id, names.index(name) + 1, decision, "The review date is missing.")
    one = call(server, "GET", f"/v1/batches/{job_id}/files/{mum}")
    assert one.status_code == 200
    assert one.headers["Content-Disposition"] == f"attachment; filename={mum}"
    assert "Dear Ms Placeholder" in "\n".join(p.text for p in docx.Document(io.BytesIO(one.content)).paragraphs)
    returned = assert_problem(call(server, "GET", f"/v1/batches/{job_id}/files/{letters[0]}"), 409, "awaiting-sign-off")
    assert returned["sign_off"] == "returned" and returned["detail"].startswith(f"{letters[0]} was returned by a manager;")
    manifest = call(server, "GET", f"/v1/batches/{job_id}/manifest").json()
    assert [row["sign_off"] for row in manifest if Path(row["output_path"]).name == letters[0]] == ["returned"]
    everything = call(server, "GET", f"/v1/batches/{job_id}/zip")
    assert sorted(zipfile.ZipFile(io.BytesIO(everything.content)).namelist()) == [n for n in names if n != letters[0]]
    assert everything.headers["X-Docgen-Held"] == "1"

    history = call(server, "GET", "/v1/cases/WOR-CIN-0001/history").json()
    assert {row["document"] for row in history["issued"]} >= {"outcome-letter"}
    actions = {(a["actor"], a["action"]) for a in history["accessed"]}
    assert ("worcs-test", "download") in actions and ("worcs-test", "history") in actions
    cli = subprocess.run([*DOCGEN, "history", "WOR-CIN-0001", "--register", str(server.data / "register.sqlite3")],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "outcome-letter" in cli
    assert "Through the HTTP API:" in cli and "worcs-test" in cli and "download" in cli


def test_a_batch_whose_every_file_waits_for_sign_off_has_no_zip_yet(server):
    reply = call(server, "POST", "/v1/batches", json=[json.loads(WORCS.read_text())], params={"doc": "outcome-letter"})
    job_id = reply.json()["id"]
    assert wait_for(server, job_id)["issued"] == 3
    body = assert_problem(call(server, "GET", f"/v1/batches/{job_id}/zip"), 409, "awaiting-sign-off")
    assert body["detail"] == "Every file of the batch waits for a manager's sign-off (or was returned); see the manifest's sign_off."


def test_another_authority_cannot_see_a_job_or_case_and_cannot_tell_it_exists(server):
    reply = call(server, "POST", "/v1/batches", json=[json.loads(WORCS.read_text())], params={"doc": "feedback-sheet"})
    job_id = reply.json()["id"]
    wait_for(server, job_id)
    for path in (f"/v1/batches/{job_id}", f"/v1/batches/{job_id}/manifest", "/v1/cases/WOR-CIN-0001/history"):
        theirs = assert_problem(call(server, "GET", path, "derby"), 404, "not-found")
        missing = assert_problem(call(server, "GET", path.replace(job_id, "0" * 16).replace("WOR-CIN-0001", "WOR-CIN-4040"),
                                      "derby"), 404, "not-found")  # fmt: skip
        assert theirs == missing
    for path in ("/v1/batches/..%2f..%2faccess", f"/v1/batches/{job_id}/files/..%2f..%2faccess.sqlite3",
                 f"/v1/batches/{job_id}/files/.docgen"):  # fmt: skip
        assert call(server, "GET", path).status_code == 404


def _zip(*members) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            archive.writestr(info, data)
    return buffer.getvalue()


def _link(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (0o120777 << 16)
    return info


@pytest.mark.parametrize(
    ("members", "status", "says"),
    [
        ([("../../escape.json", "{}")], 400, "a path outside the zip"),
        ([("/etc/case.json", "{}")], 400, "a path outside the zip"),
        ([(_link("link.json"), "/etc/passwd")], 400, "is a symbolic link"),
        ([("case.exe", "MZ")], 400, "is not a .json bundle"),
        ([(f"c{n}.json", "{}") for n in range(1001)], 413, "at most 1000"),
        ([("bomb.json", "0" * (6 * 1024 * 1024))], 413, "over 5 MiB"),
        ([(f"b{n}.json", "0" * (5 * 1024 * 1024)) for n in range(41)], 413, "more than 200 MiB"),
    ],
    ids=["dot-dot", "absolute", "symlink", "not-json", "too-many", "big-member", "bomb"],
)
def test_a_hostile_zip_is_refused_and_leaves_nothing(server, members, status, says):
    before = sorted(p.name for p in (server.data / "jobs").iterdir())
    reply = call(server, "POST", "/v1/batches", data=_zip(*members), headers={"Content-Type": "application/zip"})
    assert reply.status_code == status and says in reply.json()["detail"], reply.text
    assert sorted(p.name for p in (server.data / "jobs").iterdir()) == before


def test_a_zip_whose_names_are_not_utf8_is_refused(server):
    raw = bytearray(_zip(("caf\u00e9.json", "{}")))
    raw = raw.replace("caf\u00e9".encode(), b"caf\xe9\xff")
    reply = call(server, "POST", "/v1/batches", data=bytes(raw), headers={"Content-Type": "application/zip"})
    assert reply.status_code == 400


# -- templates and schema -----------------------------------------------------------------------------
def test_templates_are_those_of_the_tokens_authority(server):
    rows = call(server, "GET", "/v1/templates").json()
    by_id = {row["id"]: row for row in rows}
    assert by_id["family-plan"]["origin"] == "worcestershire"
    assert by_id["outcome-letter"]["origin"] == "default"
    fields = call(server, "GET", "/v1/templates/outcome-letter/fields").json()
    assert any(row["path"] == "child.first_name" or row["path"].endswith("first_name") for row in fields)
    assert_problem(call(server, "GET", "/v1/templates/nothing-here/fields"), 404, "not-found")


def test_template_check_reports_what_a_policy_owner_broke(server):
    template = ROOT / "templates" / "default" / "outcome-letter.docx"
    clean = call(server, "POST", "/v1/templates/check", params={"doc": "outcome-letter"},
                 data=template.read_bytes(), headers={"Content-Type": DOCX_TYPE}).json()  # fmt: skip
    assert clean["errors"] == 0 and clean["ok"] is True
    document = docx.Document(template)
    document.add_paragraph("Your child {{ chlid.first_name }} is well.")
    buffer = io.BytesIO()
    document.save(buffer)
    broken = call(server, "POST", "/v1/templates/check", params={"doc": "outcome-letter"},
                  data=buffer.getvalue(), headers={"Content-Type": DOCX_TYPE}).json()  # fmt: skip
    assert broken["ok"] is False
    assert any("chlid" in p["message"] and "child" in (p["message"] + p["fix"]) for p in broken["problems"])
    annotated = docx.Document(io.BytesIO(base64.b64decode(broken["annotated_docx"])))
    assert annotated.part.package  # a readable Word document
    assert_problem(call(server, "POST", "/v1/templates/check", params={"doc": "outcome-letter"}, data=b"PK\x03\x04",
                        headers={"Content-Type": "text/plain"}), 415, "media-type")  # fmt: skip


def test_schema_is_the_published_one(server):
    assert call(server, "GET", "/v1/schema").json() == json.loads((ROOT / "schemas" / "case-bundle.schema.json").read_text())


def test_the_access_log_holds_no_token_and_no_personal_data(server):
    log = server.log.read_text()
    assert '"POST /v1/render"' in log
    for token in server.tokens.values():
        assert token not in log
    assert "Poppy" not in log and "Placeholder" not in log


def test_rate_and_concurrency_limits_answer_429_with_retry_after(tmp_path):
    data = tmp_path / "data"
    token = make_token(data, "tight", "worcestershire")
    limited = Server(data, env={"DOCGEN_API_RATE": "3"})
    try:
        answers = [call_with(limited, token, "/v1/templates") for _ in range(5)]
    finally:
        limited.stop()
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    assert answers[3].status_code == 429 and int(answers[3].headers["Retry-After"]) >= 1
    assert answers[3].headers["Content-Type"] == "application/problem+json"


def call_with(server, token, path):
    return requests.get(server.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=30)


# -- the contract -------------------------------------------------------------------------------------
def test_openapi_is_3_1_and_its_bundle_is_the_published_schema(server):
    spec = call(server, "GET", "/v1/openapi.json").json()
    assert spec["openapi"] == "3.1.0"
    published = json.loads((ROOT / "schemas" / "case-bundle.schema.json").read_text())
    bundle = spec["components"]["schemas"]["CaseBundle"]
    assert set(bundle["properties"]) == set(published["properties"])
    assert spec["paths"]["/v1/health"]["get"]["security"] == []


def test_schemathesis_finds_no_server_error_and_no_response_off_the_schema(server, tmp_path):
    token = server.tokens["worcs"]
    done = subprocess.run(
        [str(Path(DOCGEN[0]).with_name("st")), "run", f"{server.url}/v1/openapi.json",
         "-H", f"Authorization: Bearer {token}",
         "--checks", "not_a_server_error,response_schema_conformance,content_type_conformance",
         "--phases", "examples,coverage,fuzzing", "--max-examples", "15", "--workers", "2",
         # Starting a batch per example, and uploading Word files (no serializer), are tested above.
         "--exclude-path-regex", "^/v1/(batches|templates/check)$",
         "--no-color"],
        capture_output=True, text=True, timeout=900, cwd=tmp_path,  # its .schemathesis/ folder goes there
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:]


def test_the_readmes_python_example_works_against_the_server(server, tmp_path):
    import re
    import sys

    readme = (ROOT / "README.md").read_text("utf-8")
    [code] = [c for c in re.findall(r"```python\n(.*?)\n```", readme, re.DOTALL) if "127.0.0.1:8000" in c]
    (tmp_path / "token.txt").write_text(server.tokens["worcs"] + "\n")
    (tmp_path / "samples" / "valid").mkdir(parents=True)
    (tmp_path / "samples" / "valid" / WORCS.name).write_bytes(WORCS.read_bytes())
    done = subprocess.run([sys.executable, "-c", code.replace("http://127.0.0.1:8000", server.url)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0 and done.stdout == "", done.stderr
    letters = zipfile.ZipFile(tmp_path / "letters.zip")
    assert "WOR-CIN-0001_information-request_agency-hv.docx" in letters.namelist()


def test_health_says_when_a_libreoffice_worker_has_died_and_recovers(tmp_path):
    import os
    import signal

    import psutil

    data = tmp_path / "data"
    token = make_token(data, "health", "derbyshire")
    running = Server(data, workers=1)
    try:
        def offices():
            return sorted((p for p in psutil.Process(running.proc.pid).children(recursive=True)
                           if p.name() == "soffice.bin"), key=lambda p: p.pid)  # fmt: skip

        # Started at boot, in the background: wait until it has settled (the same processes for 2 s).
        deadline, seen, since = time.monotonic() + 120, [], time.monotonic()
        while time.monotonic() < deadline and not (seen and time.monotonic() - since > 2):
            now = [p.pid for p in offices()]
            if now != seen:
                seen, since = now, time.monotonic()
            time.sleep(0.2)
        assert seen, "docgen serve did not start LibreOffice at boot"
        offices = offices()
        os.kill(offices[0].pid, signal.SIGKILL)
        deadline = time.monotonic() + 20  # its launcher notices and exits a moment later
        while time.monotonic() < deadline:
            reply = requests.get(running.url + "/v1/health", timeout=10)
            if reply.status_code != 200:
                break
            time.sleep(0.2)
        assert (reply.status_code, reply.json()["libreoffice"]) == (503, "restarting")
        bundle = DERBY.read_bytes()
        # Three letters: every worker converts one, the one whose LibreOffice died included.
        pdfs = requests.post(running.url + "/v1/render", params={"doc": "outcome-letter", "format": "pdf"},
                             data=bundle, timeout=120,
                             headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})  # fmt: skip
        assert pdfs.status_code == 200 and "X-Docgen-Failed" not in pdfs.headers
        assert len(zipfile.ZipFile(io.BytesIO(pdfs.content)).namelist()) == 3
        assert requests.get(running.url + "/v1/health", timeout=10).json()["libreoffice"] == "ready"
    finally:
        running.stop()


def test_concurrent_renders_all_succeed_and_are_all_recorded(server):
    """Each request opens the register from its own thread; opening it must not drop another
    thread's SQLite locks (it did: 'disk I/O error' for almost half of 400 requests)."""
    from concurrent.futures import ThreadPoolExecutor

    bundle = json.loads(WORCS.read_text())
    bundle["documents_requested"] = ["feedback-sheet"]
    body = json.dumps(bundle).encode()
    # a token of its own: 160 renders with the module's other requests could pass the 600 a
    # minute one token may make, and a 429 is not what this test is about
    token = make_token(server.data, "concurrent-test", "worcestershire")

    def one(_):
        return post_bundle(server, "/v1/render", body, token=token).status_code

    with ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(one, range(160)))
    assert codes == [200] * 160
    history = call(server, "GET", "/v1/cases/WOR-CIN-0001/history").json()
    renders = [a for a in history["accessed"] if a["action"] == "render" and a["document"] == "feedback-sheet"]
    assert len(renders) >= 160
