"""Rebuilding the list summaries: tickets saved by an older version get the summaries a newer one
added, stale ones go (the delivery-failure entry stays while a notification is failed), and a concurrent change wins."""

from __future__ import annotations

from typing import Any

import pytest
from chalice.test import Client

from chalicelib.data import listing, store
from chalicelib.data.listing import Filters
from chalicelib.data.models import RelaisItem, SearchToken, Ticket, TicketSummary, ticket_pk
from chalicelib.domain import clock, tokens
from chalicelib.domain.forms import Acceptance
from chalicelib.usecases import tickets
from local.harness import recording_aws_calls
from tests.integration.conftest import People, new_ticket, tomorrow_paris
from tests.integration.test_admin import signed_in_headers
from tests.integration.test_outbox import fail_for_good


def listed(ticket_id: str) -> dict[str, dict[str, Any]]:
    """The summary items (and search words) the ticket's partition holds, as stored."""
    return {item.sk: item.serialize() for item in RelaisItem.query(ticket_pk(ticket_id), consistent_read=True)
            if isinstance(item, TicketSummary | SearchToken)}


def derived(ticket_id: str) -> dict[str, dict[str, Any]]:
    """The summary items the ticket needs now."""
    ticket = Ticket.get(ticket_pk(ticket_id), "META", consistent_read=True)
    return {item.sk: item.serialize() for item in listing.summaries(ticket)}


def owner_list(people: People) -> list[str]:
    return [item.ticket_id for item in listing.tickets_page(Filters(owner_id=people.manager.manager_id)).items]


def accept(ticket_id: str) -> None:
    """The contractor accepts, through the product's own use case."""
    tickets.accept_request(store.load_ticket(ticket_id), Acceptance(tomorrow_paris(), "09:30", ""),
                           tokens.new_random_secret(), clock.now())


def test_a_ticket_saved_before_the_owner_list_existed_is_in_mes_tickets_after_the_rebuild(
        client: Client, people: People) -> None:
    old = new_ticket(people)
    TicketSummary(ticket_pk(old.ticket_id), "LIST#OWNER").delete()  # as an older version wrote it
    headers = signed_in_headers(client, people)
    assert owner_list(people) == []
    assert old.reference not in client.http.get("/admin/tickets", headers=headers).body.decode()

    assert listing.rebuild_summaries() == 1

    assert owner_list(people) == [old.ticket_id]
    assert listed(old.ticket_id) == derived(old.ticket_id)
    assert old.reference in client.http.get("/admin/tickets", headers=headers).body.decode()


def test_stale_summaries_are_corrected_and_the_delivery_failure_is_kept(people: People, pump: Any) -> None:
    ticket = new_ticket(people, channels=("sms",))  # sent: needs no quote decision
    fail_for_good(pump)  # the SMS fails for good: the dispatcher puts it in À traiter
    failure = TicketSummary.get(ticket_pk(ticket.ticket_id), "ATTENTION#delivery_failed")
    stale_state = TicketSummary.get(ticket_pk(ticket.ticket_id), "LIST#STATE")
    stale_state.gsi1pk, stale_state.state = "STATE#scheduled", "scheduled"
    stale_state.save()
    listing.attention_item(ticket, "quote_pending", clock.iso(clock.now())).save()

    assert listing.rebuild_summaries() == 1

    assert listed(ticket.ticket_id) == {**derived(ticket.ticket_id), failure.sk: failure.serialize()}
    assert [t.ticket_id for t in listing.tickets_page(Filters(state="sent")).items] == [ticket.ticket_id]
    assert listing.tickets_page(Filters(state="scheduled")).items == []
    attention = listing.attention_for(people.manager.manager_id)
    assert attention["quote_pending"] == []
    assert [item.ticket_id for item in attention["delivery_failed"]] == [ticket.ticket_id]


def test_a_delivery_failure_entry_without_a_failed_notification_goes(people: People) -> None:
    ticket = new_ticket(people)
    listing.attention_item(ticket, "delivery_failed", clock.iso(clock.now())).save()  # the failure was sent again since

    assert listing.rebuild_summaries() == 1

    assert listed(ticket.ticket_id) == derived(ticket.ticket_id)
    assert listing.attention_for(people.manager.manager_id)["delivery_failed"] == []


def test_a_second_rebuild_writes_nothing(people: People) -> None:
    answered = new_ticket(people)
    accept(answered.ticket_id)  # scheduled, with an unread answer in À traiter
    other = new_ticket(people, people.email_only, channels=("email",))
    assert listing.rebuild_summaries() == 0  # written by this version: nothing to repair
    TicketSummary(ticket_pk(other.ticket_id), "LIST#OWNER").delete()
    assert listing.rebuild_summaries() == 1

    with recording_aws_calls() as calls:
        assert listing.rebuild_summaries() == 0
    assert not {"TransactWriteItems", "PutItem", "DeleteItem", "BatchWriteItem"} & set(calls.dynamodb())


def test_a_change_made_while_rebuilding_is_not_overwritten_with_stale_summaries(
        people: People, monkeypatch: pytest.MonkeyPatch) -> None:
    ticket = new_ticket(people)
    TicketSummary(ticket_pk(ticket.ticket_id), "LIST#OWNER").delete()
    listing.attention_item(ticket, "quote_pending", ticket.updated_at).save()  # stale: neither version wants it
    read = listing._read_partition
    reads: list[str] = []

    def read_then_change(ticket_id: str) -> Any:
        seen = read(ticket_id)
        reads.append(ticket_id)
        if len(reads) == 1:
            accept(ticket_id)  # right after the rebuild read the ticket (still "sent")
        return seen

    monkeypatch.setattr(listing, "_read_partition", read_then_change)

    assert listing.rebuild_summaries() == 1

    assert reads == [ticket.ticket_id, ticket.ticket_id]  # the version check failed: read again
    assert listed(ticket.ticket_id) == derived(ticket.ticket_id)
    assert TicketSummary.get(ticket_pk(ticket.ticket_id), "LIST#STATE").gsi1pk == "STATE#scheduled"
    assert [t.ticket_id for t in listing.tickets_page(Filters(state="scheduled")).items] == [ticket.ticket_id]
    assert owner_list(people) == [ticket.ticket_id]
