"""Confidential information never reaches the person it is withheld from, in any output.

Every valid sample is given extra ``withheld`` entries with unmistakable values: a family
member's address, phone and email withheld from another family member and from a named agency,
a child's views withheld from professionals, an agency's notes withheld from the family, a whole
person withheld from professionals. Every document the registry holds is rendered for every
authority and recipient; no output may carry a value withheld from its reader: not in the text,
headers, footers, properties or any other part of the DOCX, not in the file name, and not in
the PDF's text or metadata. Who may read what is worked out here, independently of
``docgen.view.withhold``.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from conftest import TODAY, VALID_SAMPLES, docx_text
from docgen.convert import Converter
from docgen.exceptions import BundleInvalid
from docgen.output import write_documents
from docgen.pdfout.letter_check import ADDRESS_BOX_MM, read_words
from docgen.pipeline import Pipeline
from security_helpers import (
    ECHO_KINDS,
    FAMILY,
    AGENCY,
    Secret,
    bundle_of,
    excluded,
    for_authority,
    make_echo_registry,
    personal_values,
    problems_of,
    xml_text,
)



def confidential(data: dict) -> tuple[dict, list[Secret]]:
    """``data`` with a hidden person and secret values added, each withheld from someone."""
    data = copy.deepcopy(data)
    family = data.setdefault("family_members", [])
    readers = [m for m in family if m.get("receives_letters", m.get("parental_responsibility"))]
    reader = readers[0]["id"]
    agencies = [p for p in data.get("professionals", []) if p["id"] not in (data["case"].get("lead_professional"), data["case"].get("manager"))]
    named_agency, other_agency = agencies[0]["id"], agencies[-1]["id"]
    secret_keeper = {
        "id": "keeper", "title": "Ms", "first_name": "Hestia", "last_name": "Zqhidden",
        "relationship": "Aunt", "receives_letters": False,
        "address": {"lines": ["77 Qzrefuge Mews", "Hiddenford"], "postcode": "ZX9 9QQ"},
        "phone": "01632 969696", "email": "hestia.zqhidden@example.org",
    }
    hidden_person = {
        "id": "partner", "title": "Mr", "first_name": "Quillon", "last_name": "Xvnewpartner",
        "relationship": "Mother's partner", "receives_letters": False,
        "phone": "01632 968888",
    }
    family += [secret_keeper, hidden_person]
    keeper, partner = len(family) - 2, len(family) - 1
    data["children"][0]["views"] = "Secretviews Qz: I want to stay where I am now."
    agency = next(i for i, p in enumerate(data["professionals"]) if p["id"] == other_agency)
    data["professionals"][agency]["notes"] = "Agencynote Qz: concerns shared in confidence."
    secrets = [
        Secret(f"family_members[{keeper}].address", (reader,), ("77 Qzrefuge Mews", "ZX9 9QQ")),
        Secret(f"family_members[{keeper}].phone", (reader, named_agency), ("01632 969696",)),
        Secret(f"family_members[{keeper}].email", (named_agency,), ("hestia.zqhidden@example.org",)),
        Secret("children[0].views", ("professionals",), ("Secretviews Qz",)),
        Secret(f"professionals[{agency}].notes", ("family",), ("Agencynote Qz",)),
        Secret(f"family_members[{partner}]", ("professionals",), ("Quillon", "Xvnewpartner", "01632 968888")),
    ]
    data["withheld"] = data.get("withheld", []) + [
        {"path": s.path, "withheld_from": list(s.withheld_from), "reason": "Test of withholding"} for s in secrets
    ]
    return data, secrets


# -- rendering everything once ---------------------------------------------------------------------


@dataclass
class Output:
    sample: str
    authority: str
    data: dict
    secrets: list[Secret]
    rendered: object  # docgen.pipeline.Rendered

    @property
    def forbidden(self) -> list[str]:
        r = self.rendered
        return [
            value for s in self.secrets if excluded(s, self.data, r.recipient, r.template.audience)
            for value in s.values
        ]

    @property
    def allowed(self) -> list[str]:
        return [v for s in self.secrets for v in s.values if v not in self.forbidden]

    def name(self) -> str:
        return f"{self.sample} [{self.authority}] {self.rendered.stem}"


def render_all(pipeline, registry, samples, authorities) -> list[Output]:
    outputs = []
    for sample in samples:
        base = json.loads(sample.read_text("utf-8"))
        for authority in authorities(base):
            data, secrets = confidential(for_authority(base, authority))
            bundle = bundle_of(data, registry, sample.name)
            for rendered in pipeline.render(bundle, registry.document_ids()):
                if rendered.ok:
                    outputs.append(Output(sample.name, authority, data, secrets, rendered))
                else:
                    assert "needs" in rendered.error.message, rendered.error
    return outputs


@pytest.fixture(scope="module")
def echo_registry(registry, tmp_path_factory):
    return make_echo_registry(registry.root, tmp_path_factory.mktemp("registry") / "templates")


@pytest.fixture(scope="module")
def outputs(echo_registry) -> list[Output]:
    pipeline = Pipeline(echo_registry, today=TODAY)
    return render_all(pipeline, echo_registry, VALID_SAMPLES, lambda base: echo_registry.authorities())


def test_every_document_and_authority_is_covered(outputs, registry):
    covered = {(o.rendered.doc_id, o.authority) for o in outputs}
    wanted = {(d, a) for d in registry.document_ids() + list(ECHO_KINDS) for a in registry.authorities()}
    assert covered == wanted
    kinds = {(o.rendered.doc_id, o.rendered.recipient.kind if o.rendered.recipient else None) for o in outputs}
    assert ("outcome-letter", FAMILY) in kinds and ("outcome-letter", AGENCY) in kinds


def test_the_fixture_bundles_are_valid_and_withhold_something_in_every_sample(outputs):
    assert {o.sample for o in outputs} == {p.name for p in VALID_SAMPLES}
    assert all(o.forbidden for o in outputs if o.rendered.recipient is not None)


def test_no_docx_carries_a_value_withheld_from_its_reader(outputs):
    leaks = []
    for output in outputs:
        everything = xml_text(output.rendered.docx) + "\n" + docx_text(output.rendered.docx)
        haystack = everything.casefold()
        leaks += [(output.name(), value) for value in output.forbidden if value.casefold() in haystack]
        leaks += [(output.name(), value) for value in output.forbidden if value.casefold() in output.rendered.stem.casefold()]
    assert leaks == []


def test_each_secret_is_printed_where_it_is_not_withheld(outputs):
    """Without this the test above could pass on documents that never print the values."""
    for sample in VALID_SAMPLES:
        shown = set()
        mine = [o for o in outputs if o.sample == sample.name]
        for output in mine:
            text = docx_text(output.rendered.docx)
            shown |= {value for value in output.allowed if value in text}
        assert {v for s in mine[0].secrets for v in s.values} - shown == set(), sample.name


def test_a_withheld_value_prints_as_the_authoritys_wording(outputs, registry):
    """In the echo letter to the reader it is withheld from, the keeper's address and phone
    read as the authority's wording; her name and email (not withheld from that reader) stay."""
    letters = [o for o in outputs if o.rendered.doc_id == "zz-echo-letter" and "77 Qzrefuge Mews" in o.forbidden]
    assert len(letters) == len(VALID_SAMPLES) * len(registry.authorities())
    for output in letters:
        wording = registry.profile(output.authority).withheld_wording
        [line] = [l for l in docx_text(output.rendered.docx).split("Family: ") if "Hestia" in l]
        assert line == (
            f"Ms Hestia Zqhidden |  | {wording} | {wording} | hestia.zqhidden@example.org |  |  | "
        ), output.name()


