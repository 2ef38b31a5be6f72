"""The family plan, the review of the plan and the closure summary, with authority variants.

Sources: South Gloucestershire's Team Around the Family pages (seed 000: the action plan, reviews
and closures go to ART), Worcestershire Early Help (001: SMART actions, three progress outcomes,
five decisions, the closing summary to the Early Help Assessment Portal), the EHM borough (002:
reasons to close, the final summary), Worcestershire's Children in Need leaflet (003) and
Derbyshire's Plan, Do, Review (004: the Single Plan, 6-weekly reviews, the 12-month formal review).

Each builder takes the folder it builds for ("default" or an authority's slug); the shared parts
are written once and the authority's own process is added where it differs. Contact details and
terms come from the authority's profile (``authority.*``), not from the template: the plan's
name and meeting (``authority.terms``, worded for the case's plan type), where it is sent, and
the decisions a review offers (``authority.decisions``). An authority's own template words its
process for every plan type it may be used for, not only the one its seed describes.
"""

from __future__ import annotations

from docgen.bundle import codes
from template_kit import (
    add_row,
    boxed,
    bullet,
    bullets,
    details,
    heading,
    loop_rows,
    new_document,
    optional,
    para,
    signature_lines,
    table,
    tag,
)

DEFAULT, SOUTH_GLOS, DERBYSHIRE, WORCESTERSHIRE = (
    "default", "south-gloucestershire", "derbyshire", "worcestershire",
)
EARLY_HELP = "set early_help = case.plan_type.startswith('early_help')"
LEAD = "{{ authority.terms.lead }}"
CHILDREN_WITH_DOB = (
    "{% for c in children %}{{ c.name }}, born {{ c.date_of_birth }}"
    "{% if not loop.last %}\n{% endif %}{% endfor %}"
)
LEAD_DETAILS = (
    "{{ lead.name }}, {{ lead.role }}, {{ lead.agency }}"
    "{% if lead.phone %}\nTelephone: {{ lead.phone }}{% endif %}"
    "{% if lead.email %}\nEmail: {{ lead.email }}{% endif %}"
)


def _head(doc, title: str, subtitle: str | None = None) -> None:
    para(doc, "{{ authority.name }}  |  {{ authority.service }}", size=10)
    heading(doc, title, 1)
    if subtitle:
        para(doc, subtitle, bold=True)


def _agreed_by(doc) -> None:
    heading(doc, "Agreed by")
    t = table(doc, [50, 50, 50, 30], ["Name", "Role", "Signature", "Date"])
    loop_rows(t, "for m in family_members if m.parental_responsibility",
              ["{{ m.name }}", "{{ m.relationship }}", "", ""], height_mm=11)
    add_row(t, ["{{ lead.name }}", LEAD, "", ""], height_mm=11)


# -- the plan ----------------------------------------------------------------------------------
PLAN_NAME = "{{ authority.terms.plan }}"


