"""``docgen templates fields``: every field a document may use, with examples from the samples.

The list comes from the field model (:mod:`docgen.authoring.fields`); each field shows its type,
whether it is always there (or needs ``{% if %}`` around it), what it is, and an example taken
from the fictional sample bundles filled for that document. People share one set of fields,
listed once under "People". ``--markdown`` is the reference page kept in ``docs/fields/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from docgen.authoring.fields import Field, context_model
from docgen.authoring.samples import has_required, issue_date, read_sample, sample_files
from docgen.exceptions import DocgenError
from docgen.registry import DEFAULT, Registry, TemplateInfo
from docgen.view.context import build_context
from docgen.view.recipients import recipients_for
from docgen.view.withhold import Withheld

DOCS_DIR = Path(__file__).resolve().parents[2] / "docs" / "fields"
EXAMPLE_LENGTH = 60
PEOPLE = "People"
NAMES = "Names"
NO_EXAMPLE = {"docgen_version"}  # changes with every release; the reference page would drift


@dataclass(frozen=True)
class Row:
    path: str
    type: str
    present: str  # "yes", "required" (the document's metadata requires it) or "maybe"
    description: str
    example: str
    used: bool = False


@dataclass(frozen=True)
class Reference:
    template: TemplateInfo
    authority: str | None
    sections: dict[str, list[Row]]


def reference(doc_id: str, *, authority: str | None = None, registry: Registry | None = None,
              used: set[str] | None = None) -> Reference:
    registry = registry or Registry()
    if authority:
        registry.profile(authority)
    template = registry.resolve(doc_id, authority or DEFAULT)
    contexts = _sample_contexts(registry, template, authority)
    sections: dict[str, list[Row]] = {NAMES: []}
    people: dict[str, Row] = {}
    for name, node in context_model().items():
        if node.recipients_only and template.recipients == "none":
            continue
        rows: list[Row] = []
        _rows(node, contexts, template, used or set(), rows, people, present=True)
        if len(rows) == 1:
            sections[NAMES].extend(rows)
        else:
            sections[name] = rows
    sections[PEOPLE] = sorted(people.values(), key=lambda r: r.path)
    return Reference(template, authority, sections)


def _rows(node: Field, contexts, template, used, rows, people, *, present: bool) -> None:
    required = bool(node.source) and any(node.source == r for r in template.requires)
    here = present and node.always
    state = "required" if required else ("yes" if here else "maybe")
    type_label = node.type_label
    rows.append(Row(node.path, type_label, state, node.description, _example(node, contexts), node.path in used))
    if node.kind == "person" and node.item is None:
        _person_rows(node, [], contexts, people)
        return
    target = node.item if node.item is not None else node
    if target.kind == "person" and node.item is not None:
        return
    for child in target.children.values():
        _rows(child, contexts, template, used, rows, people, present=required or here or node.item is not None)


def _person_rows(node: Field, steps: list[str], contexts, people: dict[str, Row]) -> None:
    """A person's fields, once for everyone: ``(person).address.postcode``."""
    for child in node.children.values():
        names = steps + [child.name]
        key = ".".join(names)
        people.setdefault(key, Row(f"(person).{key}", child.type_label, "yes" if child.always else "maybe",
                                   child.description, _person_example(names, contexts)))
        _person_rows(child, names, contexts, people)


def _sample_contexts(registry: Registry, template: TemplateInfo, authority: str | None) -> list[dict]:
    """The contexts the samples give this document, the authority's samples first."""
    contexts = []
    samples = sample_files(registry.root)
    for path in samples:
        try:
            bundle = read_sample(path)
        except DocgenError:
            continue
        if authority and bundle.authority != authority:
            continue
        if not has_required(bundle, template.requires):
            continue
        profile = registry.profile(authority or bundle.authority)
        for recipient in recipients_for(template, bundle):
            contexts.append(build_context(bundle, profile, template, recipient, today=issue_date(bundle)))
    return contexts


def _values(value, steps: list[str]):
    if not steps:
        yield value
        return
    step, rest = steps[0], steps[1:]
    if step == "[]":
        if isinstance(value, list):
            for item in value:
                yield from _values(item, rest)
    elif isinstance(value, dict) and step in value:
        yield from _values(value[step], rest)


def _example(node: Field, contexts: list[dict]) -> str:
    if node.path in NO_EXAMPLE:
        return ""
    return _first_shown(_steps(node.path), contexts)