# -- every letter goes to its own addressee ---------------------------------------------------------


def person(data: dict, person_id: str) -> dict:
    return next(p for group in ("family_members", "professionals") for p in data.get(group, []) if p["id"] == person_id)


def formal_name(p: dict) -> str:
    name = f"{p['first_name']} {p['last_name']}"
    return f"{p['title']} {name}" if p.get("title") else name


def test_each_letter_is_addressed_to_its_recipient_and_no_one_else(outputs):
    letters = [o for o in outputs if o.rendered.recipient is not None and o.rendered.template.letter]
    assert letters
    everyone = {formal_name(p) for o in letters for g in ("family_members", "professionals") for p in o.data.get(g, [])}
    for output in letters:
        recipient = person(output.data, output.rendered.recipient.person_id)
        lines = docx_text(output.rendered.docx).split("\n")
        named = [i for i, line in enumerate(lines) if line.strip() in everyone]
        assert named, output.name()
        first = named[0]
        assert lines[first].strip() == formal_name(recipient), output.name()
        if "address" in recipient:
            expected = recipient["address"]["lines"] + [recipient["address"]["postcode"]]
            assert [l.strip() for l in lines[first + 1 : first + 1 + len(expected)]] == expected, output.name()


def test_family_letters_go_to_family_and_agency_letters_to_agencies(outputs):
    for output in outputs:
        recipient = output.rendered.recipient
        if recipient is None:
            continue
        family = {m["id"] for m in output.data.get("family_members", [])}
        agencies = {p["id"] for p in output.data.get("professionals", [])}
        assert recipient.person_id in (family if recipient.kind == FAMILY else agencies), output.name()
        assert output.rendered.stem.endswith(f"_{recipient.kind}-{recipient.person_id}")
        if output.rendered.doc_id == "information-request":
            assert recipient.kind == AGENCY
        if output.rendered.doc_id == "outcome-letter":
            text = docx_text(output.rendered.docx)
            agency_line = "Thank you for your assistance and support during our involvement."
            family_line = "Thank you for working with us during our involvement."
            assert (agency_line in text, family_line in text) == (recipient.kind == AGENCY, recipient.kind == FAMILY), output.name()


