"""`docgen authority new`: a profile to fill in, after which every document resolves to its default."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from conftest import ROOT
from templates_helpers import invoke, make_root

from docgen.authoring.check import check
from docgen.cli import cli
from docgen.cli_templates import authority
from docgen.registry import Registry
from docgen.registry.profiles import ProfileSchema


@pytest.fixture
def root(tmp_path):
    root = make_root(tmp_path)
    for path in (ROOT / "templates" / "default").glob("*"):
        shutil.copy(path, root / "default")
    return root


def test_new_authority_resolves_every_document_through_the_defaults(root):
    result = invoke(authority, ["new", "north-somerset", "--name", "North Somerset Council", "--templates", root])
    assert result.exit_code == 0, result.output
    folder = root / "north-somerset"
    assert result.stdout.splitlines() == [str((folder / "authority.toml").resolve()), str((folder / "README.txt").resolve())]
    registry = Registry(root)
    assert "north-somerset" in registry.authorities()
    assert registry.profile("north-somerset").name == "North Somerset Council"
    resolved = registry.resolve_all("north-somerset")
    assert [t.doc_id for t in resolved] == registry.document_ids()
    assert {t.origin for t in resolved} == {"default"}


def test_a_new_profile_is_refused_until_its_placeholder_contacts_are_replaced(root):
    invoke(authority, ["new", "north-somerset", "--templates", root])
    folder = root / "north-somerset"
    problems = check([folder]).problems
    assert [(p.severity, p.message) for p in problems] == [
        ("error", "The phone '01632 960000' is a placeholder, not the authority's own."),
        ("error", "The email 'childrens.services@example.org.uk' is a placeholder, not the authority's own."),
        ("error", "The postcode 'AA1 1AA' is a placeholder, not the authority's own."),
    ]
    profile = folder / "authority.toml"
    text = profile.read_text("utf-8")
    text = text.replace('phone = "01632 960000"', 'phone = "01934 888 888"')
    text = text.replace('email = "childrens.services@example.org.uk"', 'email = "help@n-somerset.gov.uk"')
    profile.write_text(text.replace('postcode = "AA1 1AA"', 'postcode = "BS23 1UJ"'), "utf-8")
    assert [p.describe() for p in check([folder]).problems] == []


def test_the_profile_has_every_key_explained(root):
    invoke(authority, ["new", "north-somerset", "--templates", root])
    text = (root / "north-somerset" / "authority.toml").read_text("utf-8")
    lines = text.splitlines()
    for key in ProfileSchema().fields:
        at = next((i for i, line in enumerate(lines)
                   if line.lstrip("# ").startswith((f"{key} =", f"[{key}]"))), None)
        assert at is not None, f"{key} is missing"
        assert lines[at - 1].startswith("#"), f"{key} has no comment above it"
    assert 'name = "North Somerset Council"' in text
    assert "docgen templates preview" in (root / "north-somerset" / "README.txt").read_text("utf-8")


def test_an_existing_authority_is_refused(root):
    result = invoke(authority, ["new", "worcestershire", "--templates", root])
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {root / 'worcestershire' / 'authority.toml'}: The authority 'worcestershire' already exists.\n"
    )


def test_a_bad_name_is_refused(root):
    result = invoke(authority, ["new", "North Somerset", "--templates", root])
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: 'North Somerset' is not a usable authority name: use lower-case letters, digits and '-', "
        "starting with a letter, like 'north-somerset'.\n"
    )


def test_validate_strict_refuses_bundles_for_a_new_authority_until_its_contacts_are_replaced(root, tmp_path):
    invoke(authority, ["new", "north-somerset", "--templates", root])
    data = json.loads((ROOT / "samples" / "valid" / "south-gloucestershire-early-help-taf.json").read_text("utf-8"))
    data["authority"] = "north-somerset"
    bundle = tmp_path / "north-somerset.json"
    bundle.write_text(json.dumps(data), "utf-8")
    assert CliRunner().invoke(cli, ["validate", "--templates", str(root), str(bundle)]).exit_code == 0
    result = CliRunner().invoke(cli, ["validate", "--strict", "--templates", str(root), str(bundle)])
    assert result.exit_code == 1
    placeholder = f"{bundle}: authority: warning: The profile templates/north-somerset/authority.toml has a placeholder"
    assert [line for line in result.stdout.splitlines() if line.startswith(placeholder)] == [
        f"{placeholder} phone (01632 960000): give the authority's published one, or set no_published_contacts = true.",
        f"{placeholder} email (childrens.services@example.org.uk): give the authority's published one, or set "
        "no_published_contacts = true.",
        f"{placeholder} postcode (AA1 1AA): give the authority's published one.",
    ]
