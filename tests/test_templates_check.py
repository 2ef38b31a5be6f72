"""`docgen templates check`: deliberately broken templates, each problem found where it is, with its fix."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT
from templates_helpers import (
    build,
    commented_paragraphs,
    comments_of,
    invoke,
    locked,
    make_root,
)

from docgen.authoring.check import check
from docgen.cli_templates import templates

GREETING = "{{ recipient.salutation }},"


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # problems name files relative to where the command runs
    return make_root(tmp_path)


def lines_of(result) -> list[str]:
    return result.stderr.splitlines() + result.stdout.splitlines()


def test_a_clean_template_passes(root):
    build(root / "default" / "clean-letter.docx",
          [GREETING, "Our reference: {{ case.reference }}", "{% if closure %}We have closed your case.{% endif %}",
           "{% for a in plan.actions %}{{ a.what }} ({{ a.who.name }}){% endfor %}", "{{ case.team }}"],
          requires=("case.team",))
    locked(root)
    result = invoke(templates, ["check", "templates"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "Checked 1 template: 0 errors, 0 warnings.\n"
    assert result.stderr == ""


def test_an_unclosed_if_is_found_with_where_it_opened_and_the_fix(root):
    build(root / "default" / "unclosed-if.docx",
          [GREETING, "Our reference: {{ case.reference }}", "{% if closure %}We have closed the case.", "Yours sincerely"])
    result = invoke(templates, ["check", "templates/default/unclosed-if.docx"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        "templates/default/unclosed-if.docx: body paragraph 3: error: `{% if %}` opened in body paragraph 3 "
        "is never closed: add `{% endif %}`",
        '    "{% if closure %}We have closed the case."',
    ]
    assert result.stderr.splitlines()[-1] == "Checked 1 template: 1 error, 1 warning."


def test_blocks_closed_in_the_wrong_order_or_not_opened(root):
    build(root / "default" / "mismatched.docx",
          ["{% for c in children %}", "{% if c.age %}{{ c.name }}", "{% endfor %}", "{% endif %}", "{% else %}"])
    messages = [p.summary for p in check([root / "default" / "mismatched.docx"]).errors]
    assert messages == [
        "`{% if %}` opened in body paragraph 2 is never closed: add `{% endif %}` before the `{% endfor %}` "
        "in body paragraph 3",
        "`{% endif %}` in body paragraph 4 closes nothing: no `{% if %}` is open: delete it, or add the "
        "`{% if ... %}` it should close",
        "`{% else %}` in body paragraph 5 is not inside an `{% if %}` or `{% for %}` block: add the "
        "`{% if ... %}` it belongs to, or delete it",
    ]


def test_a_misspelt_placeholder_gets_the_field_it_meant(root):
    build(root / "default" / "misspelt.docx",
          ["Dear {{ chlid.name }},", "{{ child.nmae }} and {{ issue_date|dat }}",
           "{% for a in plan.actions %}{{ a.who.name }} {{ a.whoo.name }}{% endfor %}", "{{ children.name }}"])
    problems = check([root / "default" / "misspelt.docx"]).errors
    assert [(p.location, p.summary) for p in problems] == [
        ("body paragraph 1", "`chlid.name` is not a field this template can use: did you mean `child.name`?"),
        ("body paragraph 2", "`child.nmae` is not a field this template can use: did you mean `child.name`?"),
        ("body paragraph 2", "`dat` is not a filter docgen knows: did you mean `date`?"),
        ("body paragraph 3", "`a.whoo.name` is not a field this template can use: did you mean `a.who.name`?"),
        ("body paragraph 4", "`children.name`: `children` is a list, so it has no `name` of its own: loop over it: "
                             "`{% for item in children %}{{ item.name }}{% endfor %}`"),
    ]
    assert problems[0].text == "Dear {{ chlid.name }},"


def test_locations_in_tables_and_headers(root):
    build(root / "default" / "places.docx", [GREETING], table=[["Reference", "{{ case.refrence }}"]],
          header="{{ authority.nme }}")
    problems = check([root / "default" / "places.docx"]).errors
    assert [(p.location, p.summary) for p in problems] == [
        ("table 1, row 1, cell 2", "`case.refrence` is not a field this template can use: did you mean `case.reference`?"),
        ("header, paragraph 1", "`authority.nme` is not a field this template can use: did you mean `authority.name`?"),
    ]


def test_recipient_in_a_document_without_recipients(root):
    build(root / "default" / "single.docx", ["{{ recipient.name }}"], recipients="none")
    [problem] = check([root / "default" / "single.docx"]).errors
    assert problem.summary == (
        '`recipient` is only set in documents sent to recipients, and this document\'s metadata says '
        'recipients = "none": set `recipients` in single.toml, or take `recipient` out'
    )


def test_a_tag_split_across_differently_formatted_runs_is_named(root):
    build(root / "default" / "split.docx", [[("Dear {{ child.", "bold"), ("name }},", "plain")]])
    [problem] = [p for p in check([root / "default" / "split.docx"]).problems if p.code == "mixed-format"]
    assert problem.describe() == (
        "templates/default/split.docx: body paragraph 1: warning: `{{ child.name }}` is formatted in two ways "
        "(`{{ child.` bold; `name }}` plain), so the filled-in value will be bold throughout: select the whole "
        "placeholder and give it one format\n"
        '    "Dear {{ child.name }},"'
    )


def test_tags_docxtpl_cannot_mend_are_errors(root):
    build(root / "default" / "broken-tags.docx",
          [[("See {{ authority.", "plain"), ("website }}", "link")], "Hello {{ child.", "name }} there"])
    problems = check([root / "default" / "broken-tags.docx"]).errors
    assert [(p.location, p.summary) for p in problems] == [
        ("body paragraph 1", "part of `{{ authority.website }}` is inside a hyperlink and part is not, which breaks "
                             "the document when it is filled: retype the placeholder so it is all inside or all "
                             "outside a hyperlink"),
        ("body paragraph 2", "`{{ child.` is not closed in its paragraph: a tag must start and end in the same "
                             "paragraph, or docgen cannot read it: add `}}` at the end of the tag (and keep it in "
                             "one paragraph)"),
        ("body paragraph 3", "`}}` has no `{{` before it in the paragraph, so it will be printed as it is: add the "
                             "missing `{{`, or delete the `}}`"),
    ]


def test_a_tag_split_by_a_field_cannot_be_mended(root):
    build(root / "default" / "field.docx", [GREETING, [("Dear {", "plain"), (" PAGE ", "field"), ("{ child.name }},", "plain")]])
    [problem] = check([root / "default" / "field.docx"]).errors
    assert (problem.location, problem.summary) == (
        "body paragraph 2",
        "Word has split `{{ child.name }}` in a way docgen cannot mend, so it would be printed as it is: "
        "delete the placeholder and type it again in one go",
    )


def test_an_invisible_character_in_a_tag(root):
    build(root / "default" / "pasted.docx", [GREETING, "Dear {\u200b{ child.name }},", "Hello {{ child.name\u200b }}"])
    assert [(p.location, p.summary) for p in check([root / "default" / "pasted.docx"]).errors] == [
        ("body paragraph 2", "`{{` has an invisible character (U+200B ZERO WIDTH SPACE) between its braces, so it is "
                             "not read as a tag and will be printed as it is: delete the tag and type it again"),
        ("body paragraph 3", "`{{ child.name }}` holds an invisible character (U+200B ZERO WIDTH SPACE): delete the "
                             "tag and type it again"),
    ]


def test_tracked_changes_are_checked_as_accepted(root):
    path = build(root / "default" / "tracked.docx",
                 [GREETING, [("Dear {", "plain"), ("x", "deleted"), ("{ child.name }},", "plain")]])
    locked(root)
    assert [p.describe() for p in check([path]).problems] == []


def test_a_tag_split_by_spelling_marks_and_a_bookmark_is_mended(root):
    path = build(root / "default" / "spelling.docx",
                 [GREETING, [("Dear {", "plain"), ("{ chi", "spelling"), ("ld.name }},", "plain")]])
    locked(root)
    assert [p.describe() for p in check([path]).problems] == []


def test_a_tag_left_in_the_filled_document_is_found_by_filling_it(root):
    build(root / "default" / "spaced.docx", [GREETING, "Dear { { child.name } },"])
    [problem] = check([root / "default" / "spaced.docx"]).errors
    assert problem.code == "left-in-output"
    assert problem.location == "body paragraph 2"
    assert problem.summary.startswith("the document filled from ")
    assert problem.summary.endswith(
        'still shows `{ {` (in "Dear { { child.name } },"): retype the tag so its braces touch, like '
        "`{{ child.name }}` or `{% if ... %}`"
    )


def test_a_required_field_the_template_never_uses(root):
    build(root / "default" / "unused.docx", [GREETING, "{{ sender.name }}"],
          requires=("closure.reason", "case.lead_professional", "closur"))
    assert [p.summary for p in check([root / "default" / "unused.docx"]).errors] == [
        "`requires` in unused.toml says the document needs `closure.reason`, but the template never uses it: "
        "put it back in the wording, or take it out of `requires` in unused.toml",
        "`requires` in unused.toml names `closur`, which is not a field of the case bundle: did you mean `closure`?",
    ]  # sender is the lead professional, so case.lead_professional counts as used


def test_a_changed_template_must_get_a_new_version(root):
    path = build(root / "default" / "versioned.docx", [GREETING])
    locked(root)
    build(path, [GREETING, "A new sentence."])
    result = invoke(templates, ["check", "templates"])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "templates/default/versioned.docx: error: changed since version 1.0 without a new version number: "
        "raise `version` in versioned.toml"
    )
    refused = invoke(templates, ["lock", "--templates", "templates"])
    assert refused.exit_code == 4
    assert refused.stderr == (
        "Error: templates/versions.lock.json: Not locked: default/versioned.docx: changed since version 1.0 "
        "without a new version number: raise `version` in versioned.toml.\n"
    )
    build(path, [GREETING, "A new sentence."], version="1.1")
    assert invoke(templates, ["check", "templates"]).stdout.splitlines()[0] == (
        "templates/default/versioned.docx: warning: version 1.1 is not in versions.lock.json yet: "
        "run `docgen templates lock` to record it"
    )
    done = invoke(templates, ["lock", "--templates", "templates"])
    assert done.exit_code == 0, done.output
    assert done.stdout == "default/versioned.docx: version 1.1\ntemplates/versions.lock.json: 1 changed.\n"
    assert json.loads((root / "versions.lock.json").read_text())["default/versioned.docx"]["version"] == "1.1"
    assert invoke(templates, ["check", "templates"]).stdout == "Checked 1 template: 0 errors, 0 warnings.\n"


def test_long_and_hard_sentences_in_a_family_letter_are_warnings(root):
    build(root / "default" / "wordy.docx",
          [GREETING,
           "If you would like more information about this please contact us by {{ reply_by }} (within the next 5 "
           "working days) and we will share any information we are able to.",
           "We acknowledge the considerable organisational complexity of multidisciplinary safeguarding arrangements.",
           "We will phone you next week.",
           "Considerable organisational complexity of multidisciplinary safeguarding arrangements"],  # a label
          family_letter=True)
    locked(root)
    result = invoke(templates, ["check", "templates/default/wordy.docx"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "templates/default/wordy.docx: body paragraph 2: warning: a sentence of 29 words, over the 25-word limit for "
        'letters to families: "If you would like more information about this please contact us by {{ reply_by }} '
        '(within the next 5 working days) and we will share any information we are able to.": split it into '
        "shorter sentences",
        '    "If you would like more information about this please contac…"',
        "templates/default/wordy.docx: body paragraph 3: warning: a sentence with a reading age of 36, over the "
        'limit of 14 for letters to families: "We acknowledge the considerable organisational complexity of '
        'multidisciplinary safeguarding arrangements.": use shorter, everyday words',
        '    "We acknowledge the considerable organisational complexity o…"',
        "Checked 1 template: 0 errors, 2 warnings.",
    ]
    strict = invoke(templates, ["check", "--strict", "templates/default/wordy.docx"])
    assert strict.exit_code == 1
    assert strict.stderr.splitlines()[-1] == "Checked 1 template: 0 errors, 2 warnings."


def test_the_sentence_limit_comes_from_the_authority_profile(root):
    profile = root / "worcestershire" / "authority.toml"
    profile.write_text(profile.read_text().replace("max_sentence_words = 25", "max_sentence_words = 5"))
    build(root / "worcestershire" / "short.docx", [GREETING, "We will phone you next week about it."],
          family_letter=True)
    [problem] = [p for p in check([root / "worcestershire" / "short.docx"]).problems if p.code == "long-sentence"]
    assert problem.message.startswith("a sentence of 8 words, over the 5-word limit")


def test_json_report(root):
    build(root / "default" / "unclosed-if.docx", ["{% if closure %}Closed."])
    result = invoke(templates, ["check", "--json", "templates/default/unclosed-if.docx"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["errors"] == 1 and report["templates"] == ["templates/default/unclosed-if.docx"]
    assert report["problems"][0] == {
        "severity": "error",
        "code": "unclosed-block",
        "message": "`{% if %}` opened in body paragraph 1 is never closed",
        "fix": "add `{% endif %}`",
        "file": "templates/default/unclosed-if.docx",
        "location": "body paragraph 1",
        "text": "{% if closure %}Closed.",
    }


def test_annotate_puts_a_comment_at_each_problem(root, tmp_path):
    build(root / "default" / "misspelt.docx",
          [GREETING, "Our reference: {{ case.reference }}", "Dear {{ chlid.name }},", "{% if closure %}Closed."],
          header="{{ authority.nme }}")
    out = tmp_path / "checked" / "misspelt-annotated.docx"
    result = invoke(templates, ["check", "templates/default/misspelt.docx", "--annotate", out])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == f"Wrote {out} with 4 comments."
    comments = comments_of(out)
    where = commented_paragraphs(out)
    assert [(where[i], text) for i, text in comments.items()] == [
        (3, "Error: `chlid.name` is not a field this template can use: did you mean `child.name`?"),
        (4, "Error: `{% if %}` opened in body paragraph 4 is never closed: add `{% endif %}`."),
        (1, "In the header, paragraph 1: Error: `authority.nme` is not a field this template can use: "
            "did you mean `authority.name`?"),
        (1, "About the whole template: Warning: version 1.0 is not in versions.lock.json yet: run "
            "`docgen templates lock` to record it."),
    ]


def test_annotate_needs_one_template(root, tmp_path):
    build(root / "default" / "a.docx", [GREETING])
    build(root / "default" / "b.docx", [GREETING])
    result = invoke(templates, ["check", root, "--annotate", tmp_path / "out.docx"])
    assert result.exit_code == 2
    assert "--annotate needs exactly one template." in result.stderr


def test_a_missing_path_is_a_usage_error(root):
    result = invoke(templates, ["check", "templates/default/nothing.docx"])
    assert result.exit_code == 2
    assert result.stderr == "Error: templates/default/nothing.docx: No such file or folder.\n"


def test_every_template_in_the_repository_is_free_of_errors():
    report = check([ROOT / "templates"])
    assert report.templates, "no templates found"
    assert [p.describe() for p in report.errors] == []
