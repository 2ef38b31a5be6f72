"""The web workspace end to end: Debian's Chromium, driven by Playwright, against a real
``docgen serve`` on the loopback. axe-core runs on every page; each page's screenshot is kept in
test-artifacts/screenshots/ (CI keeps that folder)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from serve_helpers import ROOT, Server
from web_helpers import PASSWORD, make_user

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(ROOT / ".venv" / "share" / "docgen-web" / "node_modules" / "axe-core" / "axe.min.js")
SHOTS = ROOT / "test-artifacts" / "screenshots"
SAMPLE = ROOT / "samples" / "valid" / "worcestershire-child-in-need.json"
HOSTILE = "<script>alert('x')</script>"
HOSTILE_SURNAME = '"><img src=x onerror=alert(1)>'
DERBYSHIRE = ROOT / "samples" / "valid" / "derbyshire-child-in-need.json"
# a data table's box (table_region.html): scrolls sideways, named, reached by Tab
TABLE_REGION = """r => r.matches('div.docgen-table-region[role="region"][tabindex="0"]')
    && (r.getAttribute('aria-label') || '').trim() !== '' && getComputedStyle(r).overflowX === 'auto'"""
# the elements reaching past the screen's right edge that no table's box holds (a box holds what
# it is the offset parent of): what makes the page scroll sideways
TOO_WIDE = """[...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth)
    .filter(e => !(e.closest('.docgen-table-region') && e.closest('.docgen-table-region').contains(e.offsetParent)))
    .map(e => e.outerHTML.slice(0, 120))"""
# a promise of where the box's next scroll ends (Chromium's scrollend event), or -1 if none in 5 s
SCROLL_END = """r => { window.docgenScrollEnd = new Promise(done => {
    r.addEventListener('scrollend', () => done(r.scrollLeft), {once: true});
    setTimeout(() => done(-1), 5000);
}); }"""
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory, notify_service):
    data = tmp_path_factory.mktemp("web") / "data"
    make_user(data, "ben.staff", "admin-staff", "worcestershire")
    make_user(data, "dee.staff", "admin-staff", "derbyshire")
    make_user(data, "mo.manager", "manager", "worcestershire")
    make_user(data, "pat.policy", "policy-owner", "worcestershire")
    templates = data.parent / "templates"  # a copy: policy owners publish into it
    shutil.copytree(ROOT / "tests" / "snapshots", data.parent / "snapshots")  # its snapshots, beside it
    shutil.copytree(ROOT / "templates", templates)
    running = Server(data, workers=2, env={"DOCGEN_TEMPLATES": str(templates), "NOTIFY_API_KEY": notify_service.api_key,
                                           "NOTIFY_BASE_URL": notify_service.url})  # fmt: skip
    running.templates = templates
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists() or not AXE.exists():
        pytest.fail("Chromium or axe-core is missing: run scripts/setup.sh --test")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


class Visitor:
    """One person's browser: every page they reach is checked by axe and photographed."""

    def __init__(self, browser, server, name: str) -> None:
        self.context = browser.new_context(accept_downloads=True)
        self.page = self.context.new_page()
        self.server, self.name = server, name
        self.csp_violations: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: "Content Security Policy" in m.text and self.csp_violations.append(m.text))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def go(self, path: str, shot: str):
        response = self.page.goto(self.server.url + path)
        self.check(shot)
        return response

    def check(self, shot: str) -> None:
        """No serious or critical axe violation, no meta refresh (WCAG 2.2.1); a full-page screenshot."""
        self.page.wait_for_load_state()  # a click may have started a navigation: axe needs its document
        assert self.page.locator("meta[http-equiv='refresh' i]").count() == 0, shot
        self.page.evaluate(AXE.read_text())  # through the DevTools protocol: the page's CSP stays on
        result = self.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]])
               for v in result["violations"] if v["impact"] in ("serious", "critical")]  # fmt: skip
        assert bad == [], f"{shot}: {bad}"
        self.page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)

    def sign_in(self, password: str = PASSWORD) -> None:
        self.go("/sign-in", f"{self.name}-sign-in")
        self.page.fill("#name", self.name)
        self.page.fill("#password", password)
        self.page.click("button:text('Sign in')")

    def text(self) -> str:
        return re.sub(r"\s+", " ", self.page.inner_text("main"))

    def approve_all(self, shot: str) -> int:
        """As a manager: approve every document waiting for sign-off; how many there were."""
        approved = 0
        while True:
            self.go("/sign-off", f"{shot}-queue")
            if "Nothing is waiting for sign-off." in self.text():
                return approved
            self.page.locator("a:text('Read and decide')").first.click()
            self.check(f"{shot}-decide")
            self.page.check("#decision-approved")
            self.page.click("button:text('Record the decision')")
            approved += 1

    def reflows(self, shot: str) -> int:
        """At 320 CSS px wide (WCAG 1.4.10 Reflow) the page needs no horizontal scroll: page
        images shrink to their column (docgen.css), side-by-side columns stack, and each data
        table sits in a box of its own (table_region.html) that fits the screen and scrolls
        sideways when the table is wider, by keyboard too. How many tables had to scroll."""
        wide = self.page.viewport_size
        self.page.set_viewport_size({"width": 320, "height": 800})
        try:
            self.page.wait_for_function("[...document.images].every(i => i.complete)")
            sideways = self.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert sideways <= 0, f"{shot}: {sideways} px of horizontal scroll at 320 px wide, from {self.page.evaluate(TOO_WIDE)}"
            for image in self.page.locator("img.docgen-page").all():
                box = image.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= 320, (shot, box)
            scrolled = 0
            for table in self.page.locator("table").all():
                region = table.locator("xpath=..")
                assert region.evaluate(TABLE_REGION), f"{shot}: a table outside a named, focusable scrolling box"
                box = region.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= 320, (shot, box)
                if region.evaluate("r => r.scrollWidth > r.clientWidth"):
                    region.focus()
                    region.evaluate(SCROLL_END)
                    self.page.keyboard.press("ArrowRight")  # scrolls smoothly: read where it stopped
                    assert self.page.evaluate("window.docgenScrollEnd") > 0, f"{shot}: ArrowRight did not scroll a table"
                    region.evaluate("r => { r.scrollLeft = 0; }")
                    scrolled += 1
            self.check(f"{shot}-320px")
            return scrolled
        finally:
            self.page.set_viewport_size(wide)

    def watch_progress(self, sentence: str, finished: str, shot: str, timeout: float) -> list[str]:
        """On a page showing work in progress: progress.js keeps its polite live region up to date
        without reloading the page (no meta refresh, WCAG 2.2.1), then reloads it once when the work
        is done. The region's first sentence and each change to it, in order; each must read as
        ``sentence`` (a regular expression) and come before the one reload, after which the page
        shows ``finished``.

        Each change is logged to the console by a MutationObserver (the listener outlives the
        reload): polling the region could miss a change that comes and goes between two polls."""
        page = self.page
        page.wait_for_load_state("load")  # the page's own load, before counting reloads
        loads = []
        page.on("load", lambda: loads.append(page.url))
        region = page.locator("[data-docgen-progress]")
        assert region.get_attribute("aria-live") == "polite"
        first = region.inner_text()
        assert re.fullmatch(sentence, first), first
        assert page.locator("a:text('Check progress')").is_hidden()  # it is for browsers without JavaScript
        seen = []
        page.on("console", lambda message: seen.append((len(loads), message.text.removeprefix("progress: ")))
                if message.text.startswith("progress: ") else None)  # fmt: skip
        page.evaluate("""() => {
            const region = document.querySelector('[data-docgen-progress]');
            new MutationObserver(() => console.log('progress: ' + region.textContent.trim()))
                .observe(region, {childList: true, characterData: true, subtree: true});
        }""")  # fmt: skip
        self.check(shot)
        page.wait_for_selector(f"text={finished}", timeout=timeout)
        page.wait_for_load_state("load")
        assert len(loads) == 1, loads  # reloaded once, when done
        for reloads_before, text in seen:
            assert reloads_before == 0 and re.fullmatch(sentence, text), seen
        assert page.locator("[data-docgen-progress]").count() == 0  # the finished page polls no more
        return [first, *(text for _, text in seen)]

    def wait_finished(self, shot: str) -> None:
        self.page.wait_for_selector("text=/Finished|The batch failed/", timeout=150_000)
        self.check(shot)


