"""Template regression: every template filled from the samples, kept as text beside the tests.

``tests/snapshots/<authority>/<case-reference>/<doc-id>[_<recipient>].txt`` holds what each
document says when filled from one sample: body, tables, headers and footers. (The sample's case
reference keeps two samples of one authority apart.) Another set of templates (``--templates``,
a server's) keeps its snapshots in ``snapshots/`` beside its templates folder, as it keeps its
samples in ``samples/`` there (:func:`snapshot_folder`). A change to a template
that changes what a family reads shows up as a difference to look at; after a deliberate change,
``docgen templates snapshot --update`` records the new text. Samples fix their own issue date,
so the text never depends on the day the tests run.
"""

from __future__ import annotations

import difflib
import fnmatch
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
REPOSITORY_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def snapshot_folder(templates_root: Path) -> Path:
    """Where the snapshots of the templates in ``templates_root`` are kept: the repository's
    ``tests/snapshots`` for its own templates, else ``snapshots/`` beside the templates folder."""
    root = Path(templates_root).resolve()
    return SNAPSHOT_DIR if root == REPOSITORY_TEMPLATES else root.parent / "snapshots"


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


def render_snapshots(registry: Registry | None = None, samples: list[Path] | None = None,
                     doc_ids: list[str] | None = None) -> list[Snapshot]:
    """Every registered document (or those of ``doc_ids``), filled from every sample that has
    what it requires."""
    registry = registry or Registry()
    samples = sample_files(registry.root) if samples is None else samples
    found: dict[str, Snapshot] = {}
    for sample in samples:
        bundle = read_sample(sample)
        pipeline = Pipeline(registry, today=issue_date(bundle))
        for doc_id in registry.document_ids() if doc_ids is None else doc_ids:
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


def compare(snapshots: list[Snapshot], folder: Path = SNAPSHOT_DIR, within: tuple[str, ...] = ("*",)) -> list[Difference]:
    """How the documents filled now differ from the snapshots kept in ``folder``; only the kept
    snapshots whose names match one of the globs ``within`` count as gone when nothing made them."""
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
        if name not in made and any(fnmatch.fnmatchcase(name, glob) for glob in within):
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


def update(snapshots: list[Snapshot], folder: Path = SNAPSHOT_DIR, within: tuple[str, ...] = ("*",)) -> list[Difference]:
    """Write every snapshot that changed and remove those with no document (among those
    matching ``within``); returns what changed.

    Documents that failed to fill are reported, and their old snapshots are left as they were.
    """
    differences = compare(snapshots, folder, within)
    by_name = {s.name: s for s in snapshots}
    for difference in differences:
        path = folder / difference.name
        if difference.kind in ("changed", "new"):
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path.resolve(), by_name[difference.name].text.encode("utf-8"))
        elif difference.kind == "gone":
            path.unlink()
    return differences


def update_document(registry: Registry, doc_id: str, authority: str, folder: Path) -> list[Difference]:
    """Record the snapshots of one authority's ``doc_id`` alone, as ``--update`` would: what a
    published template changes, leaving every other document's snapshot as it was."""
    samples = [s for s in sample_files(registry.root) if read_sample(s).authority == authority]
    snapshots = render_snapshots(registry, samples, [doc_id])
    return update(snapshots, folder, (f"{authority}/*/{doc_id}.txt", f"{authority}/*/{doc_id}_*.txt"))


def _kept(folder: Path) -> list[Path]:
    return sorted(folder.glob("*/*/*.txt")) if folder.is_dir() else []

