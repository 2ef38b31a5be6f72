"""A checked template's filled documents drawn as page images, with Debian's LibreOffice and
poppler: progress, a document that cannot be converted, and a claim left by a dead process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import docx

from docgen.convert import Converter
from docgen.serve import candidate_pages
from docgen.serve.previews import Previews


def filled(folder, name: str, pages: int) -> None:
    document = docx.Document()
    for n in range(pages):
        if n:
            document.add_page_break()
        document.add_paragraph(f"Page {n + 1} of a letter filled from a fictional sample.")
    document.save(str(folder / "pages" / f"{name}.docx"))


def test_each_document_drawn_page_by_page_and_a_broken_one_told(tmp_path):
    (tmp_path / "pages").mkdir()
    filled(tmp_path, "01-current", 1)
    filled(tmp_path, "01-candidate", 2)
    (tmp_path / "pages" / "02-current.docx").write_bytes(b"PK\x03\x04 not a Word document")
    assert candidate_pages.state(tmp_path) == {"state": "waiting", "done": 0, "total": 3, "failed": {}}

    with Converter(jobs=1) as converter:
        candidate_pages.make(tmp_path, Previews(candidate_pages.drawn(tmp_path), lambda: converter, tmp_path))

    made = candidate_pages.state(tmp_path)
    assert (made["state"], made["done"], made["total"], list(made["failed"])) == ("done", 3, 3, ["02-current"])
    assert made["failed"]["02-current"]  # LibreOffice's reason, whatever its words
    assert candidate_pages.images(tmp_path, 1, "current") == [(1, 680, 880)]  # python-docx: US Letter, at 80 dpi
    assert [page for page, _, _ in candidate_pages.images(tmp_path, 1, "candidate")] == [1, 2]
    assert candidate_pages.images(tmp_path, 2, "current") == []
    assert not (tmp_path / "pages" / candidate_pages.CLAIM).exists()


def test_a_claim_left_by_a_dead_process_is_taken_over(tmp_path):
    (tmp_path / "pages").mkdir()
    filled(tmp_path, "01-current", 1)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    claim = tmp_path / "pages" / candidate_pages.CLAIM
    making = {"state": "making", "done": 0, "total": 1, "failed": {}}
    (tmp_path / "pages" / candidate_pages.STATE).write_text(json.dumps(making))
    claim.write_text(str(os.getpid()))
    assert candidate_pages.state(tmp_path) == making  # this process is alive: still being made
    claim.write_text(dead.stdout.strip())
    assert candidate_pages.state(tmp_path)["state"] == "waiting"
    assert candidate_pages._claim(tmp_path / "pages") and claim.read_text() == str(os.getpid())