def family_plan(folder: str = DEFAULT):
    doc = new_document("Family Plan")
    tag(doc, EARLY_HELP)
    tag(doc, "set one = children|length == 1")
    _head(doc, PLAN_NAME)
    rows = [
        ("Case reference", "{{ case.reference }}"),
        ("Child or children", CHILDREN_WITH_DOB),
        ("Level of need" if folder == DERBYSHIRE else "Type of plan", "{{ case.plan_type_label }}"),
        ("Plan started", "{{ plan.started if plan.started else issue_date }}"),
        (LEAD, LEAD_DETAILS),
        ("Visits", "{{ plan.visit_frequency if plan.visit_frequency else 'To be agreed' }}"),
        ("Next review", "{{ plan.next_review if plan.next_review else 'To be agreed' }}"),
    ]
    details(doc, rows)
    if folder == DERBYSHIRE:
        para(doc)
        para(doc, "Derbyshire uses one Single Plan for four levels of need. They are Early Help "
                  "Single Focus, Early Help Team Around the Family (TAF), Child in Need and Child "
                  "Protection.")
    if folder == SOUTH_GLOS:  # 000 describes the early help action plan only
        tag(doc, "if early_help")
        para(doc)
        para(doc, "This action plan sets out how everyone will work together to support a change. "
                  "The change will benefit the children and parents or carers, as a family.")
        tag(doc, "endif")

    heading(doc, "What is important to {{ children_names }} and the family")
    bullets(doc, "plan.what_is_important", empty="Not recorded yet.")
    heading(doc, "What everyone agrees they would like to see change")
    bullets(doc, "plan.what_should_change", empty="Not recorded yet.")
    heading(doc, "How {{ \"the child's\" if one else \"the children's\" }} views shaped this plan"
            if folder == DERBYSHIRE else "What {{ children_names }} told us")
    para(doc, optional("plan.child_views"))
    tag(doc, "for c in children if c.views")
    para(doc, "{{ c.views }}")
    tag(doc, "endfor")
    heading(doc, "The outcomes we are working towards")
    bullets(doc, "plan.outcomes", item="{{ item.description }}", empty="Not agreed yet.")

    heading(doc, {
        SOUTH_GLOS: "How the support will be put in place, and by whom",
        WORCESTERSHIRE: "{{ 'SMART actions' if early_help else 'Actions' }}: who will do what, and by when",
    }.get(folder, "Actions: who will do what, and by when"))
    t = table(doc, [65, 38, 30, 47], ["What will be done", "Who", "By when", "Outcome"])
    loop_rows(t, "for a in plan.actions", [
        "{{ a.what }}",
        "{{ a.who.name if a.who else 'To be agreed' }}",
        "{{ a.by if a.by else 'To be agreed' }}",
        "{{ a.outcome.description if a.outcome else '' }}",
    ], empty="No actions are agreed yet.")

    heading(doc, "What might happen if the plan is not followed" if folder == DERBYSHIRE
            else "If the plan is not followed, or things change")
    para(doc, "{{ plan.contingency if plan.contingency else 'Not agreed yet.' }}")
    _child_in_need_parts(doc)

    heading(doc, "The " + LEAD)
    para(doc, "{{ lead.name }} is the " + LEAD + ". They make sure the plan happens and keep "
              "everyone informed.")
    para(doc, "{% if plan.visit_frequency %}How often they visit: {{ plan.visit_frequency }}.{% endif %}")
    if folder == WORCESTERSHIRE:
        tag(doc, "if not early_help")
        para(doc, "Everyone in this plan is the {{ authority.terms.team_around_long }} "
                  "({{ authority.terms.team_around }}).")
        tag(doc, "endif")
    para(doc, "Everyone in the plan is responsible for carrying out the actions they agreed to.")

    heading(doc, "Reviewing the plan")
    _plan_reviews(doc, folder)
    heading(doc, "Who sees this plan")
    _plan_sharing(doc, folder)
    _agreed_by(doc)
    return doc


def _child_in_need_parts(doc) -> None:
    """What a Child in Need or Child Protection plan must make clear (003 section 4, 004)."""
    tag(doc, "if case.plan_type in ('child_in_need', 'child_protection')")
    heading(doc, "{{ \"The child's\" if one else \"Each child's\" }} developmental needs")
    t = table(doc, [40, 80, 60], ["Child", "What they need", "Services"])
    loop_rows(t, "for n in plan.developmental_needs",
              ["{{ n.child.name }}", "{{ n.needs }}", optional("n.services")], empty="Not recorded yet.")
    heading(doc, "Who has contact, and how often")
    t = table(doc, [45, 40, 35, 60], ["Who", "Role", "How often", "What for"])
    loop_rows(t, "for c in plan.contact", [
        "{{ c.person.name }}",
        "{{ c.person.role if c.person.group == 'professional' else c.person.relationship }}",
        "{{ c.frequency }}",
        optional("c.purpose"),
    ], empty="Not agreed yet.")
    heading(doc, "What can change and what cannot")
    para(doc, "These parts of the plan can change as we learn what works:", after=2)
    bullets(doc, "plan.negotiable", empty="Not agreed yet.")
    para(doc, "These parts of the plan cannot change:", after=2)
    bullets(doc, "plan.non_negotiable", empty="Not agreed yet.")
    heading(doc, "What is not acceptable care")
    bullets(doc, "plan.unacceptable_care", empty="Not agreed yet.")
    heading(doc, "If {{ children_names }} {{ 'is' if one else 'are' }} at risk of significant harm again")
    para(doc, "{{ plan.renewed_risk if plan.renewed_risk else 'Not agreed yet.' }}")
    heading(doc, "How we will judge progress")
    bullets(doc, "plan.progress_measures", empty="Not agreed yet.")
    tag(doc, "if plan.child_wishes_followed is sameas false")
    heading(doc, "Why this plan does not do what {{ children_names }} wanted")
    para(doc, "{{ plan.child_wishes_not_followed_because if plan.child_wishes_not_followed_because "
              "else 'Not recorded yet.' }}")
    tag(doc, "endif")
    tag(doc, "endif")


