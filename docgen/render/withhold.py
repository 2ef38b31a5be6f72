"""Withholding: values a bundle marks confidential never reach the people they are kept from.

A bundle's ``withheld`` entries name a path (``family_members[1].address``) and who it is
withheld from: person ids, ``family`` or ``professionals``. Before a document is rendered, each
withheld value is swapped for a :class:`Withheld` marker, so no template, however written, can
print it: the marker prints as the authority's wording ("withheld"), is falsy, and every
attribute or item of it is the marker again.
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


def apply_withholding(data: dict, audience: Audience, label: str) -> dict:
    """A copy of ``data`` with every value withheld from ``audience`` replaced by a marker."""
    entries = data.get("withheld", [])
    groups = people_groups(data)
    chosen = [e for e in entries if audience.is_excluded_by(e["withheld_from"], groups)]
    if not chosen:
        return data
    result = copy.deepcopy(data)
    for entry in chosen:
        *parents, last = steps(entry["path"])
        target = result
        for step in parents:
            target = target[step]
        target[last] = Withheld(label)
    return result
