"""The case bundle as JSON Schema (draft 2020-12), exported from the marshmallow source.

Integrators in other languages validate bundles with ``schemas/case-bundle.schema.json``.
It holds every structural rule; the checks JSON Schema cannot express are listed in its
``description`` and made by ``docgen validate``.
"""

from __future__ import annotations

import json

from marshmallow import Schema, fields, validate

from docgen.bundle.schema import SCHEMA_VERSION, BundleSchema

SCHEMA_ID = "https://docgen.example.org.uk/schemas/case-bundle.schema.json"

_DATE = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"

SEMANTIC_CHECKS = [
    "ids are unique across children, family_members and professionals",
    "every id reference (lead_professional, manager, chair, who, person, ...) names someone in the bundle",
    "meeting ids are unique, and family_meeting.meeting and meeting_notes.meeting name one of them",
    "an NHS number's modulus-11 check digit is right",
    "a child has either a UPN or upn_unknown_reason, not both",
    "an assessment is completed on or after it started, and consent names who gave it",
    "withheld paths point at values in the bundle",
    "a withheld path names a value documents print (a person or their details, free text, an "
    "address, a date), not an id, code, flag or whole section; a person's own details are not "
    "withheld from them by name; a withheld value is not left showing elsewhere in the bundle",
    "the authority and the documents requested are registered",
]


def export_schema() -> dict:
    root = BundleSchema()
    definitions: dict[str, dict] = {}
    body = _object(root, definitions)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"docgen case bundle, schema version {SCHEMA_VERSION}",
        "description": (
            "One case at one moment for one authority. Generated from docgen's marshmallow "
            "schema by `docgen schema export`; do not edit. Also checked by `docgen validate`, "
            "not expressible here: " + "; ".join(SEMANTIC_CHECKS) + "."
        ),
        **body,
        "$defs": dict(sorted(definitions.items())),
    }


def export_text() -> str:
    return json.dumps(export_schema(), indent=2, ensure_ascii=False) + "\n"


def _object(schema: Schema, definitions: dict) -> dict:
    properties = {}
    required = []
    for name, field in schema.fields.items():
        properties[name] = _field(field, definitions)
        if field.required:
            required.append(name)
    out: dict = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        out["required"] = required
    return out


def _ref(schema: Schema, definitions: dict) -> dict:
    name = type(schema).__name__.removesuffix("Schema")
    if name not in definitions:
        definitions[name] = {}  # placeholder against recursion
        definitions[name] = _object(schema, definitions)
    return {"$ref": f"#/$defs/{name}"}


def _field(field: fields.Field, definitions: dict) -> dict:
    if isinstance(field, fields.Nested):
        out = _ref(field.schema, definitions)
    elif isinstance(field, fields.List):
        out = {"type": "array", "items": _field(field.inner, definitions)}
    elif isinstance(field, fields.Email):
        out = {"type": "string", "format": "email"}
    elif isinstance(field, fields.DateTime):
        # Bundles give local times without seconds ("2026-11-22T10:30"), which JSON Schema's
        # "date-time" format (RFC 3339) refuses; a pattern carries the rule instead.
        out = {"type": "string", "pattern": _DATE + r"T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"}
    elif isinstance(field, fields.Date):
        out = {"type": "string", "format": "date", "pattern": _DATE + "$"}
    elif isinstance(field, fields.Boolean):
        out = {"type": "boolean"}
    elif isinstance(field, fields.Integer):
        out = {"type": "integer"}
    elif isinstance(field, fields.String):
        out = {"type": "string"}
    else:  # pragma: no cover - a new field type must be mapped before it is used
        raise TypeError(f"no JSON Schema mapping for {type(field).__name__}")
    for rule in field.validators:
        out.update(_rule(rule, out))
    if field.allow_none:
        out = {"anyOf": [out, {"type": "null"}]}
    return out


def _rule(rule, current: dict) -> dict:
    is_array = current.get("type") == "array"
    if isinstance(rule, validate.Length):
        lo, hi = ("minItems", "maxItems") if is_array else ("minLength", "maxLength")
        bounds = {}
        if rule.equal is not None:
            bounds = {lo: rule.equal, hi: rule.equal}
        if rule.min is not None:
            bounds[lo] = rule.min
        if rule.max is not None:
            bounds[hi] = rule.max
        return bounds
    if isinstance(rule, validate.Regexp):
        return {"pattern": rule.regex.pattern}
    if isinstance(rule, validate.OneOf):
        return {"enum": list(rule.choices)}
    if isinstance(rule, validate.Email):
        return {}  # carried by "format": "email"
    if isinstance(rule, validate.Range):
        return {k: v for k, v in (("minimum", rule.min), ("maximum", rule.max)) if v is not None}
    raise TypeError(f"no JSON Schema mapping for validator {type(rule).__name__}")
