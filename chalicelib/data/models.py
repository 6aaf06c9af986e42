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
    manager_phone = UnicodeAttribute(null=True)  # the owner's when the ticket was created or handed over
    # The agency as the profile said when the ticket was created: the contractor's form shows it
    # without a second read (it stays one Query). None: created before agency profiles.
    agency_name = UnicodeAttribute(null=True)
    agency_phone = UnicodeAttribute(null=True)
    planned_date = UnicodeAttribute(null=True)  # YYYY-MM-DD, Europe/Paris
    planned_time = UnicodeAttribute(null=True)  # HH:MM, Europe/Paris: the time, or a window's start
    planned_until = UnicodeAttribute(null=True)  # HH:MM: a window's end ("entre 8 h et 10 h"); None for a time
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
    manual_reminder_at = UnicodeAttribute(null=True)  # the manager's last "Relancer" (usecases/manual_reminder.py)
    quote = JSONAttribute(null=True)
    invoice = JSONAttribute(null=True)
    unread_since = UnicodeAttribute(null=True)  # the contractor wrote or answered; the manager has not read it
    unread_kind = UnicodeAttribute(null=True)  # message | answer
    # The building and lot picked for the request (data/buildings.py), copied as they were: lists,
    # search and exports read the name here. None: a freehand address (before buildings, or none picked).
    building_id = UnicodeAttribute(null=True)
    building_name = UnicodeAttribute(null=True)
    lot_number = UnicodeAttribute(null=True)
    # The occupant of the place the contractor enters (chalicelib/usecases/occupants.py), typed on the
    # request or pre-filled from a lot. Told of the date, reminded the day before, told of a cancellation.
    occupant_name = UnicodeAttribute(null=True)
    occupant_phone = UnicodeAttribute(null=True)  # E.164
    occupant_email = UnicodeAttribute(null=True)
    occupant_language = UnicodeAttribute(default="fr")
    occupant_told = JSONAttribute(null=True)  # {"date", "time", "at"}: the date last sent to the occupant, and when
    occupant_reminded = UnicodeAttribute(null=True)  # "<date> <time>" the day-before reminder was sent for
    occupant_absent_at = UnicodeAttribute(null=True)  # the occupant's last "Je serai absent" (rate limit)
    # Manager edits after sending (chalicelib/usecases/edits.py): an answer from a form shown before the
    # last one is refused, so the contractor sees the change first.
    edits = NumberAttribute(default=0)
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
    language = UnicodeAttribute(null=True)  # the contractor's, for the page of a gone link; None before 2026-11-29
    number = NumberAttribute()
    secret_hash = UnicodeAttribute()
    nonce = UnicodeAttribute()
    key_version = NumberAttribute(null=True)  # of the signing key (chalicelib/aws/signing_keys.py); None before rotation support
    # Bytes of the secret: 16 (128 bits, 22 characters) since SMS carry the link in one segment;
    # None for older links, whose 24-byte secrets keep working (chalicelib/data/links.py).
    secret_bytes = NumberAttribute(null=True)
    revoked = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()


class OccupantLink(RelaisItem, discriminator="occupant_link"):
    """The occupant's read-only page link: its own secret, derived and stored like a contractor's (hash
    and nonce), never one of the ticket's Link items, so it opens nothing of the contractor's form."""

    ticket_id = UnicodeAttribute()
    number = NumberAttribute()
    secret_hash = UnicodeAttribute()
    nonce = UnicodeAttribute()
    key_version = NumberAttribute(null=True)
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
    DIGESTED = "digested"  # a manager alert kept for the morning digest, per their preferences (outbox/alert_routing.py)


UNDELIVERED = (NotificationStatus.PENDING, NotificationStatus.SENDING, NotificationStatus.FAILED)


class Notification(RelaisItem, discriminator="notification"):
    """An outbox item: written with the event, sent by the dispatcher."""

    ticket_id = UnicodeAttribute()
    notification_id = UnicodeAttribute()
    channel = UnicodeAttribute()  # sms | email
    audience = UnicodeAttribute()  # contractor | manager | occupant
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
    phone = UnicodeAttribute(null=True)  # E.164, optional: the contractor's form offers it to call (else the agency's)
    language = UnicodeAttribute(default="fr")
    active = BooleanAttribute(default=True)
    role = UnicodeAttribute(null=True)  # administrateur | gestionnaire (chalicelib/data/directory.py); none: saved before roles
    # In every session cookie and login link; deactivation adds one, so none issued before works again.
    session_generation = NumberAttribute(default=0)


class AlertPreferences(RelaisItem, discriminator="alert_preferences"):
    """A manager's choice per kind of alert (chalicelib/domain/alerts.py): at once or in the digest."""

    choices = JSONAttribute(default=dict)
    urgent_at_once = BooleanAttribute(default=True)
    updated_at = UnicodeAttribute(null=True)
    version = VersionAttribute()


class DigestEntry(RelaisItem, discriminator="digest_entry"):
    """An alert kept for the manager's next morning digest (expires by TTL if never reported)."""

    manager_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    at = UnicodeAttribute()
    template = UnicodeAttribute()
    params = JSONAttribute(default=dict)


class DigestSent(RelaisItem, discriminator="digest_sent"):
    """Up to when the last digest reported: the next one lists what came after."""

    until = UnicodeAttribute()
    version = VersionAttribute()


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


