"""Checks on a bundle's ``withheld`` entries, so withholding cannot fail quietly.

- An entry must name a value documents print: a person (their whole record) or one of their
  details, free text, an address or venue, a date. Ids, references to people, codes, yes/no
  flags, whole sections and the case's own details are what docgen works with; withholding them
  would break documents rather than protect anyone.
- A person's own details cannot be withheld from that person by name (their letter would carry
  "withheld" in its own address block).
- A withheld value must not be left showing elsewhere: if mum's new address is withheld from
  dad but the children's address is the same and not withheld from him, every letter to dad
  would print it. Such copies are errors naming where the copy is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from marshmallow import fields, validate

from docgen.bundle.paths import resolve_path, steps
from docgen.bundle.schema import _ID, AddressSchema, BundleSchema, VenueSchema
from docgen.problems import Problem
from docgen.view.withhold import PEOPLE_LISTS, OWN_FIELDS, Audience, entries_for, owner_of, people_groups

_SCHEMA = BundleSchema()
MIN_COPY_LENGTH = 6  # shorter values (a first name, a town) are only compared whole
_SPACE = re.compile(r"\s+")


def check_withholding(data: dict) -> Iterator[Problem]:
    """Problems with ``data["withheld"]``; expects a schema-valid bundle whose paths exist."""
    entries = data.get("withheld", [])
    valid = True
    for index, entry in enumerate(entries):
        where = f"withheld[{index}]"
        reason = _cannot_withhold(entry["path"])
        if reason:
            valid = False
            yield Problem(f"{where}.path", f"'{entry['path']}' cannot be withheld: {reason}")
            continue
        owner, field = owner_of(data, entry["path"])
        if owner in entry["withheld_from"] and (field is None or field in OWN_FIELDS):
            valid = False
            position = entry["withheld_from"].index(owner)
            yield Problem(
                f"{where}.withheld_from[{position}]",
                f"'{owner}' cannot have their own details withheld from them; their letters are "
                "addressed with them.",
            )
    if valid and entries:
        yield from _copies(data)


def _field_at(parts: list) -> tuple[fields.Field | None, bool]:
    """The schema field validating the value at a path's ``parts``, and whether it is a list item."""
    return _field_of_shape(tuple(0 if isinstance(step, int) else step for step in parts))


@lru_cache(maxsize=1024)
def _field_of_shape(parts: tuple) -> tuple[fields.Field | None, bool]:
    field = None
    schema = _SCHEMA
    in_list = False
    for step in parts:
        if isinstance(step, int):
            in_list = True
            field = field.inner if isinstance(field, fields.List) else None
        else:
            field = schema.fields.get(step) if schema is not None else None
            in_list = False
        if field is None:
            return None, False
        schema = field.schema if isinstance(field, fields.Nested) else None
    return field, in_list


def _cannot_withhold(path: str) -> str | None:
    """Why the value at ``path`` cannot be withheld, or None when it can."""
    parts = steps(path)
    if parts[0] in ("case", "authority", "schema_version", "documents_requested", "withheld"):
        return "it is part of the case's own details, which every document needs."
    field, in_list = _field_at(parts)
    if field is None:
        return "no such value."
    is_person = len(parts) == 2 and parts[0] in PEOPLE_LISTS
    if isinstance(field, fields.Nested):
        if is_person or isinstance(field.schema, (AddressSchema, VenueSchema)):
            return None
        return "it is a whole section; withhold the values in it instead."
    if isinstance(field, fields.List):
        inner = field.inner
        if isinstance(inner, fields.String) and not _is_code_or_id(inner):
            return None
        return "it is a list docgen works through; withhold the values in it instead."
    if isinstance(field, fields.Boolean):
        return "it is a yes/no flag docgen works with, not a value documents print."
    if isinstance(field, (fields.Date, fields.DateTime)):
        return "it is one of a list of dates docgen sorts; withhold the whole list." if in_list else None
    if isinstance(field, fields.String):
        if _is_code_or_id(field):
            return "it is an id, a reference to a person or a code docgen works with, not a value documents print."
        return None
    return "it is not a value documents print."


def _is_code_or_id(field: fields.Field) -> bool:
    return any(
        isinstance(rule, validate.OneOf) or (isinstance(rule, validate.Regexp) and rule.regex.pattern == _ID)
        for rule in field.validators
    )