def _plan_reviews(doc, folder: str) -> None:
    # Only dates still to come, so the body agrees with the "Next review" row above it.
    para(doc, "{% if plan.upcoming_reviews %}We will review the plan together on "
              "{{ plan.upcoming_reviews|names }}.{% else %}We will agree a review date.{% endif %}")
    if folder == SOUTH_GLOS:
        para(doc, "We will review the plan with the family regularly to check that it is working. "
                  "We will look at whether it has made any difference and has been helpful.")
        para(doc, "We will also ask whether anything else needs to change.")
    elif folder == DERBYSHIRE:
        # 004's 6-weekly reviews are for its four levels of need; a looked after child's care
        # plan has its statutory reviews; a plan for long-term disability support is 12-monthly.
        tag(doc, "if case.plan_type == 'looked_after'")
        para(doc, "The care plan is reviewed at each {{ authority.terms.meeting }}, within the "
                  "statutory timescales.")
        tag(doc, "elif plan.long_term_disability_support")
        para(doc, "This plan is for longer-term support with disability services. It is reviewed "
                  "at least every 12 months. The " + LEAD + " records each review.")
        tag(doc, "else")
        para(doc, "Plans are reviewed every 6 weeks, usually at a {{ authority.terms.meeting }}. "
                  "The " + LEAD + " records each review.")
        tag(doc, "endif")
        tag(doc, "if case.plan_type == 'child_in_need'")
        para(doc, "If a child is on a Child in Need plan for 12 months, a formal multi-agency "
                  "review is held. A Team Manager chairs it.")
        para(doc, "Formal reviews are then no more than 12 months apart. The 6-weekly reviews by "
                  "the " + LEAD + " continue in between.")
        tag(doc, "endif")
    elif folder == WORCESTERSHIRE:
        tag(doc, "if early_help")
        para(doc, "The Team Around the Family (TAF) reviews the plan every 6 to 12 weeks, at a "
                  "meeting or by telephone. The " + LEAD + " leads the review.")
        tag(doc, "elif case.plan_type == 'child_in_need'")
        para(doc, "The plan is reviewed at least every 6 months. The "
                  "{{ authority.terms.team_around }} meets as often as this plan says.")
        para(doc, "An urgent review is held if the risks in the contingency plan happen.")
        tag(doc, "else")
        # 003: a core group or a Looked After Child Review is already a TACiN meeting.
        para(doc, "The plan is reviewed at each {{ authority.terms.meeting }}, within the statutory "
                  "timescales. These are {{ authority.terms.team_around }} meetings too.")
        para(doc, "An urgent review is held if the risks in the contingency plan happen.")
        tag(doc, "endif")
    else:
        para(doc, "The " + LEAD + " leads each review, with the family and everyone in the plan.")


def _plan_sharing(doc, folder: str) -> None:
    if folder == WORCESTERSHIRE:
        para(doc, "This plan is shared with {{ children_names }}, the family and the practitioners "
                  "working with them.")
        tag(doc, "if early_help")
        para(doc, "It is submitted to {{ authority.submit_plans_to }}.")
        tag(doc, "endif")
        return
    para(doc, "This plan is shared with {{ children_names }}, the family and the professionals "
              "working with them.")
    if folder == SOUTH_GLOS:
        tag(doc, "if authority.submit_plans_to")
        para(doc, "The " + PLAN_NAME + " and the notes of the meeting are submitted to "
                  "{{ authority.submit_plans_to }}.")
        tag(doc, "endif")
    else:
        para(doc, "{% if authority.submit_plans_to %}It is submitted to "
                  "{{ authority.submit_plans_to }}.{% endif %}")


