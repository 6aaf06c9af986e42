"""The CloudWatch dashboard `relais-<Stage>` (body for Fn::Sub: ${AWS::Region} and ${Stage} are filled in).

Rows: ticket steps and timers (EMF metrics from chalicelib/outbox/metrics.py), deliveries by channel and
SES, errors, latency, and the outbox/queues that say something is stuck.
"""

from __future__ import annotations

from typing import Any

from chalicelib.outbox.metrics import NAMESPACE, OUTBOX_AGE, SERVICE

# The main steps of a ticket and the timers (chalicelib/outbox/metrics.py maps each event type to its metric;
# tests/integration/test_observability.py walks a lifecycle and sees every one of these receive a value).
STEPS = ("TicketsCreated", "RequestsAccepted", "RequestsRefused", "QuotesSubmitted", "QuotesAccepted",
         "QuotesRejected", "PresencesConfirmed", "InterventionsCompleted", "InterventionsCompletedWithInvoice",
         "InvoicesReceived", "TicketsClosed", "TicketsCancelled", "MessagesPosted")
TIMERS = ("RemindersFired", "PresenceChecksFired", "CompletionRequestsFired", "InvoiceRequestsFired",
          "ManagerAlertsFired")
# Only an email is re-routed (to SMS, when its address bounces).
OUTCOMES = (*((m, c) for m in ("NotificationsSent", "NotificationsFailed", "NotificationsRetried") for c in ("sms", "email")),
            ("NotificationsRerouted", "email"))
REGION = "${AWS::Region}"
CONFIGURATION_SET = "relais-${Stage}"


def _widget(title: str, metrics: list[list[Any]], x: int, y: int, stat: str = "Sum", period: int = 3600,
            width: int = 12, **extra: Any) -> dict[str, Any]:
    return {"type": "metric", "x": x, "y": y, "width": width, "height": 6,
            "properties": {"title": title, "region": REGION, "stat": stat, "period": period, "view": "timeSeries",
                           "metrics": metrics, **extra}}


def dashboard_body(functions: list[str]) -> dict[str, Any]:
    names = [f"relais-${{Stage}}-{f}" for f in functions]
    custom = [NAMESPACE]
    widgets = [
        _widget("Tickets per step (per hour)", [[*custom, m, "service", SERVICE] for m in STEPS], 0, 0),
        _widget("Reminders and timers fired (per hour)", [[*custom, m, "service", SERVICE] for m in TIMERS], 12, 0),
        _widget("SMS and emails: sent, failed, retried, re-routed (per hour)",
                [[*custom, m, "service", SERVICE, "Channel", channel] for m, channel in OUTCOMES],
                0, 6),
        _widget("SES: sends, deliveries, bounces, complaints (per hour)",
                [["AWS/SES", m, "ses:configuration-set", CONFIGURATION_SET] for m in
                 ("Send", "Delivery", "Bounce", "Complaint", "Reject")]
                + [[*custom, "EmailsBounced", "service", SERVICE]], 12, 6),
        _widget("Errors: Lambda errors and API 5xx (per 5 min)",
                [["AWS/Lambda", "Errors", "FunctionName", name] for name in names]
                + [["AWS/ApiGateway", "5XXError", "ApiName", "relais", "Stage", "${Stage}"],
                   ["AWS/ApiGateway", "4XXError", "ApiName", "relais", "Stage", "${Stage}"]], 0, 12, period=300),
        _widget("API latency p50 / p90 / p99 (ms)",
                [["AWS/ApiGateway", "Latency", "ApiName", "relais", "Stage", "${Stage}", {"stat": s, "label": s}]
                 for s in ("p50", "p90", "p99")], 12, 12, stat="p90", period=300),
        _widget("Function duration p90 (ms)", [["AWS/Lambda", "Duration", "FunctionName", name] for name in names],
                0, 18, stat="p90", period=300),
        _widget("Stuck: oldest due outbox item (s) - alarm at 900",
                [[*custom, OUTBOX_AGE, "service", SERVICE]], 12, 18, stat="Maximum", period=60,
                annotations={"horizontal": [{"label": "stuck", "value": 900}]}),
        _widget("Throttles and concurrent executions", [["AWS/Lambda", "Throttles", "FunctionName", name]
                                                         for name in names], 0, 24, period=300),
        _widget("SES reputation: bounce and complaint rate",
                [["AWS/SES", "Reputation.BounceRate"], ["AWS/SES", "Reputation.ComplaintRate"]], 12, 24,
                stat="Maximum", period=3600, annotations={"horizontal": [{"label": "alarm", "value": 0.02}]}),
        _widget("SMS delivered (share of SMS sent, account-wide) - alarm below 0.9", [["AWS/SNS", "SMSSuccessRate"]],
                0, 30, stat="Average", period=3600, annotations={"horizontal": [{"label": "alarm", "value": 0.9}]}),
    ]
    return {"widgets": widgets}
