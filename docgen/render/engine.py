"""The render stage: a Word template compiled once, filled many times.

docxtpl's own ``render`` re-reads the template, re-patches its XML, recompiles Jinja and
re-serialises every part on each call. Here a template is read and compiled once per process;
each render fills the compiled parts and copies every other part's bytes as they are. The text
is docxtpl's: its ``patch_xml`` prepares the source and its ``resolve_listing`` treats tabs and
newlines. Templates using features that need docxtpl's object model (RichText, table-column
loops and merges, images, sub-documents) are handed to docxtpl whole.
"""

from __future__ import annotations

import io
import re
import traceback
import warnings
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import CodeType
from xml.sax.saxutils import escape

from docxtpl import DocxTemplate
from jinja2 import Template, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.exceptions import TemplateError as JinjaError

from docgen import __version__
from docgen.exceptions import DocgenError, MissingField, TemplateError, TemplateSecurityError
from docgen.redact import personal_data_allowed, redact, scrub_error, values_in
from docgen.render import compiled_cache, expressions, limits, logo, package, wellformed
from docgen.render.environment import make_environment
from docgen.render.sanitize import sanitize

MAX_OUTPUT_CHARS = 20_000_000
MAX_SECONDS = 30.0

_BODY = re.compile(r"(<w:body>|<w:body [^>]*>)(.*)(</w:body>)", re.DOTALL)
_RENDERED_PART = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")
# Tags whose handling needs docxtpl's object model or its table post-processing.
# (`{#tc ... #}` removes its cell, and only docxtpl's table fix takes the emptied column out of the grid.)
_NEEDS_DOCXTPL = re.compile(r"\{[{%]-?\s*(r|tc|hm|vm|colspan|cellbg)\s|\{#-?\s*tc\s|\{\{\s*\w*(image|subdoc)")
_TAG_INSIDE = re.compile(r"(?<=\{[{%])(.*?)(?=[}%]\})", re.DOTALL)
_XML_ENTITY = re.compile(r"&(quot|apos|amp|lt|gt|#[0-9]+|#x[0-9a-fA-F]+);")
_ENTITY_TEXT = {"quot": '"', "apos": "'", "amp": "&", "lt": "<", "gt": ">"}
_LISTING_CHARS = re.compile("[\t\a\f\n]")
_PARAGRAPH_START = re.compile(r"<w:p(?: [^>]*)?>")  # how docxtpl's resolve_listing finds a paragraph
_DOCPR_ID = re.compile(r'(<wp:docPr\b[^>]*?\bid=")(\d+)(")')
_CUSTOM_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
_CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_LOGO = re.compile(r"\bauthority\.logo\b")
_DOCUMENT_RELS = "word/_rels/document.xml.rels"
_EMPTY_RELS = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>'


def time_budget():
    """One MAX_SECONDS of rendering shared by every render in the ``with`` block: a document's
    copies for all its recipients, a ``templates check`` run, or a batch record."""
    return limits.time_budget(MAX_SECONDS)


@dataclass(frozen=True)
class Provenance:
    """What a generated document says about itself, in its properties: no personal data."""

    document_id: str
    title: str
    template_version: str
    template_sha256: str
    case_reference: str
    author: str
    generated: datetime

    def custom_properties(self) -> dict[str, str]:
        return {
            "docgen.document": self.document_id,
            "docgen.template_version": self.template_version,
            "docgen.template_sha256": self.template_sha256,
            "docgen.case_reference": self.case_reference,
            "docgen.generated": self.generated.isoformat(timespec="seconds"),
            "docgen.version": __version__,
        }


class _Patcher(DocxTemplate):
    """docxtpl's preparation of a part's XML, and then the text inside each tag read as text.

    The XML escapes what a tag holds as its editor chooses: Word writes ``"`` as it is,
    LibreOffice Writer ``&quot;``, and both write ``&`` as ``&amp;``. docxtpl turns only ``&lt;``
    and ``&gt;`` back, so ``default(&quot;none&quot;)`` would not parse and ``join(" &amp; ")``
    would print "&amp;"; unescaped once here, a tag means the same whoever saved it, and
    autoescape writes what it prints as valid XML.
    """

    def patch_xml(self, src_xml: str) -> str:
        return unescape_tags(super().patch_xml(src_xml))


