"""Load on ``docgen serve``: concurrent clients asking for one letter, DOCX and then PDF.

    .venv/bin/python benchmarks/serve_load.py [--clients 16] [--seconds 60] [--workers 2]
                                              [--threads 2] [--client-processes 4] [--formats docx,pdf]

Starts ``docgen serve`` on a loopback port with a fresh data folder and a token, then for each
format runs ``--clients`` clients, each asking for one information request (one letter, from
the Derbyshire Child in Need sample) as fast as answers come, for ``--seconds``. The clients
are threads spread over ``--client-processes`` processes, each on its own kept-alive
connection (http.client), so the client's own Python takes little of the cores the server
needs; the share of the CPU time the clients used is printed. It prints p50/p95/p99 latency,
throughput, errors and the server's memory (RSS of its processes and their LibreOffice) every
10 seconds. For PDF it also measures LibreOffice alone on the same letter in the same run (two
processes converting many copies in one call each) and prints the queueing floor, clients /
that rate: the least p95 any server converting with LibreOffice could reach.
Nothing leaves the loopback; every loop is bounded by --seconds.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from docgen.convert import export_filter, export_options, find_soffice  # noqa: E402
from docgen.pipeline import Pipeline  # noqa: E402
from serve_helpers import Server, make_token  # noqa: E402

SAMPLE = ROOT / "samples" / "valid" / "derbyshire-child-in-need.json"
DOC = "information-request"


def ask_until(port: int, token: str, fmt: str, threads: int, stop_at: float, out) -> None:
    """One client process: ``threads`` clients, each on its own kept-alive connection, asking
    until ``stop_at`` (time.time()); sends back (latencies, errors)."""
    body = SAMPLE.read_bytes()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    path = f"/v1/render?doc={DOC}&format={fmt}"
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.time() < stop_at:
            start = time.perf_counter()
            try:
                connection.request("POST", path, body=body, headers=headers)
                reply = connection.getresponse()
                content = reply.read()
                problem = None if reply.status == 200 and len(content) > 1000 else str(reply.status)
            except (OSError, http.client.HTTPException) as e:
                problem = type(e).__name__
                connection.close()  # the next request opens a new connection
            elapsed = time.perf_counter() - start
            with lock:
                (errors.append(problem) if problem else latencies.append(elapsed))
        connection.close()

    with ThreadPoolExecutor(threads) as pool:
        for _ in range(threads):
            pool.submit(client)
    out.send((latencies, errors))
    out.close()


def run_load(server: Server, token: str, fmt: str, clients: int, seconds: float, processes: int) -> dict:
    memory: list[tuple[float, float]] = []
    stop_at = time.time() + seconds
    context = multiprocessing.get_context("spawn")
    shares = [clients // processes + (1 if n < clients % processes else 0) for n in range(processes)]
    pipes, procs = [], []
    for threads in filter(None, shares):
        receive, send = context.Pipe(duplex=False)
        proc = context.Process(target=ask_until, args=(server.port, token, fmt, threads, stop_at, send))
        proc.start()
        pipes.append(receive)
        procs.append(proc)
    began = time.perf_counter()
    server_cpu = cpu_seconds(server.proc.pid)
    client_cpu = {proc.pid: 0.0 for proc in procs}
    while time.time() < stop_at:
        memory.append((seconds - (stop_at - time.time()), rss_mib(server.proc.pid)))
        for proc in procs:  # the last reading before each client process exits
            client_cpu[proc.pid] = cpu_seconds(proc.pid) or client_cpu[proc.pid]
        time.sleep(min(10, max(0.2, stop_at - time.time())))
    server_cpu = cpu_seconds(server.proc.pid) - server_cpu
    latencies, errors = [], []
    for receive in pipes:
        got, failed = receive.recv()
        latencies += got
        errors += failed
    wall = time.perf_counter() - began
    for proc in procs:
        proc.join()
    latencies.sort()
    return {"latencies": latencies, "errors": errors, "wall": wall, "memory": memory,
            "server_cpu": server_cpu, "client_cpu": sum(client_cpu.values())}  # fmt: skip


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process and its children so far."""
    try:
        root = psutil.Process(pid)
        return sum(sum(p.cpu_times()[:2]) for p in [root, *root.children(recursive=True)])
    except psutil.NoSuchProcess:
        return 0.0


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
    used = result["server_cpu"] + result["client_cpu"]
    print(f"  CPU: server {result['server_cpu']:.1f} s, clients {result['client_cpu']:.1f} s "
          f"({result['client_cpu'] / used:.0%} of the two), over {result['wall']:.1f} s of wall time; "
          f"server {result['server_cpu'] / max(1, len(lat)) * 1000:.1f} ms a request")  # fmt: skip
    if result["errors"]:
        print("  errors: " + ", ".join(f"{e} x{result['errors'].count(e)}" for e in sorted(set(result["errors"]))))
    return p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None, help="threads a worker (default: docgen serve's)")
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--formats", default="docx,pdf", help="which loads to run (docx, pdf or both)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="docgen-load-"))
    try:
        data = tmp / "data"
        token = make_token(data, "load", "derbyshire")
        server = Server(data, workers=args.workers, threads=args.threads,
                        env={"DOCGEN_API_RATE": "1000000", "DOCGEN_API_CONCURRENCY": str(args.clients)})  # fmt: skip
        formats = args.formats.split(",")
        try:
            time.sleep(3)  # let the workers' LibreOffice start, as it does after boot
            p95 = {fmt: report(fmt.upper().ljust(4), run_load(server, token, fmt, args.clients, args.seconds,
                                                              args.client_processes), args.seconds)
                   for fmt in formats}  # fmt: skip
        finally:
            server.stop()
        if "docx" in p95:
            print(f"target: DOCX p95 {p95['docx'] * 1000:.0f} ms (<= 50 ms)")
        if "pdf" in p95:
            alone = libreoffice_alone_rate(max(40, args.clients * 4))
            floor = args.clients / alone
            print(f"LibreOffice alone on the same letter: {alone:.1f} PDFs/s; queueing floor for "
                  f"{args.clients} clients {floor * 1000:.0f} ms")  # fmt: skip
            print(f"target: PDF p95 {p95['pdf'] * 1000:.0f} ms = {p95['pdf'] / floor:.2f} x the floor (<= 1.5)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
