"""Hostile and broken input: each gets a clear error and its exit code, and harms nothing else.

Bundles (bad JSON, wrong types, huge, deep, control characters, duplicate keys, bad bytes),
values that would change a document's layout, and output folders that cannot take a file.
"""

from __future__ import annotations

import copy
import errno
import json
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import docx_text
from docgen.bundle.load import MAX_DEPTH, load, parse
from docgen.cli import cli
from docgen.exceptions import BundleInvalid, DocgenError, InputError, OutputError
from docgen.atomic import write_atomic
from docgen.output import target_in, write_documents
from docgen.registry import Registry
from security_helpers import (
    bundle_of,
    make_template,
    page_breaks,
    problems_of,
    sample,
    zip_parts,
)

# -- bundles that cannot be read: usage errors, exit 2 -------------------------------------------


def validate_cli(*paths):
    return CliRunner().invoke(cli, ["validate", *map(str, paths)])


def test_a_missing_file_is_a_usage_error(tmp_path):
    with pytest.raises(InputError) as caught:
        load(tmp_path / "absent.json")
    assert caught.value.message == "File not found."
    assert caught.value.exit_code == 2


def test_a_file_that_is_not_utf8_is_a_usage_error(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"name": "Zoë"}'.encode("latin-1"))
    with pytest.raises(InputError) as caught:
        load(path)
    assert caught.value.message == "The file is not UTF-8 text (byte 12 cannot be read); save it as UTF-8."
    assert caught.value.exit_code == 2


def test_a_file_over_the_size_limit_is_refused_before_parsing(tmp_path):
    path = tmp_path / "huge.json"
    data = sample()
    data["children"][0]["views"] = "x" * (6 * 1024 * 1024)
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as caught:
        load(path)
    assert caught.value.message == "The bundle is larger than the 5 MiB limit."


def test_a_folder_is_not_a_bundle(tmp_path):
    with pytest.raises(InputError) as caught:
        load(tmp_path)
    assert caught.value.message == "Expected a bundle file but this is a folder."


# -- bundles that are not JSON, or JSON no bundle can be: invalid, exit 1 ------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty; expected a JSON object."),
        ("  \n\t ", "The file is empty; expected a JSON object."),
        ('{"case": ', "Malformed JSON at line 1, column 10: Expecting value."),
        ("{'case': 1}", "Malformed JSON at line 1, column 2: Expecting property name enclosed in double quotes."),
        ('{"a": 1,}', "Malformed JSON at line 1, column 9: Expecting property name enclosed in double quotes."),
        ('{"a": NaN}', "NaN is not a JSON value; write a number, or leave the key out."),
        ('{"a": -Infinity}', "-Infinity is not a JSON value; write a number, or leave the key out."),
        ('{"a": ' + "9" * 5000 + "}", "A number has more than 20 digits."),
        ("[" * 100_000 + "]" * 100_000, f"The JSON is nested too deeply (more than {MAX_DEPTH} levels)."),
        ('{"a": ' * 100_000 + "1" + "}" * 100_000, f"The JSON is nested too deeply (more than {MAX_DEPTH} levels)."),
        ('{"a": 1, "a": 2}', "This key is given more than once."),
        ('["' + '\\"' * 200_000, "Malformed JSON at line 1, column 2: Unterminated string starting at."),
    ],
    ids=["empty", "blank", "truncated", "single-quotes", "trailing-comma", "nan", "infinity",
         "huge-number", "deep-arrays", "deep-objects", "duplicate-key", "unclosed-string"],
)
def test_text_that_is_not_a_bundle_is_invalid(text, message):
    with pytest.raises(BundleInvalid) as caught:
        parse(text, "case.json")
    assert caught.value.message == message
    assert caught.value.exit_code == 1


