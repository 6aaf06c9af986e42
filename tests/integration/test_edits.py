"""A request corrected after it was sent: the contractor is told what changed and sees it highlighted;
an edit racing the contractor's answer loses or wins by version, the other side is told, nothing is lost."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from chalicelib.data import store
from chalicelib.domain import clock
from chalicelib.domain.edits import RequestEdit
from chalicelib.domain.errors import Conflict
from chalicelib.domain.forms import Acceptance
from chalicelib.usecases import edits, tickets
from tests.integration.conftest import FORM_HEADERS, People, contractor_path, new_ticket, sent_messages, tomorrow_paris
from tests.integration.test_admin import csrf_of, signed_in_headers
from tests.integration.test_conversation import PDF, upload
from tests.integration.test_timers import act, token

ACCEPT = {"decision": "accept", "planned_date": tomorrow_paris(), "planned_time": "14:30"}


def edit_fields(page: str, **changes: str) -> dict[str, str]:
    """The edit form as the page shows it, with `changes` typed in."""
    form = re.search(r'<form method="post" action="/admin/tickets/[A-Z0-9]+/edit".*?</form>', page, re.S)
    assert form, "no edit form on the ticket page"
    html = form.group(0)
    fields = {name: value for name, value in re.findall(r'<input[^>]*\bname="([^"]+)"[^>]*\bvalue="([^"]*)"', html)}
    fields.update({name: value for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S)})
    fields["urgency"] = re.search(r'<option value="([^"]+)" selected', html).group(1)  # type: ignore[union-attr]
    return {name: value.replace("&#39;", "'") for name, value in {**fields, **changes}.items()}


def edit(client: Client, headers: dict[str, str], ticket_id: str, page: str | None = None,
         files: tuple[tuple[str, str], ...] = (), **changes: str) -> Any:
    page = page or client.http.get(f"/admin/tickets/{ticket_id}", headers=headers).body.decode()
    attached = [pair for key, name in files for pair in (("edit_key", key), ("edit_name", name))]
    return client.http.post(f"/admin/tickets/{ticket_id}/edit", headers={**FORM_HEADERS, **headers},
                            body=urlencode([*edit_fields(page, **changes).items(), *attached]))


def test_the_contractor_is_told_what_changed_and_sees_it_highlighted_until_they_act(client: Client, people: People,
                                                                                    pump: Any, aws: str) -> None:
    ticket = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    headers = signed_in_headers(client, people)
    response = edit(client, headers, ticket.ticket_id, access_notes="Digicode 9090, clé chez la gardienne")
    assert response.status_code == 303
    pump.drain()

    [event] = [e for e in store.load_ticket(ticket.ticket_id).events if e.event_type == "edit"]
    new_access = "Digicode 9090, clé chez la gardienne"
    assert event.data["changes"] == {"access_notes": {"before": "Digicode 4521B", "after": new_access}}
    assert event.actor == "manager"
    sms = [m["message"] for m in sent_messages(aws)["sms"] if "modification" in m["message"]]
    assert len(sms) == 1 and "modification, nouvel accès." in sms[0] and path in sms[0]
    [mail] = [m for m in sent_messages(aws)["email"] if "Modification de la demande" in m["subject"]]
    assert "Nouvel accès</strong> : Digicode 9090, clé chez la gardienne" in mail["body"]  # moto keeps the HTML part

    form = client.http.get(path).body.decode()
    assert "Modification de la demande : nouvel accès." in form
    assert re.search(r'class="multiline changed" id="access">Digicode 9090, clé chez la gardienne<br>'
                     r'<small class="before">Avant : Digicode 4521B</small>', form)
    admin = client.http.get(f"/admin/tickets/{ticket.ticket_id}", headers=headers).body.decode()
    assert "Demande modifiée" in admin and "Nouvel accès : <del>Digicode 4521B</del> → <ins>Digicode 9090" in admin

    assert act(client, path, "answer", ACCEPT).status_code == 303
    after = client.http.get(path).body.decode()
    assert "Modification de la demande" not in after and " changed" not in after  # seen: no longer highlighted


def test_an_edit_from_a_page_older_than_the_contractors_answer_is_refused_and_kept(client: Client, people: People) -> None:
    ticket = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    headers = signed_in_headers(client, people)
    stale_page = client.http.get(f"/admin/tickets/{ticket.ticket_id}", headers=headers).body.decode()
    assert act(client, path, "answer", ACCEPT).status_code == 303

    response = edit(client, headers, ticket.ticket_id, page=stale_page, access_notes="Badge à l'accueil")
    assert response.status_code == 409
    body = response.body.decode()
    assert "Le ticket a changé entre-temps" in body and "Badge à l&#39;accueil</textarea>" in body  # what was typed is kept
    view = store.load_ticket(ticket.ticket_id)
    assert view.ticket.access_notes == "Digicode 4521B" and view.ticket.state == "scheduled"  # the answer won, intact
    assert not [e for e in view.events if e.event_type == "edit"]
    # Sent again from the page it came back on: the edit goes through.
    assert edit(client, headers, ticket.ticket_id, page=body, access_notes="Badge à l'accueil").status_code == 303
    assert store.load_ticket(ticket.ticket_id).ticket.access_notes == "Badge à l'accueil"


def test_an_answer_from_a_form_shown_before_an_edit_is_refused_and_kept(client: Client, people: People) -> None:
    ticket = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    stale_form = client.http.get(path).body.decode()
    headers = signed_in_headers(client, people)
    assert edit(client, headers, ticket.ticket_id, site_address="16 rue des Lilas, Lyon").status_code == 303

    fields = {"decision": "accept", "planned_date": tomorrow_paris(), "planned_time": "14:30"}
    body = urlencode({"form_token": token(stale_form, "answer"), **fields})
    response = client.http.post(f"{path}/answer", headers=FORM_HEADERS, body=body)
    assert response.status_code == 409
    page = response.body.decode()
    assert "Le gestionnaire a modifié la demande pendant que vous répondiez" in page
    assert f'value="{tomorrow_paris()}"' in page and "16 rue des Lilas" in page  # their answer kept, the change shown
    assert store.load_ticket(ticket.ticket_id).ticket.state == "sent"
    # Answered again from the page that shows the change: recorded.
    body = urlencode({"form_token": token(page, "answer"), **fields})
    response = client.http.post(f"{path}/answer", headers=FORM_HEADERS, body=body)
    assert response.status_code == 303 and store.load_ticket(ticket.ticket_id).ticket.state == "scheduled"


@pytest.mark.parametrize("first", ["edit", "answer"])
def test_an_edit_and_an_answer_at_the_same_instant_one_wins_by_version(people: People, first: str) -> None:
    """Both read the ticket at version v; the second write's version condition fails: nothing of it is written."""
    ticket = new_ticket(people)
    for_edit, for_answer = store.load_ticket(ticket.ticket_id), store.load_ticket(ticket.ticket_id)
    now = clock.now()
    change = RequestEdit(ticket.title, ticket.description, ticket.site_address, "Porte bleue", ticket.urgency)
    version = int(for_edit.ticket.version)
    write_edit = lambda: edits.edit_request(for_edit, people.manager, change, [], version, "edit-form-1", now)  # noqa: E731
    write_answer = lambda: tickets.accept_request(for_answer, Acceptance(tomorrow_paris(), "14:30", ""), "answer-form-1", now)  # noqa: E731
    winner, loser = (write_edit, write_answer) if first == "edit" else (write_answer, write_edit)
    winner()
    with pytest.raises(Conflict):
        loser()
    view = store.load_ticket(ticket.ticket_id)
    assert (view.ticket.access_notes == "Porte bleue") == (first == "edit")
    assert (view.ticket.state == "scheduled") == (first == "answer")
    assert len([e for e in view.events if e.event_type in ("edit", "accept")]) == 1


