"""The documents the source guidance describes beyond the first thirteen, with authority variants.

- the glossary of abbreviations (003, appendix), which any pack can include;
- the request for Early Help Family Support (001, step 1);
- step-up and step-down referrals (003: the step-up and step-down flowcharts and section 6,
  children who cease to be 'in need'; 004: stepping down to Early Help, the strategy discussion);
- the record of a Family Meeting and the plan it agreed (003, section 5);
- the notes of a TAF or TACiN meeting, sent with the plan (000; 004: a written record of any
  meeting where the plan is reviewed or developed).

Each builder takes the folder it builds for ("default" or an authority's slug). Terms and contact
details come from the authority's profile (``authority.*``); an authority's own wording is only
in its own folder's template.
"""

from __future__ import annotations

from plan_templates import CHILDREN_WITH_DOB, DEFAULT, DERBYSHIRE, LEAD, SOUTH_GLOS, WORCESTERSHIRE, _head
from template_kit import (
    add_row,
    bullet,
    bullets,
    details,
    heading,
    loop_rows,
    new_document,
    para,
    signature_lines,
    table,
    tag,
)

# A person with their role and agency, or their relationship to the children.
PERSON_ROLE = ("{{ item.name }}{% if item.role %}, {{ item.role }}, {{ item.agency }}"
               "{% elif item.relationship %}, {{ item.relationship }}{% endif %}")


def _not_recorded(expr: str) -> str:
    return f"{{{{ {expr} if {expr} else 'Not recorded.' }}}}"


def _people(doc, items: str, empty: str) -> None:
    """A bullet per person of ``items``, with their role or relationship."""
    bullets(doc, items, empty=empty, item=PERSON_ROLE)


# -- Glossary of Abbreviations -----------------------------------------------------------------
# (abbreviation, meaning), each as the source documents spell it out.
GLOSSARY = [
    ("CAF", "Common Assessment Framework"),  # 003
    ("CAMHS", "Child & Adolescent Mental Health Service"),  # 003, glossary
    ("CP", "Child Protection"),  # 003
    ("ICPC", "Initial Child Protection Conference"),  # 003
    ("LAC", "Looked After Child"),  # 003
    ("OT", "Occupational Therapy"),  # 003, glossary
    ("PEP", "Personal Education Plan"),  # 003, co-working agreement
    ("S.47", "Section 47 (Children Act 1989) child protection enquiries"),  # 003, 004
    ("SaLT", "Speech and Language Therapy"),  # 003, glossary
    ("SENCO", "Special Educational Needs Coordinator"),  # 001
    ("SMART", "Specific, Measurable, Achievable, Realistic, Timely"),  # 002
    ("TAF", "Team Around the Family"),  # 000, 001, 002, 004
]
# Each authority's own services and terms, from its own source document.
GLOSSARY_OF = {
    WORCESTERSHIRE: [  # 003, glossary, and its plan names
        ("BSF", "Building Schools for the Future"),
        ("BST", "Behaviour Support Team"),
        ("CYPP", "Child & Young Person's Plan"),
        ("ISL", "Integrated Service for Looked After Children"),
        ("ISSS", "Integrated Specialist Support Service"),
        ("LST", "Learning Support Team"),
        ("TaMHS", "Targeted Mental Health Strategy"),
    ],
    SOUTH_GLOS: [("ART", "Access and Response Team")],  # 000
    DERBYSHIRE: [("ECAT", "Every Child a Talker")],  # 004
}


def glossary(folder: str = DEFAULT):
    doc = new_document("Glossary of Abbreviations")
    _head(doc, "Glossary of Abbreviations")
    para(doc, "What the abbreviations in our documents stand for.")
    t = table(doc, [35, 145], ["Abbreviation", "What it stands for"])
    for abbreviation, meaning in sorted(GLOSSARY + GLOSSARY_OF.get(folder, []), key=lambda e: e[0].lower()):
        add_row(t, [abbreviation, meaning], bold_first=True)
    # The authority's name for its team around the child, when it is not the TAF already listed.
    add_row(t, ["{%tr if authority.terms.team_around != 'TAF' %}", ""])
    add_row(t, ["{{ authority.terms.team_around }}", "{{ authority.terms.team_around_long }}"], bold_first=True)
    add_row(t, ["{%tr endif %}", ""])
    loop_rows(t, "for a in abbreviations", ["{{ a.abbreviation }}", "{{ a.meaning }}"])
    return doc


