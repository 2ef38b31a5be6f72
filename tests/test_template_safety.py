"""Templates cannot reach Python, run away, blow up, or pass on what their authors left in them.

Sandbox escapes, time and size limits (in the main thread and in worker threads), corrupt
files, zip bombs, XML entities, and the sanitiser that strips comments, tracked changes, hidden
text and authors' details from every template before it is compiled.
"""

from __future__ import annotations

import io
import re
import struct
import threading
import time
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml

from conftest import docx_text
from docgen.exceptions import MissingField, TemplateError, TemplateSecurityError
from docgen.render import engine, package
from docgen.render.engine import CompiledTemplate, Provenance
from security_helpers import make_template, zip_parts

PROVENANCE = Provenance("test-doc", "Test", "1.0", "0" * 64, "CASE-1", "Test Council",
                        datetime(2026, 11, 20, tzinfo=timezone.utc))
CONTEXT = {"child": {"name": "Poppy Placeholder"}, "items": list(range(200)), "case": {"reference": "CASE-1"}}
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def render(path: Path, context: dict | None = None) -> bytes:
    return CompiledTemplate(path, label=path.name).render(context or CONTEXT, PROVENANCE)


def failure(path: Path, context: dict | None = None):
    with pytest.raises(TemplateError) as caught:
        render(path, context)
    return caught.value


# -- the sandbox: no way to Python's internals -----------------------------------------------------

ESCAPES = [
    "{{ cycler.__init__.__globals__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''|attr('__class__') }}",
    "{{ (''|attr('__class__')).__mro__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ joiner.__init__.__globals__['os'] }}",
    "{{ namespace.__init__ }}",
    "{{ child.__class__ }}",
    "{{ child.items.__self__ }}",
    "{% set x = child.update({'name': 'changed'}) %}{{ child.name }}",
    "{{ '{0.__class__}'.format(child) }}",
    "{{ range.__globals__ }}",
]


@pytest.mark.parametrize("expression", ESCAPES)
def test_a_template_cannot_reach_python_internals(tmp_path, expression):
    error = failure(make_template(tmp_path / "escape.docx", expression))
    assert isinstance(error, TemplateSecurityError), error
    assert error.exit_code == 4
    assert error.message.startswith("The template tried something the sandbox forbids: ")
    assert error.source == "escape.docx"


@pytest.mark.parametrize("expression", ["{{ lipsum(2) }}", "{{ ''.format.__self__ }}", "{{ child.__dict__ }}"])
def test_what_the_sandbox_does_not_offer_is_simply_not_there(tmp_path, expression):
    error = failure(make_template(tmp_path / "absent.docx", expression))
    assert type(error) is MissingField, error


@pytest.mark.parametrize("expression", ["{{ child.name|safe }}", "{{ child.name|urlize }}", "{{ child|xmlattr }}"])
def test_filters_that_turn_values_into_markup_are_gone(tmp_path, expression):
    """With ``safe``, a value such as ``<w:br w:type="page"/>`` would go into the XML as markup."""
    with pytest.raises(TemplateError) as caught:
        CompiledTemplate(make_template(tmp_path / "markup.docx", expression), label="markup.docx")
    assert caught.value.message.startswith("Jinja syntax error: No filter named ")


def test_a_field_the_bundle_lacks_is_still_a_missing_field_not_a_security_error(tmp_path):
    error = failure(make_template(tmp_path / "missing.docx", "{{ child.nickname }}"))
    assert type(error) is MissingField
    assert error.message == "The template uses the field 'nickname', which this case bundle does not have."


# -- limits: size and time, in any thread ------------------------------------------------------------

