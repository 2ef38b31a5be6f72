"""Summing up returned Feedback Sheets: counts per answer, average ratings, and a chart.

The summary is written as CSV (one row per question and answer) and as a PNG bar chart drawn
with Pillow: a light, well-kept library that reportlab already needs, where a plotting library
would bring far more than a few bars need.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from docgen.exceptions import PdfInputError
from docgen.forms import wording as w
from docgen.forms.extract import Extracted, Outcome, extract_many
from docgen.forms.fieldmap import Forms
from docgen.atomic import write_atomic
from docgen.output import prepare_folder, target_in

FEEDBACK_FORM = "feedback-sheet"
NO_ANSWER = "No answer"
CSV_NAME = "feedback-summary.csv"
CHART_NAME = "feedback-summary.png"


@dataclass
class FeedbackSummary:
    """What a set of returned feedback sheets said, question by question."""

    sheets: int = 0
    yes_no: dict[str, Counter] = field(default_factory=lambda: {q: Counter() for q in w.YES_NO_QUESTIONS})
    ratings: dict[str, Counter] = field(default_factory=lambda: {r: Counter() for r in w.RATINGS})
    helpfulness: Counter = field(default_factory=Counter)

    def average(self, rating: str) -> float | None:
        """The mean of the 1-5 answers given to one rating; None when nobody answered it."""
        given = {score: n for score, n in self.ratings[rating].items() if score is not None}
        answered = sum(given.values())
        return sum(int(score) * n for score, n in given.items()) / answered if answered else None

    def rows(self) -> list[dict[str, str | int]]:
        """The CSV rows: section, question, answer, count, and for ratings the average."""
        rows: list[dict[str, str | int]] = []

        def add(section, question, answer, count, average=""):
            rows.append(
                {
                    "section": section,
                    "question": question,
                    "answer": answer,
                    "count": count,
                    "average": average,
                }
            )

        for name, question in w.YES_NO_QUESTIONS.items():
            for value, label in [*w.YES_NO.items(), (None, NO_ANSWER)]:
                add("yes-no", question, label, self.yes_no[name][value])
        for name, label in w.RATINGS.items():
            counts = self.ratings[name]
            for score in w.RATING_SCALE:
                add("rating", label, score, counts[score])
            add("rating", label, NO_ANSWER, counts[None])
            average = self.average(name)
            answered = self.sheets - counts[None]
            add("rating", label, "Average", answered, "" if average is None else f"{average:.2f}")
        for value, label in [*w.HELPFULNESS.items(), (None, NO_ANSWER)]:
            add("helpfulness", w.HELPFULNESS_QUESTION, label, self.helpfulness[value])
        return rows


def collect(
    paths: list[Path], forms: Forms, *, password: str | None = None
) -> tuple[list[Extracted], list[Outcome]]:
    """Read returned files: the feedback sheets, and every file's outcome (other forms are errors)."""
    outcomes = extract_many(paths, forms, password=password)
    for outcome in outcomes:
        if outcome.ok and outcome.extracted.form.form_id != FEEDBACK_FORM:
            outcome.error = _not_feedback(outcome.extracted)
            outcome.extracted = None
    return [o.extracted for o in outcomes if o.ok], outcomes


def _not_feedback(sheet: Extracted) -> PdfInputError:
    return PdfInputError(
        f"The PDF is a {sheet.form.form_id} form, not a feedback sheet.", source=str(sheet.path)
    )


def summarise(sheets: list[Extracted]) -> FeedbackSummary:
    """Add up feedback sheets; PdfInputError if one of them is another form."""
    summary = FeedbackSummary()
    for sheet in sheets:
        if sheet.form.form_id != FEEDBACK_FORM:
            raise _not_feedback(sheet)
    for sheet in sheets:
        summary.sheets += 1
        for name in w.YES_NO_QUESTIONS:
            summary.yes_no[name][sheet.values.get(name)] += 1
        for name in w.RATINGS:
            summary.ratings[name][sheet.values.get(name)] += 1
        summary.helpfulness[sheet.values.get(w.HELPFULNESS_FIELD)] += 1
    return summary


def to_csv(summary: FeedbackSummary) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, ["section", "question", "answer", "count", "average"], lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(summary.rows())
    return buffer.getvalue()


def write_report(summary: FeedbackSummary, out_dir: Path) -> tuple[Path, Path]:
    """Write the summary CSV and chart PNG into ``out_dir``; returns their paths."""
    out_dir = prepare_folder(Path(out_dir))
    csv_path = write_atomic(target_in(out_dir, CSV_NAME), to_csv(summary).encode("utf-8"))
    png_path = write_atomic(target_in(out_dir, CHART_NAME), chart_png(summary))
    return csv_path, png_path


