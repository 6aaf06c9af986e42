"""Contractors and managers: reading and writing their profiles.

A phone number or an email address belongs to one contractor at most, and a manager's email
to one manager: each is claimed by a claim item (keys.phone_claim_pk…) written in the same transaction
as the profile (condition: nobody else holds it), so two requests can never both take it.

Each contractor's partition also holds one history item per ticket sent to them (keys.history_sk),
written with the ticket: their history is one Query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.aws.signing_keys import signer
from chalicelib.data import keys, store
from chalicelib.data.keys import CONTRACTORS_GROUP, MANAGERS_GROUP, PROFILE, contractor_pk, manager_pk
from chalicelib.data.models import Contractor, Manager, RelaisItem, Ticket, grouped, looked_up
from chalicelib.domain import clock, ids
from chalicelib.domain.errors import AlreadyExists, Changed, Duplicate, NotAdministrateur, NotFound
from chalicelib.domain.forms import ContractorProfile

CHANNELS = ("sms", "email")
CURSOR_MAX_AGE = 7 * 24 * 3600

# Manager roles: an administrateur also manages the managers (invites, roles, deactivation); a
# gestionnaire handles tickets. Managers saved before roles existed become administrateurs with
# `make upgrade-data` (grant_roles_to_managers); until then they count as gestionnaires.
ADMINISTRATEUR = "administrateur"
GESTIONNAIRE = "gestionnaire"
ROLES = (ADMINISTRATEUR, GESTIONNAIRE)


class UniqueClaim(RelaisItem, discriminator="unique"):
    """Who holds a phone, a contractor's address or a manager's address (keys.phone_claim_pk…)."""

    owner_id = UnicodeAttribute()


class ContractorTicket(RelaisItem, discriminator="contractor_ticket"):
    """A line of a contractor's history, as the ticket was when it was created. Its current
    state is on the ticket page: the history never needs updating."""

    ticket_id = UnicodeAttribute()
    reference = UnicodeAttribute()
    title = UnicodeAttribute()
    state = UnicodeAttribute()
    created_at = UnicodeAttribute()




@dataclass
class Page:
    """One page of a listing and the cursor to the next one (None on the last page)."""

    items: list[Any] = field(default_factory=list)
    next_cursor: str | None = None


# -- claims -------------------------------------------------------------------------------------

def _contact_claims(phone: str | None, email: str | None) -> dict[str, str]:
    """The claim keys a contractor's contacts need, by field name."""
    claims = {}
    if phone:
        claims["phone"] = keys.phone_claim_pk(phone)
    if email:
        claims["email"] = keys.email_claim_pk(email)
    return claims


def _claim(transaction: TransactWrite, key: str, owner_id: str) -> None:
    """Take `key` unless someone else holds it (holding it already is fine: saving twice is harmless)."""
    transaction.save(UniqueClaim(key, keys.UNIQUE_SK, owner_id=owner_id),
                     condition=UniqueClaim.pk.does_not_exist() | (UniqueClaim.owner_id == owner_id))


def _release(transaction: TransactWrite, key: str, owner_id: str) -> None:
    """Give `key` up if we hold it (a profile saved before claims existed holds none)."""
    transaction.delete(UniqueClaim(key, keys.UNIQUE_SK),
                       condition=UniqueClaim.pk.does_not_exist() | (UniqueClaim.owner_id == owner_id))


def _holders(claims: dict[str, str], owner_id: str) -> dict[str, str]:
    """After a failed transaction: which of these keys someone else holds."""
    holders = {}
    for name, key in claims.items():
        try:
            claim = UniqueClaim.get(key, keys.UNIQUE_SK, consistent_read=True)
        except UniqueClaim.DoesNotExist:
            continue
        if claim.owner_id != owner_id:
            holders[name] = claim.owner_id
    return holders


# -- cursors ------------------------------------------------------------------------------------

def _cursor(purpose: str, key: dict[str, str]) -> str:
    return signer().dumps(purpose, key)


