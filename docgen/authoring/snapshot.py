"""Template regression: every template filled from the samples, kept as text beside the tests.

``tests/snapshots/<authority>/<case-reference>/<doc-id>[_<recipient>].txt`` holds what each
document says when filled from one sample: body, tables, headers and footers. (The sample's case
reference keeps two samples of one authority apart.) A change to a template
that changes what a family reads shows up as a difference to look at; after a deliberate change,
``docgen templates snapshot --update`` records the new text. Samples fix their own issue date,
so the text never depends on the day the tests run.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from docgen.authoring.samples import (
    document_text,
    has_required,
    issue_date,
    read_sample,
    sample_files,
)
from docgen.atomic import write_atomic
from docgen.exceptions import TemplateFault
from docgen.pipeline import Pipeline
from docgen.registry import Registry

SNAPSHOT_DIR = Path(__file__).resolve().parents[2] / "tests" / "snapshots"


@dataclass(frozen=True)
class Snapshot:
    """One document filled from one sample for one recipient: its text, or why it failed."""

    name: str  # "worcestershire/WOR-CIN-0001/outcome-letter_family-mum.txt"
    sample: Path
    text: str | None = None
    error: str | None = None
    template_fault: bool = False  # the template's own wording is wrong: the same for every sample


@dataclass(frozen=True)
class Difference:
    name: str
    kind: str  # "changed", "new", "gone" or "failed"
    detail: str  # a unified diff, or the error

    def describe(self) -> str:
        heading = {
            "changed": f"{self.name}: the document's text has changed",
            "new": f"{self.name}: no snapshot yet",
            "gone": f"{self.name}: the snapshot has no document any more",
            "failed": f"{self.name}: the document could not be filled",
        }[self.kind]
        return f"{heading}\n{self.detail}".rstrip()


def render_snapshots(registry: Registry | None = None, samples: list[Path] | None = None) -> list[Snapshot]:
    """Every registered document, filled from every sample that has what it requires."""
    registry = registry or Registry()
    samples = sample_files(registry.root) if samples is None else samples
    found: dict[str, Snapshot] = {}
    for sample in samples:
        bundle = read_sample(sample)
        pipeline = Pipeline(registry, today=issue_date(bundle))
        for doc_id in registry.document_ids():
            template = registry.resolve(doc_id, bundle.authority)
            if not has_required(bundle, template.requires):
                continue
            for result in pipeline.render(bundle, [doc_id]):
                recipient = f"_{result.recipient.slug}" if result.recipient else ""
                name = f"{bundle.authority}/{bundle.reference}/{doc_id}{recipient}.txt"
                if result.ok:
                    found[name] = Snapshot(name, sample, text=document_text(result.docx))
                elif isinstance(result.error, TemplateFault):
                    error = f"{result.error.source}: {result.error.message}"  # no case: not the bundle's
                    found[name] = Snapshot(name, sample, error=error, template_fault=True)
                else:
                    found[name] = Snapshot(name, sample, error=str(result.error))
    return list(found.values())


def compare(snapshots: list[Snapshot], folder: Path = SNAPSHOT_DIR) -> list[Difference]:
    """How the documents filled now differ from the snapshots kept in ``folder``."""
    differences = []
    made = set()
    for snapshot in snapshots:
        made.add(snapshot.name)
        path = folder / snapshot.name
        if snapshot.error is not None:
            detail = snapshot.error if snapshot.template_fault else f"{snapshot.sample.name}: {snapshot.error}"
            differences.append(Difference(snapshot.name, "failed", detail))
        elif not path.is_file():
            differences.append(Difference(snapshot.name, "new", "Run `docgen templates snapshot --update` to record it."))
        else:
            kept = path.read_text("utf-8")
            if kept != snapshot.text:
                differences.append(Difference(snapshot.name, "changed", unified_diff(kept, snapshot.text, snapshot.name)))
    for path in _kept(folder):
        name = path.relative_to(folder).as_posix()
        if name not in made:
            differences.append(Difference(name, "gone", "Run `docgen templates snapshot --update` to remove it."))
    return differences


def told_once(differences: list[Difference]) -> list[str]:
    """Each difference described, with the documents one error stopped told together, once."""
    failed: dict[str, list[str]] = {}
    for difference in differences:
        if difference.kind == "failed":
            failed.setdefault(difference.detail, []).append(difference.name)
    told = [d.describe() for d in differences if d.kind != "failed"]
    for detail, names in failed.items():
        if len(names) == 1:
            told.append(f"{names[0]}: the document could not be filled\n{detail}")
        else:
            told.append(f"{len(names)} documents could not be filled ({', '.join(names)}):\n{detail}")
    return told


def unified_diff(kept: str, now: str, name: str) -> str:
    lines = difflib.unified_diff(
        kept.splitlines(keepends=True), now.splitlines(keepends=True),
        fromfile=f"snapshot/{name}", tofile=f"rendered/{name}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def update(snapshots: list[Snapshot], folder: Path = SNAPSHOT_DIR) -> list[Difference]:
    """Write every snapshot that changed and remove those with no document; returns what changed.

    Documents that failed to fill are reported, and their old snapshots are left as they were.
    """
    differences = compare(snapshots, folder)
    by_name = {s.name: s for s in snapshots}
    for difference in differences:
        path = folder / difference.name
        if difference.kind in ("changed", "new"):
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path.resolve(), by_name[difference.name].text.encode("utf-8"))
        elif difference.kind == "gone":
            path.unlink()
    return differences


def _kept(folder: Path) -> list[Path]:
    return sorted(folder.glob("*/*/*.txt")) if folder.is_dir() else []

