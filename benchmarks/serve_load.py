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

Latency and throughput are printed, never judged (machines vary). The exit code says whether
the run itself worked, so CI can run a short load (``--seconds 5``):
    0  every request was answered 200 with a document
    1  a request failed (another status, a short answer, a connection error), a format got no
       answer at all, or the client processes or LibreOffice alone failed
    2  bad options
    3  docgen serve (or ``docgen tokens create``) did not start; its output is printed
  130  interrupted (Ctrl-C), 143 stopped (SIGTERM): the server is stopped and the temporary
       data folder removed either way
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import shutil
import signal
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

from docgen.convert import export_options, find_soffice  # noqa: E402
from docgen.convert.oneshot import kill_group, run_soffice  # noqa: E402
from docgen.pipeline import Pipeline  # noqa: E402
from serve_helpers import Server, make_token  # noqa: E402

SAMPLE = ROOT / "samples" / "valid" / "derbyshire-child-in-need.json"
DOC = "information-request"
FORMATS = ("docx", "pdf")
READY_SECONDS = 60  # for the spawned client processes to import and reach the start line
SOFFICE_STALL_SECONDS = 120  # LibreOffice alone is killed when no PDF appears for this long

EXIT_FAILED = 1
EXIT_NO_SERVER = 3


class LoadError(Exception):
    """Raised when the run cannot be measured: clients that did not start, LibreOffice alone failing."""


