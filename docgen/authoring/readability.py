"""Plain English for letters to families: sentence length and reading age of a template's wording.

The sources ask for "family friendly language"; GOV.UK aims at a reading age of 9 and sentences
of 25 words or fewer. Each authority sets its limits (``plain_english`` in authority.toml).

Only the template's own words are measured. A placeholder (``{{ children_names }}``) counts as
one word; ``{% %}`` tags are dropped. Where a paragraph says one thing or another (``{% if %}
you{% else %}the family{% endif %}``) each way it can read is measured, so a long sentence in
either branch is found, quoted as the template has it.

Reading age is the Flesch-Kincaid grade plus 5 (US grade 1 is age 6-7): 0.39 × words per
sentence + 11.8 × syllables per word − 15.59. Syllables are counted by vowel groups, which is
close enough to flag a sentence for a person to look at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from docgen.authoring.tags import Tag

PLACEHOLDER_WORD = "Name"  # what a {{ placeholder }} counts as: one word of one syllable
MIN_WORDS_FOR_AGE = 10  # shorter sentences give the formula too little to go on: one long word decides it
_WORD = re.compile(r"[A-Za-z0-9\x00][A-Za-z0-9'’\x00-]*")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[A-Z0-9\"'“‘(\x00])")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "Mr.", "Mrs.", "Ms.", "Dr.", "No.", "St.")
_MARK = "\x00"


@dataclass(frozen=True)
class Sentence:
    text: str  # as the template has it, placeholders shown as written
    words: int
    reading_age: float


@dataclass
class _Cond:
    branches: list[list] = field(default_factory=list)


def sentences(text: str, tags: list[Tag]) -> list[Sentence]:
    """Every sentence a paragraph can read as, each measured."""
    sequence = _sequence(text, tags)
    found: dict[str, Sentence] = {}
    for pieces in _variants(sequence):
        for sentence in _split(pieces):
            found.setdefault(sentence.text, sentence)
    return list(found.values())


def reading_age(words: list[str]) -> float:
    if not words:
        return 0.0
    syllables = sum(count_syllables(w) for w in words)
    grade = 0.39 * len(words) + 11.8 * syllables / len(words) - 15.59
    return round(grade + 5, 1)


def count_syllables(word: str) -> int:
    word = word.lower().strip("'’-")
    if word == PLACEHOLDER_WORD.lower() or not word.isalpha():
        return 1
    if len(word) <= 3:
        return 1
    word = re.sub(r"(?:[^laeiouy]es|ed|[^laeiouy]e)$", "", word)
    word = re.sub(r"^y", "", word)
    return max(1, len(re.findall(r"[aeiouy]{1,2}", word)))


# -- a paragraph as text, placeholders and branches ------------------------------------------------


def _sequence(text: str, tags: list[Tag]) -> list:
    """Literal text and placeholders, with ``{% if %}`` chains as branches (when they pair up)."""
    root: list = []
    stack: list[tuple[list, _Cond | None]] = [(root, None)]
    balanced = _balanced(tags)
    pos = 0
    for tag in tags:
        current = stack[-1][0]
        if tag.start > pos:
            current.append(text[pos : tag.start])
        pos = tag.end
        if tag.kind == "var":
            current.append(tag)
        elif tag.kind == "block" and balanced:
            if tag.keyword == "if":
                cond = _Cond([[]])
                current.append(cond)
                stack.append((cond.branches[0], cond))
            elif tag.keyword in ("elif", "else") and stack[-1][1] is not None:
                cond = stack[-1][1]
                cond.branches.append([])
                stack[-1] = (cond.branches[-1], cond)
            elif tag.keyword == "endif" and stack[-1][1] is not None:
                stack.pop()
    stack[-1][0].append(text[pos:])
    return root


def _balanced(tags: list[Tag]) -> bool:
    depth = 0
    for tag in tags:
        if tag.kind == "block" and tag.keyword == "if":
            depth += 1
        elif tag.kind == "block" and tag.keyword == "endif":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _conds(sequence: list) -> list[_Cond]:
    found = []
    for item in sequence:
        if isinstance(item, _Cond):
            found.append(item)
            for branch in item.branches:
                found.extend(_conds(branch))
    return found


def _variants(sequence: list) -> list[list]:
    """The paragraph with each branch of each ``if`` chosen once, the others at their longest."""
    conds = _conds(sequence)
    for cond in conds:
        if len(cond.branches) == 1:
            cond.branches.append([])  # no else: the text may be left out
    default = {id(c): max(range(len(c.branches)), key=lambda i: _length(c.branches[i])) for c in conds}
    choices = [default]
    for cond in conds:
        choices.extend({**default, id(cond): i} for i in range(len(cond.branches)) if i != default[id(cond)])
    return [_flatten(sequence, choice) for choice in choices]


def _length(sequence: list) -> int:
    return len(_words(_plain(_flatten(sequence, {}))))


def _flatten(sequence: list, choice: dict) -> list:
    out: list = []
    for item in sequence:
        if isinstance(item, _Cond):
            index = choice.get(id(item), 0)
            out.extend(_flatten(item.branches[index], choice))
        else:
            out.append(item)
    return out


def _plain(pieces: list) -> str:
    """The text with each placeholder as one marked word."""
    return "".join(f"{_MARK}{i}{_MARK}" if isinstance(p, Tag) else p for i, p in enumerate(pieces))


def _words(text: str) -> list[str]:
    return [PLACEHOLDER_WORD if _MARK in w else w for w in _WORD.findall(text)]


def _split(pieces: list) -> list[Sentence]:
    tags = {i: p for i, p in enumerate(pieces) if isinstance(p, Tag)}
    text = " ".join(_plain(pieces).split())
    protected = text
    for abbreviation in _ABBREVIATIONS:
        protected = protected.replace(abbreviation, abbreviation.replace(".", "\x01"))
    found = []
    for raw in _SENTENCE_END.split(protected):
        raw = raw.replace("\x01", ".").strip()
        words = _words(raw)
        if not words:
            continue
        shown = re.sub(f"{_MARK}(\\d+){_MARK}", lambda m: tags[int(m.group(1))].raw, raw)
        age = reading_age(words) if len(words) >= MIN_WORDS_FOR_AGE else 0.0
        found.append(Sentence(shown, len(words), age))
    return found
