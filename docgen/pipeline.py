"""docgen's public API: bundle → validate → resolve template → render → write, for Python callers.

    from docgen.pipeline import Pipeline
    pipeline = Pipeline()
    bundle = pipeline.load("samples/valid/worcestershire-child-in-need.json")
    for document in pipeline.render(bundle, ["outcome-letter"]):   # DOCX bytes in memory
        print(document.stem, document.error or len(document.docx))
    for file in pipeline.write(bundle, "out/", ["outcome-letter"], fmt="both"):  # files
        print(file.document, file.recipient, file.path, file.sha256, file.error)

Writing files (atomically, into a folder) is :mod:`docgen.output`; converting to PDF is
:mod:`docgen.convert`; batches and the register of issued documents build on this.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from docgen.bundle import Bundle
from docgen.bundle.load import load as load_raw
from docgen.bundle.paths import resolve_path
from docgen.exceptions import DocgenError, MissingField
from docgen.output import Written, write_with_converter, written
from docgen.registry import Registry, TemplateInfo
from docgen.render.context import Recipient, build_context
from docgen.render.engine import CompiledTemplate, Provenance, time_budget
from docgen.render.recipients import recipients_for
from docgen.validate import ValidationReport, validate

log = logging.getLogger("docgen")


@dataclass
class Rendered:
    """One document for one recipient: its DOCX bytes, or the error that stopped it."""

    case_reference: str
    template: TemplateInfo
    recipient: Recipient | None
    author: str = ""  # the authority's name, for document metadata
    docx: bytes | None = None
    error: DocgenError | None = None
    outputs: dict[str, Path] = field(default_factory=dict)  # format -> written path

    @property
    def doc_id(self) -> str:
        return self.template.doc_id

    @property
    def stem(self) -> str:
        """A stable file name without extension: case reference, document, recipient."""
        parts = [self.case_reference, self.doc_id]
        if self.recipient:
            parts.append(self.recipient.slug)
        return "_".join(parts)

    @property
    def ok(self) -> bool:
        return self.error is None


class Pipeline:
    """Loads, validates and renders bundles, keeping compiled templates for reuse."""

    def __init__(self, registry: Registry | None = None, *, today: date | None = None) -> None:
        self.registry = registry or Registry()
        self.today = today
        self._compiled: dict[tuple[Path, str], CompiledTemplate] = {}

    # -- bundle and validate --------------------------------------------------------------------
    def check(self, source: str | Path, *, stdin=None) -> ValidationReport:
        """Every problem with one bundle file (``-`` for standard input), without raising."""
        return validate(load_raw(source, stdin=stdin), self.registry, self.today)

    def load(self, source: str | Path, *, stdin=None, strict: bool = False) -> Bundle:
        """A valid bundle, or BundleInvalid listing every error."""
        bundle = self.check(source, stdin=stdin).raise_for_errors(strict)
        log.debug("[%s] bundle valid (%s)", bundle.reference, bundle.source)
        return bundle

    # -- write ------------------------------------------------------------------------------------
    def write(
        self, bundle: Bundle, out_dir: str | Path, doc_ids: list[str] | None = None, *,
        fmt: str = "docx", pdfa: bool = False, password: str | None = None,
    ) -> list[Written]:
        """Render and write the documents into ``out_dir`` (DOCX, PDF or both): each file
        written with its SHA-256, and each document that failed with its error."""
        results = self.render(bundle, doc_ids)
        write_with_converter(results, Path(out_dir), fmt=fmt, pdfa=pdfa, password=password)
        return written(results)

    # -- resolve and render ---------------------------------------------------------------------
    def document_ids(self, bundle: Bundle, doc_ids: list[str] | None) -> list[str]:
        """The documents asked for; else the bundle's ``documents_requested``; else all."""
        return list(doc_ids or bundle.data.get("documents_requested") or self.registry.document_ids())

    def missing_requirements(self, bundle: Bundle, template: TemplateInfo) -> list[str]:
        """The fields the template's metadata requires that the bundle lacks (or leaves empty)."""
        missing = []
        for path in template.requires:
            try:
                value = resolve_path(bundle.data, path)
            except LookupError:
                value = None
            if value in (None, [], {}, ""):
                missing.append(path)
        return missing

    def fillable(self, bundle: Bundle) -> tuple[list[str], dict[str, list[str]]]:
        """Documents this bundle has everything for, and the others with what they lack."""
        ready, lacking = [], {}
        for doc_id in self.registry.document_ids():
            missing = self.missing_requirements(bundle, self.registry.resolve(doc_id, bundle.authority))
            if missing:
                lacking[doc_id] = missing
            else:
                ready.append(doc_id)
        return ready, lacking

    def render(self, bundle: Bundle, doc_ids: list[str] | None = None) -> list[Rendered]:
        """Every requested document for every recipient; a failure costs only its own document."""
        profile = self.registry.profile(bundle.authority)
        results: list[Rendered] = []
        for doc_id in self.document_ids(bundle, doc_ids):
            try:
                template = self.registry.resolve(doc_id, bundle.authority)
            except DocgenError as e:
                e.case_ref = bundle.reference
                results.append(Rendered(bundle.reference, _unresolved(doc_id), None, error=e))
                continue
            log.debug("[%s] %s resolved to %s v%s", bundle.reference, doc_id, template.origin, template.version)
            missing = self.missing_requirements(bundle, template)
            if missing:
                error = MissingField(
                    f"The document needs {', '.join(repr(m) for m in missing)}, which this case "
                    "bundle does not have.",
                    source=_label(template, self.registry),
                    case_ref=bundle.reference,
                )
                results.append(Rendered(bundle.reference, template, None, author=profile.name, error=error))
                continue
            with time_budget():  # one limit for the document, not one per recipient's copy
                for recipient in recipients_for(template, bundle):
                    results.append(self._render_one(bundle, profile, template, recipient))
        return results

    def _render_one(self, bundle, profile, template: TemplateInfo, recipient) -> Rendered:
        result = Rendered(bundle.reference, template, recipient, author=profile.name)
        try:
            compiled = self.compiled(template)
            context = build_context(bundle, profile, template, recipient, today=self.today)
            result.docx = compiled.render(context, self.provenance(bundle, template, profile))
            log.debug("[%s] rendered %s", bundle.reference, result.stem)
        except DocgenError as e:
            e.case_ref = bundle.reference
            result.error = e
            log.debug("[%s] %s failed: %s", bundle.reference, result.stem, e.message)
        return result

    def provenance(self, bundle: Bundle, template: TemplateInfo, profile) -> Provenance:
        return Provenance(
            document_id=template.doc_id,
            title=template.title,
            template_version=template.version,
            template_sha256=template.sha256,
            case_reference=bundle.reference,
            author=profile.name,
            generated=datetime.now(timezone.utc),
        )

    def compiled(self, template: TemplateInfo) -> CompiledTemplate:
        key = (template.path, template.sha256)
        if key not in self._compiled:
            self._compiled[key] = CompiledTemplate(template.path, label=_label(template, self.registry))
        return self._compiled[key]


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _label(template: TemplateInfo, registry: Registry) -> str:
    try:
        return str(template.path.relative_to(registry.root.parent))
    except ValueError:
        return str(template.path)


def _unresolved(doc_id: str) -> TemplateInfo:
    """A stand-in so a document that could not be resolved still appears in the results."""
    return TemplateInfo(doc_id, doc_id, "", Path(), Path(), "", "", "none", "all", False, False, ())
