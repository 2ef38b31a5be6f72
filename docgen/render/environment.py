"""The Jinja environment every template renders in: sandboxed, strict and autoescaped.

- Sandboxed (immutable): templates cannot reach Python internals (``__globals__``,
  ``|attr('__class__')``) or change the bundle; trying is a SecurityError, not a missing field.
- Strict: a field the bundle lacks raises :class:`MissingField` naming it, never a blank.
- Autoescaped: ``&``, ``<`` and quotes in values come out as themselves in the Word XML; the
  filters that would let a value through as markup (``safe``, ``urlize``, ``xmlattr``) are gone.
- Bounded (:mod:`docgen.render.limits`): every way of building a large value is checked before
  it is built, and ``docgen.render.engine`` stops output past a size limit and rendering past a
  time limit, in any thread.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from jinja2 import StrictUndefined, Undefined, nodes
from jinja2.utils import missing
from jinja2.exceptions import UndefinedError
from markupsafe import Markup, escape

from docgen.view.dates import add_working_days, display
from docgen.view.context import join_names
from docgen.render import wellformed
from docgen.render.limits import MAX_VALUE_LENGTH, BoundedSandbox  # noqa: F401 (re-exported)


class FieldUndefined(StrictUndefined):
    """Fails on any use, with an error that names the missing field."""

    __slots__ = ()

    def _fail_with_undefined_error(self, *args, **kwargs):
        if self._undefined_exception is not UndefinedError:  # the sandbox refusing an attribute
            raise self._undefined_exception(self._undefined_message)
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


class _ValuesThroughFinalize(BoundedSandbox.code_generator_class):
    """Every value is printed at run time through :func:`escape_value` alone.

    Jinja works out a constant value (``{{ "a" ~ "b" }}``) while compiling and prints it
    without ``finalize``: here it is printed at run time, where :mod:`docgen.render.wellformed`
    sees it. And Jinja escapes what ``finalize`` returns; escape_value has escaped it already,
    so that second call (half the cost of printing a value) is left out."""

    def _output_child_to_const(self, node, frame, finalize):
        if not isinstance(node, nodes.TemplateData):
            raise nodes.Impossible()
        return super()._output_child_to_const(node, frame, finalize)

    def _output_child_pre(self, node, frame, finalize) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_pre(node, frame, finalize)  # {% autoescape %} blocks: Jinja's own way
        else:
            self.write(finalize.src)

    def _output_child_post(self, node, frame, finalize) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_post(node, frame, finalize)
        else:
            self.write(")")


_DICT_ATTRIBUTES = frozenset(dir(dict))


class DocgenSandbox(BoundedSandbox):
    """The sandbox docgen's templates render in (see the module doc)."""

    code_generator_class = _ValuesThroughFinalize

    def getattr(self, obj, attribute):
        """``person.name`` on a plain dict: its item, as Jinja's own lookup gives it, without
        first failing to find a Python attribute of that name (an exception for every field a
        template prints). A name dict has as an attribute (``items``) takes Jinja's way."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def format_date(value, pattern: str | None = None) -> str:
    """``{{ d|date }}`` → "22 November 2026"; ``{{ d|date('%d/%m/%Y') }}`` for forms."""
    if not isinstance(value, date):
        return str(value)
    return value.strftime(pattern) if pattern else str(display(value))


def format_time(value) -> str:
    return display(value).time_text if isinstance(value, datetime) else str(value)


# docxtpl reads `{_{`, `}_}`, `{_%` and `%_}` in a filled document as a template's way of writing
# a literal tag, and turns them into `{{`, `}}`, ... after filling; in a value they are data.
_DOCXTPL_LITERAL = re.compile(r"(?<=[{}%])_(?=[{}%])")


def escape_value(value) -> Markup:
    """A value as Word XML: escaped, with an underscore between braces written as ``&#95;`` so
    that docxtpl's literal-tag step leaves it as given (``Ann }_} Smith`` stays so). Every value
    printed passes here, and :mod:`docgen.render.wellformed` is told what it printed as."""
    text = escape(value)
    if "_" in text:
        text = Markup(_DOCXTPL_LITERAL.sub("&#95;", text))
    if not text.isprintable() or hasattr(value, "__html__"):  # most values are neither
        wellformed.value_printed(value, text)
    return text


def working_days(value, days: int):
    """``{{ issue_date|working_days(5) }}``: skips weekends and England and Wales bank holidays."""
    return add_working_days(value, days)


def tick(value) -> str:
    """✓ for yes, ✗ for no, blank when not known."""
    return {True: "✓", False: "✗"}.get(value, "")


def make_environment() -> DocgenSandbox:
    env = DocgenSandbox(
        autoescape=True, finalize=escape_value, undefined=FieldUndefined, keep_trailing_newline=True
    )
    env.filters.update(
        date=format_date, time=format_time, working_days=working_days, tick=tick, names=join_names
    )
    env.bound_filters()
    return env


def is_undefined(value) -> bool:
    return isinstance(value, Undefined)
