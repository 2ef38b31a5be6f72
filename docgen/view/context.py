"""What a template sees: the bundle's values, names and labels worked out, dates ready to print.

Every template gets the same names (listed by ``docgen templates fields``). People are dicts
with ``name`` ("Jo Example"), ``formal_name`` ("Ms Jo Example") and ``salutation``
("Dear Ms Example"); code values come with a ``*_label``; dates print as "22 November 2026".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from docgen import __version__
from docgen.bundle import Bundle, codes
from docgen.bundle.schema import age_on
from docgen.registry import TemplateInfo
from docgen.registry.profiles import AuthorityProfile
from docgen.view.dates import add_working_days, display
from docgen.view.records import records_context
from docgen.view.withhold import (
    Audience, Withheld, WithheldPerson, WithheldRecord, entries_for, withhold,
)  # fmt: skip

REPLY_WORKING_DAYS = 5
# The words ``authority.terms`` holds; where things are sent, and decisions, have names of their own.
TERM_WORDS = ("team_around", "team_around_long", "lead", "plan", "meeting")


@dataclass(frozen=True)
class Recipient:
    """Who one copy of a document is addressed to."""

    person_id: str
    kind: str  # "family" or "agency"

    @property
    def slug(self) -> str:
        return f"{self.kind}-{self.person_id}"


class CaseView:
    """What one case may show its readers, worked out once for each set of withheld values and
    shared by every document read by those readers: withholding, display values, people, dates.
    Templates render in an immutable sandbox, so one document cannot change what the next sees."""

    def __init__(self, bundle: Bundle, profile: AuthorityProfile, *, today: date | None = None) -> None:
        self.bundle = bundle
        self.profile = profile
        self.today = today
        self._by_withheld: dict[tuple[str, ...], tuple[dict, dict, dict]] = {}
        self._displayed: dict | None = None  # the bundle with its dates displayed: one copy for every reader

    def context(self, template: TemplateInfo, recipient: Recipient | None) -> dict:
        """The names a template renders with, for one recipient (or none) of one document."""
        audience = (
            Audience(recipient.person_id, recipient.kind)
            if recipient
            else Audience(kind=template.audience)
        )
        shared, data, people = self._for(audience)
        context = dict(shared)
        context["document"] = {"id": template.doc_id, "title": template.title, "version": template.version}
        if recipient:
            context["recipient"] = dict(people[recipient.person_id], kind=recipient.kind)
            context["request"] = _request_for(data, recipient, people)
            # A request's own reply-by date is for the letter asking for that information, not
            # for every other letter the same professional gets (the outcome letter keeps 5 days).
            asking = template.recipients == "professionals"
            if asking and context["request"] and context["request"]["reply_by"]:
                context["reply_by"] = context["request"]["reply_by"]
        return context

    def _for(self, audience: Audience) -> tuple[dict, dict, dict]:
        # Readers from whom the same values are withheld see the same case (with nothing
        # withheld, every reader does), so it is worked out once for each such set.
        entries = entries_for(self.bundle.data, audience)
        key = tuple(sorted(entry["path"] for entry in entries))
        if key not in self._by_withheld:
            if self._displayed is None:
                self._displayed = _displayed(self.bundle.data)
            data = withhold(self._displayed, entries, self.profile.withheld_wording)
            self._by_withheld[key] = _shared_context(data, self.profile, self.today)
        return self._by_withheld[key]


def build_context(
    bundle: Bundle,
    profile: AuthorityProfile,
    template: TemplateInfo,
    recipient: Recipient | None,
    *,
    today: date | None = None,
) -> dict:
    """The names a template renders with, for one recipient (or none) of one document. For many
    documents of one case, make one :class:`CaseView` and ask it for each."""
    return CaseView(bundle, profile, today=today).context(template, recipient)


def _shared_context(data: dict, profile: AuthorityProfile, today: date | None):
    """What every document read by one audience sees, from the displayed bundle ``data`` with
    what is withheld from that audience replaced: (context, data, people)."""
    issue_date = display(data["case"].get("issue_date") or today or date.today())
    agencies = profile.agencies()
    people = _people(data, agencies)
    case = _case(data, people)
    children = [p for p in people.values() if p["group"] == "child"]
    wording = profile.wording(data["case"]["plan_type"])
    context = {
        "authority": _authority(profile, wording, agencies),
        "case": case,
        "children": children,
        "child": children[0],
        "children_names": join_names([c["name"] for c in children]),
        "family_members": [p for p in people.values() if p["group"] == "family"],
        "professionals": [p for p in people.values() if p["group"] == "professional"],
        "lead": case["lead"],
        "manager": case["manager"],
        "sender": case["lead"],
        "assessment": _assessment(data.get("assessment"), people),
        "meetings": [_meeting(m, people) for m in data.get("meetings", [])],
        "plan": _plan(data.get("plan"), people, issue_date),
        "reviews": [_review(r, people, wording["decisions"]) for r in data.get("reviews", [])],
        "closure": _closure(data.get("closure"), people),
        "co_working": _co_working(data.get("co_working"), people),
        "equality": _equality(data.get("equality")),
        "risk": data.get("risk"),
        "issue_date": issue_date,
        "reply_by": add_working_days(issue_date, REPLY_WORKING_DAYS),
        "recipient": None,
        "request": None,
        "document": None,
        "docgen_version": __version__,
    }
    context.update(records_context(data, people, context["meetings"]))
    context["meeting"] = context["meetings"][0] if context["meetings"] else None
    context["review"] = context["reviews"][-1] if context["reviews"] else None
    return context, data, people


def join_names(names: list[str]) -> str:
    """"Alex", "Alex and Sam", "Alex, Sam and Kai"."""
    names = [str(n) for n in names]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


_AS_THEY_ARE = frozenset({str, int, float, bool, type(None)})  # most of a bundle: nothing to wrap


def _displayed(value):
    """A copy of the bundle with every date wrapped to print in GOV.UK style."""
    if isinstance(value, dict):
        return {k: v if type(v) in _AS_THEY_ARE else _displayed(v) for k, v in value.items() if k != "withheld"}
    if isinstance(value, list):
        return [v if type(v) in _AS_THEY_ARE else _displayed(v) for v in value]
    if isinstance(value, date):
        return display(value)
    return value


def _authority(profile: AuthorityProfile, terms: dict, agencies: dict[str, str]) -> dict:
    """The profile as templates see it, with ``terms`` worded for the case's plan type."""
    return {
        "slug": profile.slug,
        "name": profile.name,
        "service": profile.service,
        "address": profile.address,
        "postcode": profile.postcode,
        "phone": profile.phone,
        "email": profile.email,
        "website": profile.website,
        "logo": profile.logo or "",  # the render engine makes it a picture
        "sign_off": profile.sign_off,
        "terms": {k: terms[k] for k in TERM_WORDS},
        "plan_names": profile.plan_names(),
        "agencies": agencies,
        "leaflets": _code_labels(profile.leaflets),
        "decisions": _code_labels(terms["decisions"]),
        "submit_plans_to": terms.get("submit_plans_to"),
        "submit_closures_to": terms.get("submit_closures_to"),
        "support_after_closure": terms.get("support_after_closure"),
    }


