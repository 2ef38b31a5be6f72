"""The /v1 endpoints. Each view reads its request, calls the library once and answers."""

from __future__ import annotations

import base64
import io
import json
import tempfile
import zipfile
from pathlib import Path

from flask import Response, g, request, send_file
from flask_smorest import Blueprint

from docgen.authoring.reference import reference
from docgen.bundle.jsonschema import export_schema
from docgen.bundle.load import parse
from docgen.convert import find_soffice
from docgen.exceptions import BundleInvalid, DocgenError
from docgen.output import one_per_name, write_documents, written
from docgen.register import Access, Register, now
from docgen.serve import jobs as batch_jobs
from docgen.serve.app import services
from docgen.serve.candidates import check_candidate
from docgen.serve.jobs import file_parts
from docgen.serve.problems import MEDIA_TYPE, HttpProblem
from docgen.serve.signoff import NOT_NEEDED, RETURNED, released, sign_offs, states
from docgen.serve.schemas import (
    BatchQuery, CaseHistory, CheckQuery, CheckReply, FieldRow, Health, Job, RenderQuery,
    TemplateRow, ValidationReply,
)  # fmt: skip
from docgen.validate import validate

blueprint = Blueprint("api", __name__, url_prefix="/v1", description="docgen's HTTP API")

BUNDLE_BODY = {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CaseBundle"}}}}
PROBLEM = {"description": "A problem (RFC 9457)", "content": {MEDIA_TYPE: {"schema": {"type": "object"}}}}
FILE = {"description": "One file, or a zip of several", "content": {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {"schema": {"type": "string", "format": "binary"}},
    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
    "application/zip": {"schema": {"type": "string", "format": "binary"}}}}  # fmt: skip
ERRORS = {code: PROBLEM for code in (400, 401, 403, 404, 408, 413, 415, 422, 429)}
HELD = {409: {**PROBLEM, "description": "Held for a manager's sign-off (RFC 9457)"}}
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# -- health, schema ---------------------------------------------------------------------------------
@blueprint.route("/health")
@blueprint.doc(security=[])
@blueprint.response(200, Health)
@blueprint.alt_response(503, schema=Health, description="LibreOffice missing or the register not writable")
def health():
    """Whether this process's LibreOffice workers are up and the register can be written (no
    token needed). A worker that died is started again by the next PDF; until then it is
    "restarting"."""
    try:
        find_soffice()
        office = "ready" if services().converters_alive() else "restarting"
    except DocgenError:
        office = "missing"
    try:
        with Register(services().data.register):
            register = "writable"
    except DocgenError:
        register = "not writable"
    status = "ok" if (office, register) == ("ready", "writable") else "unavailable"
    return {"status": status, "libreoffice": office, "register": register}, 200 if status == "ok" else 503


@blueprint.route("/schema")
@blueprint.doc(responses={**ERRORS, 200: {"description": "The case bundle's JSON Schema (2020-12)",
                                             "content": {"application/schema+json": {"schema": {"type": "object"}}}}})  # fmt: skip
def schema():
    """The case bundle's published JSON Schema, as `docgen schema export` writes it."""
    return Response(json.dumps(export_schema(), indent=2), mimetype="application/schema+json")


# -- validate, render -------------------------------------------------------------------------------
@blueprint.route("/validate", methods=["POST"])
@blueprint.doc(requestBody=BUNDLE_BODY, responses=ERRORS)
@blueprint.response(200, ValidationReply)
def validate_bundle():
    """Every problem with a bundle, errors and policy warnings, each with its JSON path."""
    _require("validate")
    raw = _bundle_body()
    report = validate(raw, services().pipeline.registry)
    _own_authority(raw.data)
    return {"valid": report.ok(), "case_reference": report.case_reference,
            "problems": [p.to_dict() for p in report.problems]}  # fmt: skip


@blueprint.route("/render", methods=["POST"])
@blueprint.arguments(RenderQuery(), location="query", as_kwargs=True)
@blueprint.doc(requestBody=BUNDLE_BODY, responses={**ERRORS, **HELD, 200: FILE})
def render(doc, format, pdfa):
    """Fill documents from one bundle: one file when one results, else a zip, named as the CLI
    names them. Default documents: the bundle's documents_requested. A document the authority
    signs off is refused (409 sign-off-required): it is made by a batch, and released there."""
    _require("render")
    raw = _bundle_body()
    _own_authority(raw.data)
    pipeline = services().pipeline
    bundle = validate(raw, pipeline.registry).raise_for_errors()
    _refuse_sign_off_documents(pipeline.document_ids(bundle, list(doc) or None))
    services().access.claim_case(bundle.reference, g.token.authority)
    results = pipeline.render(bundle, list(doc) or None)
    if not any(r.ok for r in results):
        raise results[0].error
    if format == "docx":  # already in memory: nothing to write, nothing to read back
        files = [(f"{r.stem}.docx", r.docx) for r in one_per_name(results, "<response>")]
    else:  # LibreOffice converts files: written to a private scratch folder, read, removed
        with tempfile.TemporaryDirectory(dir=scratch()) as work:
            write_documents(results, Path(work), fmt=format, converter=services().converter(pdfa))
            files = [(path.name, path.read_bytes()) for r in results if r.ok for path in r.outputs.values()]
    if not files:
        raise next(r.error for r in results if not r.ok)
    record_access(g.token.name, "render", [(r.case_reference, r.doc_id, r.recipient.slug if r.recipient else "")
                                           for r in results if r.ok])  # fmt: skip
    failures = [row.to_dict() for row in written([r for r in results if not r.ok])]
    return _files_response(files, failures)


# -- batches ----------------------------------------------------------------------------------------
@blueprint.route("/batches", methods=["POST"])
@blueprint.arguments(BatchQuery(), location="query", as_kwargs=True)
@blueprint.doc(requestBody={"required": True, "content": {
    "application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/CaseBundle"}}},
    "application/zip": {"schema": {"type": "string", "format": "binary"}}}}, responses=ERRORS)  # fmt: skip
