"""Per-document limits on rendering: a deadline that holds in any thread, and a size budget.

- :func:`deadline` stops a render that runs too long; :func:`time_budget` makes several renders
  share one allowance (a document's copies for all its recipients, a ``templates check`` run,
  a batch record), so a slow template cannot take the limit once per copy. ``SIGALRM`` only reaches the main thread,
  so one watchdog thread serves every render instead: when a render's time is up it raises
  :class:`Overtime` in the rendering thread (``PyThreadState_SetAsyncExc``), again every half
  second until the render ends. Python delivers it between bytecodes, so loops, recursion and
  filters written in Python stop; a single long call into C cannot be interrupted, which is why
  the sizes below are checked before such calls are made.
- :class:`BoundedSandbox` checks, before building it, every value an expression would build with
  ``*``, ``**``, ``+``, ``%``, ``~``, string methods (``center``, ``ljust``, ``replace``,
  ``format``...) and size-taking filters: no value over MAX_VALUE_LENGTH, and no more than
  MAX_BUILT_CHARS built in one document (:func:`budget`). Numbers given to a filter are capped
  too (``slice(10**9)``), ``range`` past the sandbox's MAX_RANGE is a SecurityError, and the
  filters that turn data into markup (``safe``, ``urlize``, ``xmlattr``) and ``lipsum`` are gone.
"""

from __future__ import annotations

import ctypes
import heapq
import itertools
import math
import re
import string
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from jinja2.compiler import CodeGenerator
from jinja2.exceptions import SecurityError
from jinja2.runtime import markup_join, str_join
from jinja2.sandbox import MAX_RANGE, ImmutableSandboxedEnvironment

MAX_VALUE_LENGTH = 1_000_000  # characters or items one expression may build
MAX_BUILT_CHARS = 50_000_000  # characters all expressions of one document may build
REPEAT_SECONDS = 0.5  # how often an overrunning render is reminded to stop

_REMOVED_FILTERS = ("safe", "urlize", "xmlattr")
_FORMAT_NUMBER = re.compile(r"\d+")
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


# -- the deadline ------------------------------------------------------------------------------


class Overtime(BaseException):
    """Raised inside a rendering thread whose time is up. A BaseException, so no ``except
    Exception`` in Jinja, docxtpl or a template filter can swallow it."""


class _Ticket:
    __slots__ = ("thread_id", "due", "fired", "done")

    def __init__(self, thread_id: int, due: float) -> None:
        self.thread_id = thread_id
        self.due = due
        self.fired = False
        self.done = False


class _Watchdog:
    """One daemon thread that stops renders past their deadline, in whatever thread they run.

    A render that starts or ends does not wake the thread: it sleeps until the earliest
    deadline it knows of, and is woken only by a render due before that. Renders end in the
    order they start, mostly, so ended ones are taken off the front of the queue as they end."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._queue: list[tuple[float, int, _Ticket]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._wakes_at = math.inf  # when the thread will next look at the queue by itself

    def start(self, seconds: float) -> _Ticket:
        ticket = _Ticket(threading.get_ident(), time.monotonic() + seconds)
        with self._lock:
            heapq.heappush(self._queue, (ticket.due, next(self._order), ticket))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="docgen-render-watchdog", daemon=True)
                self._thread.start()
            elif ticket.due < self._wakes_at:
                self._lock.notify()
        return ticket

    def stop(self, ticket: _Ticket) -> None:
        """End the ticket; once this returns no Overtime is pending or will come for it."""
        while True:
            try:
                with self._lock:
                    ticket.done = True
                    if ticket.fired:
                        _raise_in(ticket.thread_id, None)  # withdraw one not yet delivered
                    self._drop_ended()
                return
            except Overtime:
                continue  # delivered while stopping; it is spent, so finish stopping

    def _drop_ended(self) -> None:
        while self._queue and self._queue[0][2].done:
            heapq.heappop(self._queue)

    def _run(self) -> None:
        while True:
            with self._lock:
                self._drop_ended()
                if not self._queue:
                    self._wakes_at = math.inf
                    self._lock.wait()
                    continue
                due, _, ticket = self._queue[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self._wakes_at = due
                    self._lock.wait(wait)
                    continue
                heapq.heappop(self._queue)
                ticket.fired = True
                _raise_in(ticket.thread_id, Overtime)
                ticket.due = time.monotonic() + REPEAT_SECONDS
                heapq.heappush(self._queue, (ticket.due, next(self._order), ticket))


def _raise_in(thread_id: int, exception: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exception) if exception else ctypes.c_void_p(0)
    )


_WATCHDOG = _Watchdog()


@contextmanager
def deadline(seconds: float, on_overtime) -> Iterator[None]:
    """Run the block for at most ``seconds``; past that, raise ``on_overtime()`` instead."""
    ticket = _WATCHDOG.start(seconds)
    try:
        try:
            yield
        finally:
            _WATCHDOG.stop(ticket)
    except Overtime:
        raise on_overtime() from None


class _TimeBudget:
    __slots__ = ("left",)

    def __init__(self, seconds: float) -> None:
        self.left = seconds


_TIME_BUDGET: ContextVar[_TimeBudget | None] = ContextVar("docgen_render_time", default=None)


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Let every render in the block share ``seconds`` of rendering time. Inside an enclosing
    budget this one adds nothing: the outermost (a check run, a batch record) is the one that
    counts."""
    if _TIME_BUDGET.get() is not None:
        yield
        return
    token = _TIME_BUDGET.set(_TimeBudget(seconds))
    try:
        yield
    finally:
        _TIME_BUDGET.reset(token)


