"""Compare one soffice process per document with the warm Converter, in one run.

Usage: python benchmarks/convert_bench.py [--docs 100] [--baseline-docs 10] [--jobs 2]

Both sides use a LibreOffice profile that already exists (the baseline's is made by an untimed
first conversion), so the figures compare process start-up per document, not profile creation.
The warm side's timing includes creating its own worker profiles.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from docx import Document
from docx.shared import Mm, Pt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from docgen.convert import Converter, export_filter, export_options, find_soffice  # noqa: E402


def make_letters(folder: Path, count: int) -> list[Path]:
    """Write ``count`` one-page letters with lean styles; return their paths."""
    paths = []
    for n in range(count):
        document = Document()
        section = document.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        normal = document.styles["Normal"]
        normal.font.name = "Arial"
        normal.font.size = Pt(11)
        document.add_paragraph(f"Reference BENCH-{n:04d}")
        document.add_paragraph("Dear parent or carer,")
        for _ in range(4):
            document.add_paragraph(
                "We are writing about the review meeting for your child's plan. "
                "Please contact the team if the date does not suit you."
            )
        document.add_paragraph("Yours sincerely,")
        path = folder / f"letter{n:04d}.docx"
        document.save(path)
        paths.append(path)
    return paths


def per_process(soffice: str, docs: list[Path], out: Path, profile: Path) -> float:
    """Seconds to convert ``docs`` with one soffice process each."""
    command = [
        soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
        "--convert-to", export_filter(export_options(pdfa=False)), "--outdir", str(out),
    ]  # fmt: skip
    subprocess.run([*command, str(docs[0])], capture_output=True, check=True)  # makes the profile
    start = time.perf_counter()
    for doc in docs:
        subprocess.run([*command, str(doc)], capture_output=True, check=True)
    return time.perf_counter() - start


def warm(docs: list[Path], out: Path, jobs: int) -> float:
    """Seconds to convert ``docs`` with a fresh warm Converter on ``jobs`` workers."""
    start = time.perf_counter()
    with Converter(jobs=jobs) as converter:
        results = converter.convert_many([(d, out / f"{d.stem}.pdf") for d in docs])
    elapsed = time.perf_counter() - start
    failed = [r.error for r in results if not r.ok]
    if failed:
        raise SystemExit(f"{len(failed)} conversions failed: {failed[:3]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--baseline-docs", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    soffice = find_soffice()
    with tempfile.TemporaryDirectory(prefix="docgen-bench-") as tmp:
        folder = Path(tmp)
        (folder / "base").mkdir()
        (folder / "warm").mkdir()
        docs = make_letters(folder, max(args.docs, args.baseline_docs))
        base_docs = docs[: args.baseline_docs]
        base_seconds = per_process(soffice, base_docs, folder / "base", folder / "profile")
        warm_seconds = warm(docs[: args.docs], folder / "warm", args.jobs)
    base_rate = len(base_docs) / base_seconds
    warm_rate = args.docs / warm_seconds
    print(f"one process per document: {len(base_docs)} PDFs in {base_seconds:.1f} s "
          f"= {base_rate:.2f} PDFs/s")  # fmt: skip
    print(f"warm Converter, {args.jobs} workers: {args.docs} PDFs in {warm_seconds:.1f} s "
          f"= {warm_rate:.2f} PDFs/s")  # fmt: skip
    print(f"speed-up: {warm_rate / base_rate:.1f}x")


if __name__ == "__main__":
    main()