@blueprint.response(202, Job)
def create_batch(doc, format):
    """Start a batch over bundles sent as a JSON array or a zip of .json files."""
    _require("batch")
    kind = request.mimetype
    if kind == "application/json":
        upload = batch_jobs.from_json_array(request.get_data())
    elif kind == "application/zip":
        upload = batch_jobs.from_zip(request.get_data())
    else:
        raise HttpProblem(415, "media-type", "Send application/json (an array of bundles) or application/zip.")
    batch_jobs.check_authority(upload, g.token.authority)
    job = services().jobs.create(upload, authority=g.token.authority, actor=g.token.name, fmt=format, doc_ids=list(doc))
    return batch_jobs.public(job), 202, {"Location": f"/v1/batches/{job['id']}"}


@blueprint.route("/batches/<job_id>")
@blueprint.doc(responses=ERRORS)
@blueprint.response(200, Job)
def batch_status(job_id):
    """A batch's state and progress counts."""
    _require("batch")
    return batch_jobs.public(services().jobs.get(job_id, g.token.authority))


@blueprint.route("/batches/<job_id>/manifest")
@blueprint.doc(responses={**ERRORS, 200: {"description": "The run's manifest.json", "content": {"application/json": {"schema": {"type": "array"}}}}})  # fmt: skip
def batch_manifest(job_id):
    """What the batch issued: case, document, recipient id, hashes, never a name; and each
    file's ``sign_off``: not-needed, waiting, approved or returned."""
    _require("batch")
    jobs = services().jobs
    job = jobs.get(job_id, g.token.authority)
    rows = json.loads(jobs.report(job, "manifest.json").read_text(encoding="utf-8"))
    held = states(_sign_offs(job))
    for row in rows:
        row["sign_off"] = held.get(Path(row.get("output_path") or "").name, NOT_NEEDED)
    return Response(json.dumps(rows, indent=1, ensure_ascii=False), mimetype="application/json")


@blueprint.route("/batches/<job_id>/failures")
@blueprint.doc(responses={**ERRORS, 200: {"description": "The run's failures.json", "content": {"application/json": {"schema": {"type": "array"}}}}})  # fmt: skip
def batch_failures(job_id):
    """Each bundle or document that failed, with the reason and exit code."""
    _require("batch")
    jobs = services().jobs
    job = jobs.get(job_id, g.token.authority)
    try:
        return _json_file(jobs.report(job, "failures.json"))
    except HttpProblem:
        if job["state"] == "finished":
            return Response("[]", mimetype="application/json")
        raise


