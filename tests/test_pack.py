"""make_pack and the ``pack`` command, on letters LibreOffice converted."""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from docgen.cli_pdf import pack
from docgen.convert import Converter
from docgen.exceptions import PdfInputError
from docgen.pdfout import PackEntry, make_pack

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None, reason="needs LibreOffice")


@pytest.fixture(scope="module")
def letters(tmp_path_factory) -> dict[str, Path]:
    """Three letters of 1, 2 and 3 pages; every page says whose letter it is and which page."""
    folder = tmp_path_factory.mktemp("pack")
    jobs = []
    for name, pages in (("mother", 1), ("father", 2), ("school", 3)):
        document = docx.Document()
        for page in range(1, pages + 1):
            if page > 1:
                document.add_page_break()
            document.add_paragraph(f"Letter for {name}, page {page}")
        document.save(folder / f"{name}.docx")
        jobs.append((folder / f"{name}.docx", folder / f"{name}.pdf"))
    with Converter(jobs=2) as converter:
        assert all(r.ok for r in converter.convert_many(jobs))
    return {source.stem: target for source, target in jobs}


def page_texts(path: Path) -> list[str]:
    return [page.extract_text().strip() for page in PdfReader(path).pages]


def test_duplex_pack_starts_every_letter_on_an_odd_page(letters, tmp_path):
    items = [("To the mother", letters["mother"]), ("To the father", letters["father"]),
             ("To the school", letters["school"])]  # fmt: skip

    made = make_pack(items, tmp_path / "pack.pdf")

    assert made.entries == [
        PackEntry("To the mother", 3, 1),
        PackEntry("To the father", 5, 2),
        PackEntry("To the school", 7, 3),
    ]
    assert made.pages == 10
    texts = page_texts(tmp_path / "pack.pdf")
    assert texts[0].splitlines() == [
        "Contents",
        "Document Page",
        "To the mother 3",
        "To the father 5",
        "To the school 7",
    ]
    assert texts[1:] == [
        "",  # back of the contents page
        "Letter for mother, page 1",
        "",
        "Letter for father, page 1",
        "Letter for father, page 2",
        "Letter for school, page 1",
        "Letter for school, page 2",
        "Letter for school, page 3",
        "",
    ]
    assert all(entry.first_page % 2 == 1 for entry in made.entries)


def test_pack_keeps_the_order_given_and_bookmarks_each_letter(letters, tmp_path):
    items = [("School", letters["school"]), ("Mother", letters["mother"])]

    make_pack(items, tmp_path / "pack.pdf")

    reader = PdfReader(tmp_path / "pack.pdf")
    assert [(o.title, reader.get_destination_page_number(o)) for o in reader.outline] == [
        ("School", 2),
        ("Mother", 6),
    ]
    assert reader.pages[2].extract_text().strip() == "Letter for school, page 1"
    assert reader.pages[6].extract_text().strip() == "Letter for mother, page 1"


def test_simplex_pack_adds_no_blank_pages(letters, tmp_path):
    items = [("A", letters["mother"]), ("B", letters["father"]), ("C", letters["school"])]

    made = make_pack(items, tmp_path / "pack.pdf", duplex=False)

    assert [e.first_page for e in made.entries] == [2, 3, 5]
    assert "" not in page_texts(tmp_path / "pack.pdf")


def test_labels_are_escaped_and_long_ones_clipped(letters, tmp_path):
    label = "Letter (copy) to Siân \\ O'Brien, " + "x" * 80

    make_pack([(label, letters["mother"])], tmp_path / "pack.pdf")

    contents = page_texts(tmp_path / "pack.pdf")[0].splitlines()
    assert contents[2] == label[:67] + "... 3"


def test_contents_run_over_several_pages_for_a_long_pack(letters, tmp_path):
    items = [(f"Recipient {n}", letters["mother"]) for n in range(45)]

    made = make_pack(items, tmp_path / "pack.pdf")

    assert made.entries[0].first_page == 3  # two contents pages, no blank needed
    texts = page_texts(tmp_path / "pack.pdf")
    assert texts[1].splitlines()[0] == "Recipient 40 83"