def _start_key(purpose: str, cursor: str | None, names: Iterable[str]) -> dict[str, dict[str, str]] | None:
    """A cursor back into DynamoDB's exclusive start key. Cursors are signed: a tampered one
    starts from the beginning rather than reading some other partition."""
    if not cursor:
        return None
    data = signer().loads(purpose, cursor, CURSOR_MAX_AGE)
    if not isinstance(data, dict) or set(data) != set(names) or not all(isinstance(v, str) for v in data.values()):
        return None
    return {name: {"S": value} for name, value in data.items()}


# -- profiles -----------------------------------------------------------------------------------

Profile = TypeVar("Profile", Contractor, Manager)


def _profile(kind: type[Profile], pk: str) -> Profile | None:
    try:
        return kind.get(pk, PROFILE)
    except kind.DoesNotExist:
        return None


# -- managers -----------------------------------------------------------------------------------

def get_manager(manager_id: str) -> Manager | None:
    return _profile(Manager, manager_pk(manager_id)) if ids.looks_valid(manager_id) else None


def find_manager_by_email(email: str) -> Manager | None:
    return looked_up(keys.manager_email_lookup(email), Manager)


def list_managers() -> list[Manager]:
    """Every manager, by name (one Query on the activity index; an office has a handful)."""
    return grouped(MANAGERS_GROUP, Manager)


def is_administrateur(manager: Manager) -> bool:
    return bool(manager.active) and manager.role == ADMINISTRATEUR


def _manager_item(manager_id: str, name: str, email: str, language: str, role: str) -> Manager:
    return Manager(
        manager_pk(manager_id), PROFILE, manager_id=manager_id, name=name, email=email.lower(), language=language,
        role=role, gsi1pk=MANAGERS_GROUP, gsi1sk=keys.manager_order(name), lookup_key=keys.manager_email_lookup(email),
    )


def _administrateur_check(transaction: TransactWrite, actor_id: str) -> None:
    """Part of every change to the managers: whoever asks is still an active administrateur when it
    is written. Since nobody may remove their own role, that one stays: there is always one left,
    even when two administrateurs deactivate each other at the same moment (one of them fails)."""
    transaction.condition_check(Manager, manager_pk(actor_id), PROFILE,
                                condition=(Manager.active == True) & (Manager.role == ADMINISTRATEUR))  # noqa: E712


def _save_manager(manager: Manager, only_if_new: bool, invited_by: str | None = None) -> Manager:
    """The manager and the claim on their email, together. Raises Duplicate({"email": holder})."""
    claims = {"email": keys.manager_email_claim_pk(manager.email)}
    try:
        with TransactWrite(connection=store.connection()) as transaction:
            _claim(transaction, claims["email"], manager.manager_id)
            transaction.save(manager, condition=Manager.pk.does_not_exist() if only_if_new else None)
            if invited_by is not None:
                _administrateur_check(transaction, invited_by)
    except TransactWriteError as exc:
        failed = store.failed_conditions(exc)  # a busy table raises: it is no "already a manager's"
        if 1 in failed:  # only a new manager's profile has a condition
            raise AlreadyExists(manager.manager_id) from exc
        if 2 in failed:
            raise NotAdministrateur(invited_by) from exc
        raise Duplicate(_holders(claims, manager.manager_id) or {"email": ""}) from exc
    forget_choices()  # this container's lists show the change at once
    return manager


def save_manager(name: str, email: str, language: str = "fr", manager_id: str | None = None,
                 role: str = ADMINISTRATEUR) -> Manager:
    """A manager from already-checked values (the office's first one, demo data, tests): an
    administrateur unless told otherwise."""
    return _save_manager(_manager_item(manager_id or ids.new_id(), name, email, language, role), only_if_new=False)


def invite_manager(name: str, email: str, language: str, manager_id: str | None = None,
                   role: str = GESTIONNAIRE, invited_by: str | None = None) -> Manager:
    """A new manager, unless the address is already a manager's (including managers saved before
    email claims existed, found by the lookup index). AlreadyExists: the same form sent twice;
    NotAdministrateur: `invited_by` lost the role meanwhile."""
    manager_id = manager_id or ids.new_id()
    existing = find_manager_by_email(email)
    if existing is not None and existing.manager_id != manager_id:
        raise Duplicate({"email": existing.manager_id})
    return _save_manager(_manager_item(manager_id, name, email, language, role), only_if_new=True, invited_by=invited_by)