def test_an_edit_that_changes_nothing_or_comes_too_late_is_refused(client: Client, people: People, pump: Any) -> None:
    ticket = new_ticket(people)
    headers = signed_in_headers(client, people)
    same = edit(client, headers, ticket.ticket_id)
    assert same.status_code == 400 and "Rien n&#39;a changé" in same.body.decode()
    empty = edit(client, headers, ticket.ticket_id, title="  ")
    assert empty.status_code == 400 and "Indiquez un titre." in empty.body.decode()
    assert not [e for e in store.load_ticket(ticket.ticket_id).events if e.event_type == "edit"]

    page = client.http.get(f"/admin/tickets/{ticket.ticket_id}", headers=headers).body.decode()
    form_id = re.search(r'actions/cancel".*?name="form_id" value="([^"]+)"', page, re.S).group(1)  # type: ignore[union-attr]
    client.http.post(f"/admin/tickets/{ticket.ticket_id}/actions/cancel", headers={**FORM_HEADERS, **headers},
                     body=urlencode({"csrf": csrf_of(page), "form_id": form_id, "reason": ""}))
    assert 'action="/admin/tickets/' + ticket.ticket_id + '/edit"' not in \
        client.http.get(f"/admin/tickets/{ticket.ticket_id}", headers=headers).body.decode()
    late = edit(client, headers, ticket.ticket_id, page=page, title="Autre titre")
    assert late.status_code == 409
    assert store.load_ticket(ticket.ticket_id).ticket.title == "Fuite sous l'évier"


