"""The validate stage: schema errors, reference errors and policy warnings, all at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from marshmallow import ValidationError

from docgen.bundle import Bundle
from docgen.bundle.load import RawBundle, content_sha256
from docgen.bundle.schema import CASE_REFERENCE, BundleSchema
from docgen.exceptions import BundleInvalid, TemplateNotFound
from docgen.registry import Registry
from docgen.validate.authority import check_against_profile
from docgen.validate.policy import check_policy
from docgen.validate.records_policy import check_records
from docgen.problems import ERROR, WARNING, Problem, from_marshmallow
from docgen.validate.consistency import check_consistency
from docgen.validate.envelope import check_addresses
from docgen.validate.plan_content import check_plan_content
from docgen.validate.timescales import check_timescales
from docgen.validate.withholding import check_withholding

__all__ = ["ValidationReport", "validate", "Problem", "ERROR", "WARNING"]

# One schema for every bundle: it keeps no state between loads, and making one builds (and
# copies) every nested schema again, a third of the time validation took.
_SCHEMA = BundleSchema()


@dataclass
class ValidationReport:
    source: str
    problems: list[Problem] = field(default_factory=list)
    bundle: Bundle | None = None
    case_reference: str | None = None  # when the bundle gives a well-formed one, valid or not

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    def ok(self, strict: bool = False) -> bool:
        return not self.errors and not (strict and self.warnings)

    def raise_for_errors(self, strict: bool = False) -> Bundle:
        """The valid bundle, or BundleInvalid listing every error (and warning when strict)."""
        if self.ok(strict):
            assert self.bundle is not None
            return self.bundle
        failing = self.problems if strict else self.errors
        count = len(failing)
        raise BundleInvalid(
            f"The bundle has {count} problem{'s' if count != 1 else ''}.",
            source=self.source,
            case_ref=self.case_reference,
            problems=failing,
        )


def validate(raw: RawBundle, registry: Registry, today: date | None = None) -> ValidationReport:
    """Check a parsed bundle against the schema, its own references and the authority's policy."""
    report = ValidationReport(raw.source, case_reference=_case_reference(raw.data))
    schema = _SCHEMA
    if not isinstance(raw.data, dict):
        report.problems.append(Problem("", "Expected a JSON object at the top of the bundle."))
        return report
    try:
        data = schema.load(raw.data)
    except ValidationError as e:
        report.problems.extend(from_marshmallow(e.messages, schema))
        return report
    report.problems.extend(check_consistency(data))
    if not report.errors:  # withheld paths exist and name people in the bundle
        report.problems.extend(check_withholding(data))
    profile = None
    try:
        profile = registry.profile(data["authority"])
    except TemplateNotFound as e:
        report.problems.append(Problem("authority", e.message))
    known = registry.document_ids()
    for i, doc_id in enumerate(data.get("documents_requested", [])):
        if doc_id not in known:
            report.problems.append(
                Problem(f"documents_requested[{i}]", f"No document has the id '{doc_id}'.")
            )
    if profile is not None:
        report.problems.extend(check_against_profile(data, profile))
    if report.errors:
        return report
    report.problems.extend(check_policy(data, profile, today or date.today()))
    report.problems.extend(check_records(data, today or date.today()))
    report.problems.extend(check_plan_content(data))
    report.problems.extend(check_timescales(data, profile, today or date.today()))
    report.problems.extend(check_addresses(data))
    report.bundle = Bundle(source=raw.source, data=data, sha256=content_sha256(raw.data))
    return report


def _case_reference(data: object) -> str | None:
    """The case reference of even an invalid bundle, so errors can name the case."""
    case = data.get("case") if isinstance(data, dict) else None
    reference = case.get("reference") if isinstance(case, dict) else None
    if isinstance(reference, str) and CASE_REFERENCE.fullmatch(reference):
        return reference
    return None
