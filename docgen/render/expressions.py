"""Template errors that name the expression, never a value computed from the bundle.

Jinja and Python put values into their messages ("'POPPY' is not in list", the field 'POPPY'
looked up with ``{}[child.first_name|upper]``). Removing the bundle's own values
(:mod:`docgen.redact`) misses any value a template computes from them (``|upper``, ``|join``,
slicing), so a message keeps only what the template itself says: each quoted fragment that is
not a word of the template's source (nor a Python type's name) is replaced, and the failing
expression is quoted from the source, found by the template line Jinja reports.
``DOCGEN_DEBUG_PERSONAL_DATA=1`` keeps messages as they were, for debugging on test data.
"""

from __future__ import annotations

import builtins
import html
import re

from docgen.redact import MARK

MAX_EXPRESSION = 200

_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_MARKUP = re.compile(r"<[^>]+>")
_QUOTED = re.compile(r"'([^'\n]*)'|\"([^\"\n]*)\"")
_TYPE_NAMES = {name for name, value in vars(builtins).items() if isinstance(value, type)}
_TYPE_NAMES |= {f"{name} object" for name in _TYPE_NAMES} | {"Undefined", "Markup", "NoneType"}


def template_text(source: str) -> str:
    """A template's source as its tags read it: markup gone, entities read."""
    return html.unescape(_MARKUP.sub(" ", source))


def template_words(source: str) -> str:
    """The text of a template's tags alone. A message may repeat these; not the wording around
    them, which could hold a word that happens to be someone's name ("Hope")."""
    return " ".join(_TAG.findall(template_text(source)))


def in_template(text: str, words: str) -> bool:
    """Whether ``text`` stands in the template's source as a word (or words) of its own."""
    if not re.search(r"\w", text) or text in _TYPE_NAMES:
        return True  # punctuation and operators ('<', '+') and type names carry no one's data
    return re.search(rf"(?<!\w){re.escape(text)}(?!\w)", words) is not None


def keep_template_text(message: str, words: str) -> str:
    """``message`` with every quoted fragment the template does not hold replaced by MARK."""

    def replace(match: re.Match) -> str:
        quote, text = match.group(0)[0], match.group(1) if match.group(1) is not None else match.group(2)
        return match.group(0) if in_template(text, words) else f"{quote}{MARK}{quote}"

    return _QUOTED.sub(replace, message)


def failing_expression(error: BaseException, source: str | None) -> str | None:
    """The template tags on the line of ``source`` where ``error`` was raised, as written.

    Jinja rewrites a render's traceback so that frames inside the template carry its line
    (the frames it fakes hold ``__jinja_exception__``). Templates are compiled with one Word
    paragraph per line, so the line is the paragraph. A template docxtpl renders whole keeps
    its source in docxtpl's ``render_xml_part``; it is read from there when ``source`` is None.
    """
    line = None
    traceback = error.__traceback__
    while traceback is not None:
        frame = traceback.tb_frame
        if "__jinja_exception__" in frame.f_globals:
            line = traceback.tb_lineno
        elif source is None and frame.f_code.co_name == "render_xml_part":
            source = frame.f_locals.get("src_xml")
        traceback = traceback.tb_next
    if line is None or not isinstance(source, str):
        return None
    lines = source.splitlines()
    if line > len(lines):
        return None
    tags = _TAG.findall(template_text(lines[line - 1]))
    if not tags:
        return None
    text = " ".join(" ".join(tag.split()) for tag in tags)
    return text if len(text) <= MAX_EXPRESSION else text[: MAX_EXPRESSION - 1] + "…"
