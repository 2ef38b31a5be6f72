"""Builds docgen's Word templates from the wording of the source documents.

The .docx files in ``templates/`` are the source of truth once committed: policy owners edit
them in Word. This script is how the first versions were made, kept so the layout decisions
(Notify letter head, lean styles, docxtpl tags) are reproducible::

    python tools/build_templates.py            # every template
    python tools/build_templates.py outcome-letter family-plan
    python tools/build_templates.py --force outcome-letter   # overwrite a hand edit

It records the SHA-256 of each file it writes in ``templates/build-record.json`` and refuses to
overwrite a template whose bytes no longer match the record (edited in Word since), naming it,
unless ``--force``; the other templates are still built.

The appendices of Worcestershire's Children in Need leaflet B/1 (seed 003) give the forms and
letters here; ``plan_templates.py`` builds the family plan, its review and the closure summary
from seeds 000, 001, 002 and 004; ``more_templates.py`` the glossary, the early help request, the
step-up and step-down referrals, the family meeting record and meeting notes. Wording a family reads keeps to sentences of 25 words or fewer.
The .toml metadata beside each template is written by hand.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from docx.shared import Mm  # noqa: E402

from docgen.bundle import codes  # noqa: E402
from more_templates import MORE_BUILDERS  # noqa: E402
from docgen.forms import wording  # noqa: E402
from build_record import BuildRecord, HandEdited  # noqa: E402
from plan_templates import PLAN_BUILDERS  # noqa: E402
from template_kit import (  # noqa: E402
    BOX,
    add_row,
    boxed,
    bullet,
    bullets,
    details,
    heading,
    lean_bytes,
    letter_head,
    loop_rows,
    new_document,
    one_line_address,
    optional,
    para,
    sign_off,
    signature_lines,
    table,
    tag,
)

ROOT = Path(__file__).resolve().parents[1] / "templates"

CHILDREN_WITH_DOB = (
    "{% for c in children %}{{ c.name }}, born {{ c.date_of_birth }}"
    "{% if not loop.last %}\n{% endif %}{% endfor %}"
)
# Whether there is one child, for the family's statements.
SET_PLURALS = "set one = children|length == 1"


# A statement people sign, word for word from docgen.forms.wording (the PDF forms' source too),
# its "child(ren)" alternatives resolved by the filled document.
signed_wording = wording.template_statement


def form_head(doc, title: str, subtitle: str | None = None) -> None:
    para(doc, "{{ authority.name }}  |  {{ authority.service }}", size=10)
    heading(doc, title, 1)
    if subtitle:
        para(doc, subtitle, bold=True)


# -- Standard Agreement for Assessment ---------------------------------------------------------
def assessment_agreement():
    doc = new_document("Standard Agreement for Assessment")
    tag(doc, SET_PLURALS)
    form_head(doc, "Standard Agreement for Assessment")
    details(doc, [
        ("Case reference", "{{ case.reference }}"),
        ("Child or children", CHILDREN_WITH_DOB),
        ("Assessment", "{{ assessment.type_label|capitalize }}, started on {{ assessment.started }}"),
        ("Worker", "{{ lead.name }}, {{ lead.role }}"),
    ])
    para(doc)
    para(doc, signed_wording(wording.ASSESSMENT_LEAFLET_INTRO))
    # The leaflets are the authority's own (its profile); most list none.
    tag(doc, "if authority.leaflets")
    para(doc, wording.ASSESSMENT_LEAFLETS_HEADING, bold=True, after=2)
    tag(doc, "for leaflet in authority.leaflets")
    para(doc, f"{boxed('leaflet.code in assessment.leaflets_given')}  {{{{ leaflet.label }}}}",
         after=2, indent_mm=5)
    tag(doc, "endfor")
    tag(doc, "endif")
    para(doc, after=0)
    for statement in wording.ASSESSMENT_STATEMENTS:
        bullet(doc, signed_wording(statement))
    heading(doc, "Signed")
    t = table(doc, [55, 40, 55, 30], ["Name", "Relationship", "Signature", "Date"])
    loop_rows(t, "for p in assessment.consent_from", [
        "{{ p.name }}", optional("p.relationship"), "", "",
    ], height_mm=11)
    for _ in range(2):
        add_row(t, ["", "", "", ""], height_mm=11)
    para(doc)
    para(doc, "Worker: {{ lead.name }}, {{ lead.role }}", after=2)
    signature_lines(doc)
    return doc


# -- Prompt Sheet ------------------------------------------------------------------------------
# The "Other agency contact" list in the source's order; a heading stands for a group.
PROMPT_ROWS = [
    "police", "probation", "youth_offending", "health_visitor", "gp",
    "Other Health Professional",
    "paediatrician", "speech_language", "ot_physio", "adult_mental_health",
    "physical_disability", "learning_disability",
    "camhs",
    "social_care", "acs_physical_sensory", "acs_learning_disabilities",
    "domestic_abuse", "youth_worker", "housing", "substance_misuse",
    "Education professional",
    "designated_teacher", "educational_psychologist", "education_welfare",
    "early_years", "ofsted", "childrens_centre", "family_support", "hospital",
    "early_help", "school", "other",
]
SUB_ITEMS = {
    "paediatrician", "speech_language", "ot_physio", "adult_mental_health",
    "physical_disability", "learning_disability", "acs_physical_sensory",
    "acs_learning_disabilities", "designated_teacher", "educational_psychologist",
    "education_welfare",
}


def prompt_sheet():
    assert set(codes.AGENCY_TYPES) == {r for r in PROMPT_ROWS if r in codes.AGENCY_TYPES}
    doc = new_document("Prompt Sheet")
    tag(doc, "set team = [lead.id if lead else '', manager.id if manager else '']")
    tag(doc, "set others = professionals|rejectattr('id', 'in', team)|list")
    form_head(doc, "Prompt Sheet",
              "For Social Care professionals undertaking assessments (including Child Protection)")
    details(doc, [
        ("Case reference", "{{ case.reference }}"),
        ("Child or children", CHILDREN_WITH_DOB),
        ("Assessment", "{{ assessment.type_label|capitalize ~ ', started on ' ~ assessment.started "
                       "if assessment else 'Not recorded' }}"),
        ("Worker", "{{ lead.name if lead else '' }}"),
    ])
    heading(doc, "Other agency contact")
    para(doc, "✓ marks an agency already working with the family; their contact is beside it. "
              "Consider every agency on the list that may hold relevant information.", size=10)
    t = table(doc, [10, 70, 70, 30], ["✓", "Agency", "Professional", "Contacted on"])
    for row in PROMPT_ROWS:
        if row not in codes.AGENCY_TYPES:
            add_row(t, ["", row, "", ""])
            t.rows[-1].cells[1].paragraphs[0].runs[0].bold = True
            continue
        match = f"others|selectattr('agency_type', 'equalto', '{row}')|list"
        label = f"{{{{ authority.agencies.{row} }}}}"  # the authority's own name for it
        who = (
            f"{{% for p in {match} %}}{{{{ p.name }}}}, {{{{ p.agency }}}}"
            "{% if p.phone %}, {{ p.phone }}{% endif %}{% if not loop.last %}\n{% endif %}{% endfor %}"
        )
        added = add_row(t, [f"{{{{ '✓' if {match} else '' }}}}", label, who, ""])
        if row in SUB_ITEMS:  # the source lists these under a group heading
            added.cells[1].paragraphs[0].paragraph_format.left_indent = Mm(6)
    return doc


def contact_by(doc) -> None:
    """``call_on`` and ``write_to``: the worker's phone and email, else the authority's, else none
    (an authority may publish neither)."""
    tag(doc, "set call_on = sender.phone or authority.phone")
    tag(doc, "set write_to = sender.email or authority.email")


# -- Standard Letter – Professional ------------------------------------------------------------
def information_request():
    doc = new_document("Request for Information", letter=True)
    letter_head(doc)
    tag(doc, "set about = request.about if request else children")
    para(doc, "{{ recipient.salutation }}")
    para(doc, "Request for information: assessment of need", bold=True)
    para(doc, "We are undertaking an assessment of need ({{ assessment.type_label }}) in respect of:")
    # 179 mm, not the full 180: a border on the 195 mm line would put ink in Notify's margin.
    t = table(doc, [55, 35, 89], ["Name", "Date of birth", "Address"])
    loop_rows(t, "for c in about", ["{{ c.name }}", "{{ c.date_of_birth }}", one_line_address("c.address")])
    para(doc, after=0)
    tag(doc, "if assessment.basis == 'consent'")
    para(doc, "We have the consent of {{ assessment.consent_names }} to ask for this information"
              "{% if assessment.consent_date %}, given on {{ assessment.consent_date }}{% endif %}.")
    tag(doc, "else")
    para(doc, "We have statutory responsibility to request relevant information from your agency "
              "as part of our enquiries. This is because {{ 'this child has' if about|length == 1 "
              "else 'these children have' }} been identified as {{ 'a child' if about|length == 1 "
              "else 'children' }} whose welfare may be significantly impaired, or who may be "
              "suffering significant harm.")
    tag(doc, "endif")
    para(doc, "We request any relevant information your agency holds about {{ 'this child' if "
              "about|length == 1 else 'these children' }} and their parents or carers.")
    tag(doc, "if request and request.specific_information")
    para(doc, "In particular, please tell us:", after=2)
    para(doc, "{{ request.specific_information }}", indent_mm=5)
    tag(doc, "endif")
    contact_by(doc)
    para(doc, "This information is required by {{ reply_by }}. Please {% if write_to %}email it to "
              "{{ write_to }}, or {% endif %}send it by post to the address above."
              "{% if call_on %} If it is more convenient, please telephone {{ call_on }} "
              "to share your information verbally.{% endif %}")
    para(doc, "If you need further clarification as to why this information is being requested, "
              "please contact {{ sender.name }}{% if call_on %} on {{ call_on }}{% endif %}.")
    sign_off(doc)
    return doc


# -- Meeting Invitation List -------------------------------------------------------------------
def meeting_invitation_list():
    doc = new_document("Meeting Invitation List", landscape=True)
    form_head(doc, "Meeting Invitation List", "{{ meeting.kind_label }}")
    t = table(doc, [75, 45, 147], ["Name of child or children", "Date of birth", "Address"])
    loop_rows(t, "for c in children", ["{{ c.name }}", "{{ c.date_of_birth }}", one_line_address("c.address")])
    para(doc, after=0)
    details(doc, widths_mm=(60, 207), rows=[
        ("Case reference", "{{ case.reference }}"),
        ("Date and time", "{{ meeting.starts }}{% if meeting.ends %} to {{ meeting.ends|time }}{% endif %}"),
        ("Venue", "{{ meeting.venue.name }}{% if meeting.venue.address %}, "
                  + one_line_address("meeting.venue.address") + "{% endif %}"),
        ("Room booked", "{{ meeting.room if meeting.room else 'Not booked' }}"),
        ("Chair", "{{ meeting.chair.name ~ ', ' ~ meeting.chair.role if meeting.chair else 'To be confirmed' }}"),
        ("Reason for the meeting", optional("meeting.reason")),
    ])
    heading(doc, "Family members")
    t = table(doc, [45, 38, 70, 34, 55, 25],
              ["Name", "Relationship", "Address", "Phone number", "Notes", "Attending ✓ ✗"])
    loop_rows(t, "for m in family_members", [
        "{{ m.name }}", "{{ m.relationship }}", one_line_address("m.address"),
        optional("m.phone"), optional("m.notes"), "{{ m.attending_mark }}",
    ], empty="No family members are recorded.")
    heading(doc, "Representatives")
    t = table(doc, [45, 45, 63, 34, 55, 25],
              ["Name", "Agency", "Address", "Phone number", "Notes", "Attending ✓ ✗"])
    loop_rows(t, "for p in professionals", [
        "{{ p.name }}\n{{ p.role }}", "{{ p.agency }}", one_line_address("p.address"),
        optional("p.phone"), optional("p.notes"), "{{ p.attending_mark }}",
    ], empty="No professionals are recorded.")
    return doc


# -- Co-Working Agreement ----------------------------------------------------------------------
CO_WORKING_GUIDANCE = (
    "The Team Manager of the case-holding Team retains case management responsibility. This means "
    "they have overall case management responsibility for progressing and monitoring assessment and "
    "planning for the child and ensuring management decisions are made and recorded to deliver the "
    "objectives of the child's Plan.",
    "Management tasks relating to professional supervision and professional decisions may be "
    "delegated to the Consultant Social Worker as part of this Agreement.",
    "Any line management/professional supervision of a co-working Family Support worker by the "
    "Senior Family Support Worker will be clarified as part of this Agreement.",
    "The supervising Team Manager/Consultant Social Worker will ensure there is a joint meeting "
    "between co-workers and their supervisor(s) on a regular basis and any changes are recorded. "
    "This Agreement will clarify whether this is the responsibility of the Team Manager or "
    "Consultant Social Worker.",
    "The supervising Team Manager/Consultant Social Worker must approve and countersign any "
    "assessment or report prepared by a Newly Qualified Social Worker where a level of experience "
    "is required to be demonstrated. This must be specified in this Agreement.",
    "The Agreement must specify whether the Team Manager or Consultant Social Worker attends all "
    "statutory meetings or any decision-making forums. If unable to do so their views must be "
    "imparted clearly to the key worker and report/assessment or proposed plan be endorsed and "
    "amended in advance.",
    "The Social Care professional who is the allocated key worker holds case responsibility. It is "
    "the key worker's responsibility to ensure the objectives of the assessment or plan for the "
    "child are delivered as specified in this Agreement.",
    "The key worker for a child with a Child Protection Plan or Looked After Child/Adoption Plan "
    "must always be a qualified Social Worker.",
    "The key worker is responsible for ensuring all activity is recorded and reports are prepared "
    "for meetings/courts in good time. For joint activity the Agreement will specify who is "
    "responsible for the recording/report-writing.",
    "The key worker must undertake the statutory visits and attend statutory meetings (with any "
    "co-worker as appropriate). For long-term LAC the key worker must also visit the child's birth "
    "family at least twice annually.",
    "When contact is supervised it is also the responsibility of the key worker to observe 20% of "
    "the contacts when assessment is ongoing and to ensure contact is observed when any "
    "reassessment is required. The key worker must co-sign any joint report and assessment with "
    "co-workers.",
    "If the key worker is inexperienced then the supervising Team Manager/Consultant Social "
    "Worker/co-worker must have a suitable level of experience. The Agreement must specify when the "
    "Team Manager/Consultant Social Worker/co-worker is required to undertake joint visits/joint "
    "assessments and report-writing.",
    "It is the role of any co-worker to carry out tasks and duties as specified in this Agreement "
    "and outlined in the child's plan, either specific to their role or on behalf of the child's key "
    "worker to assist them in their duties, as appropriate to their job role, qualifications and "
    "level of experience.",
)
CO_WORKING_TASKS = (
    ("Case management", "direct supervision of key worker; direct supervision of any co-worker; "
     "arranging joint co-working meetings; recording management decisions; budget/resource "
     "decisions; requests to Senior Manager for statutory intervention/action/additional resources; "
     "monitoring child's plan; case management representation at meetings/any decision-making "
     "forum; ensuring changes are made to the child's plan if new needs/risks emerge; reviewing "
     "this Agreement; ensuring the Agreement is distributed to all parties, partner agencies, "
     "carers/parents and child."),
    ("Key worker/co-working tasks and duties", "statutory visits to child at home (seen alone); "
     "other visits to child; other contact with child; liaison with other partner agencies; "
     "liaison with carers; visits to birth family home; other liaison with birth family; making "
     "and monitoring contact arrangements with birth family/friends; assessment tasks; writing up "
     "assessment; writing reports for meetings; court statements; recording direct contact, "
     "meetings, events and other activity; ensuring the case record is up to date."),
    ("Other statutory tasks", "PEP; Pathway Plan; Core Group organisation; "
     "{{ authority.terms.meeting }}s/Family Meetings; Health Assessments."),
)


STATUS = "co_working.plan_status == '%s'"


def co_working_agreement():
    doc = new_document("Co-Working Agreement")
    form_head(doc, "Co-Working Agreement",
              "On areas of case work responsibility between Social Care professionals")
    details(doc, [
        ("Case reference", "{{ case.reference }}"),
        ("Date of Agreement", "{{ co_working.agreed }}"),
        ("Date of Review", optional("co_working.review")),
        ("Name of child or children", "{{ children_names }}"),
        ("Status of the children's Plan",
         "     ".join(f"{boxed(STATUS % code)} {label}" for code, label in codes.PLAN_STATUSES.items())
         + ": "
         "{{ co_working.plan_status_other if co_working.plan_status_other else '' }}"),
    ])
    heading(doc, "This Agreement is between")
    t = table(doc, [45, 35, 35, 40, 25], ["Role", "Name (print)", "Professional title", "Signed", "Dated"])
    loop_rows(t, "for party in co_working.parties", [
        "{{ party.role_label }}", "{{ party.person.name }}", "{{ party.person.role }}", "", "",
    ], height_mm=12)
    para(doc, after=0)
    para(doc, "Any areas of disagreement, or need for clarity in light of any changes, will be "
              "referred back to the Team Manager.")
    heading(doc, "Tasks and duties")
    t = table(doc, [70, 40, 35, 35], ["Task/Duty", "Who is responsible", "Frequency/timescale", "Reports to"])
    loop_rows(t, "for task in co_working.tasks", [
        "{{ task.task }}", "{{ task.responsible.name }}", optional("task.frequency"),
        "{{ task.reports_to.name if task.reports_to else '' }}",
    ], empty="No tasks are recorded yet.")
    para(doc, after=0)
    para(doc, "Tasks to consider:", bold=True, size=10, after=2)
    for title, text in CO_WORKING_TASKS:
        para(doc, f"{title}: {text}", size=10, after=3)
    heading(doc, "Areas of responsibility: guidance for completing the Co-working Agreement")
    for text in CO_WORKING_GUIDANCE:
        bullet(doc, text, size=10)
    return doc


# -- Agreement for Family Meeting --------------------------------------------------------------
def family_meeting_agreement():
    doc = new_document("Agreement for Family Meeting")
    tag(doc, SET_PLURALS)
    form_head(doc, "Agreement for Family Meeting")
    details(doc, [
        (signed_wording("Name of child(ren)"), "{{ children_names }}"),
        ("Meeting", "{{ meeting.kind_label ~ ', ' ~ meeting.starts ~ ', ' ~ meeting.venue.name "
                    "if meeting else '' }}"),
    ])
    para(doc)
    for statement in wording.FAMILY_MEETING_STATEMENTS:
        bullet(doc, signed_wording(statement))
    heading(doc, "Signed by everyone at the meeting")
    t = table(doc, [70, 70, 40], ["Name", "Signature", "Date"])
    loop_rows(t, "for m in family_members if m.attending", ["{{ m.name }}", "", ""], height_mm=11)
    for _ in range(4):
        add_row(t, ["", "", ""], height_mm=11)
    return doc


# -- Standard Outcome/Closure Letter -----------------------------------------------------------
def outcome_letter():
    """Family and agency variants; enclosed notes or no further action; a reply-by date."""
    doc = new_document("Standard Outcome/Closure Letter", letter=True)
    letter_head(doc)
    tag(doc, "set family = recipient.kind == 'family'")
    contact_by(doc)
    para(doc, "{{ recipient.salutation }}")
    para(doc, "I write to confirm that {{ case.team }} have now concluded their "
              "{{ closure.concluded }} with {{ 'you' if family else children_names ~ ' and their "
              "family' }}.")
    tag(doc, "if family")
    para(doc, "Thank you for working with us during our involvement.")
    tag(doc, "else")
    para(doc, "Thank you for your assistance and support during our involvement.")
    tag(doc, "endif")
    tag(doc, "if closure.outcome == 'support_plan'")
    para(doc, "I enclose the notes of the last {{ authority.terms.meeting }} and the "
              "{{ authority.terms.plan }}. They set out what support is still available to "
              "{{ 'you' if family else 'the children and family' }}.")
    tag(doc, "else")
    para(doc, "I confirm that the conclusion of the {{ closure.conclusion_of_label }} was that no "
              "further action is required from us at this time.")
    tag(doc, "endif")
    tag(doc, "if family and closure.enclose_assessment")
    para(doc, "I enclose a copy of the analysis and conclusion of the "
              "{{ closure.conclusion_of_label }}. If you would like a copy of the full assessment, "
              "please contact us by {{ reply_by }}.")
    tag(doc, "endif")
    para(doc, "If you would like more information about this, please contact us by {{ reply_by }}. "
              "That is within 5 working days. We will share any information we are able to.")
    para(doc, "{% if call_on and write_to %}You can call {{ call_on }} or email {{ write_to }}."
              "{% elif call_on %}You can call {{ call_on }}.{% elif write_to %}You can email "
              "{{ write_to }}.{% else %}You can write to {{ sender.name }} at the address above."
              "{% endif %}")
    tag(doc, "if family and authority.support_after_closure")
    para(doc, "If things change and you need support in the future, you can contact "
              "{{ authority.support_after_closure }}.")
    tag(doc, "endif")
    sign_off(doc)
    return doc


# -- Equality Impact Tool ----------------------------------------------------------------------
def equality_impact():
    doc = new_document("Equality Impact Tool")
    form_head(doc, "Equality Impact Tool")
    details(doc, [
        ("Case reference", "{{ case.reference }}"),
        ("Child or children", CHILDREN_WITH_DOB),
        ("Completed by", "{{ lead.name if lead else '' }}"),
        ("Date", "{{ issue_date }}"),
    ])
    para(doc)
    para(doc, "Consider all areas where the child or their family may be disadvantaged or made "
              "more vulnerable. RECORD how this affects the child's lived experience and adds to "
              "risk factors. IDENTIFY what supports or services need to be in place to mitigate "
              "against any risks or address need.")
    t = table(doc, [32, 74, 74], [
        "Area", "How this affects the child's lived experience and adds to risk factors",
        "Supports or services needed to mitigate the risks or address the need",
    ])
    for code, label in codes.EQUALITY_AREAS.items():
        each = f"for f in equality.factors if f.area == '{code}'"
        effect = f"{{% {each} %}}{{{{ f.effect }}}}{{% if not loop.last %}}\n{{% endif %}}{{% else %}}No factor recorded.{{% endfor %}}"
        support = f"{{% {each} %}}{{{{ f.support if f.support else '' }}}}{{% if not loop.last %}}\n{{% endif %}}{{% endfor %}}"
        add_row(t, [label, effect, support], bold_first=True)
    heading(doc, "Remember")
    for text in (
        "This is about the child's lived experience.",
        "Consider the needs of parents and carers to enable them to care safely.",
        "The child needs to be empowered and supported to overcome any factor leading to "
        "disadvantage or risk.",
    ):
        bullet(doc, text)
    heading(doc, "Strengths: recognise, nurture, develop, support")
    para(doc, "{{ equality.strengths if equality.strengths else 'None recorded.' }}")
    heading(doc, "Plan: consistency for the child")
    para(doc, "{{ equality.plan if equality.plan else 'None recorded.' }}")
    return doc


# -- Risk Management Tool ----------------------------------------------------------------------
def risk_management():
    doc = new_document("Risk Management Tool")
    form_head(doc, "Risk Management Tool",
              "To use in case recording, assessment, planning, reviewing and supervision")
    details(doc, [
        ("Case reference", "{{ case.reference }}"),
        ("Child or children", CHILDREN_WITH_DOB),
        ("Type of plan", "{{ case.plan_type_label }}"),
        ("Completed by", "{{ lead.name if lead else '' }}"),
        ("Date", "{{ issue_date }}"),
    ])
    for title, items in (
        ("Risk factors", "risk.risk_factors"),
        ("Protective factors", "risk.protective_factors"),
    ):
        heading(doc, title)
        bullets(doc, items, empty="None recorded.")
    heading(doc, "Level of risk of harm to the child, and its impact")
    para(doc, "Level of risk: {{ risk.level_of_harm|capitalize if risk.level_of_harm else 'Not assessed' }}",
         bold=True)
    para(doc, optional("risk.impact"))
    heading(doc, "Measures to manage and reduce risk and increase the safety network")
    bullets(doc, "risk.measures", empty="None recorded.")
    heading(doc, "Level of risk even if all measures are put in place")
    para(doc, "{{ risk.residual_risk|capitalize if risk.residual_risk else 'Not assessed' }}", bold=True)
    heading(doc, "Actions to review risk")
    bullets(doc, "risk.review_actions", empty="None recorded.")
    heading(doc, "Contingency measures")
    bullets(doc, "risk.contingency", empty="None recorded.")
    heading(doc, "If risks increase, who to contact")
    para(doc, "{{ risk.contact_if_risk_increases if risk.contact_if_risk_increases else '' }}")
    para(doc, "{% if lead %}{{ authority.terms.lead }}: {{ lead.name }}"
              "{% if lead.phone or authority.phone %}, {{ lead.phone or authority.phone }}{% endif %}"
              "{% endif %}")
    heading(doc, "How this record is used")
    for text in (
        "Risk assessment informs the plan.",
        "The plan is discussed with the child or young person and the parents.",
        "Circulate the plan: agencies only know what to do if we communicate it. This is shared "
        "accountability.",
        "Review: monitor progress and risks with everyone involved.",
        "Risks increase? Identify who to contact.",
    ):
        bullet(doc, text)
    return doc


# -- Feedback Sheet ----------------------------------------------------------------------------
YES_NO_QUESTIONS = (
    "Were the aims and reasons for the work made clear to you?",
    "Was the role of the worker made clear to you?",
    "Were you able to talk about the things important to you?",
    "Were you given regular feedback by the worker?",
    "Were you included in making decisions?",
)
RATED = (
    "Approachability of social worker",
    "Reliability of social worker",
    "Accuracy of the assessments and information shared",
    "Sensitivity to your cultural and religious needs",
    "Sensitivity and understanding to the individual needs of the children",
)
HELPFULNESS = ("Very unhelpful", "Unhelpful", "No difference", "Helpful", "Very helpful")


def feedback_sheet():
    doc = new_document("Feedback Sheet")
    form_head(doc, "Feedback Sheet")
    para(doc, "This feedback sheet is your opportunity to tell us what was helpful and what was "
              "unhelpful to you. Your comments and ideas will help us to make the service better "
              "and more useful to other families. Thank you for your time.")
    details(doc, [
        ("Family", "{{ children|map(attribute='last_name')|unique|join(' and ') }} family"),
        ("Name", "{{ family_members|selectattr('parental_responsibility')|map(attribute='name')|list|names }}"),
        ("Date", "{{ issue_date }}"),
    ])
    para(doc)
    t = table(doc, [150, 15, 15], ["Please tick one box for each question.", "Yes", "No"])
    for question in YES_NO_QUESTIONS:
        add_row(t, [question, BOX, BOX])
    para(doc)
    para(doc, "How would you rate the following? Please tick one box in each row, from 1 (poor) "
              "to 5 (excellent).")
    # 23 mm columns hold "Excellent" in 12 pt bold on one line, not broken as "Excell/ent".
    t = table(doc, [65, 23, 23, 23, 23, 23], ["", "1 Poor", "2", "3", "4", "5 Excellent"])
    for item in RATED + ("If you had supervised contact: the arrangements for contact",):
        add_row(t, [item] + [BOX] * 5)
    para(doc)
    para(doc, "How helpful has this service been to your family? Please tick one.")
    t = table(doc, [36] * 5)
    add_row(t, [f"{BOX} {label}" for label in HELPFULNESS])
    para(doc)
    for question in ("What was most helpful? What was least helpful?", "How could the service be improved?"):
        t = table(doc, [180], [question])
        add_row(t, [""], height_mm=40)
        para(doc)
    para(doc, "Please return this sheet to {{ lead.name }} at {{ case.team }}, "
              "{{ authority.address|join(', ') }}, {{ authority.postcode }}."
              "{% if lead.email or authority.email %} You can also email it to "
              "{{ lead.email or authority.email }}.{% endif %}")
    return doc


BUILDERS = {
    "assessment-agreement": assessment_agreement,
    "prompt-sheet": prompt_sheet,
    "information-request": information_request,
    "meeting-invitation-list": meeting_invitation_list,
    "co-working-agreement": co_working_agreement,
    "family-meeting-agreement": family_meeting_agreement,
    "outcome-letter": outcome_letter,
    "equality-impact": equality_impact,
    "risk-management": risk_management,
    "feedback-sheet": feedback_sheet,
}


def all_builders() -> dict[tuple[str, str], object]:
    """(folder, document id) -> a function returning the document."""
    found = {("default", doc_id): build for doc_id, build in BUILDERS.items()}
    found.update(PLAN_BUILDERS)
    found.update(MORE_BUILDERS)
    return found


def main(argv: list[str]) -> int:
    """Build the templates asked for (all by default); exit 1 when one was refused."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("doc_ids", nargs="*", help="documents to build (default: all)")
    parser.add_argument("--templates", type=Path, default=ROOT, help="the templates folder")
    parser.add_argument("--force", action="store_true",
                        help="overwrite templates edited since this script built them")
    args = parser.parse_args(argv)
    record = BuildRecord(args.templates)
    refused = 0
    for (folder, doc_id), build in all_builders().items():
        if args.doc_ids and doc_id not in args.doc_ids:
            continue
        name = f"{folder}/{doc_id}.docx"
        content = lean_bytes(build())
        try:
            record.write(name, content, force=args.force)
        except HandEdited as e:
            print(f"Error: {e}", file=sys.stderr)
            refused += 1
            continue
        print(f"{args.templates.name}/{name}  {len(content) / 1024:.1f} KB")
    record.save()
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