@blueprint.route("/batches/<job_id>/files/<name>")
@blueprint.doc(responses={**ERRORS, **HELD, 200: FILE})
def batch_file(job_id, name):
    """One file the batch wrote, as an attachment; 409 while it waits for a manager's sign-off
    or after it was returned."""
    _require("batch")
    jobs = services().jobs
    job = jobs.get(job_id, g.token.authority)
    path = jobs.file(job, name)
    held = _sign_offs(job)
    state = states(held).get(path.name, NOT_NEEDED)
    if path not in released([path], held):
        why = "was returned by a manager" if state == RETURNED else "waits for a manager's sign-off"
        raise HttpProblem(409, "awaiting-sign-off", f"{path.name} {why}; it can be downloaded once a manager "
                          "approves it in the web workspace.", sign_off=state)  # fmt: skip
    record_access(g.token.name, "download", [file_parts(path.stem)])
    return send_file(path, as_attachment=True, download_name=path.name)


@blueprint.route("/batches/<job_id>/zip")
@blueprint.doc(responses={**ERRORS, **HELD, 200: FILE})
def batch_zip(job_id):
    """Every file the batch wrote that may go out, in one zip: files waiting for a manager's
    sign-off, or returned, are left out and counted in ``X-Docgen-Held``."""
    _require("batch")
    jobs = services().jobs
    job = jobs.get(job_id, g.token.authority)
    written = jobs.files(job)
    if not written:
        raise HttpProblem(404, "not-found", "The batch has written no files yet.")
    files = released(written, _sign_offs(job))
    if not files:
        raise HttpProblem(409, "awaiting-sign-off", "Every file of the batch waits for a manager's sign-off "
                          "(or was returned); see the manifest's sign_off.")  # fmt: skip
    record_access(g.token.name, "download", [file_parts(path.stem) for path in files])
    response = zip_response(files, f"batch-{job_id}.zip")
    if len(files) < len(written):
        response.headers["X-Docgen-Held"] = str(len(written) - len(files))
    return response


# -- cases and templates ----------------------------------------------------------------------------
@blueprint.route("/cases/<reference>/history")
@blueprint.doc(responses=ERRORS)
@blueprint.response(200, CaseHistory)
def case_history(reference):
    """Everything the register holds for a case: documents issued, and API access to them."""
    _require("history")
    if services().access.case_authority(reference) != g.token.authority:
        raise HttpProblem(404, "not-found", "No such case.")
    register = services().register()
    issued = [i.to_dict() for i in register.history(reference)]
    record_access(g.token.name, "history", [(reference, "", "")])
    accessed = [a.to_dict() for a in register.accesses(reference)]
    return {"case_reference": reference, "issued": issued, "accessed": accessed}


@blueprint.route("/templates")
@blueprint.doc(responses=ERRORS)
@blueprint.response(200, TemplateRow(many=True))
def templates():
    """Each document as resolved for this token's authority, with its version."""
    _require("templates")
    resolved = services().pipeline.registry.resolve_all(g.token.authority)
    return [{"id": t.doc_id, "title": t.title, "version": t.version, "origin": t.origin, "sha256": t.sha256}
            for t in resolved]  # fmt: skip


@blueprint.route("/templates/<doc_id>/fields")
@blueprint.doc(responses=ERRORS)
@blueprint.response(200, FieldRow(many=True))
def template_fields(doc_id):
    """Every field the document's template may use, with examples from the fictional samples."""
    _require("templates")
    registry = services().pipeline.registry
    if doc_id not in registry.document_ids():
        raise HttpProblem(404, "not-found", "No such document.")
    from docgen.authoring.check import fields_used

    used = fields_used(registry.resolve(doc_id, g.token.authority).path)
    found = reference(doc_id, authority=g.token.authority, registry=registry, used=used)
    return [dict(section=section, path=r.path, type=r.type, present=r.present, description=r.description,
                 example=r.example, used=r.used) for section, rows in found.sections.items() for r in rows]  # fmt: skip


@blueprint.route("/templates/check", methods=["POST"])
@blueprint.arguments(CheckQuery(), location="query", as_kwargs=True)
@blueprint.doc(requestBody={"required": True, "content": {DOCX_TYPE: {"schema": {"type": "string", "format": "binary"}}}},
               responses=ERRORS)  # fmt: skip