# -- copies of a withheld value left showing -------------------------------------------------------


def _copies(data: dict) -> Iterator[Problem]:
    reported: set[tuple[str, str]] = set()
    leaves = [(path, _normal(text)) for path, text in _strings(data, "")]
    seen: set[tuple[int, ...]] = set()
    for audience in _audiences(data):
        chosen = entries_for(data, audience)
        key = tuple(sorted(id(e) for e in chosen if "withheld_from" in e))
        if not chosen or (key, len(chosen)) in seen:
            continue
        seen.add((key, len(chosen)))
        hidden = [entry["path"] for entry in chosen] + _own_details(data, audience)
        shown = [(path, text) for path, text in leaves if not any(_within(path, h) for h in hidden)]
        for entry in chosen:
            needles = [_normal(n) for n in _needles(resolve_path(data, entry["path"]), entry["path"])]
            for path, text in shown:
                if (path, entry["path"]) not in reported and any(_shows(text, n) for n in needles):
                    reported.add((path, entry["path"]))
                    yield Problem(
                        path,
                        f"This repeats {entry['path']}, which is withheld from "
                        f"{_readers(entry['withheld_from'])}; withhold it here too, from the same people.",
                    )


def _audiences(data: dict) -> list[Audience]:
    groups = people_groups(data)
    people = [Audience(pid, kind) for pid, kind in groups.items() if pid not in _children(data)]
    return people + [Audience(kind="family"), Audience(kind="agency"), Audience(kind="all")]


def _children(data: dict) -> set[str]:
    return {child["id"] for child in data.get("children", [])}


def _own_details(data: dict, audience: Audience) -> list[str]:
    """Paths of a reader's own details: they know them, so a copy there tells them nothing."""
    for group in PEOPLE_LISTS:
        for index, person in enumerate(data.get(group, [])):
            if person["id"] == audience.person_id:
                return [f"{group}[{index}].{key}" for key in OWN_FIELDS]
    return []


def _readers(withheld_from: list[str]) -> str:
    names = [{"family": "the family", "professionals": "professionals"}.get(w, f"'{w}'") for w in withheld_from]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _strings(value, path: str) -> Iterator[tuple[str, str]]:
    """Every printed string in the bundle with its path (ids, references and codes left out)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key != "withheld":
                yield from _strings(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")
    elif isinstance(value, str):
        field, _ = _field_at(steps(path))
        if field is None or not _is_code_or_id(field):
            yield path, value


# What of a person's record would identify them if seen elsewhere (besides name and address).
_PERSON_NEEDLES = ("preferred_name", "phone", "email", "nhs_number", "upn", "la_child_id", "school", "notes", "views")
# Values that identify no one on their own: a title, a role, a town on an address's later line.
_NOT_IDENTIFYING = ("title", "relationship", "role", "agency", "frequency")


def _needles(value, path: str) -> list[str]:
    """What of the withheld value at ``path`` would identify it if seen elsewhere."""
    parts = steps(path)
    if parts[-1] in _NOT_IDENTIFYING or (len(parts) >= 2 and parts[-2] == "lines" and parts[-1] != 0):
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        items = [item for item in value if isinstance(item, str)]
        return items[:1] if parts[-1] == "lines" else items
    if not isinstance(value, dict):
        return []  # a date alone is not compared: another date may fall on the same day
    if "lines" in value and "postcode" in value:  # an address: its first line and postcode
        return [value["lines"][0], value["postcode"]]
    if "first_name" in value:  # a person
        needles = [f"{value['first_name']} {value['last_name']}"]
        needles += [value[key] for key in _PERSON_NEEDLES if isinstance(value.get(key), str)]
        return needles + (_needles(value["address"], f"{path}.address") if "address" in value else [])
    return [n for key, item in value.items() for n in _needles(item, f"{path}.{key}")]  # a venue


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text).strip().casefold()


def _shows(text: str, needle: str) -> bool:
    """Whether normalised ``text`` shows normalised ``needle``: all of it, or (for a long enough
    needle) as words within it."""
    if not needle or needle not in text:
        return False
    if text == needle:
        return True
    return len(needle) >= MIN_COPY_LENGTH and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", text) is not None


def _within(path: str, ancestor: str) -> bool:
    return path == ancestor or path.startswith((f"{ancestor}.", f"{ancestor}["))
