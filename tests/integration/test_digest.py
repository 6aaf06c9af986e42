"""Alert preferences and the morning digest: each alert at once or kept, as the manager chose; one
email a working day at 08:00 Paris listing what happened, sent once however often it is fired."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from chalice.test import Client

from chalicelib.data import alert_digest, store
from chalicelib.dev import scheduler
from chalicelib.domain import clock
from chalicelib.outbox import outgoing
from chalicelib.usecases import timers
from tests.integration.conftest import FORM_HEADERS, People, new_ticket, sent_messages
from tests.integration.test_admin import csrf_of, signed_in_headers

GROUP = "relais"
# Every alert the product sends a manager: (template, what happened).
ALERTS = [("manager_accepted", None), ("manager_refused", None), ("manager_message", None)] + [
    ("manager_alert", alert) for alert in (
        "submit_quote", "confirm_presence", "report_late", "reschedule", "presence_overdue", "complete",
        "complete_with_invoice", "submit_invoice", "invoice_overdue", "delivery_failed", "answer_overdue")]


def manager_mail(aws: str, people: People) -> list[dict[str, Any]]:
    return [m for m in sent_messages(aws)["email"] if m["destinations"]["ToAddresses"] == [people.manager.email]]


def prefer(people: People, choices: dict[str, str], urgent_at_once: bool = True) -> None:
    item = alert_digest.preferences(people.manager.manager_id)
    alert_digest.save_preferences(item, choices, urgent_at_once, clock.now_iso())


def alert(ticket: Any, template: str, kind: str | None, pump: Any) -> None:
    """An alert as the use cases write it (the outbox item); the stream brings it to the dispatcher."""
    outgoing.to_manager(ticket, template, clock.now(), {"alert": kind} if kind else {}).save()
    pump.drain()


def digest_schedule(people: People) -> dict[str, Any]:
    return dict(boto3.client("scheduler").get_schedule(Name=f"digest-{people.manager.manager_id}", GroupName=GROUP))


def fire_digest(people: People, at: datetime) -> str:
    """What EventBridge Scheduler sends at an occurrence: the input, its scheduled time filled in."""
    payload = json.loads(digest_schedule(people)["Target"]["Input"].replace("<aws.scheduler.scheduled-time>",
                                                                             clock.iso(at)))
    return timers.fire(payload)


@pytest.mark.parametrize(("template", "kind"), ALERTS)
def test_each_kind_of_alert_follows_the_managers_choice(people: People, pump: Any, aws: str, template: str,
                                                        kind: str | None) -> None:
    from chalicelib.domain import alerts

    ticket = new_ticket(people)  # urgent: the switch for urgent tickets is off below, the choice decides
    pump.drain()
    kind_name = alerts.kind_of(template, kind)
    assert kind_name is not None
    prefer(people, {kind_name: "digest"}, urgent_at_once=False)
    before = len(manager_mail(aws, people))
    alert(ticket, template, kind, pump)
    assert len(manager_mail(aws, people)) == before  # kept for the morning
    kept = alert_digest.entries_between(people.manager.manager_id, "", clock.now_iso())
    assert [(e.ticket_id, e.template, e.params.get("alert"), e.params["kind"]) for e in kept] == [
        (ticket.ticket_id, template, kind, kind_name)]
    prefer(people, {kind_name: "immediate"}, urgent_at_once=False)
    alert(ticket, template, kind, pump)
    assert len(manager_mail(aws, people)) == before + 1
    statuses = sorted(n.status for n in store.load_ticket(ticket.ticket_id).notifications if n.audience == "manager")
    assert statuses == ["digested", "sent"]


def test_by_default_refusals_messages_and_urgent_tickets_come_at_once_the_rest_in_the_digest(
        people: People, pump: Any, aws: str) -> None:
    from chalicelib.domain.forms import NewRequest
    from chalicelib.usecases import tickets

    routine = tickets.create_request(people.manager, people.email_only, NewRequest(
        "", "intervention", "Ampoule", "Hall B", "3 rue Neuve, Lyon", "", "normal", ("email",)), clock.now())
    urgent = new_ticket(people)
    pump.drain()
    before = len(manager_mail(aws, people))
    for ticket, template, kind in ((routine, "manager_accepted", None), (routine, "manager_alert", "submit_quote"),
                                   (routine, "manager_refused", None), (routine, "manager_message", None),
                                   (urgent, "manager_accepted", None)):
        alert(ticket, template, kind, pump)
    assert len(manager_mail(aws, people)) == before + 3
    kept = alert_digest.entries_between(people.manager.manager_id, "", clock.now_iso())
    assert sorted(e.template + ":" + str(e.params.get("alert")) for e in kept) == [
        "manager_accepted:None", "manager_alert:submit_quote"]


def test_the_digest_is_a_weekday_8am_paris_schedule_and_fired_twice_sends_one_email(people: People, pump: Any,
                                                                                    aws: str) -> None:
    first, second = new_ticket(people), new_ticket(people)
    pump.drain()
    prefer(people, {}, urgent_at_once=False)  # the defaults: acceptances, quotes… in the digest
    alert(first, "manager_accepted", None, pump)
    alert(second, "manager_alert", "submit_quote", pump)
    alert(first, "manager_alert", "complete", pump)
    held = digest_schedule(people)
    assert (held["ScheduleExpression"], held["ScheduleExpressionTimezone"]) == ("cron(0 8 ? * MON-FRI *)", "Europe/Paris")
    assert held["ActionAfterCompletion"] == "NONE" and held["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert held["Target"]["DeadLetterConfig"]["Arn"].startswith("arn:aws:sqs:")
    assert json.loads(held["Target"]["Input"]) == {"step": "digest", "manager_id": people.manager.manager_id,
                                                   "at": "<aws.scheduler.scheduled-time>"}
    morning = (clock.now() + timedelta(days=1)).replace(hour=7, minute=0, second=0, microsecond=0)
    before = len(manager_mail(aws, people))
    assert fire_digest(people, morning) == "done"
    assert fire_digest(people, morning) == "duplicate"  # a retry, a double fire: nothing more
    pump.drain()
    mails = manager_mail(aws, people)[before:]
    assert len(mails) == 1
    body = mails[0]["body"]
    assert first.reference in body and second.reference in body
    assert f"/admin/tickets/{first.ticket_id}" in body and f"/admin/tickets/{second.ticket_id}" in body
    assert "a accepté la demande" in body and "a envoyé un devis" in body and "a terminé l'intervention" in body
    assert "3 alerte(s) sur 2 ticket(s)" in mails[0]["subject"]
    # The next morning: nothing new, nothing sent; then only what came after the last digest.
    assert fire_digest(people, morning + timedelta(days=1)) == "empty"
    alert(second, "manager_alert", "submit_invoice", pump)
    assert fire_digest(people, morning + timedelta(days=2)) == "done"
    pump.drain()
    last = manager_mail(aws, people)[-1]
    assert second.reference in last["body"] and first.reference not in last["body"]
    assert len(manager_mail(aws, people)) == before + 2


def test_the_preferences_page_saves_per_kind_and_a_double_submit_saves_once(client: Client, people: People,
                                                                              aws: str) -> None:
    headers = signed_in_headers(client, people)
    page = client.http.get("/admin/alerts", headers=headers).body.decode()
    assert re.search(r'name="messages" value="immediate"[^>]*checked', page)
    assert re.search(r'name="quotes" value="digest"[^>]*checked', page)
    version = re.search(r'name="version" value="([^"]*)"', page)
    assert version is not None
    body = urlencode({"csrf": csrf_of(page), "version": version.group(1), "messages": "digest", "quotes": "immediate",
                      "answers": "sometimes"})
    for _ in range(2):
        answer = client.http.post("/admin/alerts", headers={**FORM_HEADERS, **headers}, body=body)
        assert answer.status_code == 303
    saved = alert_digest.preferences(people.manager.manager_id)
    assert saved.choices == {"messages": "digest", "quotes": "immediate"} and saved.urgent_at_once is False
    assert saved.version == 1
    other = urlencode({"csrf": csrf_of(page), "version": version.group(1), "messages": "immediate"})
    stale = client.http.post("/admin/alerts", headers={**FORM_HEADERS, **headers}, body=other)
    assert stale.status_code == 409 and alert_digest.preferences(people.manager.manager_id).choices["messages"] == "digest"


def test_the_local_scheduler_lists_the_digest_and_fires_it_when_8_oclock_passes(people: People, pump: Any,
                                                                                 aws: str) -> None:
    ticket = new_ticket(people, people.email_only, channels=("email",))  # its timers never land on 08:00 exactly
    pump.drain()
    prefer(people, {}, urgent_at_once=False)
    alert(ticket, "manager_accepted", None, pump)
    listed = [s for s in scheduler.pending() if s.payload.get("step") == "digest"]
    assert len(listed) == 1 and listed[0].recurring
    at = clock.paris(listed[0].at)
    assert (at.hour, at.minute) == (8, 0) and at.weekday() < 5 and listed[0].at > clock.now()
    # Across a Friday 08:00 in winter (07:00 UTC) and in summer (06:00 UTC), nothing on a Saturday.
    assert scheduler.next_occurrence("cron(0 8 ? * MON-FRI *)", "Europe/Paris",
                                     datetime(2027, 1, 15, 6, 0, tzinfo=UTC)) == datetime(2027, 1, 15, 7, 0, tzinfo=UTC)
    assert scheduler.next_occurrence("cron(0 8 ? * MON-FRI *)", "Europe/Paris",
                                     datetime(2027, 7, 16, 6, 0, tzinfo=UTC)) == datetime(2027, 7, 19, 6, 0, tzinfo=UTC)
    before = len(manager_mail(aws, people))
    occurrence = listed[0].at
    scheduler.fire_due(now=occurrence - timedelta(seconds=2))
    outcomes = scheduler.fire_due(now=occurrence + timedelta(seconds=1))
    assert outcomes == ["done"]
    assert [s.name for s in scheduler.pending() if s.recurring] == [listed[0].name]  # kept for the next day
    pump.drain()
    assert len(manager_mail(aws, people)) == before + 1


def test_a_message_the_contractor_never_got_is_told_to_the_manager_at_once(people: People, pump: Any, aws: str) -> None:
    from tests.integration.test_outbox import fail_for_good

    ticket = new_ticket(people, channels=("sms",))
    prefer(people, {}, urgent_at_once=False)  # the default for delivery failures: at once, urgent or not
    fail_for_good(pump)
    pump.drain()
    mails = manager_mail(aws, people)
    assert len(mails) == 1 and "n'a pas pu être envoyé" in mails[0]["subject"] and ticket.reference in mails[0]["subject"]