# -- the review --------------------------------------------------------------------------------
def plan_review(folder: str = DEFAULT):
    doc = new_document("Review of the Plan")
    tag(doc, EARLY_HELP)
    _head(doc, "Review of the " + PLAN_NAME)
    details(doc, [
        ("Case reference", "{{ case.reference }}"),
        ("Child or children", CHILDREN_WITH_DOB),
        ("Type of plan", "{{ case.plan_type_label }}"),
        ("Plan started", "{{ plan.started if plan and plan.started else 'Not recorded' }}"),
        ("Date of review", "{{ review.date }} (review {{ reviews|length }})"),
        ("Led by", "{{ lead.name }}, " + LEAD),
    ])
    _formal_review(doc, folder)
    heading(doc, "Progress since the plan started" if folder != SOUTH_GLOS
            else "Has the plan made any difference?")
    if folder == WORCESTERSHIRE:
        for code, label in codes.PROGRESS.items():
            para(doc, f"{boxed(f'review.progress == {code!r}')}  {label}", after=2, indent_mm=5)
    else:
        para(doc, "{{ review.progress_label }}", bold=True)
    heading(doc, "What has worked well" if folder != SOUTH_GLOS else "What has been helpful?")
    para(doc, "{{ review.what_worked if review.what_worked else 'Not recorded.' }}")
    heading(doc, "What has not been achieved" if folder != SOUTH_GLOS
            else "Does anything else need to change?")
    para(doc, "{{ review.not_achieved if review.not_achieved else 'Not recorded.' }}")
    heading(doc, "What {{ children_names }} said")
    para(doc, "{{ review.child_views if review.child_views else 'Not recorded.' }}")
    heading(doc, "What the family said")
    para(doc, "{{ review.family_views if review.family_views else 'Not recorded.' }}")
    heading(doc, "Decision")
    _review_decision(doc, folder)
    para(doc, optional("review.decision_notes"))
    if folder == DERBYSHIRE:
        _derbyshire_records(doc)
    tag(doc, "if plan and plan.actions")
    heading(doc, "The actions in the plan")
    t = table(doc, [85, 40, 30, 25], ["What will be done", "Who", "By when", "Status"])
    loop_rows(t, "for a in plan.actions", [
        "{{ a.what }}",
        "{{ a.who.name if a.who else 'To be agreed' }}",
        "{{ a.by if a.by else 'To be agreed' }}",
        "{{ a.status|replace('_', ' ')|capitalize if a.status else '' }}",
    ])
    tag(doc, "endif")
    heading(doc, "Next review")
    para(doc, "{% if review.next_review %}The next review is on {{ review.next_review }}."
              "{% else %}No further review is planned.{% endif %}")
    _review_process(doc, folder)
    return doc


def _formal_review(doc, folder: str) -> None:
    """A formal review says so, and who chaired it (004: Derbyshire's 12-month Child in Need review)."""
    tag(doc, "if review.formal")
    para(doc)
    para(doc, "This is a formal multi-agency review{% if review.chair %}, chaired by "
              "{{ review.chair.name }}, {{ review.chair.role }}{% endif %}.", bold=True)
    if folder == DERBYSHIRE:
        para(doc, "A child on a Child in Need plan for 12 months has a formal review chaired by a "
                  "Team Manager. The next formal review is no more than 12 months later.")
    tag(doc, "endif")


def _review_decision(doc, folder: str) -> None:
    if folder == DERBYSHIRE:
        _derbyshire_outcomes(doc)
        return
    # The decisions the authority offers at a review of this plan type, each its own box.
    tag(doc, "for decision in authority.decisions")
    para(doc, f"{boxed('review.decision == decision.code')}  {{{{ decision.label }}}}",
         after=2, indent_mm=5)
    tag(doc, "endfor")


