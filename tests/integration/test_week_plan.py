"""The week's plan: an accepted request shows on its day, with where, who, when and how it stands,
for its manager and for everyone, one Query a week and never a Scan; it moves with the date and
leaves with a cancellation; tickets saved before the plan's index get their entries back."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.data import keys, store, week_plan
from chalicelib.data.models import PlanEntry, RelaisItem
from chalicelib.domain import clock, tokens
from chalicelib.domain.forms import Acceptance
from chalicelib.usecases import site_visit, tickets
from local.harness import recording_aws_calls
from tests.integration.conftest import People, contractor_path, new_ticket
from tests.integration.test_admin import signed_in_headers
from tests.integration.test_timers import act, manager_action


@pytest.fixture
def headers(client: Client, people: People) -> dict[str, str]:
    return signed_in_headers(client, people)


def in_days(days: int) -> str:
    return (clock.paris(clock.now()) + timedelta(days=days)).date().isoformat()


def accepted(client: Client, people: People, day: str, hour: str = "14:30") -> Any:
    ticket = new_ticket(people)
    answer = act(client, contractor_path(ticket.ticket_id), "answer",
                 {"decision": "accept", "planned_date": day, "planned_time": hour})
    assert answer.status_code == 303
    return ticket


def plan_page(client: Client, headers: dict[str, str], **query: str) -> str:
    response = client.http.get("/admin/planning?" + "&".join(f"{k}={v}" for k, v in query.items()), headers=headers)
    assert response.status_code == 200
    return str(response.body.decode())


def shown_on(html: str, day: str) -> list[str]:
    """The interventions (reference, then what the card says) on one day of the page."""
    section = re.search(rf'<section class="day[^"]*" id="day-{day}">(.*?)</section>', html, re.S)
    assert section, f"no {day} on the page"
    return [" ".join(re.sub(r"<[^>]+>", " ", card).split())
            for card in re.findall(r'<article class="intervention[^"]*"[^>]*>(.*?)</article>', section.group(1), re.S)]


def plan_queries(calls: Any) -> list[str]:
    """The week groups the DynamoDB calls asked for."""
    return [value["S"] for call in calls if call.service == "dynamodb" and call.operation == "Query"
            for value in call.params.get("ExpressionAttributeValues", {}).values()
            if str(value.get("S", "")).startswith(keys.PLAN_PREFIX)]


def test_an_accepted_request_shows_on_its_day_with_building_contractor_time_and_state(
        client: Client, people: People, headers: dict[str, str]) -> None:
    day = in_days(2)
    ticket = accepted(client, people, day, "08:15")
    for owner in (people.manager.manager_id, "all"):
        with recording_aws_calls() as calls:
            html = plan_page(client, headers, week=day, owner=owner)
        cards = shown_on(html, day)
        assert len(cards) == 1 and cards[0].startswith("08:15")
        assert ticket.reference in cards[0] and "Fuite sous l'évier" in cards[0].replace("&#39;", "'")
        assert "14 rue des Lilas, Lyon" in cards[0] and "Karim Benali · Plomberie Benali" in cards[0]
        assert cards[0].endswith("Prévue") or "Prévue ·" in cards[0]
        monday = week_plan.monday_of(date.fromisoformat(day)).isoformat()
        assert plan_queries(calls) == [keys.plan_group(monday, None if owner == "all" else owner)]
        assert "Scan" not in calls.dynamodb()
    other_week = (date.fromisoformat(day) + timedelta(days=7)).isoformat()
    assert ticket.reference not in plan_page(client, headers, week=other_week)


def test_the_plan_follows_the_ticket_moved_on_site_late_and_cancelled(client: Client, people: People,
                                                                       headers: dict[str, str]) -> None:
    day, later = in_days(1), in_days(9)
    ticket = accepted(client, people, day, "10:00")
    view = store.load_ticket(ticket.ticket_id)
    site_visit.report_late(view, "11:30", tokens.new_random_secret(), clock.now())
    assert "En retard · arrivée annoncée à 11:30" in shown_on(plan_page(client, headers, day=day), day)[0]
    site_visit.reschedule(store.load_ticket(ticket.ticket_id), Acceptance(later, "09:00", ""), tokens.new_random_secret(),
                          clock.now())
    assert shown_on(plan_page(client, headers, week=day), day) == []
    moved = shown_on(plan_page(client, headers, week=later), later)
    assert len(moved) == 1 and moved[0].startswith("09:00") and ticket.reference in moved[0]
    assert manager_action(client, people, ticket.ticket_id, "cancel", "Plus nécessaire").status_code == 303
    assert shown_on(plan_page(client, headers, week=later), later) == []
    assert [item.sk for item in RelaisItem.query(keys.ticket_pk(ticket.ticket_id))
            if isinstance(item, PlanEntry)] == []


def test_presence_confirmed_shows_on_site(client: Client, people: People, headers: dict[str, str]) -> None:
    day = in_days(1)
    ticket = accepted(client, people, day)
    site_visit.confirm_presence(store.load_ticket(ticket.ticket_id), tokens.new_random_secret(), clock.now())
    assert shown_on(plan_page(client, headers, day=day), day)[0].endswith("Sur place")


def test_a_message_to_a_planned_ticket_does_not_rewrite_its_plan_entries(client: Client, people: People) -> None:
    ticket = accepted(client, people, in_days(3))
    with recording_aws_calls() as calls:
        assert act(client, contractor_path(ticket.ticket_id), "messages", {"body": "Je confirme."}).status_code == 303
    written = [item["Put"]["Item"]["sk"]["S"] for call in calls if call.operation == "TransactWriteItems"
               for item in call.params["TransactItems"] if "Put" in item]
    assert not [sk for sk in written if sk.startswith(keys.PLAN_PREFIX)]


def test_tickets_saved_before_the_plan_get_their_entries_from_the_upgrade(client: Client, people: People,
                                                                           headers: dict[str, str]) -> None:
    day = in_days(4)
    ticket = accepted(client, people, day)
    for item in RelaisItem.query(keys.ticket_pk(ticket.ticket_id)):
        if isinstance(item, PlanEntry):
            item.delete()  # as a ticket accepted before this version
    assert shown_on(plan_page(client, headers, week=day), day) == []
    assert week_plan.rebuild_plan() == 1
    assert ticket.reference in shown_on(plan_page(client, headers, week=day), day)[0]
    assert week_plan.rebuild_plan() == 0  # a second run writes nothing


@pytest.mark.parametrize("query", [
    {"week": "garbage"}, {"week": "2026-02-30"}, {"day": "0001-01-01"}, {"week": "9999-12-31"},
    {"owner": "x" * 500}, {"owner": "'; DROP TABLE tickets; --"}, {"day": "2026-11-29T00:00"},
])
def test_odd_addresses_show_this_week_rather_than_fail(client: Client, people: People, headers: dict[str, str],
                                                       query: dict[str, str]) -> None:
    html = plan_page(client, headers, **query)
    monday = week_plan.monday_of(clock.paris(clock.now()).date()).isoformat()
    assert f'id="day-{monday}"' in html


def test_progress_counts_late_from_the_end_of_a_window_plus_the_grace() -> None:
    entry = PlanEntry("p", "s", ticket_id="t", reference="r", title="t", state="scheduled", planned_date="2026-12-01",
                      planned_time="08:00", window_end="10:00", contractor_name="c", manager_id="m", manager_name="m")
    at = datetime(2026, 12, 1, 10, 20, tzinfo=clock.PARIS)
    assert week_plan.progress(entry, at, 30).status == "planned"
    assert week_plan.progress(entry, at + timedelta(minutes=11), 30).status == "late"
    entry.state = "invoiced"
    assert week_plan.progress(entry, at + timedelta(days=3), 30).status == "done"


def test_a_refused_request_never_reaches_the_plan(client: Client, people: People, headers: dict[str, str]) -> None:
    ticket = new_ticket(people)
    tickets.refuse_request(store.load_ticket(ticket.ticket_id), "Pas dispo", tokens.new_random_secret(), clock.now())
    assert week_plan.entries(store.load_ticket(ticket.ticket_id).ticket) == []


def test_a_ticket_handed_to_another_manager_moves_to_their_plan(client: Client, people: People,
                                                               headers: dict[str, str]) -> None:
    from chalicelib.data import directory
    from chalicelib.usecases import ticket_admin

    day = in_days(2)
    ticket = accepted(client, people, day)
    other = directory.save_manager("Paul Durand", "paul.durand@gestion-demo.fr")
    ticket_admin.change_owner(store.load_ticket(ticket.ticket_id), people.manager, other, tokens.new_random_secret(),
                              clock.now())
    assert shown_on(plan_page(client, headers, week=day, owner=people.manager.manager_id), day) == []
    theirs = shown_on(plan_page(client, headers, week=day, owner=other.manager_id), day)
    assert len(theirs) == 1 and ticket.reference in theirs[0]
    everyone = shown_on(plan_page(client, headers, week=day, owner="all"), day)
    assert len(everyone) == 1 and everyone[0].endswith("Paul Durand")  # whose it is, on everyone's plan
