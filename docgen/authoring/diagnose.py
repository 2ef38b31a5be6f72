"""Template errors at render, preview and snapshot time, told the way ``templates check`` tells them.

When a template fails to compile or fill, its wording is checked as ``templates check`` checks it
(:func:`docgen.authoring.check.wording_errors`). Errors found there are the template's fault,
whatever bundle fills it: they replace the engine's message (a Jinja parser's "unexpected end of
template", an XML parser's complaint about a tag split by a hyperlink, "a field this bundle does
not have" for a misspelt field) with the template, the paragraph or table cell and its opening
words, and a did-you-mean. Otherwise the failure is placed at the paragraph the engine was
filling. Each template is checked once per process, however many recipients or samples fail.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

from docgen.authoring.locate import Paragraph, open_document, paragraphs
from docgen.authoring.problems import TemplateProblem
from docgen.exceptions import DocgenError, MissingField, TemplateError, TemplateFault, TemplateSecurityError
from docgen.render.engine import CompiledTemplate
from docgen.render.sanitize import sanitize

_QUOTED = re.compile(r"'([^']+)'")


def explain(error: DocgenError, template: Path, label: str) -> DocgenError:
    """``error`` from compiling or filling ``template``, said as ``templates check`` would say it."""
    if not isinstance(error, TemplateError) or isinstance(error, (TemplateFault, TemplateSecurityError)):
        return error
    if error.placed:  # a compile error, explained once and raised again for each recipient
        return error
    try:
        content = Path(template).read_bytes()
    except OSError:
        return error
    wording, places = _checked(str(template), hashlib.sha256(content).hexdigest())
    if wording:
        fault = TemplateFault(_fault_message(wording), source=label, case_ref=error.case_ref, wording=list(wording))
        fault.__cause__ = error.__cause__
        return fault
    place = _place_of(error, places)
    if place is not None:
        error.message = f"{error.message.rstrip('.')}, in {place.label} (\"{place.short_text()}\")."
        error.args = (error.message,)
        error.source = label
        error.placed = True
    return error


def compile_explained(template: Path, label: str | None = None) -> CompiledTemplate:
    """The compiled template, or its compile error explained (for previews)."""
    label = label or str(template)
    try:
        return CompiledTemplate(template, label=label)
    except DocgenError as e:
        raise explain(e, template, label) from e.__cause__


def _fault_message(wording: tuple[TemplateProblem, ...]) -> str:
    count = f"{len(wording)} error{'s' if len(wording) > 1 else ''}"
    where = "; ".join(f'{p.location} ("{p.text}"): {p.summary}' for p in wording)
    return f"The template has {count} in its wording, whatever bundle fills it: {where}"


@lru_cache(maxsize=64)
def _checked(path: str, sha256: str) -> tuple[tuple[TemplateProblem, ...], tuple[Paragraph, ...]]:
    """The template's wording errors and its paragraphs, once per version of the file."""
    from docgen.authoring.check import wording_errors  # check imports samples, which explain their failures here

    try:
        found = tuple(paragraphs(open_document(sanitize(Path(path).read_bytes(), path))))
        return tuple(wording_errors(Path(path))), found
    except (TemplateError, OSError):
        return (), ()


def _place_of(error: TemplateError, places: tuple[Paragraph, ...]) -> Paragraph | None:
    """The paragraph the engine was filling (its text is on the failing line of the template's
    source), else, for a missing field, the first paragraph whose tags name it."""
    near = " ".join(error.near.split())
    if near:
        matching = [p for p in places if p.text.strip() and " ".join(p.text.split()) in near]
        if matching:
            return max(matching, key=lambda p: len(p.text.strip()))
    if isinstance(error, MissingField):
        named = _QUOTED.search(error.message)
        if named:
            word = re.compile(rf"(?<!\w){re.escape(named.group(1))}(?!\w)")
            return next((p for p in places if "{" in p.text and word.search(p.text)), None)
    return None

