"""Manager alerts: by email at once, or kept for the morning digest, as the manager chose.

The dispatcher asks here before sending a manager's email. The choice is read when the alert is
sent, not when the change that made it is written: requests stay one Query and one transaction,
and a preference changed in between is the one that counts. A kept alert becomes a digest entry and
its outbox item is settled as DIGESTED in one transaction (conditional on the claim the dispatcher
holds: a duplicate stream delivery keeps nothing twice). The manager's digest schedule is placed
before: a recurring EventBridge Scheduler schedule, 08:00 Europe/Paris on working days.
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.data import alert_digest, keys, store
from chalicelib.data.models import Notification, NotificationStatus, settled
from chalicelib.domain import alerts, clock

DIGEST_CRON = "cron(0 8 ? * MON-FRI *)"
DIGEST_ZONE = "Europe/Paris"
DIGEST_STEP = "digest"


def digest_payload(manager_id: str) -> dict[str, str]:
    return {"step": DIGEST_STEP, "manager_id": manager_id}


def place_digest_schedule(manager_id: str) -> str:
    """Create the manager's digest schedule, or put it back as it should be (same name, idempotent)."""
    from chalicelib.aws.schedules import Scheduler

    return Scheduler().place_recurring(keys.digest_schedule_name(manager_id), DIGEST_CRON, DIGEST_ZONE,
                                       digest_payload(manager_id))


def kept_for_digest(notification: Notification, now: datetime) -> bool:
    """True when this claimed manager alert went to the digest instead of being sent now."""
    params = notification.params or {}
    manager_id = params.get("manager_id")
    kind = alerts.kind_of(notification.template, params.get("alert"))
    if notification.audience != "manager" or not manager_id or kind is None:
        return False  # not an alert, or written before alerts named their manager: sent as before
    chosen = alert_digest.preferences(str(manager_id))
    how = alerts.delivery(kind, notification.template, params.get("urgency"), dict(chosen.choices or {}),
                          bool(chosen.urgent_at_once))
    if how is alerts.Delivery.IMMEDIATE:
        return False
    place_digest_schedule(str(manager_id))
    entry = alert_digest.entry(str(manager_id), notification.ticket_id, clock.iso(now), notification.notification_id,
                               notification.template, {**params, "kind": kind})
    try:
        with TransactWrite(connection=store.connection()) as transaction:
            transaction.update(notification, actions=settled(NotificationStatus.DIGESTED),
                               condition=Notification.status == NotificationStatus.SENDING)
            transaction.save(entry)
    except TransactWriteError as exc:
        store.failed_conditions(exc)  # busy: raised, and the item is retried
    return True  # kept now, or by the delivery that won the claim