def _code_labels(labels: dict) -> list[dict]:
    """{code: label} as a list templates loop over: [{"code": ..., "label": ...}]."""
    return [{"code": code, "label": label} for code, label in labels.items()]


def formal_name(person: dict) -> str:
    """"Ms Jo Example": how a letter addresses a person of the bundle."""
    name = f"{person['first_name']} {person['last_name']}"
    return f"{person['title']} {name}" if person.get("title") else name


def _person(raw, group: str) -> dict:
    if isinstance(raw, WithheldRecord):
        return WithheldPerson(raw, group)
    person = dict(raw, group=group)
    name = f"{raw['first_name']} {raw['last_name']}"
    title = raw.get("title")
    person["name"] = name
    person["formal_name"] = formal_name(raw)
    person["salutation"] = f"Dear {title} {raw['last_name']}" if title else f"Dear {name}"
    person["attending_mark"] = {True: "✓", False: "✗"}.get(raw.get("attending"), "")
    return person


def _people(data: dict, agencies: dict[str, str]) -> dict[str, dict]:
    """Everyone in the bundle by id, with their display names and labels."""
    on = data["case"].get("issue_date") or date.today()
    people: dict[str, dict] = {}
    for group, key in (("child", "children"), ("family", "family_members"), ("professional", "professionals")):
        for index, raw in enumerate(data.get(key, [])):
            person = _person(raw, group)
            if not isinstance(raw, Withheld):
                person.update(_labels(raw, group, on, agencies))
            people[person["id"] or f"{group}-{index}"] = person
    return people


def _labels(raw: dict, group: str, on: date, agencies: dict[str, str]) -> dict:
    if group == "child":
        born = raw["date_of_birth"]
        return {
            "age": born if isinstance(born, Withheld) else age_on(born, on),
            "sex_label": codes.census()["sex"][raw["sex"]],
            "ethnicity_label": codes.census()["ethnicity"].get(raw.get("ethnicity"), ""),
        }
    if group == "professional":
        return {"agency_type_label": agencies[raw["agency_type"]]}
    return {}


