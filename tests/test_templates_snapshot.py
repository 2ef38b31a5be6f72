"""Template regression: every template filled from the samples, compared with its text snapshot."""

from __future__ import annotations

import pytest
from conftest import ROOT
from templates_helpers import build, invoke, small_root

from docgen.authoring.snapshot import SNAPSHOT_DIR, Snapshot, compare, render_snapshots, snapshot_folder, update_document
from docgen.cli_templates import templates
from docgen.registry import Registry


def _rendered() -> list[Snapshot]:
    try:
        return render_snapshots(Registry(ROOT / "templates"))
    except Exception as e:  # a sample or template mid-edit: one failing test, not a collection error
        return [Snapshot("(rendering the samples)", ROOT, error=f"{type(e).__name__}: {e}")]


RENDERED = _rendered()


@pytest.mark.parametrize("snapshot", RENDERED, ids=[s.name for s in RENDERED])
def test_each_document_reads_as_its_snapshot(snapshot):
    differences = compare([snapshot], SNAPSHOT_DIR)
    differences = [d for d in differences if d.name == snapshot.name]
    assert not differences, (
        "\n".join(d.describe() for d in differences)
        + "\nAfter a deliberate change: docgen templates snapshot --update"
    )


def test_every_snapshot_still_has_its_document():
    gone = [d.name for d in compare(RENDERED, SNAPSHOT_DIR) if d.kind == "gone"]
    assert gone == [], "docgen templates snapshot --update removes them"


def test_snapshots_do_not_depend_on_the_day_or_the_run(registry):
    again = {s.name: s.text for s in render_snapshots(registry)}
    assert again == {s.name: s.text for s in RENDERED}


@pytest.fixture
def root(tmp_path):
    root = small_root(tmp_path)
    build(root / "default" / "note.docx",
          ["{{ recipient.salutation }},", "Our reference: {{ case.reference }}",
           "We are writing about {{ children_names }}."],
          header="{{ authority.name }}")
    return root


def test_update_records_and_a_change_shows_a_diff(root, tmp_path):
    folder = tmp_path / "snapshots"
    made = invoke(templates, ["snapshot", "--update", "--dir", folder, "--templates", root])
    assert made.exit_code == 0, made.output
    assert made.stdout.splitlines() == [
        "updated worcestershire/WOR-CIN-0001/note_family-mum.txt",
        "updated worcestershire/WOR-CIN-0001/note_agency-hv.txt",
        "updated worcestershire/WOR-CIN-0001/note_agency-teacher.txt",
        "3 documents, 3 changed.",
    ]
    assert (folder / "worcestershire/WOR-CIN-0001/note_family-mum.txt").read_text() == (
        "Dear Ms Placeholder,\n"
        "Our reference: WOR-CIN-0001\n"
        "We are writing about Poppy Placeholder and Alfie Placeholder.\n"
        "--- header (section 1) ---\n"
        "Worcestershire County Council\n"
    )
    same = invoke(templates, ["snapshot", "--dir", folder, "--templates", root])
    assert (same.exit_code, same.stdout) == (0, "3 documents, 0 different.\n")

    build(root / "default" / "note.docx",
          ["{{ recipient.salutation }},", "Our reference: {{ case.reference }}",
           "We are writing to you about {{ children_names }}."])
    changed = invoke(templates, ["snapshot", "--dir", folder, "--templates", root])
    assert changed.exit_code == 1
    assert changed.stderr.startswith(
        "worcestershire/WOR-CIN-0001/note_family-mum.txt: the document's text has changed\n"
        "--- snapshot/worcestershire/WOR-CIN-0001/note_family-mum.txt\n"
        "+++ rendered/worcestershire/WOR-CIN-0001/note_family-mum.txt\n"
        "@@ -1,5 +1,3 @@\n"
        " Dear Ms Placeholder,\n"
        " Our reference: WOR-CIN-0001\n"
        "-We are writing about Poppy Placeholder and Alfie Placeholder.\n"
        "---- header (section 1) ---\n"
        "-Worcestershire County Council\n"
        "+We are writing to you about Poppy Placeholder and Alfie Placeholder.\n"
    )
    assert changed.stderr.endswith("3 documents, 3 different.\n")


def test_new_and_gone_documents(root, tmp_path):
    folder = tmp_path / "snapshots"
    stale = folder / "worcestershire" / "WOR-CIN-0001" / "retired-letter.txt"
    stale.parent.mkdir(parents=True)
    stale.write_text("old\n")
    result = invoke(templates, ["snapshot", "--dir", folder, "--templates", root])
    assert result.exit_code == 1
    assert "worcestershire/WOR-CIN-0001/note_family-mum.txt: no snapshot yet\n" \
           "Run `docgen templates snapshot --update` to record it." in result.stderr
    assert "worcestershire/WOR-CIN-0001/retired-letter.txt: the snapshot has no document any more" in result.stderr
    updated = invoke(templates, ["snapshot", "--update", "--dir", folder, "--templates", root])
    assert "removed worcestershire/WOR-CIN-0001/retired-letter.txt" in updated.stdout
    assert not stale.exists()


def test_another_template_set_keeps_its_snapshots_beside_it(root, tmp_path):
    assert snapshot_folder(ROOT / "templates") == SNAPSHOT_DIR
    made = invoke(templates, ["snapshot", "--update", "--templates", root])
    assert made.exit_code == 0, made.output
    assert (tmp_path / "snapshots" / "worcestershire/WOR-CIN-0001/note_family-mum.txt").is_file()
    same = invoke(templates, ["snapshot", "--templates", root])
    assert (same.exit_code, same.stdout) == (0, "3 documents, 0 different.\n")


def test_one_document_updated_alone(root, tmp_path):
    """What publishing a template from the web workspace records: that authority's document only."""
    build(root / "default" / "card.docx", ["Card for {{ case.reference }}"])
    folder = tmp_path / "snapshots"
    assert invoke(templates, ["snapshot", "--update", "--dir", folder, "--templates", root]).exit_code == 0
    other = folder / "worcestershire" / "WOR-CIN-0002" / "note_family-mum.txt"  # a sample's snapshot no longer made
    other.parent.mkdir()
    other.write_text("kept\n")
    build(root / "default" / "note.docx", ["{{ recipient.salutation }}, about {{ case.reference }}"])
    build(root / "default" / "card.docx", ["A new card for {{ case.reference }}"])

    changed = update_document(Registry(root), "note", "worcestershire", folder)

    assert sorted((d.name, d.kind) for d in changed) == [
        ("worcestershire/WOR-CIN-0001/note_agency-hv.txt", "changed"),
        ("worcestershire/WOR-CIN-0001/note_agency-teacher.txt", "changed"),
        ("worcestershire/WOR-CIN-0001/note_family-mum.txt", "changed"),
        ("worcestershire/WOR-CIN-0002/note_family-mum.txt", "gone"),
    ]
    assert (folder / "worcestershire/WOR-CIN-0001/note_family-mum.txt").read_text() == "Dear Ms Placeholder, about WOR-CIN-0001\n"
    assert (folder / "worcestershire/WOR-CIN-0001/card_family-mum.txt").read_text() == "Card for WOR-CIN-0001\n"  # not this one
    result = invoke(templates, ["snapshot", "--dir", folder, "--templates", root])
    assert result.stderr.endswith("6 documents, 3 different.\n"), result.stderr  # the cards alone