# -- PDFs: text, metadata and the envelope window -------------------------------------------------


def pdf_text(path: Path) -> str:
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def pdf_metadata(path: Path) -> str:
    reader = PdfReader(path)
    info = " ".join(str(v) for v in (reader.metadata or {}).values())
    xmp = reader.xmp_metadata
    raw = reader.trailer["/Root"].get("/Metadata")
    return info + " " + (raw.get_object().get_data().decode("utf-8", "replace") if raw is not None else "") + (" xmp" if xmp else "")


def window_lines(path: Path) -> list[str]:
    """The text a window envelope shows: page 1's words inside Notify's address box, by line."""
    left, top, right, bottom = ADDRESS_BOX_MM
    (_, words), *_ = read_words(path)
    inside = [w for w in words if w.left < right and w.right > left and w.top < bottom and w.bottom > top]
    lines: list[list] = []
    for word in sorted(inside, key=lambda w: (w.top, w.left)):
        if lines and abs(lines[-1][0].top - word.top) < 1.0:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [" ".join(w.text for w in sorted(line, key=lambda w: w.left)) for line in lines]


@pytest.fixture(scope="module")
def pdf_outputs(outputs, tmp_path_factory) -> list[Output]:
    """Each sample with its own authority, every document, written as DOCX and PDF."""
    chosen = [o for o in outputs if o.authority == o.data["authority"] and o.sample.startswith(o.authority)]
    folder = tmp_path_factory.mktemp("pdf")
    results = [copy.copy(o.rendered) for o in chosen]
    for result in results:
        result.outputs = {}
    by_sample: dict[str, list] = {}
    for output, result in zip(chosen, results):
        by_sample.setdefault(output.sample, []).append((output, result))
    with Converter(jobs=2, timeout=120) as converter:
        for sample, pairs in by_sample.items():
            write_documents([r for _, r in pairs], folder / sample, fmt="both", converter=converter)
    for output, result in zip(chosen, results):
        assert result.ok, (output.name(), result.error)
        output.files = result.outputs
    return chosen


