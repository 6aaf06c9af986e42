"""The contractor's form on a 390-px phone, in every state (issue #17, points 1-3, 6-9): the job read
first and the answer close by; errors in the section that was sent, summed up at the top; a bad file
refused on its line as soon as its upload ends; words of the trade; every control a thumb's target
(≥ 44 × 44 px); every text ≥ 4.5:1; no console error, the icon included."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SHOTS, Relais
from tests.browser.test_conversation import _jpeg
from tests.browser.test_round_trip import _sms_link_for

EXE = b"MZ\x90\x00" + b"\x00" * 300
MIN_TARGET = 44
MIN_CONTRAST = 4.5

# Every visible control's box, smaller than a thumb (the visually hidden radios are measured by their labels).
SMALL_TARGETS = """min => {
  const controls = document.querySelectorAll("a[href], button, summary, select, textarea, "
    + "input:not([type=hidden]):not([type=radio]), label.choice-accept, label.choice-refuse");
  return [...controls].filter(e => e.checkVisibility()).map(e => {
    const box = e.getBoundingClientRect();
    return {what: e.outerHTML.slice(0, 90), width: Math.round(box.width), height: Math.round(box.height)};
  }).filter(b => b.width < min || b.height < min);
}"""

# Every visible text's contrast with the background it is drawn on (WCAG relative luminance).
LOW_CONTRAST = """min => {
  const rgba = text => (text.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const c = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * c(r) + 0.7152 * c(g) + 0.0722 * c(b);
  };
  const background = element => {
    for (let e = element; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || c[3] > 0) { return c.slice(0, 3); }
    }
    return [255, 255, 255];
  };
  const low = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!node.textContent.trim() || !element.checkVisibility() || element.closest("button:disabled")) { continue; }
    const style = getComputedStyle(element);
    const fg = rgba(style.color).slice(0, 3), bg = background(element);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    if (ratio < min) { low.push({text: node.textContent.trim().slice(0, 40), ratio: Math.round(ratio * 100) / 100,
                                 color: style.color, background: "rgb(" + bg + ")"}); }
  }
  return low;
}"""


@pytest.fixture
def console(phone: Any) -> Iterator[list[str]]:
    """Console errors, uncaught exceptions and failed responses of every page of the phone."""
    seen: list[str] = []

    def watch(page: Any) -> None:
        page.on("console", lambda m: seen.append(f"console {m.type}: {m.text} ({page.url})") if m.type == "error" else None)
        page.on("pageerror", lambda e: seen.append(f"exception: {e} ({page.url})"))
        page.on("response", lambda r: seen.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    phone.on("page", watch)
    yield seen


def _problems(page: Any, name: str) -> list[str]:
    """The page as it is now: controls under a thumb's size, texts under 4.5:1; a screenshot to look at."""
    page.screenshot(path=str(SHOTS / f"polish-{name}.png"), full_page=True)
    small = page.evaluate(SMALL_TARGETS, MIN_TARGET)
    low = page.evaluate(LOW_CONTRAST, MIN_CONTRAST)
    return [f"{name}: under {MIN_TARGET}×{MIN_TARGET} px: {b}" for b in small] + \
        [f"{name}: under {MIN_CONTRAST}:1: {t}" for t in low]


def _judged(page: Any, name: str) -> None:
    problems = _problems(page, name)
    assert problems == [], "\n".join(problems)


def _upload_line(page: Any, input_id: str, name: str) -> Any:
    return page.locator(f"[data-upload-list][data-for={input_id}] li.upload", has=page.locator(".upload-name", has_text=name))


