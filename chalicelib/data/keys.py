"""Every key of the single DynamoDB table, in one place: partition and sort keys, index keys, prefixes.

No other module writes a key format (tests/unit/test_keys.py checks it). Everything about a ticket
lives in its partition, so opening the exchange form is one Query. Items, as pk / sk:

  TICKET#<id>             META                         the ticket
                          EVENT#<ulid>                 its thread and audit trail
                          LINK#<0001>                  the contractors' links
                          OCCUPANT#<0001>              the occupant's links (read-only page)
                          NOTIF#<ulid>                 its outbox
                          LIST#ALL|STATE|CONTRACTOR|OWNER, ATTENTION#<reason>   its list summaries
                          PLAN#OWNER|ALL               its day on the week's plan (data/week_plan.py)
                          SEARCH#<word>                a word it is found by (data/search.py)
  CONTRACTOR#<id>         PROFILE                      a contractor
                          TICKET#<created>#<ticket>    a line of their history
  MANAGER#<id>            PROFILE                      a manager
                          SESSION#<sha256>             an open session
                          ALERTS                       their alert preferences (data/alert_digest.py)
                          DIGEST#<at>#<notification>   an alert kept for their morning digest
                          DIGEST_SENT                  up to when the last digest reported
                          NOTIF#<ulid>                 the digest email, in the outbox
  UNIQUE#PHONE|EMAIL|MANAGER_EMAIL#<value>  UNIQUE     who holds a phone or an address
  LOGIN#<sha256>          LOGIN                        a login link
  SUBMIT#<form id>        SUBMIT                       a form already recorded
  COUNTER#ticket#<year>   COUNTER                      the ticket references of a year
  WRONGLINK|LOGINADDR|LOGINCLIENT#<sha256>#<window>  COUNT   limits per time window (data/throttle.py)
  UPLOADS#<sha256>        GRANTS                       one holder's upload permissions
  AGENCY                  PROFILE                      the agency profile (data/agency.py)
  EXPORT#<id>             JOB                          a large export under way (data/export_jobs.py)
  BUILDING#<id>           PROFILE                      a building (data/buildings.py)
                          LOT#<number>                 one of its lots
                          WORD#<word>                  a word it is found by while typing
  TICKET#<id>             BUILDING                     the ticket's line in its building's history
  IMPORT#<id>             IMPORT                       a file of buildings being imported
                          PLAN#<0000>                  a page of what it writes, chunk by chunk

Indexes: activity (gsi1pk / gsi1sk: a ticket under OWNER#<manager>, its summaries under TICKETS,
STATE#…, CONTRACTOR_TICKETS#…, OWNER_TICKETS#…, ATTENTION#<manager>, by last activity; its words
under SEARCH#<first two letters>, by word; plan entries under PLAN#<monday>[#<manager>], by planned
day and hour; profiles under CONTRACTORS and MANAGERS, by name; buildings under BUILDINGS by name,
their words under BUILDING_WORDS#<first letter> by word, a building's tickets under
BUILDING_TICKETS#<id> by creation, a manager's imports under IMPORTS#<manager>), lookup
(REF#<reference>, CONTRACTOR_EMAIL#…, MANAGER_EMAIL#…, PROVIDER#<SES message id>) and outbox (OUTBOX /
due time, pending items only).
Login secrets, session ids, and what limits count by (addresses, client IPs, upload holders) are
hashed here, never stored as they are; claims and lookups hold a profile's own contacts.
"""

from __future__ import annotations

from chalicelib.domain import tokens

AGENCY_PK = "AGENCY"  # its one item, under sk PROFILE

# -- a ticket's partition ------------------------------------------------------------------------

TICKET_PREFIX = "TICKET#"
TICKET_SK = "META"
EVENT_PREFIX = "EVENT#"
LINK_PREFIX = "LINK#"
OCCUPANT_LINK_PREFIX = "OCCUPANT#"
NOTIFICATION_PREFIX = "NOTIF#"
SEARCH_PREFIX = "SEARCH#"  # sorts after every other item of the partition: reading the ticket skips its words
SUMMARY_PREFIXES = ("LIST#", "ATTENTION#", SEARCH_PREFIX)


def ticket_pk(ticket_id: str) -> str:
    return f"{TICKET_PREFIX}{ticket_id}"


def ticket_id_of(pk: str) -> str | None:
    """The ticket whose partition this is (None for a manager's or a login's item)."""
    return pk.removeprefix(TICKET_PREFIX) if pk.startswith(TICKET_PREFIX) else None


