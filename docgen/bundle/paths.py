"""Bundle paths like ``family_members[1].address``: the one notation for errors and withholding."""

from __future__ import annotations

import re

_STEP = re.compile(r"([a-z_]+)((?:\[\d+\])*)")


def steps(path: str) -> list[str | int]:
    out: list[str | int] = []
    for part in path.split("."):
        match = _STEP.fullmatch(part)
        if not match:
            raise LookupError(path)
        out.append(match.group(1))
        out.extend(int(i) for i in re.findall(r"\[(\d+)\]", match.group(2)))
    return out


def resolve_path(data: object, path: str) -> object:
    """The value at ``path``; LookupError when nothing is there."""
    value = data
    for step in steps(path):
        try:
            value = value[step]  # type: ignore[index]
        except (KeyError, IndexError, TypeError) as e:
            raise LookupError(path) from e
    return value