def test_every_control_is_a_thumbs_target_and_every_text_readable_in_every_state(relais: Relais, phone: Any) -> None:
    """Points 7 and 9 on the form as a ticket goes: sent, scheduled (its folded parts open), asked
    for presence, on site; every problem of every state is listed at once."""
    from chalicelib.data import store
    from chalicelib.domain import clock, ids
    from chalicelib.domain.forms import Acceptance
    from chalicelib.usecases import site_visit, tickets
    from tests.integration.conftest import new_ticket, tomorrow_paris

    ticket = new_ticket(relais.people)
    form = phone.new_page()
    link = _sms_link_for(relais, ticket.ticket_id)
    form.goto(link)
    form.locator("label[for=decision-accept]").click()
    problems = _problems(form, "sent")
    tickets.accept_request(store.load_ticket(ticket.ticket_id), Acceptance(tomorrow_paris(), "08:00", ""), ids.new_id(),
                           clock.now())
    form.goto(link)
    for folded in form.locator("details:not(.contact) > summary").all():
        folded.click()
    problems += _problems(form, "scheduled")
    _fire_presence(ticket.ticket_id)
    form.goto(link)
    problems += _problems(form, "presence")
    site_visit.confirm_presence(store.load_ticket(ticket.ticket_id), ids.new_id(), clock.now())
    form.goto(link)
    problems += _problems(form, "on-site")
    assert problems == [], "\n".join(problems)


def test_the_job_is_read_first_and_the_answer_stays_close(relais: Relais, phone: Any) -> None:
    from tests.integration.conftest import new_ticket

    ticket = new_ticket(relais.people)
    form = phone.new_page()
    form.goto(_sms_link_for(relais, ticket.ticket_id))
    request, decision = form.locator("#request"), form.locator("#decision")
    expect(request.locator("h1")).to_have_text("Fuite sous l'évier")  # what, where, access, urgency, manager: first
    expect(request.locator("dl.facts")).to_contain_text("Digicode 4521B")
    request_box, decision_box = request.bounding_box(), decision.bounding_box()
    assert request_box and decision_box and request_box["y"] < decision_box["y"]
    form.locator("label[for=decision-accept]").click()
    valider = form.get_by_role("button", name="Valider").bounding_box()
    assert valider and valider["y"] + valider["height"] <= 2 * 844, "a long scroll to Valider"


def test_a_ticket_walked_on_a_phone_says_what_comes_next_refuses_bad_files_at_once_and_logs_no_error(
        relais: Relais, phone: Any, console: list[str]) -> None:
    from chalicelib.data import store
    from chalicelib.domain import clock, ids
    from chalicelib.domain.forms import Acceptance
    from chalicelib.usecases import tickets
    from tests.integration.conftest import new_ticket, tomorrow_paris

    ticket = new_ticket(relais.people)
    form = phone.new_page()
    photo = _jpeg(form)
    link = _sms_link_for(relais, ticket.ticket_id)
    form.goto(link)
    expect(form.locator("#request .ref")).to_contain_text(f"Intervention n° {ticket.reference}")
    expect(form.locator("#request .state")).to_have_text("À répondre")

    # Scheduled, within a window; then asked to confirm presence; then on site.
    view = store.load_ticket(ticket.ticket_id)
    tickets.accept_request(view, Acceptance(tomorrow_paris(), "08:00", "", "10:00"), ids.new_id(), clock.now())
    form.goto(link)
    expect(form.locator("#request dd.planned")).to_contain_text("entre 8 h et 10 h")
    expect(form.locator("#request .state")).to_contain_text("Intervention prévue le ")
    _fire_presence(ticket.ticket_id)  # as EventBridge Scheduler does at the window's start
    form.goto(link)
    form.get_by_role("button", name="Je suis sur place").click()

    # 6. After "Je suis sur place": what comes next, and "Déclarer la fin".
    expect(form.locator("section.confirmation .next")).to_contain_text("Une fois le travail terminé")
    _judged(form, "presence-confirmed")
    form.get_by_role("link", name="Déclarer la fin").click()
    completion = form.locator("section#completion")
    expect(completion).to_be_in_viewport()
    expect(form.locator("#request .state")).to_have_text("Sur place")

    # 3. An executable renamed .jpg is refused on its line as soon as its upload ends; never sent.
    form.locator("#proof-files").set_input_files({"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": EXE})
    bad = _upload_line(form, "proof-files", "photo.jpg")
    expect(bad.locator(".upload-status")).to_have_text(
        "Refusé : Le contenu du fichier ne correspond pas à un type accepté.", timeout=15_000)
    expect(bad.locator("input[type=hidden]")).to_have_count(0)
    form.locator("#proof-files").set_input_files({"name": "apres.jpg", "mimeType": "image/jpeg", "buffer": photo})
    expect(_upload_line(form, "proof-files", "apres.jpg").locator(".upload-status")).to_have_text("Envoyé", timeout=15_000)
    _judged(form, "on-site")
    completion.get_by_role("button", name="Confirmer la fin d'intervention").click()

    # 6. Ended without the invoice: still expected, and offered now.
    expect(form.locator("section.confirmation .next")).to_contain_text("La facture est toujours attendue")
    _judged(form, "completed-confirmation")
    form.get_by_role("link", name="Envoyer la facture maintenant").click()
    expect(form.locator("form#invoice-form")).to_be_in_viewport()
    expect(form.locator("#request .state")).to_have_text("Facture attendue")
    done = store.load_ticket(ticket.ticket_id)
    assert done.ticket.state == "completed"
    (completed,) = [e for e in done.events if e.event_type == "complete"]
    assert [f["name"] for f in completed.data["files"]] == ["apres.jpg"]  # the refused one was never offered
    _judged(form, "send-invoice")

    # 8. No page logged an error or failed a request, the icon included.
    assert console == [], console


