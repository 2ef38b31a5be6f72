"""Start ``docgen serve`` as a real process on a loopback port, with tokens made by the CLI."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCGEN = [sys.executable, "-c", "from docgen.cli import cli; cli()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_token(data: Path, name: str, authority: str, *scopes: str) -> str:
    args = [*DOCGEN, "tokens", "create", "--name", name, "--authority", authority, "--data", str(data)]
    for scope in scopes:
        args += ["--scope", scope]
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    return done.stdout.strip()


class Server:
    """``docgen serve`` on 127.0.0.1; ``url`` is its base; its log is kept for the tests."""

    def __init__(self, data: Path, *, workers: int = 1, threads: int | None = None, env: dict | None = None,
                 options: tuple[str, ...] = ()) -> None:  # fmt: skip
        self.data = data
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data.parent / f"serve-{self.port}.log"
        self._log_file = self.log.open("wb")
        args = [*DOCGEN, "serve", "--port", str(self.port), "--workers", str(workers), "--data", str(data)]
        if threads is not None:
            args += ["--threads", str(threads)]
        args += options
        self.proc = subprocess.Popen(
            args,
            stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, **(env or {})},
        )  # fmt: skip
        try:
            self._wait_until_healthy(deadline=time.monotonic() + 60)
        except BaseException:  # a failed start, or Ctrl-C while waiting: the caller has no Server to stop
            self.stop()
            raise

    def _wait_until_healthy(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/v1/health", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"docgen serve exited: {self.log.read_text()}") from None
                time.sleep(0.2)
        raise RuntimeError("docgen serve did not answer /v1/health within 60 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log_file.close()
