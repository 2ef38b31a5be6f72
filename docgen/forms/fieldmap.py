"""The forms folder, and each form's field map: which value a template sees fills which field.

``forms/<id>.pdf`` is the blank fillable form (made by ``python -m docgen.forms.build``) and
``forms/<id>.fields.toml`` says what it is and how to pre-fill it::

    [form]
    id = "feedback-sheet"
    title = "Feedback Sheet"
    version = "1.0"
    audience = "family"          # whose withholding applies, as for templates

    [fields]
    case_reference = "case.reference"                    # a name templates see, then keys
    children_dob = "children[*].date_of_birth"           # [*]: every item, joined with "; "
    "family_name_{n}" = "family_members[*].name"         # {n}: one row per item, from 1
    venue = ["meeting.venue.name", "meeting.venue.address"]  # several values joined with ", "
    leaflet_section_47 = { path = "assessment.leaflets_given", contains = "section_47" }

Paths start at a name of :func:`docgen.view.context.build_context`, so withheld values arrive
as the authority's "withheld" wording and never as the value itself.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from docgen.exceptions import TemplateError, TemplateNotFound
from docgen.forms.pdffields import CHECKBOX, HIDDEN_FIELDS, RADIO, FieldSpec, read_fields
from docgen.pdfout.pdffile import open_pdf
from docgen.registry import AUDIENCES
from docgen.view.withhold import Withheld

FORMS_ENV = "DOCGEN_FORMS"
MAP_SUFFIX = ".fields.toml"
ROW = "{n}"
_STEP = re.compile(r"\.?([a-z_][a-z0-9_]*)|\[(\d+|\*)\]")
_VERSION = re.compile(r"^\d+(\.\d+){0,2}$")
_STAR = "*"


@dataclass(frozen=True)
class Source:
    """Where one field's value comes from: one or more context paths, or a code in a list."""

    paths: tuple[str, ...]
    contains: str | None = None  # for a checkbox: ticked when the list at the path holds this


@dataclass(frozen=True)
class FormInfo:
    """One fillable form: its blank PDF, what it is, and how it is pre-filled."""

    form_id: str
    title: str
    version: str
    audience: str
    description: str
    pdf_path: Path
    map_path: Path
    sources: dict[str, Source]

    @cached_property
    def fields(self) -> dict[str, FieldSpec]:
        """The blank PDF's fields, docgen's hidden ones included."""
        if not self.pdf_path.is_file():
            message = "The form has no PDF beside its field map; run: python -m docgen.forms.build"
            raise TemplateError(message, source=str(self.map_path))
        return read_fields(open_pdf(self.pdf_path))

    def to_dict(self) -> dict:
        return {
            "id": self.form_id,
            "title": self.title,
            "version": self.version,
            "audience": self.audience,
            "path": str(self.pdf_path),
            "prefilled": sorted(self.sources),
        }


def default_root() -> Path:
    """``$DOCGEN_FORMS``, else the ``forms`` folder beside the package's source tree."""
    if os.environ.get(FORMS_ENV):
        return Path(os.environ[FORMS_ENV])
    return Path(__file__).resolve().parents[2] / "forms"


