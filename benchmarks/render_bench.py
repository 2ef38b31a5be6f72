"""DOCX speed: the whole of docgen's Pipeline.render against plain docxtpl and a raw floor.

    .venv/bin/python benchmarks/render_bench.py [--rounds 5] [--seconds 2] [--doc outcome-letter]

Three ways of making the same letters, interleaved round by round so that a busy moment of the
machine falls on all of them alike:

- docgen: ``Pipeline.render(bundle, [doc])``, everything a caller pays (the case's view with
  its withholding and display values, each recipient's copy filled and packaged), templates
  compiled once per process as a long-running docgen keeps them;
- plain docxtpl: what a mail merge written with it does per document (a new DocxTemplate,
  render, save), given the same context ready-made;
- the raw floor: read the template file, splice in parts filled in advance (already deflated)
  and write the zip: the least any DOCX filler must do.

It prints each one's time per document (minimum and median over the rounds), docgen's speed
against docxtpl and its distance from the floor, and checks that docgen's text is docxtpl's.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
import zipfile
from datetime import date
from pathlib import Path

from docxtpl import DocxTemplate

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import docx_text  # noqa: E402
from docgen.pipeline import Pipeline  # noqa: E402
from docgen.registry import Registry  # noqa: E402
from docgen.render import logo, package  # noqa: E402
from docgen.render.environment import make_environment  # noqa: E402
from docgen.view.context import build_context  # noqa: E402
from docgen.view.recipients import recipients_for  # noqa: E402

SAMPLE = ROOT / "samples" / "valid" / "worcestershire-child-in-need.json"
TODAY = date(2026, 11, 20)


def per_document(work, seconds: float) -> float:
    """Seconds per document for ``work`` (which returns how many it made), repeated ``seconds``."""
    made, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        made += work()
    return (time.perf_counter() - start) / made


def raw_entries(template: Path) -> dict[str, package.Entry]:
    """The template's parts as they are stored (compressed), by name."""
    data = template.read_bytes()
    entries = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            # the local header's own name and extra lengths decide where the data starts
            name_len = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little")
            extra_len = int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
            start = info.header_offset + 30 + name_len + extra_len
            entries[info.filename] = package.Entry(
                info.filename, info.compress_type, info.CRC, info.file_size, data[start:start + info.compress_size]
            )
    return entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--doc", default="outcome-letter")
    args = parser.parse_args()

    pipeline = Pipeline(Registry(ROOT / "templates"), today=TODAY)
    bundle = pipeline.load(SAMPLE)
    template = pipeline.registry.resolve(args.doc, bundle.authority)
    profile = pipeline.registry.profile(bundle.authority)
    recipients = recipients_for(template, bundle)
    # docgen's engine shows the profile's logo as a Word picture; docxtpl is given the same.
    contexts = [logo.with_picture(build_context(bundle, profile, template, r, today=TODAY)) for r in recipients]
    env = make_environment()
    documents = pipeline.render(bundle, [args.doc])
    filled = [{n: package.compressed(n, z.read(n), level=1) for n in z.namelist() if n.startswith("word/document")}
              for z in (zipfile.ZipFile(io.BytesIO(d.docx)) for d in documents)]  # fmt: skip

    def docgen() -> int:
        return len(pipeline.render(bundle, [args.doc]))

    def plain_docxtpl() -> int:
        for context in contexts:
            document = DocxTemplate(str(template.path))
            document.render(context, jinja_env=env, autoescape=True)
            document.save(io.BytesIO())
        return len(contexts)

    def raw_floor() -> int:
        for parts in filled:
            entries = raw_entries(template.path)
            entries.update(parts)
            package.write_zip(list(entries.values()))
        return len(filled)

    # The same text either way (docxtpl's own result is the reference).
    for document, context in zip(documents, contexts, strict=True):
        reference = DocxTemplate(str(template.path))
        reference.render(context, jinja_env=env, autoescape=True)
        out = io.BytesIO()
        reference.save(out)
        assert docx_text(document.docx) == docx_text(out.getvalue()), f"{document.stem} differs from docxtpl"

    ways = {"docgen Pipeline.render": docgen, "plain docxtpl": plain_docxtpl, "raw floor": raw_floor}
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(args.rounds):
        for name, work in ways.items():
            work()  # warm
            times[name].append(per_document(work, args.seconds))
    print(f"template: {template.path.relative_to(ROOT)}, {len(recipients)} recipients a call; "
          f"{args.rounds} rounds of {args.seconds:g} s each, interleaved; CPU cores: {os.cpu_count()}")  # fmt: skip
    print(f"{'':26} {'min ms':>8} {'median ms':>10} {'docs/s (median)':>16}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:26} {min(values) * 1000:8.3f} {median * 1000:10.3f} {1 / median:16.0f}")
    docgen_median = statistics.median(times["docgen Pipeline.render"])
    print(f"docgen is {statistics.median(times['plain docxtpl']) / docgen_median:.1f}x plain docxtpl, "
          f"{docgen_median / statistics.median(times['raw floor']):.1f}x the raw floor (target: within 4x); "
          "text identical to docxtpl's")  # fmt: skip


if __name__ == "__main__":
    main()
