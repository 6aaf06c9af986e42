"""Every French text a user can meet has an English translation, and English pages show no French.

French is the source language: templates wrap it in `_()`, code marks it with `N_()`, and Babel
extracts those msgids as `make i18n` does (babel.cfg). The English is the gettext catalog
chalicelib/i18n/locale/en/LC_MESSAGES/relais.po, compiled to the relais.mo the app reads.
"""

from __future__ import annotations

import copy
import gettext
import html
import json
import re
import shutil
import string
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from chalicelib import i18n
from chalicelib.config import DEFAULT_CADENCES
from chalicelib.domain import alerts, forms
from chalicelib.domain.search_terms import parse_query
from chalicelib.domain.text import N_
from chalicelib.i18n import formatting, rendering
from chalicelib.outbox import notification_text

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
PO = i18n.LOCALE_DIR / "en" / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


# -- extraction and catalog, as `make i18n` sees them ----------------------------------------------

def extracted(root: Path = ROOT) -> dict[str, set[str]]:
    """msgid → the files Babel finds it in under `root`, with the repository's babel.cfg."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, set[str]] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(str(root), method_map, options_map):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, set()).add(filename)
    return found


def read_catalog(path: Path = PO) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def untranslated(msgids: set[str], catalog: Catalog) -> list[str]:
    """The msgids an English reader would get in French: absent, empty or fuzzy (never compiled)."""
    return sorted(m for m in msgids if (entry := catalog.get(m)) is None or not entry.string or entry.fuzzy)


EXTRACTED = extracted()
CATALOG = read_catalog()
ENTRIES = sorted((m for m in CATALOG if m.id), key=lambda m: str(m.id))


def test_babel_extracts_the_texts_of_templates_and_code() -> None:
    for expected, where in [
        ("Accepter", "templates/contractor/form.html"),
        ("Bonjour {name},", "templates/messages/intervention_request.email.txt"),  # _() with keyword arguments
        ("Contacter le gestionnaire", "templates/contractor/form.html"),  # in a {% with %}
        ("Indiquez la date d'intervention.", "chalicelib/domain/forms.py"),  # N_() in code
        ("Le commentaire dépasse {limit} caractères.", "chalicelib/domain/forms.py"),  # N_() with values
        ("Numéro de téléphone invalide.", "chalicelib/domain/contacts.py"),
        ("Ticket introuvable.", "chalicelib/web/admin/tickets.py"),
        ("Planifiée", "chalicelib/i18n/formatting.py"),  # labels
        ("Le fichier dépasse 20 Mo.", "chalicelib/aws/uploads.py"),
    ]:
        assert where in EXTRACTED.get(expected, set()), expected
    assert "authentication required" not in EXTRACTED  # JSON bodies for scripts are not user-facing text
    assert len(EXTRACTED) > 400


# -- completeness -----------------------------------------------------------------------------------

def test_every_extracted_text_has_an_english_translation() -> None:
    missing = untranslated(set(EXTRACTED), CATALOG)
    assert not missing, f"untranslated or fuzzy in {PO.relative_to(ROOT)} (run `make i18n`, then translate):\n" + "\n".join(missing)


def test_the_catalog_holds_only_texts_still_in_use() -> None:
    stale = sorted(str(m.id) for m in ENTRIES if m.id not in EXTRACTED)
    assert not stale, "no longer in templates or code (run `make i18n`):\n" + "\n".join(stale)


@pytest.fixture
def copy_of_the_sources(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "chalicelib", tmp_path / "chalicelib", ignore=shutil.ignore_patterns("__pycache__", "locale"))
    shutil.copytree(TEMPLATES, tmp_path / "templates", ignore=shutil.ignore_patterns("static"))
    return tmp_path


def _newly_untranslated(root: Path) -> list[str]:
    return sorted(set(untranslated(set(extracted(root)), CATALOG)) - set(untranslated(set(EXTRACTED), CATALOG)))


def test_a_new_text_in_a_template_is_reported_untranslated(copy_of_the_sources: Path) -> None:
    page = copy_of_the_sources / "templates" / "contractor" / "confirmation.html"
    page.write_text(page.read_text() + '{{ _("Merci pour votre réponse, {name} !", name=ticket.contractor_name) }}\n')
    assert _newly_untranslated(copy_of_the_sources) == ["Merci pour votre réponse, {name} !"]


def test_a_new_text_in_code_is_reported_untranslated(copy_of_the_sources: Path) -> None:
    module = copy_of_the_sources / "chalicelib" / "domain" / "forms.py"
    module.write_text(module.read_text() + '\nLATE = N_("Ce créneau est déjà pris.")\n')
    assert _newly_untranslated(copy_of_the_sources) == ["Ce créneau est déjà pris."]


def test_a_fuzzy_translation_counts_as_missing() -> None:
    """`make i18n` marks a changed text fuzzy with its old translation, which is not compiled."""
    catalog = read_catalog()
    catalog["Accepter"].flags.add("fuzzy")
    assert untranslated({"Accepter", "Refuser"}, catalog) == ["Accepter"]


def test_every_label_and_headline_is_a_translated_text() -> None:
    """Tables the templates look up by code: a text added there without N_() would stay French."""
    tables = [*formatting.LABELS.values(), {k: v for k, pair in formatting.STEP_HEADLINES.items() for k, v in enumerate(pair)},
              formatting.ALERT_HEADLINES]
    texts = {text for table in tables for text in table.values()}
    assert untranslated(texts, CATALOG) == []


def _fields(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


@pytest.mark.parametrize("msgid", [str(m.id) for m in ENTRIES])
def test_translations_keep_the_placeholders(msgid: str) -> None:
    entry = CATALOG[msgid]
    assert str(entry.string).strip(), "empty translation"
    assert not entry.fuzzy, "fuzzy translation"
    assert _fields(str(entry.string)) == _fields(msgid)


def test_the_compiled_catalog_is_the_po() -> None:
    """The committed .mo is what gettext reads: it must say what the .po says (`make i18n` compiles it)."""
    with i18n.catalog_path("en").open("rb") as file:
        compiled = dict(gettext.GNUTranslations(file)._catalog)  # type: ignore[attr-defined]
    compiled.pop("", None)  # the header
    assert compiled == {str(m.id): str(m.string) for m in ENTRIES if m.string and not m.fuzzy}


# -- reading the catalog ----------------------------------------------------------------------------

def test_translation_examples() -> None:
    assert i18n.translate("en", "Accepter") == "Accept"
    assert i18n.translate("en", "Refuser") == "Decline"
    assert i18n.translate("en", "Valider") == "Submit"
    assert i18n.translate("en", "Bonjour {name},", name="Karim") == "Hello Karim,"
    assert i18n.translate("fr", "Bonjour {name},", name="Karim") == "Bonjour Karim,"
    assert i18n.translate("en", "Indiquez la date d'intervention.") == "Please enter the date of the job."
    assert i18n.translate("en", "") == ""  # not gettext's header


def test_a_text_with_values_reads_in_french_and_translates_with_them() -> None:
    error = forms.validate_reason({"reason": "x" * (forms.REASON_MAX + 1)}, "refusal").errors["reason"]
    assert error == f"Le motif dépasse {forms.REASON_MAX} caractères."  # logs, French pages, tests
    assert i18n.translate("fr", error) == error
    assert i18n.translate("en", error) == f"The reason is longer than {forms.REASON_MAX} characters."
    assert i18n.translate("en", copy.deepcopy(error)) == i18n.translate("en", error)  # a copied form keeps its msgid


@pytest.fixture
def no_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    i18n.catalog.cache_clear()
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    yield
    i18n.catalog.cache_clear()


@pytest.mark.usefixtures("no_catalog")
def test_a_missing_catalog_fails_loudly_instead_of_serving_french() -> None:
    assert rendering.render("contractor/link_error.html", "fr", status_code=404)  # French needs no catalog
    with pytest.raises(FileNotFoundError, match=r"relais\.mo"):
        rendering.render("contractor/link_error.html", "en", status_code=404)


CATALOG_READS = """
import json, sys
import app
from chalicelib import i18n
from chalicelib.i18n import rendering

