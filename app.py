"""Relais: the routes and functions Lambda runs. A table of contents; the work is in chalicelib/."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from chalice.app import Response

from chalicelib.web import admin, contractor, dev, static
from chalicelib.web.http import ThreadSafeChalice, security_headers

app = ThreadSafeChalice(app_name="relais")
logger = Logger(service="relais")

app.register_blueprint(contractor.bp)
app.register_blueprint(admin.bp)
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


@app.lambda_function(name="sweep_outbox")
def sweep_outbox(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Every minute: retries after backoff, and items whose sender died mid-way."""
    from chalicelib import dispatcher

    return dispatcher.sweep()
