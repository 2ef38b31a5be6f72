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
# The number families call, as the authority publishes it. 01632 960xxx is reserved for drama:
# `docgen templates check` refuses it. FILL IN
phone = "01632 960000"
# The email address families write to. example.org is reserved for examples: refused. FILL IN
email = "childrens.services@example.org.uk"
# An authority that publishes no phone or email removes both and says so here; letters then
# give the worker's own details.
# no_published_contacts = true
# The website printed on letters.
# website = "www.example.gov.uk"
# The logo letters print above the name: a PNG (at most 1 MiB) beside this file.
# logo = "logo.png"
# How letters close.
sign_off = "Yours sincerely"
# What a document prints in place of something withheld from its reader.
withheld_wording = "withheld"
# A GOV.UK Notify email template (its id) with a ((link_to_file)) placeholder: with it,
# `docgen batch --send` emails information requests to agencies that have an email address.
# notify_email_template = "00000000-0000-0000-0000-000000000000"
# How assessments are timed, in working days from their start: "single_assessment" (45, Working
# Together) or "initial_and_core" (initial 10, core 35, as 003 sets them).
assessment_timescales = "single_assessment"
# Where the review cadence below comes from, named in validation warnings.
# review_source = "the authority's procedures"
# A plan for long-term disability support is reviewed at most this many months apart (004: 12).
# disability_review_months = 12
# A Child in Need plan open this many months has a formal review chaired by a Team Manager (004: 12).
# formal_review_months = 12
# Documents a manager approves in the web workspace before they can be downloaded for posting.
approval_required = []

# Words only this authority's documents print: no other authority's documents may.
own_terms = []
# The kinds of meeting the authority holds (others are refused in its bundles): taf, tacin,
# family_meeting, cin_planning, network, core_group, review.
meeting_kinds = ["taf", "family_meeting", "core_group", "review"]

# The leaflets the Standard Agreement for Assessment lists, by code (none until you add them):
# child_in_need, section_47, looked_after, relative_friend_carers.
[leaflets]
# child_in_need = "Child in Need – Initial/Core"

# The authority's own names for kinds of agency, where they differ from docgen's: the prompt
# sheet and every document print them (codes as in the bundle's professionals[].agency_type).
[agency_names]
# substance_misuse = "Substance Misuse Service"

# The authority's own words for things; [terms.<plan type>] below changes them for one plan type.
[terms]
# The team meeting's short and long names: "TAF", "Team Around the Family" (or "TACiN"...).
team_around = "TAF"
team_around_long = "Team Around the Family"
# "Lead Professional" or "Lead Practitioner".
lead = "Lead Professional"
# The plan's name, and the meeting that agrees and reviews it. FILL IN
plan = "Family Plan"
meeting = "Team Around the Family (TAF) meeting"
# Where plans, reviews and closures are sent, and where families find support after closure,
# as printed in documents ("" for none).
# submit_plans_to = "the Early Help Hub"
# submit_closures_to = "the Early Help Hub"
# support_after_closure = "the Family Hub"

# The decisions a review can record, in the authority's words; codes: continue, amend, end,
# end_single_agency, end_universal, close, step_up, step_down.
[terms.decisions]
continue = "Continue the plan as it is"
amend = "Amend the plan"
end = "End the plan: the needs are fully met"

# A Looked After review never offers early help decisions. Likewise [terms.child_in_need],
# [terms.child_protection], [terms.early_help_taf], [terms.early_help_single_focus].
[terms.looked_after]
plan = "Care Plan"
meeting = "Looked After Child Review"

[terms.looked_after.decisions]
continue = "Continue the care plan as it is"
amend = "Amend the care plan"

# What reviews record beyond the decision (validation warns when missing): the manager's
# oversight in supervision, and a Strategy Discussion when significant harm is suspected.
[reviews]
management_oversight = false
strategy_discussion = false

# Weeks between plan reviews, [earliest, latest], per plan type; validation warns outside them.
# Plan types: early_help_single_focus, early_help_taf, child_in_need, child_protection, looked_after.
[review_weeks]
# early_help_taf = [6, 12]

# Months at most between plan reviews, per plan type (003: a Child in Need plan every 6 months).
[review_months]
# child_in_need = 6

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