def test_no_pdf_carries_a_value_withheld_from_its_reader(pdf_outputs):
    leaks = []
    for output in pdf_outputs:
        pdf = output.files["pdf"]
        haystack = (pdf_text(pdf) + pdf_metadata(pdf) + pdf.name).casefold()
        leaks += [(output.name(), v) for v in output.forbidden if v.casefold() in haystack]
        assert all(v.casefold() not in output.files["docx"].name.casefold() for v in output.forbidden)
    assert leaks == []


def test_pdf_metadata_names_the_case_and_document_not_a_person(pdf_outputs):
    for output in pdf_outputs:
        metadata = pdf_metadata(output.files["pdf"])
        assert output.rendered.case_reference in metadata
        for value in personal_values(output.data):
            assert value not in metadata, (output.name(), value)


def test_the_envelope_window_shows_the_recipients_name_and_address_only(pdf_outputs):
    letters = [o for o in pdf_outputs if o.rendered.recipient is not None and o.rendered.template.letter]
    assert len(letters) >= len(VALID_SAMPLES)
    for output in letters:
        recipient = person(output.data, output.rendered.recipient.person_id)
        expected = [formal_name(recipient)]
        if "address" in recipient:
            expected += recipient["address"]["lines"] + [recipient["address"]["postcode"]]
        assert window_lines(output.files["pdf"]) == expected, output.name()


# -- logs, errors and what the command line prints --------------------------------------------------


