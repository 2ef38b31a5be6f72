"""``docgen templates check``: everything a policy owner can break in a Word template, in plain words.

For each template: tags that do not open and close, Jinja that does not parse, placeholders
that are not fields (with the nearest field as a suggestion), tags Word has split, fields the
metadata requires that the template never uses, a changed template that kept its version
number, and, in letters to families, sentences too long or too hard to read. Then the template
is filled from the samples and the result searched for tags left unfilled. Errors make the
check fail; warnings do not, unless strict.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import TemplateSyntaxError

from docgen.authoring import lock, readability, splits
from docgen.forms.wording import is_signed_statement
from docgen.authoring.fields import bundle_fields, context_model
from docgen.authoring.locate import (
    BODY_PART,
    Paragraph,
    open_document,
    paragraphs,
    shorten,
    w,
)
from docgen.authoring.problems import ERROR, WARNING, TemplateProblem
from docgen.authoring.samples import (
    has_required,
    read_sample,
    render_with,
    sample_files,
)
from docgen.authoring.tags import (
    Tag,
    check_blocks,
    check_tag_syntax,
    part_source,
    read_tags,
)
from docgen.authoring.terms import foreign_terms
from docgen.authoring.usage import Usage, UsageWalker
from docgen.exceptions import (
    DocgenError,
    InputError,
    MissingField,
    TemplateError,
    TemplateSecurityError,
)
from docgen.registry import DEFAULT, Registry, TemplateInfo, load_template_info
from docgen.registry.profiles import PROFILE_FILE, PlainEnglishSchema, load_profile
from docgen.render.engine import CompiledTemplate, time_budget
from docgen.render.environment import make_environment
from docgen.render.sanitize import sanitize

_LEFTOVER = re.compile(r"\{\s*[{%#]|[}%#]\s*\}")


@dataclass
class CheckReport:
    problems: list[TemplateProblem] = field(default_factory=list)
    templates: list[Path] = field(default_factory=list)

    @property
    def errors(self) -> list[TemplateProblem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[TemplateProblem]:
        return [p for p in self.problems if p.severity == WARNING]

    def ok(self, strict: bool = False) -> bool:
        return not self.errors and not (strict and self.warnings)


def check(paths: list[Path] | None = None, *, root: Path | None = None, render: bool = True) -> CheckReport:
    """Check templates: files, authority folders or a whole templates folder (the default)."""
    templates, profiles = targets(paths or [root or Registry().root])
    report = CheckReport(templates=templates)
    for profile in profiles:
        report.problems.extend(check_profile(profile))
    locks: dict[Path, dict] = {}
    with time_budget():  # one limit for the whole run's rendering, not one per sample and copy
        for template in templates:
            report.problems.extend(check_template(template, locks=locks, render=render))
    return report


def targets(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """The templates and authority profiles the paths name."""
    templates: list[Path] = []
    profiles: list[Path] = []
    for path in map(Path, paths):
        if not path.exists():
            raise InputError("No such file or folder.", source=str(path))
        if path.is_file():
            if path.suffix.lower() != ".docx":
                raise InputError("Expected a Word template (.docx) or a folder of them.", source=str(path))
            templates.append(path)
        elif (path / DEFAULT).is_dir():
            templates.extend(sorted(path.glob("*/*.docx")))
            profiles.extend(sorted(path.glob(f"*/{PROFILE_FILE}")))
        else:
            templates.extend(sorted(path.glob("*.docx")))
            if (path / PROFILE_FILE).is_file():
                profiles.append(path / PROFILE_FILE)
    return templates, profiles


def check_profile(path: Path) -> list[TemplateProblem]:
    try:
        profile = load_profile(path.parent)
    except TemplateError as e:
        return [TemplateProblem(ERROR, "profile", e.message, f"correct {PROFILE_FILE}").in_file(_shown(path))]
    # Letters would print these to families and agencies as the authority's own.
    return [
        TemplateProblem(
            ERROR, "profile", f"The {key} '{value}' is a placeholder, not the authority's own.",
            f"give the authority's published {key}"
            + (", or remove phone and email and set no_published_contacts = true"
               if key in ("phone", "email") else ""),
        ).in_file(_shown(path))
        for key, value in profile.placeholders()
    ]


def registry_root(template: Path) -> Path | None:
    """The templates folder a template belongs to: the folder above its own, if it has ``default``."""
    candidate = Path(template).resolve().parent.parent
    return candidate if (candidate / DEFAULT).is_dir() else None


def check_template(path: Path, *, locks: dict | None = None, render: bool = True) -> list[TemplateProblem]:
    """Every problem with one template, each with its location and a fix."""
    return _TemplateCheck(Path(path), locks if locks is not None else {}).run(render)


def fields_used(path: Path) -> set[str]:
    """The field paths a template uses (``plan.actions[].what``); empty when its tags do not parse."""
    return _tags_checked(path).usage.paths()


def wording_errors(path: Path) -> list[TemplateProblem]:
    """The errors in a template's wording itself, each at its place: tags not closed or split by a
    hyperlink, Jinja that does not parse, fields that do not exist. No sample is filled, so this
    is what any bundle would trip over (render, preview and snapshot explain failures with it)."""
    return [p for p in _tags_checked(path)._done() if p.severity == ERROR and p.location]


def _tags_checked(path: Path) -> _TemplateCheck:
    checker = _TemplateCheck(Path(path), {})
    try:
        checker.info = load_template_info(checker.path, checker.path.parent.name)
    except TemplateError:
        pass
    checker._check_tags(paragraphs(open_document(sanitize(checker.path.read_bytes(), str(checker.path)))))
    return checker


class _TemplateCheck:
    def __init__(self, path: Path, locks: dict) -> None:
        self.path = path
        self.root = registry_root(path)
        self.locks = locks
        self.problems: list[TemplateProblem] = []
        self.info: TemplateInfo | None = None
        self.usage = Usage()
        self.tags: dict[int, list[Tag]] = {}  # each paragraph's tags, by id(paragraph)
        self.env = make_environment()

    def run(self, render: bool) -> list[TemplateProblem]:
        try:  # checked as the engine compiles it: tracked changes accepted, comments and hidden text gone
            document = open_document(sanitize(self.path.read_bytes(), str(self.path)))
        except TemplateSecurityError as e:
            self._add(TemplateProblem(ERROR, "unsafe", e.message, "save it from Word as a plain .docx"))
            return self._done()
        except (TemplateError, OSError) as e:
            message = e.message if isinstance(e, TemplateError) else f"The template cannot be read ({e.strerror})."
            self._add(TemplateProblem(ERROR, "unreadable", message, "open it in Word and save it as a .docx"))
            return self._done()
        try:
            self.info = load_template_info(self.path, self.path.parent.name)
        except TemplateError as e:
            self._add(TemplateProblem(ERROR, "metadata", f"{Path(e.source or '').name}: {e.message}",
                                      "copy a .toml from templates/default beside it and set its id, title and version"))
        found = paragraphs(document)
        clean = self._check_tags(found)
        if self.info is not None:
            if clean:
                self._check_requires()
            if self.root is not None:
                self._add(*foreign_terms(found, Registry(self.root), self.info.origin))
            self._check_version()
            if self.info.family_letter:
                self._check_plain_english(found)
            if render and clean and not any(p.severity == ERROR for p in self.problems):
                self._check_rendered(found)
        return self._done()

    def _add(self, *problems: TemplateProblem) -> None:
        self.problems.extend(problems)

    def _done(self) -> list[TemplateProblem]:
        """The problems in document order: body, headers and footers, then the whole template."""
        shown = _shown(self.path)
        order = sorted(self.problems, key=lambda p: (not p.part, p.part != BODY_PART, p.part, p.index or 0))
        return [p.in_file(shown) for p in order]

    # -- tags, syntax and fields -----------------------------------------------------------------
    def _check_tags(self, found: list[Paragraph]) -> bool:
        """Tag problems part by part; True when every part is sound, so field use is complete."""
        clean = True
        for part in dict.fromkeys(p.part for p in found):
            lines = [p for p in found if p.part == part]
            per_line, bad = [], set()
            before = len(self.problems)
            for paragraph in lines:
                tags, problems = read_tags(paragraph)
                self.tags[id(paragraph)] = tags
                per_line.append(tags)
                self._add(*problems)
                self._add(*splits.check_paragraph(paragraph, tags))
                for tag in tags:
                    problem = check_tag_syntax(tag)
                    if problem:
                        bad.add(id(tag))
                        self._add(problem)
            self._add(*check_blocks([t for tags in per_line for t in tags]))
            sound = not any(p.severity == ERROR for p in self.problems[before:])
            try:
                tree = self.env.parse(part_source(per_line, bad))
            except TemplateSyntaxError as e:
                if sound:
                    paragraph = lines[min(e.lineno or 1, len(lines)) - 1]
                    self._add(TemplateProblem.at(paragraph, ERROR, "syntax",
                                                 f"the template's tags do not fit together: {e.message}",
                                                 "check the `{% %}` tags around this paragraph"))
                clean = False
                continue
            clean = clean and sound
            doc_id = self.info.doc_id if self.info else self.path.stem
            recipients = self.info.recipients if self.info else "family-and-agencies"
            UsageWalker(context_model(), self.env, lines, doc_id=doc_id, recipients=recipients,
                        usage=self.usage).walk(tree)
        self._add(*self.usage.problems)
        return clean

    def _check_requires(self) -> None:
        known = {path for path, _, _ in bundle_fields()}
        sources = self.usage.sources()
        toml = self.info.meta_path.name
        for required in self.info.requires:
            if required not in known:
                guess = difflib.get_close_matches(required, sorted(known), n=1, cutoff=0.6)
                fix = f"did you mean `{guess[0]}`?" if guess else "name a field of the case bundle"
                self._add(TemplateProblem(ERROR, "unknown-requirement",
                                          f"`requires` in {toml} names `{required}`, which is not a field of the case bundle", fix))
            elif not any(s == required or s.startswith(required + ".") for s in sources):
                self._add(TemplateProblem(ERROR, "required-unused",
                                          f"`requires` in {toml} says the document needs `{required}`, but the template never uses it",
                                          f"put it back in the wording, or take it out of `requires` in {toml}"))

    def _check_version(self) -> None:
        if self.root is None:
            return
        if self.root not in self.locks:
            try:
                self.locks[self.root] = lock.read_lock(self.root)
            except TemplateError as e:
                self.locks[self.root] = {}
                self._add(TemplateProblem(ERROR, "lock", e.message, f"fix or delete {lock.LOCK_FILE}, then run `docgen templates lock`"))
        problem = lock.check_version(self.root, self.info, self.locks[self.root])
        if problem:
            self._add(problem)

    # -- plain English ---------------------------------------------------------------------------
    def _check_plain_english(self, found: list[Paragraph]) -> None:
        words, age = self._limits()
        for paragraph in found:
            if not paragraph.in_body or _is_heading(paragraph) or is_signed_statement(paragraph.text):
                continue
            for sentence in readability.sentences(paragraph.text, self.tags.get(id(paragraph), [])):
                quoted = shorten(sentence.text, 300)
                if sentence.words > words:
                    self._add(TemplateProblem.at(
                        paragraph, WARNING, "long-sentence",
                        f'a sentence of {sentence.words} words, over the {words}-word limit for letters to families: "{quoted}"',
                        "split it into shorter sentences",
                    ))
                elif _is_sentence(sentence.text) and round(sentence.reading_age) > age:
                    self._add(TemplateProblem.at(
                        paragraph, WARNING, "reading-age",
                        f"a sentence with a reading age of {round(sentence.reading_age)}, over the limit of {age} "
                        f'for letters to families: "{quoted}"',
                        "use shorter, everyday words",
                    ))

    def _limits(self) -> tuple[int, int]:
        """The strictest plain-English limits of the authorities this template serves."""
        defaults = PlainEnglishSchema().load({})
        settings = [defaults]
        if self.root is not None:
            registry = Registry(self.root)
            for slug in self._authorities(registry):
                try:
                    settings.append(registry.profile(slug).plain_english or defaults)
                except TemplateError:
                    continue
            if len(settings) > 1:
                settings = settings[1:]
        return min(s["max_sentence_words"] for s in settings), min(s["max_reading_age"] for s in settings)

    def _authorities(self, registry: Registry) -> list[str]:
        if self.info.origin != DEFAULT:
            return [self.info.origin]
        slugs = []
        for slug in registry.authorities():
            try:
                if registry.resolve(self.info.doc_id, slug).path.resolve() == self.path.resolve():
                    slugs.append(slug)
            except TemplateError:
                continue
        return slugs

    # -- filled from the samples -----------------------------------------------------------------
    def _check_rendered(self, found: list[Paragraph]) -> None:
        try:
            compiled = CompiledTemplate(self.path, label=_shown(self.path))
        except TemplateError as e:
            self._add(TemplateProblem(ERROR, "compile", e.message, "check the tags near the place it names"))
            return
        registry = Registry(self.root) if self.root else None
        reported: set[str] = set()
        for sample in sample_files(self.root):
            try:
                bundle = read_sample(sample)
            except DocgenError:
                continue
            profile = self._profile_for(registry, bundle.authority)
            if profile is None or not has_required(bundle, self.info.requires):
                continue
            for result in render_with(compiled, self.info, profile, bundle, sample):
                if result.error is not None:
                    self._render_failed(result, sample, reported)
                else:
                    self._leftovers(result.docx, sample, found, reported)

    def _profile_for(self, registry: Registry | None, authority: str):
        if registry is None:
            return None
        wanted = [self.info.origin] if self.info.origin != DEFAULT else [authority]
        for slug in wanted + registry.authorities():
            try:
                return registry.profile(slug)
            except TemplateError:
                continue
        return None

    def _render_failed(self, result, sample: Path, reported: set[str]) -> None:
        error = result.error
        if error.message in reported:
            return
        reported.add(error.message)
        if isinstance(error, MissingField):
            self._add(TemplateProblem(
                WARNING, "sample-missing-field", f"filling it from {sample.name} fails: {error.message}",
                f"add the field to `requires` in {self.info.meta_path.name}, or put it inside `{{% if %}}`",
            ))
        else:
            self._add(TemplateProblem(ERROR, "render", f"filling it from {sample.name} fails: {error.message}",
                                      "check the tags near the place it names"))

    def _leftovers(self, content: bytes, sample: Path, found: list[Paragraph], reported: set[str]) -> None:
        for out in paragraphs(open_document(content)):
            for match in _LEFTOVER.finditer(out.text):
                source = next((p for p in found if match.group() in p.text), None)
                key = f"left-in-output:{source.label if source else out.label}"
                if key in reported:
                    continue
                reported.add(key)
                self._add(TemplateProblem.at(
                    source, ERROR, "left-in-output",
                    f"the document filled from {sample.name} still shows `{match.group()}` "
                    f"(in \"{out.short_text()}\")",
                    "retype the tag so its braces touch, like `{{ child.name }}` or `{% if ... %}`",
                ))


def _is_heading(paragraph: Paragraph) -> bool:
    style = paragraph.element.find(f"{w('pPr')}/{w('pStyle')}")
    return style is not None and style.get(w("val"), "").lower().startswith(("heading", "title", "subtitle"))


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _is_sentence(text: str) -> bool:
    """Ends like a sentence: a label, table heading or tick-box line has no reading age to speak of."""
    return text.rstrip(" \"'”’)").endswith((".", "!", "?"))
