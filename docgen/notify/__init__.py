"""Posting letters through GOV.UK Notify: the gateway to its API, and sending with a record.

:mod:`docgen.notify.gateway` talks to Notify through the official ``notifications-python-client``
and handles its faults as Notify documents them; :mod:`docgen.notify.send` checks each letter,
records each send in the register and settles interrupted runs.
"""

from docgen.notify.gateway import NotifyGateway, read_api_key
from docgen.notify.send import SendOptions, SendOutcome, send_letters, update_statuses

__all__ = ["NotifyGateway", "SendOptions", "SendOutcome", "read_api_key", "send_letters", "update_statuses"]