class Forms:
    """The fillable forms in one folder."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()
        self._loaded: dict[str, FormInfo] = {}

    def ids(self) -> list[str]:
        return sorted(p.name[: -len(MAP_SUFFIX)] for p in self.root.glob(f"*{MAP_SUFFIX}"))

    def get(self, form_id: str) -> FormInfo:
        if form_id not in self._loaded:
            if form_id not in self.ids():
                known = ", ".join(self.ids()) or "none"
                raise TemplateNotFound(f"No form '{form_id}'. Known: {known}.", source=str(self.root))
            self._loaded[form_id] = load_form(self.root / f"{form_id}{MAP_SUFFIX}")
        return self._loaded[form_id]

    def all(self) -> list[FormInfo]:
        return [self.get(form_id) for form_id in self.ids()]


def load_form(map_path: Path) -> FormInfo:
    """A form's field map and metadata, checked; TemplateError naming the file if it is wrong."""
    source = str(map_path)
    try:
        raw = tomllib.loads(map_path.read_text("utf-8"))
    except OSError as e:
        raise TemplateError(f"The field map cannot be read ({e.strerror}).", source=source) from e
    except tomllib.TOMLDecodeError as e:
        raise TemplateError(f"The field map is not valid TOML: {e}.", source=source) from e
    meta = raw.get("form", {})
    form_id = map_path.name[: -len(MAP_SUFFIX)]
    problems = [
        *(f"[form] needs {key}" for key in ("id", "title", "version") if not isinstance(meta.get(key), str)),
        *(
            [f"[form] id '{meta['id']}' differs from the file name"]
            if meta.get("id", form_id) != form_id
            else []
        ),
        *(["[form] version must look like 1.0"] if not _VERSION.match(str(meta.get("version", "0"))) else []),
        *(
            [f"[form] audience must be one of {', '.join(AUDIENCES)}"]
            if meta.get("audience", "family") not in AUDIENCES
            else []
        ),
        *(f"unknown table [{key}]" for key in raw if key not in ("form", "fields")),
    ]
    sources: dict[str, Source] = {}
    for name, spec in raw.get("fields", {}).items():
        try:
            sources[name] = _source(name, spec)
        except ValueError as e:
            problems.append(f"[fields] {name}: {e}")
    if problems:
        raise TemplateError(f"The field map has errors: {'; '.join(problems)}.", source=source)
    return FormInfo(
        form_id=form_id,
        title=meta["title"],
        version=meta["version"],
        audience=meta.get("audience", "family"),
        description=meta.get("description", ""),
        pdf_path=map_path.with_name(f"{form_id}.pdf"),
        map_path=map_path,
        sources=sources,
    )


def _source(name: str, spec) -> Source:
    if name in HIDDEN_FIELDS:
        raise ValueError("docgen sets this field itself")
    if isinstance(spec, str):
        spec = {"path": spec}
    elif isinstance(spec, list):
        spec = {"path": spec}
    if not isinstance(spec, dict) or set(spec) - {"path", "contains"} or "path" not in spec:
        raise ValueError('expected a path, a list of paths, or { path = "...", contains = "..." }')
    paths = (spec["path"],) if isinstance(spec["path"], str) else tuple(spec["path"])
    for path in paths:
        steps = _steps(path)
        stars = steps.count(_STAR)
        if stars > 1 or (ROW in name and stars != 1):
            raise ValueError(
                f"'{path}' needs exactly one [*] for a {ROW} row field"
                if ROW in name
                else f"'{path}' has more than one [*]"
            )
    return Source(paths, spec.get("contains"))


def _steps(path: str) -> list[str | int]:
    if not isinstance(path, str) or not path:
        raise ValueError("a path must be a non-empty string")
    steps: list[str | int] = []
    position = 0
    for match in _STEP.finditer(path):
        if match.start() != position or (position == 0 and path.startswith((".", "["))):
            break
        key, index = match.groups()
        steps.append(key if key else (_STAR if index == _STAR else int(index)))
        position = match.end()
    if position != len(path):
        raise ValueError(f"'{path}' is not a path like family_members[0].name")
    return steps


# -- values ------------------------------------------------------------------------------------
@dataclass
class Prefill:
    """What a bundle fills in one form: field values, and rows the form had no room for."""

    values: dict[str, str | bool]
    left_off: list[str]  # "family_members: 8, the form has rows for 6"


