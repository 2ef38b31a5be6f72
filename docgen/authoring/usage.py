"""Which fields a template uses, and the placeholders that are not fields at all.

The template's Jinja is walked with the field model (:mod:`docgen.authoring.fields`): a name is a
top-level field, a loop variable (typed by the list it loops over: in ``{% for a in
plan.actions %}``, ``a.who.name`` is checked against an action's fields), a ``set`` variable or
one of Jinja's globals. Anything else is reported with the nearest field as a suggestion.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from jinja2 import nodes

from docgen.authoring.fields import Field
from docgen.authoring.locate import Paragraph
from docgen.authoring.problems import ERROR, TemplateProblem

ANY = object()  # a value whose fields are not known (a macro argument, a string method's result)
LOOP = object()  # Jinja's ``loop`` inside a for loop
LOOP_ATTRIBUTES = {
    "index", "index0", "revindex", "revindex0", "first", "last", "length", "cycle", "depth",
    "depth0", "previtem", "nextitem", "changed",
}
DICT_METHODS = {"items", "keys", "values", "get"}
KEEPS_TYPE = {"sort", "reverse", "list", "selectattr", "rejectattr", "unique", "default", "d"}
TAKES_ITEM = {"first", "last", "random"}


@dataclass
class Usage:
    """What walking one template found: the fields it uses, and its unknown names."""

    used: list[Field] = field(default_factory=list)
    problems: list[TemplateProblem] = field(default_factory=list)

    def sources(self) -> set[str]:
        return {f.source for f in self.used if f.source}

    def paths(self) -> set[str]:
        return {f.path for f in self.used}


class UsageWalker:
    """Walks one part's Jinja AST; ``lines[i]`` is the paragraph on line i + 1."""

    def __init__(self, model: dict[str, Field], env, lines: list[Paragraph], *, doc_id: str = "",
                 recipients: str = "family-and-agencies", usage: Usage | None = None) -> None:
        self.model = model
        self.env = env
        self.lines = lines
        self.doc_id = doc_id
        self.recipients = recipients
        self.usage = usage or Usage()
        self._seen: set[tuple] = set()

    # -- statements ------------------------------------------------------------------------------
    def walk(self, template: nodes.Template) -> Usage:
        scope: dict[str, object] = {}
        for macro in template.find_all(nodes.Macro):
            scope[macro.name] = ANY
        self._body(template.body, scope)
        return self.usage

    def _body(self, body: list[nodes.Node], scope: dict) -> None:
        for node in body:
            self._stmt(node, scope)

    def _stmt(self, node: nodes.Node, scope: dict) -> None:
        if isinstance(node, nodes.Expr):
            self._expr(node, scope)
        elif isinstance(node, nodes.Output):
            for child in node.nodes:
                self._expr(child, scope)
        elif isinstance(node, nodes.If):
            self._expr(node.test, scope)
            self._body(node.body, scope)
            for branch in node.elif_:
                self._stmt(branch, scope)
            self._body(node.else_, scope)
        elif isinstance(node, nodes.For):
            self._for(node, scope)
        elif isinstance(node, nodes.Assign):
            self._bind(node.target, self._expr(node.node, scope), scope)
        elif isinstance(node, nodes.AssignBlock):
            self._body(node.body, dict(scope))
            self._bind(node.target, ANY, scope)
        elif isinstance(node, nodes.With):
            inner = dict(scope)
            for target, value in zip(node.targets, node.values, strict=True):
                self._bind(target, self._expr(value, scope), inner)
            self._body(node.body, inner)
        elif isinstance(node, (nodes.Macro, nodes.CallBlock)):
            inner = dict(scope, caller=ANY, varargs=ANY, kwargs=ANY)
            for arg in node.args:
                self._bind(arg, ANY, inner)
            for default in node.defaults:
                self._expr(default, scope)
            if isinstance(node, nodes.CallBlock):
                self._expr(node.call, scope)
            self._body(node.body, inner)
        elif isinstance(node, nodes.FilterBlock):
            self._filter(node.filter, scope)
            self._body(node.body, scope)
        else:
            for child in node.iter_child_nodes():
                self._stmt(child, scope)

    def _for(self, node: nodes.For, scope: dict) -> None:
        loop_over = self._expr(node.iter, scope)
        item = loop_over.item if isinstance(loop_over, Field) and loop_over.item is not None else ANY
        inner = dict(scope, loop=LOOP)
        self._bind(node.target, item, inner)
        if node.test is not None:
            self._expr(node.test, inner)
        self._body(node.body, inner)
        self._body(node.else_, dict(scope))

    def _bind(self, target: nodes.Node, kind: object, scope: dict) -> None:
        if isinstance(target, nodes.Name):
            scope[target.name] = kind
        elif isinstance(target, nodes.Tuple):
            for item in target.items:
                self._bind(item, ANY, scope)

    # -- expressions -----------------------------------------------------------------------------
    def _expr(self, node: nodes.Node, scope: dict) -> object:
        if isinstance(node, (nodes.Name, nodes.Getattr, nodes.Getitem)):
            return self._chain(node, scope)
        if isinstance(node, nodes.Filter):
            return self._filter(node, scope)
        if isinstance(node, nodes.Test):
            self._check_name(node, node.name, self.env.tests, "test")
            self._children(node, scope)
            return ANY
        if isinstance(node, nodes.CondExpr):
            self._children(node, scope)
            return ANY
        self._children(node, scope)
        return ANY

    def _children(self, node: nodes.Node, scope: dict) -> None:
        for child in node.iter_child_nodes():
            self._expr(child, scope)

    def _filter(self, node: nodes.Filter, scope: dict) -> object:
        value = self._expr(node.node, scope) if node.node is not None else ANY
        for arg in list(node.args) + [kw.value for kw in node.kwargs]:
            self._expr(arg, scope)
        for extra in (node.dyn_args, node.dyn_kwargs):
            if extra is not None:
                self._expr(extra, scope)
        if not self._check_name(node, node.name, self.env.filters, "filter"):
            return ANY
        if node.name in KEEPS_TYPE:
            return value
        if node.name in TAKES_ITEM and isinstance(value, Field) and value.item is not None:
            return value.item
        return ANY

    def _check_name(self, node: nodes.Node, name: str, known, what: str) -> bool:
        if name in known:
            return True
        guess = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
        fix = f"did you mean `{guess[0]}`?" if guess else f"docgen's {what}s are: {', '.join(sorted(known)[:12])}…"
        self._problem(node, "unknown-" + what, f"`{name}` is not a {what} docgen knows", fix)
        return False

    def _chain(self, node: nodes.Node, scope: dict) -> object:
        """A name followed by ``.attr`` and ``[key]`` steps, resolved one step at a time."""
        steps: list[tuple[str, object]] = []
        while isinstance(node, (nodes.Getattr, nodes.Getitem)):
            if isinstance(node, nodes.Getattr):
                steps.append(("attr", node.attr))
            elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                steps.append(("attr", node.arg.value))
            else:
                self._expr(node.arg, scope)
                steps.append(("index", node.arg.value if isinstance(node.arg, nodes.Const) else None))
            node = node.node
        steps.reverse()
        if not isinstance(node, nodes.Name):
            return self._resolve(self._expr(node, scope), None, steps, node)
        return self._resolve(self._name(node, scope, steps), node.name, steps, node)

    def _name(self, node: nodes.Name, scope: dict, steps) -> object:
        name = node.name
        if name in scope:
            return scope[name]
        if name in self.model:
            found = self.model[name]
            if found.recipients_only and self.recipients == "none":
                self._problem(
                    node, "no-recipient",
                    f"`{name}` is only set in documents sent to recipients, and this document's metadata "
                    'says recipients = "none"',
                    f"set `recipients` in {self.doc_id or 'the document'}.toml, or take `{name}` out",
                )
                return ANY
            self.usage.used.append(found)
            return found
        if name in self.env.globals:
            return ANY
        typed = _typed(name, steps)
        candidates = {**{k: v for k, v in scope.items()}, **self.model}
        suggestion = _suggest(name, steps, candidates)
        fix = f"did you mean `{suggestion}`?" if suggestion else self._list_hint()
        self._problem(node, "unknown-field", f"`{typed}` is not a field this template can use", fix)
        return ANY

    def _resolve(self, kind: object, root: str | None, steps, node: nodes.Node) -> object:
        for i, (how, key) in enumerate(steps):
            if kind is ANY:
                return ANY
            if kind is LOOP:
                if how == "attr" and key not in LOOP_ATTRIBUTES:
                    self._problem(node, "unknown-field", f"`loop.{key}` is not something a loop has",
                                  f"use one of: {', '.join(sorted(LOOP_ATTRIBUTES))}")
                return ANY
            if not isinstance(kind, Field):
                return ANY
            if how == "index":
                kind = kind.item if kind.item is not None else ANY
                continue
            if kind.item is not None:
                return self._list_step(kind, key, root, steps[: i + 1], node)
            if not kind.children:
                return ANY  # a text or date: its methods and attributes are Python's
            if key in kind.children:
                kind = kind.children[key]
                self.usage.used.append(kind)
            elif key in DICT_METHODS:
                return ANY
            else:
                self._unknown_step(kind, key, root, steps, i, node)
                return ANY
        return kind

    def _list_step(self, kind: Field, key: str, root, steps, node) -> object:
        typed = _typed(root, steps)
        if key in ("count", "index"):
            return ANY
        self._problem(
            node, "list-as-field",
            f"`{typed}`: `{_typed(root, steps[:-1])}` is a list, so it has no `{key}` of its own",
            "loop over it: `{% for item in " + _typed(root, steps[:-1]) + " %}{{ item." + key + " }}{% endfor %}`",
        )
        return ANY

    def _unknown_step(self, kind: Field, key: str, root, steps, i: int, node) -> None:
        typed = _typed(root, steps)
        rest = steps[i:]
        names = [k for how, k in rest if how == "attr"]
        fixed = _suggest_from(kind, names) if len(names) == len(rest) else None
        if fixed and root is not None:
            suggestion = ".".join([_typed(root, steps[:i])] + fixed)
            fix = f"did you mean `{suggestion}`?"
        else:
            fix = self._list_hint()
        self._problem(node, "unknown-field", f"`{typed}` is not a field this template can use", fix)

    def _list_hint(self) -> str:
        command = f"docgen templates fields {self.doc_id}" if self.doc_id else "docgen templates fields DOC_ID"
        return f"check the spelling; `{command}` lists every field"

    def _problem(self, node: nodes.Node, code: str, message: str, fix: str) -> None:
        line = getattr(node, "lineno", 1) or 1
        paragraph = self.lines[min(line, len(self.lines)) - 1] if self.lines else None
        key = (code, message, paragraph.label if paragraph else "")
        if key in self._seen:
            return
        self._seen.add(key)
        self.usage.problems.append(TemplateProblem.at(paragraph, ERROR, code, message, fix))