@blueprint.response(200, CheckReply)
def template_check(doc):
    """Check an uploaded Word template as `docgen templates check` does, in place of this
    authority's template for ``doc``; the report and the template annotated with comments."""
    _require("templates")
    if request.mimetype != DOCX_TYPE:
        raise HttpProblem(415, "media-type", f"Send the template as {DOCX_TYPE}.")
    registry = services().pipeline.registry
    if doc not in registry.document_ids():
        raise HttpProblem(404, "not-found", "No such document.")
    checked = check_candidate(registry, doc, g.token.authority, request.get_data(), scratch())
    return {"ok": checked.errors == 0, "errors": checked.errors, "warnings": len(checked.problems) - checked.errors,
            "problems": checked.rows(), "annotated_docx": base64.b64encode(checked.annotated).decode()}  # fmt: skip


# -- helpers ----------------------------------------------------------------------------------------
def _require(scope: str) -> None:
    if scope not in g.token.scopes:
        raise HttpProblem(403, "scope", f"This token does not have the '{scope}' scope.")


def _bundle_body():
    if request.mimetype != "application/json":
        raise HttpProblem(415, "media-type", "Send the case bundle as application/json.")
    try:
        text = request.get_data().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise HttpProblem(400, "malformed-json", f"The body is not UTF-8 (byte {e.start}).") from None
    try:
        return parse(text, "<request>")
    except BundleInvalid as e:
        detail = e.problems[0].message if getattr(e, "problems", None) else e.message
        raise HttpProblem(400, "malformed-json", detail) from None


def _own_authority(data) -> None:
    named = data.get("authority") if isinstance(data, dict) else None
    if isinstance(named, str) and named != g.token.authority:
        raise HttpProblem(403, "other-authority", "The bundle is for another authority than this token's.")


def _sign_offs(job: dict) -> dict:
    required = services().pipeline.registry.profile(g.token.authority).approval_required
    return sign_offs(services().jobs, job, required, services().data.register)


def _refuse_sign_off_documents(doc_ids: list[str]) -> None:
    """Documents the authority's managers sign off are never handed out straight from a render."""
    required = services().pipeline.registry.profile(g.token.authority).approval_required
    held = list(dict.fromkeys(doc_id for doc_id in doc_ids if doc_id in required))
    if held:
        raise HttpProblem(409, "sign-off-required", f"{', '.join(held)} must be signed off by a manager before "
                          "posting, so /v1/render does not make it: start a batch (POST /v1/batches), and "
                          "download it from the batch once a manager has approved it in the web workspace.",
                          documents=held)  # fmt: skip


def record_access(actor: str, action: str, rows: list[tuple[str, str, str]]) -> None:
    """Note in the register who did what to which case's documents (the API and the web)."""
    when = now()
    services().register().record_access([Access(actor, action, case, document, recipient, when)
                                         for case, document, recipient in rows])  # fmt: skip


def scratch() -> Path:
    folder = services().data.root / "tmp"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _files_response(files: list[tuple[str, bytes]], failures: list[dict]) -> Response:
    """One file as itself, or several (with the failures, if any) as a zip."""
    if len(files) == 1 and not failures:
        name, data = files[0]
        kind = "application/pdf" if name.endswith(".pdf") else DOCX_TYPE
        response = send_file(io.BytesIO(data), mimetype=kind, as_attachment=True, download_name=name)
    else:
        response = zip_response(files, "documents.zip", failures)
    if failures:
        response.headers["X-Docgen-Failed"] = str(len(failures))
    return response


def zip_response(files: list[Path] | list[tuple[str, bytes]], name: str, failures: list[dict] | None = None) -> Response:
    """A zip of files on disk, or of (name, content) pairs, with the failures if there are any."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in files:
            if isinstance(item, Path):
                archive.write(item, item.name)
            else:
                archive.writestr(*item)
        if failures:
            archive.writestr("failures.json", json.dumps(failures, indent=2, ensure_ascii=False))
    buffer.seek(0)
    return send_file(buffer, mimetype="application/zip", as_attachment=True, download_name=name)


def _json_file(path: Path) -> Response:
    return Response(path.read_bytes(), mimetype="application/json")