# -- Request for Early Help Family Support -----------------------------------------------------
REQUEST = "early_help_request"


def early_help_request(folder: str = DEFAULT):
    # "Early Help Family Support" is Worcestershire's service (001); others ask for early help.
    title = "Request for Early Help Family Support" if folder == WORCESTERSHIRE else "Request for Early Help"
    doc = new_document(title)
    tag(doc, f"set r = {REQUEST}")
    _head(doc, title)
    details(doc, [
        ("Case reference", "{{ case.reference }}"),
        ("Child or children", CHILDREN_WITH_DOB),
        ("Date of request", "{{ r.date }}"),
        ("Requested by", "{{ r.requested_by.name }}, {{ r.requested_by.role }}, {{ r.requested_by.agency }}"
                         "{% if r.requested_by.phone %}\nTelephone: {{ r.requested_by.phone }}{% endif %}"
                         "{% if r.requested_by.email %}\nEmail: {{ r.requested_by.email }}{% endif %}"),
        ("Level of need", "{{ r.level_of_need_label }}"),
    ])
    heading(doc, "The additional need identified")
    para(doc, "These needs cannot be met by the practitioner's own setting or any other service:")
    bullets(doc, "r.needs")
    if folder == WORCESTERSHIRE:
        para(doc, "Read more about Level 2 and Level 3 needs in the Levels of need Guidance.", size=10)
    heading(doc, "What the practitioner's own setting has done")
    para(doc, _not_recorded("r.own_offer"))
    heading(doc, "Who the practitioner spoke to first")
    bullets(doc, "r.consulted_labels", empty="No one recorded.")
    heading(doc, "The family's agreement")
    para(doc, "{% if r.family_agrees %}The family agrees to this request"
              "{% if r.consent_given_by %} ({{ r.consent_given_by|map(attribute='name')|list|names }})"
              "{% endif %}.{% else %}The family has not agreed to this request.{% endif %}")
    heading(doc, "What {{ children_names }} said")
    para(doc, _not_recorded("r.child_views"))
    heading(doc, "What the family said")
    para(doc, _not_recorded("r.family_views"))
    heading(doc, "Support in the meantime")
    para(doc, "{{ r.requested_by.name }} continues supporting the family and works with other "
              "professionals, as necessary.")
    tag(doc, "if r.continuing_support")
    para(doc, "{{ r.continuing_support }}")
    tag(doc, "endif")
    heading(doc, "Where this request goes")
    if folder == WORCESTERSHIRE:
        para(doc, "Request services from Early Help Family Support by completing an online form at: "
                  "www.worcestershire.gov.uk/requestfamilysupport")
    elif folder == DERBYSHIRE:
        para(doc, "This request goes to Starting Point. Starting Point may send an Early Help Single "
                  "Focus outcome to a Multi-agency Team.")
    else:
        para(doc, "Send this request to {{ authority.service }}, {{ authority.name }}: telephone "
                  "{{ authority.phone }}, email {{ authority.email }}.")
    heading(doc, "Signed")
    signature_lines(doc, "{{ r.requested_by.name }}")
    return doc


# -- Step-up and step-down referrals -----------------------------------------------------------
def _step_details(doc, step: str, referred_by: str) -> None:
    details(doc, [
        ("Case reference", "{{ case.reference }}"),
        ("Child or children", CHILDREN_WITH_DOB),
        ("Date", f"{{{{ {step}.date }}}}"),
        ("Stepped from", f"{{{{ {step}.from_plan_type_label }}}}"),
        ("Stepped to", f"{{{{ {step}.to_plan_type_label }}}}"),
        (referred_by, f"{{% set by = {step}.referred_by or lead %}}"
                      "{{ by.name ~ ', ' ~ by.role ~ ', ' ~ by.agency if by else 'Not recorded' }}"),
        ("Decided by", f"{{{{ {step}.decided_by.name ~ ', ' ~ {step}.decided_by.role if {step}.decided_by "
                       "else 'Not recorded' }}"),
        ("New " + LEAD, f"{{{{ {step}.new_lead_professional.name ~ ', ' ~ {step}.new_lead_professional.role "
                        f"~ ', ' ~ {step}.new_lead_professional.agency if {step}.new_lead_professional "
                        "else 'To be agreed' }}"),
    ])