def _fire_presence(ticket_id: str) -> None:
    """What EventBridge Scheduler does at the presence check's time (its input is the schedule's)."""
    import json

    import boto3

    from chalicelib.usecases import timers
    from local.harness import wait_until

    def held() -> dict[str, Any] | None:
        try:
            return dict(boto3.client("scheduler").get_schedule(Name=f"{ticket_id}-presence_check", GroupName="relais"))
        except Exception:  # not written yet
            return None

    schedule = wait_until("the presence check's schedule", held, 10)
    assert timers.fire(json.loads(schedule["Target"]["Input"])) == "done"


def test_a_quote_request_refused_without_reason_comes_back_open_with_a_summary(relais: Relais, phone: Any,
                                                                             console: list[str]) -> None:
    from chalicelib.data import store
    from chalicelib.domain import clock, ids
    from chalicelib.usecases import tickets
    from tests.integration.conftest import new_ticket

    ticket = new_ticket(relais.people)
    tickets.request_quote(store.load_ticket(ticket.ticket_id), relais.people.manager, "", ids.new_id(), clock.now())
    form = phone.new_page()
    form.goto(_sms_link_for(relais, ticket.ticket_id))
    expect(form.locator("#request .ref")).to_contain_text(f"Demande de devis n° {ticket.reference}")
    expect(form.locator("#request .state")).to_have_text("À répondre")
    _judged(form, "quote-requested")
    form.locator("#refuse-quote > summary").click()
    form.get_by_role("button", name="Refuser la demande").click()

    expect(form.locator("details[open]")).to_have_count(1)
    refusal = form.locator("details#refuse-quote")
    expect(refusal).to_have_attribute("open", "")
    expect(refusal.locator("#reason-error")).to_have_text("Indiquez le motif du refus.")
    expect(refusal.locator("#reason-error")).to_be_visible()
    summary = form.locator("#error-summary")
    expect(summary).to_be_in_viewport()
    summary.get_by_role("link", name="Indiquez le motif du refus.").click()
    expect(refusal.locator("#reason-error")).to_be_in_viewport()
    assert store.load_ticket(ticket.ticket_id).ticket.state == "quote_requested"
    _judged(form, "quote-refusal-error")
    # Nothing but the refused form's own 400 (the page that comes back with its errors).
    assert [c for c in console if not c.startswith("400 ") and "status of 400" not in c] == [], console


def test_unknown_paths_are_an_html_page_in_the_browsers_language(relais: Relais, phone: Any) -> None:
    page = phone.new_page()
    for path in ("/nope", "/admin/nope/deeper"):
        response = page.goto(path)
        assert response is not None and response.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable")
        assert "Missing Authentication Token" not in page.content()
    icon = page.request.get("/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/svg+xml"
    declared = page.locator("link[rel=icon]").get_attribute("href")
    assert declared and page.request.get(declared).status == 200
    assert re.search(r"<svg", icon.text())
