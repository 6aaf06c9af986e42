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

# One metric per event type a ticket can be given (every change is an event: usecases/changes.py). The
# event type is the lifecycle action's name unless the change names another (changes.transition);
# tests/unit/test_metrics.py reads every type the code writes and fails on one missing here.
PEOPLE_STEPS = {
    "created": "TicketsCreated",
    "accept": "RequestsAccepted",
    "refuse": "RequestsRefused",
    "request_quote": "QuotesRequested",
    "submit_quote": "QuotesSubmitted",
    "accept_quote": "QuotesAccepted",
    "reject_quote": "QuotesRejected",
    "reschedule": "InterventionsRescheduled",
    "report_late": "LateArrivalsReported",
    "confirm_presence": "PresencesConfirmed",
    "request_completion": "CompletionsRequested",
    "complete": "InterventionsCompleted",
    "complete_with_invoice": "InterventionsCompletedWithInvoice",
    "request_invoice": "InvoicesRequested",
    "submit_invoice": "InvoicesReceived",
    "waive_invoice": "InvoicesWaived",
    "close": "TicketsClosed",
    "cancel": "TicketsCancelled",
    "message": "MessagesPosted",
    "read": "TicketsRead",
    "reassign": "TicketsReassigned",
    "change_owner": "TicketsHandedOver",
    "notification_resent": "NotificationsResent",
    "edit": "RequestsEdited",
    "occupant_absent": "OccupantAbsencesSaid",
    "change_urgency": "UrgenciesChanged",
    "remind_now": "ManualReminders",
}
# What the timers and the outbox did to a ticket by themselves.
SYSTEM_STEPS = {
    "reminder": "RemindersFired",
    "presence_check": "PresenceChecksFired",
    "completion_request": "CompletionRequestsFired",
    "invoice_request": "InvoiceRequestsFired",
    "answer_overdue": "ManagerAlertsFired",
    "presence_overdue": "ManagerAlertsFired",
    "invoice_overdue": "ManagerAlertsFired",
    "notification_failed": "DeliveryFailuresShown",
    "email_bounced": "EmailsBounced",
    "occupant_reminder": "OccupantRemindersFired",
    "email_held": "EmailRepliesHeld",
    "email_refused": "EmailRepliesRefused",
}
STEP_METRICS = {**PEOPLE_STEPS, **SYSTEM_STEPS}
OUTCOME_METRICS = {"sent": "NotificationsSent", "retry": "NotificationsRetried", "failed": "NotificationsFailed",
                   "skipped_undeliverable": "NotificationsRerouted", "digested": "AlertsKeptForDigest"}
OUTBOX_AGE = "OutboxOldestPendingAgeSeconds"


def _emit(name: str, value: float, unit: str, dimensions: dict[str, str] | None = None) -> None:
    import os

    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true":  # `make run`: no EMF in the terminal
        return
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    from chalicelib import logs

    with single_metric(name=name, unit=MetricUnit(unit), value=value, namespace=NAMESPACE,
                       default_dimensions={"service": SERVICE}) as metric:
        for key, val in (dimensions or {}).items():
            metric.add_dimension(name=key, value=val)
        for key, val in logs.correlation().items():  # the line is in the logs too: found by the same query
            metric.add_metadata(key=key, value=val)


def step(event_type: str) -> None:
    """One ticket step happened (an event was committed)."""
    name = STEP_METRICS.get(event_type)
    if name is None:  # a type this map does not know yet: said in the logs, never counted under a wrong name
        from chalicelib.logs import logger

        logger.warning("event type without a metric", extra={"event_type": event_type})
        return
    _emit(name, 1, "Count")


def delivery(outcome: str, channel: str) -> None:
    """A notification was sent, will be retried, failed for good, or was re-routed."""
    name = OUTCOME_METRICS.get(outcome)
    if name is not None:
        _emit(name, 1, "Count", {"Channel": channel})


def outbox_age(seconds: float) -> None:
    """Age of the oldest outbox item that is due and not sent (0 when the outbox is empty)."""
    _emit(OUTBOX_AGE, max(0.0, seconds), "Seconds")


def step_in(record: dict[str, Any]) -> None:
    """Count the ticket event a DynamoDB stream record inserted (if it is one)."""
    if record.get("eventName") != "INSERT":
        return
    image = record.get("dynamodb", {}).get("NewImage") or {}
    if image.get("item_type", {}).get("S") == "event":
        step(str(image.get("event_type", {}).get("S", "")))
