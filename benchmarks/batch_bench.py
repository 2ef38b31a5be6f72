"""Batch throughput and memory, next to plain docxtpl and one LibreOffice process per document.

    python benchmarks/batch_bench.py [--docs 1000] [--pdf-docs 1000] [--memory-docs 1000 5000]

Bundles are made by varying every valid sample with fictional names (so several authorities,
plan types and documents), written as one JSON Lines file, and run through ``run_batch`` as the
``docgen batch`` command would (validation, rendering, atomic writes, manifest, register).
In the same run:

* the fixed cost of a run (worker start-up, templates compiled once per worker), from a batch
  of one bundle;
* DOCX documents/s with 1 and 2 worker processes, start-up included;
* plain docxtpl: a new DocxTemplate, render, save per document, on the same documents with the
  same contexts (built beforehand, untimed, so the baseline does less than the batch), one core;
* PDF documents/s (warm LibreOffice in every worker);
* one LibreOffice process per document on a small sample (a profile made beforehand), the rate
  extrapolated;
* peak memory: the largest sum of RSS over the main process and all its children (workers,
  LibreOffice), sampled every 50 ms, for DOCX batches of each ``--memory-docs`` size. RSS
  counts pages shared between processes once per process, so the sum overstates a little.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import psutil
from docxtpl import DocxTemplate

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from batch_helpers import make_bundles, samples, write_jsonl  # noqa: E402

from docgen.batch import BatchOptions, run_batch  # noqa: E402
from docgen.bundle.load import parse  # noqa: E402
from docgen.convert import export_filter, export_options, find_soffice  # noqa: E402
from docgen.pipeline import Pipeline  # noqa: E402
from docgen.registry import Registry  # noqa: E402
from docgen.view.context import build_context  # noqa: E402
from docgen.render.environment import make_environment  # noqa: E402
from docgen.view.recipients import recipients_for  # noqa: E402
from docgen.validate import validate  # noqa: E402

TODAY = date(2026, 11, 20)
TEMPLATES = ROOT / "templates"


class PeakMemory:
    """The largest total RSS of this process and its children while the block runs."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(0.05)


def bundles_for(documents: int, pipeline: Pipeline) -> list[dict]:
    """Enough varied bundles for at least ``documents`` documents."""
    per_sample = [len(pipeline.render(load(pipeline, data))) for data in samples()]
    count, total = 0, 0
    while total < documents:
        total += per_sample[count % len(per_sample)]
        count += 1
    return make_bundles(count, prefix="BENCH")


def load(pipeline: Pipeline, data: dict):
    return validate(parse(json.dumps(data), "bench"), pipeline.registry, TODAY).raise_for_errors()


def batch(source: Path, out: Path, **options) -> tuple[float, int, int]:
    """Seconds, documents issued and peak memory of one batch run."""
    with PeakMemory() as memory:
        start = time.perf_counter()
        summary = run_batch(BatchOptions(source, out, templates=TEMPLATES, today=TODAY, progress=False, **options))
        seconds = time.perf_counter() - start
    if summary.failures:
        raise SystemExit(f"{len(summary.failures)} failures: {summary.failures[:3]}")
    return seconds, summary.issued, memory.peak


def plain_docxtpl(pipeline: Pipeline, bundles: list[dict], count: int, out: Path) -> tuple[float, int]:
    """Seconds for ``count`` documents the way a plain docxtpl mail merge makes them."""
    env = make_environment()
    work = []
    for data in bundles:
        bundle = load(pipeline, data)
        profile = pipeline.registry.profile(bundle.authority)
        for doc_id in pipeline.document_ids(bundle, None):
            template = pipeline.registry.resolve(doc_id, bundle.authority)
            for recipient in recipients_for(template, bundle):
                work.append((template.path, build_context(bundle, profile, template, recipient, today=TODAY)))
        if len(work) >= count:
            break
    work = work[:count]
    start = time.perf_counter()
    for n, (path, context) in enumerate(work):
        document = DocxTemplate(str(path))
        document.render(context, jinja_env=env, autoescape=True)
        document.save(out / f"{n}.docx")
    return time.perf_counter() - start, len(work)


