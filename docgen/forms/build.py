"""Builds the blank fillable forms in ``forms/`` with reportlab's AcroForm support.

    python -m docgen.forms.build            # write forms/<id>.pdf for every form
    python -m docgen.forms.build --check    # exit 1 if a committed form differs from the builder's

Each form's title and version come from ``forms/<id>.fields.toml``; its words from
:mod:`docgen.forms.wording`. Every form carries two hidden, read-only fields, ``docgen_form`` and
``docgen_form_version``, so a returned PDF says which form it is. Builds are reproducible
(reportlab's invariant mode fixes the dates and file id), so a rebuild changes nothing unless
the layout did.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

from pypdf import PdfReader
from reportlab.lib.colors import Color, black, white
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from docgen.forms import wording as w
from docgen.forms.fieldmap import MAP_SUFFIX, FormInfo, default_root, load_form
from docgen.forms.pdffields import FORM_ID_FIELD, FORM_VERSION_FIELD, read_fields
from docgen.atomic import write_atomic

FONT, BOLD = "Helvetica", "Helvetica-Bold"
GREY = Color(0.35, 0.35, 0.35)
FIELD_FILL = Color(0.93, 0.95, 1.0)
FIELD_BORDER = Color(0.45, 0.5, 0.6)


class Sheet:
    """A page drawn from the top down: the source's words, with fields placed beside them."""

    def __init__(self, canvas: Canvas, size: tuple[float, float], margin: float = 50) -> None:
        self.canvas = canvas
        self.acro = canvas.acroForm
        self.left, self.right = margin, size[0] - margin
        self.top = self.y = size[1] - margin

    @property
    def width(self) -> float:
        return self.right - self.left

    def header(self, info: FormInfo) -> None:
        c = self.canvas
        c.setFont(FONT, 9)
        c.setFillColor(GREY)
        c.drawString(self.left, self.y, w.SERVICE)
        c.drawRightString(self.right - 125, self.y, "Case reference")
        c.setFillColor(black)
        self.text_field("case_reference", self.right - 120, self.y - 5, 120, 16, tooltip="Case reference")
        c.setFont(BOLD, 18)
        c.drawString(self.left, self.y - 28, info.title)
        self.y -= 48
        self._hidden(info)

    def _hidden(self, info: FormInfo) -> None:
        for name, value in ((FORM_ID_FIELD, info.form_id), (FORM_VERSION_FIELD, info.version)):
            self.acro.textfield(
                name=name, value=value, x=0, y=0, width=1, height=1, borderWidth=0,
                annotationFlags="hidden", fieldFlags="readOnly", maxlen=None,
            )  # fmt: skip

    def para(
        self,
        text: str,
        *,
        size: float = 10,
        font: str = FONT,
        indent: float = 0,
        width: float | None = None,
        gap: float = 6,
    ) -> None:
        lines = simpleSplit(text, font, size, (width or self.width) - indent)
        self.canvas.setFont(font, size)
        for line in lines:
            self.canvas.drawString(self.left + indent, self.y - size, line)
            self.y -= size * 1.25
        self.y -= gap

    def bullet(self, text: str, *, size: float = 10) -> None:
        self.canvas.setFont(FONT, size)
        self.canvas.drawString(self.left + 4, self.y - size, "•")
        self.para(text, size=size, indent=16)

    def labelled(
        self,
        label: str,
        name: str,
        *,
        label_width: float = 110,
        width: float = 300,
        tooltip: str | None = None,
    ) -> None:
        """A label and its field on a line of their own."""
        self.canvas.setFont(BOLD, 10)
        self.canvas.drawString(self.left, self.y - 13, label)
        self.text_field(name, self.left + label_width, self.y - 17, width, 18, tooltip=tooltip or label)
        self.y -= 26

    def text_field(
        self,
        name: str,
        x: float,
        y: float,
        width: float,
        height: float,
        *,
        size: float = 10,
        multiline: bool = False,
        tooltip: str = "",
    ) -> None:
        self.acro.textfield(
            name=name, tooltip=tooltip, x=x, y=y, width=width, height=height,
            fontName=FONT, fontSize=size, textColor=black, fillColor=FIELD_FILL,
            borderColor=FIELD_BORDER, borderWidth=0.75, maxlen=None,
            fieldFlags="multiline" if multiline else "",
        )  # fmt: skip

    def radio(self, name: str, value: str, x: float, y: float, tooltip: str) -> None:
        self.acro.radio(
            name=name, value=value, tooltip=tooltip, x=x, y=y, size=11, buttonStyle="circle",
            shape="circle", fieldFlags="noToggleToOff radio", fillColor=white,
            borderColor=FIELD_BORDER, textColor=black, borderWidth=0.75,
        )  # fmt: skip

    def checkbox(self, name: str, x: float, y: float, tooltip: str) -> None:
        self.acro.checkbox(
            name=name, tooltip=tooltip, x=x, y=y, size=11, buttonStyle="check", fieldFlags="",
            fillColor=white, borderColor=FIELD_BORDER, textColor=black, borderWidth=0.75,
        )  # fmt: skip

    def box(self, label: str, name: str, height: float) -> None:
        """A question with a multi-line answer box under it."""
        self.para(label, font=BOLD, gap=2)
        self.text_field(name, self.left, self.y - height, self.width, height, multiline=True, tooltip=label)
        self.y -= height + 12

    def table(
        self,
        columns: list[tuple[str, float]],
        rows: int,
        field: Callable[[int, int], tuple],
        *,
        row_height: float = 17,
        size: float = 8,
    ) -> None:
        """A header row, then ``rows`` rows of fields; ``field(row, column)`` -> (kind, name, tooltip)."""
        c = self.canvas
        c.setFont(BOLD, 8.5)
        x = self.left
        for title, width in columns:
            c.drawString(x + 2, self.y - 11, title)
            x += width
        self.y -= 15
        for row in range(1, rows + 1):
            x = self.left
            for column, (_, width) in enumerate(columns):
                kind, name, tooltip = field(row, column)
                if kind == "checkbox":
                    self.checkbox(name, x + (width - 11) / 2, self.y - row_height + 3, tooltip)
                else:
                    self.text_field(
                        name,
                        x + 1,
                        self.y - row_height + 1,
                        width - 2,
                        row_height - 2,
                        size=size,
                        tooltip=tooltip,
                    )
                x += width
            self.y -= row_height
        self.y -= 10