def ask_until(port: int, token: str, fmt: str, threads: int, seconds: float, ready, out) -> None:
    """One client process: ``threads`` clients, each on its own kept-alive connection, asking
    for ``seconds`` from the moment every client process has passed ``ready`` (a barrier shared
    with the parent), so the time spawned processes take to import is not part of the run;
    sends back (latencies, errors)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the parent ends us
    body = SAMPLE.read_bytes()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    path = f"/v1/render?doc={DOC}&format={fmt}"
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    ready.wait(timeout=READY_SECONDS)
    stop_at = time.time() + seconds

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
    every = min(10.0, max(1.0, seconds / 6))  # memory every 10 s, more often in a short run
    context = multiprocessing.get_context("spawn")
    shares = [clients // processes + (1 if n < clients % processes else 0) for n in range(processes)]
    shares = [threads for threads in shares if threads]
    ready = context.Barrier(len(shares) + 1)
    pipes, procs = [], []
    try:
        for threads in shares:
            receive, send = context.Pipe(duplex=False)
            proc = context.Process(target=ask_until, args=(server.port, token, fmt, threads, seconds, ready, send),
                                   daemon=True)  # fmt: skip
            proc.start()
            send.close()  # only the client holds it now, so recv() ends (EOFError) if the client dies
            pipes.append(receive)
            procs.append(proc)
        try:
            ready.wait(timeout=READY_SECONDS)
        except threading.BrokenBarrierError:
            raise LoadError(f"the {len(procs)} client processes did not all start within {READY_SECONDS} s") from None
        stop_at = time.time() + seconds
        began = time.perf_counter()
        server_cpu = cpu_seconds(server.proc.pid)
        client_start = {proc.pid: cpu_seconds(proc.pid) for proc in procs}  # their imports are not the run's
        client_cpu = dict(client_start)
        while time.time() < stop_at:
            memory.append((seconds - (stop_at - time.time()), rss_mib(server.proc.pid)))
            for proc in procs:  # the last reading before each client process exits
                client_cpu[proc.pid] = cpu_seconds(proc.pid) or client_cpu[proc.pid]
            time.sleep(min(every, max(0.2, stop_at - time.time())))
        server_cpu = cpu_seconds(server.proc.pid) - server_cpu
        latencies, errors = [], []
        for receive in pipes:
            try:
                got, failed = receive.recv()
            except EOFError:
                got, failed = [], ["a client process died"]
            latencies += got
            errors += failed
        wall = time.perf_counter() - began
        for proc in procs:
            proc.join(timeout=10)
    finally:  # on an error or an interruption too: no client outlives the run
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
                proc.join()
    latencies.sort()
    return {"latencies": latencies, "errors": errors, "wall": wall, "memory": memory,
            "server_cpu": server_cpu, "client_cpu": sum(client_cpu[pid] - client_start[pid] for pid in client_cpu)}  # fmt: skip


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
        (work / "out").mkdir()
        pipeline = Pipeline()
        letter = pipeline.render(pipeline.load(SAMPLE), [DOC])[0].docx
        files = []
        for n in range(copies):
            path = work / f"letter{n:03d}.docx"
            path.write_bytes(letter)
            files.append(str(path))
        halves = [files[0::2], files[1::2]]
        running: set = set()  # run_soffice puts each LibreOffice here while it converts

        def convert(n: int, docs: list[str]) -> None:
            killed, code = run_soffice(soffice, (work / f"profile{n}").as_uri(), export_options(pdfa=False),
                                       docs, work / "out", timeout=SOFFICE_STALL_SECONDS, running=running)  # fmt: skip
            if killed or code != 0:
                stopped = f"made no PDF for {SOFFICE_STALL_SECONDS} s" if killed else f"exited with {code}"
                raise LoadError(f"LibreOffice alone {stopped} converting {len(docs)} letters")

        def in_two(docs: list[list[str]]) -> None:
            pool = ThreadPoolExecutor(2)
            try:
                list(pool.map(convert, range(2), docs))
            except BaseException:  # Ctrl-C or SIGTERM reach this thread only: end both conversions now
                for proc in list(running):
                    kill_group(proc)
                raise
            finally:
                pool.shutdown()

        in_two([h[:1] for h in halves])  # make the profiles, untimed
        start = time.perf_counter()
        in_two(halves)
        return copies / (time.perf_counter() - start)


def report(label: str, result: dict, seconds: float) -> float:
    lat = result["latencies"]
    p95 = percentile(lat, 0.95)
    print(f"{label}: {len(lat)} answers in {seconds:g} s = {len(lat) / result['wall']:.1f}/s; "
          f"errors {len(result['errors'])}; latency p50 {percentile(lat, 0.5) * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms, p99 {percentile(lat, 0.99) * 1000:.0f} ms")  # fmt: skip
    print("  server memory (MiB, at seconds): " + ", ".join(f"{m:.0f}@{t:.0f}" for t, m in result["memory"]))
    used = result["server_cpu"] + result["client_cpu"] or float("inf")
    print(f"  CPU: server {result['server_cpu']:.1f} s, clients {result['client_cpu']:.1f} s "
          f"({result['client_cpu'] / used:.0%} of the two), over {result['wall']:.1f} s of wall time; "
          f"server {result['server_cpu'] / max(1, len(lat)) * 1000:.1f} ms a request")  # fmt: skip
    if result["errors"]:
        print("  errors: " + ", ".join(f"{e} x{result['errors'].count(e)}" for e in sorted(set(result["errors"]))))
    return p95


def formats_option(value: str) -> list[str]:
    formats = value.split(",")
    if not formats or not set(formats) <= set(FORMATS):
        raise argparse.ArgumentTypeError(f"expected docx, pdf or docx,pdf but received: {value}")
    return formats


def stop_on_signal(signum: int, frame) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop the server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None, help="threads a worker (default: docgen serve's)")
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--formats", type=formats_option, default="docx,pdf",
                        help="which loads to run, in order (docx, pdf or docx,pdf)")  # fmt: skip
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGHUP, stop_on_signal)
    tmp = Path(tempfile.mkdtemp(prefix="docgen-load-"))
    try:
        return measure(args, tmp / "data")
    except KeyboardInterrupt:
        print("serve_load: interrupted; the server is stopped", file=sys.stderr)
        return 130
    except LoadError as e:
        print(f"serve_load: {e}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def measure(args: argparse.Namespace, data: Path) -> int:
    """Start the server, run each load, print the figures; the exit code (see the module's doc)."""
    try:
        token = make_token(data, "load", "derbyshire")
        server = Server(data, workers=args.workers, threads=args.threads,
                        env={"DOCGEN_API_RATE": "1000000", "DOCGEN_API_CONCURRENCY": str(args.clients)})  # fmt: skip
    except subprocess.CalledProcessError as e:
        print(f"serve_load: docgen tokens create failed (exit {e.returncode}): {e.stderr}", file=sys.stderr)
        return EXIT_NO_SERVER
    except RuntimeError as e:
        print(f"serve_load: {e}", file=sys.stderr)
        return EXIT_NO_SERVER
    results: dict[str, dict] = {}
    p95: dict[str, float] = {}
    try:
        time.sleep(3)  # let the workers' LibreOffice start, as it does after boot
        for fmt in args.formats:
            results[fmt] = run_load(server, token, fmt, args.clients, args.seconds, args.client_processes)
            p95[fmt] = report(fmt.upper().ljust(4), results[fmt], args.seconds)
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
    failed = []
    for fmt, result in results.items():
        asked = len(result["errors"]) + len(result["latencies"])
        if result["errors"]:
            failed.append(f"{fmt.upper()}: {len(result['errors'])} of {asked} requests failed")
        elif not asked:
            failed.append(f"{fmt.upper()}: no request was answered in {args.seconds:g} s")
    if failed:
        print("serve_load: " + "; ".join(failed), file=sys.stderr)
        return EXIT_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
