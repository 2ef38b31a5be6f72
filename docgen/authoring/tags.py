"""The Jinja tags of a template's paragraphs, and whether they open and close as they should.

A tag is read from a paragraph's text the way docxtpl reads it: ``{{ ... }}``, ``{% ... %}``
or ``{# ... #}`` within the paragraph, with Word's curly quotes made straight and docxtpl's
``{%p``/``{%tr``/``{%tc``/``{{r`` prefixes taken off. The tags of one part, one line per
paragraph, form the Jinja source checked here; a line number is a paragraph.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from jinja2 import TemplateSyntaxError

from docgen.authoring.locate import Paragraph
from docgen.authoring.problems import ERROR, TemplateProblem
from docgen.render.environment import make_environment

_OPENERS = ("{{", "{%", "{#")
_CLOSER = {"{{": "}}", "{%": "%}", "{#": "#}"}
_PREFIX = re.compile(r"^(p|tr|tc|r)\s")
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})
_STRAY_CLOSER = re.compile(r"\}\}|%\}")
# Characters Word shows as nothing, which text pasted from the web or email can carry.
INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff]")
_INVISIBLE_SPLIT = re.compile("[{%#}][\u00ad\u200b-\u200f\u2060\ufeff]+[{%#}]")

BLOCKS = {
    "if": "endif", "for": "endfor", "macro": "endmacro", "call": "endcall", "filter": "endfilter",
    "with": "endwith", "block": "endblock", "raw": "endraw", "autoescape": "endautoescape",
    "trans": "endtrans",
}
ENDS = {end: start for start, end in BLOCKS.items()}
MIDDLES = {"elif": ("if",), "else": ("if", "for"), "pluralize": ("trans",)}
SINGLE = ("set", "include", "import", "from", "extends", "do", "break", "continue", "print")
# docxtpl's own statements, which patch_xml turns into XML before Jinja sees them.
DOCXTPL_ONLY = ("vm", "hm", "colspan", "cellbg")
KEYWORDS = tuple(BLOCKS) + tuple(ENDS) + tuple(MIDDLES) + SINGLE + DOCXTPL_ONLY


@dataclass
class Tag:
    paragraph: Paragraph
    start: int
    end: int
    kind: str  # "var", "block" or "comment"
    raw: str  # as written in the paragraph
    body: str  # what is between the delimiters, quotes straightened, docxtpl prefix removed
    keyword: str = ""  # for blocks: if, endif, for...

    @property
    def jinja(self) -> str:
        """The tag as plain Jinja."""
        if self.kind == "var":
            return "{{ " + self.body + " }}"
        if self.kind == "comment":
            return ""
        if self.keyword in ("vm", "hm"):
            return ""
        if self.keyword in ("colspan", "cellbg"):
            return "{{ " + self.body.split(None, 1)[1] + " }}" if " " in self.body else ""
        return "{% " + self.body + " %}"

    @property
    def short(self) -> str:
        """``{% if %}``, ``{% endfor %}``: how a message names a block tag."""
        return "{% " + self.keyword + " %}"


def read_tags(paragraph: Paragraph) -> tuple[list[Tag], list[TemplateProblem]]:
    """The tags of one paragraph, and problems with delimiters that do not pair up in it."""
    text = paragraph.text
    tags: list[Tag] = []
    problems: list[TemplateProblem] = []
    for match in _INVISIBLE_SPLIT.finditer(text):
        problems.append(TemplateProblem.at(
            paragraph, ERROR, "invisible-character",
            f"`{match.group()[0]}{match.group()[-1]}` has {_invisible_name(match.group())} between its braces, "
            "so it is not read as a tag and will be printed as it is",
            "delete the tag and type it again",
        ))
    text = _INVISIBLE_SPLIT.sub(lambda m: " " * len(m.group()), text)
    broken = bool(problems)  # a tag broken by an invisible character leaves its closer behind
    pos = 0
    while True:
        found = [(text.find(o, pos), o) for o in _OPENERS]
        found = [(i, o) for i, o in found if i >= 0]
        literal_end = min((i for i, _ in found), default=len(text))
        if not broken:
            _stray_closers(paragraph, text[pos:literal_end], problems)
        if not found:
            break
        start, opener = min(found)
        close = text.find(_CLOSER[opener], start + 2)
        if close < 0:
            problems.append(_unclosed_delimiter(paragraph, opener, text[start:]))
            break
        end = close + 2
        tags.append(_make_tag(paragraph, start, end, opener, text[start:end]))
        pos = end
    return tags, problems


def _make_tag(paragraph: Paragraph, start: int, end: int, opener: str, raw: str) -> Tag:
    inner = raw[2:-2].translate(_QUOTES)
    kind = {"{{": "var", "{%": "block", "{#": "comment"}[opener]
    inner = _PREFIX.sub("", inner, count=1) if kind != "comment" else inner
    body = inner.strip().strip("-+").strip()
    keyword = body.split(None, 1)[0] if kind == "block" and body else ""
    return Tag(paragraph, start, end, kind, raw, body, keyword)


def _stray_closers(paragraph: Paragraph, literal: str, problems: list[TemplateProblem]) -> None:
    for match in _STRAY_CLOSER.finditer(literal):
        opener = "{{" if match.group() == "}}" else "{%"
        problems.append(
            TemplateProblem.at(
                paragraph, ERROR, "stray-closer",
                f"`{match.group()}` has no `{opener}` before it in the paragraph, so it will be printed as it is",
                f"add the missing `{opener}`, or delete the `{match.group()}`",
            )
        )


def _unclosed_delimiter(paragraph: Paragraph, opener: str, rest: str) -> TemplateProblem:
    closer = _CLOSER[opener]
    return TemplateProblem.at(
        paragraph, ERROR, "unclosed-tag",
        f"`{_snippet(rest)}` is not closed in its paragraph: a tag must start and end in the same "
        "paragraph, or docgen cannot read it",
        f"add `{closer}` at the end of the tag (and keep it in one paragraph)",
    )


def _snippet(text: str, limit: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _invisible_name(text: str) -> str:
    char = INVISIBLE.search(text).group()
    return f"an invisible character (U+{ord(char):04X} {unicodedata.name(char, 'FORMAT CHARACTER')})"


def check_tag_syntax(tag: Tag) -> TemplateProblem | None:
    """A problem when one tag cannot be read as Jinja on its own."""
    if INVISIBLE.search(tag.raw):
        return TemplateProblem.at(tag.paragraph, ERROR, "invisible-character",
                                  f"`{INVISIBLE.sub('', tag.raw)}` holds {_invisible_name(tag.raw)}",
                                  "delete the tag and type it again")
    if tag.kind == "comment" or tag.keyword in DOCXTPL_ONLY or tag.keyword in ENDS:
        return None
    if tag.kind == "block" and tag.keyword not in KEYWORDS:
        guess = difflib.get_close_matches(tag.keyword, KEYWORDS, n=1, cutoff=0.6)
        fix = f"did you mean `{{% {guess[0]} %}}`?" if guess else "use if, elif, else, for or set"
        return TemplateProblem.at(tag.paragraph, ERROR, "unknown-tag", f"`{tag.raw}` is not a tag docgen knows", fix)
    source = tag.jinja
    if tag.kind == "block":
        if tag.keyword in ("elif", "else"):
            source = "{% if true %}" + source + "{% endif %}"
        elif tag.keyword == "pluralize":
            return None
        elif tag.keyword in BLOCKS or (tag.keyword == "set" and "=" not in tag.body):
            source += "{% " + BLOCKS.get(tag.keyword, "endset") + " %}"
    try:
        _environment().parse(source)
    except TemplateSyntaxError as e:
        return TemplateProblem.at(
            tag.paragraph, ERROR, "syntax", f"`{tag.raw}` is not valid: {e.message}",
            "check the spelling, dots, brackets and quotes inside the tag; fields are written like `{{ child.name }}`",
        )
    return None


def check_blocks(tags: list[Tag]) -> list[TemplateProblem]:
    """Problems with ``{% if %}``/``{% for %}`` blocks that are not closed, or closed wrongly."""
    problems: list[TemplateProblem] = []
    stack: list[Tag] = []
    for tag in tags:
        if tag.kind != "block":
            continue
        key = tag.keyword
        if key in BLOCKS or (key == "set" and "=" not in tag.body):
            stack.append(tag)
        elif key in MIDDLES:
            if not stack or stack[-1].keyword not in MIDDLES[key]:
                inside = " or ".join(f"`{{% {k} %}}`" for k in MIDDLES[key])
                problems.append(TemplateProblem.at(
                    tag.paragraph, ERROR, "stray-middle",
                    f"`{tag.short}` in {tag.paragraph.label} is not inside an {inside} block",
                    f"add the `{{% {MIDDLES[key][0]} ... %}}` it belongs to, or delete it",
                ))
        elif key in ENDS or key == "endset":
            opener = ENDS.get(key, "set")
            if not any(open_tag.keyword == opener for open_tag in stack):
                problems.append(TemplateProblem.at(
                    tag.paragraph, ERROR, "stray-end",
                    f"`{tag.short}` in {tag.paragraph.label} closes nothing: no `{{% {opener} %}}` is open",
                    f"delete it, or add the `{{% {opener} ... %}}` it should close",
                ))
                continue
            while stack[-1].keyword != opener:
                problems.append(_never_closed(stack.pop(), before=tag))
            stack.pop()
    problems.extend(_never_closed(tag) for tag in reversed(stack))
    return problems


def _never_closed(tag: Tag, before: Tag | None = None) -> TemplateProblem:
    end = BLOCKS.get(tag.keyword, "endset")
    where = f" before the `{before.short}` in {before.paragraph.label}" if before else ""
    return TemplateProblem.at(
        tag.paragraph, ERROR, "unclosed-block",
        f"`{tag.short}` opened in {tag.paragraph.label} is never closed",
        f"add `{{% {end} %}}`{where}",
    )


def part_source(paragraph_tags: list[list[Tag]], bad: set[int] = frozenset()) -> str:
    """One part's tags as Jinja, one line per paragraph (so a line number is a paragraph).

    Made to parse even when tags are broken, so fields are still checked: a tag in ``bad`` (ids
    of tags that do not parse) becomes a harmless one of its kind, a stray end or ``else`` is
    left out, and a block never closed is closed where its parent closes, or at the end.
    """
    lines: list[list[str]] = [[] for _ in paragraph_tags]
    stack: list[str] = []
    for line, tags in enumerate(paragraph_tags):
        for tag in tags:
            jinja = _NEUTRAL.get(tag.keyword, "") if id(tag) in bad else tag.jinja
            key = tag.keyword if tag.kind == "block" and jinja else ""
            if key in BLOCKS or (key == "set" and "=" not in tag.body):
                stack.append(key)
            elif key in MIDDLES and not (stack and stack[-1] in MIDDLES[key]):
                continue
            elif key in ENDS or key == "endset":
                opener = ENDS.get(key, "set")
                if opener not in stack:
                    continue
                while stack[-1] != opener:
                    lines[line].append("{% " + BLOCKS.get(stack.pop(), "endset") + " %}")
                stack.pop()
            lines[line].append(jinja)
    if lines:
        lines[-1].extend("{% " + BLOCKS.get(key, "endset") + " %}" for key in reversed(stack))
    return "\n".join("".join(parts) for parts in lines)


_NEUTRAL = {"if": "{% if true %}", "elif": "{% elif true %}", "else": "{% else %}", "for": "{% for _ in () %}",
            "with": "{% with %}", "filter": "{% filter e %}", "set": "{% set _ = 0 %}"}


@cache
def _environment():
    return make_environment()
