"""Which of the PDFs given to ``check-letter`` or ``send`` are letters.

docgen names its files ``CASEREF_DOCUMENT[_RECIPIENT]``, and only letters have a recipient:
a docgen file without one (a plan, an agreement, a form) is not a letter and is skipped. A
file docgen did not name is taken as a letter, since its owner chose to give it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from docgen.exceptions import InputError

# CASEREF_DOCUMENT: an upper-case case reference, then a document id, and nothing after it.
_DOCGEN_NOT_A_LETTER = re.compile(r"^[A-Z0-9][A-Z0-9-]*_[a-z][a-z0-9-]*$")
# CASEREF_DOCUMENT_RECIPIENT, the recipient by kind and id (family-mum, agency-hv).
LETTER_NAME = re.compile(
    r"^(?P<case>.+?)_(?P<document>[a-z0-9-]+)_(?P<recipient>(?P<kind>family|agency)-[a-z0-9_-]+)$"
)


@dataclass(frozen=True)
class LetterFiles:
    """The letters found, in the order given, and the PDFs skipped as not letters."""

    letters: list[Path]
    skipped: list[Path]

    def skipped_line(self) -> str | None:
        """One line saying what was skipped, or None."""
        if not self.skipped:
            return None
        count = len(self.skipped)
        names = ", ".join(path.name for path in self.skipped[:5])
        more = f" and {count - 5} more" if count > 5 else ""
        return f"Skipped {count} PDF{'s' if count != 1 else ''} that {'are' if count != 1 else 'is'} not a letter: {names}{more}."


def named_parts(path: Path) -> tuple[str, str, str]:
    """(case reference, document, recipient) from a docgen letter's file name, else the stem
    as the case reference with the others empty."""
    match = LETTER_NAME.match(Path(path).stem)
    if not match:
        return Path(path).stem, "", ""
    return match["case"], match["document"], match["recipient"]


def is_letter(path: Path) -> bool:
    return not _DOCGEN_NOT_A_LETTER.match(Path(path).stem)


def find_letters(paths: list[Path]) -> LetterFiles:
    """The letters among ``paths``: files as given, and each folder's ``*.pdf`` files."""
    letters, skipped = [], []
    for path in map(Path, paths):
        if path.is_dir():
            candidates = sorted(p for p in path.glob("*.pdf") if p.is_file())
        elif path.is_file():
            candidates = [path]
        else:
            raise InputError("No such file or folder.", source=str(path))
        for candidate in candidates:
            (letters if is_letter(candidate) else skipped).append(candidate)
    return LetterFiles(letters, skipped)
