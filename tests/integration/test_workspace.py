"""The manager's workspace: À traiter, the ticket list at scale, read/unread, resend, reassign, access."""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from chalicelib.data import directory, listing, store
from chalicelib.domain import clock, tokens
from chalicelib.domain.forms import NewRequest
from chalicelib.outbox import dispatcher
from chalicelib.usecases import ticket_admin, tickets
from local.harness import recording_aws_calls
from tests.integration.conftest import FORM_HEADERS, People, contractor_path, new_ticket, sent_messages, tomorrow_paris
from tests.integration.test_admin import signed_in_headers
from tests.integration.test_outbox import Outage, fail_for_good
from tests.integration.test_timers import act, fire, manager_action


@pytest.fixture
def headers(client: Client, people: People) -> dict[str, str]:
    return signed_in_headers(client, people)


def attention(client: Client, headers: dict[str, str]) -> dict[str, list[str]]:
    """Reason → references, as the À traiter page shows them."""
    html = client.http.get("/admin", headers=headers).body.decode()
    groups: dict[str, list[str]] = {}
    for reason, body in re.findall(r'id="attention-([a-z_]+)">(.*?)</section>', html, re.S):
        groups[reason] = re.findall(r"<strong>([0-9]{4}-[0-9]{5})</strong>", body)
    return groups