# -- the forms ----------------------------------------------------------------------------------
def draw_feedback_sheet(sheet: Sheet, info: FormInfo) -> None:
    sheet.header(info)
    sheet.para(w.FEEDBACK_INTRO, gap=10)
    for label, name in (("Family:", "family"), ("Name:", "name"), ("Date:", "date")):
        sheet.labelled(label, name, label_width=60, width=260)
    sheet.y -= 6
    yes_x = sheet.right - 110
    for name, question in w.YES_NO_QUESTIONS.items():
        top = sheet.y
        sheet.bullet(question)
        for i, (value, label) in enumerate(w.YES_NO.items()):
            x = yes_x + i * 60
            sheet.canvas.setFont(FONT, 10)
            sheet.canvas.drawString(x + 15, top - 10, label)
            sheet.radio(name, value, x, top - 11, f"{question} {label}")
        sheet.y = min(sheet.y, top - 18) - 2
    sheet.y -= 4
    _ratings(sheet)
    sheet.bullet(f"{w.HELPFULNESS_QUESTION} {w.HELPFULNESS_PROMPT}")
    step = sheet.width / len(w.HELPFULNESS)
    for i, (value, label) in enumerate(w.HELPFULNESS.items()):
        x = sheet.left + i * step + 8
        sheet.radio(w.HELPFULNESS_FIELD, value, x, sheet.y - 11, label)
        sheet.canvas.setFont(FONT, 10)
        sheet.canvas.drawString(x + 15, sheet.y - 10, label)
    sheet.y -= 30
    for name, label in w.COMMENTS.items():
        sheet.box(label, name, 88)


