"""The single DynamoDB table, as pynamodb models: one class per item kind.

Everything about a ticket lives in its partition, so opening the exchange form is one Query;
every key is built in chalicelib/data/keys.py.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.config import settings
from chalicelib.data.keys import contractor_pk as contractor_pk  # re-exported: items and their keys, from one place
from chalicelib.data.keys import manager_pk as manager_pk
from chalicelib.data.keys import ticket_pk as ticket_pk


class ActivityIndex(GlobalSecondaryIndex["RelaisItem"]):
    """Tickets by owner (or any grouping key), most recent activity first."""

    class Meta:
        index_name = "activity"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class LookupIndex(GlobalSecondaryIndex["RelaisItem"]):
    """Exact-match lookups: a manager or contractor by email, a ticket by reference."""

    class Meta:
        index_name = "lookup"
        projection = AllProjection()

    lookup_key = UnicodeAttribute(hash_key=True)


class OutboxIndex(GlobalSecondaryIndex["RelaisItem"]):
    """Sparse: only notifications still waiting to be sent, by the time they are due."""

    class Meta:
        index_name = "outbox"
        projection = AllProjection()

    outbox_shard = UnicodeAttribute(hash_key=True)
    outbox_due = UnicodeAttribute(range_key=True)


class RelaisItem(Model):
    class Meta:
        table_name = settings().table_name

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    item_type = DiscriminatorAttribute()

    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    lookup_key = UnicodeAttribute(null=True)
    outbox_shard = UnicodeAttribute(null=True)
    outbox_due = UnicodeAttribute(null=True)
    expires = TTLAttribute(null=True)

    activity_index = ActivityIndex()
    lookup_index = LookupIndex()
    outbox_index = OutboxIndex()


Item = TypeVar("Item", bound=RelaisItem)


def looked_up(key: str, kind: type[Item]) -> Item | None:
    """The item of this kind the lookup index holds under `key` (an address, a provider's id)."""
    return next((item for item in RelaisItem.lookup_index.query(key, limit=1) if isinstance(item, kind)), None)


def grouped(group: str, kind: type[Item], **query: Any) -> list[Item]:
    """The items of this kind the activity index holds under `group`, in its order (one Query)."""
    return [item for item in RelaisItem.activity_index.query(group, **query) if isinstance(item, kind)]


class Ticket(RelaisItem, discriminator="ticket"):
    ticket_id = UnicodeAttribute()
    reference = UnicodeAttribute()
    request_kind = UnicodeAttribute()
    state = UnicodeAttribute()
    title = UnicodeAttribute()
    description = UnicodeAttribute()
    site_address = UnicodeAttribute()
    access_notes = UnicodeAttribute(default="")
    urgency = UnicodeAttribute()
    channels = ListAttribute(of=UnicodeAttribute)
    contractor_id = UnicodeAttribute()
    contractor_name = UnicodeAttribute()
    contractor_company = UnicodeAttribute(default="")
    contractor_phone = UnicodeAttribute(null=True)
    contractor_email = UnicodeAttribute(null=True)
    contractor_language = UnicodeAttribute(default="fr")
    manager_id = UnicodeAttribute()
    manager_name = UnicodeAttribute()
    manager_email = UnicodeAttribute()
    manager_language = UnicodeAttribute(default="fr")
    # The agency as the profile said when the ticket was created: the contractor's form shows it
    # without a second read (it stays one Query). None: created before agency profiles.
    agency_name = UnicodeAttribute(null=True)
    agency_phone = UnicodeAttribute(null=True)
    planned_date = UnicodeAttribute(null=True)  # YYYY-MM-DD, Europe/Paris
    planned_time = UnicodeAttribute(null=True)  # HH:MM, Europe/Paris
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    closed_at = UnicodeAttribute(null=True)
    # What the timers read: each scheduled step derives its time from these (chalicelib/usecases/planning.py).
    request_sent_at = UnicodeAttribute(null=True)
    reminders_sent = NumberAttribute(default=0)
    answer_alerted = BooleanAttribute(default=False)
    presence_requested_at = UnicodeAttribute(null=True)
    presence_alerted = BooleanAttribute(default=False)
    late_until = UnicodeAttribute(null=True)  # HH:MM the contractor said they would arrive by
    on_site_at = UnicodeAttribute(null=True)
    completed_at = UnicodeAttribute(null=True)
    invoice_requests = NumberAttribute(default=0)
    invoice_alerted = BooleanAttribute(default=False)
    quote = JSONAttribute(null=True)
    invoice = JSONAttribute(null=True)
    unread_since = UnicodeAttribute(null=True)  # the contractor wrote or answered; the manager has not read it
    unread_kind = UnicodeAttribute(null=True)  # message | answer
    version = VersionAttribute()


class Event(RelaisItem, discriminator="event"):
    """Immutable: the thread and the audit trail are the same list."""

    ticket_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    actor = UnicodeAttribute()
    actor_name = UnicodeAttribute(default="")
    at = UnicodeAttribute()
    data = JSONAttribute(default=dict)


class Link(RelaisItem, discriminator="link"):
    """A contractor's link. Only the SHA-256 of its secret is kept, plus the nonce it derives from."""

    ticket_id = UnicodeAttribute()
    contractor_id = UnicodeAttribute()
    number = NumberAttribute()
    secret_hash = UnicodeAttribute()
    nonce = UnicodeAttribute()
    key_version = NumberAttribute(null=True)  # of the signing key (chalicelib/aws/signing_keys.py); None before rotation support
    # Bytes of the secret: 16 (128 bits, 22 characters) since SMS carry the link in one segment;
    # None for older links, whose 24-byte secrets keep working (chalicelib/data/links.py).
    secret_bytes = NumberAttribute(null=True)
    revoked = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()


class NotificationStatus(StrEnum):
    """Where an outbox item is. Only PENDING and SENDING items are in the outbox index."""

    PENDING = "pending"  # waiting for the dispatcher (new, or a retry after its backoff)
    SENDING = "sending"  # claimed by a dispatcher until its lease ends
    SENT = "sent"
    FAILED = "failed"  # for good, after the last try: the manager sees it and may send it again
    BOUNCED = "bounced"  # SES reported a permanent bounce or a complaint after sending (usecases/bounces.py)
    SKIPPED = "skipped"  # an email to an address known to bounce: the SMS went instead
    SUPERSEDED = "superseded"  # to a contractor the ticket was taken from: never sent
    INERT = "inert"  # the stand-in for an unknown address's login link: never sent (usecases/auth.py)


UNDELIVERED = (NotificationStatus.PENDING, NotificationStatus.SENDING, NotificationStatus.FAILED)


class Notification(RelaisItem, discriminator="notification"):
    """An outbox item: written with the event, sent by the dispatcher."""

    ticket_id = UnicodeAttribute()
    notification_id = UnicodeAttribute()
    channel = UnicodeAttribute()  # sms | email
    audience = UnicodeAttribute()  # contractor | manager
    recipient = UnicodeAttribute()
    template = UnicodeAttribute()
    language = UnicodeAttribute(default="fr")
    params = JSONAttribute(default=dict)
    status = UnicodeAttribute()  # a NotificationStatus
    attempts = NumberAttribute(default=0)
    lease_until = UnicodeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    provider_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    sent_at = UnicodeAttribute(null=True)


def settled(status: NotificationStatus, error: str | None = None) -> list[Any]:
    """Update actions that take a notification out of the outbox for good with `status`: out of the
    outbox index (no shard, no due time), no lease, and `error` kept as its last error (else none)."""
    return [
        Notification.status.set(status),
        Notification.last_error.set(error) if error else Notification.last_error.remove(),
        Notification.outbox_shard.remove(),
        Notification.outbox_due.remove(),
        Notification.lease_until.remove(),
    ]


class Contractor(RelaisItem, discriminator="contractor"):
    contractor_id = UnicodeAttribute()
    name = UnicodeAttribute()
    company = UnicodeAttribute(default="")
    trade = UnicodeAttribute(default="")
    phone = UnicodeAttribute(null=True)  # E.164
    email = UnicodeAttribute(null=True)
    channels = ListAttribute(of=UnicodeAttribute)
    language = UnicodeAttribute(default="fr")
    active = BooleanAttribute(default=True)
    # Set when SES reports a permanent bounce or a complaint: no more email, SMS instead (bounces.py).
    email_undeliverable = BooleanAttribute(default=False)


class Manager(RelaisItem, discriminator="manager"):
    manager_id = UnicodeAttribute()
    name = UnicodeAttribute()
    email = UnicodeAttribute()
    language = UnicodeAttribute(default="fr")
    active = BooleanAttribute(default=True)
    role = UnicodeAttribute(null=True)  # administrateur | gestionnaire (chalicelib/data/directory.py); none: saved before roles
    # In every session cookie and login link; deactivation adds one, so none issued before works again.
    session_generation = NumberAttribute(default=0)


class LoginToken(RelaisItem, discriminator="login_token"):
    """A manager's single-use login link, stored by the hash of its secret."""

    manager_id = UnicodeAttribute()
    used = BooleanAttribute(default=False)
    expires_at = UnicodeAttribute()
    session_generation = NumberAttribute(null=True)  # the manager's when it was sent; none: sent before generations


class ManagerSession(RelaisItem, discriminator="session"):
    """An open session, in its manager's partition (keys.session_sk): logging out deletes it."""

    manager_id = UnicodeAttribute()
    expires_at = UnicodeAttribute()


class Submission(RelaisItem, discriminator="submission"):
    """Marks a form submission as done, so a double click or a retry records nothing twice."""

    ticket_id = UnicodeAttribute()
    event_sk = UnicodeAttribute()


class Counter(RelaisItem, discriminator="counter"):
    value = NumberAttribute(default=0)


class WrongLinkCount(RelaisItem, discriminator="wrong_link"):
    """Wrong links seen from one client in one time window (expires by TTL)."""

    hits = NumberAttribute(default=0)


class LoginRequestCount(RelaisItem, discriminator="login_count"):
    """Sign-in emails asked for one address, or from one client, in one time window (expires by TTL)."""

    hits = NumberAttribute(default=0)


class TicketSummary(RelaisItem, discriminator="ticket_summary"):
    """A ticket as lists show it, one copy per way of listing (all, state, contractor) and one
    per reason it needs the manager (À traiter). Rewritten with the ticket in the same
    transaction, so a list page is one Query on the activity index and never a Scan."""

    ticket_id = UnicodeAttribute()
    reference = UnicodeAttribute()
    title = UnicodeAttribute()
    state = UnicodeAttribute()
    contractor_id = UnicodeAttribute()
    contractor_name = UnicodeAttribute()
    manager_id = UnicodeAttribute()
    manager_name = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)  # À traiter items only
    since = UnicodeAttribute(null=True)
    # What the list and À traiter show of it (None: written before they did; `make upgrade-data` fills them).
    site_address = UnicodeAttribute(null=True)
    building_name = UnicodeAttribute(null=True)
    urgency = UnicodeAttribute(null=True)
    planned_date = UnicodeAttribute(null=True)
    planned_time = UnicodeAttribute(null=True)
    contractor_company = UnicodeAttribute(null=True)


class SearchToken(RelaisItem, discriminator="search_token"):
    """One word a ticket is found by (chalicelib/data/search.py), in the ticket's partition, filed
    under the word's first letters in the activity index. Rewritten only when the ticket's words
    change (creation, reassignment, edits), in the same transaction as the ticket."""

    ticket_id = UnicodeAttribute()
    words = UnicodeAttribute()  # all the ticket's words, " a b c ": a search of several words filters on them


class AgencyProfile(RelaisItem, discriminator="agency"):
    """The agency profile a manager edits (chalicelib/data/agency.py); the settings' until then."""

    name = UnicodeAttribute()
    sms_sender_id = UnicodeAttribute()
    phone = UnicodeAttribute()
    postal_address = UnicodeAttribute()
    reply_domain = UnicodeAttribute(default="")
    updated_by = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    version = VersionAttribute()