def _change_manager(actor_id: str, manager_id: str, actions: list[Any]) -> None:
    """Another manager's profile, changed by an administrateur (checked in the same transaction).
    Raises NotFound, or NotAdministrateur when the actor lost the role or was deactivated meanwhile."""
    if actor_id == manager_id:
        raise NotAdministrateur(actor_id)  # one's own role and activity are changed by another administrateur
    try:
        with TransactWrite(connection=store.connection()) as transaction:
            _administrateur_check(transaction, actor_id)
            transaction.update(Manager(manager_pk(manager_id), PROFILE), actions=actions, condition=Manager.pk.exists())
    except TransactWriteError as exc:
        if 0 in store.failed_conditions(exc):  # a busy table raises: it is no "not found"
            raise NotAdministrateur(actor_id) from exc
        raise NotFound(manager_id) from exc
    forget_choices()  # this container's lists show the change at once


def set_manager_active(actor_id: str, manager_id: str, active: bool) -> None:
    """Deactivating also ends every session and login link of the manager for good: their
    generation moves on, so reactivating them later revives none of them."""
    actions: list[Any] = [Manager.active.set(active)]
    if not active:
        actions.append(Manager.session_generation.add(1))
    _change_manager(actor_id, manager_id, actions)


def set_manager_role(actor_id: str, manager_id: str, role: str) -> None:
    if role not in ROLES:
        raise ValueError(role)
    _change_manager(actor_id, manager_id, [Manager.role.set(role)])


def set_manager_phone(actor_id: str, manager_id: str, phone: str | None) -> None:
    """A manager's own phone (None removes it), set by them or by an administrateur. New tickets and
    tickets handed to them carry it. Raises NotFound, or NotAdministrateur for another's profile."""
    action = Manager.phone.set(phone) if phone else Manager.phone.remove()
    if actor_id != manager_id:
        _change_manager(actor_id, manager_id, [action])
        return
    try:
        Manager(manager_pk(manager_id), PROFILE).update(actions=[action],
                                                        condition=Manager.pk.exists() & (Manager.active == True))  # noqa: E712
    except UpdateError as exc:
        store.failed_conditions(exc)  # a busy table raises: it is no "not found"
        raise NotFound(manager_id) from exc
    forget_choices()


def grant_roles_to_managers() -> int:
    """`make upgrade-data`: managers saved before roles existed could all manage the managers; they
    become administrateurs (each only if it still has no role). Returns how many."""
    granted = 0
    for manager in list_managers():
        if manager.role is not None:
            continue
        try:
            manager.update(actions=[Manager.role.set(ADMINISTRATEUR)], condition=Manager.role.does_not_exist())
            granted += 1
        except UpdateError as exc:
            store.failed_conditions(exc)  # a busy table raises: the upgrade stops, and is run again
            continue  # given a role meanwhile
    if granted:
        forget_choices()
    return granted


# -- contractors --------------------------------------------------------------------------------

def get_contractor(contractor_id: str) -> Contractor | None:
    return _profile(Contractor, contractor_pk(contractor_id)) if ids.looks_valid(contractor_id) else None


def find_contractor_by_email(email: str) -> Contractor | None:
    """Whose address SES reports as bouncing (chalicelib/usecases/bounces.py)."""
    return looked_up(keys.contractor_email_lookup(email), Contractor)


def list_contractors() -> list[Contractor]:
    """The directory, by name (one Query on the activity index)."""
    return grouped(CONTRACTORS_GROUP, Contractor)


_CONTRACTORS_PAGE = "contractors-page"
_INDEX_KEY = ("pk", "sk", "gsi1pk", "gsi1sk")


