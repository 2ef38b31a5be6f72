"""Filled parts Word can open: proved once for a template where its shape allows, else read.

A filled part that is not well-formed XML must never be written (Word refuses the whole file).
Reading every filled part with expat costs a sixth of a letter's rendering, so each compiled
part is examined once instead (:func:`provable`). Its Jinja tree gives the template's own XML
with each value a character that can only stand in text, and its blocks: each branch of an
``if``, the body of a ``for`` and its ``else``. expat reads the part with every block left out,
and then once for each block, with it and the blocks around it kept once. When all of these
read, each block ends with the same elements open as it started (``{% for %}{{ line
}}</w:t><w:br/><w:t>{% endfor %}`` closes a w:t and opens another), so any filling, which
leaves blocks out or repeats them, is well-formed as long as its values are text and stand only
in the text of runs (where the authority's logo, a run of its own, can stand). A part that
cannot be proved so (a tag spanning cells, macros, values in attributes, comments...) is read
with expat after every filling, as before, and its error names the place.

"A value is text" is checked as each value is printed (:func:`value_printed`, from the
environment's ``finalize``, which every value passes through): a plain value is escaped, so
it is text unless it holds a character XML cannot (a control character); the authority's
logo is a run of its own, which is why values must stand in a run's text; any other markup
(a date, the withheld wording, a value a template built with ``~`` or cut with ``[:n]``) must
read as escaped text. A value that is not marks the document, whose parts are then read by
expat whatever the proof said.

What docgen does after Jinja keeps this: docxtpl's listing step turns a tab or newline in a
run's text into runs and breaks that close what they open (a bell or form feed, which need
more, mark the document), and the other steps change text, not tags.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from xml.parsers import expat

from jinja2 import nodes
from markupsafe import Markup

from docgen.exceptions import TemplateError
from docgen.render.logo import LogoPicture

VALUE = "\ue000"  # a private-use character: text to expat, never part of a name
_EDGE = "docgen-block-edge"
_EDGE_TAG = f"<{_EDGE}/>"  # where a block starts and ends: expat reads it in text, not in a tag
MAX_BLOCKS = 500  # a part with more is read after each filling (each block costs a reading here)
_RUN_TEXT = ("w:r", "w:t")
# Escaped text as markupsafe and docgen write it; anything else in markup is read by expat.
_ESCAPED_TEXT = re.compile(
    r"(?:[^<>&\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|&(?:amp|lt|gt|quot|apos|#34|#39|#95);)*"
)
# What XML cannot hold, with the bell and form feed docxtpl makes paragraphs and pages of.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LISTING = ("\t", "\n", "\a", "\f")


class _Unprovable(Exception):
    pass


# -- once per compiled part ---------------------------------------------------------------------


def provable(tree: nodes.Template, prefix: str, suffix: str) -> bool:
    """Whether every filling of the part compiled from ``tree`` (between ``prefix`` and
    ``suffix``) is well-formed XML, as long as every value printed is text (see module doc)."""
    blocks: list[_Block] = []
    try:
        parts = _parts(tree.body, None, blocks)
    except _Unprovable:
        return False
    if len(blocks) > MAX_BLOCKS:
        return False
    text = _filled(parts, set(blocks)).replace(_EDGE_TAG, "")
    if text.startswith("<?xml"):  # a header or footer's own declaration, before any paragraph
        text = text[text.find("?>") + 2 :].lstrip()
    if any(char in text for char in _LISTING):
        return False  # the template's own tabs and newlines: listing could reach them anywhere
    kept_sets = [set()] + [block.with_outer() for block in blocks]
    return all(_Shape().holds(prefix + _filled(parts, kept) + suffix) for kept in kept_sets)


class _Block:
    """A branch of an ``if``, or the body or ``else`` of a ``for``: printed once, more or not."""

    def __init__(self, outer: _Block | None) -> None:
        self.outer = outer
        self.parts: list[str | _Block] = []

    def with_outer(self) -> set[_Block]:
        block, kept = self, set()
        while block is not None:
            kept.add(block)
            block = block.outer
        return kept


def _parts(body: list[nodes.Node], outer: _Block | None, blocks: list[_Block]) -> list[str | _Block]:
    """The template's XML as text (each value :data:`VALUE`) and blocks, in order."""
    out: list[str | _Block] = []

    def block(nodes_in_block: list[nodes.Node]) -> None:
        new = _Block(outer)
        blocks.append(new)
        new.parts = _parts(nodes_in_block, new, blocks)
        out.append(new)

    for node in body:
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if isinstance(child, nodes.TemplateData):
                    if VALUE in child.data or _EDGE in child.data:
                        raise _Unprovable  # the template's own text could pass for a value or an edge
                    out.append(child.data)
                else:
                    out.append(VALUE)  # never worked out while compiling (see environment.py)
        elif isinstance(node, nodes.If):
            block(node.body)
            for branch in node.elif_:
                if branch.elif_ or branch.else_:
                    raise _Unprovable
                block(branch.body)
            block(node.else_)
        elif isinstance(node, nodes.For) and not node.recursive:
            block(node.body)
            block(node.else_)
        elif isinstance(node, nodes.Assign):
            continue  # {% set x = ... %} prints nothing
        else:  # macros, call and filter blocks, {% set %} blocks, autoescape switches, includes...
            raise _Unprovable
    return out


