"""A problem found in a template: where it is, in words a policy owner can find, and the fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from docgen.authoring.locate import Paragraph
from docgen.problems import ERROR, WARNING

__all__ = ["ERROR", "WARNING", "TemplateProblem"]


@dataclass(frozen=True)
class TemplateProblem:
    severity: str  # "error" or "warning"
    code: str  # a stable name for tools: "unknown-field", "unclosed-block"...
    message: str
    fix: str
    file: str = ""
    location: str = ""  # "body paragraph 12", "table 1, row 2, cell 3"; empty for the whole template
    text: str = ""  # the paragraph's visible text, shortened
    part: str = ""  # the Word part holding the paragraph ("word/document.xml")
    index: int | None = None  # the paragraph's position in its part

    @classmethod
    def at(cls, paragraph: Paragraph | None, severity: str, code: str, message: str, fix: str) -> TemplateProblem:
        if paragraph is None:
            return cls(severity, code, message, fix)
        return cls(severity, code, message, fix, location=paragraph.label, text=paragraph.short_text(),
                   part=paragraph.part, index=paragraph.index)

    def in_file(self, file: str) -> TemplateProblem:
        return replace(self, file=file)

    @property
    def summary(self) -> str:
        """The message and its fix, as one sentence."""
        return f"{self.message.rstrip('.')}: {self.fix}" if self.fix else self.message

    def describe(self) -> str:
        where = ": ".join(p for p in (self.file, self.location) if p)
        lines = [f"{where}: {self.severity}: {self.summary}" if where else f"{self.severity}: {self.summary}"]
        if self.text:
            lines.append(f'    "{self.text}"')
        return "\n".join(lines)

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("part")
        data.pop("index")
        return data