class PlanEntry(RelaisItem, discriminator="plan_entry"):
    """A planned intervention on the week's plan, one copy under its owner's week and one under
    everyone's (chalicelib/data/week_plan.py); rewritten with the ticket in the same transaction."""

    ticket_id = UnicodeAttribute()
    reference = UnicodeAttribute()
    title = UnicodeAttribute()
    state = UnicodeAttribute()
    urgency = UnicodeAttribute(default="normal")
    planned_date = UnicodeAttribute()  # YYYY-MM-DD, Europe/Paris
    planned_time = UnicodeAttribute()  # HH:MM, the start (of the window, when there is one)
    window_end = UnicodeAttribute(null=True)  # HH:MM: "entre 8 h et 10 h"
    late_until = UnicodeAttribute(null=True)  # the contractor said they would arrive by then
    building = UnicodeAttribute(default="")
    site_address = UnicodeAttribute(default="")
    contractor_name = UnicodeAttribute()
    contractor_company = UnicodeAttribute(default="")
    manager_id = UnicodeAttribute()
    manager_name = UnicodeAttribute()


class ExportJob(RelaisItem, discriminator="export_job"):
    """A CSV export too large for one response: written to S3 a slice per request, while its page
    shows the progress (chalicelib/usecases/exports.py). Expires by TTL a day later."""

    job_id = UnicodeAttribute()
    manager_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # tickets | invoices
    language = UnicodeAttribute(default="fr")
    query = JSONAttribute(default=dict)  # the list's filters, as its address had them
    status = UnicodeAttribute()  # running | done
    rows = NumberAttribute(default=0)
    position = JSONAttribute(null=True)  # where the next slice starts reading
    upload_id = UnicodeAttribute(null=True)  # the S3 multipart upload
    parts = JSONAttribute(default=list)  # [{"PartNumber": n, "ETag": ...}]
    lease_until = UnicodeAttribute(null=True)  # one request writes a slice at a time
    created_at = UnicodeAttribute()
    finished_at = UnicodeAttribute(null=True)
    version = VersionAttribute()


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


# -- buildings (chalicelib/data/buildings.py) ------------------------------------------------------

class Building(RelaisItem, discriminator="building"):
    """A building (immeuble): its id derives from its normalised address (domain/buildings.py)."""

    building_id = UnicodeAttribute()
    name = UnicodeAttribute()
    street = UnicodeAttribute()
    postal_code = UnicodeAttribute()
    city = UnicodeAttribute()
    access_notes = UnicodeAttribute(default="")
    caretaker_name = UnicodeAttribute(default="")
    caretaker_phone = UnicodeAttribute(null=True)  # E.164
    caretaker_email = UnicodeAttribute(null=True)
    notes = UnicodeAttribute(default="")
    created_at = UnicodeAttribute()
    import_id = UnicodeAttribute(null=True)  # the import that created it (an import cancelled deletes only its own)

    @property
    def address(self) -> str:
        return f"{self.street}, {self.postal_code} {self.city}"


class Lot(RelaisItem, discriminator="lot"):
    """A lot of a building, in the building's partition; its occupant is optional."""

    building_id = UnicodeAttribute()
    number = UnicodeAttribute()
    floor = UnicodeAttribute(default="")
    occupant_name = UnicodeAttribute(default="")
    occupant_phone = UnicodeAttribute(null=True)  # E.164
    occupant_email = UnicodeAttribute(null=True)
    import_id = UnicodeAttribute(null=True)


class BuildingWord(RelaisItem, discriminator="building_word"):
    """One word a building is found by (keys.building_words_group): typing is one Query on a prefix."""

    building_id = UnicodeAttribute()
    name = UnicodeAttribute()
    address = UnicodeAttribute()
    import_id = UnicodeAttribute(null=True)


class BuildingVisit(RelaisItem, discriminator="building_visit"):
    """A ticket's line in its building's history, in the ticket's partition, written with the ticket
    (or when `make upgrade-data` links it). The page reads the tickets themselves for their state."""

    building_id = UnicodeAttribute()
    ticket_id = UnicodeAttribute()
    created_at = UnicodeAttribute()


class ImportStatus(StrEnum):
    PREVIEWED = "previewed"  # read and staged: nothing written until confirmed
    RUNNING = "running"
    DONE = "done"
    ROLLING_BACK = "rolling_back"  # deleting what it wrote, chunk by chunk
    CANCELLED = "cancelled"


class BuildingImport(RelaisItem, discriminator="building_import"):
    """A confirmed import, written in chunks (usecases/building_import.py): how far it got."""

    import_id = UnicodeAttribute()
    manager_id = UnicodeAttribute()
    page_starts = ListAttribute(of=NumberAttribute)  # the first chunk of each plan page
    total_chunks = NumberAttribute()
    done_chunks = NumberAttribute(default=0)
    status = UnicodeAttribute()  # an ImportStatus
    buildings = NumberAttribute(default=0)
    lots = NumberAttribute(default=0)
    error = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


class BuildingImportPlan(RelaisItem, discriminator="building_import_plan"):
    """A page of an import's plan, staged when the file is previewed: the chunks to write, in order,
    each one transaction. Several pages when the file is large (an item holds 400 KB)."""

    chunks = JSONAttribute()
