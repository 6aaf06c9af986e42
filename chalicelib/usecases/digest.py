"""The manager's morning digest: one email listing, per ticket, the alerts kept since the last one.

Fired by the manager's recurring schedule (08:00 Europe/Paris, working days; outbox/alert_routing.py
places it) with the occurrence's time. Idempotent per Paris day: the email, a marker keyed by manager
and day, and the new "reported until" are one transaction, so a second fire of the same day (a retry,
a double fire) writes nothing. Nothing is sent when nothing was kept.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.config import settings
from chalicelib.data import alert_digest, directory, keys, store
from chalicelib.data.models import DigestEntry, DigestSent, Notification, Submission
from chalicelib.domain import clock
from chalicelib.outbox import outgoing

DETAIL_MAX = 200


def _occurrence(at: object, now: datetime) -> datetime:
    """The schedule's occurrence (EventBridge Scheduler's scheduled time); now when it is missing."""
    try:
        return clock.parse_iso(str(at))
    except ValueError:
        return now


def _line(entry: DigestEntry) -> dict[str, Any]:
    p = entry.params or {}
    detail = next((str(v) for v in (p.get("excerpt"), p.get("reason"), p.get("comment"), *(p.get("details") or []))
                   if v), "")
    return {"at": entry.at, "template": entry.template, "alert": p.get("alert"), "kind": p.get("kind"),
            "contractor_name": p.get("contractor_name", ""), "author": p.get("author", ""),
            "planned_date": p.get("planned_date"), "planned_time": p.get("planned_time"),
            "detail": detail[:DETAIL_MAX]}


def by_ticket(entries: list[DigestEntry]) -> list[dict[str, Any]]:
    """Tickets in the order of their first alert; each with its alerts, oldest first."""
    tickets: dict[str, dict[str, Any]] = {}
    for entry in entries:
        p = entry.params or {}
        ticket = tickets.setdefault(entry.ticket_id, {
            "ticket_id": entry.ticket_id, "reference": p.get("reference", ""), "title": p.get("title", ""),
            "url": f"{settings().base_url}/admin/tickets/{entry.ticket_id}", "items": []})
        ticket["items"].append(_line(entry))
    return list(tickets.values())


def send_digest(manager_id: str, at: object, now: datetime | None = None) -> str:
    """done (the email is in the outbox), empty (nothing happened), duplicate (this day's is written) or gone."""
    now = now or clock.now()
    occurrence = _occurrence(at, now)
    day = clock.paris(occurrence).date().isoformat()
    submission = keys.digest_submission(manager_id, day)
    if store.find_submission(submission) is not None:
        return "duplicate"
    manager = directory.get_manager(manager_id)
    if manager is None or not manager.active:
        return "gone"
    sent = alert_digest.last_sent(manager_id)
    until = clock.iso(min(occurrence, now))
    entries = alert_digest.entries_between(manager_id, str(sent.until or ""), until)
    if not entries:
        return "empty"
    shown = entries[:alert_digest.DIGEST_MAX_ENTRIES]
    email = outgoing.new_notification(
        keys.manager_pk(manager_id), ticket_id="", channel="email", audience="manager", recipient=manager.email,
        template="manager_digest", language=manager.language,
        params={"digest": True, "day": day, "manager_name": manager.name, "tickets": by_ticket(shown),
                "count": len(shown), "more": len(entries) > len(shown)},
        now=now)
    sent.until = shown[-1].at if len(entries) > len(shown) else until
    return _write(email, sent, submission, now)


def _write(email: Notification, sent: DigestSent, submission: str, now: datetime) -> str:
    marker = Submission(keys.submission_pk(submission), keys.SUBMISSION_SK, ticket_id="", event_sk="",
                        expires=now + store.SUBMISSION_TTL)
    try:
        with TransactWrite(connection=store.connection()) as transaction:
            transaction.save(marker, condition=Submission.pk.does_not_exist())
            transaction.save(email)
            transaction.save(sent)  # its version: two digests racing over the same alerts, one wins
    except TransactWriteError as exc:
        store.failed_conditions(exc)
        return "duplicate"
    return "done"