def one_soffice_per_document(docs: list[Path], out: Path) -> float:
    soffice = find_soffice()
    profile = (out / "profile").as_uri()
    command = [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
               "--convert-to", export_filter(export_options(pdfa=False)), "--outdir", str(out)]  # fmt: skip
    subprocess.run([*command, str(docs[0])], capture_output=True, check=True)  # makes the profile
    start = time.perf_counter()
    for doc in docs:
        subprocess.run([*command, str(doc)], capture_output=True, check=True)
    return time.perf_counter() - start


def line(label: str, documents: int, seconds: float, extra: str = "") -> None:
    print(f"{label:<52} {documents / seconds:8.1f} documents/s  ({documents} in {seconds:.1f} s){extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000, help="documents in the DOCX batches")
    parser.add_argument("--pdf-docs", type=int, default=1000, help="documents in the PDF batch")
    parser.add_argument("--memory-docs", type=int, nargs="*", default=[1000, 5000])
    parser.add_argument("--baseline-docs", type=int, default=300, help="documents for plain docxtpl")
    parser.add_argument("--soffice-docs", type=int, default=8, help="documents for one soffice each")
    args = parser.parse_args()

    pipeline = Pipeline(Registry(TEMPLATES), today=TODAY)
    print(f"CPU cores: {os.cpu_count()}; {len(samples())} sample bundles, "
          f"{len(pipeline.registry.document_ids())} document types, "
          f"{len(pipeline.registry.authorities())} authorities")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="docgen-batch-bench-") as tmp:
        tmp = Path(tmp)
        bundles = bundles_for(args.docs, pipeline)
        source = write_jsonl(tmp / "cases.jsonl", bundles)
        one = write_jsonl(tmp / "one.jsonl", bundles[:1])
        seconds, issued, _ = batch(one, tmp / "startup", jobs=2)
        print(f"{'start-up: a batch of one bundle, --jobs 2':<52} {seconds:8.2f} s ({issued} documents)")
        memory = {}
        for jobs in (1, 2):
            seconds, issued, peak = batch(source, tmp / f"docx-{jobs}", jobs=jobs)
            line(f"docgen batch, DOCX, --jobs {jobs}", issued, seconds, f", peak RSS {peak / 2**20:.0f} MiB")
            memory[issued] = peak
        (tmp / "plain").mkdir()
        seconds, count = plain_docxtpl(pipeline, bundles, args.baseline_docs, tmp / "plain")
        line("plain docxtpl (new, render, save), one core", count, seconds)

        pdf_bundles = bundles_for(args.pdf_docs, pipeline)
        pdf_source = write_jsonl(tmp / "pdf-cases.jsonl", pdf_bundles)
        seconds, issued, peak = batch(pdf_source, tmp / "pdf", jobs=2, fmt="pdf")
        line("docgen batch, PDF, --jobs 2 (warm LibreOffice)", issued, seconds, f", peak RSS {peak / 2**20:.0f} MiB")
        (tmp / "soffice").mkdir()
        docs = sorted((tmp / "docx-1").glob("*.docx"))[: args.soffice_docs]
        seconds = one_soffice_per_document(docs, tmp / "soffice")
        line("one LibreOffice process per document (extrapolated)", len(docs), seconds)

        for size in args.memory_docs:
            if any(abs(issued - size) < size * 0.05 for issued in memory):
                continue
            source = write_jsonl(tmp / f"memory-{size}.jsonl", bundles_for(size, pipeline))
            seconds, issued, peak = batch(source, tmp / f"memory-{size}", jobs=2)
            line(f"docgen batch, DOCX, --jobs 2, {size} documents", issued, seconds,
                 f", peak RSS {peak / 2**20:.0f} MiB")  # fmt: skip
            memory[issued] = peak
        print("peak RSS (main + workers) by batch size, DOCX --jobs 2: " + ", ".join(
            f"{n} documents: {peak / 2**20:.0f} MiB" for n, peak in sorted(memory.items())))  # fmt: skip


if __name__ == "__main__":
    main()
