"""Reading a case bundle: from a file or standard input, as UTF-8 JSON, within a size limit.

Everything here fails before validation starts: a missing or unreadable file, bytes that are
not UTF-8 or a file over the limit are usage errors (exit 2); JSON that does not parse, repeats
a key, nests deeper than any bundle needs, holds NaN/Infinity or a number too long to read, or
has a key with control characters in it, is an invalid bundle (exit 1).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from docgen.exceptions import BundleInvalid, InputError
from docgen.problems import Problem

MAX_BUNDLE_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 32  # a bundle nests about 6 deep; json and the checks after it recurse
MAX_NUMBER_DIGITS = 20
STDIN = "-"

# A string (possessive, so an unclosed one costs one pass, not one per quote) or a bracket.
_TOKEN = re.compile(r'"(?:[^"\\]++|\\.)*+"?|[\[\]{}]', re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class RawBundle:
    """A bundle's parsed JSON, with the name of where it came from."""

    source: str
    data: object


class _Object(dict):
    """A JSON object that remembers keys the document gave more than once."""

    repeated: tuple[str, ...] = ()


def _keep_repeats(pairs: list[tuple[str, object]]) -> _Object:
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        obj.repeated = tuple(k for k, _ in pairs if k in seen or seen.add(k))
    return obj


def read_text(source: str | Path, *, stdin=None, max_bytes: int = MAX_BUNDLE_BYTES) -> str:
    """The bundle's text; ``source`` is a path or ``-`` for standard input."""
    name = "<stdin>" if str(source) == STDIN else str(source)
    try:
        if str(source) == STDIN:
            stream = stdin if stdin is not None else sys.stdin.buffer
            raw = stream.read(max_bytes + 1)
        else:
            path = Path(source)
            if path.is_dir():
                raise InputError("Expected a bundle file but this is a folder.", source=name)
            with path.open("rb") as handle:
                raw = handle.read(max_bytes + 1)
    except FileNotFoundError as e:
        raise InputError("File not found.", source=name) from e
    except PermissionError as e:
        raise InputError("Permission denied: the file cannot be read.", source=name) from e
    except OSError as e:
        raise InputError(f"The file cannot be read ({e.strerror}).", source=name) from e
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if len(raw) > max_bytes:
        raise InputError(
            f"The bundle is larger than the {max_bytes // (1024 * 1024)} MiB limit.", source=name
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(
            f"The file is not UTF-8 text (byte {e.start} cannot be read); save it as UTF-8.",
            source=name,
        ) from e


def parse(text: str, source: str) -> RawBundle:
    """Parse JSON text; syntax errors and repeated keys become an invalid bundle."""
    if not text.strip():
        raise _invalid(source, Problem("", "The file is empty; expected a JSON object."))
    if _too_deep(text):
        raise _invalid(source, Problem("", f"The JSON is nested too deeply (more than {MAX_DEPTH} levels)."))
    flagged: list[_Object] = []  # objects with a repeated key or a key holding control characters

    def keep_repeats(pairs: list[tuple[str, object]]) -> _Object:
        obj = _keep_repeats(pairs)
        if obj.repeated or _CONTROL.search("".join(obj)):
            flagged.append(obj)
        return obj

    try:
        data = json.loads(
            text, object_pairs_hook=keep_repeats, parse_constant=_no_constant, parse_int=_int
        )
    except json.JSONDecodeError as e:
        problem = Problem("", f"Malformed JSON at line {e.lineno}, column {e.colno}: {e.msg}.")
        raise _invalid(source, problem) from e
    except _NotJson as e:
        raise _invalid(source, Problem("", str(e))) from e
    except RecursionError as e:
        raise _invalid(source, Problem("", "The JSON is nested too deeply.")) from e
    # Walking every key for its path costs more than the parse: only when one is repeated or
    # holds a control character. Keys are checked as the parser makes each object (decoded, so
    # escaped ones count), not the text, whose newlines would make every pretty-printed bundle walk.
    if not flagged:
        return RawBundle(source=source, data=data)
    repeats = list(_key_problems(data, ""))
    if repeats:
        raise _invalid(source, *repeats)
    return RawBundle(source=source, data=data)


def content_sha256(data: object) -> str:
    """The SHA-256 of a bundle's content: its JSON with keys sorted and no spaces, so the same
    bundle pretty-printed, on one line of a JSON Lines file or on standard input hashes alike."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def load(source: str | Path, *, stdin=None) -> RawBundle:
    """Read and parse one bundle (no validation yet)."""
    name = "<stdin>" if str(source) == STDIN else str(source)
    return parse(read_text(source, stdin=stdin), name)


class _NotJson(ValueError):
    """Raised while parsing for values Python's json reads but JSON does not allow."""


def _no_constant(name: str):
    raise _NotJson(f"{name} is not a JSON value; write a number, or leave the key out.")


def _int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _NotJson(f"A number has more than {MAX_NUMBER_DIGITS} digits.")
    return int(digits)


def _too_deep(text: str) -> bool:
    """Whether arrays and objects nest past MAX_DEPTH, counted without recursing."""
    depth = 0
    for token in _TOKEN.finditer(text):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif bracket in ("]", "}"):
            depth -= 1
    return False


def _key_problems(value: object, path: str):
    if isinstance(value, _Object):
        for key in value.repeated:
            yield Problem(_join(path, _shown(key)), "This key is given more than once.")
        for key, item in value.items():
            if _CONTROL.search(key):
                yield Problem(_join(path, _shown(key)), "A key holds control characters.")
            else:
                yield from _key_problems(item, _join(path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _key_problems(item, f"{path}[{index}]")


def _shown(key: str) -> str:
    """A key as it can be printed safely: control characters escaped (no terminal tricks)."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", key)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _invalid(source: str, *problems: Problem) -> BundleInvalid:
    return BundleInvalid(problems[0].message, source=source, path=problems[0].path or None,
                         problems=list(problems))
