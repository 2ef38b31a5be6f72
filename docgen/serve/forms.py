"""The web workspace's forms (WTForms through Flask-WTF, which adds a CSRF token to each)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, MultipleFileField, PasswordField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired
from wtforms.widgets import CheckboxInput, ListWidget

FORMATS = [("pdf", "PDF"), ("docx", "Word (DOCX)"), ("both", "Both PDF and Word")]


class SignInForm(FlaskForm):
    name = StringField("User name", validators=[DataRequired("Enter your user name")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password")])


class SignOutForm(FlaskForm):
    """Signing out is a POST, so another site cannot sign someone out with a link."""


class UploadForm(FlaskForm):
    bundles = MultipleFileField("Case bundles", validators=[InputRequired("Choose at least one case bundle")])
    documents = SelectMultipleField("Documents", choices=[], widget=ListWidget(prefix_label=False),
                                    option_widget=CheckboxInput())  # fmt: skip
    format = RadioField("Format", choices=FORMATS, default="pdf")


class RerunForm(FlaskForm):
    """Re-run the bundles that failed, or the corrected bundles uploaded in their place."""

    bundles = MultipleFileField("Corrected case bundles (optional)")


class DecisionForm(FlaskForm):
    decision = RadioField("Decision", choices=[("approved", "Approve it for posting"), ("returned", "Return it to admin staff")],
                          validators=[InputRequired("Choose whether to approve or return the document")])  # fmt: skip
    comment = TextAreaField("Comment")


class TemplateForm(FlaskForm):
    template = FileField("New version (.docx)", validators=[FileRequired("Choose the Word template to check")])


class PublishForm(FlaskForm):
    """Publishing is a POST with a CSRF token, like every change."""


class SendForm(FlaskForm):
    """Send the batch's approved letters through GOV.UK Notify; again only with a reason."""

    postage = RadioField("Postage", choices=[("second", "Second class"), ("first", "First class"), ("economy", "Economy")],
                         default="second")  # fmt: skip
    resend = BooleanField("Send again letters GOV.UK Notify already has")
    reason = StringField("Why they are sent again")
