"""Helpers for the security tests: bundles derived from the samples, and what outputs carry."""

from __future__ import annotations

import copy
import io
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import docx
from docx.shared import Pt

from conftest import ROOT, SAMPLES, TODAY
from docgen.bundle import Bundle
from docgen.bundle.load import parse
from docgen.bundle.paths import resolve_path
from docgen.registry import Registry
from docgen.validate import validate

SAMPLE_PATH = SAMPLES / "valid" / "worcestershire-child-in-need.json"


def sample() -> dict:
    """A fresh copy of the full sample bundle's JSON."""
    return json.loads(SAMPLE_PATH.read_text("utf-8"))


def bundle_of(data: dict, registry, name: str = "test.json") -> Bundle:
    """``data`` validated into a Bundle; fails the test with every problem when it is invalid."""
    report = validate(parse(json.dumps(data, ensure_ascii=False), name), registry, TODAY)
    assert not report.errors, [(p.path, p.message) for p in report.errors]
    return report.bundle


def problems_of(data: dict, registry) -> list[tuple[str, str]]:
    report = validate(parse(json.dumps(data, ensure_ascii=False), "test.json"), registry, TODAY)
    return [(p.path, p.message) for p in report.errors]


def for_authority(data: dict, authority: str) -> dict:
    """The bundle sent by ``authority``: its review decisions, meetings and leaflets those it has."""
    data = copy.deepcopy(data)
    data["authority"] = authority
    data.pop("documents_requested", None)
    profile = Registry(ROOT / "templates").profile(authority)
    offered = profile.wording(data["case"]["plan_type"])["decisions"]
    for review in data.get("reviews", []):
        if review["decision"] not in offered:
            review["decision"] = next(iter(offered))
    for meeting in data.get("meetings", []):
        if meeting["kind"] not in profile.meeting_kinds:
            meeting["kind"] = "review"
    assessment = data.get("assessment") or {}
    if "leaflets_given" in assessment:
        assessment["leaflets_given"] = [code for code in assessment["leaflets_given"] if code in profile.leaflets]
    return data


