"""Relais: the routes and functions Lambda runs. A table of contents; the work is in chalicelib/."""

from __future__ import annotations

import re
import sys
from typing import Any

# First, from this module's top frame. Imported from deep in the import chain (app → web.contractor
# → data.links → data.models), pynamodb and botocore run their module code at a boundary of CPython's
# frame stack chunks, which then maps and frees one 16 KiB chunk about a thousand times: ~2,000
# syscalls and their page faults on every cold start (README, "Cold start"; CPython 3.11 and 3.13).
import pynamodb.models  # noqa: F401  isort: skip
from chalice.app import Response

from chalicelib import logs
from chalicelib.logs import logger
from chalicelib.web import contractor, dev, not_found, occupant, people, session, static
from chalicelib.web.admin import actions, agency, alert_preferences, buildings, edits, exports, planning, signin, tickets
from chalicelib.web.http import ThreadSafeChalice, security_headers

app = ThreadSafeChalice(app_name="relais", configure_logs=False)  # Powertools writes the `relais` logger alone
app.register_middleware(logs.invocation, "all")  # first, so outermost: every function's lines carry the request id

app.api.binary_types.append("multipart/form-data")  # a file's bytes reach us as sent (a building import)
for pages in (contractor, occupant, session, signin, tickets, actions, edits, agency, alert_preferences, buildings, planning,
              exports, people, dev, static, not_found):
    app.register_blueprint(pages.bp)

if "chalice.local" in sys.modules:  # `chalice local` or the test client, never Lambda: route as API Gateway does
    from chalicelib.dev import greedy_routes

    greedy_routes.install()


_TICKET_PAGE = re.compile(r"^/admin/tickets/([0-9A-Z]{26})(?:[/?#]|$)")


@app.middleware("http")
def observe_and_protect(event: Any, get_response: Any) -> Response:
    """Every page: the protective headers, and one structured log line correlated by ticket (the
    one in the route, or the one a new request's redirect leads to) and by API Gateway's request
    id, which its access logs show. The route pattern is logged, never the path: a path can carry
    a link secret."""
    logger.append_keys(api_request_id=(event.context or {}).get("requestId"))
    logger.set_correlation_id((event.uri_params or {}).get("ticket_id"))
    response = get_response(event)
    for name, value in security_headers().items():
        response.headers.setdefault(name, value)
    created = _TICKET_PAGE.match(str(response.headers.get("Location", "")))
    if logger.get_correlation_id() is None and created:
        logger.set_correlation_id(created.group(1))
    route = (event.context or {}).get("resourcePath")
    logger.info("request", extra={"route": route, "method": event.method, "status": response.status_code})
    return response


@app.route("/", methods=["GET"])
def index() -> Response:
    return Response(body="", status_code=302, headers={"Location": "/admin"})


@app.lambda_function(name="dispatch_outbox")
def dispatch_outbox(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Fed by the table's DynamoDB Stream: sends each new outbox item; answers the records that failed."""
    from chalicelib.outbox import dispatcher  # here, not on top: the API's cold start never needs boto3

    return dispatcher.handle_stream_batch(event, context)


@app.lambda_function(name="fire_schedule")
def fire_schedule(event: dict[str, Any], context: Any) -> str:
    """Invoked by EventBridge Scheduler at a timer's time (the event is the schedule's input)."""
    from chalicelib.usecases import timers

    return timers.fire(event)


@app.lambda_function(name="sweep_outbox")
def sweep_outbox(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Every minute: retries after backoff, and items whose sender died mid-way."""
    from chalicelib.outbox import dispatcher

    return dispatcher.sweep()


@app.lambda_function(name="handle_bounce")
def handle_bounce(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Subscribed to the SES bounce/complaint topic: the address is marked undeliverable, the
    ticket says so, and the contractor gets the message by SMS instead."""
    from chalicelib.usecases import bounces

    return bounces.handle_sns_records(event.get("Records", []))


@app.lambda_function(name="receive_email")
def receive_email(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Invoked by the SES receipt rule once its S3 action stored the raw mail under inbound/: a reply
    lands in its ticket's thread, is held for the manager, answered, or dropped."""
    from chalicelib.usecases import inbound_mail

    return inbound_mail.handle_ses_event(event)