def test_logs_at_debug_name_cases_and_documents_never_people(pipeline, registry, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    sample = next(p for p in VALID_SAMPLES if p.name.startswith("worcestershire-looked"))
    data, _ = confidential(json.loads(sample.read_text("utf-8")))
    path = tmp_path / "case.json"
    path.write_text(json.dumps(data), "utf-8")
    fresh = Pipeline(registry, today=TODAY)
    bundle = fresh.load(path)
    results = fresh.render(bundle, registry.document_ids())
    with Converter(jobs=1, timeout=120) as converter:
        write_documents([r for r in results if r.ok][:3], tmp_path / "out", fmt="both", converter=converter)
    broken = copy.deepcopy(data)
    broken["children"][0]["date_of_birth"] = "Poppy's birthday"
    path.write_text(json.dumps(broken), "utf-8")
    with pytest.raises(BundleInvalid):
        fresh.load(path)
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "[" + data["case"]["reference"] + "]" in logged
    for value in personal_values(data):
        assert value not in logged, value


def test_render_errors_do_not_carry_the_values_being_filled_in(tmp_path, registry):
    """A template's own error text ('Poppy' is not in list) is redacted before anyone sees it."""
    root = tmp_path / "templates"
    shutil.copytree(registry.root, root)
    from docx import Document

    document = Document(str(root / "default" / "outcome-letter.docx"))
    document.add_paragraph("{{ [1, 2].index(child.first_name) }} {{ child.name|int(base=child.last_name) }}")
    document.save(str(root / "worcestershire" / "outcome-letter.docx"))
    shutil.copy(root / "default" / "outcome-letter.toml", root / "worcestershire" / "outcome-letter.toml")
    from docgen.registry import Registry

    sample = next(p for p in VALID_SAMPLES if p.name.startswith("worcestershire-child-in"))
    fresh = Pipeline(Registry(root), today=TODAY)
    [failed, *_] = [r for r in fresh.render(fresh.load(sample), ["outcome-letter"]) if not r.ok]
    data = json.loads(sample.read_text("utf-8"))
    assert failed.error.message == (  # the expression, then where it is: the template's words, never the values
        "The template failed: '[personal data removed]' is not in list (in "
        "{{ [1, 2].index(child.first_name) }} {{ child.name|int(base=child.last_name) }}), in body paragraph 28 "
        '("{{ [1, 2].index(child.first_name) }} {{ child.name|int(base…").')
    assert failed.error.__cause__ is None
    assert data["children"][0]["first_name"] not in str(failed.error)


def test_the_debug_switch_lets_a_developer_see_the_value(tmp_path, registry, monkeypatch):
    monkeypatch.setenv("DOCGEN_DEBUG_PERSONAL_DATA", "1")
    from docgen.redact import redact

    assert redact("'Ivy' is not in list", {"Ivy"}) == "'Ivy' is not in list"
    monkeypatch.delenv("DOCGEN_DEBUG_PERSONAL_DATA")
    assert redact("'Ivy' is not in list", {"Ivy"}) == "'[personal data removed]' is not in list"
    assert redact("the field 'school_nurse'", {"school"}) == "the field 'school_nurse'"


def test_what_the_render_command_prints_names_no_one(tmp_path):
    from docgen.cli import cli

    sample = next(p for p in VALID_SAMPLES if p.name.startswith("derbyshire-child-protection"))
    data, _ = confidential(json.loads(sample.read_text("utf-8")))
    path = tmp_path / "case.json"
    path.write_text(json.dumps(data), "utf-8")
    register = tmp_path / "register.sqlite3"
    result = CliRunner().invoke(cli, ["render", str(path), "--all", "--out", str(tmp_path / "out"), "--json",
                                      "--register", str(register)])
    assert result.exit_code in (0, 3), result.output
    assert json.loads(result.stdout)["register"]["path"] == str(register)
    printed = result.stdout + result.stderr + register.read_bytes().decode("latin-1")
    assert data["case"]["reference"] in printed
    for value in personal_values(data):
        assert value not in printed, value
    for name in (tmp_path / "out").iterdir():
        for value in personal_values(data):
            assert value.casefold() not in name.name.casefold(), (name.name, value)


# -- what can be withheld, and copies left showing -------------------------------------------------


def test_a_withheld_value_left_showing_elsewhere_is_an_error(registry):
    data = json.loads(next(p for p in VALID_SAMPLES if p.name.startswith("worcestershire-child-in")).read_text("utf-8"))
    data["withheld"] = [{"path": "family_members[0].address", "withheld_from": ["gran"]}]
    message = ("This repeats family_members[0].address, which is withheld from 'gran'; "
               "withhold it here too, from the same people.")
    assert problems_of(data, registry) == [
        ("children[0].address.lines[0]", message),
        ("children[0].address.postcode", message),
        ("children[1].address.lines[0]", message),
        ("children[1].address.postcode", message),
    ]
    data["withheld"] += [{"path": f"children[{i}].address", "withheld_from": ["gran"]} for i in (0, 1)]
    assert problems_of(data, registry) == []


def test_a_withheld_phone_quoted_in_free_text_is_an_error(registry):
    data = json.loads(next(p for p in VALID_SAMPLES if p.name.startswith("worcestershire-child-in")).read_text("utf-8"))
    data["plan"]["contingency"] = "If worried, call Gran on 01632 960002 before anyone else."
    data["withheld"] = [{"path": "family_members[1].phone", "withheld_from": ["professionals"]}]
    assert problems_of(data, registry) == [(
        "plan.contingency",
        "This repeats family_members[1].phone, which is withheld from professionals; withhold it here too, from the same people.",
    )]


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("case.reference", "it is part of the case's own details, which every document needs."),
        ("family_members[0].id", "it is an id, a reference to a person or a code docgen works with, not a value documents print."),
        ("children[0].sex", "it is an id, a reference to a person or a code docgen works with, not a value documents print."),
        ("plan.actions[0].who", "it is an id, a reference to a person or a code docgen works with, not a value documents print."),
        ("family_members", "it is a list docgen works through; withhold the values in it instead."),
        ("plan", "it is a whole section; withhold the values in it instead."),
        ("meetings[0]", "it is a whole section; withhold the values in it instead."),
        ("family_members[0].parental_responsibility", "it is a yes/no flag docgen works with, not a value documents print."),
        ("plan.review_dates[0]", "it is one of a list of dates docgen sorts; withhold the whole list."),
    ],
)
def test_only_values_documents_print_can_be_withheld(registry, path, reason):
    data = json.loads(next(p for p in VALID_SAMPLES if p.name.startswith("worcestershire-child-in")).read_text("utf-8"))
    data["withheld"] = [{"path": path, "withheld_from": ["professionals"]}]
    assert problems_of(data, registry) == [("withheld[0].path", f"'{path}' cannot be withheld: {reason}")]