def unescape_tags(xml: str) -> str:
    """The XML inside every ``{{ }}`` and ``{% %}`` tag of ``xml`` with its entities as text."""
    def unescaped(tag: re.Match) -> str:
        return _XML_ENTITY.sub(_entity_text, tag.group()) if "&" in tag.group() else tag.group()

    return _TAG_INSIDE.sub(unescaped, xml)


def _entity_text(match: re.Match) -> str:
    name = match.group(1)
    if not name.startswith("#"):
        return _ENTITY_TEXT[name]
    code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
    return chr(code) if 0 < code <= 0x10FFFF else match.group()  # not a character: left for Jinja to refuse


@dataclass
class _Part:
    name: str
    prefix: str  # XML before the rendered section (document.xml: up to and with <w:body>)
    template: Template
    suffix: str
    source: str  # what Jinja compiled, one paragraph a line: errors say where and quote their expression from it
    proven: bool  # every filling is well-formed XML while its values are text (docgen.render.wellformed)
    code: CodeType  # what Jinja compiled the part to, kept between runs (docgen.render.compiled_cache)


class CompiledTemplate:
    """One Word template, compiled once and rendered to DOCX bytes any number of times."""

    def __init__(self, path: Path, *, label: str | None = None) -> None:
        self.path = Path(path)
        self.label = label or str(path)
        self.env = make_environment()
        try:
            blob = self.path.read_bytes()
        except OSError as e:
            raise TemplateError(f"The template cannot be read ({e.strerror}).", source=self.label) from e
        self.parts: list[_Part] = []
        self.words = ""  # the text of every part's tags: what errors may repeat
        self.uses_docxtpl = False
        self.uses_logo = False
        self._last_properties: tuple[Provenance | None, tuple] = (None, ())
        self._last_logo: tuple[bytes | None, package.Entry | None] = (None, None)
        cache_key = compiled_cache.key(blob)
        cached = self._load_compiled(cache_key)
        if not cached:
            self.blob = sanitize(blob, self.label)  # size-checked, comments and tracked changes gone
        self.entries = package.read_entries(self.blob)
        self._patcher = _Patcher(io.BytesIO(self.blob))
        try:
            if not cached:
                for name, entry in self.entries.items():
                    if _RENDERED_PART.match(name):
                        self._compile_part(name, package.text_of(entry))
                self._store_compiled(cache_key)
            self._replaced = self._package_parts()
        except package.PackageError as e:
            raise TemplateError(f"The template is damaged: {e}.", source=self.label) from e

    # -- compiling ----------------------------------------------------------------------------
    def _compile_part(self, name: str, xml: str) -> None:
        if name == "word/document.xml":
            match = _BODY.search(xml)
            if not match:
                raise TemplateError("The document has no body.", source=self.label)
            prefix, source, suffix = xml[: match.end(1)], match.group(2), xml[match.start(3) :]
        else:
            prefix, source, suffix = "", xml, ""
        if "{" not in source:
            return
        patched = self._patcher.patch_xml(source)
        if _LOGO.search(patched):
            if name != "word/document.xml":
                raise TemplateError(
                    "The authority's logo can be printed in the document body only, not in "
                    f"{name.removeprefix('word/').removesuffix('.xml')}.",
                    source=self.label,
                )
            self.uses_logo = True
        if _NEEDS_DOCXTPL.search(re.sub(r"<[^>]+>", "", source)):
            self.uses_docxtpl = True
        patched = re.sub(r"<w:p([ >])", r"\n<w:p\1", patched)  # a line each: errors can say where
        try:
            tree = self.env.parse(patched)
            for data in tree.find_all(nodes.TemplateData):  # the lines are not printed (docxtpl takes them out after)
                data.data = data.data.replace("\n<w:p ", "<w:p ").replace("\n<w:p>", "<w:p>")
            proven = wellformed.provable(tree, prefix, suffix)
            code = self.env.compile(tree)
        except TemplateSyntaxError as e:
            error = TemplateError(
                f"Jinja syntax error: {e.message} (near: {_text_near(patched, e.lineno)!r}).",
                source=f"{self.label} ({name})",
            )
            error.near = _text_near(patched, e.lineno)
            raise error from e
        self.parts.append(_Part(name, prefix, self._template(code), suffix, patched, proven, code))
        self.words = " ".join(filter(None, (self.words, expressions.template_words(patched))))

    def _template(self, code) -> Template:
        return self.env.template_class.from_code(self.env, code, self.env.make_globals(None), None)

    def _store_compiled(self, key: str) -> None:
        compiled_cache.store(key, {
            "blob": self.blob,
            "parts": [(p.name, p.prefix, p.suffix, p.source, p.proven, p.code) for p in self.parts],
            "words": self.words, "uses_docxtpl": self.uses_docxtpl, "uses_logo": self.uses_logo,
        })  # fmt: skip

    def _load_compiled(self, key: str) -> bool:
        """Take this template's sanitized bytes and compiled parts from the cache, if it has
        them (see :mod:`docgen.render.compiled_cache`): made from the very same bytes, so
        sanitizing and checking them again would find what it found then."""
        entry = compiled_cache.load(key)
        if entry is None:
            return False
        try:
            parts = [
                _Part(name, prefix, self._template(code), suffix, source, proven, code)
                for name, prefix, suffix, source, proven, code in entry["parts"]
            ]
            blob, words, uses_docxtpl, uses_logo = entry["blob"], entry["words"], entry["uses_docxtpl"], entry["uses_logo"]
        except (KeyError, TypeError, ValueError):
            return False  # an entry of another shape: compiled again
        if not isinstance(blob, bytes):
            return False
        self.blob, self.parts, self.words, self.uses_docxtpl, self.uses_logo = blob, parts, words, uses_docxtpl, uses_logo
        return True

    def _package_parts(self) -> dict[str, package.Entry]:
        """The parts every filled copy replaces: [Content_Types].xml and _rels/.rels declaring
        docProps/custom.xml, and, when the body prints the authority's logo, the document's
        relationships and a PNG type for it (:mod:`docgen.render.logo`)."""
        types = package.text_of(self.entries["[Content_Types].xml"])
        if "/docProps/custom.xml" not in types:
            types = types.replace(
                "</Types>",
                f'<Override PartName="/docProps/custom.xml" ContentType="{_CUSTOM_TYPE}"/></Types>',
            )
        rels = package.text_of(self.entries["_rels/.rels"])
        if _CUSTOM_REL not in rels:
            rels = rels.replace(
                "</Relationships>",
                f'<Relationship Id="rIdDocgenCustom" Type="{_CUSTOM_REL}" '
                'Target="docProps/custom.xml"/></Relationships>',
            )
        parts = {"_rels/.rels": rels}
        if self.uses_logo:
            if 'Extension="png"' not in types:
                types = types.replace("</Types>", f"{logo.PNG_TYPE}</Types>")
            entry = self.entries.get(_DOCUMENT_RELS)
            document_rels = package.text_of(entry) if entry else _EMPTY_RELS
            parts[_DOCUMENT_RELS] = document_rels.replace("</Relationships>", f"{logo.RELATIONSHIP}</Relationships>")
        parts["[Content_Types].xml"] = types
        return {name: package.compressed(name, text.encode("utf-8")) for name, text in parts.items()}

    # -- rendering ----------------------------------------------------------------------------
    def render(self, context: dict, provenance: Provenance) -> bytes:
        """The filled document as DOCX bytes.

        Stopped past MAX_SECONDS in any thread, and past MAX_OUTPUT_CHARS of output or the
        budget of :mod:`docgen.render.limits`; an error's message never carries the values the
        document was being filled with (:mod:`docgen.redact`).
        """
        context = logo.with_picture(context)
        try:
            with limits.render_deadline(MAX_SECONDS, self._overtime, self._time_spent), limits.budget():
                if self.uses_docxtpl:
                    return self._render_with_docxtpl(context, provenance)
                rendered = {part.name: self._render_part(part, context) for part in self.parts}
            return self._assemble(rendered, provenance, _logo_png(context))
        except DocgenError as e:
            raise scrub_error(e, context)

    def _overtime(self) -> TemplateSecurityError:
        return TemplateSecurityError(
            f"Rendering took longer than {MAX_SECONDS:g} seconds and was stopped.", source=self.label
        )

    def _time_spent(self) -> TemplateSecurityError:
        return TemplateSecurityError(
            f"Not filled: the {MAX_SECONDS:g} seconds of rendering allowed for this document (all its "
            "copies), check run or batch record were used up before it started.",
            source=self.label,
        )

    def _render_part(self, part: _Part, context: dict) -> bytes:
        chunks: list[str] = []
        size = 0
        template = part.template
        try:
            with wellformed.Watch() as watch:
                try:  # Template.generate, without its second generator around every chunk
                    for chunk in template.root_render_func(template.new_context(context)):
                        size += len(chunk)
                        if size > MAX_OUTPUT_CHARS:
                            raise TemplateSecurityError(
                                f"The document grew past {MAX_OUTPUT_CHARS:,} characters; "
                                "a loop or expression in the template is too large.",
                                source=self.label,
                            )
                        chunks.append(chunk)
                except DocgenError:
                    raise
                except Exception:
                    self.env.handle_exception()  # raised again with the template's lines in its traceback
        except _FAILURES as e:
            failure = _failure(e, self.label, part.name, self.words, part.source, context)
            failure.near = _text_near(part.source, _template_line(e))  # the template's words, no values
            raise failure  # not "from e": _failure chains the cause only when no value was left out
        xml = "".join(chunks)
        if "{" in xml or "}" in xml:  # docxtpl's literal tags
            xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        xml = self._resolve_listing(xml)
        if "<wp:docPr" in xml:
            counter = iter(range(1001, 10**9))
            xml = _DOCPR_ID.sub(lambda m: f"{m.group(1)}{next(counter)}{m.group(3)}", xml)
        document = f"{part.prefix}{xml}{part.suffix}"
        if watch.marked or not part.proven:
            wellformed.check(document, self.label, part.name)
        return document.encode("utf-8")

    def _resolve_listing(self, xml: str) -> str:
        """docxtpl's ``resolve_listing`` (a tab, newline, bell or form feed in a run's text made a
        tab, line break, new paragraph or page break), run only on the paragraphs that hold one: the
        same result without its regular expressions reading every paragraph of every document."""
        if "\n" not in xml and "\t" not in xml and "\a" not in xml and "\f" not in xml:
            return xml
        pieces, done = [], 0
        for start, end in _listing_paragraphs(xml):
            if _LISTING_CHARS.search(xml, start, end):
                pieces += (xml[done:start], self._patcher.resolve_listing(xml[start:end]))
                done = end
        return "".join(pieces) + xml[done:] if pieces else xml

    def _assemble(self, rendered: dict[str, bytes], provenance: Provenance, logo_png: bytes) -> bytes:
        entries = []
        for name, entry in self.entries.items():
            if name in self._replaced:
                entries.append(self._replaced[name])
            elif name in rendered:
                entries.append(package.compressed_fast(name, rendered[name]))
            elif name in ("docProps/core.xml", "docProps/custom.xml"):
                continue
            else:
                entries.append(entry)
        entries.extend(entry for name, entry in self._replaced.items() if name not in self.entries)
        if self.uses_logo:  # a PNG is compressed already: stored, not deflated again
            entries.append(self._logo_entry(logo_png))
        entries += self._properties(provenance)
        return package.write_zip(entries)

    def _logo_entry(self, png: bytes) -> package.Entry:
        """The logo's part, made once for the copies of one authority's documents."""
        made_from, entry = self._last_logo
        if made_from is not png:
            entry = package.stored(logo.PART, png)
            self._last_logo = (png, entry)
        return entry

    def _properties(self, provenance: Provenance) -> tuple[package.Entry, package.Entry]:
        """docProps/core.xml and custom.xml, made once for a document's copies (they say the
        same of each: what it is, which case, when; never who it is for)."""
        made_for, entries = self._last_properties
        if made_for != provenance:
            entries = (
                package.compressed_fast("docProps/core.xml", _core_xml(provenance)),
                package.compressed_fast("docProps/custom.xml", _custom_xml(provenance)),
            )
            self._last_properties = (provenance, entries)  # one assignment: safe between threads
        return entries

    def _render_with_docxtpl(self, context: dict, provenance: Provenance) -> bytes:
        template = _Patcher(io.BytesIO(self.blob))
        try:
            template.render(context, jinja_env=self.env, autoescape=True)
        except _FAILURES as e:
            raise _failure(e, self.label, None, self.words, None, context)
        out = io.BytesIO()
        # Only the filled parts are taken from docxtpl's copy. (python-docx adds a second
        # docProps/core.xml to a file whose core properties LibreOffice declared with its own
        # spelling of the relationship type, and zipfile warns; the package gets docgen's own.)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Duplicate name: 'docProps/core.xml'", UserWarning)
            template.save(out)
        with zipfile.ZipFile(out) as saved:
            parts = {n: saved.read(n) for n in saved.namelist() if _RENDERED_PART.match(n)}
        return self._assemble(parts, provenance, _logo_png(context))


