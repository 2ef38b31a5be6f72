"""Every letter's first page fits GOV.UK Notify's areas, measured on PDFs LibreOffice made.

Notify's precompiled-letter areas (../shared/reference/README.md), in mm from the top-left:
a logo 15-125 across and 5-30 down; the sender's contact details 125-195 across and 5-95 down;
the recipient's address alone in the window, 24.6-120 across and 39.5-66.3 down; the body from
95 down; 15 mm side and 5 mm top and bottom margins on every page. Nothing else may print.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
from PIL import Image

from conftest import ROOT, SAMPLES, TODAY
from docgen.pipeline import Pipeline
from docgen.registry import Registry
from docgen.view.context import formal_name
from layout_helpers import convert_samples, ink_outside, pdf_pages, person, sample_pdfs, text_lines  # noqa: F401

pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftoppm") is None,
    reason="needs LibreOffice and poppler-utils",
)

LETTERS = ["outcome-letter", "information-request"]
LOGO = (15.0, 5.0, 125.0, 30.0)
CONTACT = (125.0, 5.0, 195.0, 95.0)
WINDOW = (24.6, 39.5, 120.0, 66.3)
BODY = (15.0, 95.0, 195.0, 292.0)
LATER_PAGE = (15.0, 5.0, 195.0, 292.0)
POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$")


def inside(word, area) -> bool:
    left, top, right, bottom = area
    return left <= word.left and word.right <= right and top <= word.top and word.bottom <= bottom


def overlaps(word, area) -> bool:
    left, top, right, bottom = area
    return word.left < right and left < word.right and word.top < bottom and top < word.bottom


def assert_fits_notify(letter) -> None:
    """Ink only in Notify's areas; the window holds the recipient's address and nothing else."""
    name = f"{letter.path.name}"
    pages = pdf_pages(letter.path)
    assert ink_outside(letter.path, 1, [LOGO, CONTACT, WINDOW, BODY]) is None, f"{name}: ink outside Notify's page 1 areas"
    for number in range(2, len(pages) + 1):
        assert ink_outside(letter.path, number, [LATER_PAGE]) is None, f"{name}: ink in page {number}'s margins"

    first = pages[0]
    in_window = [w for w in first.words if overlaps(w, WINDOW)]
    assert all(inside(w, WINDOW) for w in in_window), f"{name}: a word crosses the window's edge"
    lines = text_lines(in_window)
    addressee = person(letter.data, letter.recipient)
    address = addressee["address"]
    expected = [formal_name(addressee), *address["lines"], address["postcode"]]
    assert "".join(lines).replace(" ", "") == "".join(expected).replace(" ", "")  # long lines wrap
    assert 3 <= len(lines) <= 7 and POSTCODE.match(lines[-1]), lines
    # Nothing from 30 mm to 95 mm down on the left but the address (pdftotext's word boxes
    # are taller than the glyphs, so the areas are checked with ink above, and with words here).
    stray = [w.text for w in first.words if overlaps(w, (15, 30, 125, 95)) and w not in in_window]
    assert stray == [], f"{name}: {stray} between the logo area and the body"


@pytest.fixture(scope="module")
def sample_letters(sample_pdfs):
    return [x for x in sample_pdfs if x.document in LETTERS]


def test_every_letter_of_every_sample_fits_notifys_areas(sample_letters):
    assert {letter.data["authority"] for letter in sample_letters} == {
        "worcestershire", "south-gloucestershire", "derbyshire",
    }
    assert len(sample_letters) >= 20
    for letter in sample_letters:
        assert_fits_notify(letter)


def test_the_authority_and_team_print_in_the_contact_area(sample_letters):
    letter = next(x for x in sample_letters if x.path.name == "WOR-CIN-0001_outcome-letter_family-mum.pdf")
    first = pdf_pages(letter.path)[0]
    contact = text_lines([w for w in first.words if inside(w, CONTACT)])
    assert contact[:3] == ["Worcestershire County Council", "Children's Services", "Family Front Door Team"]
    assert "Our reference: WOR-CIN-0001" in contact and "Date: 20 November 2026" in contact
    body = [w for w in first.words if w.top >= 95]
    assert body[0].text == "Dear" and body[0].top < 100  # the body starts at 95 mm, not lower


# -- stress: long names, two-line team names, every shape of logo ------------------------------
LONG_AUTHORITY = "Royal Borough of Imaginary-upon-Severn and Greater Fictionshire County Council"
LONG_SERVICE = "Children, Young People and Families Directorate"
LONG_TEAM = "Family Front Door, Early Help and Child in Need Assessment Partnership Team (North East)"


@pytest.fixture(scope="module")
def stress_letters(tmp_path_factory):
    """Letters from a Worcestershire bundle with long names, under three logos and none."""
    base = tmp_path_factory.mktemp("stress")
    data = json.loads((SAMPLES / "valid" / "worcestershire-child-in-need.json").read_text("utf-8"))
    data["case"]["team"] = LONG_TEAM
    data["documents_requested"] = LETTERS
    mum = data["family_members"][0]
    mum["first_name"], mum["last_name"] = "Alexandrina-Josephine", "Featherstonehaugh-Cholmondeley"
    mum["address"] = {"lines": ["Flat 12, Makebelieve Court", "1 Imaginary Lane", "Fictionville"], "postcode": "WR1 1AA"}
    sw = next(p for p in data["professionals"] if p["id"] == data["case"]["lead_professional"])
    sw["first_name"], sw["last_name"] = "Samantha-Jane", "Socialworker-Longname-Example"
    # A request long enough to run to a second page, whose margins Notify checks too.
    data["information_requests"][0]["specific_information"] = (
        "Dates of the most recent health checks, and who attended each one with the children.\n" * 45
    ).strip()
    bundle_path = base / "long-names.json"
    bundle_path.write_text(json.dumps(data), "utf-8")

    made = {}
    for logo in ("wide", "tall", "square", "none"):
        root = base / logo / "templates"
        shutil.copytree(ROOT / "templates", root)
        profile = root / "worcestershire" / "authority.toml"
        text = profile.read_text("utf-8")
        text = text.replace('name = "Worcestershire County Council"', f'name = "{LONG_AUTHORITY}"')
        text = text.replace('service = "Children\'s Services"', f'service = "{LONG_SERVICE}"')
        if logo == "none":
            text = text.replace('logo = "logo.png"', "")
        else:
            size = {"wide": (2000, 100), "tall": (100, 1000), "square": (400, 400)}[logo]
            Image.new("RGB", size, "navy").save(root / "worcestershire" / "logo.png")
        profile.write_text(text, "utf-8")
        pipeline = Pipeline(Registry(root), today=TODAY)
        made[logo] = convert_samples(pipeline, [bundle_path], base / logo / "out")
    return made


@pytest.mark.parametrize("logo", ["wide", "tall", "square", "none"])
def test_letters_with_long_names_and_any_logo_fit_notifys_areas(stress_letters, logo):
    letters = stress_letters[logo]
    assert {x.document for x in letters} == set(LETTERS)
    for letter in letters:
        assert_fits_notify(letter)
    request = next(x for x in letters if x.recipient == "agency-hv" and x.document == "information-request")
    assert len(pdf_pages(request.path)) >= 2  # so later pages' margins were checked above
    family = next(x for x in letters if x.recipient == "family-mum")
    first = pdf_pages(family.path)[0]
    contact = " ".join(text_lines([w for w in first.words if inside(w, CONTACT)])).replace("- ", "-")
    for text in (LONG_AUTHORITY, LONG_SERVICE, LONG_TEAM, "Please ask for: Samantha-Jane Socialworker-Longname-Example"):
        assert text in contact  # whole, however many lines it takes
    in_logo_area = " ".join(w.text for w in first.words if inside(w, LOGO))
    assert in_logo_area == (LONG_AUTHORITY if logo == "none" else "")