def _services(doc, step: str, empty: str) -> None:
    t = table(doc, [110, 70], ["Service or support", "Provided by"])
    loop_rows(t, f"for s in {step}.services", [
        "{{ s.service }}", "{{ s.who.name ~ ', ' ~ s.who.agency if s.who else 'To be agreed' }}",
    ], empty=empty)
    para(doc, after=0)  # space between the table and what follows


def _views(doc, step: str) -> None:
    heading(doc, "Views")
    for who, field in (("{{ children_names }}", "child_views"), ("The family", "family_views"),
                       ("The agencies involved", "agency_views")):
        para(doc, f"{who}:", bold=True, after=2)
        para(doc, _not_recorded(f"{step}.{field}"))


def step_up_referral(folder: str = DEFAULT):
    titles = {DEFAULT: "Step-Up Referral", WORCESTERSHIRE: "Step-Up Process: CAF to Social Care"}
    doc = new_document(titles.get(folder, titles[DEFAULT]))
    _head(doc, titles.get(folder, titles[DEFAULT]))
    para(doc, "From early help to children's social care", bold=True)
    _step_details(doc, "step_up", "Referred by")
    heading(doc, "Why the child is being stepped up")
    para(doc, "{{ step_up.reason }}")
    heading(doc, "The child's needs now")
    bullets(doc, "step_up.needs", empty="Not recorded.")
    heading(doc, "Chronology of evidence")
    para(doc, _not_recorded("step_up.chronology"))
    heading(doc, "Services already in place")
    _services(doc, "step_up", "No services are recorded.")
    tag(doc, "if step_up.significant_harm")
    heading(doc, "Risk of significant harm")
    para(doc, "It appears that the child may be suffering, or likely to suffer, significant harm. A "
              "strategy discussion or meeting should take place to decide whether section 47 "
              "enquiries are needed.")
    tag(doc, "endif")
    _views(doc, "step_up")
    heading(doc, "The early help assessment")
    if folder == WORCESTERSHIRE:
        para(doc, "The Common Assessment can help ensure that a request for service to children's "
                  "social care is relevant and can build up a comprehensive picture of needs rather "
                  "than a series of partial snapshots.")
    else:
        para(doc, "The early help assessment goes with this referral. It helps make sure the request "
                  "is relevant, and gives a full picture of the child's needs.")
    if folder == DERBYSHIRE:
        para(doc, "Things have changed the level of need for the child. They still need a co-ordinated "
                  "multi-agency plan led by Children's Services, so the plan is stepped up.")
    heading(doc, "Signed")
    signature_lines(doc, "{{ (step_up.referred_by or lead).name if step_up.referred_by or lead else '' }}")
    return doc


def step_down_referral(folder: str = DEFAULT):
    titles = {DEFAULT: "Step-Down Referral", WORCESTERSHIRE: "Step-Down Process: Social Care to CAF"}
    doc = new_document(titles.get(folder, titles[DEFAULT]))
    _head(doc, titles.get(folder, titles[DEFAULT]))
    para(doc, "From children's social care to early help", bold=True)
    _step_details(doc, "step_down", "Social worker")
    heading(doc, "Why our involvement is ending")
    para(doc, "{{ step_down.reason }}")
    if folder == DERBYSHIRE:
        para(doc, "A case is stepped down to Early Help Services when someone other than a social "
                  "worker would be the right " + LEAD + ". A Team Around the Family plan is then made "
                  "instead.")
    heading(doc, "The child's needs now")
    bullets(doc, "step_down.needs", empty="Not recorded.")
    heading(doc, "Services still needed")
    para(doc, "The child's identified needs must continue to be met when our involvement ends.")
    _services(doc, "step_down", "No services are recorded.")
    if folder == WORCESTERSHIRE:
        para(doc, "The step-down process via the CAF is used because a number of services need "
                  "co-ordination and monitoring to be effective. A co-ordinated support plan might "
                  "better meet the child's needs.")
    _views(doc, "step_down")
    para(doc, "We have listened to any worries about our involvement ending. We took them into account.")
    heading(doc, "The decision")
    if folder == WORCESTERSHIRE:  # 003, section 6
        para(doc, "Only the Team Manager, or a Consultant Social Worker acting with their agreement, "
                  "can decide to end our involvement.")
    else:
        para(doc, "The Team Manager decides whether our involvement ends.")
    heading(doc, "Who is told")
    told = [para(doc, "These people and agencies are formally told, and given this step-down plan:", after=2)]
    for who in (
        "the people with parental responsibility",
        "the carer",
        "the child, if of sufficient age and understanding",
        "the agencies and professionals involved in the assessment or plan",
        "new agencies named in this step-down plan",
    ):
        told.append(bullet(doc, who))
    for paragraph in told[:-1]:  # the list moves to the next page whole, not its last lines alone
        paragraph.paragraph_format.keep_with_next = True
    heading(doc, "Signed")
    signature_lines(doc, "{{ step_down.decided_by.name if step_down.decided_by else '' }}")
    return doc


