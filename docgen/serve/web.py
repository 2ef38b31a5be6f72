"""The web workspace's pages: sign-in, batches for admin staff, managers' sign-off and case
pages (policy owners' template pages are in :mod:`docgen.serve.web_templates`).

Views are thin, as the API's are: each reads its form, calls the library (uploads, jobs, the
register) and renders a page. Every page needs a signed-in user (:mod:`docgen.serve.auth`) and
shows only that user's authority; a batch or case of another authority is "not found", as an
unknown one is. No case data goes into a URL or a page title: batches and files are reached by
number or random id, cases by a keyed hash of their reference.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import re
import sys
from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, render_template, send_file, send_from_directory, url_for
from flask_login import current_user

from docgen.register import Register
from docgen.serve.app import services
from docgen.serve.auth import SignInRefused, UserStore, role_required, sign_in, sign_out
from docgen.exceptions import DocgenError, InputError, NotifyKeyRefused
from docgen.notify.email_route import batch_email_routes
from docgen.serve import posting
from docgen.serve.forms import DecisionForm, RerunForm, SendForm, SignInForm, SignOutForm, UploadForm
from docgen.serve.problems import HttpProblem
from docgen.serve.previews import Previews, document_text
from docgen.serve.signoff import APPROVED, decide, queue, released, sign_offs
from docgen.serve.uploads import UploadRefused, bundles_from_files, check_bundles, checks_from_dicts
from docgen.serve.jobs import file_parts
from docgen.serve.views import record_access, scratch, zip_response

blueprint = Blueprint("web", __name__)
STAFF = ("admin-staff",)
RUNNING = ("queued", "running")


def assets_folder() -> Path:
    """govuk-frontend's ``dist/govuk``, installed by scripts/setup.sh outside the repository."""
    root = os.environ.get("DOCGEN_WEB_ASSETS") or Path(sys.prefix) / "share" / "docgen-web" / "node_modules"
    return Path(root) / "govuk-frontend" / "dist" / "govuk"


@blueprint.route("/assets/<path:name>")
def assets(name):
    return send_from_directory(assets_folder() / "assets", name, max_age=86400)


@blueprint.route("/static/govuk/<any('govuk-frontend.min.css', 'govuk-frontend.min.js'):name>")
def stylesheet(name):
    return send_from_directory(assets_folder(), name, max_age=86400)


@blueprint.route("/static/docgen/<any('progress.js', 'govuk-init.js', 'docgen.css'):name>")
def own_static(name):
    """docgen's own scripts (and style), external files because the CSP forbids inline ones."""
    return send_from_directory(Path(__file__).with_name("web_static"), name, max_age=3600)


# -- signing in ------------------------------------------------------------------------------------
@blueprint.route("/sign-in", methods=["GET", "POST"])
def sign_in_page():
    form = SignInForm()
    refused = None
    if form.validate_on_submit():
        try:
            user = users().authenticate(form.name.data.strip().lower(), form.password.data)
        except SignInRefused as e:
            refused = e.message
        else:
            sign_in(user)
            return redirect(url_for("web.home"))
    return render_template("sign_in.html", form=form, refused=refused), 200 if refused is None else 401


@blueprint.route("/sign-out", methods=["POST"])
def sign_out_page():
    if SignOutForm().validate_on_submit():
        sign_out()
    return redirect(url_for("web.sign_in_page"))


@blueprint.route("/")
@role_required(*STAFF, "manager", "policy-owner")
def home():
    jobs = services().jobs.for_authority(current_user.authority) if current_user.role in (*STAFF, "administrator") else []
    return render_template("home.html", jobs=jobs)


