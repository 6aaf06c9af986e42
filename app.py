"""Relais: the routes and functions Lambda runs. A table of contents; the work is in chalicelib/."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from chalice.app import Response

from chalicelib.web import admin, contractor, dev, people, static
from chalicelib.web.http import ThreadSafeChalice, security_headers

app = ThreadSafeChalice(app_name="relais")
logger = Logger(service="relais")

app.register_blueprint(contractor.bp)
app.register_blueprint(admin.bp)
app.register_blueprint(people.bp)
app.register_blueprint(dev.bp)
app.register_blueprint(static.bp)


@app.middleware("http")
def observe_and_protect(event: Any, get_response: Any) -> Response:
    """Every page: the protective headers, and one structured log line correlated by ticket.

    The route pattern is logged, never the path: a path can carry a link secret."""
    logger.set_correlation_id((event.uri_params or {}).get("ticket_id"))
    response = get_response(event)
    for name, value in security_headers().items():
        response.headers.setdefault(name, value)
    route = (event.context or {}).get("resourcePath")
    logger.info("request", extra={"route": route, "method": event.method, "status": response.status_code})
    return response


@app.route("/", methods=["GET"])
def index() -> Response:
    return Response(body="", status_code=302, headers={"Location": "/admin"})


@app.lambda_function(name="dispatch_outbox")
def dispatch_outbox(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Fed by the table's DynamoDB Stream: sends each new outbox item."""
    from chalicelib import dispatcher  # here, not on top: the API's cold start never needs boto3

    return dispatcher.handle_stream_records(event.get("Records", []))


@app.lambda_function(name="fire_schedule")
def fire_schedule(event: dict[str, Any], context: Any) -> str:
    """Invoked by EventBridge Scheduler at a timer's time (the event is the schedule's input)."""
    from chalicelib import timers

    return timers.fire(event)


@app.lambda_function(name="sweep_outbox")
def sweep_outbox(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Every minute: retries after backoff, and items whose sender died mid-way."""
    from chalicelib import dispatcher

    return dispatcher.sweep()


@app.middleware("http")
def request_ids(event: Any, get_response: Any) -> Response:
    """Registered after observe_and_protect, so it runs inside it: the request log line carries
    the Lambda request id (and API Gateway's, which is what its access logs show)."""
    lambda_context = getattr(event, "lambda_context", None)
    logger.append_keys(request_id=getattr(lambda_context, "aws_request_id", None),
                       api_request_id=(event.context or {}).get("requestId"))
    return get_response(event)


@app.lambda_function(name="handle_bounce")
def handle_bounce(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Subscribed to the SES bounce/complaint topic: the address is marked undeliverable, the
    ticket says so, and the contractor gets the message by SMS instead."""
    from chalicelib import bounces

    logger.append_keys(request_id=getattr(context, "aws_request_id", None))
    return bounces.handle_sns_records(event.get("Records", []))