def bundles(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A good bundle, a case broken (a bad date, a hostile document id), and its fix: a child
    named ``<script>...``."""
    good = json.loads(SAMPLE.read_text())
    broken = json.loads(SAMPLE.read_text())
    broken["case"]["reference"] = "WOR-CIN-0777"
    broken["children"][0]["date_of_birth"] = "12/04/2017"
    broken["documents_requested"] = [HOSTILE]
    fixed = json.loads(SAMPLE.read_text())
    fixed["case"]["reference"] = "WOR-CIN-0777"
    fixed["children"][0]["first_name"], fixed["children"][0]["last_name"] = HOSTILE, HOSTILE_SURNAME
    paths = []
    for name, body in (("good.json", good), ("broken.json", broken), ("fixed.json", fixed)):
        (tmp_path / name).write_text(json.dumps(body))
        paths.append(tmp_path / name)
    return tuple(paths)


def test_admin_staff_batch_from_upload_to_download(server, browser, notify_service, tmp_path):
    good, broken, fixed = bundles(tmp_path)
    ben = Visitor(browser, server, "ben.staff")
    page = ben.page

    ben.go("/batches/new", "01-signed-out-redirect")
    assert page.url == server.url + "/sign-in" and page.title() == "Sign in - docgen"
    ben.sign_in(password="not the password at all")
    ben.check("02-sign-in-refused")
    assert "The user name or password is not right." in ben.text() and page.title() == "Error: Sign in - docgen"
    ben.sign_in()
    ben.check("03-home")
    assert page.url == server.url + "/" and "No batches yet." in ben.text()

    ben.go("/batches/new", "04-upload")
    page.set_input_files("#bundles", [str(good), str(broken)])
    page.check("input[value='pdf']")
    page.click("button:text('Check and start the batch')")
    batch_url = page.url
    assert re.fullmatch(re.escape(server.url) + r"/batches/[0-9a-f]{16}", batch_url)
    ben.wait_finished("05-batch-with-errors")
    text = ben.text()
    assert "Finished: 3 documents issued; 1 of 2 bundles failed" in text
    assert "Bundle 2, case WOR-CIN-0777" in text
    assert "Children 1: date of birth children[0].date_of_birth error Expected a date like" in text
    assert "Documents requested 1 documents_requested[0] error Expected a document id." in text
    assert "alert(" not in page.content()  # pages name fields, never echo a bundle's values
    assert ben.dialogs == [] and ben.csp_violations == []
    assert page.title() == "Batch - docgen"  # no case data in titles
    ben.reflows("05-batch-with-errors")

    # outcome letters wait for a manager's sign-off (worcestershire's approval_required)
    assert text.count("waiting for sign-off") == 3 and "Download all" not in text
    assert page.request.get(batch_url + "/files/1").status == 403
    page.locator("a:text('Preview')").first.click()
    ben.check("06-preview")
    assert "Poppy" in ben.text() and page.title() == "Preview - docgen"
    assert page.locator("img[alt^='Page 1 of']").evaluate("i => i.decode().then(() => i.naturalWidth)") > 600
    ben.reflows("06-preview")
    page.goto(batch_url)

    mo = Visitor(browser, server, "mo.manager")
    mo.sign_in()
    mo.page.click("a:text('Sign-off')")
    mo.check("06b-sign-off-queue")
    assert mo.text().count("Read and decide") == 3 and "WOR-CIN-0001" in mo.text()
    mo.reflows("06b-sign-off-queue")
    mo.page.locator("a:text('Read and decide')").first.click()
    mo.check("07-sign-off-preview")
    assert "Poppy" in mo.text() and mo.page.title() == "Sign off a document - docgen"
    image = mo.page.locator("img[alt^='Page 1 of']")
    assert image.evaluate("i => i.decode().then(() => i.naturalWidth)") > 600  # the page drawn by pdftoppm
    mo.reflows("07-sign-off-preview")
    mo.page.check("#decision-returned")
    mo.page.click("button:text('Record the decision')")
    mo.check("08-sign-off-needs-comment")
    assert "Say why the document is returned." in mo.text()
    mo.page.check("#decision-returned")
    mo.page.fill("#comment", "The review date is missing.")
    mo.page.click("button:text('Record the decision')")
    assert mo.approve_all("09-approve") == 2

    page.goto(batch_url)
    text = ben.text()
    assert "returned by a manager: The review date is missing." in text and text.count(".pdf approved") == 2
    with page.expect_download() as download:
        page.locator("a:text('WOR-CIN-0001_outcome-letter')").first.click()
    assert download.value.suggested_filename.startswith("WOR-CIN-0001_outcome-letter")
    pdf = PdfReader(download.value.path())
    assert "Poppy" in "".join(p.extract_text() for p in pdf.pages)
    with page.expect_download() as download:
        page.click("a:text('Download all that are approved as a zip')")
    with zipfile.ZipFile(download.value.path()) as archive:
        assert len([n for n in archive.namelist() if n.startswith("WOR-CIN-0001_outcome-letter")]) == 2
    returned = "WOR-CIN-0001_outcome-letter_agency-hv.pdf"  # the first in the queue: files are numbered by name
    assert f"{returned}: returned" in text and page.request.get(batch_url + "/files/1").status == 403
    ben.check("10-batch-approved")

    # the print pack and GOV.UK Notify get the two approved letters, never the returned one
    approved = ["WOR-CIN-0001_outcome-letter_family-mum", "WOR-CIN-0001_outcome-letter_agency-teacher"]
    assert "2 letters can be posted" in text
    with page.expect_download() as download:
        page.click("a:text('Download the print pack')")
    assert download.value.suggested_filename == f"batch-{batch_url.rsplit('/', 1)[1]}-print-pack.pdf"
    pack = PdfReader(download.value.path())
    assert [item.title for item in pack.outline] == approved  # the family's letter first
    assert "Poppy" in "".join(p.extract_text() for p in pack.pages)
    page.check("#postage-first")
    page.click("button:text('Send the letters through GOV.UK Notify')")
    ben.check("10b-letters-sent")
    assert page.title() == "Letters sent - docgen" and "2 of 2 letters sent." in ben.text()
    assert sorted(n["reference"] for n in notify_service.letters()) == sorted(approved)
    assert {n["postage"] for n in notify_service.letters()} == {"first"}
    page.goto(batch_url)
    page.click("button:text('Send the letters through GOV.UK Notify')")
    assert "0 of 2 letters sent, 2 skipped as Notify has them already." in ben.text()
    assert len(notify_service.letters()) == 2  # each letter once
    page.goto(batch_url)

    page.set_input_files("#bundles", [str(fixed)])
    page.click("button:text('Re-run what failed')")
    assert page.url != batch_url
    ben.wait_finished("11-rerun")
    assert "Finished: 3 documents issued; 0 of 1 bundles failed" in ben.text()
    assert mo.approve_all("12-approve-rerun") == 3
    page.reload()
    with page.expect_download() as download:
        page.locator("a:text('WOR-CIN-0777_outcome-letter')").first.click()
    letter = "".join(p.extract_text() for p in PdfReader(download.value.path()).pages)
    assert HOSTILE in letter and "onerror=alert(1)>" in letter  # the name as text, in the letter too
    assert ben.dialogs == []

    ben.page.click("a:text('Cases')")
    ben.check("13-cases")
    assert "WOR-CIN-0001" in ben.text() and "WOR-CIN-0777" in ben.text()
    ben.page.click("a:text('WOR-CIN-0777')")
    page.wait_for_url(re.compile(r".*/cases/[0-9a-f]{32}$"))  # the click only starts the navigation
    case_url = page.url
    assert "WOR-CIN" not in case_url and page.title() == "Case - docgen"
    response = ben.go(case_url.removeprefix(server.url), "14-case")
    assert response.headers["cache-control"] == "no-store"
    assert "Standard Outcome/Closure Letter" in ben.text() and "user:ben.staff download" in ben.text()
    assert "approved" in ben.text() and "user:mo.manager" in ben.text()

    ben.page.click("a:text('Cases')")
    ben.page.click("a:text('WOR-CIN-0001')")
    page.wait_for_url(lambda url: re.search(r"/cases/[0-9a-f]{32}$", url) and url != case_url)
    ben.check("14b-case-sent")
    assert ben.reflows("14b-case-sent") >= 1  # six columns do not fit in 320 px: they scroll in their box
    sent = ben.page.locator("table:has(th:text('Notify id')) tbody tr")
    assert sent.count() == 2 and sent.first.inner_text().split("\t")[2] == "accepted"
    assert "user:ben.staff send" in ben.text()

    # another authority's staff reach neither the batch nor the case by its URL
    dee = Visitor(browser, server, "dee.staff")
    dee.sign_in()
    for url, shot in ((batch_url, "15-other-authority-batch"), (case_url, "16-other-authority-case")):
        response = dee.go(url.removeprefix(server.url), shot)
        assert response.status == 404 and "Page not found" in dee.text()
    assert "WOR-CIN" not in dee.page.content()

    # a manager cannot start batches
    response = mo.go("/batches/new", "17-manager-refused")
    assert response.status == 403 and "You cannot see this page" in mo.text()

    ben.page.click("button:text('Sign out')")
    assert ben.page.url == server.url + "/sign-in"
    ben.page.goto(batch_url)
    assert ben.page.url == server.url + "/sign-in"
    for visitor in (ben, dee, mo):
        assert visitor.csp_violations == []
        visitor.context.close()


def test_docx_opens_with_the_names_of_the_case(server, browser, tmp_path):
    good, _, _ = bundles(tmp_path)
    ben = Visitor(browser, server, "ben.staff")
    ben.sign_in()
    ben.go("/batches/new", "18-upload-docx")
    ben.page.set_input_files("#bundles", [str(good)])
    ben.page.check("input[value='docx']")
    ben.page.click("button:text('Check and start the batch')")
    ben.wait_finished("19-batch-docx")
    assert "No letter can be posted yet" in ben.text()  # letters are posted as PDFs
    ben.page.locator("a:text('Preview')").first.click()
    ben.check("19b-preview-docx")
    image = ben.page.locator("img[alt^='Page 1 of']")  # the Word file drawn through LibreOffice
    assert image.evaluate("i => i.decode().then(() => i.naturalWidth)") > 600
    assert "Poppy" in ben.text() and ben.page.title() == "Preview - docgen"
    ben.page.goto(ben.page.url.rsplit("/files/", 1)[0])
    mo = Visitor(browser, server, "mo.manager")
    mo.sign_in()
    assert mo.approve_all("20-approve-docx") == 3
    ben.page.reload()
    with ben.page.expect_download() as download:
        ben.page.locator("a:text('WOR-CIN-0001_outcome-letter')").first.click()
    assert re.fullmatch(r"WOR-CIN-0001_outcome-letter(_[a-z0-9-]+)?\.docx", download.value.suggested_filename)
    text = "\n".join(p.text for p in docx.Document(download.value.path()).paragraphs)
    assert "Poppy" in text
    ben.context.close()
    mo.context.close()


def test_batch_progress_is_live_without_a_reload(server, browser, tmp_path):
    """Eight bundles asking for 15 documents each, 136 PDFs: long enough to watch the batch run
    (progress.js asks every 2 seconds), on a quiet machine too. Derbyshire needs no sign-off, so
    no other test's sign-off queue grows."""
    paths = []
    for n in range(8):
        bundle = json.loads(DERBYSHIRE.read_text())
        bundle["case"]["reference"] = f"DBY-CIN-09{n:02d}"
        (tmp_path / f"case-{n}.json").write_text(json.dumps(bundle))
        paths.append(str(tmp_path / f"case-{n}.json"))
    dee = Visitor(browser, server, "dee.staff")
    dee.sign_in()
    dee.go("/batches/new", "40-upload-eight")
    dee.page.set_input_files("#bundles", paths)
    dee.page.check("input[value='pdf']")
    dee.page.click("button:text('Check and start the batch')")
    dee.page.wait_for_url(re.compile(r".*/batches/[0-9a-f]{16}$"))
    batch_url = dee.page.url
    said = dee.watch_progress(r"Working: \d of 8 bundles done\.", "Finished:", "41-batch-running", timeout=600_000)
    done = [int(re.search(r"\d", sentence).group()) for sentence in said]
    assert len(done) > 1 and done == sorted(set(done)), said  # it moved on while watched, never back
    assert dee.page.url == batch_url
    dee.check("42-batch-finished")
    text = dee.text()
    assert re.search(r"Finished: \d+ documents issued; 0 of 8 bundles failed\.", text), text
    files = dee.page.locator("a[download]:text-matches('^DBY-CIN-09')").all_inner_texts()
    assert {name[:12] for name in files} == {f"DBY-CIN-09{n:02d}" for n in range(8)}
    dee.reflows("42-batch-finished")
    assert dee.csp_violations == []
    dee.context.close()


def test_policy_owner_checks_a_new_template_version(server, browser, tmp_path):
    from docgen.register import Register
    from docgen.registry import Registry

    current = Registry(server.templates).resolve("outcome-letter", "worcestershire")
    broken = docx.Document(str(current.path))
    broken.add_paragraph("Nickname: {{ child.nickname }}")
    candidate = tmp_path / "outcome-letter.docx"
    broken.save(str(candidate))
    macro = tmp_path / "outcome-letter.docm"
    macro.write_bytes(candidate.read_bytes())

    pat = Visitor(browser, server, "pat.policy")
    pat.sign_in()
    pat.page.click("a:text('Templates')")
    pat.check("21-templates")
    assert f"Standard Outcome/Closure Letter outcome-letter {current.version}" in pat.text()
    pat.page.click("a:text('Check a new version of Standard Outcome/Closure Letter')")
    pat.check("22-template-upload")
    pat.page.set_input_files("#template", str(macro))
    pat.page.click("button:text('Check it')")
    pat.check("23-template-refused")
    assert "The file must be a Word document saved as .docx." in pat.text()
    pat.page.set_input_files("#template", str(candidate))
    pat.page.click("button:text('Check it')")
    pat.check("24-template-report")
    text = pat.text()
    assert re.search(r"[1-9]\d* errors? and \d+ warnings?: correct the errors", text), text
    assert "child.nickname" in text
    with pat.page.expect_download() as download:
        pat.page.click("a:text('Download the template with a comment at each problem')")
    assert download.value.suggested_filename == "outcome-letter-annotated.docx"
    with zipfile.ZipFile(download.value.path()) as annotated:
        assert "child.nickname" in annotated.read("word/comments.xml").decode()

    # a version with no errors is published: written into the authority's folder, version raised
    sentence = docx.Document(str(current.path))
    sentence.add_paragraph("We are glad to help.")
    sentence.save(str(candidate))
    pat.page.click("a:text('Check another version')")
    pat.page.set_input_files("#template", str(candidate))
    pat.page.click("button:text('Check it')")
    assert "No errors;" in pat.text() or "No errors and no warnings." in pat.text()
    assert "WOR-CIN-0001/outcome-letter_family-mum" in pat.text() and "+We are glad to help." in pat.text()
    report = pat.page.url

    # every sample and recipient as page images, the current version's beside the new one's
    pat.page.click("a:text('See every page beside the current version')")
    # drawn in the background; how often the region changes depends on how fast LibreOffice draws
    pat.watch_progress(r"Drawing the pages: \d+ of 14 documents done\.", "All the pages are drawn.",
                       "25-template-pages-drawing", timeout=300_000)  # fmt: skip
    pat.check("25-template-pages")
    pat.reflows("25-template-pages")
    columns = pat.page.locator(".govuk-grid-column-one-half").all()[:2]
    pat.page.set_viewport_size({"width": 320, "height": 800})
    first, second = (c.bounding_box() for c in columns)
    assert second["y"] >= first["y"] + first["height"] - 1  # the new version below the current one
    pat.page.set_viewport_size({"width": 1280, "height": 720})
    first, second = (c.bounding_box() for c in columns)
    assert second["x"] > first["x"] and abs(second["y"] - first["y"]) < 1  # side by side when there is room
    text = pat.text()
    assert "All the pages are drawn." in text and "could not be converted" not in text, text
    names = pat.page.locator("h2.govuk-heading-m").all_inner_texts()
    assert "WOR-CIN-0001/outcome-letter_family-mum" in names
    for side in ("current", "candidate"):
        drawn = pat.page.locator(f"img[src*='/{side}/']")
        assert drawn.count() >= len(names), side  # at least page 1 of every sample and recipient, each side
        assert pat.page.evaluate(f"[...document.querySelectorAll(\"img[src*='/{side}/']\")].every(i => i.complete && i.naturalWidth > 600)")
    assert f"on the left by version {current.version}, on the right by the new version" in text
    assert "+We are glad to help." in text
    image = pat.page.locator("img[src*='/candidate/']").first.get_attribute("src")
    assert pat.context.request.get(server.url + image).headers["content-type"] == "image/png"
    pat.page.goto(report)

    pat.page.click("button:text('Publish this version')")
    pat.check("26-template-published")
    major, minor = current.version.split(".")
    raised = f"{major}.{int(minor) + 1}"  # the version the current template has, raised
    assert f"Published as version {raised} by user:pat.policy" in pat.text()
    # its snapshots are the new text, and `docgen templates snapshot` finds nothing else changed
    kept = server.templates.parent / "snapshots" / "worcestershire" / "WOR-CIN-0001" / "outcome-letter_family-mum.txt"
    assert "We are glad to help." in kept.read_text()
    clean = subprocess.run([str(ROOT / ".venv" / "bin" / "docgen"), "templates", "snapshot", "--templates", str(server.templates)],
                           capture_output=True, text=True, timeout=600)  # fmt: skip
    assert clean.returncode == 0, clean.stderr
    assert re.fullmatch(r"\d+ documents, 0 different\.\n", clean.stdout), clean.stdout
    with Register(server.data / "register.sqlite3", read_only=True) as register:
        (row,) = register.publications("worcestershire")
    assert (row.document, row.version, row.previous_version, row.actor) == ("outcome-letter", raised, current.version, "user:pat.policy")
    assert row.template_sha256 == hashlib.sha256(candidate.read_bytes()).hexdigest()
    lock = json.loads((server.templates / "versions.lock.json").read_text())
    assert lock["worcestershire/outcome-letter.docx"]["version"] == raised
    published = docx.Document(str(server.templates / "worcestershire" / "outcome-letter.docx"))
    assert [p.text for p in published.paragraphs][-1] == "We are glad to help."
    for _ in range(3):  # whichever of the two worker processes answers (not guaranteed to be both)
        pat.page.goto(server.url + "/templates")
        assert f"Standard Outcome/Closure Letter outcome-letter {raised} worcestershire" in pat.text()
    assert f"Standard Outcome/Closure Letter {raised} {current.version} user:pat.policy {row.published_at}" in pat.text()
    pat.check("27-templates-published")

    # policy owners never see case data
    for path in ("/cases", "/batches/new", "/sign-off"):
        assert pat.page.goto(server.url + path).status == 403
    assert pat.csp_violations == []
    pat.context.close()


FOCUS_VISIBLE = """el => {
    // GOV.UK's focus style: the yellow (#ffdd00) outline, background or ring; for a radio or
    // checkbox (its input hidden) the ring drawn round its label's box
    const yellow = 'rgb(255, 221, 0)';
    const styles = [getComputedStyle(el)];
    if (el.labels && el.labels.length) {
        styles.push(getComputedStyle(el.labels[0], '::before'), getComputedStyle(el.labels[0], '::after'));
    }
    return styles.some(s => (s.outlineStyle !== 'none' && s.outlineColor === yellow && parseFloat(s.outlineWidth) >= 3)
                         || s.backgroundColor === yellow || s.boxShadow.includes(yellow));
}"""


class KeyboardUser(Visitor):
    """Someone who uses only Tab, Enter and Space; every element they reach shows focus."""

    def tab_to(self, selector: str, limit: int = 80) -> None:
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            focused = self.page.evaluate_handle("document.activeElement")
            if focused.evaluate("el => el === document.body"):
                continue
            assert focused.evaluate(FOCUS_VISIBLE), f"no visible focus on {focused.evaluate('el => el.outerHTML.slice(0, 200)')}"
            if self.page.locator(selector).evaluate_all("els => els.includes(document.activeElement)"):
                return
        raise AssertionError(f"{selector} not reached with {limit} presses of Tab on {self.page.url}")

    def follow(self) -> None:
        """Enter on the focused link or button, and wait for the page it leads to."""
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")
        self.page.wait_for_load_state()

    def error_summary_has_focus(self) -> None:
        self.page.wait_for_function("document.activeElement && document.activeElement.classList.contains('govuk-error-summary')")

    def sign_in_by_keyboard(self) -> None:
        self.go("/sign-in", f"{self.name}-keyboard-sign-in")
        self.tab_to("button:text('Sign in')")
        self.follow()  # nothing filled in: refused
        self.error_summary_has_focus()
        self.check(f"{self.name}-keyboard-sign-in-error")
        self.tab_to("#name")
        self.page.keyboard.type(self.name)
        self.tab_to("#password")
        self.page.keyboard.type(PASSWORD)
        self.tab_to("button:text('Sign in')")
        self.follow()
        assert self.page.url == self.server.url + "/"


def test_keyboard_only_from_sign_in_to_approval(server, browser, tmp_path):
    good, _, _ = bundles(tmp_path)
    make_user(server.data, "kim.staff", "admin-staff", "worcestershire")
    kim = KeyboardUser(browser, server, "kim.staff")
    kim.sign_in_by_keyboard()
    kim.tab_to("a:text('Upload bundles')")
    kim.follow()
    kim.page.wait_for_url("**/batches/new")
    kim.tab_to("button:text('Check and start the batch')")
    kim.follow()  # no bundle chosen: refused, the summary takes focus
    kim.page.wait_for_load_state()
    kim.error_summary_has_focus()
    kim.check("30-keyboard-upload-error")
    kim.tab_to("#bundles")
    with kim.page.expect_file_chooser() as chooser:
        kim.page.keyboard.press("Space")
    chooser.value.set_files(str(good))
    kim.tab_to("button:text('Check and start the batch')")
    kim.follow()
    kim.page.wait_for_url("**/batches/*")
    kim.wait_finished("31-keyboard-batch")
    kim.tab_to("a:text('Preview')")
    kim.follow()
    kim.page.wait_for_url("**/preview")
    kim.check("32-keyboard-preview")
    assert "Poppy" in kim.text()
    batch = kim.page.url.rsplit("/files/", 1)[0]

    mo = KeyboardUser(browser, server, "mo.manager")
    mo.sign_in_by_keyboard()
    mo.tab_to("a:text('Sign-off')")
    mo.follow()
    mo.page.wait_for_url("**/sign-off")
    mo.tab_to(f"a[href^='{batch.removeprefix(server.url).replace('/batches/', '/sign-off/')}/']")
    mo.follow()
    mo.page.wait_for_load_state()
    mo.check("33-keyboard-decide")
    mo.tab_to("button:text('Record the decision')")
    mo.follow()  # no decision chosen: refused
    mo.page.wait_for_load_state()
    mo.error_summary_has_focus()
    mo.tab_to("#decision-approved")
    mo.page.keyboard.press("Space")
    assert mo.page.is_checked("#decision-approved")
    mo.tab_to("button:text('Record the decision')")
    mo.follow()
    mo.page.wait_for_url("**/sign-off")
    mo.check("34-keyboard-approved")
    kim.page.goto(batch)
    assert "approved" in kim.text()
    assert kim.csp_violations == [] and mo.csp_violations == []
    kim.context.close()
    mo.context.close()
