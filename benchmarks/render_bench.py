"""Render speed: docgen's compiled templates against plain docxtpl, in the same run.

    .venv/bin/python benchmarks/render_bench.py [--seconds 5] [--doc outcome-letter]

Plain docxtpl is what a mail merge written with it does per document: a new DocxTemplate,
render, save. docgen compiles each template once per process and copies unchanged zip parts.
Both render the same one-page letter with the same context, on one core.
"""

from __future__ import annotations

import argparse
import io
import os
import time
import zipfile
from datetime import date
from pathlib import Path

from docxtpl import DocxTemplate

from docgen.pipeline import Pipeline
from docgen.registry import Registry
from docgen.view.context import build_context
from docgen.render.environment import make_environment
from docgen.view.recipients import recipients_for

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "valid" / "worcestershire-child-in-need.json"


def rate(label: str, work, seconds: float) -> float:
    """Documents per second for ``work`` repeated for about ``seconds``."""
    work()  # warm up (imports, caches)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        work()
        count += 1
    per_second = count / (time.perf_counter() - start)
    print(f"{label:<44} {per_second:8.1f} documents/s  ({count} in {seconds:g} s)")
    return per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--doc", default="outcome-letter")
    args = parser.parse_args()

    pipeline = Pipeline(Registry(ROOT / "templates"), today=date(2026, 11, 20))
    bundle = pipeline.load(SAMPLE)
    template = pipeline.registry.resolve(args.doc, bundle.authority)
    profile = pipeline.registry.profile(bundle.authority)
    recipient = recipients_for(template, bundle)[0]
    context = build_context(bundle, profile, template, recipient, today=date(2026, 11, 20))
    env = make_environment()
    compiled = pipeline.compiled(template)
    provenance = pipeline.provenance(bundle, template, profile)

    def plain_docxtpl() -> bytes:
        document = DocxTemplate(str(template.path))
        document.render(context, jinja_env=env, autoescape=True)
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()

    def docgen_fast() -> bytes:
        return compiled.render(context, provenance)

    def zip_only() -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(template.path) as source, zipfile.ZipFile(buffer, "w") as target:
            for item in source.infolist():
                target.writestr(item, source.read(item.filename))
        return buffer.getvalue()

    print(f"template: {template.path.relative_to(ROOT)} ({template.path.stat().st_size:,} bytes); "
          f"CPU cores: {os.cpu_count()}; one process, one core")
    baseline = rate("plain docxtpl (new, render, save)", plain_docxtpl, args.seconds)
    fast = rate("docgen compiled template", docgen_fast, args.seconds)
    rate("re-writing the template's zip (reference)", zip_only, args.seconds)
    print(f"speed-up over plain docxtpl: {fast / baseline:.1f}x (target: at least 10x)")


if __name__ == "__main__":
    main()