def _ratings(sheet: Sheet) -> None:
    sheet.bullet(w.RATINGS_QUESTION, size=10)
    first = sheet.right - 5 * 34 + 8
    c = sheet.canvas
    c.setFont(FONT, 9)
    c.setFillColor(GREY)
    c.drawString(first - 6, sheet.y - 9, w.RATING_ENDS[0])
    c.drawRightString(first + 4 * 34 + 16, sheet.y - 9, w.RATING_ENDS[1])
    c.setFillColor(black)
    sheet.y -= 14
    for name, label in w.RATINGS.items():
        top = sheet.y
        sheet.para(label, indent=16, width=first - sheet.left - 20, gap=0)
        for i, value in enumerate(w.RATING_SCALE):
            x = first + i * 34
            c.setFont(FONT, 9)
            c.drawString(x - 7, top - 10, value)
            sheet.radio(name, value, x, top - 11, f"{label}: {value}")
        sheet.y = min(sheet.y, top - 16) - 5
    sheet.y -= 8


def draw_family_meeting_agreement(sheet: Sheet, info: FormInfo) -> None:
    sheet.header(info)
    sheet.labelled("Name of Child/ren:", "children_names", width=sheet.width - 110)
    sheet.y -= 6
    for statement in w.FAMILY_MEETING_STATEMENTS:
        sheet.bullet(statement)
    sheet.y -= 6
    columns = [("Name", 200), ("Signature", 200), ("Date", sheet.width - 400)]
    kinds = ("name", "signature", "date")
    sheet.table(
        columns,
        10,
        lambda row, col: ("text", f"{kinds[col]}_{row}", f"{columns[col][0]}, row {row}"),
        row_height=24,
        size=10,
    )


def draw_assessment_agreement(sheet: Sheet, info: FormInfo) -> None:
    sheet.header(info)
    sheet.labelled("Name of child(ren):", "children_names", width=sheet.width - 110)
    sheet.y -= 4
    sheet.para(w.ASSESSMENT_LEAFLET_INTRO)
    sheet.para(w.ASSESSMENT_LEAFLETS_HEADING, gap=2)
    for name, leaflet in w.ASSESSMENT_LEAFLETS.items():
        sheet.checkbox(name, sheet.left + 8, sheet.y - 12, f"Leaflet given: {leaflet}")
        sheet.canvas.setFont(FONT, 10)
        sheet.canvas.drawString(sheet.left + 26, sheet.y - 10, leaflet)
        sheet.y -= 17
    sheet.y -= 6
    for statement in w.ASSESSMENT_STATEMENTS:
        sheet.para(statement)
    sheet.y -= 8
    for row in (1, 2):
        for line in (
            (("Name:", "name", 0, 300),),
            (("Signed:", "signature", 0, 230), ("Dated:", "date", 290, 140)),
        ):
            for label, name, x, width in line:
                sheet.canvas.setFont(BOLD, 10)
                sheet.canvas.drawString(sheet.left + x, sheet.y - 14, label)
                sheet.text_field(
                    f"{name}_{row}",
                    sheet.left + x + 48,
                    sheet.y - 19,
                    width,
                    20,
                    tooltip=f"{label[:-1]}, person {row}",
                )
            sheet.y -= 26
        sheet.y -= 10