def test_deep_nesting_inside_a_bundle_is_refused_whatever_the_call_depth():
    """Checked by counting brackets, so a deep call stack (a web request, a batch) cannot make
    json or the checks after it hit Python's recursion limit."""
    data = sample()
    text = json.dumps(data).replace('"team":', '"extra": ' + "[" * 900 + "]" * 900 + ', "team":')

    def nested(levels):
        return nested(levels - 1) if levels else parse(text, "case.json")

    with pytest.raises(BundleInvalid) as caught:
        nested(800)
    assert caught.value.message == f"The JSON is nested too deeply (more than {MAX_DEPTH} levels)."


def test_a_key_with_control_characters_is_shown_escaped():
    with pytest.raises(BundleInvalid) as caught:
        parse('{"case": {"\\u001b]0;pwned\\u0007": 1}}', "case.json")
    problem = caught.value.problems[0]
    assert (problem.path, problem.message) == ("case.\\u001b]0;pwned\\u0007", "A key holds control characters.")


def test_a_key_with_a_raw_c1_control_character_is_refused():
    # JSON lets U+0080-U+009F through unescaped; parse skips its walk of the keys only when
    # the text holds none of them and no escape.
    with pytest.raises(BundleInvalid) as caught:
        parse('{"case": {"team\x85": 1}}', "case.json")
    problem = caught.value.problems[0]
    assert (problem.path, problem.message) == ("case.team\\u0085", "A key holds control characters.")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(children="Poppy"), [("children", "Expected a list.")]),
        (lambda d: d["case"].update(reference=7), [("case.reference", "Expected text.")]),
        (lambda d: d["children"][0].update(date_of_birth=20170412), [("children[0].date_of_birth", "Expected a date like 2026-11-22.")]),
        (lambda d: d["family_members"][0].update(parental_responsibility="yes"), [("family_members[0].parental_responsibility", "Expected true or false.")]),
        (lambda d: d.update(case=[]), [("case", "Expected an object.")]),
        (lambda d: d["children"][0].update(first_name="x" * 1_000_000), [("children[0].first_name", "Length must be between 1 and 100.")]),
        (lambda d: d["children"][0].update(views="x" * 1_000_000), [("children[0].views", "Length must be between 1 and 5000.")]),
        (lambda d: d["plan"].update(what_is_important=["x"] * 100_000), [("plan.what_is_important", "Length must be between 0 and 50.")]),
        (lambda d: d.update(family_members=[dict(d["family_members"][1], id=f"m{i}") for i in range(5000)]), [("family_members", "Length must be between 0 and 50.")]),
        (lambda d: d["children"][0].update(sex="\x1b[2J" + "x" * 100), [("children[0].sex", "Expected one of M, F, U but received: '\\x1b[2J" + "x" * 33 + "...'.")]),
    ],
    ids=["list-as-text", "number-as-text", "number-as-date", "text-as-boolean", "list-as-object",
         "huge-name", "huge-text", "huge-list", "thousands-of-people", "control-characters-echoed-safely"],
)
def test_wrong_types_and_sizes_are_reported_with_their_path(registry, change, expected):
    data = sample()
    change(data)
    assert problems_of(data, registry) == expected


SINGLE_LINE_MESSAGE = "Line breaks, tabs and control characters are not allowed here."
TEXT_MESSAGE = "Control characters other than newline and tab are not allowed."


@pytest.mark.parametrize(
    "char",
    ["\x00", "\x07", "\x08", "\x0b", "\x0c", "\r", "\x1b", "\x1f", "\x7f", "\x85", "\x9f", "\u2028", "\u202e",
     "\ud800", "\udfff", "\ufffe", "\uffff"],
    ids=lambda c: f"U+{ord(c):04X}",
)
def test_characters_xml_cannot_hold_or_that_change_layout_are_refused(registry, char):
    data = sample()
    data["children"][0]["first_name"] = f"Pop{char}py"
    data["children"][0]["views"] = f"Poppy{char}says"
    data["family_members"][0]["address"]["lines"][0] = f"1 Imaginary{char} Lane"
    assert problems_of(data, registry) == [
        ("children[0].first_name", SINGLE_LINE_MESSAGE),
        ("children[0].views", TEXT_MESSAGE),
        ("family_members[0].address.lines[0]", SINGLE_LINE_MESSAGE),
    ]


