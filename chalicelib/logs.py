"""Logs: one JSON line per event, in every function, that a single query follows by ticket.

Powertools' Logger alone writes the `relais` logger (Chalice is told not to add its plain-text
handler to the same logger, and nothing propagates to the Lambda runtime's root handler, which
would print each line again as text). Modules log through children of it
(`Logger(service="relais", child=True)` or `logging.getLogger("relais.<name>")`).

Every line carries the Lambda `request_id`, and `correlation_id` = the ticket id while a ticket
is being handled: API request, stream record, timer fire, send, bounce. The EMF metric lines
carry both too (chalicelib/outbox/metrics.py). Never log a phone number, an email address or a link.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Logger
from chalice.app import Request

SERVICE = "relais"

logger = Logger(service=SERVICE)
logging.getLogger(SERVICE).propagate = False


def invocation(event: Any, get_response: Any) -> Any:
    """Chalice middleware for every function (API and the others): an invocation's lines carry
    its own request id and nothing left over from the one before in a warm container."""
    context = event.lambda_context if isinstance(event, Request) else event.context
    logger.clear_state()
    logger.append_keys(request_id=getattr(context, "aws_request_id", None),
                       function_name=getattr(context, "function_name", None))
    return get_response(event)


@contextmanager
def about_ticket(ticket_id: str | None) -> Iterator[None]:
    """Lines written inside carry `correlation_id` = this ticket (none for no ticket)."""
    previous = logger.get_correlation_id()
    logger.set_correlation_id(ticket_id or None)
    try:
        yield
    finally:
        logger.set_correlation_id(previous)


def correlation() -> dict[str, str]:
    """The ticket and request ids the current lines carry (for the EMF metric lines)."""
    keys = logger.get_current_keys()
    return {name: str(keys[name]) for name in ("correlation_id", "request_id") if keys.get(name)}
