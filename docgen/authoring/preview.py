"""``docgen templates preview``: a template filled from a sample, as DOCX, PDF or a PNG of page 1.

By default the sample is the first one for the authority that has what the document requires
(and a recipient for it, when it goes to recipients); failing that, any sample, filled as if it
were the authority's. PDF comes from the warm LibreOffice converter, PNG from poppler's
``pdftoppm`` at 80 dpi.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from docgen.authoring.samples import (
    SampleRender,
    has_required,
    read_sample,
    render_with,
    sample_files,
)
from docgen.authoring.diagnose import compile_explained
from docgen.exceptions import ConvertError, InputError, TemplateError, TemplateFault
from docgen.atomic import private_folder, write_atomic
from docgen.registry import Registry

FORMATS = (".docx", ".pdf", ".png")
PNG_DPI = 80
PDFTOPPM_HINT = "pdftoppm (poppler-utils) was not found; install it with: apt-get install -y poppler-utils"


@dataclass(frozen=True)
class Preview:
    out: Path
    sample: Path
    recipient: str | None  # the recipient's slug ("family-mum"), or None for a single document
    borrowed: bool  # the sample belongs to another authority


def preview(doc_id: str, authority: str, out: Path, *, registry: Registry | None = None,
            sample: Path | None = None, recipient: str | None = None) -> Preview:
    """Fill ``doc_id`` as ``authority`` would from a sample and write it to ``out``."""
    out = Path(out)
    if out.suffix.lower() not in FORMATS:
        raise InputError(f"Expected --out to end in {', '.join(FORMATS)}.", source=str(out))
    registry = registry or Registry()
    profile = registry.profile(authority)
    info = registry.resolve(doc_id, authority)
    compiled = compile_explained(info.path)
    chosen = _fill(compiled, info, profile, registry, sample, recipient, authority)
    if out.suffix.lower() == ".docx":
        _write(out, chosen.docx)
    else:
        _convert(chosen.docx, out)
    slug = chosen.recipient.slug if chosen.recipient else None
    return Preview(out, chosen.sample, slug, chosen.bundle.authority != authority)


def _fill(compiled, info, profile, registry, sample, recipient, authority) -> SampleRender:
    """The first sample whose every recipient variant fills, and its chosen recipient's copy.

    Every variant is filled, not only the one written: a family branch that fails must not pass
    unseen because the agency copy filled. A template's own error fails the preview at once; a
    sample lacking what a branch needs gives way to the next sample.
    """
    if sample is not None:
        candidates = [Path(sample)]
    else:
        samples = sample_files(registry.root)
        candidates = [s for s in samples if _authority_of(s) == authority] + [
            s for s in samples if _authority_of(s) != authority
        ]
    failures: list[SampleRender] = []
    for path in candidates:
        bundle = read_sample(path)
        if sample is None and not has_required(bundle, info.requires):
            continue
        results = render_with(compiled, info, profile, bundle, path)
        chosen = [r for r in results if recipient is None or (r.recipient and r.recipient.slug == recipient)]
        if sample is not None and not chosen:
            known = ", ".join(r.recipient.slug for r in results if r.recipient)
            raise InputError(f"The sample has no recipient '{recipient}' for {info.doc_id}. Known: {known or 'none'}.",
                             source=str(path))
        failed = [r for r in results if r.error is not None]
        if not failed and chosen:
            return chosen[0]
        faults = [r for r in failed if isinstance(r.error, TemplateFault)]
        if faults:
            fault = faults[0].error
            raise TemplateFault(f"{_sentence(fault.message)} It fails for {_variants(faults)} from {path.name}.",
                                source=fault.source, wording=fault.wording)
        failures.extend(failed)
    raise TemplateError(f"No sample fills every recipient's copy of {info.doc_id} for {authority}"
                        f"{_failed_variants(failures)}. Pass --sample FILE.", source=str(info.path))


def _variants(results: list[SampleRender]) -> str:
    return ", ".join(r.recipient.slug if r.recipient else "the document" for r in results)


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else text + "."


def _failed_variants(failures: list[SampleRender]) -> str:
    """Each failure once: the variants and samples it stopped, then why."""
    by_message: dict[str, list[SampleRender]] = {}
    for failure in failures:
        by_message.setdefault(failure.error.message, []).append(failure)
    told = [f"{_variants(group)} from {', '.join(dict.fromkeys(r.sample.name for r in group))}: {message.rstrip('.')}"
            for message, group in by_message.items()]
    return f" ({'; '.join(told)})" if told else ""


def _authority_of(path: Path) -> str | None:
    try:
        return read_sample(path).authority
    except InputError:
        return None


def _write(out: Path, content: bytes) -> None:
    private_folder(out.parent)
    write_atomic(out.absolute(), content)  # not resolve(): a link named as --out is refused, not followed


def _convert(docx: bytes, out: Path) -> None:
    from docgen.convert import Converter  # only PDF and PNG need LibreOffice

    with tempfile.TemporaryDirectory(prefix="docgen-preview-") as work:
        source, pdf = Path(work) / "preview.docx", Path(work) / "preview.pdf"
        source.write_bytes(docx)
        with Converter(jobs=1) as converter:
            converter.convert(source, pdf)
        if out.suffix.lower() == ".pdf":
            _write(out, pdf.read_bytes())
            return
        _write(out, first_page_png(pdf))


def first_page_png(pdf: Path, dpi: int = PNG_DPI) -> bytes:
    """Page 1 of a PDF as PNG bytes, drawn by poppler's pdftoppm."""
    return page_png(pdf, 1, dpi)


def page_png(pdf: Path, page: int, dpi: int = PNG_DPI) -> bytes:
    """One page (from 1) of a PDF as PNG bytes, drawn by poppler's pdftoppm."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        raise ConvertError(PDFTOPPM_HINT)
    with tempfile.TemporaryDirectory(prefix="docgen-png-") as work:
        prefix = Path(work) / "page"
        done = subprocess.run(
            [tool, "-png", "-r", str(dpi), "-singlefile", "-f", str(page), "-l", str(page), str(pdf), str(prefix)],
            capture_output=True, text=True, timeout=120, check=False,
        )
        png = prefix.with_suffix(".png")
        if done.returncode != 0 or not png.is_file():
            raise ConvertError(f"pdftoppm could not draw page {page}: {done.stderr.strip() or done.returncode}.",
                               source=str(pdf))
        return png.read_bytes()
