"""Which letters go by email: information requests to agencies with an email address in the
bundle, when the authority's profile names a Notify email template (``notify_email_template``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from docgen.batch.inputs import BatchInput
from docgen.bundle.load import parse
from docgen.exceptions import DocgenError
from docgen.registry import Registry

EMAILED_DOCUMENT = "information-request"
EmailRoute = Callable[[Path], "tuple[str, str] | None"]  # a letter -> (address, template id)


def email_routes(bundles: Iterable[dict], registry: Registry) -> EmailRoute:
    """For each letter, by its file stem: the agency's address and the email template."""
    routes: dict[str, tuple[str, str]] = {}
    for data in bundles:
        try:
            template = registry.profile(data["authority"]).notify_email_template
        except (DocgenError, KeyError, TypeError):
            continue  # the batch reported this bundle already
        if not template:
            continue
        reference = data["case"]["reference"]
        for professional in data.get("professionals", []):
            if professional.get("email"):
                stem = f"{reference}_{EMAILED_DOCUMENT}_agency-{professional['id']}"
                routes[stem] = (professional["email"], template)
    return lambda path: routes.get(Path(path).stem)


def batch_email_routes(input_path: Path, registry: Registry) -> EmailRoute:
    """:func:`email_routes` for the bundles of a batch's input (those that can be read)."""

    def readable() -> Iterable[dict]:
        for text in BatchInput(input_path):
            if text.text is None:
                continue
            try:
                data = parse(text.text, text.label).data
            except DocgenError:
                continue
            if isinstance(data, dict) and isinstance(data.get("case"), dict):
                yield data

    return email_routes(readable(), registry)