def contractors_page(cursor: str | None = None, size: int = 25) -> Page:
    """One page of the directory, by name, through the activity index (never a Scan).

    One more item than shown is read, so the last page has no "next" link leading nowhere."""
    start = _start_key(_CONTRACTORS_PAGE, cursor, _INDEX_KEY)
    items = grouped(CONTRACTORS_GROUP, Contractor, limit=size + 1, page_size=size + 1, last_evaluated_key=start)
    if len(items) <= size:
        return Page(items)
    last = items[size - 1]
    return Page(items[:size], _cursor(_CONTRACTORS_PAGE, {"pk": last.pk, "sk": last.sk, "gsi1pk": CONTRACTORS_GROUP,
                                                          "gsi1sk": str(last.gsi1sk)}))


def _contractor_item(contractor_id: str, profile: ContractorProfile, active: bool = True) -> Contractor:
    return Contractor(
        contractor_pk(contractor_id), PROFILE, contractor_id=contractor_id, name=profile.name, company=profile.company,
        trade=profile.trade, phone=profile.phone, email=profile.email, channels=list(profile.channels),
        language=profile.language, active=active,
        gsi1pk=CONTRACTORS_GROUP, gsi1sk=keys.contractor_order(profile.name, contractor_id),
        lookup_key=keys.contractor_email_lookup(profile.email) if profile.email else None,
    )


def create_contractor(profile: ContractorProfile, contractor_id: str | None = None) -> Contractor:
    """A new contractor and the claims on their phone and email, in one transaction. Raises
    Duplicate when another contractor has the same phone or email (nothing is stored), and
    AlreadyExists when this id was created already (a form sent twice)."""
    contractor_id = contractor_id or ids.new_id()
    contractor = _contractor_item(contractor_id, profile)
    claims = _contact_claims(profile.phone, profile.email)
    try:
        with TransactWrite(connection=store.connection()) as transaction:
            for key in claims.values():
                _claim(transaction, key, contractor_id)
            transaction.save(contractor, condition=Contractor.pk.does_not_exist())
    except TransactWriteError as exc:
        failed = store.failed_conditions(exc)  # a busy table raises: it is no "number already taken"
        if len(claims) in failed:  # the profile, after its claims
            raise AlreadyExists(contractor_id) from exc
        taken = {name: "" for index, name in enumerate(claims) if index in failed}  # if let go since
        raise Duplicate(_holders(claims, contractor_id) or taken) from exc
    forget_choices()  # this container's lists show the change at once
    return contractor


def update_contractor(contractor_id: str, profile: ContractorProfile) -> Contractor:
    """New details for a contractor: the contacts they drop are released and the new ones claimed
    in the same transaction as the profile, which must still have the contacts read here."""
    current = get_contractor(contractor_id)
    if current is None:
        raise NotFound(contractor_id)
    before = _contact_claims(current.phone, current.email)
    after = _contact_claims(profile.phone, profile.email)
    contractor = _contractor_item(contractor_id, profile, active=bool(current.active))
    if profile.email == current.email:  # a bouncing address stays marked until the address changes
        contractor.email_undeliverable = bool(getattr(current, "email_undeliverable", False))
    unchanged = Contractor.pk.exists() & (Contractor.active == bool(current.active))  # no deactivation undone
    for name, value in (("phone", current.phone), ("email", current.email)):
        attribute = getattr(Contractor, name)
        unchanged &= (attribute == value) if value else attribute.does_not_exist()
    try:
        with TransactWrite(connection=store.connection()) as transaction:
            for key in set(before.values()) - set(after.values()):
                _release(transaction, key, contractor_id)
            for key in after.values():
                _claim(transaction, key, contractor_id)
            transaction.save(contractor, condition=unchanged)
    except TransactWriteError as exc:
        store.failed_conditions(exc)  # a busy table raises: it is no "taken" nor "changed meanwhile"
        holders = _holders(after, contractor_id)
        if holders:
            raise Duplicate(holders) from exc
        raise Changed(contractor_id) from exc
    forget_choices()  # this container's lists show the change at once
    return contractor


