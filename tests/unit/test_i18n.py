"""Every French text a user can meet has an English translation, and English pages show no French.

Templates write French inside `_()`. Error messages and notices are produced in Python and
translated in templates through `_(errors.x)` / `_(message)` / `_(notice)`, and labels (states,
urgencies, events) through the `label` filter: all of them are msgids of the English catalog.
"""

from __future__ import annotations

import ast
import html
import re
import string
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib import i18n
from chalicelib.domain import contacts, forms
from chalicelib.i18n import formatting, rendering
from chalicelib.i18n_en import CATALOG
from chalicelib.outbox import notification_text

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
CHALICELIB = ROOT / "chalicelib"

TEMPLATE_MSGID = re.compile(r"""\b_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
PY_MSGID = re.compile(r"""\b_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
TEXT_KEYWORDS = {"message", "notice", "missing"}  # a text, translated by `_(message)` / `_(notice)`; a field's
# `missing=` message in chalicelib/domain/forms.py
DICT_KEYWORDS = {"errors"}  # a dict of field → text, translated by `_(errors.x)`


# -- collecting msgids ---------------------------------------------------------------------------

def template_files() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.is_file() and p.suffix in (".html", ".txt"))


def template_msgids() -> set[str]:
    found: set[str] = set()
    for path in template_files():
        for double, single in TEMPLATE_MSGID.findall(path.read_text(encoding="utf-8")):
            found.add(double or single)
    return found


def python_call_msgids() -> set[str]:
    """`_("…")` literals in Python code, should any module translate directly."""
    found: set[str] = set()
    for path in sorted(CHALICELIB.rglob("*.py")):
        if path.name == "i18n_en.py":
            continue
        for double, single in PY_MSGID.findall(path.read_text(encoding="utf-8")):
            found.add(double or single)
    return found


class _Messages(ast.NodeVisitor):
    """Error messages in a module: values of `errors[...] = …`, of dicts passed as `errors=`,
    `message=`/`notice=` keywords, dicts passed to a `…_page(…)` call, `_required(…, "msg", …)`
    and `InvalidContact("msg")`. f-strings are resolved against the module's constants; those
    that depend on a local (a parameter) become patterns."""

    def __init__(self, namespace: dict[str, Any]) -> None:
        self.namespace = namespace
        self.texts: set[str] = set()
        self.patterns: set[str] = set()

    def _take(self, node: ast.AST | None) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            self.texts.add(node.value)
        elif isinstance(node, ast.JoinedStr):
            self._take_fstring(node)
        elif isinstance(node, ast.Dict):
            for value in node.values:
                self._take(value)
        elif isinstance(node, ast.IfExp):
            self._take(node.body)
            self._take(node.orelse)

    def _take_fstring(self, node: ast.JoinedStr) -> None:
        text, pattern, resolved = "", "", True
        for part in node.values:
            if isinstance(part, ast.Constant):
                text += str(part.value)
                pattern += re.escape(str(part.value))
            elif isinstance(part, ast.FormattedValue) and isinstance(part.value, ast.Name) and part.value.id in self.namespace:
                value = str(self.namespace[part.value.id])
                text += value
                pattern += re.escape(value)
            else:
                resolved = False
                pattern += "(.+?)"
        if resolved:
            self.texts.add(text)
        else:
            self.patterns.add(f"^{pattern}$")

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and target.value.id == "errors":
                self._take(node.value)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        for keyword in node.keywords:
            if keyword.arg in TEXT_KEYWORDS or (keyword.arg in DICT_KEYWORDS and isinstance(keyword.value, ast.Dict)):
                self._take(keyword.value)
        if name.endswith("_page"):
            for arg in node.args:
                if isinstance(arg, ast.Dict):
                    self._take(arg)
        if name == "_required" and len(node.args) >= 4:
            self._take(node.args[3])
        if name == "InvalidContact":
            for arg in node.args:
                self._take(arg)
        self.generic_visit(node)


def _module_messages(path: Path, namespace: dict[str, Any]) -> _Messages:
    collector = _Messages(namespace)
    collector.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return collector


def python_message_sources() -> list[tuple[Path, dict[str, Any]]]:
    sources = [(CHALICELIB / "domain/forms.py", vars(forms)), (CHALICELIB / "domain/contacts.py", vars(contacts))]
    sources += [(path, {}) for path in sorted((CHALICELIB / "web").rglob("*.py"))]
    return sources


def python_messages() -> tuple[set[str], set[str]]:
    texts: set[str] = set()
    patterns: set[str] = set()
    for path, namespace in python_message_sources():
        found = _module_messages(path, namespace)
        texts |= found.texts
        patterns |= found.patterns
    return texts, patterns


def exercised_validation_messages() -> set[str]:
    """Messages whose text depends on a parameter, produced by actually failing each limit."""
    form = {"contractor_id": "C1", "title": "t", "description": "d", "site_address": "a"}
    produced: set[str] = set()
    for field, limit in [("title", forms.TITLE_MAX), ("description", forms.DESCRIPTION_MAX),
                         ("site_address", forms.ADDRESS_MAX), ("access_notes", forms.ACCESS_NOTES_MAX)]:
        produced |= set(forms.validate_new_request({**form, field: "x" * (limit + 1)}, ["sms"]).errors.values())
    return produced


