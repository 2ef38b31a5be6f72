"""The web workspace's pages for policy owners: their authority's templates, checking a new
version of one against the fictional samples, and publishing it. Policy owners never see case
data: these pages read the templates and the samples only, and every other page refuses them.

The routes are on the web workspace's blueprint (:mod:`docgen.serve.web`), so their URLs, names
and guards are the same as the other pages'.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from flask import abort, redirect, render_template, send_file, url_for
from flask_login import current_user

from docgen.register import Register
from docgen.serve import candidate_pages
from docgen.serve.app import services
from docgen.serve.auth import role_required
from docgen.serve.candidates import Candidates, check_candidate
from docgen.serve.forms import PublishForm, TemplateForm
from docgen.serve.previews import Previews
from docgen.serve.uploads import UploadRefused, check_docx
from docgen.serve.views import scratch
from docgen.serve.web import actor, blueprint, progress_fragment


# -- policy owners: templates (samples only, never case data) --------------------------------------
@blueprint.route("/templates")
@role_required("policy-owner")
def templates():
    resolved = services().pipeline.registry.resolve_all(current_user.authority)
    with Register(services().data.register) as register:
        published = register.publications(current_user.authority)
    return render_template("templates.html", templates=resolved, published=published,
                           titles={t.doc_id: t.title for t in resolved})  # fmt: skip


@blueprint.route("/templates/<doc_id>/check", methods=["GET", "POST"])
@role_required("policy-owner")
def check_template_page(doc_id):
    registry = services().pipeline.registry
    if doc_id not in registry.document_ids():
        abort(404)
    current = registry.resolve(doc_id, current_user.authority)
    form = TemplateForm()
    refused = None
    if form.validate_on_submit():
        data = form.template.data.read()
        try:
            if not (form.template.data.filename or "").lower().endswith(".docx"):
                raise UploadRefused("The file must be a Word document saved as .docx.")
            check_docx(data)
        except UploadRefused as e:
            refused = e.message
        else:
            checked = check_candidate(registry, doc_id, current_user.authority, data, scratch())
            kept = candidates().keep(authority=current_user.authority, doc_id=doc_id, actor=actor(), docx=data, checked=checked)
            candidate_pages.start(candidates().root / kept, page_drawer(candidates().root / kept))
            return redirect(url_for("web.template_check_report", candidate_id=kept))
    return render_template("template_check.html", form=form, current=current, refused=refused), 400 if refused else 200


@blueprint.route("/templates/checks/<candidate_id>")
@role_required("policy-owner")
def template_check_report(candidate_id):
    record = own_candidate(candidate_id)
    current = services().pipeline.registry.resolve(record["document"], current_user.authority)
    return render_template("template_report.html", record=record, current=current, form=PublishForm(),
                           annotated=candidates().annotated(record) is not None)  # fmt: skip


@blueprint.route("/templates/checks/<candidate_id>/pages")
@role_required("policy-owner")
def template_pages(candidate_id):
    """Each sample's document as page images, the current version's beside the candidate's,
    with the text difference; made in the background, so the page shows their progress."""
    record = own_candidate(candidate_id)
    folder = candidates().root / candidate_id
    made = candidate_pages.start(folder, page_drawer(folder))
    drawn = {(p["number"], side): candidate_pages.images(folder, p["number"], side)
             for p in record["previews"] for side in candidate_pages.SIDES}  # fmt: skip
    current = services().pipeline.registry.resolve(record["document"], current_user.authority)
    return render_template("template_pages.html", record=record, current=current, made=made, drawn=drawn)


@blueprint.route("/templates/checks/<candidate_id>/pages/progress")
@role_required("policy-owner")
def template_pages_progress(candidate_id):
    """The page images' progress sentence alone, which progress.js asks for while they are made."""
    own_candidate(candidate_id)
    folder = candidates().root / candidate_id
    made = candidate_pages.start(folder, page_drawer(folder))  # takes over a claim left by a dead process
    return progress_fragment("pages_progress.html", made["state"] == "done", made=made)


@blueprint.route("/templates/checks/<candidate_id>/pages/<int:number>/<any(current, candidate):side>/<int:page>.png")
@role_required("policy-owner")
def template_page_image(candidate_id, number, side, page):
    own_candidate(candidate_id)
    path = candidate_pages.image_path(candidates().root / candidate_id, number, side, page)
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="image/png")


@blueprint.route("/templates/checks/<candidate_id>/publish", methods=["POST"])
@role_required("policy-owner")
def publish_template(candidate_id):
    record = own_candidate(candidate_id)
    if not PublishForm().validate_on_submit():
        abort(400)
    candidates().publish(record, services().pipeline.registry, actor(), services().data.register)
    return redirect(url_for("web.template_check_report", candidate_id=candidate_id))


@blueprint.route("/templates/checks/<candidate_id>/annotated")
@role_required("policy-owner")
def template_annotated(candidate_id):
    record = own_candidate(candidate_id)
    path = candidates().annotated(record)
    if path is None:
        abort(404)
    return send_file(path, as_attachment=True, download_name=f"{record['document']}-annotated.docx")


# -- helpers --------------------------------------------------------------------------------------
def page_drawer(folder: Path) -> Previews:
    """Draws a check's pages as a batch's are, with the server's shared plain-PDF converter,
    got when the page images are made: a server without LibreOffice still checks templates,
    and says why the images are missing."""
    return Previews(candidate_pages.drawn(folder), partial(services().converter, False), scratch())


def candidates() -> Candidates:
    return Candidates(services().data.root / "candidates")


def own_candidate(candidate_id: str) -> dict:
    record = candidates().get(candidate_id, current_user.authority)
    if record is None:
        abort(404)
    return record
