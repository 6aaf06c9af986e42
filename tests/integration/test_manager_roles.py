"""Manager roles (issue 12, point 5): an administrateur manages the managers, a gestionnaire handles
tickets; there is always an active administrateur; a deactivated manager's sessions end for good."""

from __future__ import annotations

import html
import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.data import directory, store
from chalicelib.data.models import Manager
from tests.integration.conftest import FORM_HEADERS, People, sent_messages
from tests.integration.test_admin import csrf_of, login_link, signed_in_headers
from tests.integration.test_people import _invite, _post


def _as(client: Client, manager: Manager) -> dict[str, str]:
    return signed_in_headers(client, SimpleNamespace(manager=manager))  # type: ignore[arg-type]


def _csrf(client: Client, headers: dict[str, str]) -> str:
    return csrf_of(client.http.get("/admin/managers", headers=headers).body.decode())


def _active_administrateurs() -> list[str]:
    return sorted(m.name for m in directory.list_managers() if directory.is_administrateur(m))


def test_a_gestionnaire_handles_tickets_but_cannot_manage_the_managers(client: Client, people: People, pump: Any,
                                                                       aws: str) -> None:
    bruno = directory.save_manager("Bruno Petit", "bruno.petit@gestion-demo.fr", role=directory.GESTIONNAIRE)
    headers = _as(client, bruno)
    assert client.http.get("/admin/tickets", headers=headers).status_code == 200
    page = html.unescape(client.http.get("/admin/managers", headers=headers).body.decode())
    assert 'id="invite"' not in page and "/deactivate" not in page and "/role" not in page
    assert "Seuls les administrateurs invitent des gestionnaires" in page
    csrf = csrf_of(page)
    claire = people.manager.manager_id
    refused = [_post(client, headers, f"/admin/managers/{claire}/deactivate", {"csrf": csrf}),
               _post(client, headers, f"/admin/managers/{claire}/role", {"csrf": csrf, "role": "gestionnaire"}),
               _post(client, headers, f"/admin/managers/{bruno.manager_id}/role", {"csrf": csrf, "role": "administrateur"}),
               _post(client, headers, "/admin/managers", {"csrf": csrf, "name": "Intrus", "email": "intrus@example.com",
                                                          "language": "fr", "role": "administrateur"})]
    assert [r.status_code for r in refused] == [403, 403, 403, 403]
    assert "Seul un administrateur peut inviter" in html.unescape(refused[0].body.decode())
    assert [(m.name, m.role, m.active) for m in directory.list_managers()] == [
        ("Bruno Petit", "gestionnaire", True), ("Claire Martin", "administrateur", True)]
    pump.drain()
    assert sent_messages(aws)["email"] == []


def test_an_administrateur_sees_and_changes_roles_and_invites_with_one(client: Client, people: People) -> None:
    headers = signed_in_headers(client, people)
    assert _invite(client, headers, role="gestionnaire").status_code == 303
    bruno = directory.find_manager_by_email("bruno.petit@gestion-demo.fr")
    assert bruno is not None and bruno.role == "gestionnaire"
    page = html.unescape(client.http.get("/admin/managers", headers=headers).body.decode())
    assert '<td class="role">Gestionnaire</td>' in page and '<td class="role">Administrateur</td>' in page
    promoted = _post(client, headers, f"/admin/managers/{bruno.manager_id}/role",
                     {"csrf": csrf_of(page), "role": "administrateur"})
    assert promoted.status_code == 303 and promoted.headers["Location"] == "/admin/managers?done=role"
    assert _active_administrateurs() == ["Bruno Petit", "Claire Martin"]
    bad = _post(client, headers, f"/admin/managers/{bruno.manager_id}/role", {"csrf": csrf_of(page), "role": "root"})
    assert bad.status_code == 400 and _active_administrateurs() == ["Bruno Petit", "Claire Martin"]
    own = _post(client, headers, f"/admin/managers/{people.manager.manager_id}/role",
                {"csrf": csrf_of(page), "role": "gestionnaire"})
    assert own.status_code == 400 and "Vous ne pouvez pas changer votre propre rôle" in html.unescape(own.body.decode())
    assert _active_administrateurs() == ["Bruno Petit", "Claire Martin"]


def _race(client: Client, first: Manager, second: Manager, path: str, body: dict[str, str]) -> list[int]:
    """Each of two administrateurs sends the same change about the other, at the same moment."""
    sides = [(_as(client, first), second), (_as(client, second), first)]
    prepared = [(headers, f"/admin/managers/{other.manager_id}/{path}", {**body, "csrf": _csrf(client, headers)})
                for headers, other in sides]
    start = threading.Barrier(2)

    def send(side: tuple[dict[str, str], str, dict[str, str]]) -> int:
        headers, url, fields = side
        start.wait()
        return int(_post(client, headers, url, fields).status_code)

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(send, prepared))