def set_contractor_active(contractor_id: str, active: bool) -> Contractor:
    """Deactivated contractors keep their contacts (and their claims): reactivating them is safe."""
    contractor = Contractor(contractor_pk(contractor_id), PROFILE)
    try:
        contractor.update(actions=[Contractor.active.set(active)], condition=Contractor.pk.exists())
    except UpdateError as exc:
        store.failed_conditions(exc)  # a busy table raises: it is no "not found"
        raise NotFound(contractor_id) from exc
    forget_choices()  # this container's lists show the change at once
    return contractor


def save_contractor(
    *, name: str, company: str, trade: str, phone: str | None, email: str | None, channels: list[str],
    language: str = "fr", contractor_id: str | None = None,
) -> Contractor:
    """A new contractor from already-normalised values (demo data, tests)."""
    return create_contractor(ContractorProfile(name, company, trade, phone, email, channels, language), contractor_id)


# -- history ------------------------------------------------------------------------------------

def history_item(ticket: Ticket) -> ContractorTicket:
    """The line of the contractor's history for a new ticket: save it in the ticket's creation
    transaction (a put, no condition: writing it twice changes nothing)."""
    return ContractorTicket(
        contractor_pk(ticket.contractor_id), keys.history_sk(ticket.created_at, ticket.ticket_id),
        ticket_id=ticket.ticket_id, reference=ticket.reference, title=ticket.title, state=ticket.state,
        created_at=ticket.created_at,
    )


def history_item_for(ticket: Ticket, contractor: Contractor, now: datetime) -> ContractorTicket:
    """The history line when a ticket is handed to another contractor (dated from the hand-over)."""
    at = clock.iso(now)
    return ContractorTicket(
        contractor_pk(contractor.contractor_id), keys.history_sk(at, ticket.ticket_id),
        ticket_id=ticket.ticket_id, reference=ticket.reference, title=ticket.title, state=ticket.state, created_at=at,
    )


_HISTORY_PAGE = "contractor-history-page"


def contractor_history(contractor_id: str, cursor: str | None = None, size: int = 50) -> Page:
    """The tickets sent to a contractor, newest first: one Query on their partition."""
    start = _start_key(_HISTORY_PAGE, cursor, ("pk", "sk"))
    pk = contractor_pk(contractor_id)
    if start is not None and start["pk"]["S"] != pk:
        start = None
    query = RelaisItem.query(pk, RelaisItem.sk.startswith(keys.HISTORY_PREFIX), scan_index_forward=False,
                             limit=size + 1, page_size=size + 1, last_evaluated_key=start)
    items = [item for item in query if isinstance(item, ContractorTicket)]
    if len(items) <= size:
        return Page(items)
    last = items[size - 1]
    return Page(items[:size], _cursor(_HISTORY_PAGE, {"pk": last.pk, "sk": last.sk}))


def current_tickets(ticket_ids: Iterable[str]) -> dict[str, Ticket]:
    """The tickets of a history page as they are now (their state moves on; the history line keeps
    what was true when it was written): one BatchGetItem for a page of 50."""
    wanted = [(keys.ticket_pk(ticket_id), keys.TICKET_SK) for ticket_id in dict.fromkeys(ticket_ids)]
    return {item.ticket_id: item for item in RelaisItem.batch_get(wanted) if isinstance(item, Ticket)}


# -- choices for filters and forms: read at most once a minute per container -------------------------

_CHOICES_TTL_SECONDS = 60.0
_choices: dict[str, tuple[float, list[Any]]] = {}


def _cached(name: str, load: Any) -> list[Any]:
    import time

    stamp, value = _choices.get(name, (0.0, []))
    if time.monotonic() - stamp > _CHOICES_TTL_SECONDS:
        value = load()
        _choices[name] = (time.monotonic(), value)
    return value


def contractor_choices() -> list[Contractor]:
    """The directory for filter lists: a minute old at most, so a list page stays at two calls."""
    return _cached("contractors", list_contractors)


def manager_choices() -> list[Manager]:
    return _cached("managers", list_managers)


def forget_choices() -> None:
    _choices.clear()