# What a template can raise while it renders: each becomes a TemplateError naming the template.
_FAILURES = (
    JinjaError, TypeError, ValueError, ArithmeticError, LookupError, AttributeError,
    RecursionError, MemoryError,
)


def _failure(error: BaseException, label: str, part: str | None, words: str, source: str | None,
             context: dict) -> TemplateError:
    """The error a user sees (see :func:`_failure_from`), chained to ``error`` only when its
    message was kept whole: a logged traceback must not carry what the message left out."""
    failure = _failure_from(error, label, part, words, source, context)
    if personal_data_allowed() or str(error) in failure.message:
        failure.__cause__ = error
    else:
        failure.__cause__, failure.__suppress_context__ = None, True
    failure.redacted = True
    return failure


def _failure_from(error: BaseException, label: str, part: str | None, words: str, source: str | None,
                  context: dict) -> TemplateError:
    """It names the failing expression as the template writes it and repeats only text the
    template holds, never a value from the bundle or computed from it (:mod:`docgen.redact`,
    :mod:`docgen.render.expressions`), unless DOCGEN_DEBUG_PERSONAL_DATA allows it."""
    where = f"{label} ({part})" if part else label
    expression = expressions.failing_expression(error, source)
    at = f" (in {expression})" if expression else ""  # said where a value had to be left out
    if personal_data_allowed():
        words = None
    if isinstance(error, UndefinedError):
        field = _field_in_error(error)
        if words is None or expressions.in_template(field, words):
            return MissingField(
                f"The template uses the field '{field}', which this case bundle does not have.", source=where
            )
        return MissingField(
            f"The template looks up a field by a name made from the bundle's values, and the case "
            f"bundle has no such field{at}.",
            source=where,
        )
    message = str(error)
    if words is not None:
        message = expressions.keep_template_text(redact(message, values_in(context)), words)
    if message == str(error):
        at = ""
    if isinstance(error, SecurityError):
        return TemplateSecurityError(f"The template tried something the sandbox forbids: {message}{at}.", source=label)
    if isinstance(error, RecursionError):
        return TemplateSecurityError("The template calls itself without end (a macro or include).", source=label)
    if isinstance(error, MemoryError):
        return TemplateSecurityError("The template ran out of memory building a value.", source=label)
    return TemplateError(f"The template failed: {message}{at}.", source=where)