# -- the chart ----------------------------------------------------------------------------------
WIDTH, LABEL_WIDTH, BAR_LEFT, BAR_WIDTH = 1000, 430, 470, 440
YES, NO, BLANK, RATING, HELPFUL = "#1f77b4", "#ff7f0e", "#c8c8c8", "#2a6f97", "#6a4c93"
INK, GRID = "#1a1a1a", "#e2e2e2"


class _Chart:
    """Rows of labelled horizontal bars, drawn top-down onto a tall canvas, then cropped."""

    def __init__(self) -> None:
        self.image = Image.new("RGB", (WIDTH, 1400), "white")
        self.draw = ImageDraw.Draw(self.image)
        self.font = ImageFont.load_default(size=15)
        self.small = ImageFont.load_default(size=13)
        self.heading_font = ImageFont.load_default(size=19)
        self.y = 24

    def heading(self, text: str, size: int | None = None) -> None:
        font = ImageFont.load_default(size=size) if size else self.heading_font
        self.draw.text((20, self.y), text, fill=INK, font=font)
        self.y += (size or 19) + 16

    def label(self, text: str) -> int:
        """Draw a wrapped row label; returns the row's height."""
        lines = _wrap(text, self.font, LABEL_WIDTH)
        for i, line in enumerate(lines):
            self.draw.text((20, self.y + i * 19), line, fill=INK, font=self.font)
        return max(28, len(lines) * 19 + 8)

    def bar(self, segments: list[tuple[float, str, str]], height: int = 20) -> None:
        """Segments of (width in pixels, colour, text inside) from the bar's left."""
        x = BAR_LEFT
        self.draw.rectangle([BAR_LEFT, self.y, BAR_LEFT + BAR_WIDTH, self.y + height], outline=GRID)
        for width, colour, text in segments:
            if width <= 0:
                continue
            self.draw.rectangle([x, self.y, x + width, self.y + height], fill=colour)
            if text and self.small.getlength(text) + 6 < width:
                self.draw.text(
                    (x + 4, self.y + 3), text, fill="white" if colour != BLANK else INK, font=self.small
                )
            x += width

    def note(self, x: float, text: str) -> None:
        self.draw.text((x, self.y + 3), text, fill=INK, font=self.small)

    def legend(self, items: list[tuple[str, str]]) -> None:
        x = BAR_LEFT
        for colour, text in items:
            self.draw.rectangle([x, self.y + 2, x + 14, self.y + 16], fill=colour)
            self.draw.text((x + 20, self.y), text, fill=INK, font=self.small)
            x += 30 + self.small.getlength(text)
        self.y += 26

    def png(self) -> bytes:
        buffer = io.BytesIO()
        self.image.crop((0, 0, WIDTH, self.y + 20)).save(buffer, "PNG", optimize=True)
        return buffer.getvalue()


def chart_png(summary: FeedbackSummary) -> bytes:
    """A bar chart of the summary: Yes/No answers, average ratings, and helpfulness."""
    chart = _Chart()
    n = summary.sheets
    chart.heading(f"Feedback Sheet summary: {n} returned sheet{'s' if n != 1 else ''}", size=24)
    chart.heading("Yes/No questions")
    chart.legend([(YES, "Yes"), (NO, "No"), (BLANK, NO_ANSWER)])
    for name, question in w.YES_NO_QUESTIONS.items():
        counts = summary.yes_no[name]
        height = chart.label(question)
        scale = BAR_WIDTH / n if n else 0
        chart.bar(
            [
                (counts[v] * scale, colour, str(counts[v]))
                for v, colour in (("yes", YES), ("no", NO), (None, BLANK))
            ]
        )
        chart.y += height
    chart.y += 10
    chart.heading(f"{w.RATINGS_QUESTION} Average, 1 ({w.RATING_ENDS[0]}) to 5 ({w.RATING_ENDS[1]})")
    for name, label in w.RATINGS.items():
        average = summary.average(name)
        height = chart.label(label)
        chart.bar([((average or 0) / 5 * BAR_WIDTH, RATING, f"{average:.2f}" if average else "")])
        answered = sum(v for k, v in summary.ratings[name].items() if k is not None)
        chart.note(BAR_LEFT + BAR_WIDTH + 8, f"n={answered}")
        chart.y += height
    chart.y += 10
    chart.heading(w.HELPFULNESS_QUESTION)
    most = max([1, *summary.helpfulness.values()])
    for value, label in [*w.HELPFULNESS.items(), (None, NO_ANSWER)]:
        count = summary.helpfulness[value]
        height = chart.label(label)
        chart.bar([(count / most * BAR_WIDTH, HELPFUL if value else BLANK, str(count))])
        if not count:
            chart.note(BAR_LEFT + 6, "0")
        chart.y += height
    return chart.png()


def _wrap(text: str, font, width: float) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and font.getlength(candidate) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [*lines, line] if line else lines
