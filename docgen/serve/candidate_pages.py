"""A checked candidate's filled documents as page images, beside the current version's.

:meth:`docgen.serve.candidates.Candidates.keep` leaves each sample's document, filled by the
current version and by the candidate, in the candidate's ``pages/`` folder. Here each is
converted and drawn as a batch's documents are (:class:`docgen.serve.previews.Previews`, kept in
``pages/drawn/<sha256>/``), once per candidate, in a background thread of the server process
that claims the work, so the page that shows them answers at once, with the progress
(progress.js updates it until they are made). This module keeps only that background progress.

``pages/`` holds ``03-current.docx`` ..., ``drawn/``; ``.claimed`` (the process that is making
them), ``state.json`` (progress, then ``done`` with any document that could not be converted).
Another server process sees the claim and waits; a claim left by a process that died is taken
over.
"""

from __future__ import annotations

import json
import logging
import os
import struct
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from docgen.atomic import write_atomic
from docgen.exceptions import DocgenError
from docgen.serve.previews import Previews

log = logging.getLogger("docgen.serve")
SIDES = ("current", "candidate")  # the version checked against, and the new one
CLAIM = ".claimed"
STATE = "state.json"
MAX_PAGES = 20  # drawn per document; a template is not a report
_runner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="docgen-pages")  # its thread starts on first use


def state(folder: Path) -> dict:
    """``{"state": "waiting" | "making" | "done", "done": n, "total": m, "failed": {name: why}}``."""
    pages = folder / "pages"
    try:
        found = json.loads((pages / STATE).read_text())
    except (OSError, ValueError):
        found = {}
    total = len(list(pages.glob("*.docx")))
    if found.get("state") == "done":
        return found
    if not total:  # nothing could be filled, or a check kept before pages were drawn
        return {"state": "done", "done": 0, "total": 0, "failed": {}}
    if found.get("state") == "making" and _claimed_by_a_live_process(pages):
        return found
    return {"state": "waiting", "done": 0, "total": total, "failed": {}}


def drawn(folder: Path) -> Path:
    """Where the candidate's page images are kept, as :class:`Previews` keeps a batch's."""
    return folder / "pages" / "drawn"


def start(folder: Path, previews: Previews) -> dict:
    """Make the page images in the background unless they are made or being made; the state.
    ``previews`` draws into :func:`drawn` with the server's shared converter (LibreOffice may
    be missing: each document then fails with the reason)."""
    now = state(folder)
    if now["state"] != "waiting" or not _claim(folder / "pages"):
        return now
    making = {"state": "making", "done": 0, "total": now["total"], "failed": {}}
    write_atomic(folder / "pages" / STATE, json.dumps(making).encode())
    _runner.submit(make, folder, previews)
    return making


def make(folder: Path, previews: Previews) -> None:
    """Convert each filled document and draw its pages, noting progress as it goes."""
    pages = folder / "pages"
    sources = sorted(pages.glob("*.docx"))
    failed: dict[str, str] = {}
    try:
        for done, docx in enumerate(sources):
            write_atomic(pages / STATE, json.dumps({"state": "making", "done": done, "total": len(sources),
                                                    "failed": failed}).encode())  # fmt: skip
            try:
                for page in range(1, min(previews.page_count(docx), MAX_PAGES) + 1):
                    previews.draw(docx, page)
            except (DocgenError, OSError, ValueError) as e:  # pypdf's errors are ValueErrors
                failed[docx.stem] = getattr(e, "message", None) or str(e)
                log.warning("candidate %s: %s could not be drawn: %s", folder.name, docx.name, failed[docx.stem])
            except Exception:  # a background thread's error would vanish unseen
                failed[docx.stem] = "An unexpected error; it has been logged on the server."
                log.exception("candidate %s: %s could not be drawn", folder.name, docx.name)
        write_atomic(pages / STATE, json.dumps({"state": "done", "done": len(sources), "total": len(sources),
                                                "failed": failed}).encode())  # fmt: skip
    finally:
        (pages / CLAIM).unlink(missing_ok=True)


def images(folder: Path, number: int, side: str) -> list[tuple[int, int, int]]:
    """The pages drawn of one document: ``(page, width, height)`` each, from the PNG's header."""
    found = []
    first = image_path(folder, number, side, 1)  # the others beside it: the file is hashed once
    for page in range(1, MAX_PAGES + 1):
        path = first.with_name(f"page-{page}.png")
        if not path.is_file():
            break
        with path.open("rb") as png:
            width, height = struct.unpack(">II", png.read(24)[16:24])
        found.append((page, width, height))
    return found


def filled_path(folder: Path, number: int, side: str) -> Path:
    """Where a candidate keeps the ``number``th sample's document filled by one side."""
    return folder / "pages" / f"{number:02d}-{side}.docx"


def image_path(folder: Path, number: int, side: str, page: int) -> Path:
    filled = filled_path(folder, number, side)
    if not filled.is_file():  # the sample could not be filled by that side
        return drawn(folder) / "none.png"
    return Previews(drawn(folder)).page_path(filled, page)


def _claim(pages: Path) -> bool:
    """Claim the work for this process; take over a claim whose process has died."""
    for _ in range(2):
        try:
            fd = os.open(pages / CLAIM, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            if _claimed_by_a_live_process(pages):
                return False
            (pages / CLAIM).unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as claim:
            claim.write(str(os.getpid()))
        return True
    return False


def _claimed_by_a_live_process(pages: Path) -> bool:
    try:
        written = (pages / CLAIM).read_text()
        if not written:
            return True  # claimed this instant; its process id is being written
        os.kill(int(written), 0)
    except (OSError, ValueError):
        return False
    return True