# -- Record of the Family Meeting and its plan -------------------------------------------------
FM = "family_meeting"


def family_meeting_record(folder: str = DEFAULT):
    doc = new_document("Record of the Family Meeting and Plan")
    tag(doc, f"set r = {FM}")
    _head(doc, "Record of the Family Meeting and Plan")
    details(doc, [
        ("Case reference", "{{ case.reference }}"),
        ("Child or children", CHILDREN_WITH_DOB),
        ("Meeting", "{{ r.meeting.kind_label }}, {{ r.meeting.starts }}"),
        ("Venue", "{{ r.meeting.venue.name }}"),
        ("Co-ordinator", "{{ r.coordinator.name }}, {{ r.coordinator.role }}"),
    ])
    heading(doc, "Who attended")
    _people(doc, "r.attended", "Not recorded.")
    heading(doc, "Stage 1: Information-sharing")
    for label, field in (("The family's strengths", "strengths"), ("Concerns about harm or risk", "concerns"),
                         ("Proposals and options for the plan", "options"),
                         ("The support professionals can offer, and its limits", "support_offered")):
        para(doc, label, bold=True, after=2)
        para(doc, _not_recorded(f"r.{field}"))
    heading(doc, "Stage 2: Family Time")
    para(doc, "The family's proposals for the plan:", bold=True, after=2)
    para(doc, "{{ r.family_proposals }}")
    heading(doc, "Stage 3: The agreed plan")
    t = table(doc, [90, 50, 40], ["What was agreed", "Who", "By when"])
    loop_rows(t, "for a in r.agreed", [
        "{{ a.what }}", "{{ a.who.name if a.who else 'To be agreed' }}", "{{ a.by if a.by else 'To be agreed' }}",
    ], empty="Nothing is agreed yet.")
    para(doc, after=0)
    para(doc, "Resources: " + _not_recorded("r.resources"))
    tag(doc, "if r.not_agreed")
    para(doc, "Parts of the family's plan that are not agreed, and why:", bold=True, after=2)
    t = table(doc, [90, 90], ["Proposal", "Why it is not agreed"])
    loop_rows(t, "for n in r.not_agreed", ["{{ n.proposal }}", "{{ n.reason }}"])
    para(doc, after=0)
    tag(doc, "endif")
    tag(doc, "if case.plan_type in ('child_protection', 'looked_after')")
    para(doc, "This plan becomes part of the child's statutory plan. Only a statutory core group, "
              "Child Protection Conference or Looked After Child Review can change that plan.")
    tag(doc, "endif")
    heading(doc, "Monitoring and review")
    para(doc, _not_recorded("r.monitoring"))
    para(doc, "If the plan does not work: " + _not_recorded("r.contingency"))
    para(doc, "{% if r.review %}A Review Family Meeting will be held on {{ r.review }}.{% else %}"
              "The family can ask for a Review Family Meeting.{% endif %}")
    heading(doc, "Endorsement")
    para(doc, "The case worker or case supervisor has to endorse the plan and agree it is safe. Then "
              "it is adopted as the plan for the child.")
    para(doc, "{% if r.endorsed_by %}Endorsed by {{ r.endorsed_by.name }}, {{ r.endorsed_by.role }}"
              "{% if r.endorsed_on %}, on {{ r.endorsed_on }}{% endif %}.{% else %}Not endorsed yet."
              "{% endif %}")
    heading(doc, "Who receives this record")
    para(doc, "This record and the plan are sent to everyone who attended the meeting.")
    return doc


# -- Notes of a TAF or TACiN meeting -----------------------------------------------------------
NOTES = "meeting_notes"


