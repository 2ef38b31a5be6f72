"""The warm LibreOffice converter, against real LibreOffice (and fake soffice scripts for hangs)."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import textwrap
import threading
import time
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from docgen.convert import INSTALL_HINT, Converter
from docgen.exceptions import ConvertError

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None, reason="needs LibreOffice")


def make_docx(path: Path, *paragraphs: str, pages: int = 1) -> Path:
    document = docx.Document()
    for page in range(pages):
        if page:
            document.add_page_break()
        for text in paragraphs:
            document.add_paragraph(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(path)
    return path


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


@pytest.fixture(scope="module")
def converter():
    with Converter(jobs=2, timeout=60) as warm:
        yield warm


def test_many_documents_convert_with_their_own_text(converter, tmp_path):
    sources = [make_docx(tmp_path / f"in/letter{n}.docx", f"Zebra marker {n}") for n in range(5)]
    jobs = [(src, tmp_path / "out" / f"{src.stem}.pdf") for src in sources]

    results = converter.convert_many(jobs)

    assert [(r.source, r.target, r.ok, r.error) for r in results] == [
        (src, dst, True, None) for src, dst in jobs
    ]
    for n, (_, target) in enumerate(jobs):
        assert f"Zebra marker {n}" in pdf_text(target)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        f"letter{n}.pdf" for n in range(5)
    ]  # nothing temporary left behind


def test_sources_with_the_same_name_do_not_collide(converter, tmp_path):
    first = make_docx(tmp_path / "mother/letter.docx", "Addressed to the first recipient")
    second = make_docx(tmp_path / "father/letter.docx", "Addressed to the second recipient")

    results = converter.convert_many(
        [(first, tmp_path / "out/first.pdf"), (second, tmp_path / "out/second.pdf")]
    )

    assert all(r.ok for r in results)
    assert "first recipient" in pdf_text(tmp_path / "out/first.pdf")
    assert "second recipient" in pdf_text(tmp_path / "out/second.pdf")


def test_convert_replaces_an_existing_pdf_and_tags_it_with_fonts_embedded(converter, tmp_path):
    source = make_docx(tmp_path / "notice.docx", "Quokka notice text")
    target = tmp_path / "notice.pdf"
    target.write_bytes(b"old content")

    assert converter.convert(source, target) == target

    reader = PdfReader(target)
    assert "Quokka notice text" in reader.pages[0].extract_text()
    assert bool(reader.trailer["/Root"]["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in reader.trailer["/Root"]
    fonts = reader.pages[0]["/Resources"]["/Font"]
    for font in fonts.values():
        font = font.get_object()
        descriptor = font.get("/FontDescriptor") or font["/DescendantFonts"][0]["/FontDescriptor"]
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor.get_object())


def test_pdfa_conversion_identifies_as_pdfa_2b(tmp_path):
    source = make_docx(tmp_path / "archive.docx", "Archived copy")
    with Converter(jobs=1, pdfa=True) as converter:
        target = converter.convert(source, tmp_path / "archive.pdf")

    packet = PdfReader(target).trailer["/Root"]["/Metadata"].get_data()
    assert b"<pdfaid:part>2</pdfaid:part>" in packet
    assert b"<pdfaid:conformance>B</pdfaid:conformance>" in packet


def test_a_missing_source_is_reported_and_the_rest_convert(converter, tmp_path):
    present = make_docx(tmp_path / "present.docx", "Present document")

    results = converter.convert_many(
        [(tmp_path / "absent.docx", tmp_path / "absent.pdf"), (present, tmp_path / "present.pdf")]
    )

    assert [(r.ok, r.error) for r in results] == [
        (False, "Could not convert absent.docx: the file was not found."),
        (True, None),
    ]


def test_soffice_killed_mid_batch_loses_no_document(tmp_path):
    sources = [
        make_docx(tmp_path / f"long{n}.docx", f"Long document {n} " * 40, pages=25)
        for n in range(5)
    ]
    jobs = [(src, tmp_path / "out" / f"{src.stem}.pdf") for src in sources]
    with Converter(jobs=1, timeout=60) as converter:
        results: list = []
        worker = threading.Thread(target=lambda: results.extend(converter.convert_many(jobs)))
        worker.start()
        killed = _kill_soffice_after_first_pdf(converter._workdir)
        worker.join(timeout=300)

    assert killed, "soffice finished before the test could kill it"
    assert [r.ok for r in results] == [True] * 5
    assert max(r.attempts for r in results) == 2  # the document it was on went again, alone
    for n, (_, target) in enumerate(jobs):
        assert f"Long document {n}" in PdfReader(target).pages[0].extract_text()


def _kill_soffice_after_first_pdf(workdir: Path) -> bool:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if any(workdir.glob("run*/out/*.pdf")):
            for pid in _soffice_pids(workdir):
                os.kill(pid, signal.SIGKILL)
                return True
        time.sleep(0.02)
    return False


def _soffice_pids(workdir: Path) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        ours = str(workdir).encode() in b" ".join(command)
        if command[0].endswith(b"soffice.bin") and ours:
            pids.append(int(entry.name))
    return pids


# A stand-in for soffice that converts "documents" holding plain text: HANG sleeps, CRASH dies
# of a segfault, anything else becomes a one-page PDF titled with the text. It logs each call.
FAKE_SOFFICE = """\
    #!{python}
    import os, signal, sys, time
    from pathlib import Path
    from pypdf import PdfWriter

    args = sys.argv[1:]
    out_dir = Path(args[args.index("--outdir") + 1])
    files = args[args.index("--outdir") + 2:]
    with open({log!r}, "a") as log:
        log.write(" ".join(Path(f).read_text() for f in files) + "\\n")
    for name in files:
        text = Path(name).read_text()
        if text == "HANG":
            Path({pidfile!r}).write_text(str(os.getpid()))
            time.sleep(600)
        if text == "CRASH":
            os.kill(os.getpid(), signal.SIGSEGV)
        writer = PdfWriter()
        writer.add_blank_page(595, 842)
        writer.add_metadata({{"/Title": text}})
        writer.write(out_dir / (Path(name).stem + ".pdf"))