def _person_example(names: list[str], contexts: list[dict]) -> str:
    for where in ("recipient", "child", "sender", "family_members[]", "professionals[]", "children[]"):
        shown = _first_shown(_steps(where) + names, contexts)
        if shown:
            return shown
    return ""


def _steps(path: str) -> list[str]:
    return path.replace("[]", ".[]").split(".")


def _first_shown(steps: list[str], contexts: list[dict]) -> str:
    """The first value at ``steps`` in any sample's context that shows as an example."""
    for context in contexts:
        for value in _values(context, steps):
            shown = _show(value)
            if shown:
                return shown
    return ""


def _show(value) -> str:
    if value is None or value == "" or value == [] or isinstance(value, Withheld):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return str(value["name"]) if "name" in value and not isinstance(value["name"], dict) else ""
    if isinstance(value, list):
        shown = [s for s in (_show(v) for v in value[:3]) if s]
        text = "; ".join(shown[:2]) + ("; …" if len(value) > 2 and shown else "")
        return _cut(text)
    if isinstance(value, date):
        return _cut(str(value))
    return _cut(" ".join(str(value).split()))


def _cut(text: str) -> str:
    return text if len(text) <= EXAMPLE_LENGTH else text[: EXAMPLE_LENGTH - 1].rstrip() + "…"


# -- output --------------------------------------------------------------------------------------

PRESENT_WORDS = {"yes": "always", "required": "required", "maybe": "may be missing"}


def as_text(ref: Reference) -> str:
    lines = [_title(ref), ""]
    for section, rows in ref.sections.items():
        heading = {PEOPLE: "People (every person has these fields)", NAMES: "Names"}.get(section, section)
        lines.append(f"{heading}:")
        for row in rows:
            flags = [row.type, PRESENT_WORDS[row.present]] + (["used"] if row.used else [])
            lines.append(f"  {row.path}  ({', '.join(flags)})")
            detail = row.description + (f" Example: {row.example}" if row.example else "")
            if detail:
                lines.append(f"      {detail}")
        lines.append("")
    return "\n".join(lines)


def as_markdown(ref: Reference) -> str:
    doc_id = ref.template.doc_id
    option = f" --authority {ref.authority}" if ref.authority else ""
    out = [
        f"# {_title(ref)}",
        "",
        f"Made by `docgen templates fields {doc_id}{option} --markdown`; a test fails when it is out of date.",
        "",
        "Write a field in the Word template as `{{ case.reference }}`. A *list* holds several items: loop over it, "
        "as in `{% for action in plan.actions %}{{ action.what }}{% endfor %}`, where `[]` in the names below "
        "stands for one item. A field that *may be missing* needs `{% if ... %}` around it. Examples come from "
        "the fictional sample bundles.",
        "",
    ]
    if ref.template.requires:
        out += [f"This document requires: {', '.join(f'`{r}`' for r in ref.template.requires)}.", ""]
    for section, rows in ref.sections.items():
        if section == PEOPLE:
            out += ["## People", "", "Every person (`child`, `sender`, `recipient`, each of `children`...) has these fields; "
                    "which are there depends on whether they are a child, a family member or a professional.", ""]
        elif section == NAMES:
            out += ["## Names", "", "Single values, people and lists of people.", ""]
        else:
            out += [f"## {section}", ""]
        out += ["| Field | Type | There | Description | Example |", "|---|---|---|---|---|"]
        for row in rows:
            cells = [f"`{row.path}`", row.type, PRESENT_WORDS[row.present], row.description, row.example]
            out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        out.append("")
    return "\n".join(out)


def write_pages(folder: Path = DOCS_DIR, registry: Registry | None = None) -> list[Path]:
    """One Markdown page per registered document in ``folder``; pages of documents gone are removed."""
    from docgen.atomic import write_atomic

    registry = registry or Registry()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for doc_id in registry.document_ids():
        page = folder / f"{doc_id}.md"
        text = as_markdown(reference(doc_id, registry=registry))
        if not page.is_file() or page.read_text("utf-8") != text:
            write_atomic(page.resolve(), text.encode("utf-8"))
        written.append(page)
    for stale in set(folder.glob("*.md")) - set(written):
        stale.unlink()
    return written


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _title(ref: Reference) -> str:
    for_whom = f" ({ref.authority})" if ref.authority else ""
    return f"Fields for {ref.template.doc_id}: {ref.template.title}{for_whom}"