def test_files_added_to_a_sent_request_reach_the_contractor(client: Client, people: People, pump: Any, aws: str) -> None:
    ticket = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    headers = signed_in_headers(client, people)
    page = client.http.get(f"/admin/tickets/{ticket.ticket_id}", headers=headers).body.decode()
    key = upload(client, f"/admin/tickets/{ticket.ticket_id}/uploads", {"csrf": csrf_of(page)}, "Plan d'accès.pdf",
                 "application/pdf", PDF, headers)
    assert edit(client, headers, ticket.ticket_id, page=page, files=((key, "Plan d'accès.pdf"),)).status_code == 303
    pump.drain()
    [event] = [e for e in store.load_ticket(ticket.ticket_id).events if e.event_type == "edit"]
    assert event.data["changes"] == {} and [f["name"] for f in event.data["files"]] == ["Plan d'accès.pdf"]
    assert any("modification, nouveaux fichiers." in m["message"] for m in sent_messages(aws)["sms"])
    form = client.http.get(path).body.decode()
    assert "Modification de la demande : nouveaux fichiers." in form and "Plan d&#39;accès.pdf" in form
    file_id = event.data["files"][0]["file_id"]
    assert client.http.get(f"{path}/files/{file_id}").status_code == 302  # the contractor downloads it
    # The same file cannot be recorded twice.
    again = edit(client, headers, ticket.ticket_id, files=((key, "Plan d'accès.pdf"),))
    assert again.status_code == 400


def test_an_edit_that_raises_the_urgency_brings_the_reminder_forward_in_the_same_transaction(
        client: Client, people: People, pump: Any, aws: str) -> None:
    """The edit form's urgency re-plans like the urgency control (tests/integration/test_cadences.py).
    An emergency, which knows no night: the times do not depend on when the test runs."""
    import json
    from datetime import timedelta

    from tests.integration.test_cadences import held, request

    sent = clock.now().replace(microsecond=0)
    ticket = request(people, "normal", sent, channels=("email",))
    pump.drain()
    assert json.loads(held(f"{ticket.ticket_id}-reminder")["Target"]["Input"])["at"] == clock.iso(sent + timedelta(hours=24))
    headers = signed_in_headers(client, people)
    assert edit(client, headers, ticket.ticket_id, urgency="emergency", title="Fuite sous l'évier, eau coupée").status_code == 303
    pump.drain()
    assert json.loads(held(f"{ticket.ticket_id}-reminder")["Target"]["Input"])["at"] == clock.iso(sent + timedelta(hours=1))
    assert json.loads(held(f"{ticket.ticket_id}-answer_overdue")["Target"]["Input"])["at"] == clock.iso(sent + timedelta(hours=2))
    [event] = [e for e in store.load_ticket(ticket.ticket_id).events if e.event_type == "edit"]
    assert event.data["changes"]["urgency"] == {"before": "normal", "after": "emergency"}