def draw_meeting_invitation_list(sheet: Sheet, info: FormInfo) -> None:
    sheet.header(info)
    left, c = sheet.left, sheet.canvas
    grid = [
        [("Name of child(ren)", "children_names", 300), ("DOB", "children_dob", 180),
         ("Address", "child_address", 0)],
        [("Date/time of meeting", "meeting_datetime", 300), ("Venue", "venue", 0)],
        [("Room Booked", "room", 300), ("Chair", "chair", 0)],
    ]  # fmt: skip
    for line in grid:
        x = left
        for label, name, width in line:
            width = width or sheet.right - x
            c.setFont(BOLD, 9)
            c.drawString(x, sheet.y - 12, label)
            label_width = c.stringWidth(label, BOLD, 9) + 6
            sheet.text_field(
                name, x + label_width, sheet.y - 16, width - label_width - 10, 16, size=9, tooltip=label
            )
            x += width
        sheet.y -= 22
    c.setFont(BOLD, 9)
    c.drawString(left, sheet.y - 12, "Brief details of reason for meeting")
    sheet.text_field(
        "reason",
        left + 170,
        sheet.y - 30,
        sheet.width - 170,
        30,
        size=9,
        multiline=True,
        tooltip="Brief details of reason for meeting",
    )
    sheet.y -= 42
    widths = (116, 128, 250, 70, 128)
    for group, titles, rows in (
        ("family", w.INVITATION_FAMILY_COLUMNS, 6),
        ("professional", w.INVITATION_PROFESSIONAL_COLUMNS, 10),
    ):
        columns = [*zip(titles, widths), (titles[-1], sheet.width - sum(widths))]
        keys = (
            "name",
            "relationship" if group == "family" else "agency",
            "address",
            "phone",
            "notes",
            "attending",
        )
        sheet.table(
            columns, rows,
            lambda row, col, group=group, keys=keys, columns=columns: (
                "checkbox" if keys[col] == "attending" else "text",
                f"{group}_{keys[col]}_{row}",
                f"{columns[col][0]}, row {row}",
            ),
        )  # fmt: skip
    _tick_in_header(sheet)


def _tick_in_header(sheet: Sheet) -> None:
    """A small note under the tables: a ticked box means the person is attending."""
    sheet.canvas.setFont(FONT, 8)
    sheet.canvas.setFillColor(GREY)
    sheet.canvas.drawString(sheet.left, sheet.y, "Attending: tick the box for each person who will attend.")
    sheet.canvas.setFillColor(black)


LAYOUTS: dict[str, tuple[tuple[float, float], Callable[[Sheet, FormInfo], None]]] = {
    "feedback-sheet": (A4, draw_feedback_sheet),
    "family-meeting-agreement": (A4, draw_family_meeting_agreement),
    "assessment-agreement": (A4, draw_assessment_agreement),
    "meeting-invitation-list": (landscape(A4), draw_meeting_invitation_list),
}


# -- building and checking ----------------------------------------------------------------------
def build(info: FormInfo) -> bytes:
    """The blank fillable PDF for one form, byte-for-byte the same on every run."""
    size, draw = LAYOUTS[info.form_id]
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=size, invariant=1, pageCompression=1)
    canvas.setTitle(info.title)
    canvas.setAuthor("docgen")
    canvas.setSubject(f"{info.title}, version {info.version}")
    canvas.setKeywords(f"docgen.form={info.form_id} docgen.form_version={info.version}")
    canvas.setCreator("docgen forms builder")
    draw(Sheet(canvas, size), info)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def differences(committed: Path, built: bytes) -> list[str]:
    """How a committed form differs from a fresh build: its fields, their kinds and options, its words."""
    if not committed.is_file():
        return [f"{committed} is missing"]
    old, new = PdfReader(committed), PdfReader(io.BytesIO(built))
    found = []
    if read_fields(old) != read_fields(new):
        found.append(f"{committed} has different fields from the builder's")
    if [p.extract_text() for p in old.pages] != [p.extract_text() for p in new.pages]:
        found.append(f"{committed} has different wording from the builder's")
    return found


def build_all(root: Path | None = None, *, check: bool = False) -> list[str]:
    """Write every form (or with ``check``, compare them); returns what was written or found."""
    root = Path(root or default_root())
    report = []
    for form_id in LAYOUTS:
        info = load_form(root / f"{form_id}{MAP_SUFFIX}")
        content = build(info)
        if check:
            report.extend(differences(info.pdf_path, content))
        else:
            write_atomic(info.pdf_path, content)
            report.append(str(info.pdf_path))
    return report


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    check = "--check" in argv
    report = build_all(check=check)
    for line in report:
        print(line)
    if check and report:
        print("Run: python -m docgen.forms.build", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
