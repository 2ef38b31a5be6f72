"""Property-based tests: bundles Hypothesis builds from the schema's rules, with names in any
script (right-to-left, combining marks, emoji) and markup characters, render every registered
document, carry their key values exactly, and leak nothing withheld.

Strategies mirror ``docgen.bundle.schema``: single-line text has no control characters, line
or paragraph separators or bidi overrides; free text adds newline and tab; postcodes, phones
and case references come from the schema's own patterns. Example counts stay small for CI.
"""

from __future__ import annotations

import copy
import json
import re

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from conftest import SAMPLES, TODAY, docx_text
from docgen.bundle.schema import _CASE_REF, _PHONE, _POSTCODE
from docgen.pipeline import Pipeline
from security_helpers import (
    Secret,
    bundle_of,
    excluded,
    make_echo_registry,
    page_breaks,
    problems_of,
    set_at,
    string_paths,
    xml_text,
)

BASE = json.loads((SAMPLES / "valid" / "worcestershire-child-in-need.json").read_text("utf-8"))
MARK = "Zq"  # withheld values carry it, so a leak cannot be a coincidence

# Letters and marks of every script, digits, punctuation, symbols (emoji), plain spaces.
_CHARS = st.characters(
    categories=("Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Nd", "Pc", "Pd", "Ps", "Pe", "Po", "Sm", "Sc", "Sk", "So", "Zs"),
    exclude_characters="\u2028\u2029",
)
_TRICKS = st.sampled_from(["&", "<", ">", '"', "'", "&amp;", "{{ 7*7 }}", "{% if x %}", "<w:br w:type=\"page\"/>",
                           "]]>", "\u200f", "e\u0301", "👩\u200d👧", "محمد", "שלום", "Łódź"])
_PIECE = st.one_of(st.text(_CHARS, min_size=1, max_size=8), _TRICKS)


def _line(max_pieces: int = 4):
    return st.lists(_PIECE, min_size=1, max_size=max_pieces).map("".join).filter(
        lambda s: s.strip() == s and 0 < len(s) <= 100
    )


NAME = _line()
TEXT = st.lists(st.one_of(_PIECE, st.sampled_from(["\n", "\t", " "])), min_size=1, max_size=12).map("".join)
POSTCODE = st.from_regex(_POSTCODE, fullmatch=True)
PHONE = st.from_regex(_PHONE, fullmatch=True)
CASE_REF = st.from_regex(_CASE_REF, fullmatch=True)
TITLE = st.sampled_from(["Ms", "Mr", "Mrs", "Mx", "Dr", None])


@st.composite
def people(draw, prefix: str, count: tuple[int, int], addressed: bool = False):
    """People with ids ``prefix0``...; ``addressed``: all have addresses (letters go to them)."""
    n = draw(st.integers(*count))
    out = []
    for i in range(n):
        person = {"id": f"{prefix}{i}", "first_name": draw(NAME), "last_name": draw(NAME)}
        title = draw(TITLE)
        if title:
            person["title"] = title
        if addressed or draw(st.booleans()):
            person["address"] = {"lines": draw(st.lists(NAME, min_size=1, max_size=3)), "postcode": draw(POSTCODE)}
        out.append(person)
    return out


@st.composite
def bundles(draw):
    """A valid bundle: the sample's case, with new people, names, text and withheld secrets."""
    data = copy.deepcopy(BASE)
    data.pop("documents_requested")
    data["case"]["reference"] = draw(CASE_REF)
    data["case"]["team"] = draw(NAME)
    for child in data["children"]:
        child["first_name"], child["last_name"] = draw(NAME), draw(NAME)
        child.pop("views", None)
    family = draw(people("f", (1, 3), addressed=True))
    for member in family:
        member["relationship"] = draw(NAME)
        member["parental_responsibility"] = True
    for pro in data["professionals"]:
        pro["first_name"], pro["last_name"] = draw(NAME), draw(NAME)
        pro["role"], pro["agency"] = draw(NAME), draw(NAME)
    keeper = {
        "id": "keeper", "first_name": MARK + draw(NAME), "last_name": draw(NAME), "relationship": "Aunt",
        "receives_letters": False, "phone": "01632 96" + draw(st.from_regex(r"\A[0-9]{4}\Z")),
        "address": {"lines": [f"{MARK} " + draw(NAME)], "postcode": "ZX9 9QQ"},
        "notes": f"{MARK}notes " + draw(TEXT),
    }
    data["family_members"] = family + [keeper]
    # The meeting notes name who attended: the new family members (the keeper, whose record may be
    # withheld, too) and the sample's professionals.
    notes = data["meeting_notes"]
    professionals = {p["id"] for p in data["professionals"]}
    notes["attended"] = [m["id"] for m in family] + ["keeper"] + [i for i in notes["attended"] if i in professionals]
    notes["family_views"] = draw(TEXT)
    data["step_down"]["family_views"] = draw(TEXT)
    data["assessment"]["consent_given_by"] = [family[0]["id"]]
    # The sample's plan names its own family in who has contact; these are new people.
    pros = {pro["id"] for pro in data["professionals"]}
    data["plan"]["contact"] = [c for c in data["plan"]["contact"] if c["person"] in pros]
    data["plan"]["contact"].append({"person": family[0]["id"], "frequency": draw(NAME)})
    data["children"][0]["views"] = f"{MARK}views " + draw(TEXT)
    data["plan"]["child_views"] = draw(TEXT)
    data["closure"]["final_summary"] = draw(TEXT)
    reader = draw(st.sampled_from([m["id"] for m in family]))
    agency = draw(st.sampled_from(["hv", "teacher", "professionals"]))
    keeper_at = len(data["family_members"]) - 1
    secrets = [
        Secret(f"family_members[{keeper_at}].address", (reader,), (data["family_members"][keeper_at]["address"]["lines"][0],)),
        Secret(f"family_members[{keeper_at}].phone", (reader, agency), (keeper["phone"],)),
        Secret(f"family_members[{keeper_at}].notes", ("family",), (keeper["notes"],)),
        Secret("children[0].views", ("professionals",), (data["children"][0]["views"],)),
    ]
    if draw(st.booleans()):
        secrets.append(Secret(f"family_members[{keeper_at}]", ("professionals",), (keeper["first_name"],)))
    data["withheld"] = [{"path": s.path, "withheld_from": list(s.withheld_from)} for s in secrets]
    return data, secrets