def _filled(parts: list[str | _Block], kept: set[_Block]) -> str:
    """The text with each block in ``kept`` printed once and every other left out; each
    block's edges marked, so that a block in a tag (which could add an attribute twice) is not
    taken for one that holds whole elements and text."""
    return "".join(
        part if isinstance(part, str)
        else f"{_EDGE_TAG}{_filled(part.parts, kept)}{_EDGE_TAG}" if part in kept
        else _EDGE_TAG
        for part in parts
    )  # fmt: skip


class _Shape:
    """Reads one filling of a part with expat, following the elements that hold each value."""

    def __init__(self) -> None:
        self.stack: list[str] = []  # the elements open here
        self.proved = True

    def holds(self, xml: str) -> bool:
        parser = expat.ParserCreate()
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        parser.StartDoctypeDeclHandler = parser.CommentHandler = self._refuse
        parser.ProcessingInstructionHandler = parser.StartCdataSectionHandler = self._refuse
        try:
            parser.Parse(xml.encode("utf-8"), True)
        except expat.ExpatError:
            return False
        return self.proved

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        if name == _EDGE:
            return
        parent = self.stack[-1] if self.stack else None
        if parent == "w:t" or (name == "w:rPr" and "w:rPr" in self.stack):
            self.proved = False  # listing copies a run's first w:rPr; in a w:t, text is all there is
        if any(VALUE in value for value in attributes.values()):
            self.proved = False
        self.stack.append(name)

    def _end(self, name: str) -> None:
        if name != _EDGE:
            self.stack.pop()

    def _text(self, data: str) -> None:
        if VALUE in data and tuple(self.stack[-2:]) != _RUN_TEXT:
            self.proved = False

    def _refuse(self, *_args) -> None:
        self.proved = False


# -- at every filling ---------------------------------------------------------------------------


class Watch:
    """``with Watch() as watch:`` around the filling of one part; then ``watch.marked`` says
    whether a value printed in it may not have been plain text."""

    __slots__ = ("marked", "_token")

    def __enter__(self) -> Watch:
        self.marked = False
        self._token = _WATCH.set(self)
        return self

    def __exit__(self, *_exc) -> None:
        _WATCH.reset(self._token)


_WATCH: ContextVar[Watch | None] = ContextVar("docgen_wellformed_watch", default=None)


def value_printed(value, text: Markup) -> None:
    """Mark the part being filled when ``text``, what ``value`` prints as, may not be plain
    text (see module doc)."""
    if hasattr(value, "__html__"):
        if isinstance(value, LogoPicture):
            plain = text.isprintable()
        else:
            plain = _ESCAPED_TEXT.fullmatch(text) is not None
    else:
        plain = text.isprintable() or not _NOT_TEXT.search(text)
    if not plain:
        watch = _WATCH.get()
        if watch is not None:
            watch.marked = True


def check(xml: str, label: str, part: str) -> None:
    """Refuse filled XML Word could not open. expat reads it without building a tree; values
    are escaped, so only a template's own tags, opened in one paragraph or cell and closed in
    another, can break it (or a value the template made markup of)."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _no_doctype
    try:
        parser.Parse(xml.encode("utf-8"), True)
    except expat.ExpatError as e:
        raise TemplateError(
            "The filled template is not valid Word XML; a tag probably spans table cells or "
            f"paragraphs in a way Word cannot hold ({e}).",
            source=f"{label} ({part})",
        ) from e


def _no_doctype(*_args) -> None:
    raise expat.ExpatError("a DOCTYPE in a filled part")
