"""Errors as RFC 9457 problem documents (``application/problem+json``).

Each docgen error family keeps its name as the problem's type, and its CLI exit code rides
along as ``exit_code``, so an integrator handles the HTTP API and the command line alike. An
invalid bundle is 422 with every problem and its JSON path, as ``docgen validate --json``.
"""

from __future__ import annotations

from flask import Response, json

from docgen.exceptions import DocgenError

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:docgen:problem:"

# HTTP status per docgen error kind (see docgen.exceptions); the CLI's exit code goes alongside.
STATUS = {
    "input": 400,
    "invalid-bundle": 422,
    "partial": 422,
    "template": 500,
    "template-not-found": 404,
    "missing-field": 422,
    "template-security": 500,
    "convert": 503,
    "output": 500,
    "pdf-input": 422,
}
TITLES = {
    400: "Bad request", 401: "Not signed in", 403: "Not allowed", 404: "Not found",
    405: "Method not allowed", 408: "Request timeout", 413: "Too large", 415: "Unsupported media type",
    422: "Unprocessable content", 429: "Too many requests", 500: "Server error",
    503: "Unavailable",
}  # fmt: skip


class HttpProblem(Exception):
    """A problem raised by a view: status, a type name and a message a person can act on."""

    def __init__(self, status: int, kind: str, detail: str, *, headers: dict | None = None, **extra) -> None:
        super().__init__(detail)
        self.status, self.kind, self.detail = status, kind, detail
        self.headers = headers or {}
        self.extra = extra


def problem(status: int, kind: str, detail: str, *, headers: dict | None = None, **extra) -> Response:
    body = {"type": TYPE_PREFIX + kind, "title": TITLES.get(status, "Error"), "status": status, "detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=MEDIA_TYPE)
    response.headers.update(headers or {})
    return response


def from_docgen(error: DocgenError) -> Response:
    """The problem document for a DocgenError (never with a value from the bundle)."""
    status = STATUS.get(error.kind, 500)
    problems = [p.to_dict() for p in getattr(error, "problems", [])] or None
    return problem(
        status, error.kind, error.message, exit_code=error.exit_code, path=error.path,
        case_reference=error.case_ref, problems=problems,
    )  # fmt: skip