SIZE_BOMBS = [
    "{{ 'x' * 10**9 }}",
    "{{ [1] * 10**9 }}",
    "{{ 10 ** 9999999 }}",
    "{{ range(10**9)|list }}",
    "{{ '%1000000000d' % 1 }}",
    "{{ '{:>1000000000}'.format(1) }}",
    "{{ 'x'|center(10**9) }}",
    "{{ 'x'.ljust(10**9) }}",
    "{{ 'x'|indent(10**9, true) }}",
    "{{ range(100000)|slice(10**9)|list }}",
    "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "{% set x %}{% for i in range(100000) %}{{ 'y' * 999999 }}{% endfor %}{% endset %}{{ x|length }}",
    "{% set x = 'y' * 999999 %}{{ x|replace('', x) }}",
    "{% set x = 'y' * 999999 %}{{ x.replace('y', x) }}",
    "{% set x = 'y' * 999999 %}{{ range(100000)|map('string')|map('center', 999999)|join }}",
    "{% set x = 'y' * 999999 %}{{ (x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x ~ x)|length }}",
    "{% set x = 'y' * 999999 %}{% for i in range(100000) %}{{ x }}{% endfor %}",
]


@pytest.mark.parametrize("expression", SIZE_BOMBS)
def test_huge_values_and_output_are_refused_quickly(tmp_path, expression):
    path = make_template(tmp_path / "bomb.docx", expression)
    started = time.perf_counter()
    error = failure(path)
    assert isinstance(error, TemplateSecurityError), error
    assert time.perf_counter() - started < 10


RUNAWAY_LOOPS = [
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% for i in items %}{% for j in items %}{% for k in items %}{% for l in items %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}",
    "{% macro f(n) %}{% for i in range(100000) %}{% endfor %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
]


@pytest.fixture
def short_limit(monkeypatch):
    monkeypatch.setattr(engine, "MAX_SECONDS", 1.0)
    return 1.0


@pytest.mark.parametrize("expression", RUNAWAY_LOOPS, ids=["nested-range", "nested-items", "recursion"])
def test_a_runaway_template_is_stopped_by_the_time_limit(tmp_path, short_limit, expression):
    path = make_template(tmp_path / "loop.docx", expression)
    started = time.perf_counter()
    error = failure(path)
    elapsed = time.perf_counter() - started
    assert isinstance(error, TemplateSecurityError), error
    assert elapsed < short_limit + 3
    if "macro" not in expression:
        assert error.message == "Rendering took longer than 1 seconds and was stopped."


def test_the_time_limit_holds_in_worker_threads_and_spares_the_others(tmp_path, short_limit):
    """SIGALRM only reaches the main thread; a watchdog stops a render in any thread."""
    loop = CompiledTemplate(make_template(tmp_path / "loop.docx", RUNAWAY_LOOPS[0]), label="loop.docx")
    fine = CompiledTemplate(make_template(tmp_path / "fine.docx", "Hello {{ child.name }}"), label="fine.docx")

    def job(template):
        try:
            return docx_text(template.render(CONTEXT, PROVENANCE))
        except TemplateError as e:
            return e

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(job, [loop, fine, loop, fine, fine]))
    assert time.perf_counter() - started < short_limit + 4
    assert [type(r).__name__ for r in results] == ["TemplateSecurityError", "str", "TemplateSecurityError", "str", "str"]
    assert results[1] == "Hello Poppy Placeholder"
    assert threading.active_count() < 10


# An Overtime that lands while Python runs a garbage-collector callback (Hypothesis installs
# one) is swallowed there and reported as unraisable; the watchdog fires again, so it is harmless.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_render_that_finishes_in_time_is_not_hit_by_a_late_timer(tmp_path, monkeypatch):
    """A watchdog that fires just as a render ends must not raise in the caller afterwards."""
    monkeypatch.setattr(engine, "MAX_SECONDS", 0.02)
    template = CompiledTemplate(make_template(tmp_path / "fine.docx", "{% for i in range(3000) %}{{ i }}{% endfor %}"))
    outcomes = set()
    for _ in range(60):
        try:
            template.render(CONTEXT, PROVENANCE)
            outcomes.add("ok")
        except TemplateSecurityError:
            outcomes.add("stopped")
        time.sleep(0.001)
    time.sleep(0.3)  # any stray timer would fire here, outside a render
    assert outcomes <= {"ok", "stopped"}