def zip_parts(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def xml_text(content: bytes) -> str:
    """Every XML part of a DOCX with the markup removed and entities read, joined: what any
    program could show from it (body, headers, footers, properties, comments, hidden text)."""
    chunks = []
    for name, data in zip_parts(content).items():
        if name.endswith((".xml", ".rels")):
            text = data.decode("utf-8")
            chunks.append(text)
            stripped = re.sub(r"<[^>]+>", "", text)
            for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&")):
                stripped = stripped.replace(entity, char)
            chunks.append(stripped)
            # Runs split a value across elements: the text of w:t elements joined, too.
            chunks.append("".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", text)))
    return "\n".join(chunks)


def leaf_strings(value) -> list[str]:
    """Every string (and date as ISO and GOV.UK text) inside a bundle value."""
    if isinstance(value, dict):
        return [s for v in value.values() for s in leaf_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in leaf_strings(v)]
    if isinstance(value, str):
        return [value]
    return []


def value_at(data: dict, path: str):
    return resolve_path(data, path)


def personal_values(data: dict) -> list[str]:
    """The personal data in a bundle that logs, errors and file names must never carry."""
    values: list[str] = []
    for group in ("children", "family_members"):
        for person in data.get(group, []):
            for key in ("first_name", "last_name", "preferred_name", "phone", "email",
                        "nhs_number", "upn", "school", "notes", "views"):
                if person.get(key):
                    values.append(person[key])
            values.append(f"{person['first_name']} {person['last_name']}")
            if "date_of_birth" in person:
                born = date.fromisoformat(person["date_of_birth"])
                values += [person["date_of_birth"], f"{born.day} {born:%B %Y}"]
            if "address" in person:
                values += person["address"]["lines"][:1] + [person["address"]["postcode"]]
    return sorted(set(values), key=len, reverse=True)


def make_template(path: Path, *paragraphs: str, header: str | None = None, footer: str | None = None) -> Path:
    """A Word template whose body is ``paragraphs`` (Jinja tags allowed), made with python-docx."""
    document = docx.Document()
    document.styles["Normal"].font.size = Pt(11)
    for text in paragraphs:
        document.add_paragraph(text)
    section = document.sections[0]
    if header is not None:
        section.header.paragraphs[0].text = header
    if footer is not None:
        section.footer.paragraphs[0].text = footer
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(path)
    return path


def page_breaks(content: bytes) -> int:
    return sum(
        len(re.findall(r'<w:br [^>]*w:type="page"', data.decode("utf-8")))
        for name, data in zip_parts(content).items()
        if re.match(r"word/(document|header\d*|footer\d*)\.xml$", name)
    )


def _field_for(parts: list):
    from marshmallow import fields

    from docgen.bundle.schema import BundleSchema

    field, schema = None, BundleSchema()
    for step in parts:
        if isinstance(step, int):
            field = field.inner if isinstance(field, fields.List) else None
        else:
            field = schema.fields.get(step) if schema is not None else None
        if field is None:
            return None
        schema = field.schema if isinstance(field, fields.Nested) else None
    return field


def string_paths(data, kind: str, path: str = "", parts: tuple = ()):
    """Paths of every string in ``data`` the schema takes as free text (``kind="text"``: newline
    and tab allowed) or as a single line (``kind="line"``)."""
    from docgen.bundle.schema import _MULTI_LINE, _SINGLE_LINE

    pattern = (_MULTI_LINE if kind == "text" else _SINGLE_LINE).pattern
    if isinstance(data, dict):
        for key, value in data.items():
            yield from string_paths(value, kind, f"{path}.{key}" if path else key, parts + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from string_paths(value, kind, f"{path}[{index}]", parts + (index,))
    elif isinstance(data, str):
        field = _field_for(list(parts))
        if field is not None and any(getattr(v, "regex", None) is not None and v.regex.pattern == pattern for v in field.validators):
            yield path, list(parts)


def set_at(data, parts: list, value) -> None:
    target = data
    for step in parts[:-1]:
        target = target[step]
    target[parts[-1]] = value


# -- who may read what, worked out apart from docgen.view.withhold -------------------------------

FAMILY, AGENCY = "family", "agency"


@dataclass(frozen=True)
class Secret:
    """One withheld entry of the fixture and the unmistakable values it hides."""

    path: str
    withheld_from: tuple[str, ...]
    values: tuple[str, ...]


def excluded(secret: Secret, data: dict, recipient, audience: str) -> bool:
    """Whether ``secret`` is withheld from a document's readers (worked out independently)."""
    family_ids = {p["id"] for p in data.get("children", []) + data.get("family_members", [])}
    agency_ids = {p["id"] for p in data.get("professionals", [])}
    kinds = {FAMILY: family_ids | {"family"}, AGENCY: agency_ids | {"professionals"}}
    who = set(secret.withheld_from)
    if recipient is not None:
        group = "family" if recipient.kind == FAMILY else "professionals"
        return recipient.person_id in who or group in who
    if audience == "internal":
        return False
    readers = kinds[FAMILY] | kinds[AGENCY] if audience == "all" else kinds[audience]
    return bool(who & readers)



# Test-only templates that print every person's every detail, for each kind of reader, so the
# scan is meaningful whatever the registry's own templates happen to print.
ECHO_PERSON = (
    "{{ p.formal_name }} | {{ p.date_of_birth if p.date_of_birth is defined else '' }} | "
    "{% if p.address is defined %}{% for l in p.address.lines %}{{ l }} / {% endfor %}{{ p.address.postcode }}{% endif %} | "
    "{{ p.phone if p.phone is defined else '' }} | {{ p.email if p.email is defined else '' }} | "
    "{{ p.school if p.school is defined else '' }} | {{ p.views if p.views is defined else '' }} | "
    "{{ p.notes if p.notes is defined else '' }}"
)
ECHO = [
    "To: {{ recipient.formal_name if recipient else 'everyone' }}",
    "{% for p in children %}Child: " + ECHO_PERSON + "{% endfor %}",
    "{% for p in family_members %}Family: " + ECHO_PERSON + "{% endfor %}",
    "{% for p in professionals %}Professional: " + ECHO_PERSON + "{% endfor %}",
]
ECHO_KINDS = {  # document id: (recipients rule, audience)
    "zz-echo-letter": ("family-and-agencies", "all"),
    "zz-echo-family": ("none", "family"),
    "zz-echo-agency": ("none", "agency"),
    "zz-echo-all": ("none", "all"),
    "zz-echo-internal": ("none", "internal"),
}


def make_echo_registry(source: Path, root: Path):
    """A copy of the registry at ``source`` in ``root``, plus the echo templates."""
    import shutil

    from docgen.registry import Registry

    shutil.copytree(source, root)
    for doc_id, (recipients, audience) in ECHO_KINDS.items():
        make_template(root / "default" / f"{doc_id}.docx", *ECHO)
        (root / "default" / f"{doc_id}.toml").write_text(
            f'id = "{doc_id}"\ntitle = "Echo"\nversion = "1.0"\nrecipients = "{recipients}"\n'
            f'audience = "{audience}"\nletter = false\n',
            "utf-8",
        )
    return Registry(root)


