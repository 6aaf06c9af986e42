"""CloudWatch metrics as Embedded Metric Format lines (Powertools), namespace `Relais`.

Called from two places only: the dispatcher, which sees every committed event on the table's
stream (one metric per ticket step) and every delivery outcome; and the sweep (the age of the
oldest outbox item still waiting). The API function never imports this module: EMF lines cost
nothing there, but the metrics come from the stream anyway, once per committed change.

Every metric has the dimension `service=relais`; delivery outcomes add `Channel`. The
dashboard and alarms in infra/template.yml name these exact dimension sets.
"""

from __future__ import annotations

from typing import Any

NAMESPACE = "Relais"
SERVICE = "relais"

# Ticket steps, by the event type the change appended (DESIGN.md: every change is an event).
STEP_METRICS = {
    "created": "TicketsCreated",
    "accept": "RequestsAccepted",
    "refuse": "RequestsRefused",
    "cancel": "TicketsCancelled",
    "message": "MessagesPosted",
    "reschedule": "InterventionsRescheduled",
    "quote_submitted": "QuotesSubmitted",
    "quote_accepted": "QuotesAccepted",
    "quote_rejected": "QuotesRejected",
    "on_site": "PresencesConfirmed",
    "completed": "InterventionsCompleted",
    "invoiced": "InvoicesReceived",
    "reminder": "RemindersFired",
    "presence_check": "PresenceChecksFired",
    "completion_request": "CompletionRequestsFired",
    "invoice_request": "InvoiceRequestsFired",
    "answer_overdue": "ManagerAlertsFired",
    "presence_overdue": "ManagerAlertsFired",
    "invoice_overdue": "ManagerAlertsFired",
    "email_bounced": "EmailsBounced",
}
OTHER_STEPS = "OtherTicketEvents"
OUTCOME_METRICS = {"sent": "NotificationsSent", "retry": "NotificationsRetried", "failed": "NotificationsFailed",
                   "skipped_undeliverable": "NotificationsRerouted"}
OUTBOX_AGE = "OutboxOldestPendingAgeSeconds"


def _emit(name: str, value: float, unit: str, dimensions: dict[str, str] | None = None) -> None:
    import os

    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true":  # `make run`: no EMF in the terminal
        return
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(name=name, unit=MetricUnit(unit), value=value, namespace=NAMESPACE,
                       default_dimensions={"service": SERVICE}) as metric:
        for key, val in (dimensions or {}).items():
            metric.add_dimension(name=key, value=val)


def step(event_type: str) -> None:
    """One ticket step happened (an event was committed)."""
    _emit(STEP_METRICS.get(event_type, OTHER_STEPS), 1, "Count")


def delivery(outcome: str, channel: str) -> None:
    """A notification was sent, will be retried, failed for good, or was re-routed."""
    name = OUTCOME_METRICS.get(outcome)
    if name is not None:
        _emit(name, 1, "Count", {"Channel": channel})


def outbox_age(seconds: float) -> None:
    """Age of the oldest outbox item that is due and not sent (0 when the outbox is empty)."""
    _emit(OUTBOX_AGE, max(0.0, seconds), "Seconds")


def steps_in(records: list[dict[str, Any]]) -> None:
    """Count the ticket events inserted in a batch of DynamoDB stream records."""
    for record in records:
        if record.get("eventName") != "INSERT":
            continue
        image = record.get("dynamodb", {}).get("NewImage") or {}
        if image.get("item_type", {}).get("S") == "event":
            step(str(image.get("event_type", {}).get("S", "")))