def test_a_tickets_that_need_the_manager_are_grouped_on_a_traiter(client: Client, people: People, pump: Any, aws: str,
                                                                   headers: dict[str, str]) -> None:
    quiet = new_ticket(people)
    answered = new_ticket(people)
    act(client, contractor_path(answered.ticket_id), "answer",
        {"decision": "accept", "planned_date": tomorrow_paris(), "planned_time": "09:00"})
    written = new_ticket(people)
    act(client, contractor_path(written.ticket_id), "messages", {"body": "Je passe demain."})
    unanswered = new_ticket(people)
    pump.drain()
    fire(unanswered.ticket_id, "answer_overdue")
    with Outage("sns", "Publish"):
        failing = new_ticket(people, channels=("sms",))
        for _ in range(4):
            pump.drain()
            dispatcher.sweep()
    groups = attention(client, headers)
    assert groups["unread_message"] == [written.reference]
    assert groups["unanswered"] == [unanswered.reference]
    assert groups["delivery_failed"] == [failing.reference]
    assert all(ref not in refs for refs in groups.values() for ref in (quiet.reference, answered.reference))  # nothing to do
    html = client.http.get("/admin", headers=headers).body.decode()
    assert '<span class="count" id="attention-total">3</span>' in html

    # Read, and sent again: they leave the list.
    assert manager_action(client, people, written.ticket_id, "mark_read").status_code == 303
    page = client.http.get(f"/admin/tickets/{failing.ticket_id}", headers=headers).body.decode()
    notification_id = re.search(r'name="notification_id" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form_id = re.search(r'actions/resend".*?name="form_id" value="([^"]+)"', page, re.S).group(1)  # type: ignore[union-attr]
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    resend = client.http.post(f"/admin/tickets/{failing.ticket_id}/actions/resend", headers={**FORM_HEADERS, **headers},
                              body=urlencode({"csrf": csrf, "form_id": form_id, "notification_id": notification_id}))
    assert resend.status_code == 303
    pump.drain()
    assert len(sent_messages(aws)["sms"]) >= 1
    groups = attention(client, headers)
    assert "unread_message" not in groups and "delivery_failed" not in groups
    assert [e.event_type for e in store.load_ticket(failing.ticket_id).events][-1] == "notification_resent"


def test_an_unconfirmed_presence_shows_up(client: Client, people: People, pump: Any,
                                                                  headers: dict[str, str]) -> None:
    from tests.integration.test_timers import accepted_ticket

    ticket, _ = accepted_ticket(client, people, pump)
    fire(ticket.ticket_id, "presence_check")
    pump.drain()
    fire(ticket.ticket_id, "presence_overdue")
    assert attention(client, headers)["presence_missing"] == [ticket.reference]


def list_page(client: Client, headers: dict[str, str], url: str) -> tuple[list[str], str, str]:
    html = client.http.get(url, headers=headers).body.decode()
    refs = re.findall(r'<td><a href="/admin/tickets/[A-Z0-9]+">([0-9]{4}-[0-9]{5})</a></td>', html)
    following = re.search(r'href="([^"]+)" rel="next"', html)
    previous = re.search(r'href="([^"]+)" rel="prev"', html)
    unescape = lambda u: u.replace("&amp;", "&")  # noqa: E731
    return refs, unescape(following.group(1)) if following else "", unescape(previous.group(1)) if previous else ""


def test_the_list_filters_by_state_contractor_owner_dates_and_reference(client: Client, people: People, pump: Any,
                                                                        headers: dict[str, str]) -> None:
    plumber = new_ticket(people)
    electrician = new_ticket(people, contractor=people.email_only, channels=("email",))
    act(client, contractor_path(plumber.ticket_id), "answer",
        {"decision": "accept", "planned_date": tomorrow_paris(), "planned_time": "09:00"})
    other_manager = directory.save_manager("Paul Girard", "paul.girard@gestion-demo.fr")
    request = NewRequest("", "intervention", "Porte de garage", "Bloquée", "1 rue A", "", "normal", ("sms",))
    theirs = tickets.create_request(other_manager, people.plumber, request, clock.now())
    everyone = f"/admin/tickets?{urlencode({'owner': 'all'})}"
    assert sorted(list_page(client, headers, everyone)[0]) == sorted([plumber.reference, electrician.reference, theirs.reference])
    # Mine only by default, most recent activity first: the accepted one moved to the top.
    assert list_page(client, headers, "/admin/tickets")[0] == [plumber.reference, electrician.reference]
    assert list_page(client, headers, f"{everyone}&state=scheduled")[0] == [plumber.reference]
    by_contractor = f"{everyone}&contractor={people.plumber.contractor_id}"
    assert sorted(list_page(client, headers, by_contractor)[0]) == sorted([plumber.reference, theirs.reference])
    assert list_page(client, headers, f"/admin/tickets?owner={other_manager.manager_id}")[0] == [theirs.reference]
    assert list_page(client, headers, f"{everyone}&ref={electrician.reference}")[0] == [electrician.reference]
    assert list_page(client, headers, f"{everyone}&from=2020-01-01&to=2020-12-31")[0] == []
    today = clock.paris(clock.now()).date().isoformat()  # the filter speaks Paris days
    assert len(list_page(client, headers, f"{everyone}&from={today}&to={today}")[0]) == 3
    swapped = client.http.get(f"{everyone}&from=2026-12-31&to=2026-01-01", headers=headers).body.decode()
    assert "La date de début est après la date de fin : inversez-les." in swapped  # not just "no ticket"


@pytest.mark.parametrize("query", ["from=2026-12-31&to=2026-01-01", "contractor=" + "A" * 3000, "ref=" + "9" * 3000])
def test_a_list_query_dynamodb_would_refuse_is_answered_without_asking_it(client: Client, people: People,
                                                                          headers: dict[str, str], query: str) -> None:
    # Real DynamoDB refuses a BETWEEN with swapped bounds and keys over 2 KB (moto is laxer): a 500.
    new_ticket(people)
    client.http.get("/admin/tickets?owner=all", headers=headers)  # the directory's choices are now cached
    with recording_aws_calls() as calls:
        page = client.http.get(f"/admin/tickets?owner=all&{query}", headers=headers)
    assert page.status_code == 200 and "ticket-list" not in page.body.decode()
    assert calls.dynamodb() == ["BatchGetItem"]  # the session only: no Query for the list


def test_a_cursor_from_other_filters_starts_the_list_over(client: Client, people: People, headers: dict[str, str]) -> None:
    request = NewRequest("", "intervention", "Porte", "Bloquée", "1 rue A", "", "normal", ("sms",))
    for _ in range(30):  # more than a page
        tickets.create_request(people.manager, people.plumber, request, clock.now())
    first = client.http.get("/admin/tickets?owner=all", headers=headers).body.decode()
    after = re.search(r'href="/admin/tickets\?[^"]*after=([^"&]+)', first)
    assert after
    edited = list_page(client, headers, f"/admin/tickets?owner=all&state=sent&after={after.group(1)}")[0]
    assert edited == list_page(client, headers, "/admin/tickets?owner=all&state=sent")[0]  # page one of the new filters


def test_pagination_returns_every_ticket_once_under_concurrent_inserts(client: Client, people: People,
                                                                       headers: dict[str, str]) -> None:
    existing = {new_ticket(people, channels=("sms",)).reference for _ in range(60)}
    stop = threading.Event()

    def insert_meanwhile() -> None:
        while not stop.is_set():
            new_ticket(people, channels=("sms",))

    inserter = threading.Thread(target=insert_meanwhile)
    inserter.start()
    try:
        seen: list[str] = []
        url = "/admin/tickets"
        pages = 0
        while url and pages < 20:
            refs, url, _ = list_page(client, headers, url)
            seen += refs
            pages += 1
    finally:
        stop.set()
        inserter.join()
    counts = Counter(seen)
    assert all(count == 1 for count in counts.values()), [r for r, c in counts.items() if c > 1]
    assert existing <= set(seen)
    # And back: "previous" from the second page returns the first page's tickets.
    first, second_url, _ = list_page(client, headers, "/admin/tickets")
    _, _, back_url = list_page(client, headers, second_url)
    assert list_page(client, headers, back_url)[0] == first


def test_a_list_page_and_a_traiter_take_at_most_three_dynamodb_calls(
        client: Client, people: People, pump: Any, headers: dict[str, str]) -> None:
    for _ in range(30):
        new_ticket(people, channels=("sms",))
    client.http.get("/admin/tickets", headers=headers)  # warm: the filter choices are read once a minute
    with recording_aws_calls() as calls:
        first, next_url, _ = list_page(client, headers, "/admin/tickets")
    # The session, the total (a Select=COUNT Query), the page; the next pages carry the total.
    assert len(first) == 25 and calls.dynamodb() == ["BatchGetItem", "Query", "Query"], calls
    assert [call.params.get("Select") for call in calls].count("COUNT") == 1
    with recording_aws_calls() as calls:
        list_page(client, headers, next_url)
    assert len(calls.dynamodb()) <= 2, calls
    with recording_aws_calls() as calls:
        client.http.get("/admin", headers=headers)
    assert len(calls.dynamodb()) <= 2, calls


def test_reassigning_revokes_the_old_link_and_sends_the_request_to_the_new_contractor(
        client: Client, people: People, pump: Any, aws: str) -> None:
    ticket = new_ticket(people)
    old_path = contractor_path(ticket.ticket_id)
    pump.drain()
    before = len(sent_messages(aws)["email"])
    inactive = directory.save_contractor(name="Ancien", company="", trade="", phone=None, email="ancien@example.fr",
                                         channels=["email"])
    directory.set_contractor_active(inactive.contractor_id, False)
    for wrong in (ticket.contractor_id, inactive.contractor_id):
        refused = manager_action_with(client, people, ticket.ticket_id, "reassign", {"contractor_id": wrong})
        assert refused.status_code == 400 and "Choisissez un autre intervenant actif." in refused.body.decode()
    moved = manager_action_with(client, people, ticket.ticket_id, "reassign", {"contractor_id": people.email_only.contractor_id})
    assert moved.status_code == 303
    assert client.http.get(old_path).status_code == 410
    view = store.load_ticket(ticket.ticket_id)
    assert view.ticket.contractor_id == people.email_only.contractor_id and view.ticket.state == "sent"
    new_path = contractor_path(ticket.ticket_id)
    assert new_path != old_path and client.http.get(new_path).status_code == 200
    pump.drain()
    mails = sent_messages(aws)["email"][before:]
    assert any(m["destinations"]["ToAddresses"] == ["jane@smith-electrics.co.uk"] and new_path in m["body"] for m in mails)
    history = directory.contractor_history(people.email_only.contractor_id)
    assert ticket.ticket_id in [item.ticket_id for item in history.items]


def test_a_refused_request_goes_to_another_contractor(client: Client, people: People, pump: Any, aws: str) -> None:
    ticket = new_ticket(people)
    old_path = contractor_path(ticket.ticket_id)
    assert act(client, old_path, "answer", {"decision": "refuse", "reason": "Pas disponible cette semaine"}).status_code == 303
    assert store.load_ticket(ticket.ticket_id).ticket.closed_at is not None
    colleague = directory.save_manager("Paul Girard", "paul.girard@gestion-demo.fr")
    closed_at = store.load_ticket(ticket.ticket_id).ticket.closed_at
    handed = manager_action_with(client, people, ticket.ticket_id, "change_owner", {"manager_id": colleague.manager_id})
    assert handed.status_code == 303
    handed_over = store.load_ticket(ticket.ticket_id).ticket
    assert handed_over.manager_id == colleague.manager_id and handed_over.closed_at == closed_at  # links' life not extended
    pump.drain()
    before = len(sent_messages(aws)["email"])

    moved = manager_action_with(client, people, ticket.ticket_id, "reassign", {"contractor_id": people.email_only.contractor_id})

    assert moved.status_code == 303
    page = client.http.get(f"/admin/tickets/{ticket.ticket_id}", headers=signed_in_headers(client, people)).body.decode()
    assert "De Claire Martin à Paul Girard" in page and "De Karim Benali à Jane Smith" in page  # who took it, in the events
    view = store.load_ticket(ticket.ticket_id)
    ticket_now = view.ticket
    assert (ticket_now.state, ticket_now.contractor_id, ticket_now.closed_at) == ("sent", people.email_only.contractor_id, None)
    assert client.http.get(old_path).status_code == 410
    new_path = contractor_path(ticket.ticket_id)
    new_form = client.http.get(new_path).body.decode()
    assert 'value="accept"' in new_form and "Pas disponible cette semaine" not in new_form  # not the old contractor's words
    confirmation = client.http.get(f"{new_path}/confirmation").body.decode()
    assert "You have declined this request" not in confirmation  # Jane reads English; the refusal was Karim's
    pump.drain()
    mails = sent_messages(aws)["email"][before:]
    requests = [m["destinations"]["ToAddresses"] for m in mails if ticket.reference in m["subject"]]
    assert requests == [["jane@smith-electrics.co.uk"]]


@pytest.mark.parametrize("asked_as", ["quote request", "intervention turned into a quote request"])
def test_a_quote_request_goes_to_another_contractor_as_a_quote_request(client: Client, people: People, asked_as: str) -> None:
    if asked_as == "quote request":
        request = NewRequest("", "quote", "Chauffe-eau", "Devis pour un remplacement", "1 rue A", "", "normal", ("sms",))
        ticket = tickets.create_request(people.manager, people.plumber, request, clock.now())
    else:
        ticket = new_ticket(people)
        assert manager_action(client, people, ticket.ticket_id, "request_quote").status_code == 303
    assert store.load_ticket(ticket.ticket_id).ticket.state == "quote_requested"
    if asked_as == "quote request":  # refused first: it goes on as what was refused
        refused = act(client, contractor_path(ticket.ticket_id), "answer", {"decision": "refuse", "reason": "Trop loin"})
        assert refused.status_code == 303 and store.load_ticket(ticket.ticket_id).ticket.state == "refused"

    moved = manager_action_with(client, people, ticket.ticket_id, "reassign", {"contractor_id": people.email_only.contractor_id})

    assert moved.status_code == 303
    assert store.load_ticket(ticket.ticket_id).ticket.state == "quote_requested"
    assert 'id="quote-form"' in client.http.get(contractor_path(ticket.ticket_id)).body.decode()


def test_reassigning_sets_aside_what_failed_to_reach_the_previous_contractor(client: Client, people: People, pump: Any,
                                                                             aws: str) -> None:
    ticket = new_ticket(people, channels=("sms",))
    fail_for_good(pump)
    headers = signed_in_headers(client, people)
    assert attention(client, headers)["delivery_failed"] == [ticket.reference]

    moved = manager_action_with(client, people, ticket.ticket_id, "reassign", {"contractor_id": people.email_only.contractor_id})

    assert moved.status_code == 303
    assert "delivery_failed" not in attention(client, headers)  # Jane's email went out: nothing failed for her
    view = store.load_ticket(ticket.ticket_id)
    assert [n.status for n in view.notifications if n.recipient == people.plumber.phone] == ["superseded"]
    page = client.http.get(f"/admin/tickets/{ticket.ticket_id}", headers=headers).body.decode()
    assert "Abandonnée : demande réattribuée" in page and 'name="notification_id"' not in page  # no dead link to resend
    assert listing.rebuild_summaries() == 0  # the rebuild agrees


def test_reassigning_stops_what_was_still_on_its_way_to_the_previous_contractor(client: Client, people: People, pump: Any,
                                                                                aws: str) -> None:
    ticket = new_ticket(people, channels=("sms",))  # the SMS is still in the outbox: not drained yet

    moved = manager_action_with(client, people, ticket.ticket_id, "reassign", {"contractor_id": people.email_only.contractor_id})

    assert moved.status_code == 303
    pump.drain()
    dispatcher.sweep()
    assert [m for m in sent_messages(aws)["sms"] if m["phone_number"] == people.plumber.phone] == []  # never sent
    view = store.load_ticket(ticket.ticket_id)
    assert [n.status for n in view.notifications if n.recipient == people.plumber.phone] == ["superseded"]
    assert listing.attention_for(people.manager.manager_id)["delivery_failed"] == []


def test_a_failure_between_reading_and_reassigning_stops_the_reassign(people: People, pump: Any) -> None:
    ticket = new_ticket(people, channels=("sms",))
    read = store.load_ticket(ticket.ticket_id)  # the SMS is pending in this view...
    fail_for_good(pump)  # ...and fails for good before the reassign is written

    with pytest.raises(store.Conflict):
        ticket_admin.reassign(read, people.manager, people.email_only, tokens.new_random_secret(), clock.now())

    assert store.load_ticket(ticket.ticket_id).ticket.contractor_id == people.plumber.contractor_id
    assert [i.ticket_id for i in listing.attention_for(people.manager.manager_id)["delivery_failed"]] == [ticket.ticket_id]
    ticket_admin.reassign(store.load_ticket(ticket.ticket_id), people.manager, people.email_only, tokens.new_random_secret(),
                       clock.now())  # read again: it goes through and sets the failure aside
    assert listing.attention_for(people.manager.manager_id)["delivery_failed"] == []


def test_a_transaction_dynamodb_refuses_is_not_reported_as_a_change_meanwhile(people: People) -> None:
    from pynamodb.exceptions import TransactWriteError

    from chalicelib.usecases import changes

    view = store.load_ticket(new_ticket(people).ticket_id)
    event = changes.new_event(view.ticket, changes.manager_who(people.manager), "mark_read", clock.now(), {})
    too_many = [listing.attention_item(view.ticket, f"extra{i:03d}", clock.iso(clock.now())) for i in range(101)]
    with pytest.raises(TransactWriteError) as raised:
        store.apply_change(store.Change(view.ticket, event, extra=too_many))
    assert not isinstance(raised.value, store.Conflict)  # a bug to see in the logs, not "changed meanwhile"


def test_a_change_computed_before_a_resend_cannot_bring_the_failure_back(client: Client, people: People, pump: Any) -> None:
    ticket = new_ticket(people, channels=("sms",))
    fail_for_good(pump)
    stale = store.load_ticket(ticket.ticket_id)  # what a concurrent request read: the SMS still failed
    failed = next(n for n in stale.notifications if n.status == "failed")
    ticket_admin.resend(store.load_ticket(ticket.ticket_id), people.manager, failed.notification_id, clock.now())

    with pytest.raises(store.Conflict):
        ticket_admin.mark_read(stale, people.manager, tokens.new_random_secret(), clock.now())

    pump.drain()
    assert listing.attention_for(people.manager.manager_id)["delivery_failed"] == []


def test_reassigning_a_refused_request_leaves_nothing_unread(client: Client, people: People) -> None:
    ticket = new_ticket(people)
    assert act(client, contractor_path(ticket.ticket_id), "answer", {"decision": "refuse", "reason": "Non"}).status_code == 303
    headers = signed_in_headers(client, people)
    assert attention(client, headers)["refused"] == [ticket.reference]

    moved = manager_action_with(client, people, ticket.ticket_id, "reassign", {"contractor_id": people.email_only.contractor_id})

    assert moved.status_code == 303
    assert "refused" not in attention(client, headers)
    assert store.load_ticket(ticket.ticket_id).ticket.unread_since is None


def manager_action_with(client: Client, people: People, ticket_id: str, action: str, fields: dict[str, str]) -> Any:
    headers = signed_in_headers(client, people)
    page = client.http.get(f"/admin/tickets/{ticket_id}", headers=headers).body.decode()
    match = re.search(rf'actions/{action}".*?name="form_id" value="([^"]+)"', page, re.S)
    assert match, f"no {action} form"
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    body = urlencode({"csrf": csrf, "form_id": match.group(1), **fields})
    return client.http.post(f"/admin/tickets/{ticket_id}/actions/{action}", headers={**FORM_HEADERS, **headers}, body=body)


def _admin_routes() -> list[tuple[str, str]]:
    import app as relais_app

    public = {"/admin/login", "/admin/login/{secret}"}
    return sorted((path, method) for path, methods in relais_app.app.routes.items() if path.startswith("/admin")
                  and path not in public for method in methods)


def _concrete(path: str) -> str:
    return re.sub(r"\{[a-z_]+\}", "01M8DXFDPHG8Y8H5SDEJG5332X", path)


@pytest.mark.parametrize(("path", "method"), _admin_routes())
def test_every_admin_route_needs_a_session(client: Client, people: People, path: str, method: str) -> None:
    """Taken from the app's own route table: a new route without the guard fails here."""
    response = client.http.request(method, _concrete(path), headers=FORM_HEADERS if method == "POST" else {}, body=b"")
    if method == "GET":
        assert response.status_code == 302 and response.headers["Location"] == "/admin/login"
    else:
        assert response.status_code == 401


@pytest.mark.parametrize(("path", "method"), [r for r in _admin_routes() if r[1] == "POST"])
def test_every_admin_post_checks_csrf(client: Client, people: People, headers: dict[str, str], path: str, method: str) -> None:
    response = client.http.post(_concrete(path), headers={**FORM_HEADERS, **headers}, body="csrf=forged")
    assert response.status_code == 403


def test_list_cursors_cannot_be_forged(client: Client, people: People, headers: dict[str, str]) -> None:
    for _ in range(3):
        new_ticket(people, channels=("sms",))
    response = client.http.get("/admin/tickets?after=eyJwayI6eyJTIjoieCJ9fQ.forged", headers=headers)
    assert response.status_code == 200  # an unreadable cursor starts from the first page
    assert len(list_page(client, headers, "/admin/tickets?after=bogus")[0]) == 3


def test_the_new_contractor_sees_neither_the_old_thread_nor_its_files(client: Client, people: People, pump: Any) -> None:
    from tests.integration.test_conversation import JPEG, upload
    from tests.integration.test_timers import token

    ticket = new_ticket(people)
    old = contractor_path(ticket.ticket_id)
    html = client.http.get(old).body.decode()
    key = upload(client, f"{old}/uploads", {"form_token": token(html, "messages")}, "chantier.jpg", "image/jpeg", JPEG)
    act(client, old, "messages", [("body", "Mon tarif perso : 45 €/h"), ("file_key", key), ("file_name", "chantier.jpg")])
    message = next(e for e in store.load_ticket(ticket.ticket_id).events if e.event_type == "message")
    file_id = message.data["files"][0]["file_id"]
    moved = manager_action_with(client, people, ticket.ticket_id, "reassign", {"contractor_id": people.email_only.contractor_id})
    assert moved.status_code == 303
    new = contractor_path(ticket.ticket_id)
    page = client.http.get(new).body.decode()
    assert "Mon tarif perso" not in page and "chantier.jpg" not in page
    assert "Fuite sous l" in page  # the request itself is there
    assert client.http.get(f"{new}/files/{file_id}").status_code == 404
    manager_page = client.http.get(f"/admin/tickets/{ticket.ticket_id}", headers=signed_in_headers(client, people)).body.decode()
    assert "Mon tarif perso" in manager_page  # the manager keeps the whole history


def test_a_retried_older_timer_change_cannot_put_back_an_old_time(client: Client, people: People, pump: Any) -> None:
    import json

    import boto3

    ticket = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    pump.drain()
    act(client, path, "answer", {"decision": "accept", "planned_date": tomorrow_paris(), "planned_time": "09:00"})
    act(client, path, "reschedule", {"planned_date": tomorrow_paris(), "planned_time": "17:00"})
    intents = sorted((n for n in store.load_ticket(ticket.ticket_id).notifications
                      if n.channel == "schedule" and n.status == "pending" and n.template == "presence_check"),
                     key=lambda n: n.created_at)
    assert len(intents) == 2
    newer, older = intents[1], intents[0]
    assert dispatcher.deliver(newer.pk, newer.sk) == "sent"
    assert dispatcher.deliver(older.pk, older.sk) == "sent"  # e.g. a retry after a throttled first try
    held = boto3.client("scheduler").get_schedule(Name=f"{ticket.ticket_id}-presence_check", GroupName="relais")
    assert held["ScheduleExpression"] == f"at({tomorrow_paris()}T17:00:00)"
    assert json.loads(held["Target"]["Input"])["step"] == "presence_check"


def test_a_manager_with_few_tickets_still_gets_a_page_and_its_total_in_three_calls(client: Client, people: People) -> None:
    colleague = directory.save_manager("Paul Girard", "paul.girard@gestion-demo.fr")
    request = NewRequest("", "intervention", "Porte", "Bloquée", "1 rue A", "", "normal", ("sms",))
    for _ in range(60):
        tickets.create_request(colleague, people.plumber, request, clock.now())
    mine = new_ticket(people, channels=("sms",))
    headers = signed_in_headers(client, people)
    client.http.get("/admin/tickets", headers=headers)
    with recording_aws_calls() as calls:
        refs, _, _ = list_page(client, headers, "/admin/tickets")
    assert refs == [mine.reference] and len(calls.dynamodb()) <= 3, calls


def test_handing_a_ticket_to_another_manager_moves_its_alerts_and_a_traiter(client: Client, people: People, pump: Any,
                                                                           aws: str) -> None:
    colleague = directory.save_manager("Paul Girard", "paul.girard@gestion-demo.fr")
    ticket = new_ticket(people)
    act(client, contractor_path(ticket.ticket_id), "messages", {"body": "Une question"})
    mine = signed_in_headers(client, people)
    assert attention(client, mine)["unread_message"] == [ticket.reference]
    refused = manager_action_with(client, people, ticket.ticket_id, "change_owner", {"manager_id": people.manager.manager_id})
    assert refused.status_code == 400 and "Choisissez un autre gestionnaire actif." in refused.body.decode()
    moved = manager_action_with(client, people, ticket.ticket_id, "change_owner", {"manager_id": colleague.manager_id})
    assert moved.status_code == 303
    assert "unread_message" not in attention(client, mine)
    view = store.load_ticket(ticket.ticket_id)
    assert view.ticket.manager_id == colleague.manager_id
    act(client, contractor_path(ticket.ticket_id), "messages", {"body": "Encore une question"})
    pump.drain()
    alerts = [m for m in sent_messages(aws)["email"] if "Encore une question" in m["body"]]
    assert [m["destinations"]["ToAddresses"] for m in alerts] == [["paul.girard@gestion-demo.fr"]]
    assert "Une question" in client.http.get(contractor_path(ticket.ticket_id)).body.decode()  # the contractor's thread is intact


def test_a_failed_delivery_follows_the_ticket_to_its_new_owner(client: Client, people: People, pump: Any) -> None:
    colleague = directory.save_manager("Paul Girard", "paul.girard@gestion-demo.fr")
    ticket = new_ticket(people, channels=("sms",))
    fail_for_good(pump)
    mine = signed_in_headers(client, people)
    assert attention(client, mine)["delivery_failed"] == [ticket.reference]

    moved = manager_action_with(client, people, ticket.ticket_id, "change_owner", {"manager_id": colleague.manager_id})
    assert moved.status_code == 303
    assert "delivery_failed" not in attention(client, mine)
    theirs = listing.attention_for(colleague.manager_id)["delivery_failed"]
    assert [(item.ticket_id, item.manager_name) for item in theirs] == [(ticket.ticket_id, "Paul Girard")]


def test_a_new_contractor_is_offered_for_reassignment_at_once(client: Client, people: People, headers: dict[str, str]) -> None:
    ticket = new_ticket(people)
    client.http.get(f"/admin/tickets/{ticket.ticket_id}", headers=headers)  # the directory choices are now cached
    directory.save_contractor(name="Nadia Roux", company="", trade="Vitrière", phone=None, email="nadia@roux.fr",
                              channels=["email"])
    assert "Nadia Roux" in client.http.get(f"/admin/tickets/{ticket.ticket_id}", headers=headers).body.decode()
