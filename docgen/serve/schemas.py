"""The API's request and response shapes, as marshmallow schemas (flask-smorest turns them into
the OpenAPI document). The case bundle itself is the CLI's own schema, exported once
(:func:`docgen.bundle.jsonschema.export_schema`); nothing here restates it.

Views take query schemas as instances (``RenderQuery()``): given a class, webargs makes a new
schema for every request. They keep no state between loads; the OpenAPI document is the same."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from docgen.output import FORMATS


class RenderQuery(Schema):
    doc = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=list,
                      metadata={"description": "Document id; repeat for several. Default: the bundle's documents_requested."})  # fmt: skip
    format = fields.String(load_default="docx", validate=validate.OneOf(FORMATS))
    pdfa = fields.Boolean(load_default=False, metadata={"description": "PDF/A-2b for the case record."})


class BatchQuery(Schema):
    doc = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=list)
    format = fields.String(load_default="docx", validate=validate.OneOf(FORMATS))


class CheckQuery(Schema):
    doc = fields.String(required=True, validate=validate.Length(min=1, max=64),
                        metadata={"description": "The document the uploaded template is for."})  # fmt: skip


class ProblemRow(Schema):
    file = fields.String()
    path = fields.String(required=True)
    message = fields.String(required=True)
    severity = fields.String(required=True, validate=validate.OneOf(["error", "warning"]))


class ValidationReply(Schema):
    valid = fields.Boolean(required=True)
    case_reference = fields.String(allow_none=True)
    problems = fields.List(fields.Nested(ProblemRow), required=True)


class Health(Schema):
    status = fields.String(required=True)
    libreoffice = fields.String(required=True)
    register = fields.String(required=True)


class Job(Schema):
    id = fields.String(required=True)
    authority = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(["queued", "running", "finished", "failed", "interrupted"]))
    format = fields.String(required=True)
    documents_asked = fields.List(fields.String(), required=True)
    created = fields.String(required=True)
    finished = fields.String(allow_none=True)
    bundles = fields.Integer(required=True)
    bundles_done = fields.Integer(required=True)
    documents = fields.Integer(required=True)
    issued = fields.Integer(required=True)
    skipped = fields.Integer(required=True)
    failed_documents = fields.Integer(required=True)
    failed_bundles = fields.Integer(required=True)
    exit_code = fields.Integer(allow_none=True)
    run_id = fields.String(allow_none=True)
    error = fields.String()


class HistoryRow(Schema):
    issued_at = fields.String(required=True)
    document = fields.String(required=True)
    recipient = fields.String(required=True)
    format = fields.String(required=True)
    template = fields.String(required=True)
    template_version = fields.String(required=True)
    output_sha256 = fields.String(required=True)
    pages = fields.Integer(allow_none=True)
    run_id = fields.String(required=True)


class AccessRow(Schema):
    accessed_at = fields.String(required=True)
    actor = fields.String(required=True)
    action = fields.String(required=True)
    document = fields.String(required=True)
    recipient = fields.String(required=True)


class CaseHistory(Schema):
    case_reference = fields.String(required=True)
    issued = fields.List(fields.Nested(HistoryRow), required=True)
    accessed = fields.List(fields.Nested(AccessRow), required=True)


class TemplateRow(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    version = fields.String(required=True)
    origin = fields.String(required=True)
    sha256 = fields.String(required=True)


class FieldRow(Schema):
    section = fields.String(required=True)
    path = fields.String(required=True)
    type = fields.String(required=True)
    present = fields.String(required=True, metadata={"description": "yes, required or maybe"})
    description = fields.String(required=True)
    example = fields.String(required=True, metadata={"description": "From the fictional samples."})
    used = fields.Boolean(required=True)


class TemplateProblemRow(Schema):
    severity = fields.String(required=True)
    where = fields.String(required=True)
    message = fields.String(required=True)
    fix = fields.String(required=True)


class CheckReply(Schema):
    ok = fields.Boolean(required=True)
    errors = fields.Integer(required=True)
    warnings = fields.Integer(required=True)
    problems = fields.List(fields.Nested(TemplateProblemRow), required=True)
    annotated_docx = fields.String(required=True, metadata={"description": "The template with each problem as a Word comment, base64."})