def meeting_notes(folder: str = DEFAULT):
    doc = new_document("Meeting Notes")
    tag(doc, f"set n = {NOTES}")
    tag(doc, "set early_help = case.plan_type.startswith('early_help')")
    _head(doc, "Meeting Notes", "{{ n.meeting.kind_label|capitalize }}")
    details(doc, [
        ("Case reference", "{{ case.reference }}"),
        ("Child or children", CHILDREN_WITH_DOB),
        ("Date and time", "{{ n.meeting.starts }}{% if n.meeting.ends %} to {{ n.meeting.ends|time }}{% endif %}"),
        ("Venue", "{{ n.meeting.venue.name }}"),
        ("Chair", "{{ n.meeting.chair.name ~ ', ' ~ n.meeting.chair.role if n.meeting.chair else 'Not recorded' }}"),
        ("Notes taken by", "{{ n.taken_by.name ~ ', ' ~ n.taken_by.role if n.taken_by else 'Not recorded' }}"),
    ])
    heading(doc, "Who attended")
    _people(doc, "n.attended", "Not recorded.")
    heading(doc, "Apologies")
    _people(doc, "n.apologies", "No apologies were sent.")
    heading(doc, "What {{ children_names }} said")
    para(doc, _not_recorded("n.child_views"))
    heading(doc, "What the family said")
    para(doc, _not_recorded("n.family_views"))
    heading(doc, "What was discussed")
    tag(doc, "for d in n.discussion")
    para(doc, "{{ d.topic }}", bold=True, after=2)
    para(doc, "{{ d.notes }}")
    tag(doc, "else")
    para(doc, "Not recorded.")
    tag(doc, "endfor")
    heading(doc, "What was decided")
    bullets(doc, "n.decisions", empty="Not recorded.")
    heading(doc, "The plan")
    para(doc, "The plan agreed at the meeting is sent with these notes. It says who will do what, and "
              "by when.")
    heading(doc, "Next meeting")
    para(doc, "{% if n.next_meeting %}The next meeting is on {{ n.next_meeting }}.{% else %}"
              "No date is set yet.{% endif %}")
    heading(doc, "Who receives these notes")
    _notes_sharing(doc, folder)
    return doc


def _notes_sharing(doc, folder: str) -> None:
    if folder == SOUTH_GLOS:  # 000
        para(doc, "The action plan and these notes are shared with the family and the other "
                  "professionals.")
        para(doc, "They are submitted to {{ authority.submit_plans_to }}.")
    elif folder == DERBYSHIRE:  # 004
        para(doc, "These notes are copied to everyone involved, including the child and parents. "
                  "They need to agree them.")
        para(doc, "Everyone receives in writing a record of any meeting where the plan is reviewed "
                  "or developed.")
    elif folder == WORCESTERSHIRE:  # 001, 003
        tag(doc, "if early_help")
        para(doc, "The plan and these notes go to the practitioners who attended the Team Around the "
                  "Family (TAF) meeting. The child and family get them too.")
        tag(doc, "else")
        para(doc, "Everyone in the plan is the {{ authority.terms.team_around_long }} "
                  "({{ authority.terms.team_around }}). Each of them, the child and the family get "
                  "these notes and the plan.")
        tag(doc, "endif")
    else:
        para(doc, "These notes and the plan are shared with the family and the professionals who work "
                  "with them.")


FOLDERS = (DEFAULT, SOUTH_GLOS, DERBYSHIRE, WORCESTERSHIRE)
MORE_BUILDERS = {
    **{(f, "glossary"): (lambda f=f: glossary(f)) for f in FOLDERS},
    **{(f, "early-help-request"): (lambda f=f: early_help_request(f)) for f in (DEFAULT, DERBYSHIRE, WORCESTERSHIRE)},
    **{(f, "step-up-referral"): (lambda f=f: step_up_referral(f)) for f in (DEFAULT, DERBYSHIRE, WORCESTERSHIRE)},
    **{(f, "step-down-referral"): (lambda f=f: step_down_referral(f)) for f in (DEFAULT, DERBYSHIRE, WORCESTERSHIRE)},
    ("default", "family-meeting-record"): family_meeting_record,
    **{(f, "meeting-notes"): (lambda f=f: meeting_notes(f)) for f in FOLDERS},
}