def prefill(form: FormInfo, context: dict) -> Prefill:
    """The values for ``form``'s fields from a template context; unknown values stay blank."""
    fields = form.fields
    values: dict[str, str | bool] = {}
    left_off: list[str] = []
    for name, source in form.sources.items():
        first = _steps(source.paths[0])[0]
        if first not in context:
            raise TemplateError(
                f"The field map's '{name}' starts at '{first}', which is not a name templates see.",
                source=str(form.map_path),
            )
        if ROW in name:
            rows = [_row_value(source, context, i) for i in range(_row_total(source, context))]
            free = _row_count(name, fields)
            note = f"{source.paths[0].split('[*]')[0]}: {len(rows)}, the form has rows for {free}"
            if len(rows) > free and note not in left_off:
                left_off.append(note)
            targets = [(name.replace(ROW, str(n)), value) for n, value in enumerate(rows[:free], 1)]
        else:
            targets = [(name, _single_value(source, context))]
        for field, value in targets:
            value = _checked(form, fields.get(field), field, value)
            if value not in (None, "", False):
                values[field] = value
    return Prefill(values, left_off)


def _checked(form: FormInfo, spec: FieldSpec | None, field: str, value):
    """``value`` as the field takes it; TemplateError when the map and the PDF disagree."""
    if spec is None:
        raise TemplateError(
            f"The field map names '{field}', which {form.pdf_path.name} lacks.", source=str(form.map_path)
        )
    if spec.kind == CHECKBOX:
        return value is True
    if spec.kind == RADIO and value is not None and value not in spec.options:
        raise TemplateError(
            f"The field map gives '{field}' the value '{value}', which is not one of "
            f"its options ({', '.join(spec.options)}).",
            source=str(form.map_path),
        )
    return value


def _row_count(name: str, fields: dict[str, FieldSpec]) -> int:
    n = 0
    while name.replace(ROW, str(n + 1)) in fields:
        n += 1
    return n


def _row_total(source: Source, context: dict) -> int:
    return max(len(items) if isinstance(items := _lookup(context, p), list) else 0 for p in source.paths)


def _row_value(source: Source, context: dict, index: int):
    """Row ``index``'s value: the item at that position of each path's list."""
    parts = []
    for path in source.paths:
        items = _lookup(context, path)
        parts.append(items[index] if isinstance(items, list) and index < len(items) else None)
    return _combine(source, parts)


def _single_value(source: Source, context: dict):
    """A field's one value; a path with [*] gives every item, joined with "; "."""
    parts = []
    for path in source.paths:
        value = _lookup(context, path)
        if _STAR in _steps(path) and isinstance(value, list) and source.contains is None:
            value = "; ".join(t for t in map(as_text, value) if t)
        parts.append(value)
    return _combine(source, parts)


def _combine(source: Source, parts: list):
    if source.contains is not None:
        return any(isinstance(part, list) and source.contains in part for part in parts)
    if len(parts) == 1 and isinstance(parts[0], bool):
        return parts[0]
    return ", ".join(t for t in map(as_text, parts) if t) or None


def _lookup(context: dict, path: str):
    """The value at ``path``; with [*], the list of values, one per item; None when absent."""
    return _walk(context, _steps(path))


def _walk(value, steps: list):
    for i, step in enumerate(steps):
        if isinstance(value, Withheld):
            return value
        if step == _STAR:
            return [_walk(item, steps[i + 1 :]) for item in value] if isinstance(value, list) else None
        if isinstance(step, int):
            value = value[step] if isinstance(value, list) and step < len(value) else None
        else:
            value = value.get(step) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


def as_text(value) -> str | None:
    """How a value reads in a form field: addresses on one line, lists joined, dates GOV.UK style."""
    if isinstance(value, Withheld):
        return str(value)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict):
        if "lines" in value:
            return ", ".join(str(part) for part in [*value["lines"], value.get("postcode")] if part)
        return as_text(value.get("name"))
    if isinstance(value, (list, tuple)):
        return ", ".join(t for t in (as_text(v) for v in value) if t) or None
    return str(value)  # dates arrive wrapped to print GOV.UK style