def test_a_corrupt_item_is_named_and_nothing_is_written(letters, tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(letters["father"].read_bytes()[:2000])

    with pytest.raises(PdfInputError) as raised:
        make_pack([("A", letters["mother"]), ("B", broken)], tmp_path / "pack.pdf")

    assert str(raised.value).startswith(f"{broken}: The PDF is incomplete (no %%EOF at its end)")
    assert raised.value.exit_code == 7
    assert not (tmp_path / "pack.pdf").exists()


def test_pack_command_writes_the_pack(letters, tmp_path):
    out = tmp_path / "print" / "pack.pdf"
    out.parent.mkdir()

    result = CliRunner().invoke(
        pack, [str(letters["mother"]), str(letters["school"]), "--out", str(out)]
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == f"Wrote {out}: 2 documents, 8 pages\n"
    assert page_texts(out)[0].splitlines()[2:] == ["mother 3", "school 5"]


def test_pack_command_no_duplex(letters, tmp_path):
    out = tmp_path / "pack.pdf"

    result = CliRunner().invoke(
        pack, [str(letters["mother"]), str(letters["school"]), "--out", str(out), "--no-duplex"]
    )

    assert result.exit_code == 0
    assert result.stdout == f"Wrote {out}: 2 documents, 5 pages\n"


def test_pack_command_names_a_file_that_is_not_a_pdf(letters, tmp_path):
    bogus = tmp_path / "notes.pdf"
    bogus.write_text("not a pdf")

    result = CliRunner().invoke(
        pack, [str(letters["mother"]), str(bogus), "--out", str(tmp_path / "pack.pdf")]
    )

    assert result.exit_code == 7
    assert result.stderr == f"Error: {bogus}: The file is not a PDF (no %PDF- header).\n"


def test_pack_command_help_has_an_example():
    result = CliRunner().invoke(pack, ["--help"])

    assert result.exit_code == 0
    assert "  Example:\n      docgen pack out/WOR-CIN-0001_*.pdf --out print/pack.pdf" in result.stdout


def test_pack_command_puts_each_recipients_letters_together_family_first(letters, tmp_path):
    """docgen's names are CASEREF_DOCUMENT_RECIPIENT, so a glob sorts by document; the pack
    groups by recipient (the family's before agencies'), and --order given keeps the glob's."""
    named = {
        "WOR-1_information-request_agency-hv": letters["school"],
        "WOR-1_outcome-letter_agency-hv": letters["father"],
        "WOR-1_outcome-letter_family-mum": letters["mother"],
    }
    for stem, source in named.items():
        shutil.copy(source, tmp_path / f"{stem}.pdf")
    files = sorted(str(p) for p in tmp_path.glob("WOR-1_*.pdf"))
    out = tmp_path / "pack.pdf"

    result = CliRunner().invoke(pack, [*files, "--out", str(out)])
    assert result.exit_code == 0, result.output
    bookmarks = [item.title for item in PdfReader(out).outline]
    assert bookmarks == [
        "WOR-1_outcome-letter_family-mum", "WOR-1_information-request_agency-hv", "WOR-1_outcome-letter_agency-hv",
    ]
    starts = [text.splitlines()[0] for text in page_texts(out)[2:] if text]
    assert starts[0] == "Letter for mother, page 1" and starts[1] == "Letter for school, page 1"

    given = CliRunner().invoke(pack, [*files, "--order", "given", "--out", str(tmp_path / "given.pdf")])
    assert given.exit_code == 0
    assert [item.title for item in PdfReader(tmp_path / "given.pdf").outline] == [Path(f).stem for f in files]


def _with_active_content(source: Path, target: Path) -> Path:
    """``source`` with an opening script, a page action that launches a program, a link to an
    outside address, a link running JavaScript, and a link to its own second page."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, TextStringObject

    def name(value):
        return NameObject(value)

    def link(action):
        return DictionaryObject({
            name("/Type"): name("/Annot"), name("/Subtype"): name("/Link"),
            name("/Rect"): ArrayObject([FloatObject(v) for v in (50, 50, 150, 70)]), name("/A"): action,
        })  # fmt: skip

    writer = PdfWriter(clone_from=PdfReader(source))
    writer._root_object[name("/OpenAction")] = DictionaryObject(
        {name("/S"): name("/JavaScript"), name("/JS"): TextStringObject("app.alert(1)")}
    )
    first = writer.pages[0]
    first[name("/AA")] = DictionaryObject({name("/O"): DictionaryObject(
        {name("/S"): name("/Launch"), name("/F"): TextStringObject("calc.exe")})})  # fmt: skip
    inside = DictionaryObject({name("/S"): name("/GoTo"), name("/D"): ArrayObject(
        [writer.pages[1].indirect_reference, name("/Fit")])})  # fmt: skip
    first[name("/Annots")] = ArrayObject([
        writer._add_object(link(DictionaryObject({name("/S"): name("/URI"), name("/URI"): TextStringObject("https://example.invalid/")}))),
        writer._add_object(link(DictionaryObject({name("/S"): name("/JavaScript"), name("/JS"): TextStringObject("app.alert(2)")}))),
        writer._add_object(link(inside)),
    ])  # fmt: skip
    with target.open("wb") as handle:
        writer.write(handle)
    return target


def test_packs_leave_out_scripts_launch_actions_and_outside_links(letters, tmp_path):
    from docgen.pdfout.active import find_active_content

    armed = _with_active_content(letters["father"], tmp_path / "armed.pdf")
    assert len(find_active_content(PdfReader(armed))) == 3  # the doctoring took (links are not active)
    assert len(PdfReader(armed).pages[0]["/Annots"]) == 3

    make_pack([("To the father", armed)], tmp_path / "pack.pdf")

    pack_reader = PdfReader(tmp_path / "pack.pdf")
    assert find_active_content(pack_reader) == []
    letter_page = pack_reader.pages[2]
    assert "/AA" not in letter_page
    [kept] = [a.get_object() for a in letter_page["/Annots"]]
    assert kept["/A"]["/S"] == "/GoTo"  # a link within the letter stays
    assert page_texts(tmp_path / "pack.pdf")[2:4] == ["Letter for father, page 1", "Letter for father, page 2"]
