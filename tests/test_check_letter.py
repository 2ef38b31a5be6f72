"""check_letter and the ``check-letter`` command, on letters LibreOffice laid out."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from docgen.cli_pdf import check_letter as check_letter_command
from docgen.convert import Converter
from docgen.exceptions import PdfInputError
from docgen.letter_layout import notify_letter as notify_letter_head_room
from docgen.pdfout import LetterProblem, check_letter
from letter_helpers import ADDRESS, BODY, notify_letter

pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="needs LibreOffice and poppler-utils",
)

SEVEN = ["Mr Sam Example-Longname", "Flat 3", "Riverside House", "100 Mill Lane",
         "Stourport-on-Severn", "Worcestershire", "DY13 9AB"]  # fmt: skip


def _move_frame(document, y_mm: float) -> None:
    for frame in document.element.body.iter(qn("w:framePr")):
        frame.set(qn("w:y"), str(round(y_mm * 1440 / 25.4)))


def _plain(*, left_margin_mm: float = 20, a4: bool = True, landscape: bool = False):
    document = docx.Document()
    section = document.sections[0]
    if a4:
        section.page_width, section.page_height = Mm(210), Mm(297)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
    section.left_margin = Mm(left_margin_mm)
    for text in BODY * 3:
        document.add_paragraph(text)
    return document


def _eleven_pages():
    document = notify_letter(ADDRESS, BODY)
    for _ in range(10):
        document.add_page_break()
        document.add_paragraph("Continued")
    return document


def _too_high():
    document = notify_letter(ADDRESS, BODY)
    _move_frame(document, 36)
    return document


def _rule_in_margin():
    """A bordered, empty table pulled 12 mm into the left margin: ink there, but no text."""
    document = notify_letter(ADDRESS, BODY)
    table = document.add_table(rows=1, cols=1)
    table.style = document.styles["Table Grid"]
    indent = OxmlElement("w:tblInd")
    indent.set(qn("w:w"), str(round(-12 * 1440 / 25.4)))
    indent.set(qn("w:type"), "dxa")
    table._tbl.tblPr.append(indent)  # tblInd may follow tblStyle and tblW, as here
    return document


def _line_34mm_down():
    """A reference line in its own page-anchored frame, 34 mm down: between the logo area and
    the address window, where Notify prints nothing."""
    document = notify_letter(ADDRESS, BODY)
    reference = document.add_paragraph("Our reference 4471")
    frame = OxmlElement("w:framePr")
    for name, value in {"w": "3000", "h": "300", "hRule": "exact", "hAnchor": "page",
                        "vAnchor": "page", "x": str(round(30 * 1440 / 25.4)),
                        "y": str(round(34 * 1440 / 25.4))}.items():  # fmt: skip
        frame.set(qn(f"w:{name}"), value)
    reference._p.get_or_add_pPr().insert(0, frame)
    return document


def _eight_line_address():
    """Eight lines made small enough (8 pt on a 9 pt pitch) to fit in the window."""
    document = notify_letter([*SEVEN[:6], "Near Kidderminster", "DY13 9AB"], BODY)
    for paragraph in document.paragraphs:
        if paragraph._p.pPr is not None and paragraph._p.pPr.find(qn("w:framePr")) is not None:
            paragraph.paragraph_format.line_spacing = Pt(9)
            for run in paragraph.runs:
                run.font.size = Pt(8)
    return document


def _drawing_in_page_two_margin():
    """Page 2 carries a bordered, empty table pulled 12 mm into the left margin."""
    document = notify_letter(ADDRESS, BODY)
    document.add_page_break()
    document.add_paragraph("Continued")
    table = document.add_table(rows=1, cols=1)
    table.style = document.styles["Table Grid"]
    indent = OxmlElement("w:tblInd")
    indent.set(qn("w:w"), str(round(-12 * 1440 / 25.4)))
    indent.set(qn("w:type"), "dxa")
    table._tbl.tblPr.append(indent)
    return document


LETTERS = {
    "line-34mm": _line_34mm_down,
    "eight-lines": _eight_line_address,
    "page-two-margin": _drawing_in_page_two_margin,
    "good": lambda: notify_letter(ADDRESS, BODY * 4),
    "head-room": lambda: notify_letter_head_room(ADDRESS, BODY),
    "seven-lines": lambda: notify_letter(SEVEN, BODY),
    "calibri": lambda: notify_letter(SEVEN, BODY * 8, font="Calibri"),
    "two-lines": lambda: notify_letter(["Ms Alex Example", "DY10 1AA"], BODY),
    "no-postcode": lambda: notify_letter(ADDRESS[:3], BODY),
    "intruder": lambda: notify_letter([*ADDRESS, "", "", "Ref 4471"], BODY),
    "too-high": _too_high,
    "no-frame": lambda: _plain(),
    "narrow-margin": lambda: notify_letter(ADDRESS, BODY),
    "us-letter": lambda: _plain(a4=False),
    "landscape": lambda: _plain(landscape=True),
    "eleven-pages": _eleven_pages,
    "rule-in-margin": _rule_in_margin,
}


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("letters")
    jobs = []
    for name, build in LETTERS.items():
        document = build()
        if name == "narrow-margin":
            document.sections[0].left_margin = Mm(5)
        document.save(folder / f"{name}.docx")
        jobs.append((folder / f"{name}.docx", folder / f"{name}.pdf"))
    with Converter(jobs=2) as converter:
        assert all(r.ok for r in converter.convert_many(jobs))
    return {source.stem: target for source, target in jobs}


def messages(problems: list[LetterProblem]) -> list[str]:
    return [str(problem) for problem in problems]


@pytest.mark.parametrize("name", ["good", "seven-lines", "calibri"])
def test_letters_laid_out_with_the_helper_pass(pdfs, name):
    assert messages(check_letter(pdfs[name])) == []


def test_two_address_lines_are_too_few(pdfs):
    assert messages(check_letter(pdfs["two-lines"])) == [
        "page 1: the address has 2 lines; Notify needs 3 to 7"
    ]


def test_the_last_address_line_must_be_a_postcode(pdfs):
    assert messages(check_letter(pdfs["no-postcode"])) == [
        "page 1: the last line of the address is not a UK postcode"
    ]


def test_other_text_in_the_address_box_is_reported(pdfs):
    [problem] = check_letter(pdfs["intruder"])

    assert problem.code == "address-box-intrusion"
    assert re.fullmatch(
        r"page 1: text inside the address box is not part of the address, "
        r"at 26\.0-\d+\.\d mm from the left and \d+\.\d-\d+\.\d mm from the top",
        str(problem),
    )


def test_an_address_above_the_box_crosses_its_top_edge(pdfs):
    problems = check_letter(pdfs["too-high"])

    assert [p.code for p in problems] == [
        "page-one-area",  # the first address line, in the empty band above the window
        "address-box-edge",  # the first address line, above the box
        "address-box-edge",  # the second, across its top edge
        "address-lines",  # what is left inside the box
    ]
    assert re.fullmatch(
        r"page 1: text crosses the edge of the address box, "
        r"at 26\.0-\d+\.\d mm from the left and 3[5-9]\.\d-\d+\.\d mm from the top",
        str(problems[1]),
    )


def test_body_text_running_through_the_box_is_reported(pdfs):
    problems = check_letter(pdfs["no-frame"])

    assert {p.code for p in problems} == {"page-one-area", "address-box-edge", "address-missing"}
    assert str(problems[-1]) == (
        "page 1: no address text was found inside the address box "
        "(24.6-120 mm from the left, 39.5-66.3 mm from the top)"
    )


def test_text_in_the_left_margin_is_reported(pdfs):
    problems = check_letter(pdfs["narrow-margin"])

    assert [m for m in messages(problems) if "margin" in m] == [
        "page 1: text reaches 5.0 mm from the left edge, inside the 15 mm left margin, "
        "at 5.0-25.5 mm from the left and 95.0-126.1 mm from the top"
    ]


def test_a_drawing_in_the_margin_is_reported(pdfs):
    [problem] = check_letter(pdfs["rule-in-margin"])

    assert problem.code == "margin"
    assert re.fullmatch(
        r"page 1: an image or drawing reaches [5-8]\.\d mm from the left edge, "
        r"inside the 15 mm left margin, at [5-8]\.\d-1[45]\.\d mm from the left and "
        r"1[23]\d\.\d-1[34]\d\.\d mm from the top",
        str(problem),
    )


def test_page_size_and_orientation_are_checked(pdfs):
    assert messages(check_letter(pdfs["us-letter"]))[0] == (
        "page 1: the page is 216 x 279 mm (portrait); Notify needs A4 portrait, 210 x 297 mm"
    )
    assert messages(check_letter(pdfs["landscape"]))[0] == (
        "page 1: the page is 297 x 210 mm (landscape); Notify needs A4 portrait, 210 x 297 mm"
    )


def test_more_than_ten_pages_is_too_many(pdfs):
    assert messages(check_letter(pdfs["eleven-pages"])) == [
        "the letter has 11 pages; Notify accepts at most 10"
    ]


def test_problems_never_quote_the_letter_text(pdfs):
    for name in LETTERS:
        for problem in check_letter(pdfs[name]):
            assert not {"Example", "High", "Kidderminster", "4471"} & set(problem.message.split())


def test_a_corrupt_pdf_is_named(tmp_path, pdfs):
    broken = tmp_path / "letter.pdf"
    broken.write_bytes(pdfs["good"].read_bytes()[:1500])

    with pytest.raises(PdfInputError) as raised:
        check_letter(broken)

    assert str(raised.value).startswith(f"{broken}: The PDF is incomplete (no %%EOF at its end)")


def test_command_exits_0_when_every_letter_passes(pdfs):
    result = CliRunner().invoke(check_letter_command, [str(pdfs["good"]), str(pdfs["seven-lines"])])

    assert result.exit_code == 0
    assert result.stdout == f"{pdfs['good']}: OK\n{pdfs['seven-lines']}: OK\n"


def test_command_exits_1_and_lists_problems(pdfs):
    result = CliRunner().invoke(check_letter_command, [str(pdfs["good"]), str(pdfs["two-lines"])])

    assert result.exit_code == 1
    assert result.stdout == (
        f"{pdfs['good']}: OK\n"
        f"{pdfs['two-lines']}: page 1: the address has 2 lines; Notify needs 3 to 7\n"
    )


def test_command_json(pdfs):
    result = CliRunner().invoke(check_letter_command, [str(pdfs["eleven-pages"]), "--json"])

    assert result.exit_code == 1
    assert json.loads(result.stdout) == [
        {
            "file": str(pdfs["eleven-pages"]),
            "ok": False,
            "problems": [
                {
                    "code": "page-count",
                    "message": "the letter has 11 pages; Notify accepts at most 10",
                    "page": None,
                }
            ],
        }
    ]


def test_command_exits_7_naming_a_file_that_is_not_a_pdf(tmp_path):
    bogus = tmp_path / "letter.pdf"
    bogus.write_text("Dear parent")

    result = CliRunner().invoke(check_letter_command, [str(bogus)])

    assert result.exit_code == 7
    assert result.stderr == f"Error: {bogus}: The file is not a PDF (no %PDF- header).\n"


def test_command_help_has_an_example():
    result = CliRunner().invoke(check_letter_command, ["--help"])

    assert result.exit_code == 0
    assert "  Example:\n      docgen check-letter out/\n" in result.stdout


# -- Notify's areas on page 1, and what Notify checks besides ---------------------------------


def test_the_helper_letters_body_from_20_mm_fills_the_space_notify_keeps_empty(pdfs):
    problems = messages(check_letter(pdfs["head-room"]))

    assert len(problems) == 2
    assert re.fullmatch(
        r"page 1: something is printed between the logo area \(to 30 mm down\) and the address "
        r"window \(from 39\.5 mm down\), at \d+\.\d-\d+\.\d mm from the left and 3\d\.\d-3\d\.\d mm "
        r"from the top; Notify prints nothing there",
        problems[0],
    )
    assert problems[1].startswith(
        "page 1: something is printed between the address window (to 66.3 mm down) and the "
        "body (from 95 mm down), at "
    )


def test_a_line_of_text_34_mm_down_is_reported_where_it_is(pdfs):
    [problem] = check_letter(pdfs["line-34mm"])

    assert problem.code == "page-one-area"
    assert re.fullmatch(
        r"page 1: something is printed between the logo area \(to 30 mm down\) and the address "
        r"window \(from 39\.5 mm down\), at 3[01]\.\d-\d+\.\d mm from the left and 3[45]\.\d-3[5-8]\.\d "
        r"mm from the top; Notify prints nothing there",
        str(problem),
    )


def test_an_address_of_eight_lines_is_too_long(pdfs):
    assert messages(check_letter(pdfs["eight-lines"])) == [
        "page 1: the address has 8 lines; Notify needs 3 to 7"
    ]


def test_a_drawing_in_a_later_pages_margin_is_reported_on_that_page(pdfs):
    [problem] = check_letter(pdfs["page-two-margin"])

    assert problem.code == "margin"
    assert re.fullmatch(
        r"page 2: an image or drawing reaches [5-8]\.\d mm from the left edge, "
        r"inside the 15 mm left margin, at [5-8]\.\d-1[45]\.\d mm from the left and "
        r"(9\d|10\d)\.\d-1[01]\d\.\d mm from the top",
        str(problem),
    )


def _doctored(source: Path, target: Path, change) -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(source))
    change(writer)
    with target.open("wb") as handle:
        writer.write(handle)
    return target


def _open_action_script(writer) -> None:
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}
    )


def _page_launch_action(writer) -> None:
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    launch = DictionaryObject({NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")})
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): launch})


def test_a_script_run_on_opening_fails_the_letter(pdfs, tmp_path):
    letter = _doctored(pdfs["good"], tmp_path / "scripted.pdf", _open_action_script)

    assert messages(check_letter(letter)) == [
        "the document runs JavaScript when it is opened (/OpenAction); "
        "Notify refuses letters with active content"
    ]


def test_a_launch_action_on_a_page_fails_the_letter(pdfs, tmp_path):
    letter = _doctored(pdfs["good"], tmp_path / "launching.pdf", _page_launch_action)

    assert messages(check_letter(letter)) == [
        "page 1: the page has actions run when it is opened or closed (/AA); "
        "Notify refuses letters with active content"
    ]


def test_a_font_that_is_not_embedded_fails_the_letter(tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    letter = tmp_path / "helvetica.pdf"
    page = canvas.Canvas(str(letter), pagesize=A4)
    page.setFont("Helvetica", 10)
    for number, line in enumerate(ADDRESS):
        page.drawString(26 * 72 / 25.4, (297 - 44 - number * 4) * 72 / 25.4, line)
    page.save()

    assert messages(check_letter(letter)) == [
        "page 1: the font Helvetica is not embedded; Notify needs every font embedded"
    ]


def test_an_encrypted_letter_is_checked_with_its_password_file(pdfs, tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(pdfs["good"]))
    writer.encrypt("correct horse", algorithm="AES-256")
    letter = tmp_path / "WOR-CIN-0001_outcome-letter_family-mum.pdf"
    with letter.open("wb") as handle:
        writer.write(handle)
    password = tmp_path / "pw.txt"
    password.write_text("correct horse\n")

    opened = CliRunner().invoke(check_letter_command, [str(letter), "--password-file", str(password)])
    refused = CliRunner().invoke(check_letter_command, [str(letter)])

    assert (opened.exit_code, opened.stdout) == (0, f"{letter}: OK\n")
    assert refused.exit_code == 7
    assert refused.stderr == (
        f"Error: {letter}: The PDF is encrypted; give its password with --password-file.\n"
    )


def test_a_folder_of_mixed_documents_checks_the_letters_and_skips_the_rest(pdfs, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    for name in ("WOR-CIN-0001_family-plan.pdf", "WOR-CIN-0001_feedback-sheet.pdf"):
        (out / name).write_bytes(pdfs["us-letter"].read_bytes())
    good = out / "WOR-CIN-0001_outcome-letter_family-mum.pdf"
    good.write_bytes(pdfs["good"].read_bytes())
    bad = out / "WOR-CIN-0001_information-request_agency-gp.pdf"
    bad.write_bytes(pdfs["two-lines"].read_bytes())

    result = CliRunner().invoke(check_letter_command, [str(out)])

    assert result.exit_code == 1
    assert result.stdout == (
        f"{bad}: page 1: the address has 2 lines; Notify needs 3 to 7\n"
        f"{good}: OK\n"
        "Skipped 2 PDFs that are not a letter: WOR-CIN-0001_family-plan.pdf, "
        "WOR-CIN-0001_feedback-sheet.pdf.\n"
    )


def test_a_folder_with_no_letters_is_a_usage_error(pdfs, tmp_path):
    (tmp_path / "WOR-CIN-0001_family-plan.pdf").write_bytes(pdfs["good"].read_bytes())

    result = CliRunner().invoke(check_letter_command, [str(tmp_path)])

    assert result.exit_code == 2
    assert result.stderr == (
        "Error: None of the PDFs given is a letter. Skipped 1 PDF that is not a letter: "
        "WOR-CIN-0001_family-plan.pdf.\n"
    )