def _case(data: dict, people: dict) -> dict:
    case = dict(data["case"])
    case["plan_type_label"] = codes.PLAN_TYPES[case["plan_type"]]
    case["lead"] = people.get(case.get("lead_professional"))
    case["manager"] = people.get(case.get("manager"))
    case["primary_need_label"] = codes.census()["primary_need"].get(case.get("primary_need"), "")
    return case


def _assessment(raw: dict | None, people: dict) -> dict | None:
    if raw is None:
        return None
    assessment = dict(raw)
    assessment["type_label"] = codes.ASSESSMENT_TYPES[raw["type"]]
    assessment["consent_from"] = [people[i] for i in raw.get("consent_given_by", [])]
    assessment["consent_names"] = join_names([p["formal_name"] for p in assessment["consent_from"]])
    assessment["leaflets"] = [codes.LEAFLETS[k] for k in raw.get("leaflets_given", [])]
    return assessment


def _meeting(raw: dict, people: dict) -> dict:
    meeting = dict(raw)
    meeting["kind_label"] = codes.MEETING_KINDS[raw["kind"]]
    meeting["chair"] = people.get(raw.get("chair"))
    return meeting


def _who(raw_id: str | None, people: dict) -> dict | None:
    return people.get(raw_id) if raw_id else None


def _plan(raw: dict | None, people: dict, on: date) -> dict | None:
    if raw is None:
        return None
    plan = dict(raw)
    outcomes = {o["id"]: o for o in raw.get("outcomes", [])}
    plan["actions"] = [
        dict(a, who=_who(a.get("who"), people), outcome=outcomes.get(a.get("outcome")))
        for a in raw.get("actions", [])
    ]
    plan["developmental_needs"] = [
        dict(n, child=_who(n["child"], people)) for n in raw.get("developmental_needs", [])
    ]
    plan["contact"] = [dict(c, person=_who(c["person"], people)) for c in raw.get("contact", [])]
    upcoming = sorted(d for d in raw.get("review_dates", []) if isinstance(d, date) and d >= on)
    plan["next_review"] = upcoming[0] if upcoming else None  # the first on or after the issue date
    plan["upcoming_reviews"] = upcoming  # what a plan says "we will" do: never a date already past
    return plan


def _review(raw: dict, people: dict, decisions: dict) -> dict:
    """A review, its decision in the authority's words (validation refuses one it lacks)."""
    return dict(
        raw,
        chair=_who(raw.get("chair"), people),
        progress_label=codes.PROGRESS[raw["progress"]],
        decision_label=decisions.get(raw["decision"]) or codes.DECISIONS[raw["decision"]],
        new_level_label=codes.PLAN_TYPES.get(raw.get("new_level"), ""),
        management_oversight=_oversight(raw.get("management_oversight"), people),
    )


def _oversight(raw: dict | None, people: dict) -> dict | None:
    return dict(raw, by=people.get(raw["by"])) if raw else None


def _closure(raw: dict | None, people: dict) -> dict | None:
    if raw is None:
        return None
    closure = dict(raw)
    closure["reason_label"] = codes.CLOSURE_REASONS[raw["reason"]]
    closure["conclusion_of_label"] = codes.ASSESSMENT_TYPES.get(raw.get("conclusion_of"), "assessment")
    closure["ongoing_actions"] = [
        dict(a, who=_who(a.get("who"), people)) for a in raw.get("ongoing_actions", [])
    ]
    return closure


def _co_working(raw: dict | None, people: dict) -> dict | None:
    if raw is None:
        return None
    co_working = dict(raw)
    co_working["plan_status_label"] = codes.PLAN_STATUSES[raw["plan_status"]]
    co_working["parties"] = [
        dict(p, role_label=codes.CO_WORKING_ROLES[p["role"]], person=people[p["person"]])
        for p in raw["parties"]
    ]
    co_working["tasks"] = [
        dict(t, responsible=people[t["responsible"]], reports_to=_who(t.get("reports_to"), people))
        for t in raw.get("tasks", [])
    ]
    return co_working


def _equality(raw: dict | None) -> dict | None:
    if raw is None:
        return None
    factors = [dict(f, area_label=codes.EQUALITY_AREAS[f["area"]]) for f in raw.get("factors", [])]
    return dict(raw, factors=factors)


def _request_for(data: dict, recipient: Recipient, people: dict) -> dict | None:
    for raw in data.get("information_requests", []):
        if raw["professional"] == recipient.person_id:
            about = [people[c] for c in raw.get("about", [])] or [
                p for p in people.values() if p["group"] == "child"
            ]
            return dict(raw, about=about, reply_by=raw.get("reply_by"))
    return None
