"""The words of the forms that come back, as the source documents write them.

The statements people sign are printed word for word, in the blank PDF forms and in the filled
Word documents alike (``tools/build_templates.py`` draws its templates' statements from here).
A filled document only resolves the alternatives the source leaves to whoever fills the form in:
see ``resolve_alternatives``. An authority with its own approved wording replaces them in its
own template (``templates/<slug>/<doc-id>.docx``).

Source: Worcestershire Children's Services, Children in Need (leaflet B/1), appendices
"Standard Agreement for Assessment", "Meeting Invitation List", "Agreement for Family Meeting"
and "Feedback Sheet" (shared/seeds/003_27eb282bd0029f89.txt). The builder draws these words and
the feedback report labels its counts with them, so both read the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable

SERVICE = "Children's Services"

# -- Feedback Sheet -----------------------------------------------------------------------------
FEEDBACK_TITLE = "Feedback Sheet"
FEEDBACK_INTRO = (
    "This feedback sheet is your opportunity to tell us what was helpful and what was unhelpful "
    "to you. Your comments and ideas will help us to make the service better and more useful to "
    "other families. Thank you for your time."
)
# field name -> question; each is answered Yes or No.
YES_NO_QUESTIONS = {
    "aims_clear": "Were the aims and reasons for the work made clear to you?",
    "worker_role_clear": "Was the role of the worker made clear to you?",
    "talk_about_important": "Were you able to talk about the things important to you?",
    "regular_feedback": "Were you given regular feedback by the worker?",
    "included_in_decisions": "Were you included in making decisions?",
}
YES_NO = {"yes": "Yes", "no": "No"}

RATINGS_QUESTION = "How would you rate the following?"
RATING_ENDS = ("Poor", "Excellent")
RATING_SCALE = ("1", "2", "3", "4", "5")
# field name -> what is rated from 1 (poor) to 5 (excellent).
RATINGS = {
    "rating_approachability": "Approachability of social worker",
    "rating_reliability": "Reliability of social worker",
    "rating_accuracy": "Accuracy of the assessments and information shared",
    "rating_cultural_religious": "Sensitivity to your cultural & religious needs",
    "rating_children_needs": "Sensitivity and understanding to the individual needs of the children",
}

HELPFULNESS_FIELD = "helpfulness"
HELPFULNESS_QUESTION = "How helpful has this service been to your family?"
HELPFULNESS_PROMPT = "Please circle the relevant statement."
HELPFULNESS = {
    "very_unhelpful": "Very unhelpful",
    "unhelpful": "Unhelpful",
    "no_difference": "No difference",
    "helpful": "Helpful",
    "very_helpful": "Very helpful",
}

COMMENTS = {
    "most_least_helpful": "What was most/least helpful?",
    "improvements": "How could the service be improved?",
}

# -- Agreement for Family Meeting ---------------------------------------------------------------
FAMILY_MEETING_TITLE = "Agreement for Family Meeting"
FAMILY_MEETING_STATEMENTS = (
    "I agree to keep the welfare and safety of (name of child/ren) as our priority at this Meeting",
    "I understand that the purpose of this Meeting is to consider a plan that will meet the needs "
    "of (name of child/ren) and keep them safe",
    "I agree to give everyone at the Meeting a fair hearing without acting in a way that might "
    "threaten or intimidate anyone else in the Meeting",
    "I understand that I can ask at any time for something to be explained or for 'time out' if needed",
    "Family and friends agree to keep information shared at the meeting confidential to those "
    "family and friends who attend the meeting unless we agree in the plan to share any part with "
    "another family member",
    "Professionals agree only to share information from this Meeting when it is relevant to making "
    "sure the child's welfare needs are met and they are kept safe",
)

# -- Standard Agreement for Assessment ----------------------------------------------------------
ASSESSMENT_TITLE = "Standard Agreement for Assessment"
ASSESSMENT_LEAFLET_INTRO = (
    "I have been given a copy of the leaflet explaining the assessment being completed about my "
    "child(ren)/me."
)
ASSESSMENT_LEAFLETS_HEADING = "Leaflets to be given include:"
# field name -> leaflet, in the source's order; the keys after "leaflet_" are the bundle's codes.
ASSESSMENT_LEAFLETS = {
    "leaflet_child_in_need": "Child in Need – Initial/Core",
    "leaflet_section_47": "S.47 enquiries/CP Plan",
    "leaflet_looked_after": "LAC Plan",
    "leaflet_relative_friend_carers": "Relative/Friend Carers",
}
ASSESSMENT_STATEMENTS = (
    "I understand the reason for the assessment and how it will take place.",
    "I understand that my child(ren) needs to be seen alone as part of the assessment unless it is "
    "felt they are too young for this to be possible.",
    "I understand that other people who are working with me/my child(ren) will be contacted as part "
    "of this assessment.",
    "I understand that this is necessary to make sure all the relevant information known about me "
    "and my child(ren) is included so that my child(ren)'s needs can be met.",
    "I understand that my views and those of my child(ren) will be included in the assessment, and "
    "those of other relevant people in my family.",
    "I understand that I will be given a copy of the conclusion of my assessment and that I can have "
    "a copy of the full assessment on request.",
    "I understand that any information shared as part of this assessment will remain confidential "
    "to those people who need to know and that sensitive information as agreed will not be shared "
    "with others that places my child(ren) or me at risk of harm.",
)

# -- Meeting Invitation List --------------------------------------------------------------------
INVITATION_TITLE = "Meeting Invitation List"
INVITATION_FAMILY_COLUMNS = (
    "Name of family member",
    "Relationship",
    "Address",
    "Phone number",
    "Notes",
    "Attending",
)
INVITATION_PROFESSIONAL_COLUMNS = (
    "Name of Representative",
    "Agency",
    "Address",
    "Phone number",
    "Notes",
    "Attending",
)


# -- The alternatives a signed statement leaves open --------------------------------------------
# The source writes "(name of child/ren)" and "child(ren)" for whoever fills the form in to
# resolve; a filled document resolves them to fit the case and changes no other word.
CHILDREN_NAMES_BLANK = "(name of child/ren)"
# source phrase -> (with one child, with several); the longer phrases first, so that the verb
# agreeing with "child(ren)" follows it. The assessment is of the children in the bundle, so
# "about my child(ren)/me" resolves to them.
CHILD_OR_CHILDREN = {
    "my child(ren)/me": ("my child", "my children"),
    "my child(ren) needs": ("my child needs", "my children need"),
    "child(ren)": ("child", "children"),
}
_ALTERNATIVE = re.compile(
    "|".join(re.escape(phrase) for phrase in (CHILDREN_NAMES_BLANK, *CHILD_OR_CHILDREN))
)


def resolve_alternatives(statement: str, children_names: str, number: Callable[[str, str], str]) -> str:
    """``statement`` with each alternative resolved and every other word as the source has it.

    ``children_names`` replaces "(name of child/ren)"; ``number(one, several)`` chooses between
    the singular and plural of a "child(ren)" phrase. Given Jinja (``{{ children_names }}`` and an
    ``if one`` expression) it makes a template's wording; given a case's values, the wording of
    that case's document.
    """

    def resolved(match: re.Match) -> str:
        phrase = match.group(0)
        if phrase == CHILDREN_NAMES_BLANK:
            return children_names
        return number(*CHILD_OR_CHILDREN[phrase])

    return _ALTERNATIVE.sub(resolved, statement)


SIGNED_STATEMENTS = (ASSESSMENT_LEAFLET_INTRO, *ASSESSMENT_STATEMENTS, *FAMILY_MEETING_STATEMENTS)


def template_statement(statement: str) -> str:
    """A signed statement as a Word template holds it: word for word, its alternatives resolved by
    Jinja from the case (``children_names``, and ``one`` for a single child)."""
    return resolve_alternatives(
        statement, "{{ children_names }}", lambda one, several: f"{{{{ '{one}' if one else '{several}' }}}}"
    )


def is_signed_statement(template_text: str) -> bool:
    """Whether a template paragraph is one of the source's signed statements, which keep the source's
    wording however long its sentences (``docgen templates check`` does not ask to shorten them)."""
    return template_text.lstrip("•").strip() in {template_statement(s) for s in SIGNED_STATEMENTS}