"""


@pytest.fixture
def fake_soffice(tmp_path):
    script = tmp_path / "bin" / "soffice"
    script.parent.mkdir()
    log, pidfile = tmp_path / "calls.log", tmp_path / "hung.pid"
    source = textwrap.dedent(FAKE_SOFFICE)
    script.write_text(source.format(python=sys.executable, log=str(log), pidfile=str(pidfile)))
    script.chmod(0o755)
    return script, log, pidfile


def _text_sources(folder: Path, *texts: str) -> list[tuple[Path, Path]]:
    jobs = []
    for n, text in enumerate(texts):
        source = folder / f"{text.lower()}{n}.docx"
        source.write_text(text)
        jobs.append((source, folder / "out" / f"{source.stem}.pdf"))
    return jobs


def test_a_hanging_document_is_killed_retried_alone_then_reported(fake_soffice, tmp_path):
    script, log, pidfile = fake_soffice
    jobs = _text_sources(tmp_path, "FIRST", "HANG", "THIRD", "FOURTH")

    with Converter(jobs=1, timeout=0.5, soffice=str(script)) as converter:
        results = converter.convert_many(jobs)

    assert [(r.ok, r.attempts, r.error) for r in results] == [
        (True, 1, None),
        (
            False,
            2,
            "Could not convert hang1.docx: LibreOffice stopped responding for 0.5 s "
            "and was killed (tried twice).",
        ),
        (True, 1, None),
        (True, 1, None),
    ]
    assert log.read_text().splitlines() == ["FIRST HANG THIRD FOURTH", "HANG", "THIRD FOURTH"]
    for (_, target), text in zip(jobs, ["FIRST", None, "THIRD", "FOURTH"], strict=True):
        assert (PdfReader(target).metadata.title if target.exists() else None) == text
    with pytest.raises(ProcessLookupError):  # the hung process was killed, not left behind
        os.kill(int(pidfile.read_text()), 0)


def test_a_crashing_document_fails_alone_and_convert_raises(fake_soffice, tmp_path):
    script, log, _ = fake_soffice
    jobs = _text_sources(tmp_path, "CRASH", "SECOND")

    with Converter(jobs=1, timeout=5, soffice=str(script)) as converter:
        results = converter.convert_many(jobs)
        with pytest.raises(ConvertError) as raised:
            converter.convert(*jobs[0])

    assert [(r.ok, r.error) for r in results] == [
        (
            False,
            "Could not convert crash0.docx: LibreOffice exited with code -11 "
            "while converting it (tried twice).",
        ),
        (True, None),
    ]
    assert log.read_text().splitlines()[:3] == ["CRASH SECOND", "CRASH", "SECOND"]
    assert raised.value.exit_code == 5
    assert str(raised.value).startswith("Could not convert crash0.docx: LibreOffice exited")


def test_missing_libreoffice_says_how_to_install_it(tmp_path):
    with pytest.raises(ConvertError) as raised:
        Converter(soffice=str(tmp_path / "no-such-soffice"))

    assert str(raised.value) == (
        "LibreOffice (soffice) was not found; install it with: apt-get install -y "
        "--no-install-recommends libreoffice-writer-nogui fonts-liberation2 "
        "fonts-crosextra-carlito"
    )
    assert str(raised.value) == INSTALL_HINT
    assert raised.value.exit_code == 5


@pytest.fixture
def system_temp(tmp_path, monkeypatch) -> Path:
    """A temporary folder of its own, for this process and the LibreOffice it starts."""
    import tempfile

    folder = tmp_path / "system-temp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)
    return folder


def test_a_converter_leaves_nothing_in_the_temporary_folder(system_temp, tmp_path):
    source = make_docx(tmp_path / "letter.docx", "Okapi marker")
    with Converter(jobs=1) as converter:
        converter.convert(source, tmp_path / "letter.pdf")
        (workdir,) = system_temp.iterdir()
        assert workdir.name.startswith("docgen-soffice-") and converter.workdir == workdir
    assert "Okapi marker" in pdf_text(tmp_path / "letter.pdf")
    assert list(system_temp.iterdir()) == []  # LibreOffice's own lu*.tmp files included


def test_work_folders_of_killed_converters_are_removed_by_the_next_one(system_temp, tmp_path):
    import fcntl

    killed = system_temp / "docgen-soffice-killed"
    (killed / "profile0").mkdir(parents=True)
    (killed / ".in-use").touch()  # nobody holds its lock: its process is gone
    (killed / "docgen-batch-x").mkdir()
    (killed / "docgen-batch-x" / "CASE_outcome-letter.docx").write_bytes(b"a child's letter")
    old = system_temp / "docgen-soffice-from-an-older-docgen"
    old.mkdir()
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    fresh = system_temp / "docgen-soffice-being-made"
    fresh.mkdir()
    alive = system_temp / "docgen-soffice-alive"
    alive.mkdir()
    (alive / ".in-use").touch()
    other = system_temp / "not-docgens"
    other.mkdir()

    with open(alive / ".in-use") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with Converter(jobs=1) as converter:
            converter.workdir  # starting is when it tidies up
            left = sorted(p.name for p in system_temp.iterdir() if p != converter.workdir)
    assert left == ["docgen-soffice-alive", "docgen-soffice-being-made", "not-docgens"]
