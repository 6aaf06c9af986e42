"""Search: tickets by any word or the start of a word of their address, building, title, contractor
or reference, DynamoDB only and never a Scan.

Each word of a ticket is one item in its partition (sk SEARCH#<word>), filed in the activity index
under its first two letters (gsi1pk SEARCH#<2 letters>, gsi1sk <word>#<ticket>), so a term typed
is one Query with begins_with on the sort key: it reads the tickets that have such a word and none
other, whatever the size of the table. A search of several words queries the longest (the most
selective, as a rule) and keeps the tickets whose other words match too (a filter on the item's
copy of all the ticket's words). The page then reads the tickets' list summaries in one
BatchGetItem: at most SEARCH_QUERIES + 1 DynamoDB calls per page.

The words are written with the ticket's other summaries (chalicelib/data/listing.py), in the same
transaction, and only when they change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.data import keys
from chalicelib.data.keys import ticket_pk
from chalicelib.data.models import RelaisItem, SearchToken, Ticket, TicketSummary
from chalicelib.domain import ids, search_terms

PAGE_SIZE = 25
# Items a Query evaluates (DynamoDB's Limit, counted before the filter): one word, a page (each
# item is a ticket but for the few with two words of that start); several words, twice a page at
# first, then four times if the other words left it short.
READ_ONE_WORD = PAGE_SIZE + 5
READ_SEVERAL_WORDS = (2 * PAGE_SIZE, 4 * PAGE_SIZE)
SEARCH_QUERIES = 2  # Queries per page at most: a rare multi-word search may show a short page, never a slow one


def searched_texts(ticket: Ticket) -> list[str | None]:
    """What a ticket is found by, most telling first (the first TOKENS_MAX words are kept)."""
    return [
        getattr(ticket, "building_name", None),  # tickets linked to a building (added with buildings)
        ticket.site_address,
        ticket.contractor_name,
        ticket.contractor_company,
        ticket.title,
    ]


def token_items(ticket: Ticket) -> list[SearchToken]:
    found = search_terms.index_words(ticket.reference, searched_texts(ticket))
    every = f" {' '.join(found)} "
    return [
        SearchToken(ticket_pk(ticket.ticket_id), keys.search_sk(word), gsi1pk=keys.search_group(word[:search_terms.BUCKET]),
                    gsi1sk=keys.search_order(word, ticket.ticket_id), ticket_id=ticket.ticket_id, words=every)
        for word in found
    ]


@dataclass
class Results:
    items: list[TicketSummary]
    next_cursor: dict[str, Any] | None
    error: str = ""  # the query was not run: why (a French msgid)


def search(text: str, cursor: dict[str, Any] | None = None) -> Results:
    """One page of the tickets matching every word typed, in the index's order (by word, newest ticket first)."""
    query = search_terms.parse_query(text)
    if query.error:
        return Results([], None, query.error)
    lead = max(query.terms, key=len)
    others = [term for term in query.terms if term != lead]
    group = keys.search_group(lead[:search_terms.BUCKET])
    if cursor is not None and cursor.get("gsi1pk", {}).get("S") != group:
        cursor = None  # a cursor of another search: start over
    condition = None
    for term in others:
        match = SearchToken.words.contains(f" {term}")
        condition = match if condition is None else condition & match
    found: dict[str, None] = {}
    next_cursor = cursor
    for attempt in range(SEARCH_QUERIES):
        pages = RelaisItem.activity_index.query(
            group, RelaisItem.gsi1sk.startswith(lead), filter_condition=condition, scan_index_forward=False,
            page_size=READ_SEVERAL_WORDS[attempt] if others else READ_ONE_WORD, last_evaluated_key=next_cursor,
            attributes_to_get=["pk", "sk", "gsi1pk", "gsi1sk", "ticket_id"]).page_iter
        page = next(pages)
        next_cursor = page.get("LastEvaluatedKey")
        for raw in page.get("Items", []):
            found.setdefault(raw["ticket_id"]["S"])
            if len(found) == PAGE_SIZE:
                last = {name: raw[name] for name in ("pk", "sk", "gsi1pk", "gsi1sk")}
                return Results(_summaries(list(found)), last if raw is not page["Items"][-1] or next_cursor else None)
        if next_cursor is None:
            break
    return Results(_summaries(list(found)), next_cursor)


def _summaries(ticket_ids: list[str]) -> list[TicketSummary]:
    """The tickets as lists show them, in the order given (one BatchGetItem)."""
    valid = [ticket_id for ticket_id in ticket_ids if ids.looks_valid(ticket_id)]
    if not valid:
        return []
    read = {item.ticket_id: item for item in TicketSummary.batch_get(
        [(ticket_pk(ticket_id), keys.LIST_ALL_SK) for ticket_id in valid])}
    return [read[ticket_id] for ticket_id in valid if ticket_id in read]
