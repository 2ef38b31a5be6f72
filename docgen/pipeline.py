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

import copy
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
from docgen.register import Issue, Register, new_run_id, now
from docgen.registry import Registry, TemplateInfo
from docgen.registry.profiles import PROFILE_FILE
from docgen.view.context import CaseView, Recipient
from docgen.render.engine import CompiledTemplate, Provenance, time_budget
from docgen.view.recipients import recipients_for
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
    replaced: list[Path] = field(default_factory=list)  # files already there that writing replaced

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
        self._compiled: dict[tuple[Path, str], CompiledTemplate | DocgenError] = {}
        self._profile_hashes: dict[str, str] = {}

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

    # -- record -----------------------------------------------------------------------------------
    def record(
        self, bundle: Bundle, results: list[Rendered], register: str | Path, *, out_dir: str,
        password: str | None = None, to_stdout: bool = False,
    ) -> str:
        """Record every file written for ``results`` in the register, as one run; return its id.

        The rows are those a batch writes (see :mod:`docgen.register`), so ``docgen history``
        lists both and a batch skips what was issued here. Files sent to standard output are
        recorded with the path ``-``. ``password`` opens encrypted PDFs to count their pages.
        """
        run_id = new_run_id()
        issues = [
            self._issue(run_id, bundle, result, fmt, path, password, to_stdout)
            for result in results if result.ok for fmt, path in result.outputs.items()
        ]  # fmt: skip
        formats = ",".join(sorted({issue.format for issue in issues}))
        with Register(Path(register)) as reg:
            reg.record_run(run_id, issues, input=bundle.source, out_dir=out_dir, formats=formats,
                           failed=sum(1 for r in results if not r.ok))  # fmt: skip
        log.debug("[%s] recorded %d files as run %s", bundle.reference, len(issues), run_id)
        return run_id

    def _issue(self, run_id, bundle, result: Rendered, fmt, path: Path, password, to_stdout) -> Issue:
        content = path.read_bytes()
        pdf = result.outputs.get("pdf")
        if pdf:
            from pypdf import PdfReader  # here: reading PDFs is for recording them, not every start

            pages = len(PdfReader(pdf, password=password).pages)
        else:
            pages = None
        template = result.template
        return Issue(
            run_id=run_id,
            case_reference=bundle.reference,
            document=result.doc_id,
            recipient=result.recipient.slug if result.recipient else "",
            format=fmt,
            template=f"{template.origin}/{template.doc_id}",
            template_version=template.version,
            template_sha256=template.sha256,
            profile_sha256=self.profile_sha256(bundle.authority),
            bundle_sha256=bundle.sha256,
            output_path="-" if to_stdout else str(path),
            output_sha256=sha256(content),
            pages=pages,
            issued_at=now(),
        )

    def profile_sha256(self, authority: str) -> str:
        """The hash of the authority's profile and logo: what its documents were filled with."""
        if authority not in self._profile_hashes:
            digest = hashlib.sha256((self.registry.root / authority / PROFILE_FILE).read_bytes())
            logo = self.registry.profile(authority).logo
            if logo:
                digest.update(logo.png)  # a new logo is a new letter head
            self._profile_hashes[authority] = digest.hexdigest()
        return self._profile_hashes[authority]

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
        view = CaseView(bundle, profile, today=self.today)  # built once per audience, for every document
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
            provenance = self.provenance(bundle, template, profile)  # one document, however many copies
            with time_budget():  # one limit for the document, not one per recipient's copy
                for recipient in recipients_for(template, bundle):
                    results.append(self._render_one(view, template, recipient, provenance))
        return results

    def _render_one(self, view: CaseView, template: TemplateInfo, recipient, provenance: Provenance) -> Rendered:
        bundle, profile = view.bundle, view.profile
        result = Rendered(bundle.reference, template, recipient, author=profile.name)
        try:
            compiled = self.compiled(template)
            context = view.context(template, recipient)
            result.docx = compiled.render(context, provenance)
            log.debug("[%s] rendered %s", bundle.reference, result.stem)
        except DocgenError as e:
            e.case_ref = bundle.reference
            result.error = _explain(e, template.path, _label(template, self.registry))
            log.debug("[%s] %s failed: %s", bundle.reference, result.stem, result.error.message)
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
            label = _label(template, self.registry)
            try:
                self._compiled[key] = CompiledTemplate(template.path, label=label)
            except DocgenError as e:  # explained once, then raised again for each recipient
                self._compiled[key] = _explain(e, template.path, label)
        compiled = self._compiled[key]
        if isinstance(compiled, DocgenError):
            raise copy.copy(compiled)
        return compiled


def _explain(error: DocgenError, template: Path, label: str) -> DocgenError:
    # Imported here: the template diagnosis is needed only when a document fails, and its
    # import is a tenth of a second of every command's start.
    from docgen.authoring.diagnose import explain

    return explain(error, template, label)


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
