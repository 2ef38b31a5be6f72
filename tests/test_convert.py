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

from docgen.convert import INSTALL_HINT, Converter, export_options, find_soffice
from docgen.convert.bridge import UnoBridge, uno_python
from docgen.convert.profiles import claim_profile
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


def test_each_pdf_comes_back_with_its_page_count_as_laid_out(converter, tmp_path):
    sources = [make_docx(tmp_path / f"in/doc{pages}.docx", f"Page marker {pages}", pages=pages) for pages in (1, 3)]
    jobs = [(src, tmp_path / "out" / f"{src.stem}.pdf") for src in sources]

    results = converter.convert_many(jobs)

    assert [r.pages for r in results] == [len(PdfReader(target).pages) for _, target in jobs] == [1, 3]


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
        make_docx(tmp_path / f"long{n}.docx", f"Long document {n} " * 40, pages=60)
        for n in range(6)
    ]
    jobs = [(src, tmp_path / "out" / f"{src.stem}.pdf") for src in sources]
    with Converter(jobs=1, timeout=60) as converter:
        results: list = []
        worker = threading.Thread(target=lambda: results.extend(converter.convert_many(jobs)))
        worker.start()
        finished_before_kill = _kill_soffice_after_first_pdf(converter, tmp_path / "out")
        worker.join(timeout=300)

    assert finished_before_kill >= 1, "soffice was never seen converting"
    assert [r.ok for r in results] == [True] * 6
    assert all(r.attempts <= 2 for r in results)
    for n, (_, target) in enumerate(jobs):
        assert f"Long document {n}" in PdfReader(target).pages[0].extract_text()


def test_a_libreoffice_that_died_between_documents_is_replaced_before_the_next(tmp_path):
    sources = [make_docx(tmp_path / f"in/doc{n}.docx", f"Stoat page {n}") for n in range(3)]
    with Converter(jobs=1, timeout=60) as converter:
        converter.convert(sources[0], tmp_path / "warm.pdf")
        (profile,) = converter.profile_paths()
        (office,) = _soffice_pids(profile)
        os.kill(office, signal.SIGKILL)  # dies while idle, before the next document reaches it
        _wait_until_gone(office)
        deadline = time.monotonic() + 20
        while converter.alive() and time.monotonic() < deadline:  # until its launcher has gone too
            time.sleep(0.05)
        assert not converter.alive()
        results = converter.convert_many([(s, tmp_path / f"out/{s.stem}.pdf") for s in sources])
        (successor,) = _soffice_pids(profile)

    assert successor != office
    assert [(r.ok, r.attempts) for r in results] == [(True, 1), (True, 1), (True, 1)]  # none lost a try
    for n in range(3):
        assert f"Stoat page {n}" in pdf_text(tmp_path / f"out/doc{n}.pdf")