def test_two_administrateurs_removing_each_other_at_once_always_leave_one(client: Client, people: People) -> None:
    for attempt in range(3):
        first = directory.save_manager(f"Alice {attempt}", f"alice{attempt}@gestion-demo.fr")
        second = directory.save_manager(f"Bob {attempt}", f"bob{attempt}@gestion-demo.fr")
        directory.set_manager_active(first.manager_id, people.manager.manager_id, False)  # only the two of them left
        assert _active_administrateurs() == [first.name, second.name]
        for path, body in (("deactivate", {}), ("role", {"role": "gestionnaire"})):
            statuses = _race(client, first, second, path, body)
            left = [name for name in _active_administrateurs() if name in (first.name, second.name)]
            assert len(left) == 1, (path, statuses, left)
            # The loser is refused: 403 if both were in flight, 401 if its session already ended.
            assert statuses[0] != statuses[1] and sorted(statuses)[0] == 303 and max(statuses) in (401, 403), statuses
            # Back to two administrateurs for the next race, by the one left.
            winner, loser = (first, second) if left == [first.name] else (second, first)
            directory.set_manager_active(winner.manager_id, loser.manager_id, True)
            directory.set_manager_role(winner.manager_id, loser.manager_id, directory.ADMINISTRATEUR)
        directory.set_manager_active(first.manager_id, people.manager.manager_id, True)
        for manager in (first, second):
            directory.set_manager_active(people.manager.manager_id, manager.manager_id, False)


def test_reactivating_a_manager_revives_none_of_their_sessions_or_links(client: Client, people: People, pump: Any,
                                                                        aws: str) -> None:
    bruno = directory.save_manager("Bruno Petit", "bruno.petit@gestion-demo.fr", role=directory.GESTIONNAIRE)
    old_session = _as(client, bruno)
    old_link = login_link(client, pump, aws, "bruno.petit@gestion-demo.fr")  # asked, never opened
    headers = signed_in_headers(client, people)
    for action in ("deactivate", "reactivate"):
        assert _post(client, headers, f"/admin/managers/{bruno.manager_id}/{action}",
                     {"csrf": _csrf(client, headers)}).status_code == 303
    assert client.http.get("/admin/tickets", headers=old_session).status_code == 302
    assert client.http.post(old_link, headers=FORM_HEADERS, body="").status_code == 410
    new_link = login_link(client, pump, aws, "bruno.petit@gestion-demo.fr")
    assert client.http.post(new_link, headers=FORM_HEADERS, body="").status_code == 303


def test_managers_saved_before_roles_become_administrateurs_with_the_upgrade(client: Client, people: People) -> None:
    from infra import upgrade_data

    people.manager.update(actions=[Manager.role.remove(), Manager.session_generation.remove()])  # as an older version saved it
    older = directory.get_manager(people.manager.manager_id)
    assert older is not None and older.role is None and not directory.is_administrateur(older)
    headers = signed_in_headers(client, people)  # sessions and pages work meanwhile, as a gestionnaire's
    assert client.http.get("/admin/managers", headers=headers).status_code == 200

    assert directory.grant_roles_to_managers() == 1
    assert _active_administrateurs() == ["Claire Martin"]
    assert directory.grant_roles_to_managers() == 0  # a second run writes nothing
    assert 'id="invite"' in client.http.get("/admin/managers", headers=headers).body.decode()
    assert upgrade_data.__doc__ and "administrateurs" in upgrade_data.__doc__


def test_a_manager_change_the_database_refuses_for_another_reason_is_an_error_not_a_missing_manager(
        people: People) -> None:
    """Only a failed condition means "not an administrateur" or "no such manager": a throttled or
    failing table surfaces as the error it is (the busy page, logged), never as a wrong answer."""
    from tests.integration.test_failed_writes import TableBusy

    colleague = directory.save_manager("Paul Girard", "paul.girard@gestion-demo.fr", role=directory.GESTIONNAIRE)
    with TableBusy(code="ProvisionedThroughputExceededException"), pytest.raises(store.Busy):
        directory.set_manager_role(people.manager.manager_id, colleague.manager_id, directory.ADMINISTRATEUR)
    with TableBusy(reason="ThrottlingError"), pytest.raises(store.Busy):
        directory.invite_manager("Léa Roux", "lea.roux@gestion-demo.fr", "fr", invited_by=people.manager.manager_id)
    assert directory.get_manager(colleague.manager_id).role == directory.GESTIONNAIRE  # type: ignore[union-attr]
    assert directory.find_manager_by_email("lea.roux@gestion-demo.fr") is None