def test_a_persons_own_details_cannot_be_withheld_from_them_by_name(registry):
    data = json.loads(next(p for p in VALID_SAMPLES if p.name.startswith("worcestershire-child-in")).read_text("utf-8"))
    data["withheld"] = [{"path": "family_members[1].phone", "withheld_from": ["hv", "gran"]}]
    assert problems_of(data, registry) == [(
        "withheld[0].withheld_from[1]",
        "'gran' cannot have their own details withheld from them; their letters are addressed with them.",
    )]


def test_withheld_from_the_family_a_person_still_gets_their_own_address(pipeline, registry):
    """Mum's address withheld from 'family' hides it from the rest of the family, not from mum."""
    data = json.loads(next(p for p in VALID_SAMPLES if p.name.startswith("worcestershire-child-in")).read_text("utf-8"))
    data["family_members"][1]["receives_letters"] = True  # gran gets letters too
    data["withheld"] = [{"path": "family_members[0].address", "withheld_from": ["family"]}] + [
        {"path": f"children[{i}].address", "withheld_from": ["family"]} for i in (0, 1)
    ]
    letters = {r.recipient.person_id: docx_text(r.docx) for r in pipeline.render(bundle_of(data, registry), ["outcome-letter"])}
    assert "Ms Dora Placeholder\n1 Imaginary Lane\nFictionville\nWR1 1AA" in letters["mum"]
    assert "1 Imaginary Lane" not in letters["gran"] and "WR1 1AA" not in letters["gran"]
    assert "Mrs Edna Makebelieve\n7 Pretend Close\nFictionville\nWR2 2BB" in letters["gran"]


# -- every path of every sample can be withheld, or is refused: never a crash -----------------------


def paths_of(value, path=""):
    if path:
        yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths_of(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths_of(item, f"{path}[{index}]")


def test_withholding_any_value_of_a_sample_either_works_or_is_refused(pipeline, registry):
    """Whatever a bundle withholds, from whoever: a clear validation error, or documents with
    the value gone; never a crash in the run (KeyError on a withheld id, code or section)."""
    sample = next(p for p in VALID_SAMPLES if p.name.startswith("derbyshire-child-protection"))
    base = json.loads(sample.read_text("utf-8"))
    base.pop("withheld")
    rendered = refused = 0
    for path in paths_of(base):
        if path.startswith("withheld"):
            continue
        for who in (["professionals"], ["dad"]):
            data = copy.deepcopy(base)
            data["withheld"] = [{"path": path, "withheld_from": who}]
            if problems_of(data, registry):
                refused += 1
                continue
            results = pipeline.render(bundle_of(data, registry), registry.document_ids())
            assert all(r.ok or "needs" in r.error.message for r in results), (path, who, [r.error for r in results if not r.ok])
            rendered += 1
    assert rendered > 100 and refused > 100


def test_withholding_copies_only_what_it_changes_and_leaves_the_bundle_as_it_was():
    """Markers go into copies of the dicts and lists on a withheld path; the bundle (and the
    view's displayed copy, shared by every reader) keeps its values."""
    from docgen.view.withhold import Withheld, WithheldRecord, withhold

    data = {
        "case": {"reference": "C-1"},
        "family_members": [
            {"id": "mum", "first_name": "Ann", "address": "1 Road"},
            {"id": "dad", "first_name": "Bo", "address": "2 Lane"},
        ],
        "notes": ["kept"],
    }
    before = copy.deepcopy(data)
    entries = [{"path": "family_members[0].address"}, {"path": "family_members[1]"}]
    result = withhold(data, entries, "withheld")
    assert data == before
    assert isinstance(result["family_members"][0]["address"], Withheld)
    assert result["family_members"][0]["first_name"] == "Ann"
    assert isinstance(result["family_members"][1], WithheldRecord)
    assert result["family_members"][1].record_id == "dad"
    assert result["case"] is data["case"] and result["notes"] is data["notes"]  # not on a path: shared