@pytest.fixture(scope="module")
def echo(registry, tmp_path_factory):
    echo_registry = make_echo_registry(registry.root, tmp_path_factory.mktemp("registry") / "templates")
    return echo_registry, Pipeline(echo_registry, today=TODAY)


@pytest.fixture(scope="module")
def baseline(echo):
    """Which documents (and which variants: family or agency) print the case reference and the
    first child's name, from the sample."""
    echo_registry, pipeline = echo
    bundle = bundle_of(BASE, echo_registry)
    reference, child = BASE["case"]["reference"], BASE["children"][0]["first_name"]
    shows = {}
    for r in pipeline.render(bundle, echo_registry.document_ids()):
        if r.ok:
            text = docx_text(r.docx)
            shows[variant(r)] = (reference in text, child in text)
    return shows


def variant(result) -> tuple[str, str | None]:
    return result.doc_id, result.recipient.kind if result.recipient is not None else None


def formal(person: dict) -> str:
    name = f"{person['first_name']} {person['last_name']}"
    return f"{person['title']} {name}" if person.get("title") else name


@settings(max_examples=30, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate], suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(generated=bundles())
def test_every_document_renders_with_its_values_and_without_its_secrets(echo, baseline, generated):
    echo_registry, pipeline = echo
    data, secrets = generated
    problems = problems_of(data, echo_registry)
    assume(not problems)  # a random name can repeat a withheld value; the validator refuses those
    results = pipeline.render(bundle_of(data, echo_registry), echo_registry.document_ids())
    failed = [(r.stem, r.error.message) for r in results if not r.ok and "needs" not in r.error.message]
    assert failed == []
    people = {p["id"]: p for p in data["family_members"] + data["professionals"]}
    for r in results:
        if not r.ok:
            continue
        text = docx_text(r.docx)
        everything = xml_text(r.docx) + text
        shows_reference, shows_child = baseline.get(variant(r), (False, False))
        if shows_reference:
            assert data["case"]["reference"] in text, r.stem
        if shows_child:
            assert data["children"][0]["first_name"] in text, r.stem
        if r.recipient is not None and (r.template.letter or r.doc_id.startswith("zz-echo")):
            assert formal(people[r.recipient.person_id]) in text, r.stem
        for secret in secrets:
            if excluded(secret, data, r.recipient, r.template.audience):
                for value in secret.values:
                    assert value not in everything, (r.stem, secret.path)
    plain = plain_copy(data)
    breaks = {r.stem: page_breaks(r.docx) for r in pipeline.render(bundle_of(plain, echo_registry), echo_registry.document_ids()) if r.ok}
    assert {r.stem: page_breaks(r.docx) for r in results if r.ok} == breaks


def plain_copy(data: dict) -> dict:
    """``data`` with every text and line value a plain word, and nothing withheld: the same
    documents, so the same page breaks, unless a value could make one."""
    plain = copy.deepcopy(data)
    plain.pop("withheld")
    for kind in ("text", "line"):
        for _, parts in string_paths(plain, kind):
            set_at(plain, parts, "plain")
    return plain


# -- the schema's own patterns: what they accept renders, what they refuse is refused ---------------


@settings(max_examples=60, deadline=None)
@given(value=st.text(st.characters(codec="utf-8"), min_size=1, max_size=20))
def test_any_text_the_schema_accepts_in_a_name_renders_exactly(registry, pipeline, value):
    data = copy.deepcopy(BASE)
    data["family_members"][0]["first_name"] = value
    problems = problems_of(data, registry)
    if problems:
        assert [path for path, _ in problems] == ["family_members[0].first_name"]
        assert re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]", value)
        return
    [letter] = [r for r in pipeline.render(bundle_of(data, registry), ["outcome-letter"]) if r.recipient.person_id == "mum"]
    assert letter.ok, letter.error
    assert f"Ms {value} Placeholder" in docx_text(letter.docx)
    assert page_breaks(letter.docx) == 0
