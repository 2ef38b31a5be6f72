"""A stand-in for GOV.UK Notify's API on the loopback, for tests: the endpoints docgen uses, as
Notify's API documentation defines them (https://docs.notifications.service.gov.uk/rest-api.html).

- Every request must carry ``Authorization: Bearer <JWT>``: HS256, signed with the API key's
  secret, ``iss`` the service id, ``iat`` within 30 seconds of now. Otherwise 403 AuthError.
- ``POST /v2/notifications/letter`` (precompiled): ``reference`` and ``content`` (a base64 PDF)
  required, ``postage`` first, second or economy; 201 ``{id, reference, postage}``.
- ``POST /v2/notifications/email``: ``email_address``, ``template_id``, ``personalisation``
  (``link_to_file``: base64 file, filename, confirm_email_before_download, retention_period).
- ``GET /v2/notifications/<id>`` and ``GET /v2/notifications?reference=&template_type=``.
- Errors in Notify's shape: ``{"status_code": N, "errors": [{"error": ..., "message": ...}]}``.

Tests script faults per reference (``faults[reference] = [429, 500]``: the next sends with that
reference get those answers, then the real one; ``lookup_faults`` the same for look-ups) and can hold a reply (``hold``) after the letter
is accepted, as if the connection died before docgen heard back.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jwt

ERRORS = {
    400: ("BadRequestError", "Bad request"),
    403: ("AuthError", "Invalid token: API key not found"),
    404: ("NoResultFound", "No result found"),
    429: ("RateLimitError", "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"),
    500: ("Exception", "Internal server error"),
}


class NotifyStandIn:
    """Start with ``with NotifyStandIn() as notify:``; ``notify.api_key`` and ``notify.url``."""

    def __init__(self) -> None:
        self.service_id = str(uuid.uuid4())
        self.secret = str(uuid.uuid4())
        self.api_key = f"docgen_test-{self.service_id}-{self.secret}"
        self.notifications: dict[str, dict] = {}  # id -> the notification as Notify keeps it
        self.files: dict[str, object] = {}  # id -> the PDF sent, or the email's link_to_file
        self.requests: list[dict] = []  # method, path, status answered, body
        self.faults: dict[str, list[int]] = {}  # reference -> answers to its next sends
        self.lookup_faults: dict[str, list[int]] = {}  # ... to its next look-ups by reference
        self.hold: set[str] = set()  # references whose accepted reply is never sent
        self.held = threading.Event()
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> NotifyStandIn:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def letters(self, reference: str | None = None) -> list[dict]:
        return [n for n in self.notifications.values()
                if n["type"] == "letter" and reference in (None, n["reference"])]  # fmt: skip

    def set_status(self, notification_id: str, status: str) -> None:
        self.notifications[notification_id]["status"] = status

    # -- the API ----------------------------------------------------------------------------------
    def _handler(self):
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, answer, hold = stand_in._answer(method, self.path, self.headers, raw)
                with stand_in._lock:
                    stand_in.requests.append({"method": method, "path": self.path, "status": status,
                                              "body": json.loads(raw) if raw else None})  # fmt: skip
                if hold:
                    stand_in.held.set()
                    stand_in._release.wait(60)
                    return
                body = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def _answer(self, method: str, path: str, headers, raw: bytes):
        refused = self._check_token(headers.get("Authorization", ""))
        if refused:
            return 403, _error(403, refused), False
        url = urlparse(path)
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return 400, _error(400, "Invalid JSON supplied in POST data"), False
        reference = body.get("reference") if isinstance(body, dict) else None
        faults = self.faults
        if method == "GET":
            reference, faults = parse_qs(url.query).get("reference", [None])[0], self.lookup_faults
        with self._lock:
            queued = faults.get(reference) if reference else None
            if queued:
                code = queued.pop(0)
                return code, _error(code), False
        if method == "POST" and url.path == "/v2/notifications/letter":
            return self._letter(body)
        if method == "POST" and url.path == "/v2/notifications/email":
            return self._email(body)
        if method == "GET" and url.path == "/v2/notifications":
            query = parse_qs(url.query)
            found = [n for n in self.notifications.values()
                     if n["reference"] == query.get("reference", [None])[0]
                     and n["type"] == query.get("template_type", [n["type"]])[0]]  # fmt: skip
            found.sort(key=lambda n: n["created_at"], reverse=True)
            return 200, {"notifications": found, "links": {"current": f"/v2/notifications{path[17:]}"}}, False
        if method == "GET" and url.path.startswith("/v2/notifications/"):
            found = self.notifications.get(url.path.rsplit("/", 1)[1])
            return (200, found, False) if found else (404, _error(404), False)
        return 404, _error(404, "The requested URL was not found on the server."), False

    def _check_token(self, authorization: str) -> str | None:
        scheme, _, token = authorization.partition(" ")
        if scheme != "Bearer" or not token:
            return "Unauthorized: authentication token must be provided"
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return "Invalid token: signature, api token is not valid"
        if header.get("alg") != "HS256":
            return "Invalid token: algorithm used is not HS256"
        if claims.get("iss") != self.service_id:
            return "Invalid token: service not found"
        try:
            jwt.decode(token, key=self.secret, algorithms=["HS256"], options={"verify_iat": False})
        except jwt.PyJWTError:
            return "Invalid token: API key not found"
        if not isinstance(claims.get("iat"), int) or abs(time.time() - claims["iat"]) > 30:
            return "Error: Your system clock must be accurate to within 30 seconds"
        return None

    def _letter(self, body: dict):
        problems = []
        if not isinstance(body.get("reference"), str) or not body["reference"]:
            problems.append("reference is a required property")
        try:
            pdf = base64.b64decode(body.get("content", ""), validate=True)
        except (ValueError, TypeError):
            pdf = b""
        if not pdf.startswith(b"%PDF-"):
            problems.append("Letter content is not a valid PDF")
        postage = body.get("postage", "second")
        if postage not in ("first", "second", "economy"):
            problems.append("postage invalid. It must be first, second or economy.")
        if set(body) - {"reference", "content", "postage"}:
            problems.append("Additional properties are not allowed")
        if problems:
            return 400, {"status_code": 400,
                         "errors": [{"error": "ValidationError", "message": m} for m in problems]}, False  # fmt: skip
        notification = self._keep("letter", body["reference"], postage=postage)
        self.files[notification["id"]] = pdf
        answer = {"id": notification["id"], "reference": body["reference"], "postage": postage}
        return 201, answer, body["reference"] in self.hold

    def _email(self, body: dict):
        upload = (body.get("personalisation") or {}).get("link_to_file") or {}
        problems = []
        for key in ("email_address", "template_id"):
            if not body.get(key):
                problems.append(f"{key} is a required property")
        if not base64.b64decode(upload.get("file", "")).startswith(b"%PDF-"):
            problems.append("link_to_file: file is not a PDF")
        if upload.get("confirm_email_before_download") is not True or not upload.get("retention_period"):
            problems.append("link_to_file: confirm_email_before_download and retention_period expected")
        if problems:
            return 400, {"status_code": 400,
                         "errors": [{"error": "ValidationError", "message": m} for m in problems]}, False  # fmt: skip
        notification = self._keep("email", body.get("reference"), email_address=body["email_address"],
                                  template_id=body["template_id"])  # fmt: skip
        self.files[notification["id"]] = upload
        answer = {"id": notification["id"], "reference": body.get("reference"),
                  "content": {"subject": "Request for information", "body": "Download: https://documents.service.gov.uk/d/x",
                              "from_email": "service@notifications.service.gov.uk"},
                  "uri": f"{self.url}/v2/notifications/{notification['id']}",
                  "template": {"id": body["template_id"], "version": 1,
                               "uri": f"{self.url}/v2/template/{body['template_id']}"}}  # fmt: skip
        return 201, answer, False

    def _keep(self, kind: str, reference: str | None, **extra) -> dict:
        notification = {
            "id": str(uuid.uuid4()), "reference": reference, "type": kind,
            "status": "pending-virus-check" if kind == "letter" else "created",
            "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), **extra,
        }  # fmt: skip
        with self._lock:
            self.notifications[notification["id"]] = notification
        return notification


def _error(code: int, message: str | None = None) -> dict:
    kind, default = ERRORS[code]
    return {"status_code": code, "errors": [{"error": kind, "message": message or default}]}