# -- batches ----------------------------------------------------------------------------------------
@blueprint.route("/batches/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new_batch():
    form = UploadForm()
    form.documents.choices = document_choices()
    refused = None
    if form.validate_on_submit():
        try:
            upload = bundles_from_files([(f.filename or "", f.read()) for f in form.bundles.data], current_user.authority)
        except UploadRefused as e:
            refused = e.message
        else:
            job = start(upload, form.format.data, form.documents.data)
            return redirect(url_for("web.batch", job_id=job["id"]))
    return render_template("new_batch.html", form=form, refused=refused), 200 if refused is None else 400


@blueprint.route("/batches/<job_id>")
@role_required(*STAFF)
def batch(job_id):
    job = own_job(job_id)
    checks = [c for c in checks_from_dicts(job.get("checks", [])) if c.problems]
    return batch_page(job, checks, RerunForm())


@blueprint.route("/batches/<job_id>/progress")
@role_required(*STAFF)
def batch_progress(job_id):
    """The batch page's progress sentence alone, which progress.js asks for while it runs."""
    job = own_job(job_id)
    return progress_fragment("batch_progress.html", job["state"] not in RUNNING, job=job)


def batch_page(job: dict, checks: list, form: RerunForm, refused: str | None = None, status: int | None = None):
    """The batch: its progress, each bundle's problems, its files (those awaiting a manager's
    sign-off without a link), and the approved letters to print or send."""
    files = services().jobs.files(job)
    held = sign_offs_of(job)
    return render_template("batch.html", job=job, checks=checks, failures=failures(job), files=files, held=held,
                           letters=posting.letters(released(files, held)), send_form=SendForm(),
                           form=form, titles=dict(document_choices()),
                           refused=refused), status or (400 if refused else 200)  # fmt: skip


@blueprint.route("/batches/<job_id>/files/<int:number>")
@role_required(*STAFF)
def batch_file(job_id, number):
    job = own_job(job_id)
    path = batch_file_path(job, number)
    held = sign_offs_of(job).get(number)
    if held and held.state != APPROVED:
        abort(403)
    record_access(actor(), "download", [file_parts(path.stem)])
    return send_file(path, as_attachment=True, download_name=path.name)


@blueprint.route("/batches/<job_id>/files/<int:number>/preview")
@role_required(*STAFF)
def batch_file_preview(job_id, number):
    job = own_job(job_id)
    path = batch_file_path(job, number)
    case, document, recipient = file_parts(path.stem)
    return render_template("preview.html", job=job, number=number, path=path, case_reference=case, document=document,
                           recipient=recipient, pages=pages_of(job, path), text=document_text(path),
                           titles=dict(document_choices()))  # fmt: skip


@blueprint.route("/batches/<job_id>/files/<int:number>/pages/<int:page>.png")
@role_required(*STAFF, "manager")
def page_image(job_id, number, page):
    """One page of a document the batch made (PDF or Word), drawn as an image for a preview."""
    job = own_job(job_id)
    path = batch_file_path(job, number)
    if not 1 <= page <= pages_of(job, path):
        abort(404)
    return send_file(io.BytesIO(previews(job).page(path, page)), mimetype="image/png")


@blueprint.route("/batches/<job_id>/zip")
@role_required(*STAFF)
def batch_zip(job_id):
    job = own_job(job_id)
    files = released(services().jobs.files(job), sign_offs_of(job))
    if not files:
        abort(404)
    record_access(actor(), "download", [file_parts(path.stem) for path in files])
    return zip_response(files, f"batch-{job_id}.zip")


@blueprint.route("/batches/<job_id>/print-pack")
@role_required(*STAFF)
def print_pack(job_id):
    """The approved letters as one print-ready PDF, as ``docgen pack`` makes it."""
    letters = postable(own_job(job_id))
    if not letters:
        abort(404)
    pdf = posting.print_pack(letters, scratch())
    record_access(actor(), "download", [file_parts(path.stem) for path in letters])
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"batch-{job_id}-print-pack.pdf")  # fmt: skip


@blueprint.route("/batches/<job_id>/send", methods=["POST"])
@role_required(*STAFF)
def send_letters(job_id):
    """Send the approved letters through GOV.UK Notify, each once (again only with a reason)."""
    job = own_job(job_id)
    form = SendForm()
    if not form.validate_on_submit():
        abort(400)
    reason = (form.reason.data or "").strip()
    letters = postable(job)
    try:
        notify = posting.gateway(services().data)
        if form.resend.data and not reason:
            raise InputError("Say why the letters are sent again; the reason is recorded.")
        if not letters:
            raise InputError("No letter of this batch can be posted yet: none is approved.")
        routes = batch_email_routes(services().jobs.input_dir(job), services().pipeline.registry)
        outcomes = posting.send(letters, services().data, notify, postage=form.postage.data,
                                resend_reason=reason if form.resend.data else None, email_route=routes)  # fmt: skip
    except NotifyKeyRefused as e:
        return batch_page(job, [], RerunForm(), e.message, status=502)
    except DocgenError as e:
        return batch_page(job, [], RerunForm(), e.message)
    record_access(actor(), "send", [file_parts(o.path.stem) for o in outcomes if o.outcome == "sent"])
    return render_template("sends.html", job=job, outcomes=outcomes)


@blueprint.route("/batches/<job_id>/rerun", methods=["POST"])
@role_required(*STAFF)
def rerun(job_id):
    """A new batch of the corrected bundles uploaded, or else of the bundles that failed."""
    job = own_job(job_id)
    form = RerunForm()
    if not form.validate_on_submit():
        abort(400)
    uploaded = [(f.filename or "", f.read()) for f in form.bundles.data or [] if f.filename]
    try:
        if uploaded:
            upload = bundles_from_files(uploaded, current_user.authority)
        else:
            failed = {Path(row["file"]).name for row in failures(job)}
            upload = services().jobs.inputs(job)
            upload.bundles[:] = [b for b in upload.bundles if b[0] in failed]
            if not upload.bundles:
                raise UploadRefused("Nothing in this batch failed, so there is nothing to re-run.")
    except UploadRefused as e:
        return batch_page(job, [], form, e.message)
    new = start(upload, job["format"], job["documents_asked"], rerun_of=job["id"])
    return redirect(url_for("web.batch", job_id=new["id"]))