def _field_in_error(error: UndefinedError) -> str:
    return str(error.message or error).strip("'\"")


def _template_line(error: BaseException) -> int | None:
    """The line of the template being run when ``error`` was raised (Jinja puts its frames in
    the traceback under the name ``<template>``)."""
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == "<template>"]
    return lines[-1] if lines else None


def _text_near(source: str, lineno: int | None) -> str:
    lines = source.splitlines()
    if not lineno or lineno > len(lines):
        return ""
    return re.sub(r"<[^>]+>", "", lines[lineno - 1])[:120]


def _listing_paragraphs(xml: str):
    """The spans docxtpl's ``<w:p(?: [^>]*)?>.*?</w:p>`` matches one after another: a paragraph's
    start tag to the first ``</w:p>`` after it (the inner one, when paragraphs nest)."""
    position = 0
    while start := _PARAGRAPH_START.search(xml, position):
        end = xml.find("</w:p>", start.end())
        if end < 0:
            return
        position = end + len("</w:p>")
        yield start.start(), position


def _core_xml(p: Provenance) -> bytes:
    when = p.generated.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(p.title)}</dc:title>"
        f"<dc:subject>{escape(p.document_id)} {escape(p.case_reference)}</dc:subject>"
        f"<dc:creator>{escape(p.author)}</dc:creator>"
        f"<cp:lastModifiedBy>docgen {__version__}</cp:lastModifiedBy>"
        f"<cp:revision>1</cp:revision>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified>'
        "</cp:coreProperties>"
    ).encode("utf-8")


def _custom_xml(p: Provenance) -> bytes:
    props = "".join(
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{pid}" name="{escape(name)}">'
        f"<vt:lpwstr>{escape(value)}</vt:lpwstr></property>"
        for pid, (name, value) in enumerate(p.custom_properties().items(), start=2)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        f"{props}</Properties>"
    ).encode("utf-8")


def _logo_png(context: dict) -> bytes:
    """The authority's logo for the package, or a blank pixel when it has none."""
    picture = context.get("authority", {}).get("logo")
    return picture.png if isinstance(picture, logo.LogoPicture) else logo.BLANK_PNG