def _wait_until_gone(pid: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split()[2]
        except OSError:
            return
        if state == "Z":
            return
        time.sleep(0.05)


def _kill_soffice_after_first_pdf(converter: Converter, out: Path) -> int:
    """Kill LibreOffice once the first PDF is in place; return how many were in place then."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        finished = len(list(out.glob("*.pdf"))) if out.is_dir() else 0
        if finished:
            for profile in converter.profile_paths():
                for pid in _soffice_pids(profile):
                    os.kill(pid, signal.SIGKILL)
                    return finished
        time.sleep(0.01)
    return 0


def _soffice_pids(profile: Path) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        # The exact argument: profile1's URI is also the start of profile10's.
        ours = f"-env:UserInstallation={profile.as_uri()}".encode() in command
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

    with Converter(jobs=1, timeout=3, soffice=str(script), engine="oneshot") as converter:
        results = converter.convert_many(jobs)

    assert [(r.ok, r.attempts, r.error) for r in results] == [
        (True, 1, None),
        (
            False,
            2,
            "Could not convert hang1.docx: LibreOffice stopped responding for 3 s "
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

    with Converter(jobs=1, timeout=5, soffice=str(script), engine="oneshot") as converter:
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


needs_uno = pytest.mark.skipif(
    not Path("/usr/lib/python3/dist-packages/uno.py").exists(), reason="needs python3-uno"
)


@needs_uno
@pytest.mark.parametrize("in_office", [True, False], ids=["macro-inside-libreoffice", "calls-from-the-bridge"])
def test_the_bridge_converts_alike_inside_libreoffice_or_from_outside(tmp_path, monkeypatch, in_office):
    monkeypatch.setenv("DOCGEN_CACHE_DIR", str(tmp_path / "cache"))
    source = make_docx(tmp_path / "in/swift.docx", "Swift letter", pages=2)
    other = make_docx(tmp_path / "in/kite.docx", "Kite note")
    profile = claim_profile()
    bridge = UnoBridge(uno_python(), find_soffice(), profile, f"docgen-test-{os.getpid()}", in_office=in_office)
    try:
        assert bridge.in_office is in_office  # setup.sh installs LibreOffice's Python script provider
        refused, converted, after = bridge.convert_all(
            [(tmp_path / "in/missing.docx", tmp_path / "missing.pdf"), (source, tmp_path / "swift.pdf"),
             (other, tmp_path / "other.pdf")], export_options(False), 60,
        )  # fmt: skip
        (again,) = bridge.convert_all([(source, tmp_path / "again.pdf")], export_options(pdfa=True), 60)
    finally:
        bridge.stop()
        profile.release()
    assert (refused.ok, refused.died, refused.hung) == (False, False, False)  # one document, not LibreOffice
    assert (converted.ok, converted.pages) == (True, 2)  # the documents after it still converted
    assert (after.ok, after.pages) == (True, 1) and "Kite note" in pdf_text(tmp_path / "other.pdf")
    assert again.ok and "Swift letter" in pdf_text(tmp_path / "again.pdf")
    assert "Swift letter" in pdf_text(tmp_path / "swift.pdf")
    assert b"pdfaid" in (PdfReader(tmp_path / "again.pdf").xmp_metadata.stream.get_data())


@needs_uno
def test_one_libreoffice_serves_every_call_of_a_converter(tmp_path):
    sources = [make_docx(tmp_path / f"in/note{n}.docx", f"Heron note {n}") for n in range(4)]
    with Converter(jobs=1, timeout=60) as converter:
        assert converter.uses_uno
        converter.convert_many([(sources[0], tmp_path / "out/note0.pdf")])
        (profile,) = converter.profile_paths()
        first = _soffice_pids(profile)
        converter.convert_many([(src, tmp_path / f"out/{src.stem}.pdf") for src in sources[1:]])
        assert _soffice_pids(profile) == first and len(first) == 1  # not started again
    for n in range(4):
        assert f"Heron note {n}" in pdf_text(tmp_path / f"out/note{n}.pdf")
    assert _soffice_pids(profile) == []  # closing the converter stopped it


@needs_uno
def test_a_hung_libreoffice_is_killed_and_the_document_retried_in_a_fresh_one(tmp_path):
    sources = [make_docx(tmp_path / f"in/hang{n}.docx", f"Otter page {n}") for n in range(3)]
    with Converter(jobs=1, timeout=2) as converter:
        converter.convert_many([(sources[0], tmp_path / "warm.pdf")])
        (profile,) = converter.profile_paths()
        (hung,) = _soffice_pids(profile)
        launcher = int(Path(f"/proc/{hung}/stat").read_text().rsplit(")", 1)[1].split()[1])
        for pid in (launcher, hung):  # LibreOffice stops answering, as when a document hangs it
            os.kill(pid, signal.SIGSTOP)
        results = converter.convert_many([(s, tmp_path / f"out/{s.stem}.pdf") for s in sources])
        assert [(r.ok, r.attempts) for r in results] == [(True, 2), (True, 1), (True, 1)]
        assert hung not in _soffice_pids(profile)
    assert not Path(f"/proc/{hung}").exists() or b"zombie" in Path(f"/proc/{hung}/status").read_bytes()
    for n in range(3):
        assert f"Otter page {n}" in pdf_text(tmp_path / f"out/hang{n}.pdf")


@needs_uno
def test_libreoffice_is_recycled_after_n_documents_and_no_document_is_lost(tmp_path):
    sources = [make_docx(tmp_path / f"in/wren{n}.docx", f"Wren letter {n}") for n in range(5)]
    with Converter(jobs=1, timeout=60, recycle_after=2, rss_limit_mb=0) as converter:
        offices = []
        for source in sources:  # one call each, as the server's requests come
            converter.convert(source, tmp_path / f"out/{source.stem}.pdf")
            (profile,) = converter.profile_paths()
            offices.append(_soffice_pids(profile))
        assert converter.recycled == 2
    assert [len(pids) for pids in offices] == [1] * 5
    first, second, third = offices[0][0], offices[2][0], offices[4][0]
    assert offices[1] == [first] and offices[3] == [second]  # two documents on each LibreOffice
    assert len({first, second, third}) == 3
    for n in range(5):
        assert f"Wren letter {n}" in pdf_text(tmp_path / f"out/wren{n}.pdf")
    assert _soffice_pids(profile) == []


@needs_uno
def test_the_successor_starts_ahead_and_takes_the_next_document_once_its_predecessor_is_due(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCGEN_CACHE_DIR", str(tmp_path / "cache"))
    profiles = tmp_path / "cache" / "libreoffice"
    sources = [make_docx(tmp_path / f"in/lark{n}.docx", f"Lark letter {n}") for n in range(3)]
    with Converter(jobs=1, timeout=60, recycle_after=2, rss_limit_mb=0) as converter:
        converter.convert(sources[0], tmp_path / "out/lark0.pdf")
        (first_profile,) = converter.profile_paths()
        (first,) = _soffice_pids(first_profile)
        converter.convert(sources[1], tmp_path / "out/lark1.pdf")  # the last before recycling
        # Its successor is starting meanwhile, in a profile of its own.
        deadline = time.monotonic() + 60
        while not (waiting := [p for p in profiles.glob("profile*") if p.is_dir() and p != first_profile
                                and _soffice_pids(p)]) and time.monotonic() < deadline:  # fmt: skip
            time.sleep(0.1)
        (successor_profile,) = waiting
        assert _soffice_pids(first_profile) == [first]  # both running at once

        converter.convert(sources[2], tmp_path / "out/lark2.pdf")

        assert converter.recycled == 1
        assert converter.profile_paths() == [successor_profile]  # the one started ahead took over
        assert len(_soffice_pids(successor_profile)) == 1
        assert _soffice_pids(first_profile) == []
    assert _soffice_pids(successor_profile) == []
    for n in range(3):
        assert f"Lark letter {n}" in pdf_text(tmp_path / f"out/lark{n}.pdf")


@needs_uno
def test_a_successor_started_ahead_is_stopped_with_its_converter(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCGEN_CACHE_DIR", str(tmp_path / "cache"))
    source = make_docx(tmp_path / "in/moth.docx", "Moth letter")
    with Converter(jobs=1, timeout=60, recycle_after=2, rss_limit_mb=0) as converter:
        converter.convert(source, tmp_path / "out/moth0.pdf")
        converter.convert(source, tmp_path / "out/moth1.pdf")  # starts the successor
    profiles = [p for p in (tmp_path / "cache" / "libreoffice").glob("profile*") if p.is_dir()]
    assert len(profiles) == 2
    assert [pid for p in profiles for pid in _soffice_pids(p)] == []


@needs_uno
def test_libreoffice_over_its_memory_limit_is_recycled_between_documents(tmp_path):
    sources = [make_docx(tmp_path / f"in/kite{n}.docx", f"Kite letter {n}") for n in range(12)]
    # Any LibreOffice holds more than 1 MiB: its size, read between calls once ten documents have
    # gone by, is too big.
    with Converter(jobs=1, timeout=60, recycle_after=0, rss_limit_mb=1) as converter:
        first = converter.convert_many([(s, tmp_path / f"out/{s.stem}.pdf") for s in sources[:10]])
        assert converter.recycled == 0  # one call: its documents went to LibreOffice together
        second = converter.convert_many([(s, tmp_path / f"out/{s.stem}.pdf") for s in sources[10:]])
        assert converter.recycled == 1
    assert [(r.ok, r.attempts) for r in first + second] == [(True, 1)] * 12
    for n in range(12):
        assert f"Kite letter {n}" in pdf_text(tmp_path / f"out/kite{n}.pdf")


def test_recycling_is_configured_by_environment(monkeypatch):
    monkeypatch.setenv("DOCGEN_PDF_RECYCLE_AFTER", "7")
    monkeypatch.setenv("DOCGEN_PDF_RSS_LIMIT_MB", "0")
    converter = Converter(jobs=1)
    assert (converter.recycle_after, converter.rss_limit_mb) == (7, 0)
    monkeypatch.setenv("DOCGEN_PDF_RECYCLE_AFTER", "many")
    with pytest.raises(ConvertError) as raised:
        Converter(jobs=1)
    assert str(raised.value) == "$DOCGEN_PDF_RECYCLE_AFTER must be a whole number, not 'many'."


def test_profiles_are_kept_for_the_next_run_and_never_shared(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCGEN_CACHE_DIR", str(tmp_path / "cache"))
    source = make_docx(tmp_path / "in/a.docx", "Badger")
    with Converter(jobs=1) as first, Converter(jobs=1) as second:
        first.convert(source, tmp_path / "a1.pdf")
        second.convert(source, tmp_path / "a2.pdf")
        held = first.profile_paths() + second.profile_paths()
    assert held == [tmp_path / "cache/libreoffice/profile0", tmp_path / "cache/libreoffice/profile1"]
    assert (tmp_path / "cache/libreoffice/profile0/user").is_dir()  # kept after the run
    with Converter(jobs=1) as later:
        later.convert(source, tmp_path / "a3.pdf")
        assert later.profile_paths() == [tmp_path / "cache/libreoffice/profile0"]
    assert oct((tmp_path / "cache/libreoffice").stat().st_mode & 0o777) == "0o700"


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
    starting = system_temp / "docgen-soffice-starting"  # another converter, between its lock and its rename
    starting.mkdir()
    (starting / ".in-use.new").touch()
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
    assert left == ["docgen-soffice-alive", "docgen-soffice-being-made", "docgen-soffice-starting", "not-docgens"]
