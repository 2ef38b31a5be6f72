"""Every error docgen raises on purpose, each carrying the exit code a user sees.

The CLI catches :class:`DocgenError` once and exits with ``exit_code``; integrators read the
same fields from ``to_dict()``. Messages name the case reference, file, JSON path or template
location, never a child's name or address.
"""

from __future__ import annotations

from typing import Any, ClassVar

EXIT_OK = 0
EXIT_INVALID = 1  # the bundle (or a template under check) has errors
EXIT_USAGE = 2  # bad arguments or names, or an input file missing, unreadable, not UTF-8, too large
EXIT_PARTIAL = 3  # some documents or records failed; the others were written
EXIT_TEMPLATE = 4  # a template is missing, broken, or asks for a field the bundle lacks
EXIT_CONVERTER = 5  # LibreOffice is missing or could not convert
EXIT_OUTPUT = 6  # the output could not be written (read-only, full, name escapes the folder)
EXIT_PDF_INPUT = 7  # a PDF given to docgen is corrupt, encrypted or not the expected form
EXIT_NOTIFY_KEY = 8  # GOV.UK Notify refused the API key (403): nothing more is sent


class DocgenError(Exception):
    """Raised for any failure docgen reports to a user; the base the CLI catches."""

    exit_code: ClassVar[int] = EXIT_INVALID
    kind: ClassVar[str] = "error"
    # True when the message was built from the template's own text alone, so that redacting
    # the bundle's values from it (docgen.redact) would only garble the quoted expression.
    redacted: bool = False

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        path: str | None = None,
        case_ref: str | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.path = path
        self.case_ref = case_ref
        super().__init__(message)

    def __str__(self) -> str:
        return self.describe()

    def describe(self) -> str:
        where = ": ".join(p for p in (self.source, self.path) if p)
        case = f"[{self.case_ref}] " if self.case_ref else ""
        return f"{case}{where}: {self.message}" if where else f"{case}{self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": self.kind,
            "message": self.message,
            "source": self.source,
            "path": self.path,
            "case_reference": self.case_ref,
            "exit_code": self.exit_code,
        }


class InputError(DocgenError):
    """Raised when an input file is missing, unreadable, not UTF-8 or over the size limit."""

    exit_code = EXIT_USAGE
    kind = "input"


class UnknownName(DocgenError):
    """Raised when a command line names an authority or document that is not registered."""

    exit_code = EXIT_USAGE
    kind = "unknown-name"


class BundleInvalid(DocgenError):
    """Raised when a case bundle fails validation; ``problems`` holds every error found."""

    exit_code = EXIT_INVALID
    kind = "invalid-bundle"

    def __init__(self, message: str, *, problems: list | None = None, **kwargs: Any) -> None:
        self.problems = list(problems or [])
        super().__init__(message, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["problems"] = [p.to_dict() for p in self.problems]
        return data


class TemplateError(DocgenError):
    """Raised when a template is missing, broken, or cannot be rendered from the bundle."""

    exit_code = EXIT_TEMPLATE
    kind = "template"
    near: str = ""  # the template's own text where it failed, when the engine knows it
    placed: bool = False  # the message already says where in the template (docgen.authoring.diagnose)


class TemplateNotFound(TemplateError):
    """Raised when no template is registered for a document id and authority."""

    kind = "template-not-found"


class TemplateFault(TemplateError):
    """Raised when a template's own wording is wrong (a misspelt field, a tag not closed or split
    by a hyperlink), so that it fails whatever bundle fills it; ``wording`` lists each problem
    where ``templates check`` puts it."""

    kind = "template-fault"

    def __init__(self, message: str, *, wording: list | None = None, **kwargs: Any) -> None:
        self.wording = list(wording or [])
        super().__init__(message, **kwargs)


class MissingField(TemplateError):
    """Raised when a template uses a field the case bundle does not have."""

    kind = "missing-field"


class TemplateSecurityError(TemplateError):
    """Raised when a template tries to reach Python internals, or exceeds a time or size limit."""

    kind = "template-security"


class RenderError(DocgenError):
    """Raised when one or more documents of a call failed while the others were written."""

    exit_code = EXIT_PARTIAL
    kind = "partial"


class ConvertError(DocgenError):
    """Raised when LibreOffice is missing, hangs, crashes or cannot convert a document."""

    exit_code = EXIT_CONVERTER
    kind = "convert"


class OutputError(DocgenError):
    """Raised when an output cannot be written safely (read-only, full, escapes its folder)."""

    exit_code = EXIT_OUTPUT
    kind = "output"


class PdfInputError(DocgenError):
    """Raised when a PDF given to docgen is corrupt, encrypted, or not the expected form."""

    exit_code = EXIT_PDF_INPUT
    kind = "pdf-input"


class NotifyError(DocgenError):
    """Raised when GOV.UK Notify does not take a file: ``status_code`` is its HTTP answer (0
    when it could not be reached), ``retryable`` whether trying again later may work."""

    exit_code = EXIT_PARTIAL
    kind = "notify"

    def __init__(self, message: str, *, status_code: int = 0, retryable: bool = False,
                 **kwargs: Any) -> None:  # fmt: skip
        self.status_code = status_code
        self.retryable = retryable
        super().__init__(message, **kwargs)


class NotifyKeyRefused(NotifyError):
    """Raised when GOV.UK Notify refuses the API key (403): a wrong, revoked or mistyped key,
    so every further request would be refused too."""

    exit_code = EXIT_NOTIFY_KEY
    kind = "notify-key"
