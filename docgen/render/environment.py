"""The Jinja environment every template renders in: sandboxed, strict and autoescaped.

- Sandboxed (immutable): templates cannot reach Python internals (``__globals__``,
  ``|attr('__class__')``) or change the bundle.
- Strict: a field the bundle lacks raises :class:`MissingField` naming it, never a blank.
- Autoescaped: ``&``, ``<`` and quotes in values come out as themselves in the Word XML.
- Bounded: string and list arithmetic that would build huge values is refused, and
  ``docgen.render.engine`` stops output past a size limit and rendering past a time limit.
"""

from __future__ import annotations

import operator
from datetime import date, datetime

from jinja2 import StrictUndefined, Undefined
from jinja2.utils import missing
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from docgen.render.dates import add_working_days, display
from docgen.render.context import join_names

MAX_VALUE_LENGTH = 1_000_000  # characters or items one expression may build


class FieldUndefined(StrictUndefined):
    """Fails on any use, with an error that names the missing field."""

    __slots__ = ()

    def _fail_with_undefined_error(self, *args, **kwargs):
        raise UndefinedError(f"{self._undefined_name}")

    # StrictUndefined binds its own method to these names; rebind them to ours.
    __str__ = __iter__ = __len__ = __eq__ = __ne__ = __hash__ = __html__ = (
        _fail_with_undefined_error
    )
    __add__ = __radd__ = __mul__ = __rmul__ = __lt__ = __le__ = __gt__ = __ge__ = (
        _fail_with_undefined_error
    )

    def __bool__(self) -> bool:
        """An optional field that is absent tests false; an unknown top-level name fails."""
        if self._undefined_obj is missing:
            self._fail_with_undefined_error()
        return False

    def __getattr__(self, name: str):
        if name[:2] == "__":
            raise AttributeError(name)
        return self._fail_with_undefined_error()


class DocgenSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset(["*", "**", "+"])

    def call_binop(self, context, operator_name, left, right):
        result_size = _projected_size(operator_name, left, right)
        if result_size > MAX_VALUE_LENGTH:
            raise SecurityError(
                f"'{operator_name}' would build a value of {result_size:,} items; "
                f"the limit is {MAX_VALUE_LENGTH:,}"
            )
        return {"*": operator.mul, "**": operator.pow, "+": operator.add}[operator_name](left, right)


def _projected_size(op: str, left, right) -> int:
    if op == "*":
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(count, int):
                return len(seq) * max(count, 0)
    if op == "**" and isinstance(left, int) and isinstance(right, int):
        # Digits of left**right; huge exponents would take minutes to compute.
        return int(abs(right) * max(abs(left), 2).bit_length() * 0.302)
    if op == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
        return len(left) + len(right)
    return 0


def format_date(value, pattern: str | None = None) -> str:
    """``{{ d|date }}`` → "22 November 2026"; ``{{ d|date('%d/%m/%Y') }}`` for forms."""
    if not isinstance(value, date):
        return str(value)
    return value.strftime(pattern) if pattern else str(display(value))


def format_time(value) -> str:
    return display(value).time_text if isinstance(value, datetime) else str(value)


def working_days(value, days: int):
    """``{{ issue_date|working_days(5) }}``: skips weekends and England and Wales bank holidays."""
    return add_working_days(value, days)


def tick(value) -> str:
    """✓ for yes, ✗ for no, blank when not known."""
    return {True: "✓", False: "✗"}.get(value, "")


def make_environment() -> DocgenSandbox:
    env = DocgenSandbox(autoescape=True, undefined=FieldUndefined, keep_trailing_newline=True)
    env.filters.update(
        date=format_date, time=format_time, working_days=working_days, tick=tick, names=join_names
    )
    return env


def is_undefined(value) -> bool:
    return isinstance(value, Undefined)