# -- corrupt and malicious files ---------------------------------------------------------------------


def docx_bytes(path: Path) -> bytes:
    return path.read_bytes()


def rezip(source: bytes, replace: dict[str, bytes | None]) -> bytes:
    """A copy of a zip with parts replaced (None drops a part)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename in replace:
                if replace[info.filename] is not None:
                    new.writestr(info.filename, replace[info.filename])
            else:
                new.writestr(info, old.read(info.filename))
        for name, content in replace.items():
            if name not in old.namelist() and content is not None:
                new.writestr(name, content)
    return out.getvalue()


@pytest.fixture
def plain(tmp_path) -> bytes:
    return make_template(tmp_path / "plain.docx", "Hello {{ child.name }}").read_bytes()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda b: b"", "The template is not a Word file docgen will read: it is not a zip file (File is not a zip file)."),
        (lambda b: b"PK\x03\x04 not really", "The template is not a Word file docgen will read: it is not a zip file (File is not a zip file)."),
        (lambda b: b[: len(b) // 2], "The template is not a Word file docgen will read: it is not a zip file (File is not a zip file)."),
        (lambda b: rezip(b, {"word/document.xml": None}), "The template is not a Word document: it has no word/document.xml."),
        (lambda b: rezip(b, {"word/document.xml": b"<w:document><w:body>"}), None),
        (lambda b: rezip(b, {"word/document.xml": "<?xml version='1.0' encoding='ISO-8859-1'?><w:document xmlns:w='x'><w:body>é</w:body></w:document>".encode("latin-1")}), "The template is damaged: the part word/document.xml is not UTF-8 XML."),
    ],
    ids=["empty", "not-a-zip", "truncated", "no-document", "broken-xml", "not-utf8"],
)
def test_a_corrupt_template_is_a_template_error(tmp_path, plain, damage, message):
    path = tmp_path / "broken.docx"
    path.write_bytes(damage(plain))
    with pytest.raises(TemplateError) as caught:
        CompiledTemplate(path, label="broken.docx")
    assert caught.value.exit_code == 4
    assert caught.value.source == "broken.docx"
    if message:
        assert caught.value.message == message
    else:
        assert caught.value.message.startswith("The template's word/document.xml is not valid XML (")


def test_a_damaged_part_checksum_is_caught(tmp_path, plain):
    blob = bytearray(plain)
    start = blob.index(b"word/document.xml") + len(b"word/document.xml")
    blob[start + 20] ^= 0xFF  # flip bits in the compressed data of the body
    path = tmp_path / "flipped.docx"
    path.write_bytes(bytes(blob))
    with pytest.raises(TemplateError) as caught:
        CompiledTemplate(path, label="flipped.docx")
    assert "word/document.xml is damaged" in caught.value.message


def bomb_entry(name: str, declared: int, actual: int) -> package.Entry:
    """A deflated part of ``actual`` zero bytes that declares ``declared``."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\0" * (1 << 20)
    data = b"".join(packer.compress(chunk) for _ in range(actual >> 20)) + packer.flush()
    return package.Entry(name, zipfile.ZIP_DEFLATED, 0, declared, data)


def add_parts(base: bytes, *extra: package.Entry) -> bytes:
    return package.write_zip(list(package.read_entries(base).values()) + list(extra))


@pytest.mark.parametrize("declared", [2**32 - 1, 1000], ids=["declares-gigabytes", "lies-about-its-size"])
def test_a_zip_bomb_is_refused_without_inflating_it(tmp_path, plain, declared):
    blob = add_parts(plain, bomb_entry("word/media/bomb.bin", declared, 64 * 2**20))
    path = tmp_path / "bomb.docx"
    path.write_bytes(blob)
    assert len(blob) < 2**20
    started = time.perf_counter()
    with pytest.raises(TemplateSecurityError) as caught:
        CompiledTemplate(path, label="bomb.docx")
    assert time.perf_counter() - started < 2
    assert caught.value.message.startswith("The template is not a Word file docgen will read: the part word/media/bomb.bin ")