def event_sk(event_id: str) -> str:
    return f"{EVENT_PREFIX}{event_id}"


def link_sk(number: int) -> str:
    return f"{LINK_PREFIX}{number:04d}"


def occupant_link_sk(number: int) -> str:
    return f"{OCCUPANT_LINK_PREFIX}{number:04d}"


def notification_sk(notification_id: str) -> str:
    return f"{NOTIFICATION_PREFIX}{notification_id}"


# -- the activity index: lists, most recent activity first ---------------------------------------

ALL_TICKETS = "TICKETS"
CONTRACTORS_GROUP = "CONTRACTORS"
MANAGERS_GROUP = "MANAGERS"
ATTENTION_PREFIX = "ATTENTION#"
STATE_PREFIX = "STATE#"
CONTRACTOR_TICKETS_PREFIX = "CONTRACTOR_TICKETS#"
OWNER_TICKETS_PREFIX = "OWNER_TICKETS#"
LIST_ALL_SK, LIST_STATE_SK, LIST_CONTRACTOR_SK, LIST_OWNER_SK = "LIST#ALL", "LIST#STATE", "LIST#CONTRACTOR", "LIST#OWNER"


def owner_group(manager_id: str) -> str:
    """The ticket item itself, under its owner."""
    return f"OWNER#{manager_id}"


def state_group(state: str) -> str:
    return f"{STATE_PREFIX}{state}"


def contractor_tickets_group(contractor_id: str) -> str:
    return f"{CONTRACTOR_TICKETS_PREFIX}{contractor_id}"


def owner_tickets_group(manager_id: str) -> str:
    return f"{OWNER_TICKETS_PREFIX}{manager_id}"


def attention_group(manager_id: str) -> str:
    """The owner's À traiter list."""
    return f"{ATTENTION_PREFIX}{manager_id}"


def attention_sk(reason: str) -> str:
    return f"{ATTENTION_PREFIX}{reason}"


def attention_order(reason: str, urgency_rank: int, since: str, ticket_id: str) -> str:
    """Within a reason, the most urgent first, then the oldest."""
    return f"{reason}#{urgency_rank}#{since}#{ticket_id}"


def search_sk(word: str) -> str:
    return f"{SEARCH_PREFIX}{word}"


def search_group(bucket: str) -> str:
    """The words starting with `bucket` (their first letters): a prefix is a begins_with in it."""
    return f"{SEARCH_PREFIX}{bucket}"


def search_order(word: str, ticket_id: str) -> str:
    return f"{word}#{ticket_id}"


def activity_order(updated_at: str, ticket_id: str) -> str:
    return f"{updated_at}#{ticket_id}"


def contractor_order(name: str, contractor_id: str) -> str:
    return f"{name.lower()}#{contractor_id}"


def manager_order(name: str) -> str:
    return name.lower()


# -- the week's plan: planned interventions by week (data/week_plan.py), on the activity index ----

PLAN_OWNER_SK, PLAN_ALL_SK = "PLAN#OWNER", "PLAN#ALL"
PLAN_PREFIX = "PLAN#"


def plan_group(monday: str, manager_id: str | None = None) -> str:
    """One week's planned interventions (the week named by its Monday), of one owner or of everyone."""
    return f"{PLAN_PREFIX}{monday}#{manager_id}" if manager_id else f"{PLAN_PREFIX}{monday}"


def plan_order(day: str, hour: str, ticket_id: str) -> str:
    return f"{day}#{hour}#{ticket_id}"


# -- large exports -------------------------------------------------------------------------------

EXPORT_SK = "JOB"


def export_pk(job_id: str) -> str:
    return f"EXPORT#{job_id}"


def export_object_key(manager_id: str, job_id: str, suffix: str) -> str:
    """The export's file in the files bucket (`csv`) and the tail not yet sent as a part (`tail`)."""
    return f"exports/{manager_id}/{job_id}.{suffix}"


# -- the lookup index: exact matches -------------------------------------------------------------

def reference_lookup(reference: str) -> str:
    return f"REF#{reference}"


def manager_email_lookup(email: str) -> str:
    return f"MANAGER_EMAIL#{email.lower()}"


def contractor_email_lookup(email: str) -> str:
    """What SES bounces are matched with (chalicelib/usecases/bounces.py)."""
    return f"CONTRACTOR_EMAIL#{email.lower()}"


def provider_lookup(message_id: str) -> str:
    """A sent email, by the provider's message id (the dispatcher sets it, bounces read it)."""
    return f"PROVIDER#{message_id}"