@contextmanager
def render_deadline(seconds: float, on_overtime, on_spent) -> Iterator[None]:
    """:func:`deadline` for one render: ``seconds``, or what is left of the enclosing
    :func:`time_budget` when that is less; spent time is taken from the budget. A render that
    finds the budget already spent does not start: ``on_spent()`` is raised."""
    shared = _TIME_BUDGET.get()
    if shared is None:
        with deadline(seconds, on_overtime):
            yield
        return
    if shared.left <= 0:
        raise on_spent()
    started = time.monotonic()
    try:
        with deadline(min(seconds, shared.left), on_overtime):
            yield
    finally:
        shared.left -= time.monotonic() - started


# -- the size budget ---------------------------------------------------------------------------


class _Budget:
    __slots__ = ("left",)

    def __init__(self, chars: int) -> None:
        self.left = chars


_BUDGET: ContextVar[_Budget | None] = ContextVar("docgen_render_budget", default=None)


@contextmanager
def budget(chars: int = MAX_BUILT_CHARS) -> Iterator[None]:
    """Count the characters expressions build in the block (one document) against ``chars``."""
    token = _BUDGET.set(_Budget(chars))
    try:
        yield
    finally:
        _BUDGET.reset(token)


def charge(size: int, what: str, *, one_value: bool = True) -> None:
    """Refuse to build a value of ``size`` items, or one that would overspend the budget."""
    if one_value and size > MAX_VALUE_LENGTH:
        raise SecurityError(f"{what} would build a value of {size:,} items; the limit is {MAX_VALUE_LENGTH:,}")
    current = _BUDGET.get()
    if current is not None:
        current.left -= size
        if current.left < 0:
            raise SecurityError(f"the template built more than {MAX_BUILT_CHARS:,} characters of values")


def _length(value) -> int:
    try:
        return len(value)
    except TypeError:
        return len(str(value))


def _sized(value) -> bool:
    return isinstance(value, (str, list, tuple))


def _binop_size(op: str, left, right) -> int:
    if op == "*":
        for seq, count in ((left, right), (right, left)):
            if _sized(seq) and isinstance(count, int):
                return len(seq) * max(count, 0)
    if op == "**" and isinstance(left, int) and isinstance(right, int):
        # Digits of left**right; huge exponents would take minutes to compute.
        return int(abs(right) * max(abs(left), 2).bit_length() * 0.302)
    if op == "+" and _sized(left) and _sized(right):
        return len(left) + len(right)
    if op == "%" and isinstance(left, str):
        return len(left) + _widest(_PERCENT_SPEC.findall(left)) + _length(right)
    return 0


def _widest(specs) -> int:
    """The largest width or precision in format specs; ``*`` (taken from the data) is refused."""
    widest = 0
    for spec in specs:
        for number in spec if isinstance(spec, tuple) else (spec,):
            if number == "*":
                raise SecurityError("a width taken from the values ('*') is not allowed in a format")
            if number:
                widest = max(widest, int(number))
    return widest


def _format_size(template: str, args, kwargs) -> int:
    specs = []
    for _, field, spec, _ in string.Formatter().parse(template):
        if spec and "{" in spec:
            raise SecurityError("a width taken from the values is not allowed in a format")
        if spec:
            specs.extend(_FORMAT_NUMBER.findall(spec))
    values = list(args) + list(kwargs.values())
    return len(template) + _widest(specs) * (len(specs) or 1) + sum(_length(v) for v in values)


