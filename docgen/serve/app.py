"""The Flask application: configuration, access control, errors and the OpenAPI document."""

from __future__ import annotations

import logging
import os
import socket
import threading
from pathlib import Path

from flask import Flask, g, render_template, request
from flask_smorest import Api
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import ClientDisconnected, HTTPException

from docgen.authoring.lock import lock_path
from docgen.bundle.jsonschema import export_schema
from docgen.bundle.load import MAX_BUNDLE_BYTES
from docgen.exceptions import DocgenError
from docgen.pipeline import Pipeline
from docgen.register import Register
from docgen.registry import Registry
from docgen.serve.access import AccessStore, Limiter
from docgen.serve.auth import UserStore, init_auth
from docgen.serve.data import DataFolder
from docgen.serve.housekeeping import KEEP_DAYS, Sweeper
from docgen.serve.jobs import Jobs
from docgen.serve.problems import HttpProblem, from_docgen, problem

log = logging.getLogger("docgen.serve")
OPEN_ENDPOINTS = {"api.health"}
UPLOAD_ENDPOINTS = {"api.create_batch", "web.new_batch", "web.rerun"}  # many bundles; each still held to 5 MiB
# The web workspace's pages: scripts, styles, fonts and images from this server only, none inline.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")  # fmt: skip
MAX_BATCH_BYTES = 100 * 1024 * 1024


class Services:
    """What every request shares in one server process: the pipeline, converters, stores."""

    def __init__(self, data: DataFolder, templates: Path | None, converter_jobs: int, keep_days: int = KEEP_DAYS) -> None:
        self.data = data.prepare()
        self.sweeper = Sweeper(self.data.root, keep_days)
        self.templates = templates
        self._pipeline = Pipeline(Registry(templates))
        self._lock_seen = self._lock_stamp()
        self.access = AccessStore(data.access)
        self.users = UserStore(data.access)
        self.limiter = Limiter(
            per_minute=int(os.environ.get("DOCGEN_API_RATE", "600")),
            at_once=int(os.environ.get("DOCGEN_API_CONCURRENCY", "16")),
        )
        self.jobs = Jobs(data.jobs, data.register, templates, on_case=self.access.claim_case)
        self.converter_jobs = converter_jobs
        self._converters: dict[bool, object] = {}
        self._lock = threading.Lock()
        self._registers = threading.local()

    def register(self) -> Register:
        """This thread's connection to the register, opened on its first use and kept: opening
        one (and closing it, which checkpoints the WAL) cost more than the render it records.
        Each row is still committed (WAL, synchronous=NORMAL) before the answer goes out."""
        register = getattr(self._registers, "open", None)
        if register is None:
            register = self._registers.open = Register(self.data.register)
        return register

    @property
    def pipeline(self) -> Pipeline:
        """The pipeline, made again when the version lock changes: a template published in
        any worker process reaches every other one at its next request."""
        stamp = self._lock_stamp()
        if stamp != self._lock_seen:
            with self._lock:
                self._pipeline, self._lock_seen = Pipeline(Registry(self.templates)), stamp
        return self._pipeline

    def _lock_stamp(self) -> int:
        try:
            return lock_path(self._pipeline.registry.root).stat().st_mtime_ns
        except OSError:
            return 0

    def converter(self, pdfa: bool):
        """The warm converter for plain or PDF/A output, started on first use and kept."""
        from docgen.convert import Converter

        with self._lock:
            if pdfa not in self._converters:
                self._converters[pdfa] = Converter(jobs=self.converter_jobs, pdfa=pdfa).__enter__()
            return self._converters[pdfa]

    def converters_alive(self) -> bool:
        """False when a LibreOffice this process started has died (it restarts on next use)."""
        return all(converter.alive() for converter in list(self._converters.values()))

    def warm_up(self) -> None:
        """Start LibreOffice now, in the background, so the first PDF request does not wait."""
        threading.Thread(target=self._warm, name="docgen-warm-up", daemon=True).start()

    def _warm(self) -> None:
        try:
            self.converter(False).warm()
        except DocgenError:
            log.warning("LibreOffice could not be started; PDF requests will fail until it is installed")

    def close(self) -> None:
        for converter in self._converters.values():
            converter.close()
        self.jobs.close()
        self.users.close()
        self.access.close()


def create_app(data: DataFolder | None = None, *, templates: Path | None = None, converter_jobs: int = 1,
               keep_days: int = KEEP_DAYS) -> Flask:  # fmt: skip
    """The API (/v1) and the web workspace over the data folder ``data`` (made 0700 if missing);
    jobs and template checks older than ``keep_days`` are removed (:mod:`docgen.serve.housekeeping`)."""
    app = Flask("docgen.serve")
    app.config.update(
        API_TITLE="docgen",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/v1",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=MAX_BUNDLE_BYTES,
        API_SPEC_OPTIONS={
            "info": {"description": "Fill children's services documents from validated case bundles."},
            "security": [{"bearer": []}],
        },
    )
    app.extensions["docgen"] = Services(data or DataFolder(), templates, converter_jobs, keep_days)
    api = Api(app)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    _add_bundle_schema(api)

    from docgen.serve.views import blueprint
    from docgen.serve.web import blueprint as web
    from docgen.serve import web_templates  # noqa: F401  (adds the policy owners' pages to the web blueprint)

    api.register_blueprint(blueprint)
    app.register_blueprint(web)
    init_auth(app, services_of(app).users, services_of(app).data.root / "web-secret")
    CSRFProtect(app).exempt(blueprint)  # the API takes bearer tokens, never cookies
    _guard(app)
    _errors(app)
    return app


