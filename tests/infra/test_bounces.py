"""SES bounces and complaints (SNS records, as the handle_bounce Lambda gets them) against the
moto server; the dispatcher's re-routing to SMS; metrics; and logs without addresses or phones."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.data import directory, store
from chalicelib.data.models import Contractor, Event, Notification, RelaisItem, ticket_pk
from tests.integration.conftest import People, new_ticket, sent_messages

KARIM_EMAIL = "karim@plomberie-benali.fr"
KARIM_PHONE = "+33612345678"


def ses_event(kind: str, message_id: str, address: str, bounce_type: str = "Permanent") -> dict[str, Any]:
    """A configuration-set event as SES publishes it to SNS (trimmed to the fields that matter)."""
    mail = {"timestamp": "2026-11-27T08:00:00.000Z", "source": "relais@gestion-demo.fr", "messageId": message_id,
            "destination": [address], "tags": {"ses:configuration-set": ["relais-prod"]}}
    if kind == "Bounce":
        return {"eventType": "Bounce", "mail": mail, "bounce": {
            "bounceType": bounce_type, "bounceSubType": "General" if bounce_type == "Permanent" else "MailboxFull",
            "bouncedRecipients": [{"emailAddress": address, "action": "failed", "status": "5.1.1",
                                   "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
            "timestamp": "2026-11-27T08:00:01.000Z", "feedbackId": "0100-feedback"}}
    return {"eventType": "Complaint", "mail": mail, "complaint": {
        "complainedRecipients": [{"emailAddress": address}], "timestamp": "2026-11-27T08:00:01.000Z",
        "feedbackId": "0100-feedback", "complaintFeedbackType": "abuse"}}


def sns(*messages: dict[str, Any]) -> dict[str, Any]:
    return {"Records": [{"EventSource": "aws:sns", "Sns": {"Type": "Notification", "Message": json.dumps(m)}}
                        for m in messages]}


def notifications(ticket_id: str) -> list[Notification]:
    return [i for i in RelaisItem.query(ticket_pk(ticket_id), consistent_read=True) if isinstance(i, Notification)]


def events(ticket_id: str) -> list[Event]:
    return [i for i in RelaisItem.query(ticket_pk(ticket_id), consistent_read=True) if isinstance(i, Event)]


def contractor(people: People) -> Contractor:
    found = directory.get_contractor(people.plumber.contractor_id)
    assert found is not None
    return found


def sent_email(ticket_id: str) -> Notification:
    (email,) = [n for n in notifications(ticket_id) if n.channel == "email" and n.audience == "contractor"]
    assert email.status == "sent" and email.provider_id
    return email


def test_a_permanent_bounce_marks_the_address_and_shows_on_the_ticket(people: People, pump: Any) -> None:
    import app as relais_app

    ticket = new_ticket(people)  # SMS and email
    pump.drain()
    email = sent_email(ticket.ticket_id)
    assert email.lookup_key == f"PROVIDER#{email.provider_id}"
    result = relais_app.handle_bounce(sns(ses_event("Bounce", email.provider_id, KARIM_EMAIL.upper())), None)
    assert result == {"recorded": 1}  # the SMS went out with the email already: nothing more to send
    assert contractor(people).email_undeliverable is True
    (bounced,) = [e for e in events(ticket.ticket_id) if e.event_type == "email_bounced"]
    assert bounced.data["notification_id"] == email.notification_id and bounced.data["kind"] == "bounce"
    assert [n.status for n in notifications(ticket.ticket_id) if n.notification_id == email.notification_id] == ["bounced"]
    # SNS delivers at least once: the same event again changes nothing.
    assert relais_app.handle_bounce(sns(ses_event("Bounce", email.provider_id, KARIM_EMAIL)), None) == {"duplicate": 1}
    assert len([e for e in events(ticket.ticket_id) if e.event_type == "email_bounced"]) == 1


def test_an_email_only_ticket_falls_back_to_sms(aws: str, people: People, pump: Any) -> None:
    import app as relais_app

    ticket = new_ticket(people, channels=("email",))
    pump.drain()
    email = sent_email(ticket.ticket_id)
    assert relais_app.handle_bounce(sns(ses_event("Complaint", email.provider_id, KARIM_EMAIL)), None) == {"rerouted": 1}
    pump.drain()
    (sms,) = [n for n in notifications(ticket.ticket_id) if n.channel == "sms"]
    assert (sms.status, sms.recipient, sms.template) == ("sent", KARIM_PHONE, email.template)
    assert any(KARIM_PHONE in str(m) and ticket.ticket_id in str(m) for m in sent_messages(aws)["sms"])


def test_the_dispatcher_sends_sms_instead_of_email_to_an_undeliverable_address(aws: str, people: People, pump: Any) -> None:
    directory_contractor = contractor(people)
    directory_contractor.update(actions=[Contractor.email_undeliverable.set(True)])
    before = len(sent_messages(aws)["email"])
    ticket = new_ticket(people, channels=("email",))
    pump.drain()
    by_channel = {n.channel: n for n in notifications(ticket.ticket_id) if n.audience == "contractor"}
    assert by_channel["email"].status == "skipped"
    assert by_channel["sms"].status == "sent" and by_channel["sms"].recipient == KARIM_PHONE
    contractor_emails = [m for m in sent_messages(aws)["email"][before:] if KARIM_EMAIL in json.dumps(m)]
    assert contractor_emails == []
    from chalice.test import Client

    from app import app
    from tests.integration.test_admin import signed_in_headers

    with Client(app) as client:  # the manager sees why no email went, not an email forever "in progress"
        page = client.http.get(f"/admin/tickets/{ticket.ticket_id}", headers=signed_in_headers(client, people)).body.decode()
    assert "SMS envoyé à la place" in page and "En cours (0)" not in page


def test_transient_bounces_unknown_messages_and_noise_change_nothing(people: People, pump: Any) -> None:
    import app as relais_app

    ticket = new_ticket(people)
    pump.drain()
    email = sent_email(ticket.ticket_id)
    result = relais_app.handle_bounce(sns(
        ses_event("Bounce", email.provider_id, KARIM_EMAIL, bounce_type="Transient"),
        ses_event("Bounce", "no-such-message", "nobody@example.com"),
        {"eventType": "Delivery", "mail": {"messageId": email.provider_id}},
    ), None)
    result2 = relais_app.handle_bounce({"Records": [{"Sns": {"Message": "not json"}}]}, None)
    assert result == {"ignored": 2, "unknown": 1} and result2 == {"ignored": 1}
    assert contractor(people).email_undeliverable is False
    assert store.load_ticket(ticket.ticket_id).events[-1].event_type != "email_bounced"


def emf(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]


def test_metrics_per_step_and_per_delivery_outcome(people: People, pump: Any, capsys: pytest.CaptureFixture[str]) -> None:
    import app as relais_app

    capsys.readouterr()
    new_ticket(people)
    pump.drain()
    relais_app.sweep_outbox({}, None)
    lines = emf(capsys)
    names = {(m["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"], m.get("Channel")) for m in lines}
    assert {("TicketsCreated", None), ("NotificationsSent", "sms"), ("NotificationsSent", "email"),
            ("OutboxOldestPendingAgeSeconds", None)} <= names
    assert all(m["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Relais" and m["service"] == "relais" for m in lines)


def test_dispatcher_and_bounce_logs_hold_no_address_or_phone(people: People, pump: Any,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    import logging

    import app as relais_app
    from chalicelib.outbox import dispatcher
    from chalicelib.usecases import bounces

    assert bounces.logger and dispatcher.logger  # their loggers exist before we open them up
    # Powertools' child loggers carry their own level (POWERTOOLS_LOG_LEVEL), and "relais" does not
    # propagate to the root: open them all up and listen to "relais" directly.
    loggers = [logging.getLogger(n) for n in list(logging.root.manager.loggerDict) if n.split(".")[0] == "relais"]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel("DEBUG")
    logging.getLogger("relais").addHandler(caplog.handler)
    try:
        ticket = new_ticket(people, channels=("email",))
        pump.drain()
        email = sent_email(ticket.ticket_id)
        relais_app.handle_bounce(sns(ses_event("Bounce", email.provider_id, KARIM_EMAIL)), None)
        pump.drain()
        new_ticket(people, channels=("email",))
        pump.drain()
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
        logging.getLogger("relais").removeHandler(caplog.handler)
    logs = "\n".join(relais_app.logger.registered_formatter.format(record) for record in caplog.records)
    assert "ses event" in logs and "notification sent" in logs and "email skipped" in logs
    assert ticket.ticket_id in logs
    for private in (KARIM_EMAIL, KARIM_EMAIL.split("@")[1], KARIM_PHONE, "612345678", "claire.martin@gestion-demo.fr"):
        assert private not in logs