def test_too_many_parts_are_refused(tmp_path, plain):
    entries = list(package.read_entries(plain).values())
    entries += [package.compressed(f"word/media/x{i}.bin", b"x") for i in range(package.MAX_ENTRIES)]
    path = tmp_path / "many.docx"
    path.write_bytes(package.write_zip(entries))
    with pytest.raises(TemplateSecurityError) as caught:
        CompiledTemplate(path, label="many.docx")
    assert caught.value.message == f"The template is not a Word file docgen will read: it has {len(entries):,} parts; the limit is {package.MAX_ENTRIES:,}."


LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
)
EXTERNAL = '<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize(("doctype", "entity"), [(LAUGHS, "&d;"), (EXTERNAL, "&xxe;")], ids=["billion-laughs", "external-entity"])
@pytest.mark.parametrize("part", ["word/document.xml", "word/styles.xml"])
def test_xml_entities_and_doctypes_are_refused(tmp_path, plain, doctype, entity, part):
    original = zip_parts(plain)[part].decode("utf-8")
    body = re.sub(r"^<\?xml[^>]*\?>\s*", "", original)
    if part == "word/document.xml":
        body = body.replace("Hello", entity)
    path = tmp_path / "entities.docx"
    path.write_bytes(rezip(plain, {part: (doctype + body).encode("utf-8")}))
    with pytest.raises(TemplateSecurityError) as caught:
        CompiledTemplate(path, label="entities.docx")
    assert caught.value.message == (
        f"The template's {part} declares a DOCTYPE (entities or external files); "
        "Word never writes one, so the file has been tampered with."
    )


def test_macros_and_links_to_outside_files_are_refused(tmp_path, plain):
    path = tmp_path / "macro.docx"
    path.write_bytes(rezip(plain, {"word/vbaProject.bin": b"\0" * 16}))
    with pytest.raises(TemplateSecurityError) as caught:
        CompiledTemplate(path, label="macro.docx")
    assert caught.value.message == "The template contains macros; save it as a Word document (.docx) without them."

    rels = zip_parts(plain)["word/_rels/document.xml.rels"].decode("utf-8").replace(
        "</Relationships>",
        '<Relationship Id="rIdX" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" '
        'Target="http://tracker.example/pixel.png" TargetMode="External"/></Relationships>',
    )
    path.write_bytes(rezip(plain, {"word/_rels/document.xml.rels": rels.encode("utf-8")}))
    with pytest.raises(TemplateSecurityError) as caught:
        CompiledTemplate(path, label="macro.docx")
    assert caught.value.message == (
        "The template links to an outside file (image); Word would fetch it when a letter is opened. Embed it instead."
    )


# -- the sanitiser: what the template's author left behind stays behind ------------------------------

AUTHOR = "Jane Template-Author"
SECRETS = [AUTHOR, "JTA", "Secret Comment Text", "Deleted Secret", "Moved Away Secret", "Hidden Secret",
           "Styled Hidden Secret", "Acme Template Co", "Big Boss", "Normal-Secret.dotm", "Glossary Secret",
           "\\\\fileserver\\templates", "Author Field Cache", "SharePoint Owner", "Old Formatting Secret"]


