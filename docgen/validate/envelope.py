"""Addresses that fit the envelope window.

A letter's address block is the recipient's name, address lines and postcode, printed in
10 pt Arial (Liberation Sans, the same widths) 93 mm wide and at most 7 lines tall, inside
GOV.UK Notify's address box (``docgen.letter_layout``, ``tools/template_kit.py``). A long line
wraps; when the wrapped block is taller than 7 lines, the postcode is pushed out of the window
and the letter cannot be posted. That is known from the bundle, so it is said when the bundle
is validated, not found after printing.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import lru_cache

from reportlab.pdfbase.pdfmetrics import stringWidth

from docgen.letter_layout import ADDRESS_FONT_PT, ADDRESS_LINES, FRAME_MM, MM
from docgen.problems import WARNING, Problem
from docgen.view.context import formal_name

FONT = "Helvetica"  # Helvetica's widths are Arial's and Liberation Sans's
WIDTH_PT = FRAME_MM["width"] * MM
MAX_LINES = ADDRESS_LINES[1]


def check_addresses(data: dict) -> Iterator[Problem]:
    """A warning for each addressee whose address block would not fit the window."""
    for group in ("family_members", "professionals"):
        for i, person in enumerate(data.get(group, [])):
            address = person.get("address")
            if not address:
                continue
            block = (formal_name(person), *address["lines"], address["postcode"])
            printed = sum(wrapped_lines(text) for text in block)
            if printed > MAX_LINES:
                yield Problem(
                    f"{group}[{i}].address",
                    f"With the name and postcode this address takes {printed} lines once long lines "
                    f"wrap ({FRAME_MM['width']:g} mm at {ADDRESS_FONT_PT} pt); a letter's window holds "
                    f"{MAX_LINES}, so the postcode would fall outside it. Shorten the longest lines or "
                    "use fewer.",
                    WARNING,
                )


@lru_cache(maxsize=4096)  # a server sees the same addresses again and again; measuring is slow
def wrapped_lines(text: str) -> int:
    """How many lines ``text`` takes in the address block, wrapped at spaces."""
    lines, width = 1, 0.0
    space = stringWidth(" ", FONT, ADDRESS_FONT_PT)
    for word in text.split():
        size = stringWidth(word, FONT, ADDRESS_FONT_PT)
        if width and width + space + size <= WIDTH_PT:
            width += space + size
            continue
        if width:
            lines += 1
        lines += max(math.ceil(size / WIDTH_PT), 1) - 1
        width = size % WIDTH_PT or (WIDTH_PT if size else 0.0)
    return lines
