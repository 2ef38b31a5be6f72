"""Keeping personal data out of messages: errors and logs name cases and documents, not people.

docgen's own messages are written to name the case reference, document, file and JSON path
only. A message that passes on a third party's text (a template's ``ValueError: 'Poppy' is not
in list``) is redacted against the values the document was being filled with before anyone
sees it, and the original exception is dropped from the chain so a logged traceback cannot
carry it either. Set ``DOCGEN_DEBUG_PERSONAL_DATA=1`` to keep both while debugging a template
on test data; never in production.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

DEBUG_ENV = "DOCGEN_DEBUG_PERSONAL_DATA"
MARK = "[personal data removed]"
MIN_LENGTH = 3  # shorter values ("Ms", "F") are not identifying and would garble messages


def personal_data_allowed() -> bool:
    """Whether the debug switch lets personal data into messages and logs."""
    return os.environ.get(DEBUG_ENV) == "1"


def values_in(data: object) -> set[str]:
    """Every string in ``data`` (dicts, lists, dates and other values shown as text)."""
    found: set[str] = set()
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, (list, tuple, set)):
            stack.extend(value)
        elif isinstance(value, str):
            found.add(value)
        elif value is not None and not isinstance(value, (bool, int, float)):
            found.add(str(value))
            iso = getattr(value, "isoformat", None)
            if callable(iso):
                found.add(iso())
    return {v for v in found if len(v.strip()) >= MIN_LENGTH}


def redact(message: str, values: Iterable[str]) -> str:
    """``message`` with each of ``values`` that stands as a word of its own replaced by MARK
    (so the id ``school`` is taken out of "'school' is not in list" but not "school_nurse")."""
    present = sorted((v for v in set(values) if v in message), key=len, reverse=True)
    if personal_data_allowed() or not present:
        return message
    words = re.compile("|".join(rf"(?<!\w){re.escape(v)}(?!\w)" for v in present))
    return words.sub(MARK, message)


def scrub_error(error, data: object):
    """Redact a DocgenError's message against ``data`` and cut its cause when it changed."""
    if personal_data_allowed() or error.redacted:
        return error
    cleaned = redact(error.message, values_in(data))
    if cleaned != error.message:
        error.message = cleaned
        error.args = (cleaned,)
        error.__cause__ = None
        error.__suppress_context__ = True
    return error
