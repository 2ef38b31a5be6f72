"""A copy of a template with a Word comment at each problem, where the policy owner will see it.

Word cannot hold comments in headers and footers; problems there, and those about the whole
template (its metadata, its version), are commented on the first paragraph of the body.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from docx.text.paragraph import Paragraph as DocxParagraph

from docgen.authoring.locate import open_document, paragraphs
from docgen.authoring.problems import TemplateProblem
from docgen.atomic import private_folder, write_atomic

AUTHOR = "docgen templates check"
INITIALS = "DG"


def annotate(template: Path, problems: list[TemplateProblem], out: Path) -> int:
    """Write ``out``: ``template`` with one comment per problem; returns how many were added."""
    document = open_document(template)
    found = paragraphs(document)
    by_place = {(p.part, p.index): p for p in found}
    body = [p for p in found if p.in_body]
    for problem in problems:
        target = by_place.get((problem.part, problem.index))
        summary = problem.summary if problem.summary.endswith((".", "?", "!")) else problem.summary + "."
        text = f"{problem.severity.capitalize()}: {summary}"
        if target is None or not target.in_body:
            where = f"In the {target.label}: " if target is not None else "About the whole template: "
            text = where + text
            target = _first_with_text(body)
        if target is None:
            continue
        paragraph = DocxParagraph(target.element, document._body)
        runs = paragraph.runs or [paragraph.add_run("")]
        document.add_comment(runs, text=text, author=AUTHOR, initials=INITIALS)
    private_folder(out.parent)
    buffer = BytesIO()
    document.save(buffer)
    write_atomic(out.absolute(), buffer.getvalue())  # a link named as --out is refused, not followed
    return len(problems)


def _first_with_text(body):
    return next((p for p in body if p.runs), body[0] if body else None)
