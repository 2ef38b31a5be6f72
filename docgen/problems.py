"""A validation problem: where it is (a JSON path like ``children[0].date_of_birth``) and what."""

from __future__ import annotations

import difflib

from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    severity: str = ERROR

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self, source: str | None = None) -> str:
        where = ": ".join(p for p in (source, self.path) if p)
        return f"{where}: {self.severity}: {self.message}" if where else self.message


def did_you_mean(name: str, known) -> str:
    """" Did you mean 'x'?" for the known name closest to ``name``, or "" when none is close."""
    guess = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" Did you mean '{guess[0]}'?" if guess else ""


def join_path(path: str, key: object) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if key == "_schema":
        return path
    return f"{path}.{key}" if path else str(key)


def from_marshmallow(messages: dict, schema) -> list[Problem]:
    """Flatten marshmallow's nested error dict into problems, suggesting names for unknown keys."""
    problems: list[Problem] = []
    _flatten(messages, schema, None, "", problems)
    return problems


def _flatten(messages, schema, owner, path: str, out: list[Problem]) -> None:
    """``schema`` validates the value at ``path``; ``owner`` is the schema holding its key."""
    if isinstance(messages, list):
        for message in messages:
            if isinstance(message, dict):
                _flatten(message, schema, owner, path, out)
            else:
                out.append(Problem(path, _plain(message, path, owner)))
        return
    for key, value in messages.items():
        if key == "_schema":
            _flatten(value, schema, owner, path, out)
        elif isinstance(key, int):
            _flatten(value, schema, owner, join_path(path, key), out)
        else:
            _flatten(value, _nested_schema(schema, key), schema, join_path(path, key), out)


def _nested_schema(schema, key: str):
    """The schema that validates ``key`` inside ``schema``, looking through lists."""
    field = getattr(schema, "fields", {}).get(key)
    while field is not None and hasattr(field, "inner"):
        field = field.inner
    return getattr(field, "schema", None) if field is not None else None


def _plain(message: str, path: str, owner) -> str:
    if message == "Unknown field.":
        key = path.rsplit(".", 1)[-1]
        return f"Unknown key '{key}'.{did_you_mean(key, getattr(owner, 'fields', {}))}"
    if message == "Missing data for required field.":
        return "This field is required."
    if message == "Field may not be null.":
        return "Expected a value but received: null."
    if message.startswith("Not a valid date."):
        return "Expected a date like 2026-11-22."
    if message.startswith("Not a valid datetime."):
        return "Expected a date and time like 2026-11-22T10:30."
    if message == "Not a valid string.":
        return "Expected text."
    if message == "Not a valid list.":
        return "Expected a list."
    if message == "Invalid input type.":
        return "Expected an object."
    return message
