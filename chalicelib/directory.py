"""Contractors and managers: reading and writing their profiles."""

from __future__ import annotations

from chalicelib import ids
from chalicelib.models import Contractor, Manager, RelaisItem, contractor_pk, manager_pk

CONTRACTORS_GROUP = "CONTRACTORS"
MANAGERS_GROUP = "MANAGERS"


def manager_email_key(email: str) -> str:
    return f"MANAGER_EMAIL#{email.lower()}"


def get_manager(manager_id: str) -> Manager | None:
    try:
        return Manager.get(manager_pk(manager_id), "PROFILE")
    except Manager.DoesNotExist:
        return None


def find_manager_by_email(email: str) -> Manager | None:
    for item in RelaisItem.lookup_index.query(manager_email_key(email), limit=1):
        if isinstance(item, Manager):
            return item
    return None


def get_contractor(contractor_id: str) -> Contractor | None:
    try:
        return Contractor.get(contractor_pk(contractor_id), "PROFILE")
    except Contractor.DoesNotExist:
        return None


def list_contractors() -> list[Contractor]:
    """The directory, by name (one Query on the activity index)."""
    return [item for item in RelaisItem.activity_index.query(CONTRACTORS_GROUP) if isinstance(item, Contractor)]


def save_manager(name: str, email: str, language: str = "fr", manager_id: str | None = None) -> Manager:
    manager_id = manager_id or ids.new_id()
    manager = Manager(
        manager_pk(manager_id), "PROFILE", manager_id=manager_id, name=name, email=email.lower(), language=language,
        gsi1pk=MANAGERS_GROUP, gsi1sk=name.lower(), lookup_key=manager_email_key(email),
    )
    manager.save()
    return manager


def save_contractor(
    *, name: str, company: str, trade: str, phone: str | None, email: str | None, channels: list[str],
    language: str = "fr", contractor_id: str | None = None,
) -> Contractor:
    contractor_id = contractor_id or ids.new_id()
    contractor = Contractor(
        contractor_pk(contractor_id), "PROFILE", contractor_id=contractor_id, name=name, company=company, trade=trade,
        phone=phone, email=email, channels=channels, language=language,
        gsi1pk=CONTRACTORS_GROUP, gsi1sk=f"{name.lower()}#{contractor_id}",
    )
    contractor.save()
    return contractor
