"""Letters that pass GOV.UK Notify's checks, for tests of check-letter and send."""

from __future__ import annotations

from docx.shared import Mm

from docgen.letter_layout import notify_letter as notify_letter_head_room

ADDRESS = ["Ms Alex Example", "12 High Street", "Kidderminster", "DY10 1AA"]
BODY = [
    "Dear parent or carer,",
    "We are writing to tell you the outcome of the assessment of your child's needs. " * 3,
    "Yours faithfully,",
]


def notify_letter(address_lines, paragraphs=(), **kwargs):
    """docgen's helper letter with its body from 95 mm down on every page, as Notify wants on
    page 1: the helper's own body starts 20 mm down and flows above and below the address
    frame, through the space Notify keeps empty (test_check_letter shows it)."""
    document = notify_letter_head_room(address_lines, paragraphs, **kwargs)
    document.sections[0].top_margin = Mm(95)
    return document