def authored_template(path: Path) -> Path:
    """A template with an author, a comment, tracked changes, hidden text and more."""
    document = docx.Document()
    document.core_properties.author = AUTHOR
    document.core_properties.last_modified_by = AUTHOR
    document.core_properties.comments = "Secret Comment Text in properties"
    first = document.add_paragraph("Dear ")
    run = first.add_run("{{ child.name }}")
    document.add_comment(run, text="Secret Comment Text", author=AUTHOR, initials="JTA")
    hidden = first.add_run(" Hidden Secret")
    hidden.font.hidden = True
    styled = document.styles.add_style("SecretStyle", 2)  # a character style that hides its text
    styled.font.hidden = True
    first.add_run(" Styled Hidden Secret", style="SecretStyle")
    tracked = document.add_paragraph()
    w = f'xmlns:w="{W}"'
    for xml in (
        f'<w:ins {w} w:id="1" w:author="{AUTHOR}" w:date="2026-01-01T00:00:00Z"><w:r><w:t xml:space="preserve">Inserted words. </w:t></w:r></w:ins>',
        f'<w:del {w} w:id="2" w:author="{AUTHOR}" w:date="2026-01-01T00:00:00Z"><w:r><w:delText>Deleted Secret</w:delText></w:r></w:del>',
        f'<w:moveFrom {w} w:id="3" w:author="{AUTHOR}"><w:r><w:t>Moved Away Secret</w:t></w:r></w:moveFrom>',
        f'<w:moveTo {w} w:id="4" w:author="{AUTHOR}"><w:r><w:t xml:space="preserve">Moved here. </w:t></w:r></w:moveTo>',
        f'<w:r {w}><w:rPr><w:b/><w:rPrChange w:id="5" w:author="{AUTHOR}"><w:rPr><w:rFonts w:ascii="Old Formatting Secret"/></w:rPr></w:rPrChange></w:rPr><w:t>Ref {{{{ case.reference }}}}</w:t></w:r>',
        f'<w:fldSimple {w} w:instr=" AUTHOR \\* MERGEFORMAT "><w:r><w:t>Author Field Cache</w:t></w:r></w:fldSimple>',
    ):
        tracked._p.append(parse_xml(xml))
    fields = document.add_paragraph()
    for xml in (
        f'<w:r {w}><w:fldChar w:fldCharType="begin"/></w:r>',
        f'<w:r {w}><w:instrText xml:space="preserve"> USERNAME </w:instrText></w:r>',
        f'<w:r {w}><w:fldChar w:fldCharType="separate"/></w:r>',
        f'<w:r {w}><w:t>Author Field Cache</w:t></w:r>',
        f'<w:r {w}><w:fldChar w:fldCharType="end"/></w:r>',
        f'<w:r {w}><w:t xml:space="preserve"> Page </w:t></w:r>',
    ):
        fields._p.append(parse_xml(xml))
    document.settings.element.append(parse_xml(f'<w:trackRevisions {w}/>'))
    document.settings.element.append(parse_xml(f'<w:docVars {w}><w:docVar w:name="owner" w:val="SharePoint Owner"/></w:docVars>'))
    document.sections[0].header.paragraphs[0].text = "Header {{ case.reference }}"
    hidden_header = document.sections[0].header.paragraphs[0].add_run(" Hidden Secret")
    hidden_header.font.hidden = True
    buffer = io.BytesIO()
    document.save(buffer)
    parts = zip_parts(buffer.getvalue())
    app = parts["docProps/app.xml"].decode("utf-8")
    app = app.replace("<Company/>", "<Company>Acme Template Co</Company>").replace("<Manager/>", "<Manager>Big Boss</Manager>")
    app = app.replace("<Template>Normal.dotm</Template>", "<Template>Normal-Secret.dotm</Template>")
    settings_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate" '
        'Target="file:///\\\\fileserver\\templates\\Normal-Secret.dotm" TargetMode="External"/></Relationships>'
    )
    settings = parts["word/settings.xml"].decode("utf-8").replace(
        "</w:settings>", f'<w:attachedTemplate {w} xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" r:id="rId1"/></w:settings>'
    )
    custom = '<?xml version="1.0"?><p:properties xmlns:p="urn:sp"><Owner>SharePoint Owner</Owner></p:properties>'
    glossary_types = parts["[Content_Types].xml"].decode("utf-8").replace(
        "</Types>",
        '<Override PartName="/word/glossary/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.glossary+xml"/></Types>',
    )
    glossary = f'<?xml version="1.0"?><w:glossaryDocument {w}><w:docParts><w:docPart><w:docPartBody><w:p><w:r><w:t>Glossary Secret</w:t></w:r></w:p></w:docPartBody></w:docPart></w:docParts></w:glossaryDocument>'
    document_rels = parts["word/_rels/document.xml.rels"].decode("utf-8").replace(
        "</Relationships>",
        '<Relationship Id="rIdGlossary" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/glossaryDocument" Target="glossary/document.xml"/></Relationships>',
    )
    path.write_bytes(rezip(buffer.getvalue(), {
        "docProps/app.xml": app.encode("utf-8"),
        "word/settings.xml": settings.encode("utf-8"),
        "word/_rels/settings.xml.rels": settings_rels.encode("utf-8"),
        "customXml/item9.xml": custom.encode("utf-8"),
        "word/glossary/document.xml": glossary.encode("utf-8"),
        "[Content_Types].xml": glossary_types.encode("utf-8"),
        "word/_rels/document.xml.rels": document_rels.encode("utf-8"),
    }))
    return path