def _method_size(owner: str, name: str, args, kwargs) -> int:
    """How large the result of ``owner.name(*args)`` can be, for str methods that can grow."""
    if name in ("center", "ljust", "rjust", "zfill") and args and isinstance(args[0], int):
        return max(args[0], len(owner))
    if name == "expandtabs":
        size = args[0] if args else kwargs.get("tabsize", 8)
        return len(owner) * max(size if isinstance(size, int) else 8, 1)
    if name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        return _replace_size(owner, args[0], args[1])
    if name == "join" and isinstance(args[0] if args else None, (list, tuple)):
        items = args[0]
        return sum(_length(i) for i in items) + len(owner) * len(items)
    if name in ("format", "format_map"):
        return _format_size(owner, args, kwargs)
    return 0


def _replace_size(text: str, old: str, new: str) -> int:
    count = len(text) + 1 if not old else text.count(old)
    return len(text) + count * max(len(new) - len(old), 0)


# Filters whose result can be much larger than their input: the size before the call.
def _filter_size(name: str, args, kwargs) -> int:
    value = args[0] if args else ""
    rest = args[1:]
    if name == "center":
        width = rest[0] if rest else kwargs.get("width", 80)
        return max(width if isinstance(width, int) else 0, _length(value))
    if name == "indent":
        width = rest[0] if rest else kwargs.get("width", 4)
        per_line = width if isinstance(width, int) else _length(width)
        return _length(value) + per_line * (str(value).count("\n") + 1)
    if name == "replace":
        old, new = (list(rest) + [kwargs.get("old"), kwargs.get("new")])[:2]
        if isinstance(old, str) and isinstance(new, str):
            return _replace_size(str(value), old, new)
    if name == "format" and isinstance(value, str):
        return _binop_size("%", value, rest or kwargs)
    if name == "join" and isinstance(value, (list, tuple)):
        separator = rest[0] if rest else kwargs.get("d", "")
        return sum(_length(i) for i in value) + _length(separator) * len(value)
    if name == "wordwrap":
        return _length(value) * 2
    return 0


def _bounded_filter(name: str, function):
    takes_context = hasattr(function, "jinja_pass_arg")

    @wraps(function)
    def bounded(*args, **kwargs):
        plain = args[1:] if takes_context else args
        for number in list(plain[1:]) + list(kwargs.values()):
            if isinstance(number, int) and not isinstance(number, bool) and abs(number) > MAX_VALUE_LENGTH:
                raise SecurityError(f"the filter '{name}' was given {number:,}; the limit is {MAX_VALUE_LENGTH:,}")
        size = _filter_size(name, plain, kwargs)
        if size:
            charge(size, f"the filter '{name}'")
        result = function(*args, **kwargs)
        if isinstance(result, str) and not size:
            charge(len(result), f"the filter '{name}'")
        return result

    return bounded


def bounded_range(*args):
    """``range`` as the sandbox allows it, refusing past MAX_RANGE with a SecurityError."""
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise SecurityError(f"a range of {len(rng):,} items; the limit is {MAX_RANGE:,}")
    return rng


class _BoundedCodeGenerator(CodeGenerator):
    """Compiles ``a ~ b`` to a join that checks its size first."""

    def visit_Concat(self, node, frame) -> None:
        self.write("environment.bounded_concat(context, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with every way of building a large value checked first."""

    intercepted_binops = frozenset(["*", "**", "+", "%"])
    code_generator_class = _BoundedCodeGenerator

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in _REMOVED_FILTERS:
            self.filters.pop(name, None)
        self.globals.pop("lipsum", None)
        self.globals["range"] = bounded_range
        self.concat = self.bounded_join  # block captures: {% set x %}...{% endset %}, macros

    def bound_filters(self) -> None:
        """Wrap every filter registered so far (call after adding the environment's own)."""
        for name, function in list(self.filters.items()):
            if not getattr(function, "_docgen_bounded", False):
                bounded = _bounded_filter(name, function)
                bounded._docgen_bounded = True
                self.filters[name] = bounded

    def call_binop(self, context, operator_name, left, right):
        size = _binop_size(operator_name, left, right)
        if size:
            charge(size, f"'{operator_name}'")
        return super().call_binop(context, operator_name, left, right)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (jinja's own signature)
        target = getattr(__obj, "__wrapped__", __obj)  # str.format comes wrapped by the sandbox
        owner = getattr(target, "__self__", None)
        if isinstance(owner, str):
            size = _method_size(owner, getattr(target, "__name__", ""), args, kwargs)
            if size:
                charge(size, f"'{target.__name__}'")
        return super().call(__context, __obj, *args, **kwargs)

    def bounded_concat(self, context, values: tuple) -> str:
        charge(sum(_length(v) for v in values), "'~'")
        return (markup_join if context.eval_ctx.autoescape else str_join)(values)

    def bounded_join(self, chunks) -> str:
        chunks = list(chunks)
        charge(sum(len(c) for c in chunks), "a block of the template", one_value=False)
        return "".join(chunks)
