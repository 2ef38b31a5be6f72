"""`docgen templates fields` and the field model behind it: the schema, the render context, the docs."""

from __future__ import annotations

import pytest
from conftest import VALID_SAMPLES
from templates_helpers import invoke, small_root

from docgen.authoring.descriptions import DESCRIPTIONS
from docgen.authoring.fields import _description, bundle_fields, lookup, walk
from docgen.authoring.reference import DOCS_DIR, as_markdown, reference
from docgen.authoring.samples import has_required, issue_date, read_sample
from docgen.cli_templates import templates
from docgen.view.context import build_context
from docgen.view.recipients import recipients_for

# Bundle fields templates never see: how the bundle describes itself, and what docgen acts on.
NOT_FOR_TEMPLATES = {"schema_version", "authority", "documents_requested", "withheld"}


def _for_templates(path: str) -> bool:
    return path.split(".")[0] not in NOT_FOR_TEMPLATES


def test_every_schema_field_is_in_the_field_model():
    sources = {f.source for f in walk()}
    missing = [path for path, _, _ in bundle_fields() if _for_templates(path) and path not in sources]
    assert missing == []


def test_every_schema_field_has_a_description():
    missing = [f"{cls.__name__}.{name}" for path, cls, name in bundle_fields()
               if _for_templates(path) and "." in path and not _description(cls, name)]
    assert missing == [], "add them to docgen/authoring/descriptions.py"
    assert [f.path for f in walk() if not f.description] == []  # the top-level names describe themselves
    assert len(DESCRIPTIONS) >= 100


def test_every_field_of_the_model_is_on_the_reference_page():
    page = as_markdown(reference("outcome-letter"))
    person_fields = {f.path.split(".", 1)[1] for f in walk() if f.path.startswith("child.")}
    for field in walk():
        if any(field.path.startswith(f"{p}.") for p in _people_paths()):
            continue  # listed once, under People
        assert f"| `{field.path}` |" in page, field.path
    for name in person_fields:
        assert f"| `(person).{name}` |" in page, name


def _people_paths() -> set[str]:
    people = {f.path for f in walk() if f.kind == "person"}
    return people | {f.item.path for f in walk() if f.item is not None and f.item.kind == "person"}


def test_the_model_knows_every_name_the_render_context_gives(registry):
    unknown: set[str] = set()

    def visit(value, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                here = f"{path}.{key}" if path else key
                if lookup(here) is None:
                    unknown.add(here)
                else:
                    visit(inner, here)
        elif isinstance(value, list):
            for item in value:
                visit(item, f"{path}[]")

    for sample in VALID_SAMPLES:
        bundle = read_sample(sample)
        profile = registry.profile(bundle.authority)
        for template in registry.resolve_all(bundle.authority):
            if not has_required(bundle, template.requires):
                continue
            for recipient in recipients_for(template, bundle):
                visit(build_context(bundle, profile, template, recipient, today=issue_date(bundle)), "")
    assert sorted(unknown) == []


def test_the_reference_pages_are_up_to_date(registry):
    stale = []
    for doc_id in registry.document_ids():
        page = DOCS_DIR / f"{doc_id}.md"
        if not page.is_file() or page.read_text("utf-8") != as_markdown(reference(doc_id, registry=registry)):
            stale.append(doc_id)
    extra = sorted(p.stem for p in DOCS_DIR.glob("*.md") if p.stem not in registry.document_ids())
    assert (stale, extra) == ([], []), "run: docgen templates fields --all --markdown --out docs/fields"


@pytest.fixture
def small_registry(tmp_path):
    """The outcome letter and one sample, so the examples shown are known."""
    return small_root(tmp_path, "outcome-letter")


def test_fields_lists_types_presence_use_and_examples(small_registry):
    result = invoke(templates, ["fields", "outcome-letter", "--templates", small_registry])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Fields for outcome-letter: Standard Outcome/Closure Letter"
    at = lines.index("  closure.concluded  (code, always, used)")
    assert lines[at + 1] == "      What was concluded: 'assessment' or 'involvement'. Example: involvement"
    assert "  closure.final_summary  (text, may be missing)" in lines
    assert "  plan.actions  (list of objects, may be missing)" in lines
    at = lines.index("  plan.actions[].who  (person, may be missing)")
    assert lines[at + 1] == "      Who will do it. Example: Sam Socialworker-Example"
    assert "  sender  (person, required, used)" in lines
    assert "  (person).salutation  (text, always)" in lines


def test_fields_markdown_for_an_authority(small_registry, tmp_path):
    out = tmp_path / "docs" / "outcome-letter.md"
    result = invoke(templates, ["fields", "outcome-letter", "--authority", "worcestershire", "--markdown",
                                "--out", out, "--templates", small_registry])
    assert result.exit_code == 0, result.output
    page = out.read_text("utf-8")
    assert page.startswith("# Fields for outcome-letter: Standard Outcome/Closure Letter (worcestershire)\n")
    assert "| `authority.name` | text | always | The authority's name: 'Worcestershire County Council'. | " \
           "Worcestershire County Council |" in page
    assert "This document requires: `closure`, `case.team`, `case.lead_professional`." in page


def test_fields_of_an_unknown_document(small_registry):
    result = invoke(templates, ["fields", "nope", "--templates", small_registry])
    assert result.exit_code == 2
    assert result.stderr == "Error: Unknown document 'nope'. Known: outcome-letter.\n"


def test_a_misspelt_document_or_authority_is_a_usage_error_with_a_suggestion(small_registry):
    result = invoke(templates, ["fields", "outcom-letter", "--templates", small_registry])
    assert result.exit_code == 2
    assert result.stderr == "Error: Unknown document 'outcom-letter'. Did you mean 'outcome-letter'? Known: outcome-letter.\n"
    result = invoke(templates, ["fields", "outcome-letter", "--authority", "derbyshir", "--templates", small_registry])
    assert result.exit_code == 2
    assert result.stderr == ("Error: Unknown authority 'derbyshir'. Did you mean 'derbyshire'? "
                             "Known: derbyshire, south-gloucestershire, worcestershire.\n")
