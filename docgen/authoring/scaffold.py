"""``docgen authority new``: the files a new local authority starts from.

``templates/<slug>/authority.toml`` has every profile key, each with a comment saying what it is;
the required ones hold placeholders to replace before go-live, the optional ones are commented
out. Until the authority adds its own templates, every document resolves to the default one.
"""

from __future__ import annotations

import re
from pathlib import Path

from docgen.exceptions import InputError
from docgen.atomic import write_atomic
from docgen.registry import Registry
from docgen.registry.profiles import PROFILE_FILE

SLUG = re.compile(r"^[a-z][a-z0-9-]{1,40}$")

PROFILE = """\
# {name}: the authority profile docgen fills every document with.
# Replace each value marked FILL IN before documents go to families. Check with:
#   docgen templates check templates/{slug}

# The authority's name, as printed at the top of letters. FILL IN
name = "{name}"
# The service sending documents: "Children's Services". FILL IN
service = "Children's Services"
# Postal address lines (without the postcode), 1 to 5 of them. FILL IN
address = ["County Hall", "Town"]
# FILL IN
postcode = "AA1 1AA"
# The number families call. 01632 960xxx is reserved for drama: replace it. FILL IN
phone = "01632 960000"
# FILL IN
email = "childrens.services@example.org.uk"
# The website printed on letters.
# website = "www.example.gov.uk"
# The logo letters print above the name: a PNG (at most 1 MiB) beside this file.
# logo = "logo.png"
# How letters close.
sign_off = "Yours sincerely"
# Where plans, reviews and closures are sent, as printed in documents.
# submit_plans_to = "the Early Help Assessment Portal"
# submit_closures_to = "the Early Help Assessment Portal"
# Where families can find support after closure.
# support_after_closure = "the Family Hub"
# What a document prints in place of something withheld from its reader.
withheld_wording = "withheld"
# Documents a manager approves in the web workspace before they can be downloaded for posting.
approval_required = []

# The authority's own words for things.
[terms]
# The team meeting's short and long names: "TAF", "Team Around the Family" (or "TACiN"...).
team_around = "TAF"
team_around_long = "Team Around the Family"
# "Lead Professional" or "Lead Practitioner".
lead = "Lead Professional"

# Weeks between plan reviews, [earliest, latest], per plan type; validation warns outside them.
# Plan types: early_help_single_focus, early_help_taf, child_in_need, child_protection, looked_after.
[review_weeks]
# early_help_taf = [6, 12]

# Plain English in letters to families (checked by `docgen templates check`). Reading age is
# Flesch-Kincaid grade + 5 per sentence, which overstates on single sentences: start at 14.
[plain_english]
max_sentence_words = 25
max_reading_age = 14
"""

README = """\
{name} ({slug}): templates of its own
{underline}

Every document uses the default template in templates/default/ until this folder holds
the authority's own version of it. To change a document for {name} only:

1. Copy templates/default/<document>.docx and <document>.toml into this folder.
2. Edit the wording in Word. `docgen templates fields <document> --authority {slug}`
   lists every field you can use, like {{{{ child.name }}}}.
3. Check it: docgen templates check templates/{slug}
4. See it: docgen templates preview <document> --authority {slug} --out preview.pdf
5. Give it a new version number in the .toml, then run: docgen templates lock

authority.toml beside this file is the authority's profile: its name, address, contact
details and the words it uses. Fill in every value marked FILL IN.
"""


def new_authority(slug: str, *, name: str | None = None, root: Path | None = None) -> list[Path]:
    """Create ``<root>/<slug>/authority.toml`` and ``README.txt``; returns the files written."""
    if not SLUG.match(slug):
        raise InputError(f"'{slug}' is not a usable authority name: use lower-case letters, digits and "
                         "'-', starting with a letter, like 'north-somerset'.")
    registry = Registry(root)
    folder = registry.root / slug
    if (folder / PROFILE_FILE).exists():
        raise InputError(f"The authority '{slug}' already exists.", source=str(folder / PROFILE_FILE))
    name = name or " ".join(part.capitalize() for part in slug.split("-")) + " Council"
    if '"' in name or "\\" in name or "\n" in name:
        raise InputError("The name cannot hold quotes, backslashes or line breaks.")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, text in ((PROFILE_FILE, PROFILE), ("README.txt", README)):
        content = text.format(name=name, slug=slug, underline="=" * len(f"{name} ({slug}): templates of its own"))
        written.append(write_atomic((folder / filename).resolve(), content.encode("utf-8")))
    return written
