"""Withholding: values a bundle marks confidential never reach the people they are kept from.

A bundle's ``withheld`` entries name a path (``family_members[1].address``) and who it is
withheld from: person ids, ``family`` or ``professionals``. Before a document is rendered, each
withheld value is swapped for a :class:`Withheld` marker, so no template, however written, can
print it: the marker prints as the authority's wording ("withheld"), is falsy, and every
attribute or item of it is the marker again.

Who reads a document: its recipient, or for a shared document every reader of its audience
("family" documents withhold what is withheld from any family member, "all" from anyone,
"internal" nothing). A person's own name, date of birth and contact details are never withheld
from that person when the entry names a group ("family"): mum's letter keeps her own address
when it is withheld from the family; what professionals wrote about her (notes) stays withheld.
What can be withheld, and copies of a withheld value left elsewhere in the bundle, are checked
when the bundle is validated (:mod:`docgen.validate.withholding`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from docgen.bundle.paths import steps


class Withheld:
    """Stands in for a confidential value in a document for someone it is withheld from."""

    __slots__ = ("label",)

    def __init__(self, label: str) -> None:
        self.label = label

    def __str__(self) -> str:
        return self.label

    def __html__(self) -> str:
        return self.label

    def __bool__(self) -> bool:
        return False

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0

    def __getattr__(self, name: str) -> Withheld:
        if name.startswith("__"):
            raise AttributeError(name)
        return self

    def __getitem__(self, key: object) -> Withheld:
        return self

    def __repr__(self) -> str:
        return f"Withheld({self.label!r})"


class WithheldRecord(Withheld):
    """Stands in for a whole person: prints and behaves as :class:`Withheld`, but keeps the id
    the rest of the bundle refers to them by (the id is not personal data)."""

    __slots__ = ("record_id",)

    def __init__(self, label: str, record_id: str) -> None:
        super().__init__(label)
        self.record_id = record_id


class WithheldPerson(dict):
    """A withheld person as templates see them: every field is the marker (never a missing field)."""

    def __init__(self, marker: WithheldRecord, group: str) -> None:
        super().__init__(
            id=marker.record_id, group=group, name=marker, formal_name=marker,
            salutation="Dear Sir or Madam",
        )
        self.marker = marker

    def __missing__(self, key: str) -> Withheld:
        return self.marker


PEOPLE_LISTS = ("children", "family_members", "professionals")
# A person's own details, never withheld from them by a group entry ("family"); and what others
# wrote about them, which stays withheld from them when their whole record is.
OWN_FIELDS = frozenset(
    {"title", "first_name", "last_name", "preferred_name", "date_of_birth", "address", "phone", "email"}
)
ABOUT_FIELDS = ("notes", "views")


@dataclass(frozen=True)
class Audience:
    """Who will read a document: one person, or a class of readers for a shared document."""

    person_id: str | None = None
    kind: str = "all"  # "family", "agency", "all" (everyone) or "internal" (the case record)

    def is_excluded_by(self, withheld_from: list[str], groups: dict[str, str]) -> bool:
        if self.kind == "internal":
            return False
        if self.person_id is not None:
            return self.person_id in withheld_from or _group_of(self.kind) in withheld_from
        # A shared document withholds what is withheld from any reader of its kind.
        readers = {"family": {"family"}, "agency": {"professionals"}}.get(
            self.kind, {"family", "professionals"}
        )
        return any(who in readers or _group_of(groups.get(who, "")) in readers for who in withheld_from)


def _group_of(kind: str) -> str:
    return {"family": "family", "agency": "professionals"}.get(kind, kind)


def people_groups(data: dict) -> dict[str, str]:
    """Each person id's kind of reader: children and family are "family", professionals "agency"."""
    groups = {p["id"]: "family" for p in data.get("children", []) + data.get("family_members", [])}
    groups.update({p["id"]: "agency" for p in data.get("professionals", [])})
    return groups


def owner_of(data: dict, path: str) -> tuple[str | None, str | None]:
    """Whose record ``path`` is in (their id), and the field of it (None for the whole record)."""
    parts = steps(path)
    if len(parts) >= 2 and parts[0] in PEOPLE_LISTS and isinstance(parts[1], int):
        people = data.get(parts[0], [])
        if parts[1] < len(people):
            return people[parts[1]]["id"], (parts[2] if len(parts) > 2 else None)
    return None, None


def entries_for(data: dict, audience: Audience) -> list[dict]:
    """The ``withheld`` entries that apply to ``audience``, a person's own details left out."""
    groups = people_groups(data)
    chosen = []
    for entry in data.get("withheld", []):
        if not audience.is_excluded_by(entry["withheld_from"], groups):
            continue
        owner, field = owner_of(data, entry["path"])
        if owner is not None and owner == audience.person_id and owner not in entry["withheld_from"]:
            if field is None:  # their whole record: they keep their own details, not notes about them
                record = steps(entry["path"])[:2]
                chosen += [
                    dict(entry, path=f"{record[0]}[{record[1]}].{key}")
                    for key in ABOUT_FIELDS
                    if key in data[record[0]][record[1]]
                ]
            elif field not in OWN_FIELDS:
                chosen.append(entry)
            continue
        chosen.append(entry)
    return chosen


def apply_withholding(data: dict, audience: Audience, label: str) -> dict:
    """A copy of ``data`` with every value withheld from ``audience`` replaced by a marker."""
    return withhold(data, entries_for(data, audience), label)


def withhold(data: dict, chosen: list[dict], label: str) -> dict:
    """``data`` with the value at each of the ``chosen`` entries' paths replaced by a marker.
    Only the dicts and lists on those paths are copied; the rest is shared with ``data``, which
    is left as it was (templates render in an immutable sandbox and cannot change either)."""
    if not chosen:
        return data
    result = copy.copy(data)
    copies = {id(result)}
    # Deepest first, so withholding a part and then its whole never reaches into a marker.
    for entry in sorted(chosen, key=lambda e: len(steps(e["path"])), reverse=True):
        *parents, last = steps(entry["path"])
        target = result
        for step in parents:
            child = target[step]
            if id(child) not in copies:
                child = target[step] = copy.copy(child)
                copies.add(id(child))
            target = child
        value = target[last]
        is_person = len(parents) == 1 and parents[0] in PEOPLE_LISTS and isinstance(value, dict)
        target[last] = WithheldRecord(label, value["id"]) if is_person else Withheld(label)
    return result
