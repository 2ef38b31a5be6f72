"""``soffice --convert-to`` for a list of documents: the way to convert without UNO.

Used where LibreOffice's UNO bridge is not installed (or for a stand-in ``soffice``): one
LibreOffice process converts the whole list in one call, watched for hangs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

POLL_SECONDS = 0.05


def export_filter(options: dict) -> str:
    """The ``--convert-to`` argument for PDF export with ``options`` (see ``export_options``)."""
    typed = {
        name: {"type": "boolean" if isinstance(value, bool) else "long", "value": str(value).lower()}
        for name, value in options.items()
    }
    return "pdf:writer_pdf_Export:" + json.dumps(typed, separators=(",", ":"))


def run_soffice(
    soffice: str,
    profile_uri: str,
    options: dict,
    inputs: list[str],
    out_dir: Path,
    timeout: float,
    running: set | None = None,
    temp: Path | None = None,
) -> tuple[bool, int | None]:
    """Convert ``inputs`` into ``out_dir``; kill LibreOffice when nothing new appears for
    ``timeout`` seconds. Returns (killed, exit code). The process is in ``running`` while it
    runs, so the caller can kill it from another thread. LibreOffice's own temporary files
    (``lu*.tmp``) go into ``temp``, so they are removed with it."""
    command = [
        soffice, f"-env:UserInstallation={profile_uri}", "--headless", "--invisible",
        "--nologo", "--norestore", "--nodefault", "--nolockcheck",
        "--convert-to", export_filter(options), "--outdir", str(out_dir), *inputs,
    ]  # fmt: skip
    proc = subprocess.Popen(
        command,
        env={**os.environ, "TMPDIR": str(temp)} if temp else None,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    if running is not None:
        running.add(proc)
    try:
        seen, last_progress = 0, time.monotonic()
        while proc.poll() is None:
            count = sum(1 for _ in os.scandir(out_dir))
            now = time.monotonic()
            if count != seen:
                seen, last_progress = count, now
            elif now - last_progress > timeout:
                kill_group(proc)
                return True, proc.returncode
            time.sleep(POLL_SECONDS)
        return False, proc.returncode
    finally:
        kill_group(proc)  # reaps anything soffice left behind in its process group
        if running is not None:
            running.discard(proc)


def kill_group(proc: subprocess.Popen) -> None:
    """Kill ``proc``'s process group (LibreOffice and its helpers) and reap ``proc``."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