# Derbyshire's three outcomes of a review (004 section 7), each shown when the profile offers it
# for this plan type; the third records where the plan was stepped up or down to.
DERBYSHIRE_OUTCOMES = (
    ("'close'", "The child no longer needs support from Children's Services, and the case is "
     "recommended for closure. Other agencies may still give universal or early help support."),
    ("'continue'", "The child still needs the same level of services. They continue, and the plan "
     "is amended if needed."),
    ("'step_up', 'step_down'", "Things have improved or got worse, so the threshold of need has "
     "changed. The plan is stepped up or down."),
)


def _derbyshire_outcomes(doc) -> None:
    tag(doc, "set offered = authority.decisions|map(attribute='code')|list")
    for codes_, text in DERBYSHIRE_OUTCOMES:
        tag(doc, f"if [{codes_}]|select('in', offered)|list")
        para(doc, f"{boxed(f'review.decision in [{codes_}]')}  {text}", after=4, indent_mm=5)
        tag(doc, "endif")
    tag(doc, "if review.decision in ['step_up', 'step_down']")
    para(doc, "Stepped {{ 'up' if review.decision == 'step_up' else 'down' }} to: "
              "{{ review.new_level_label if review.new_level_label else 'the new level is not recorded' }}.",
         bold=True, indent_mm=5)
    tag(doc, "endif")


def _derbyshire_records(doc) -> None:
    """What 004 asks a Derbyshire review to record besides its outcome."""
    heading(doc, "Significant harm")
    tag(doc, "if review.significant_harm_concern")
    para(doc, "There is a concern that the child may be suffering, or be likely to suffer, "
              "significant harm. A Strategy Discussion decides if section 47 enquiries are needed.")
    para(doc, "{% if review.strategy_discussion %}Strategy Discussion held on "
              "{{ review.strategy_discussion }}.{% else %}The Strategy Discussion is not recorded yet."
              "{% endif %}", bold=True)
    tag(doc, "elif review.significant_harm_concern is sameas false")
    para(doc, "No concern of significant harm was raised at this review.")
    tag(doc, "else")
    para(doc, "Not recorded.")
    tag(doc, "endif")
    heading(doc, "Management oversight")
    para(doc, "{% if review.management_oversight %}Overseen in supervision by "
              "{{ review.management_oversight.by.name }} on {{ review.management_oversight.date }}."
              "{% else %}Not recorded yet. A manager checks every plan in supervision."
              "{% endif %}")
    para(doc, "{{ review.management_oversight.notes if review.management_oversight and "
              "review.management_oversight.notes else '' }}")


def _review_process(doc, folder: str) -> None:
    heading(doc, "Who sees this review")
    if folder == SOUTH_GLOS:
        para(doc, "This review is shared with the family and everyone working with them.")
        tag(doc, "if authority.submit_plans_to")
        para(doc, "The review of progress is submitted to {{ authority.submit_plans_to }}.")
        tag(doc, "endif")
        tag(doc, "if review.progress == 'positive_change'")
        para(doc, "As the plan is making a difference, we may start to phase out some support. "
                  "This will help the family become more independent.")
        tag(doc, "endif")
    elif folder == DERBYSHIRE:
        para(doc, "The decisions are recorded on the child's record, with the reasons and the date.")
        para(doc, "They are sent to the child (if old enough), the parents and everyone who took "
                  "part in the review.")
    elif folder == WORCESTERSHIRE:
        para(doc, "This review is shared with the family and everyone who works with them.")
        para(doc, "If the plan is not making progress, we will update the assessment and make a "
                  "new plan. We will think about who else should be involved.")
        para(doc, "A review can be brought forward if the plan is not working or the needs grow.")
    else:
        para(doc, "This review is shared with the family and everyone who works with them.")