def label_msgids() -> set[str]:
    return {*formatting.STATE_LABELS.values(), *formatting.URGENCY_LABELS.values(), *formatting.EVENT_LABELS.values(),
            *formatting.NOTIFICATION_LABELS.values()}


def all_msgids() -> set[str]:
    texts, _patterns = python_messages()
    return template_msgids() | python_call_msgids() | texts | exercised_validation_messages() | label_msgids()


# -- the collector itself finds what it should -----------------------------------------------------

def test_the_collector_sees_templates_code_and_labels() -> None:
    msgids = all_msgids()
    for expected in ["Accepter", "Voir les détails de l'intervention", "Bonjour {name},",  # templates
                     "Indiquez la date d'intervention.", "Le commentaire dépasse 2000 caractères.",  # validation
                     "Numéro de téléphone invalide.", "Ticket introuvable.",  # contacts, web
                     "Le ticket a changé entre-temps : votre action n'a pas été enregistrée. Voici son état actuel.",
                     "Ce champ dépasse 200 caractères.", "Planifiée"]:
        assert expected in msgids
    assert "authentication required" not in msgids  # JSON bodies are not user-facing text
    assert len(template_files()) > 20


def test_parameterised_messages_are_all_exercised() -> None:
    _texts, patterns = python_messages()
    produced = exercised_validation_messages()
    for pattern in patterns:
        assert any(re.match(pattern, text) for text in produced), f"no exercised message for {pattern!r}"


# -- completeness ----------------------------------------------------------------------------------

def test_every_french_text_has_an_english_translation() -> None:
    missing = sorted(all_msgids() - set(CATALOG))
    assert not missing, "missing from chalicelib/i18n_en.CATALOG:\n" + "\n".join(missing)


def _fields(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


@pytest.mark.parametrize("msgid", sorted(CATALOG))
def test_translations_keep_the_placeholders(msgid: str) -> None:
    english = CATALOG[msgid]
    assert english.strip(), "empty translation"
    assert _fields(english) == _fields(msgid)


def test_translation_examples() -> None:
    assert i18n.translate("en", "Accepter") == "Accept"
    assert i18n.translate("en", "Refuser") == "Decline"
    assert i18n.translate("en", "Valider") == "Submit"
    assert i18n.translate("en", "Bonjour {name},", name="Karim") == "Hello Karim,"
    assert i18n.translate("fr", "Bonjour {name},", name="Karim") == "Bonjour Karim,"
    assert i18n.translate("en", "Indiquez la date d'intervention.") == "Please enter the date of the job."


# -- rendering in English leaves no French ----------------------------------------------------------

def _changed_msgids() -> list[str]:
    return [m for m in all_msgids() if m in CATALOG and CATALOG[m] != m]


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
        state="", contractor_id="", owner_id="", updated_from="", updated_to="", reference=""), "owner": "all",
        "states": ["sent"], "contractors": CONTRACTORS, "managers": [], "next_url": "/n", "previous_url": "/p"})
      for tickets in ([TICKET], [])],
    ("admin/attention.html", {"session": SESSION, "total": 1, "groups": {"unread_message": [SimpleNamespace(
        ticket_id="T", reference="2026-00001", title="Fuite", contractor_name="Karim", since="2026-11-27T08:00:00.000Z")]}}),
    ("admin/new_ticket.html", {"session": SESSION, "contractors": CONTRACTORS, "values": {}, "errors": {}}),
    ("admin/ticket.html", {"session": SESSION, "ticket": TICKET, "actions": ["cancel", "message"], "errors": {},
                           "view": SimpleNamespace(events=EVENTS, notifications=NOTIFICATIONS, thread=lambda **_: EVENTS),
                           "notice": None, "values": {}, "file_errors": [], "message_form_id": "m" * 32,
                           "new_form_id": TOKEN, "timers": [{"step": "presence_check", "at_iso": "2026-12-01T10:00:00.000Z"}]}),
    ("contractor/form.html", {"token": TOKEN, "ticket": TICKET, "step": "answer_request", "thread": THREAD, "errors": {}, "values": {}}),
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
    checked = forms.validate_new_request({"contractor_id": "C1", "urgency": "?"}, [])  # a contractor: the channel too
    output = rendering.render("admin/new_ticket.html", "en", session=SESSION, contractors=CONTRACTORS, values={},
                              errors=checked.errors)
    assert len(checked.errors) >= 5
    assert _leftover_french(output) == []
    for french in checked.errors.values():
        assert CATALOG[french] in html.unescape(output)


MESSAGE_PARAMS = {
    "contractor_name": "Karim Benali", "manager_name": "Claire Martin", "reference": "R-2026-0042", "title": "Leaking pipe",
    "description": "Water on floor 3", "site_address": "12 Lilac Street, Lyon", "access_notes": "Code 4521B",
    "urgency": "emergency", "planned_date": "2026-12-01", "planned_time": "09:30", "comment": "Bring a ladder",
    "reason": "Busy",
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
    ({"comment": "Le commentaire dépasse 2000 caractères."}, None),
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
        assert french in CATALOG
        assert CATALOG[french] in html.unescape(output)
    assert _leftover_french(output) == []