def state():
    return {"catalogs": i18n.catalog.cache_info().currsize, "reads": i18n.catalog.cache_info().misses,
            "gettext": "gettext" in sys.modules}

rendering.render("contractor/link_error.html", "fr", status_code=404)
after_french = state()
rendering.render("contractor/link_error.html", "en", status_code=404)
i18n.translate("en", "Accepter")
print(json.dumps([after_french, state()]))
"""


def test_a_process_reads_the_catalog_once_on_its_first_english_text() -> None:
    run = subprocess.run([sys.executable, "-c", CATALOG_READS], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    after_french, after_english = json.loads(run.stdout.strip().splitlines()[-1])
    assert after_french == {"catalogs": 0, "reads": 0, "gettext": False}  # a French reader's cold start never opens it
    assert after_english == {"catalogs": 1, "reads": 1, "gettext": True}


# -- rendering in English leaves no French ----------------------------------------------------------

def _changed_msgids() -> list[str]:
    return [str(m.id) for m in ENTRIES if m.string != m.id]


def _french_fragments() -> list[str]:
    """French pieces to look for: whole msgids, or the literal parts of those with placeholders."""
    fragments: set[str] = set()
    for msgid in _changed_msgids():
        parts = [literal.strip(" ,.:()") for literal, *_ in string.Formatter().parse(msgid)]
        if _fields(msgid):
            fragments |= {p for p in parts if len(p) >= 5}
        else:
            fragments.add(msgid)
    return sorted(fragments)


def _leftover_french(output: str) -> list[str]:
    text = html.unescape(output)
    return [f for f in _french_fragments() if re.search(rf"(?<!\w){re.escape(f)}(?!\w)", text)]


TICKET = SimpleNamespace(
    ticket_id="01JDQX3Y7Z8A9B0C1D2E3F4G5H", reference="R-2026-0042", title="Leaking pipe", description="Water on floor 3",
    state="scheduled", urgency="urgent", site_address="12 Lilac Street, Lyon", access_notes="Code 4521B",
    manager_name="Claire Martin", contractor_name="Karim Benali", contractor_company="Benali Plumbing",
    planned_date="2026-12-01", planned_time="09:30", contractor_language="en",
)
EVENTS = [
    SimpleNamespace(event_type=t, actor=a, actor_name="Karim Benali", at="2026-11-27T08:15:00.000Z",
                    data={"planned_date": "2026-12-01", "planned_time": "09:30", "comment": "OK", "reason": "Busy"})
    for t, a in [("created", "manager"), ("accept", "contractor"), ("refuse", "contractor"), ("cancel", "manager"),
                 ("notification_failed", "system")]
]
NOTIFICATIONS = [
    SimpleNamespace(status=s, channel=c, audience=a, template="intervention_request", created_at="2026-11-27T08:15:00.000Z",
                    attempts=1, last_error="timeout")
    for s, c, a in [("sent", "sms", "contractor"), ("failed", "email", "manager"), ("pending", "email", "contractor")]
]
SESSION = SimpleNamespace(manager=SimpleNamespace(name="Claire Martin", language="en"))
CONTRACTORS = [SimpleNamespace(contractor_id="C1", name="Karim Benali", company="Benali Plumbing", trade="plumber")]
THREAD = EVENTS[:-1]

def TOKEN() -> str:
    return "t" * 32


PAGES: list[tuple[str, dict[str, Any]]] = [
    ("admin/login.html", {"session": None, "errors": {}, "email": ""}),
    ("admin/login_confirm.html", {"session": None, "secret": "s" * 32}),
    ("admin/login_invalid.html", {"session": None}),
    ("admin/login_sent.html", {"session": None}),
    ("admin/error.html", {"session": SESSION, "message": "Ticket introuvable."}),
    *[("admin/tickets.html", {"session": SESSION, "tickets": tickets, "filters": SimpleNamespace(
        state="", contractor_id="", owner_id="", updated_from="", updated_to="", reference="", sort="urgency"), "owner": "all",
        "states": ["sent"], "contractors": CONTRACTORS, "managers": [], "next_url": "/n", "previous_url": "/p",
        "total": "10,000+", "sort_urls": {"activity": "/a", "planned": "/p", "urgency": "/u"}, **search})
      for tickets in ([TICKET], []) for search in ({"search_text": "", "search_error": ""}, {"search_text": "lilas"},
                                                  {"search_text": "!", "search_error": parse_query("!").error})],
    ("admin/attention.html", {"session": SESSION, "total": 1, "age": lambda since: N_("{count} j", count=3),
                              "groups": {reason: [SimpleNamespace(
        ticket_id="T", reference="2026-00001", title="Fuite", contractor_name="Karim", since="2026-11-27T08:00:00.000Z",
        urgency="emergency", site_address="14 rue des Lilas", building_name=None)] for reason in (
        "refused", "quote_pending", "unanswered", "presence_missing", "invoice_to_check", "invoice_missing",
        "delivery_failed", "unread_message")}}),
    ("admin/new_ticket.html", {"session": SESSION, "contractors": CONTRACTORS, "values": {}, "errors": {}}),
    ("admin/ticket.html", {"session": SESSION, "ticket": TICKET, "actions": ["cancel", "message"], "errors": {},
                           "view": SimpleNamespace(events=EVENTS, notifications=NOTIFICATIONS, thread=lambda **_: EVENTS),
                           "notice": None, "values": {}, "file_errors": [], "message_form_id": "m" * 32,
                           "new_form_id": TOKEN, "timers": [{"step": "presence_check", "at_iso": "2026-12-01T10:00:00.000Z"}],
                           "timing": {"cadence": DEFAULT_CADENCES["normal"], "quiet_nights": False, "night": (20, 8),
                                      "can_remind": False, "remind_from": ""}}),
    *[("admin/ticket.html", {"session": SESSION, "ticket": TICKET, "actions": ["remind_now", "change_urgency"],
                             "errors": {"remind_now_note": "Une relance vient d'être envoyée : la suivante est possible 15 minutes après.",
                                        "change_urgency_urgency": "C'est déjà l'urgence du ticket."},
                             "view": SimpleNamespace(events=EVENTS, notifications=NOTIFICATIONS, thread=lambda **_: EVENTS),
                             "notice": None, "values": {}, "file_errors": [], "message_form_id": "m" * 32,
                             "new_form_id": TOKEN, "timers": [{"step": "reminder", "at_iso": "2026-12-01T10:00:00.000Z"}],
                             "timing": {"cadence": DEFAULT_CADENCES["urgent"], "quiet_nights": True, "night": (20, 8),
                                        "can_remind": True, "remind_from": remind_from}})
      for remind_from in ("", "2026-12-01T10:15:00.000Z")],
    ("admin/attention.html", {"session": SESSION, "total": 1, "remindable": {"unanswered"}, "new_form_id": TOKEN,
                              "age": lambda since: N_("{count} j", count=3),
                              "groups": {"unanswered": [SimpleNamespace(ticket_id="T", reference="2026-00001", title="Fuite",
                                                                        contractor_name="Karim", since="2026-11-27T08:00:00.000Z",
                                                                        urgency="urgent", site_address="14 rue des Lilas",
                                                                        building_name="Résidence Les Lilas")]}}),
    ("admin/alert_preferences.html", {"session": SESSION, "kinds": alerts.KINDS, "urgent_at_once": True, "version": "1",
                                      "choices": {kind: default for kind, (_label, default) in alerts.KINDS.items()},
                                      "notice": "Préférences enregistrées : les prochaines alertes les suivent."}),
    ("dev/schedules.html", {"schedules": [{"name": "digest-M", "at_iso": "2026-12-01T07:00:00.000Z", "step": "digest",
                                            "ticket_id": "", "manager_id": "M", "recurring": True}], "csrf": "c",
                            "fired": ""}),
    ("contractor/form.html", {"token": TOKEN, "ticket": TICKET, "step": "answer_request", "thread": THREAD, "errors": {}, "values": {},
                              "contacts": {"agency_name": "Gestion Démo", "agency_phone": "+33478000000",
                                           "call_uri": "tel:+33478000000", "manager_name": "Claire Martin"}}),
    *[("contractor/form.html", {"token": TOKEN, "ticket": TICKET, "step": step, "thread": THREAD, "errors": {}, "values": {}})
      for step in ("submit_quote", "await_quote_decision", "confirm_presence", "confirm_completion", "send_invoice")],
    ("dev/schedules.html", {"schedules": [{"name": "x", "at_iso": "2026-12-01T10:00:00.000Z", "step": "presence_check",
                                            "ticket_id": "T"}], "csrf": "c", "fired": ""}),
    ("contractor/form.html", {"token": TOKEN, "ticket": TICKET, "step": "await_intervention", "thread": THREAD, "errors": {}, "values": {}}),
    ("contractor/form.html", {"token": TOKEN, "ticket": SimpleNamespace(**{**vars(TICKET), "state": "cancelled"}), "step": "nothing",
                              "thread": THREAD, "errors": {}, "values": {}}),
    ("contractor/form.html", {"token": TOKEN, "ticket": SimpleNamespace(**{**vars(TICKET), "state": "refused"}), "step": "nothing",
                              "thread": THREAD, "errors": {}, "values": {}}),
    ("contractor/confirmation.html", {"ticket": TICKET, "answer": EVENTS[1]}),
    ("contractor/confirmation.html", {"ticket": TICKET, "answer": EVENTS[2]}),
    ("contractor/link_error.html", {"status_code": 404}),
    ("contractor/link_error.html", {"status_code": 410}),
    ("contractor/link_error.html", {"status_code": 429}),
    ("dev/outbox.html", {"messages": []}),
]


@pytest.mark.parametrize(("template", "context"), PAGES, ids=[f"{t}-{i}" for i, (t, _) in enumerate(PAGES)])
def test_an_english_page_shows_no_french(template: str, context: dict[str, Any]) -> None:
    output = rendering.render(template, "en", **context)
    assert _leftover_french(output) == []
    assert '<html lang="en">' in output


def test_a_french_page_stays_french() -> None:
    output = html.unescape(rendering.render("contractor/form.html", "fr", token=TOKEN, ticket=TICKET, step="answer_request",
                                            thread=THREAD, errors={}, values={}))
    assert "Accepter" in output and "Valider" in output and "mardi 1 décembre 2026" in output


def test_english_admin_errors_from_code_are_translated() -> None:
    form = {"contractor_id": "C1", "urgency": "?", "title": "x" * (forms.TITLE_MAX + 1)}  # a contractor: the channel too
    checked = forms.validate_new_request(form, [])
    output = rendering.render("admin/new_ticket.html", "en", session=SESSION, contractors=CONTRACTORS, values={},
                              errors=checked.errors)
    assert len(checked.errors) >= 5
    assert _leftover_french(output) == []
    assert f"This field is longer than {forms.TITLE_MAX} characters." in html.unescape(output)
    for french in checked.errors.values():
        assert i18n.translate("en", french) != french
        assert i18n.translate("en", french) in html.unescape(output)


MESSAGE_PARAMS = {
    "contractor_name": "Karim Benali", "manager_name": "Claire Martin", "reference": "R-2026-0042", "title": "Leaking pipe",
    "description": "Water on floor 3", "site_address": "12 Lilac Street, Lyon", "access_notes": "Code 4521B",
    "urgency": "emergency", "planned_date": "2026-12-01", "planned_time": "09:30", "comment": "Bring a ladder",
    "reason": "Busy", "agency_name": "Gestion Demo", "agency_phone": "+33478000000", "sender": "c***@example.com",
    "held_reason": "unknown_sender", "note": "Before noon please", "day": "2026-12-01", "count": 2, "more": True,
    "tickets": [{"ticket_id": "T", "reference": "R-2026-0042", "title": "Leaking pipe", "url": "http://x/admin/tickets/T",
                 "items": [{"at": "2026-11-30T15:00:00.000Z", "template": t, "alert": a, "contractor_name": "Karim Benali",
                            "author": "Karim Benali", "detail": "Bring a ladder", "planned_date": "2026-12-01",
                            "planned_time": "09:30"}
                           for t, a in (("manager_accepted", None), ("manager_refused", None), ("manager_message", None),
                                        ("manager_alert", "delivery_failed"))]}],
}
# Template names as the outbox uses them: shared files (contractor_step, manager_alert) by each of their uses.
_SHARED_FILES = {"contractor_step": sorted(formatting.STEP_HEADLINES)}
MESSAGE_TEMPLATES = sorted(
    name
    for file in {p.name.split(".")[0] for p in (TEMPLATES / "messages").glob("*.subject.txt")} - {"manager_alert"}
    for name in _SHARED_FILES.get(file, [file])
)
SMS_TEMPLATES = sorted(
    name
    for file in {p.name.split(".")[0] for p in (TEMPLATES / "messages").glob("*.sms.txt")}
    for name in _SHARED_FILES.get(file, [file])
)


ALERT_AMOUNTS = {"quote": {"amount_excl": "1500.00", "amount_incl": "1800.00", "valid_until": "2026-12-31"},
                 "invoice": {"number": "F-2026-118", "amount": "480.00"}, "details": ["Bring a ladder"]}


@pytest.mark.parametrize(("language", "quote", "invoice"), [
    ("fr", "Devis : 1\u202f500,00 € HT, 1\u202f800,00 € TTC, valable jusqu'au jeudi 31 décembre 2026",
     "Facture n°F-2026-118 : 480,00 €"),
    ("en", "Quote: €1,500.00 excl. VAT, €1,800.00 incl. VAT, valid until Thursday 31 December 2026",
     "Invoice no. F-2026-118: €480.00"),
])
def test_a_manager_alert_writes_amounts_and_dates_in_the_managers_language(language: str, quote: str, invoice: str) -> None:
    rendered = notification_text.render_email("manager_alert", language, {**MESSAGE_PARAMS, **ALERT_AMOUNTS, "alert": "submit_quote"},
                                     "https://relais.example/a")
    for part in (rendered.text, html.unescape(rendered.html)):
        assert quote in part and invoice in part and "Bring a ladder" in part


@pytest.mark.parametrize("alert", sorted(formatting.ALERT_HEADLINES))
def test_an_english_manager_alert_shows_no_french(alert: str) -> None:
    rendered = notification_text.render_email("manager_alert", "en", {**MESSAGE_PARAMS, **ALERT_AMOUNTS, "alert": alert},
                                     "https://relais.example/a")
    for part in (rendered.subject, rendered.text, rendered.html):
        assert _leftover_french(part) == []


@pytest.mark.parametrize("name", MESSAGE_TEMPLATES)
def test_an_english_email_shows_no_french(name: str) -> None:
    rendered = notification_text.render_email(name, "en", MESSAGE_PARAMS, "https://relais.example/t/X/s")
    for part in (rendered.subject, rendered.text, rendered.html):
        assert _leftover_french(part) == []


@pytest.mark.parametrize("name", SMS_TEMPLATES)
def test_an_english_sms_shows_no_french(name: str) -> None:
    sms = notification_text.render_sms(name, "en", MESSAGE_PARAMS, "https://relais.example/t/X/s")
    assert _leftover_french(sms) == []
    assert sms.endswith("https://relais.example/t/X/s")


def test_an_english_intervention_email_reads_in_english() -> None:
    rendered = notification_text.render_email("intervention_request", "en", MESSAGE_PARAMS, "https://relais.example/t/X/s")
    assert rendered.subject == "Work request no. R-2026-0042: Leaking pipe"
    assert "Hello Karim Benali," in rendered.text
    assert "View the job details" in rendered.html


# -- the contractor form shows errors and notices in the contractor's language -------------------


@pytest.mark.parametrize(("errors", "notice"), [
    ({"planned_date": "Indiquez la date d'intervention.", "planned_time": "Indiquez l'heure d'intervention."}, None),
    ({"comment": i18n.N_("Le commentaire dépasse {limit} caractères.", limit=forms.COMMENT_MAX)}, None),
    ({"reason": "Indiquez le motif du refus."}, None),
    ({"decision": "Choisissez : accepter ou refuser la demande."}, None),
    ({"form": "Le formulaire a expiré. Vérifiez vos réponses et validez à nouveau."}, None),
    ({}, "La demande a changé entre-temps et votre réponse n'a pas été enregistrée. Voici son état actuel."),
], ids=["date-time", "comment", "reason", "decision", "expired-form", "conflict-notice"])
def test_english_contractor_sees_form_errors_in_english(errors: dict[str, str], notice: str | None) -> None:
    ticket = SimpleNamespace(**{**vars(TICKET), "state": "sent"})
    output = rendering.render("contractor/form.html", "en", token=TOKEN, ticket=ticket, step="answer_request", thread=[],
                              errors=errors, values={}, notice=notice)
    for french in [*errors.values(), *([notice] if notice else [])]:
        assert i18n.translate("en", french) != french
        assert i18n.translate("en", french) in html.unescape(output)
    assert _leftover_french(output) == []