# -- the closure -------------------------------------------------------------------------------
def closure_summary(folder: str = DEFAULT):
    titles = {
        DEFAULT: "Closure Summary",
        # Spelt out, not early_help: the title is the footer's too, where the body's set is not seen.
        SOUTH_GLOS: "{% if case.plan_type.startswith('early_help') %}Closing the Single Assessment for Early Help and the "
                    + PLAN_NAME + "{% else %}Closure Summary{% endif %}",
        WORCESTERSHIRE: "Closing Summary",
    }
    doc = new_document("Closure Summary")
    tag(doc, EARLY_HELP)
    _head(doc, titles[folder])
    details(doc, [
        ("Case reference", "{{ case.reference }}"),
        ("Child or children", CHILDREN_WITH_DOB),
        ("Type of plan", "{{ case.plan_type_label }}"),
        ("Date closed", "{{ closure.date }}"),
        (LEAD, "{{ lead.name }}, {{ lead.role }}"),
        ("Manager", "{{ manager.name if manager else '' }}"),
    ])
    heading(doc, "Why the plan is closing")
    para(doc, "{{ closure.reason_label }}.")
    tag(doc, "if closure.new_authority")
    para(doc, "They have moved to the area of {{ closure.new_authority }}.")
    tag(doc, "endif")
    heading(doc, "Final summary")
    para(doc, "{{ closure.final_summary if closure.final_summary else 'Not recorded.' }}")
    heading(doc, "What happens next")
    tag(doc, "if closure.outcome == 'support_plan'")
    para(doc, "Some support is still available. The family has the notes of the last "
              "{{ authority.terms.meeting }} and the " + PLAN_NAME + ".")
    tag(doc, "else")
    para(doc, "No further action is required from us at this time.")
    tag(doc, "endif")
    heading(doc, "Ongoing actions")
    t = table(doc, [100, 45, 35], ["What", "Who", "By when"])
    loop_rows(t, "for a in closure.ongoing_actions", [
        "{{ a.what }}", "{{ a.who.name if a.who else '' }}", "{{ a.by if a.by else '' }}",
    ], empty="There are no ongoing actions.")
    heading(doc, "Where to get support")
    para(doc, "{% if authority.support_after_closure %}If things change, the family can get "
              "support from {{ authority.support_after_closure }}.{% endif %}")
    bullets(doc, "closure.signposting")
    _closure_process(doc, folder)
    heading(doc, "Signed")
    para(doc, "{{ lead.name }}, " + LEAD, after=2)
    signature_lines(doc)
    para(doc, "{{ manager.name ~ ', ' ~ manager.role if manager else 'Manager' }}", after=2)
    signature_lines(doc)
    return doc


def _closure_process(doc, folder: str) -> None:
    heading(doc, "Where this summary goes")
    if folder == SOUTH_GLOS:
        para(doc, "Everyone agreed that the plan can close.{% if authority.submit_closures_to %} The "
                  "decision to close is submitted to {{ authority.submit_closures_to }}.{% endif %}")
        tag(doc, "if early_help")
        para(doc, "The single assessment for early help can be re-opened if needs increase again "
                  "in the future.")
        tag(doc, "endif")
    elif folder == WORCESTERSHIRE:
        tag(doc, "if early_help")
        para(doc, "The child or young person, the family and the Team Around the Family (TAF) "
                  "agree that the needs have been met. Everyone involved is told the plan has ended.")
        para(doc, "This closing summary is submitted to {{ authority.submit_closures_to }}. The "
                  + LEAD + " keeps a copy for their records.")
        tag(doc, "else")
        para(doc, "Only the Team Manager, or a Consultant Social Worker with their agreement, can "
                  "decide to end our involvement.")
        para(doc, "We tell the people with parental responsibility, the carer and the child if old "
                  "enough. We also tell the agencies involved and any new agencies in a step-down plan.")
        tag(doc, "endif")
    else:
        para(doc, "A final copy of the plan is given to the family.{% if authority.submit_closures_to %} "
                  "This summary is submitted to {{ authority.submit_closures_to }}.{% endif %}")
        para(doc, "The " + LEAD + " makes sure their manager closes the case.")


PLAN_BUILDERS = {
    **{(folder, "family-plan"): (lambda f=folder: family_plan(f))
       for folder in (DEFAULT, SOUTH_GLOS, DERBYSHIRE, WORCESTERSHIRE)},
    **{(folder, "plan-review"): (lambda f=folder: plan_review(f))
       for folder in (DEFAULT, SOUTH_GLOS, DERBYSHIRE, WORCESTERSHIRE)},
    **{(folder, "closure-summary"): (lambda f=folder: closure_summary(f))
       for folder in (DEFAULT, SOUTH_GLOS, WORCESTERSHIRE)},
}