def _typed(root: str | None, steps) -> str:
    text = root or "(value)"
    for how, key in steps:
        text += f".{key}" if how == "attr" else f"[{'' if key is None else key}]"
    return text


def _suggest(name: str, steps, candidates: dict[str, object]) -> str | None:
    """``chlid.name`` → ``child.name``: the nearest name, then the nearest field at each step."""
    guess = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    if not guess:
        return None
    kind = candidates[guess[0]]
    names = [key for how, key in steps if how == "attr"]
    if len(names) != len(steps):
        return guess[0] if not steps else None
    if not isinstance(kind, Field) or not names:
        return ".".join([guess[0]] + names)
    rest = _suggest_from(kind, names)
    return ".".join([guess[0]] + rest) if rest is not None else None


def _suggest_from(kind: Field, names: list[str]) -> list[str] | None:
    """The nearest field names for ``names`` below ``kind``; None when one has no near match."""
    fixed: list[str] = []
    for name in names:
        if not isinstance(kind, Field) or kind.item is not None or not kind.children:
            fixed.append(name)
            kind = None
            continue
        if name in kind.children:
            match = name
        else:
            guesses = difflib.get_close_matches(name, list(kind.children), n=1, cutoff=0.6)
            if not guesses:
                return None
            match = guesses[0]
        fixed.append(match)
        kind = kind.children[match]
    return fixed
