"""PDF speed: docgen against LibreOffice alone on the same documents, in one run.

    .venv/bin/python benchmarks/pdf_bench.py [--rounds 3] [--per-document 8]

The documents are every document of every sample bundle, filled by docgen once as DOCX. Each
round runs, one after another on the same files:

- LibreOffice alone: two ``soffice --convert-to`` processes, each converting half the files in
  one call, with profiles that already exist (the ceiling docgen's PDF path is judged against);
- docgen's Converter (two workers, started and stopped inside the timing);
- ``docgen batch samples/valid --format pdf`` end to end (validation, rendering, register);
- ``docgen render BUNDLE --format pdf``, bundle by bundle, as a user gets it: the first command
  starts the warm converter service (its start-up is inside the timing; the round ends by
  stopping it), later ones use it; and the same with the service off (``DOCGEN_PDF_IDLE=0``);
- one ``soffice`` process per document, on the first ``--per-document`` files (the floor).

It prints the minimum and median PDFs a second of each and their share of LibreOffice alone,
and checks that docgen's PDFs hold the same text as LibreOffice's own.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docgen.convert import Converter, export_filter, export_options, find_soffice  # noqa: E402
from docgen.pipeline import Pipeline  # noqa: E402

SAMPLES = ROOT / "samples" / "valid"
DOCGEN = [sys.executable, "-m", "docgen.cli"] if not (ROOT / ".venv/bin/docgen").exists() else [
    str(ROOT / ".venv/bin/docgen")
]


def sample_copies(folder: Path, copies: int) -> Path:
    """``copies`` of every sample in ``folder``, each with its own case reference."""
    folder.mkdir()
    for sample in sorted(SAMPLES.glob("*.json")):
        for k in range(copies):
            data = json.loads(sample.read_text("utf-8"))
            reference = data["case"]["reference"]
            data["case"]["reference"] = re.sub(r"\d+$", lambda m: f"{int(m.group()) + 1000 * k:04d}", reference)
            (folder / f"{sample.stem}-{k}.json").write_text(json.dumps(data), "utf-8")
    return folder


def fill_samples(folder: Path, samples: Path) -> dict[Path, list[Path]]:
    """Every requested document of every bundle in ``samples`` as DOCX in ``folder``, by bundle."""
    pipeline = Pipeline()
    by_sample = {}
    for sample in sorted(samples.glob("*.json")):
        bundle = pipeline.load(sample)
        paths = by_sample.setdefault(sample, [])
        for document in pipeline.render(bundle):
            if document.ok:
                path = folder / f"{document.stem}.docx"
                path.write_bytes(document.docx)
                paths.append(path)
    return by_sample


def soffice_command(soffice: str, profile: Path, out: Path) -> list[str]:
    return [
        soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
        "--nolockcheck", "--convert-to", export_filter(export_options(pdfa=False)), "--outdir", str(out),
    ]  # fmt: skip


def libreoffice_alone(soffice: str, docs: list[Path], out: Path, profiles: list[Path]) -> float:
    halves = [docs[0::2], docs[1::2]]
    start = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda n: subprocess.run(
            [*soffice_command(soffice, profiles[n], out), *map(str, halves[n])],
            capture_output=True, check=True), range(2)))  # fmt: skip
    return time.perf_counter() - start


def one_process_each(soffice: str, docs: list[Path], out: Path, profile: Path) -> float:
    start = time.perf_counter()
    for doc in docs:
        subprocess.run([*soffice_command(soffice, profile, out), str(doc)], capture_output=True, check=True)
    return time.perf_counter() - start


def converter(docs: list[Path], out: Path) -> float:
    start = time.perf_counter()
    with Converter(jobs=2) as warm:
        results = warm.convert_many([(d, out / f"{d.stem}.pdf") for d in docs])
    elapsed = time.perf_counter() - start
    failed = [r.error for r in results if not r.ok]
    if failed:
        raise SystemExit(f"{len(failed)} conversions failed: {failed[:3]}")
    return elapsed


def batch(samples: Path, out: Path) -> tuple[float, int]:
    start = time.perf_counter()
    subprocess.run([*DOCGEN, "batch", str(samples), "--out", str(out), "--format", "pdf", "--jobs", "2"],
                   capture_output=True, check=True)  # fmt: skip
    return time.perf_counter() - start, len(list(out.glob("*.pdf")))


def render_each(samples: Path, out: Path, cache: Path, idle: str | None = None,
                running: bool = False) -> tuple[float, int]:
    """``docgen render`` of each bundle's requested documents as PDF, one command per bundle.

    With ``idle`` None the warm service is on as by default: no service runs before the first
    command (its start is timed) unless ``running``, when an untimed command starts it first (as
    for someone rendering all day); it is stopped after the last."""
    env = {k: v for k, v in os.environ.items() if k != "DOCGEN_PDF_IDLE"}
    env["DOCGEN_CACHE_DIR"] = str(cache)  # the bench's profiles, made before timing
    if idle is not None:
        env["DOCGEN_PDF_IDLE"] = idle
    stop_service(cache)
    commands = [[*DOCGEN, "render", str(sample), "--format", "pdf", "--out", str(out), "--no-record"]
                for sample in sorted(samples.glob("*.json"))]  # fmt: skip
    if running:
        with tempfile.TemporaryDirectory() as scratch:
            subprocess.run([*commands[0][:-3], "--out", scratch, "--no-record"], capture_output=True, check=True, env=env)
    start = time.perf_counter()
    for command in commands:
        subprocess.run(command, capture_output=True, check=True, env=env)
    elapsed = time.perf_counter() - start
    stop_service(cache)
    return elapsed, len(list(out.glob("*.pdf")))


def stop_service(cache: Path) -> None:
    """Stop the warm converter service started from ``cache``, and wait until it has gone."""
    pid_file = cache / "converter.pid"
    try:
        pid = int(pid_file.read_text())
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        return
    deadline = time.monotonic() + 30
    while pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def libreoffice_alone_each(soffice: str, by_sample: dict, out: Path, profiles: list[Path]) -> float:
    """LibreOffice alone as render is judged: each bundle's files in their own two calls."""
    return sum(libreoffice_alone(soffice, docs, out, profiles) for docs in by_sample.values())


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-document", type=int, default=8)
    parser.add_argument("--copies", type=int, default=5, help="copies of each sample (own case references)")
    args = parser.parse_args()
    soffice = find_soffice()
    rates: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="docgen-pdf-bench-") as tmp:
        work = Path(tmp)
        (work / "docx").mkdir()
        bundles = sample_copies(work / "bundles", args.copies)
        by_sample = fill_samples(work / "docx", bundles)
        docs = [doc for sample_docs in by_sample.values() for doc in sample_docs]
        originals = {s: d for s, d in by_sample.items() if s.stem.endswith("-0")}  # render: the samples once
        (work / "once").mkdir()
        for sample in originals:
            shutil.copy(sample, work / "once" / sample.name)
        profiles = [work / "profile0", work / "profile1"]
        warmup = work / "warmup"
        libreoffice_alone(soffice, docs[:2], warmup, profiles)  # makes both profiles, untimed
        cache = work / "cache"  # docgen's cache folder for render: its profiles are made here, untimed
        render_each(work / "once", warmup, cache)
        for round_number in range(args.rounds):
            folders = {name: work / f"{name}{round_number}" for name in
                       ("alone", "alone-each", "converter", "batch", "render", "render-running", "render-cold", "each")}  # fmt: skip
            for folder in folders.values():
                folder.mkdir()
            timings = {
                "LibreOffice alone (2 processes)": (libreoffice_alone(soffice, docs, folders["alone"], profiles), len(docs)),
                "docgen Converter (2 workers)": (converter(docs, folders["converter"]), len(docs)),
                "docgen batch --format pdf": batch(bundles, folders["batch"]),
                "LibreOffice alone, bundle by bundle": (
                    libreoffice_alone_each(soffice, originals, folders["alone-each"], profiles),
                    sum(len(d) for d in originals.values())),
                "docgen render, bundle by bundle": render_each(work / "once", folders["render"], cache),
                "  the same, service already running": render_each(work / "once", folders["render-running"], cache,
                                                                    running=True),
                "  the same, warm service off": render_each(work / "once", folders["render-cold"], cache, idle="0"),
                "one soffice per document": (
                    one_process_each(soffice, docs[: args.per_document], folders["each"], profiles[0]),
                    args.per_document,
                ),
            }  # fmt: skip
            for label, (seconds, count) in timings.items():
                rates.setdefault(label, []).append(count / seconds)
            print(f"round {round_number + 1}: " + json.dumps(
                {label: round(count / seconds, 2) for label, (seconds, count) in timings.items()}))  # fmt: skip
        differing = [d.stem for d in docs if pdf_text(work / "alone0" / f"{d.stem}.pdf")
                     != pdf_text(work / "converter0" / f"{d.stem}.pdf")]  # fmt: skip
        shutil.rmtree(warmup, ignore_errors=True)
    ceiling = statistics.median(rates["LibreOffice alone (2 processes)"])
    per_bundle = statistics.median(rates["LibreOffice alone, bundle by bundle"])
    floor = statistics.median(rates["one soffice per document"])
    print(f"\n{len(docs)} documents from {len(by_sample)} bundles ({args.copies} copies of each sample; "
          f"render: the samples once), {args.rounds} rounds")  # fmt: skip
    print(f"{'':34} {'min':>8} {'median':>8}  {'of alone':>8}  {'x per-doc':>9}")
    for label, values in rates.items():
        median = statistics.median(values)
        print(f"{label:34} {min(values):8.2f} {median:8.2f}  {median / ceiling:8.0%}  {median / floor:8.1f}x")
    render = statistics.median(rates["docgen render, bundle by bundle"])
    print("render: real `docgen render` commands, the first starting the warm converter service (timed)")
    print(f"render against LibreOffice alone bundle by bundle (each bundle's files in two calls): "
          f"{render / per_bundle:.0%} (target 40%)")  # fmt: skip
    print("same text as LibreOffice alone: " + ("every document" if not differing else f"NOT {differing}"))


if __name__ == "__main__":
    main()
