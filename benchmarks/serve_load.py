"""Load on ``docgen serve``: concurrent clients asking for one letter, DOCX and then PDF.

    .venv/bin/python benchmarks/serve_load.py [--clients 16] [--seconds 60] [--workers 2]

Starts ``docgen serve`` on a loopback port with a fresh data folder and a token, then for each
format runs ``--clients`` threads, each asking for one information request (one letter, from
the Derbyshire Child in Need sample) as fast as answers come, for ``--seconds``. It prints
p50/p95/p99 latency, throughput, errors and the server's memory (RSS of its processes and their
LibreOffice) every 10 seconds. For PDF it also measures LibreOffice alone on the same letter in
the same run (two processes converting many copies in one call each) and prints the queueing
floor, clients / that rate: the least p95 any server converting with LibreOffice could reach.
Nothing leaves the loopback; every loop is bounded by --seconds.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from docgen.convert import export_filter, export_options, find_soffice  # noqa: E402
from docgen.pipeline import Pipeline  # noqa: E402
from serve_helpers import Server, make_token  # noqa: E402

SAMPLE = ROOT / "samples" / "valid" / "derbyshire-child-in-need.json"
DOC = "information-request"


def run_load(server: Server, token: str, fmt: str, clients: int, seconds: float) -> dict:
    body = SAMPLE.read_bytes()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    latencies: list[float] = []
    errors: list[str] = []
    memory: list[tuple[float, float]] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client() -> None:
        session = requests.Session()
        while time.monotonic() < stop_at:
            start = time.perf_counter()
            try:
                reply = session.post(f"{server.url}/v1/render", params={"doc": DOC, "format": fmt},
                                     data=body, headers=headers, timeout=60)  # fmt: skip
                ok = reply.status_code == 200 and len(reply.content) > 1000
                problem = None if ok else f"{reply.status_code}"
            except requests.RequestException as e:
                problem = type(e).__name__
            elapsed = time.perf_counter() - start
            with lock:
                (errors.append(problem) if problem else latencies.append(elapsed))

    def watch_memory() -> None:
        started = time.monotonic()
        while time.monotonic() < stop_at:
            memory.append((time.monotonic() - started, rss_mib(server.proc.pid)))
            time.sleep(min(10, max(0.5, stop_at - time.monotonic())))

    watcher = threading.Thread(target=watch_memory)
    watcher.start()
    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for _ in range(clients):
            pool.submit(client)
    wall = time.perf_counter() - began
    watcher.join()
    latencies.sort()
    return {"latencies": latencies, "errors": errors, "wall": wall, "memory": memory}


def rss_mib(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) / 2**20
    except psutil.NoSuchProcess:
        return 0.0


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def libreoffice_alone_rate(copies: int) -> float:
    """PDFs a second from two soffice processes converting ``copies`` of the letter in one call each."""
    soffice = find_soffice()
    with tempfile.TemporaryDirectory(prefix="docgen-load-") as tmp:
        work = Path(tmp)
        pipeline = Pipeline()
        letter = pipeline.render(pipeline.load(SAMPLE), [DOC])[0].docx
        files = []
        for n in range(copies):
            path = work / f"letter{n:03d}.docx"
            path.write_bytes(letter)
            files.append(str(path))
        halves = [files[0::2], files[1::2]]

        def convert(n: int, docs: list[str]) -> None:
            profile = (work / f"profile{n}").as_uri()
            subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                            "--convert-to", export_filter(export_options(pdfa=False)), "--outdir",
                            str(work / "out"), *docs], capture_output=True, check=True)  # fmt: skip

        with ThreadPoolExecutor(2) as pool:  # make the profiles, untimed
            list(pool.map(convert, range(2), [h[:1] for h in halves]))
        start = time.perf_counter()
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(convert, range(2), halves))
        return copies / (time.perf_counter() - start)


def report(label: str, result: dict, seconds: float) -> float:
    lat = result["latencies"]
    p95 = percentile(lat, 0.95)
    print(f"{label}: {len(lat)} answers in {seconds:g} s = {len(lat) / result['wall']:.1f}/s; "
          f"errors {len(result['errors'])}; latency p50 {percentile(lat, 0.5) * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms, p99 {percentile(lat, 0.99) * 1000:.0f} ms")  # fmt: skip
    print("  server memory (MiB, at seconds): " + ", ".join(f"{m:.0f}@{t:.0f}" for t, m in result["memory"]))
    return p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="docgen-load-"))
    try:
        data = tmp / "data"
        token = make_token(data, "load", "derbyshire")
        server = Server(data, workers=args.workers, env={"DOCGEN_API_RATE": "1000000",
                                                         "DOCGEN_API_CONCURRENCY": str(args.clients)})  # fmt: skip
        try:
            time.sleep(3)  # let the workers' LibreOffice start, as it does after boot
            docx = report("DOCX", run_load(server, token, "docx", args.clients, args.seconds), args.seconds)
            pdf = report("PDF ", run_load(server, token, "pdf", args.clients, args.seconds), args.seconds)
        finally:
            server.stop()
        alone = libreoffice_alone_rate(max(40, args.clients * 4))
        floor = args.clients / alone
        print(f"LibreOffice alone on the same letter: {alone:.1f} PDFs/s; queueing floor for "
              f"{args.clients} clients {floor * 1000:.0f} ms")  # fmt: skip
        print(f"targets: DOCX p95 {docx * 1000:.0f} ms (<= 50 ms); PDF p95 {pdf * 1000:.0f} ms = "
              f"{pdf / floor:.2f} x the floor (<= 1.5)")  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