def services() -> Services:
    from flask import current_app

    return services_of(current_app)


def services_of(app: Flask) -> Services:
    return app.extensions["docgen"]


def _add_bundle_schema(api: Api) -> None:
    """The case bundle's JSON Schema, exported from the CLI's marshmallow schema, as components."""
    schema = export_schema()
    definitions = schema.pop("$defs", {})
    for name, definition in definitions.items():
        api.spec.components.schema(name, component=_rebase(definition))
    schema.pop("$schema", None)
    schema.pop("$id", None)
    api.spec.components.schema("CaseBundle", component=_rebase(schema))


def _rebase(node):
    """``#/$defs/X`` references, as they are in the published schema, to OpenAPI's components."""
    if isinstance(node, dict):
        return {k: ("#/components/schemas/" + v.rsplit("/", 1)[1] if k == "$ref" and isinstance(v, str) and v.startswith("#/$defs/") else _rebase(v))
                for k, v in node.items()}  # fmt: skip
    if isinstance(node, list):
        return [_rebase(v) for v in node]
    return node


def _guard(app: Flask) -> None:
    """Every API endpoint but health needs a live bearer token; each token has per-minute and
    at-once limits. The web workspace's pages check their signed-in user (docgen.serve.auth)."""

    @app.before_request
    def authenticate():
        services().sweeper.maybe()  # old jobs and template checks, hourly, in the background
        if request.endpoint in UPLOAD_ENDPOINTS:
            request.max_content_length = MAX_BATCH_BYTES
        if request.endpoint in OPEN_ENDPOINTS or request.blueprint == "web":
            return None
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        token = services().access.verify(value.strip()) if scheme.lower() == "bearer" and value.strip() else None
        if token is None:
            return problem(401, "unauthorized", "Send a live API token as 'Authorization: Bearer TOKEN'.",
                           headers={"WWW-Authenticate": 'Bearer realm="docgen"'})  # fmt: skip
        wait = services().limiter.enter(token.name)
        if wait is not None:
            return problem(429, "rate-limited", f"Too many requests for this token; try again in {wait} s.",
                           headers={"Retry-After": str(wait)})  # fmt: skip
        g.token = token
        return None

    @app.teardown_request
    def release(_error=None):
        token = g.pop("token", None)
        if token is not None:
            services().limiter.leave(token.name)

    @app.after_request
    def no_store(response):
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.blueprint == "web":
            response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
            response.headers["X-Frame-Options"] = "DENY"
            response.headers["Referrer-Policy"] = "same-origin"  # CSRF checks the Referer over TLS
        return response


def _errors(app: Flask) -> None:
    """Problem documents for the API; pages for the web workspace."""

    @app.errorhandler(HttpProblem)
    def http_problem(error: HttpProblem):
        return problem(error.status, error.kind, error.detail, headers=error.headers, **error.extra)

    @app.errorhandler(DocgenError)
    def docgen_error(error: DocgenError):
        if request.blueprint == "web":
            return render_template("error.html", status=400, message=error.message), 400
        return from_docgen(error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if request.blueprint == "web":
            return render_template("error.html", status=error.code), error.code
        messages = getattr(error, "data", {}).get("messages") if hasattr(error, "data") else None
        if error.code == 422 and messages:  # query arguments flask-smorest refused
            rows = [{"path": f"{location}.{name}", "message": " ".join(map(str, text)), "severity": "error"}
                    for location, found in messages.items() for name, text in found.items()]  # fmt: skip
            return problem(400, "bad-query", "The query has values docgen cannot use.", problems=rows)
        if error.code == 413:
            limit = request.max_content_length or MAX_BUNDLE_BYTES
            return problem(413, "too-large", f"The body is over the {limit // (1024 * 1024)} MiB limit.")
        return problem(error.code or 500, "http", error.description or error.name)

    @app.errorhandler(ClientDisconnected)
    def client_gone(error: ClientDisconnected):
        if not isinstance(error.__context__, BlockingIOError):
            return http_error(error)
        # A read of the body outlasted --client-timeout (docgen.serve.worker limits each one).
        # Closing our side of the reading ends the connection once the answer is sent.
        request.environ["gunicorn.socket"].shutdown(socket.SHUT_RD)
        if request.blueprint == "web":
            return render_template("error.html", status=408), 408
        return problem(408, "timeout", "The request's body stopped arriving; send the request again.")

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        if request.blueprint == "web":
            return render_template("error.html", status=500), 500
        return problem(500, "server", "Something went wrong on the server; it has been logged.")


def converter_jobs_for(workers: int) -> int:
    """LibreOffice workers per server process: the cores shared between the processes."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))