# -- managers' sign-off ----------------------------------------------------------------------------
@blueprint.route("/sign-off")
@role_required("manager")
def sign_off_queue():
    waiting = queue(services().jobs, current_user.authority, approval_required(), services().data.register)
    return render_template("sign_off_queue.html", waiting=waiting, titles=dict(document_choices()))


@blueprint.route("/sign-off/<job_id>/<int:number>", methods=["GET", "POST"])
@role_required("manager")
def sign_off(job_id, number):
    item = sign_offs_of(own_job(job_id)).get(number)
    if item is None:
        abort(404)
    form = DecisionForm()
    refused = None
    if form.validate_on_submit():
        try:
            decide(item, form.decision.data, form.comment.data or "", actor(), services().data.register)
        except InputError as e:
            refused = e.message
        else:
            return redirect(url_for("web.sign_off_queue"))
    return render_template("sign_off.html", item=item, text=document_text(item.path), pages=pages_of(item.job, item.path),
                           form=form, refused=refused, titles=dict(document_choices())), 400 if refused or form.errors else 200  # fmt: skip


# -- cases ------------------------------------------------------------------------------------------
@blueprint.route("/cases")
@role_required(*STAFF, "manager")
def cases():
    references = services().access.cases_of(current_user.authority)
    return render_template("cases.html", cases=[(ref, case_key(ref)) for ref in references])


@blueprint.route("/cases/<key>")
@role_required(*STAFF, "manager")
def case(key):
    reference = next((r for r in services().access.cases_of(current_user.authority) if hmac.compare_digest(case_key(r), key)), None)
    if reference is None:
        abort(404)
    record_access(actor(), "history", [(reference, "", "")])
    with Register(services().data.register) as register:
        issued, accessed, decided = register.history(reference), register.accesses(reference), register.decisions(reference)
        sends = register.sends_for_case(reference)
    return render_template("case.html", reference=reference, issued=issued, accessed=accessed, decided=decided,
                           sends=sends, titles=dict(document_choices()))  # fmt: skip


# -- helpers ----------------------------------------------------------------------------------------
def progress_fragment(sentence: str, done: bool, **context):
    """A page's progress sentence as an HTML fragment, marked done or not, for progress.js."""
    return render_template("progress_fragment.html", sentence=sentence, done=done, **context)


def users() -> UserStore:
    return services().users


def actor() -> str:
    """How the register names a person of the web workspace, apart from API tokens."""
    return f"user:{current_user.name}"


def batch_file_path(job: dict, number: int) -> Path:
    files = services().jobs.files(job)
    if not 1 <= number <= len(files):
        abort(404)
    return files[number - 1]


def own_job(job_id: str) -> dict:
    try:
        return services().jobs.get(job_id, current_user.authority)
    except HttpProblem:
        abort(404)


def start(upload, fmt: str, doc_ids: list[str], **notes) -> dict:
    checks = check_bundles(upload, services().pipeline.registry)
    return services().jobs.create(upload, authority=current_user.authority, actor=actor(), fmt=fmt, doc_ids=list(doc_ids),
                                  notes={"checks": [c.to_dict() for c in checks], **notes})  # fmt: skip


def approval_required() -> list[str]:
    return services().pipeline.registry.profile(current_user.authority).approval_required


def postable(job: dict) -> list[Path]:
    """The batch's letters that may be posted: PDFs approved, or needing no sign-off."""
    return posting.letters(released(services().jobs.files(job), sign_offs_of(job)))


def previews(job: dict) -> Previews:
    return Previews(services().jobs.previews_dir(job), lambda: services().converter(False), scratch())


def pages_of(job: dict, path: Path) -> int:
    """Pages a preview shows as images; 0 when they cannot be drawn (the text is still shown)."""
    try:
        return previews(job).page_count(path)
    except DocgenError as e:
        current_app.logger.warning("%s: no page images for a preview: %s", file_parts(path.stem)[0], e.message)
        return 0


def sign_offs_of(job: dict) -> dict:
    return sign_offs(services().jobs, job, approval_required(), services().data.register)


def failures(job: dict) -> list[dict]:
    try:
        return json.loads(services().jobs.report(job, "failures.json").read_text())
    except HttpProblem:
        return []


def document_choices() -> list[tuple[str, str]]:
    return [(t.doc_id, t.title) for t in services().pipeline.registry.resolve_all(current_user.authority)]


def case_key(reference: str) -> str:
    """What stands for a case reference in a URL: keyed, so it cannot be worked back or guessed."""
    return hmac.new(current_app.secret_key, reference.encode(), hashlib.sha256).hexdigest()[:32]


@blueprint.app_template_filter("field")
def field_in_words(path: str) -> str:
    """``children[0].date_of_birth`` as "Children 1: date of birth"; the whole bundle for ""."""
    if not path:
        return "The whole bundle"
    words = [re.sub(r"\[(\d+)\]", lambda m: f" {int(m.group(1)) + 1}", part).replace("_", " ") for part in path.split(".")]
    return ": ".join(words).capitalize()