# -- the outbox index ----------------------------------------------------------------------------

OUTBOX_SHARD = "OUTBOX"


# -- people --------------------------------------------------------------------------------------

PROFILE = "PROFILE"
HISTORY_PREFIX = "TICKET#"
UNIQUE_SK = "UNIQUE"


def contractor_pk(contractor_id: str) -> str:
    return f"CONTRACTOR#{contractor_id}"


def manager_pk(manager_id: str) -> str:
    return f"MANAGER#{manager_id}"


ALERT_PREFERENCES_SK = "ALERTS"
DIGEST_PREFIX = "DIGEST#"
DIGEST_SENT_SK = "DIGEST_SENT"


def digest_entry_sk(at: str, notification_id: str) -> str:
    return f"{DIGEST_PREFIX}{at}#{notification_id}"


def digest_submission(manager_id: str, day: str) -> str:
    """The morning digest of one manager on one Paris day: written once (keyed as a submission)."""
    return f"digest:{manager_id}:{day}"


def digest_schedule_name(manager_id: str) -> str:
    return f"digest-{manager_id}"


def history_sk(at: str, ticket_id: str) -> str:
    return f"{HISTORY_PREFIX}{at}#{ticket_id}"


def phone_claim_pk(phone: str) -> str:
    return f"UNIQUE#PHONE#{phone}"


def email_claim_pk(email: str) -> str:
    return f"UNIQUE#EMAIL#{email.lower()}"


def manager_email_claim_pk(email: str) -> str:
    return f"UNIQUE#MANAGER_EMAIL#{email.lower()}"


# -- sign-in -------------------------------------------------------------------------------------

LOGIN_SK = "LOGIN"


def login_pk(secret: str) -> str:
    return f"LOGIN#{tokens.sha256_hex(secret)}"


def session_sk(session_id: str) -> str:
    return f"SESSION#{tokens.sha256_hex(session_id)}"


# -- markers, counters and limits ----------------------------------------------------------------

SUBMISSION_SK = "SUBMIT"
COUNTER_SK = "COUNTER"
COUNT_SK = "COUNT"
GRANTS_SK = "GRANTS"
WRONG_LINKS, LOGINS_BY_ADDRESS, LOGINS_BY_CLIENT = "WRONGLINK", "LOGINADDR", "LOGINCLIENT"


def submission_pk(submission_id: str) -> str:
    return f"SUBMIT#{submission_id}"


def reference_counter_pk(year: int) -> str:
    return f"COUNTER#ticket#{year}"


def window_pk(kind: str, subject: str, window: int) -> str:
    """One subject's counter (a client, an address) in one time window of a limit."""
    return f"{kind}#{tokens.sha256_hex(subject)[:32]}#{window}"


def upload_grants_pk(holder: str) -> str:
    return f"UPLOADS#{tokens.sha256_hex(holder)[:32]}"


# -- buildings and lots (chalicelib/data/buildings.py, chalicelib/usecases/building_import.py) -----

BUILDING_PREFIX = "BUILDING#"
BUILDINGS_GROUP = "BUILDINGS"
LOT_PREFIX = "LOT#"
WORD_PREFIX = "WORD#"
BUILDING_VISIT_SK = "BUILDING"  # in the ticket's partition
IMPORT_SK = "IMPORT"


def building_pk(building_id: str) -> str:
    return f"{BUILDING_PREFIX}{building_id}"


def lot_sk(number: str) -> str:
    return f"{LOT_PREFIX}{number}"


def word_sk(word: str) -> str:
    return f"{WORD_PREFIX}{word}"


def building_order(name: str, building_id: str) -> str:
    return f"{name.lower()}#{building_id}"


def building_words_group(word: str) -> str:
    """Words are spread over one index partition per first letter or digit."""
    return f"BUILDING_WORDS#{word[:1]}"


def word_order(word: str, building_id: str) -> str:
    return f"{word}#{building_id}"


def building_tickets_group(building_id: str) -> str:
    return f"BUILDING_TICKETS#{building_id}"


def visit_order(created_at: str, ticket_id: str) -> str:
    return f"{created_at}#{ticket_id}"


PLAN_PREFIX = "PLAN#"


def plan_sk(page: int) -> str:
    return f"{PLAN_PREFIX}{page:04d}"


def import_pk(import_id: str) -> str:
    return f"IMPORT#{import_id}"


def imports_group(manager_id: str) -> str:
    return f"IMPORTS#{manager_id}"