@pytest.mark.parametrize("char", ["\n", "\t"], ids=["newline", "tab"])
def test_newline_and_tab_are_refused_in_single_line_fields_even_at_the_end(registry, char):
    """A pattern ending in ``$`` lets one trailing newline through ``re.match``: the case
    reference would then carry a newline into every file name."""
    data = sample()
    data["case"]["reference"] = f"WOR-CIN-0001{char}"
    data["children"][0]["first_name"] = f"Poppy{char}"
    data["family_members"][0]["phone"] = f"01632 960001{char}"
    data["family_members"][0]["address"]["postcode"] = f"WR1 1AA{char}"
    assert problems_of(data, registry) == [
        ("case.reference", "Expected a case reference of letters, digits, '.', '_' or '-', up to 40."),
        ("children[0].first_name", SINGLE_LINE_MESSAGE),
        ("family_members[0].address.postcode", "Expected a UK postcode like 'WR5 2NP'."),
        ("family_members[0].phone", "Expected a UK phone number."),
    ]


def test_a_broken_bundle_leaves_the_others_in_a_validate_run_unharmed(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(sample()), "utf-8")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00{")
    result = validate_cli(deep, good, binary, tmp_path / "absent.json")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[:3] == [
        f"{deep}: error: The JSON is nested too deeply (more than {MAX_DEPTH} levels).",
        f"{binary}: error: The file is not UTF-8 text (byte 0 cannot be read); save it as UTF-8.",
        f"{tmp_path / 'absent.json'}: error: File not found.",
    ]


# -- Unicode that is text, not control: kept exactly -----------------------------------------------

UNICODE_NAMES = {
    "first_name": "Zoë-Åsa",
    "last_name": "Ó Briain-محمد",
    "title": "Ms",
}


def test_rtl_combining_emoji_and_markup_characters_render_exactly(registry, pipeline):
    data = sample()
    mum = data["family_members"][0]
    mum["first_name"] = "Zoë-Åsa e\u0301\u0323 👩\u200d👩\u200d👧"
    mum["last_name"] = "محمد <b>&amp;</b> \"O'Brien\" {{ x }} {% if %}"
    mum["address"]["lines"] = ["שׁלום 1 ‏Lane", "Łódź & <Co>"]
    bundle = bundle_of(data, registry)
    [letter] = [r for r in pipeline.render(bundle, ["outcome-letter"]) if r.recipient.person_id == "mum"]
    assert letter.ok, letter.error
    text = docx_text(letter.docx)
    assert f"Ms {mum['first_name']} {mum['last_name']}\nשׁלום 1 ‏Lane\nŁódź & <Co>\nWR1 1AA" in text
    assert f"Dear Ms {mum['last_name']}" in text


# -- layout: bundle data never makes a page break or a paragraph ---------------------------------

FREE_TEXT = "Line one\nLine two\twith a tab\n\n"


def test_newline_and_tab_in_free_text_become_a_line_break_and_a_tab(tmp_path, registry):
    from docgen.view.context import build_context
    from docgen.render.engine import CompiledTemplate

    data = sample()
    data["children"][0]["views"] = FREE_TEXT
    bundle = bundle_of(data, registry)
    template_path = make_template(tmp_path / "echo.docx", "Views: {{ child.views }}", "After")
    content = render_with(template_path, bundle, registry)
    document = zip_parts(content)["word/document.xml"].decode("utf-8")
    assert (
        '<w:t xml:space="preserve">Views: Line one</w:t><w:br/><w:t xml:space="preserve">Line two</w:t>'
        '</w:r><w:r><w:tab/></w:r><w:r><w:t xml:space="preserve">with a tab</w:t><w:br/>'
    ) in document
    assert page_breaks(content) == 0
    assert docx_text(content).split("\n")[:3] == ["Views: Line one", "Line two\twith a tab", ""]
    assert document.count("<w:p>") == 2


def render_with(template_path: Path, bundle, registry, recipient=None) -> bytes:
    """One document from a template made by a test, for the sample's authority."""
    from datetime import datetime, timezone

    from docgen.registry import TemplateInfo
    from docgen.view.context import build_context
    from docgen.render.engine import CompiledTemplate, Provenance

    info = TemplateInfo("echo", "Echo", "1.0", template_path, template_path.with_suffix(".toml"),
                        "default", "", "none", "internal", False, False, ())
    context = build_context(bundle, registry.profile(bundle.authority), info, recipient)
    provenance = Provenance("echo", "Echo", "1.0", "0" * 64, bundle.reference, "Council",
                            datetime(2026, 11, 20, tzinfo=timezone.utc))
    return CompiledTemplate(template_path).render(context, provenance)


# -- output folders that cannot take a file: exit 6, nothing half-written -------------------------

SAMPLE_ALL = "worcestershire-early-help-single-focus.json"


def render_cli(*args):
    return CliRunner().invoke(cli, ["render", *map(str, args), "--no-record"])


def mount_tmpfs(folder: Path, options: str) -> bool:
    """A real small or read-only filesystem; needs root (CI runs as root in its container)."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    return done.returncode == 0


@pytest.fixture
def full_folder(tmp_path):
    folder = tmp_path / "full"
    if not mount_tmpfs(folder, "size=64k"):
        pytest.skip("cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN)")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


@pytest.fixture
def read_only_folder(tmp_path):
    folder = tmp_path / "read-only"
    if mount_tmpfs(folder, "ro,size=64k"):
        yield folder
        subprocess.run(["umount", str(folder)], check=True)
    elif os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
    else:
        pytest.skip("root without CAP_SYS_ADMIN: no way to make a folder read-only")


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob(".docgen-*")]


def test_a_read_only_output_folder_is_exit_6_with_nothing_written(read_only_folder):
    from conftest import SAMPLES

    result = render_cli(SAMPLES / "valid" / SAMPLE_ALL, "--all", "--out", read_only_folder)
    assert result.exit_code == 6
    assert result.stderr.splitlines()[-1] == f"Error: {read_only_folder}: The output folder is read-only."
    assert list(read_only_folder.iterdir()) == []


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_a_full_disk_fails_the_documents_that_do_not_fit_and_leaves_no_fragments(full_folder, fmt):
    from conftest import SAMPLES

    result = render_cli(SAMPLES / "valid" / SAMPLE_ALL, "--all", "--format", fmt, "--out", full_folder)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (3, 6)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert errors and all("No space left on device" in e or "(the disk is full)" in e for e in errors), errors
    assert leftovers(full_folder) == []
    written = sorted(full_folder.iterdir())
    assert len(written) + len(errors) == 15  # every document the sample can fill, one file each
    for path in written:
        if fmt == "docx":
            assert docx_text(path.read_bytes())  # complete: python-docx opens it
        else:
            from pypdf import PdfReader

            assert len(PdfReader(path).pages) >= 1


def test_a_disk_full_while_writing_removes_the_temporary_file(full_folder):
    blob = os.urandom(100_000)  # does not compress: larger than the 64 KiB filesystem
    with pytest.raises(OutputError) as caught:
        write_atomic(full_folder / "big.docx", blob)
    assert caught.value.message == "The file could not be written (the disk is full)."
    assert caught.value.exit_code == 6
    assert list(full_folder.iterdir()) == []


@pytest.mark.parametrize(
    "name",
    ["../evil.docx", "/etc/passwd", "sub/x.docx", "..", ".", "", ".hidden.docx", "x\x00.docx",
     "a\\..\\b.docx", "a\nb.docx"],
    ids=["parent", "absolute", "subfolder", "dotdot", "dot", "empty", "hidden", "nul", "backslash", "newline"],
)
def test_a_file_name_that_would_escape_the_folder_is_refused(tmp_path, name):
    with pytest.raises(OutputError) as caught:
        target_in(tmp_path, name)
    assert caught.value.message == f"The file name {name!r} would escape the output folder."
    assert caught.value.exit_code == 6


def test_a_symlink_planted_in_the_folder_cannot_redirect_a_document(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("precious")
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "CASE-1_letter.docx").symlink_to(outside)
    with pytest.raises(OutputError):
        target_in(folder, "CASE-1_letter.docx")
    assert outside.read_text() == "precious"


def test_two_documents_with_the_same_name_the_second_fails_the_first_is_written(pipeline, registry, tmp_path):
    bundle = bundle_of(sample(), registry)
    first, second = pipeline.render(bundle, ["outcome-letter"])[:2]
    second.recipient = first.recipient  # same case, document and recipient: the same file name
    write_documents([first, second], tmp_path)
    assert first.ok and first.outputs["docx"].name == f"{first.stem}.docx"
    assert isinstance(second.error, OutputError)
    assert second.error.message == f"Two documents would both be named {first.stem}."
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{first.stem}.docx"]


@pytest.fixture(scope="module")
def registry_documents(registry):
    return registry.document_ids()


def paragraphs(content: bytes) -> int:
    return sum(
        data.decode("utf-8").count("<w:p>") + data.decode("utf-8").count("<w:p ")
        for name, data in zip_parts(content).items()
        if name.startswith("word/") and name.endswith(".xml")
    )


@pytest.mark.parametrize("sample_path", VALID_SAMPLE_PATHS := sorted((Path(__file__).parent.parent / "samples" / "valid").glob("*.json")), ids=lambda p: p.stem)
def test_line_breaks_and_tabs_in_free_text_never_add_pages_or_paragraphs(pipeline, registry, registry_documents, sample_path):
    """Every registered document, rendered from a sample and from the same sample with a line
    break, blank line and tab in every free-text value: the same page breaks and paragraphs."""
    from security_helpers import set_at, string_paths

    plain = json.loads(sample_path.read_text("utf-8"))
    broken = copy.deepcopy(plain)
    texts = list(string_paths(broken, "text"))
    assert texts
    for _, parts in texts:
        value = broken
        for step in parts:
            value = value[step]
        set_at(broken, parts, f"First\n\nSecond\tafter a tab\n{value}"[:5000])
    before = {r.stem: r for r in pipeline.render(bundle_of(plain, registry), registry_documents) if r.ok}
    after = {r.stem: r for r in pipeline.render(bundle_of(broken, registry), registry_documents) if r.ok}
    assert before.keys() == after.keys() and before
    for stem, result in after.items():
        assert page_breaks(result.docx) == page_breaks(before[stem].docx), stem
        assert paragraphs(result.docx) == paragraphs(before[stem].docx), stem


LAYOUT_CHARACTERS = ["\x0c", "\x07", "\x0b", "\r", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\u202e", "\u2067"]


@pytest.mark.parametrize("char", LAYOUT_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
def test_layout_characters_are_refused_in_every_text_and_line_field(registry, char):
    """Form feed (docxtpl: page break), bell (docxtpl: new paragraph), the other controls, line
    and paragraph separators and bidi overrides (which reverse the text after them) are refused
    wherever the bundle has text, so no bundle can make a page break or turn a line around."""
    from security_helpers import string_paths

    data = sample()
    paths = [p for p, _ in string_paths(data, "text")] + [p for p, _ in string_paths(data, "line")]
    from security_helpers import set_at

    for kind in ("text", "line"):
        for _, parts in string_paths(data, kind):
            value = data
            for step in parts:
                value = value[step]
            set_at(data, parts, f"{value}{char}x")
    refused = {path for path, _ in problems_of(data, registry)}
    assert refused == set(paths)


def test_a_file_that_cannot_even_be_started_is_an_output_error(tmp_path):
    """No temporary file can be made in a folder that is not there: an OutputError naming the
    file (exit 6), not an OSError traceback from the template tools that write single files."""
    target = tmp_path / "gone" / "lock.json"
    with pytest.raises(OutputError) as raised:
        write_atomic(target, b"{}")
    assert raised.value.source == str(target)
    assert raised.value.exit_code == 6