def test_the_fixture_template_really_carries_every_secret(tmp_path):
    blob = authored_template(tmp_path / "authored.docx").read_bytes()
    everything = b"\n".join(zip_parts(blob).values()).decode("utf-8", "replace")
    for secret in SECRETS:
        assert secret in everything, secret
    assert "word/comments.xml" in zip_parts(blob)


def test_nothing_the_template_author_left_reaches_the_document(tmp_path):
    output = render(authored_template(tmp_path / "authored.docx"))
    parts = zip_parts(output)
    everything = b"\n".join(parts.values()).decode("utf-8", "replace")
    for secret in SECRETS:
        assert secret not in everything, secret
    assert not [name for name in parts if re.search(r"comments|people|customXml|glossary|thumbnail", name)]
    for name in ("word/_rels/document.xml.rels", "[Content_Types].xml"):
        assert not re.search(r"comments|people|customXml|glossary", parts[name].decode("utf-8")), name
    for tag in ("w:ins ", "w:del ", "w:moveFrom", "w:moveTo", "w:rPrChange", "w:commentRangeStart",
                "w:commentReference", "w:trackRevisions", "w:docVars", "w:attachedTemplate"):
        assert tag not in everything, tag
    stories = [data.decode("utf-8") for name, data in parts.items() if re.match(r"word/(document|header\d*)\.xml$", name)]
    assert len(stories) == 2 and not [xml for xml in stories if "w:vanish" in xml]
    assert docx_text(output).split("\n") == [
        "Dear Poppy Placeholder",
        "Inserted words. Moved here. Ref CASE-1",
        " Page ",
        "Header CASE-1",
    ]
    document = docx.Document(io.BytesIO(output))
    assert document.core_properties.author == "Test Council"
    assert document.core_properties.comments == ""
    assert document.sections[0].header.paragraphs[0].text == "Header CASE-1"


def test_the_sanitised_template_opens_in_python_docx_with_its_styles(tmp_path):
    output = render(authored_template(tmp_path / "authored.docx"))
    document = docx.Document(io.BytesIO(output))
    assert "SecretStyle" in [s.name for s in document.styles]
    assert document.settings.element.find(f"{{{W}}}trackRevisions") is None


def test_a_field_of_a_plain_dict_reads_as_jinja_reads_it():
    """The sandbox reads ``d.name`` of a plain dict straight from its items; a name dict has as
    an attribute is Jinja's as before (the method, not the item), a missing one is named, and
    the unsafe ones stay refused."""
    from jinja2.exceptions import SecurityError, UndefinedError

    from docgen.render.environment import make_environment

    env = make_environment()
    data = {"name": "Ann", "items": "not this"}
    assert env.from_string("{{ d.name }} {{ d.items()|length }}").render(d=data) == "Ann 2"
    with pytest.raises(UndefinedError, match="^nope$"):
        env.from_string("{{ d.nope }}").render(d=data)
    with pytest.raises(SecurityError):
        env.from_string("{{ d.__class__ }}").render(d=data)
