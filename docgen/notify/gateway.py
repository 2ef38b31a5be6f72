"""GOV.UK Notify's API through its official client, with Notify's faults handled as documented.

- 400: Notify refused the request (a letter failing its validation, a bad postage): raised at
  once as NotifyError, not retried, since the same request would be refused again.
- 403: the API key is wrong or revoked: NotifyKeyRefused, which stops a run (exit code 8).
- 429: too many requests (3,000 a minute per key, or the daily limit): wait and try again,
  longer each time; requests are also paced so that a run stays under the per-minute limit.
- 5xx and timeouts: try again with backoff, then NotifyError marked retryable.

The API key comes from ``$NOTIFY_API_KEY`` or a file, never from a command-line value (which
other users of the machine can read), and is never logged or put in an error message.
"""

from __future__ import annotations

import io
import logging
import os
import time
from pathlib import Path
from typing import Any

from notifications_python_client.errors import APIError
from notifications_python_client.notifications import NotificationsAPIClient
from notifications_python_client.utils import prepare_upload

from docgen.exceptions import InputError, NotifyError, NotifyKeyRefused

API_KEY_ENV = "NOTIFY_API_KEY"
BASE_URL_ENV = "NOTIFY_BASE_URL"
NOTIFY_URL = "https://api.notifications.service.gov.uk"
RATE_LIMIT_PER_MINUTE = 3000  # Notify's limit per API key
ATTEMPTS = 5  # for 429, 5xx and timeouts
FILE_RETENTION = "26 weeks"  # how long Notify keeps a file sent by email (its default, stated)
log = logging.getLogger(__name__)


def read_api_key(api_key_file: Path | None = None) -> str:
    """The API key from ``api_key_file``, else ``$NOTIFY_API_KEY``; InputError if neither.

    A Notify key is ``name-SERVICEID-SECRET``, both ids 36 characters long.
    """
    if api_key_file is not None:
        try:
            key = Path(api_key_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as e:
            raise InputError("The API key file cannot be read.", source=str(api_key_file)) from e
        source = str(api_key_file)
    else:
        key, source = os.environ.get(API_KEY_ENV, "").strip(), f"${API_KEY_ENV}"
    if not key:
        raise InputError(f"No GOV.UK Notify API key: set ${API_KEY_ENV} or give --api-key-file.")
    if len(key) < 74 or key[-37] != "-" or key[-74] != "-":
        raise InputError(
            "This is not a GOV.UK Notify API key (name-SERVICEID-SECRET, as Notify shows it "
            "once when the key is made).",
            source=source,
        )
    return key


class NotifyGateway:
    """The Notify calls docgen makes. ``backoff`` is the first wait in seconds after a 429, a
    5xx or a timeout; it doubles on each further attempt."""

    def __init__(self, api_key: str, base_url: str | None = None, *, timeout: float = 30,
                 backoff: float = 2.0, attempts: int = ATTEMPTS) -> None:  # fmt: skip
        self.base_url = base_url or os.environ.get(BASE_URL_ENV) or NOTIFY_URL
        self._client = NotificationsAPIClient(api_key, base_url=self.base_url, timeout=timeout)
        self._backoff, self._attempts = backoff, attempts
        self._interval = 60.0 / RATE_LIMIT_PER_MINUTE
        self._last_request = 0.0

    def send_letter(self, pdf: bytes, reference: str, postage: str | None,
                    known_ids: frozenset[str] = frozenset()) -> dict[str, Any]:  # fmt: skip
        """Send a precompiled letter; Notify's answer (``id``, ``reference``, ``postage``).

        Before trying again after a 5xx or a timeout, Notify is asked whether the letter
        arrived after all (a letter with this reference and an id not in ``known_ids``), so
        that an answer lost on the way back never makes a second letter.
        """
        return self._call(
            lambda: self._client.send_precompiled_letter_notification(
                reference=reference, pdf_file=io.BytesIO(pdf), postage=postage
            ),
            reference,
            arrived=lambda: self._arrived(reference, "letter", known_ids),
        )

    def _arrived(self, reference: str, kind: str, known_ids: frozenset[str]) -> dict[str, Any] | None:
        new = [n for n in self.with_reference(reference, kind) if n["id"] not in known_ids]
        return new[0] if new else None

    def send_file_by_email(self, pdf: bytes, filename: str, email_address: str, template_id: str,
                           reference: str, known_ids: frozenset[str] = frozenset()) -> dict[str, Any]:  # fmt: skip
        """Email a link to the PDF through an email template with a ``((link_to_file))``
        placeholder; the reader confirms their email address before downloading it. Retried
        as :meth:`send_letter` is, never making a second email."""
        try:
            upload = prepare_upload(io.BytesIO(pdf), filename=filename,
                                    confirm_email_before_download=True, retention_period=FILE_RETENTION)  # fmt: skip
        except ValueError as e:  # the client's own check of Notify's 2 MB limit for files
            raise NotifyError(f"The file cannot go by email: {e}.", source=reference) from e
        return self._call(
            lambda: self._client.send_email_notification(
                email_address=email_address, template_id=template_id,
                personalisation={"link_to_file": upload}, reference=reference,
            ),
            reference,
            arrived=lambda: self._arrived(reference, "email", known_ids),
        )  # fmt: skip

    def notification(self, notification_id: str) -> dict[str, Any]:
        """A notification as Notify has it now, with its ``status``."""
        return self._call(lambda: self._client.get_notification_by_id(notification_id), notification_id)

    def with_reference(self, reference: str, kind: str = "letter") -> list[dict[str, Any]]:
        """The notifications of this kind (letter, email) Notify holds with this reference,
        newest first."""
        answer = self._call(
            lambda: self._client.get_all_notifications(template_type=kind, reference=reference),
            reference,
        )
        return list(answer.get("notifications", []))

    def _call(self, request, reference: str, arrived=None) -> dict[str, Any]:
        error: NotifyError | None = None
        for attempt in range(1, self._attempts + 1):
            if error is not None and error.status_code >= 500 and arrived is not None:
                found = arrived()  # a 5xx or a timeout may hide a request Notify carried out
                if found:
                    return found
            self._pace()
            try:
                return request()
            except APIError as e:
                error = _as_docgen_error(e, reference)
            if not error.retryable or attempt == self._attempts:
                raise error
            wait = self._backoff * 2 ** (attempt - 1)
            log.info("%s: Notify answered %s; trying again in %.1f s", reference, error.status_code, wait)
            time.sleep(wait)
        raise AssertionError("unreachable")  # the loop returns or raises

    def _pace(self) -> None:
        """Keep to Notify's per-minute limit across a run."""
        wait = self._last_request + self._interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last_request = time.monotonic()


def _as_docgen_error(error: APIError, reference: str) -> NotifyError:
    status = error.status_code
    message = _notify_message(error)
    if status == 403:
        return NotifyKeyRefused(
            f"GOV.UK Notify refused the API key ({message}); nothing more was sent. "
            f"Check ${API_KEY_ENV} or --api-key-file, and that the key is not revoked.",
            status_code=403, source=reference,
        )  # fmt: skip
    retryable = status == 429 or status >= 500
    return NotifyError(f"GOV.UK Notify answered {status}: {message}", status_code=status,
                       retryable=retryable, source=reference)  # fmt: skip


def _notify_message(error: APIError) -> str:
    """Notify's own words: ``errors`` is a list of {error, message}."""
    message = error.message
    if isinstance(message, list):
        return "; ".join(f"{item.get('error')}: {item.get('message')}" for item in message)
    return str(message)
