"""Form validation, pure: each function returns clean values or field errors (French msgids).

Errors are keyed by field name so the page shows each one next to its field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Generic, Literal, TypeVar

from chalicelib.domain import agency, contacts
from chalicelib.domain.clock import PARIS
from chalicelib.domain.occupants import Occupant, validate_occupant
from chalicelib.domain.text import N_

COMMENT_MAX = 2000
REASON_MAX = 2000
TITLE_MAX = 200
DESCRIPTION_MAX = 5000
ADDRESS_MAX = 500
ACCESS_NOTES_MAX = 2000
MAX_PLANNING_DAYS = 366
MESSAGE_MAX = 5000
MESSAGE_MAX_FILES = 10  # with a message, a new request, an end of work
TOO_MANY_FILES = N_("Pas plus de {count} fichiers par message.", count=MESSAGE_MAX_FILES)

URGENCIES = ("normal", "urgent", "emergency")
CHANNELS = ("sms", "email")

T = TypeVar("T")


@dataclass
class Result(Generic[T]):
    value: T | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Acceptance:
    planned_date: str  # YYYY-MM-DD
    planned_time: str  # HH:MM: the time, or the start of the window (when the presence check is sent)
    comment: str
    planned_until: str = ""  # HH:MM: the end of a window ("entre 8 h et 10 h"), "" for a time


@dataclass(frozen=True)
class NewRequest:
    contractor_id: str
    request_kind: str
    title: str
    description: str
    site_address: str
    access_notes: str
    urgency: str
    channels: tuple[str, ...]
    occupant: Occupant | None = None


def _text(form: dict[str, str], name: str) -> str:
    return (form.get(name) or "").strip()


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def _parse_time(value: str) -> time | None:
    try:
        return time.fromisoformat(value) if len(value) in (5, 8) else None
    except ValueError:
        return None


def _exists_in_paris(day: date, hour: time) -> bool:
    """False for wall-clock times skipped by the spring DST change (e.g. 02:30 in March)."""
    local = datetime.combine(day, hour, tzinfo=PARIS)
    back = local.astimezone(UTC).astimezone(PARIS)
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


def validate_acceptance(form: dict[str, str], now: datetime) -> Result[Acceptance]:
    """A date and either a time, or a window: its start (`planned_time`) and its end (`planned_until`),
    the same day."""
    errors: dict[str, str] = {}
    raw_date, raw_time, comment = _text(form, "planned_date"), _text(form, "planned_time"), _text(form, "comment")
    raw_until = _text(form, "planned_until")
    day = _parse_date(raw_date)
    hour = _parse_time(raw_time)
    until = _parse_time(raw_until)
    if not raw_date:
        errors["planned_date"] = N_("Indiquez la date d'intervention.")
    elif day is None:
        errors["planned_date"] = N_("Date invalide (format attendu : JJ/MM/AAAA).")
    if not raw_time:
        errors["planned_time"] = N_("Indiquez l'heure d'intervention.")
    elif hour is None:
        errors["planned_time"] = N_("Heure invalide (format attendu : HH:MM).")
    if raw_until and until is None:
        errors["planned_until"] = N_("Heure invalide (format attendu : HH:MM).")
    elif until is not None and hour is not None and until <= hour:
        errors["planned_until"] = N_("La fin du créneau doit être après son début.")
    if day is not None and hour is not None:
        moment = datetime.combine(day, hour, tzinfo=PARIS)
        if not _exists_in_paris(day, hour):
            errors["planned_time"] = N_("Cette heure n'existe pas ce jour-là (changement d'heure).")
        elif moment <= now:
            errors["planned_date"] = N_("La date et l'heure d'intervention sont déjà passées.")
        elif moment > now + timedelta(days=MAX_PLANNING_DAYS):
            errors["planned_date"] = N_("La date d'intervention doit être dans les douze prochains mois.")
        if until is not None and "planned_until" not in errors and not _exists_in_paris(day, until):
            errors["planned_until"] = N_("Cette heure n'existe pas ce jour-là (changement d'heure).")
    if len(comment) > COMMENT_MAX:
        errors["comment"] = N_("Le commentaire dépasse {limit} caractères.", limit=COMMENT_MAX)
    if errors:
        return Result(errors=errors)
    assert day is not None and hour is not None
    return Result(Acceptance(day.isoformat(), hour.strftime("%H:%M"), comment, until.strftime("%H:%M") if until else ""))


def validate_reason(form: dict[str, str], required_for: Literal["refusal", "rejection"] | None = None) -> Result[str]:
    """The `reason` field, at most REASON_MAX characters: required to refuse a request or reject a
    quote (the message says which), optional with a cancellation or a quote request."""
    reason = _text(form, "reason")
    if not reason and required_for is not None:
        missing = N_("Indiquez le motif du refus.") if required_for == "refusal" else N_("Indiquez le motif.")
        return Result(errors={"reason": missing})
    if len(reason) > REASON_MAX:
        return Result(errors={"reason": N_("Le motif dépasse {limit} caractères.", limit=REASON_MAX)})
    return Result(reason)


def _required(form: dict[str, str], name: str, limit: int, missing: str, errors: dict[str, str]) -> str:
    value = _text(form, name)
    if not value:
        errors[name] = missing
    elif len(value) > limit:
        errors[name] = N_("Ce champ dépasse {limit} caractères.", limit=limit)
    return value


required_text = _required  # the edit form's fields follow the new request's rules (chalicelib/domain/edits.py)


def validate_new_request(form: dict[str, str], channels: list[str], file_count: int = 0) -> Result[NewRequest]:
    errors: dict[str, str] = {}
    contractor_id = _text(form, "contractor_id")
    if not contractor_id:
        errors["contractor_id"] = N_("Choisissez un intervenant.")
    title = _required(form, "title", TITLE_MAX, N_("Indiquez un titre."), errors)
    description = _required(form, "description", DESCRIPTION_MAX, N_("Décrivez l'intervention."), errors)
    site_address = _required(form, "site_address", ADDRESS_MAX, N_("Indiquez l'adresse du site."), errors)
    access_notes = _text(form, "access_notes")
    if len(access_notes) > ACCESS_NOTES_MAX:
        errors["access_notes"] = N_("Ce champ dépasse {limit} caractères.", limit=ACCESS_NOTES_MAX)
    urgency = _text(form, "urgency") or "normal"
    if urgency not in URGENCIES:
        errors["urgency"] = N_("Urgence inconnue.")
    kind = _text(form, "request_kind") or "intervention"
    if kind not in ("intervention", "quote"):
        errors["request_kind"] = N_("Type de demande inconnu.")
    chosen = tuple(c for c in CHANNELS if c in channels)
    # Without a contractor there is no preference to fall back on: "choose a contractor" says it all.
    if len(chosen) != len(set(channels)) or (not chosen and contractor_id):
        errors["channels"] = N_("Choisissez au moins un canal : SMS ou e-mail.")
    if file_count > MESSAGE_MAX_FILES:
        errors["files"] = TOO_MANY_FILES
    occupant = validate_occupant(form, errors)
    if errors:
        return Result(errors=errors)
    return Result(NewRequest(contractor_id, kind, title, description, site_address, access_notes, urgency, chosen,
                             occupant))


@dataclass(frozen=True)
class NewMessage:
    body: str
    files: tuple[tuple[str, str], ...]  # (S3 key, display name), checked against S3 before recording


def validate_message(body: str, keys: list[str], names: list[str]) -> Result[NewMessage]:
    text = body.strip()
    if len(text) > MESSAGE_MAX:
        return Result(errors={"body": N_("Le message dépasse {limit} caractères.", limit=MESSAGE_MAX)})
    if len(keys) > MESSAGE_MAX_FILES:
        return Result(errors={"files": TOO_MANY_FILES})
    if not text and not keys:
        return Result(errors={"body": N_("Écrivez un message ou joignez un fichier.")})
    padded = names + [""] * (len(keys) - len(names))
    return Result(NewMessage(text, tuple(zip(keys, padded[: len(keys)], strict=True))))


# -- quotes, end of work, invoices -------------------------------------------------------------

AMOUNT_MAX = Decimal("10000000")
INVOICE_NUMBER_MAX = 50
COMPLETION_PAST_DAYS = 60
FilePair = tuple[str, str]  # (S3 key, display name)


# French VAT rates (taux normal, intermédiaire, réduit, particulier, none): a quote or an invoice names one.
VAT_RATES = ("20", "10", "5.5", "2.1", "0")
DEFAULT_VAT_RATE = "20"
# A detailed quote rounds its VAT line by line: the total may differ from HT × rate by a few cents.
VAT_ROUNDING_TOLERANCE = Decimal("0.05")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Amounts:
    """HT, VAT rate, VAT and TTC, as exact decimal strings ("1234.50"), with HT + VAT = TTC to the cent."""

    excl: str
    vat_rate: str  # one of VAT_RATES
    vat: str
    incl: str

    def as_record(self) -> dict[str, str]:
        """As quotes and invoices store them (amount_incl for a quote, amount for an invoice, as before)."""
        return {"amount_excl": self.excl, "vat_rate": self.vat_rate, "vat_amount": self.vat, "amount_incl": self.incl}


@dataclass(frozen=True)
class QuoteForm:
    amounts: Amounts
    valid_until: str  # YYYY-MM-DD
    comment: str
    files: tuple[FilePair, ...]  # paperwork: one PDF, or photos of its pages

    @property
    def amount_excl(self) -> str:
        return self.amounts.excl

    @property
    def amount_incl(self) -> str:
        return self.amounts.incl


@dataclass(frozen=True)
class InvoiceForm:
    amounts: Amounts
    number: str
    files: tuple[FilePair, ...]  # paperwork: one PDF, or photos of its pages

    @property
    def amount(self) -> str:
        """TTC, what an invoice's `amount` has always held."""
        return self.amounts.incl


@dataclass(frozen=True)
class CompletionForm:
    done_on: str  # YYYY-MM-DD
    comment: str
    proofs: tuple[FilePair, ...]
    invoice: InvoiceForm | None


# Thousands grouped by commas or dots, then a decimal part after the other sign: 1,250.00 · 1.250,00.
_GROUPED = re.compile(r"([1-9]\d{0,2}(?:([.,])\d{3})+)(?:([.,])(\d{1,2}))?")


def _ungrouped(text: str) -> str:
    """'1,250.00' or '1.250,00' → '1250.00'. One group and no decimals ('1,250') stays ambiguous:
    it is left for the caller to refuse rather than read as 1.25 or as 1250."""
    match = _GROUPED.fullmatch(text)
    if match is None:
        return text.replace(",", ".")
    digits, thousands, decimal, cents = match.groups()
    if decimal == thousands or (decimal is None and digits.count(thousands) == 1):
        return text.replace(",", ".")
    return digits.replace(thousands, "") + (f".{cents}" if cents else "")


def parse_amount(raw: str) -> Decimal | None:
    """'1 234,50 €', '1,234.50' → Decimal('1234.50'); None unless a plain positive or zero amount in euros."""
    text = _ungrouped(raw.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace("€", ""))
    if not text or text.count(".") > 1 or not text.replace(".", "").isdigit():
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if value.as_tuple().exponent < -2 or value > AMOUNT_MAX:  # type: ignore[operator]
        return None
    return value.quantize(Decimal("0.01"))


def _date(form: dict[str, str], name: str, errors: dict[str, str], missing: str) -> date | None:
    """The date typed in `name`, or a field error: `missing` when left empty, the format when unreadable."""
    raw = _text(form, name)
    day = _parse_date(raw)
    if not raw:
        errors[name] = missing
    elif day is None:
        errors[name] = "Date invalide (format attendu : JJ/MM/AAAA)."
    return day


def _amount(form: dict[str, str], name: str, errors: dict[str, str], missing: str) -> Decimal | None:
    raw = _text(form, name)
    if not raw:
        errors[name] = missing
        return None
    if raw.lstrip().startswith("-"):
        errors[name] = N_("Le montant ne peut pas être négatif.")
        return None
    value = parse_amount(raw)
    if value is None:
        errors[name] = N_("Montant invalide (exemple : 1 250,00).")
    return value


def vat_of(excl: Decimal, rate: str) -> Decimal:
    """The VAT on `excl` at `rate` percent, rounded half up to the cent as invoices round it."""
    return (excl * Decimal(rate) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def _euros(value: Decimal) -> str:
    """1234.5 → '1 234,50 €', for a message that names the amounts (pure: no locale)."""
    return f"{value:,.2f} €".replace(",", "\u202f").replace(".", ",")


def _amounts(form: dict[str, str], errors: dict[str, str], *, excl_field: str, incl_field: str, prefix: str,
             positive: bool) -> Amounts | None:
    """HT, the VAT rate, the VAT (computed from the rate when left empty) and TTC, checked to the cent:
    HT + VAT = TTC, and a VAT typed matches its rate within the rounding of a detailed document."""
    excl = _amount(form, excl_field, errors, missing=N_("Indiquez le montant HT."))
    incl = _amount(form, incl_field, errors, missing=N_("Indiquez le montant TTC."))
    rate_field, vat_field = f"{prefix}vat_rate", f"{prefix}vat_amount"
    rate = _text(form, rate_field).replace(",", ".") or DEFAULT_VAT_RATE
    if rate not in VAT_RATES:
        errors[rate_field] = N_("Taux de TVA inconnu : choisissez-en un dans la liste.")
    typed_vat = _text(form, vat_field)
    vat = _amount(form, vat_field, errors, missing="") if typed_vat else None
    if positive and incl is not None and incl <= 0:
        errors[incl_field] = N_("Le montant TTC doit être supérieur à zéro.")
    if excl is None or incl is None or rate_field in errors or vat_field in errors:
        return None
    expected_vat = vat_of(excl, rate)
    if vat is None:
        vat = expected_vat
    elif abs(vat - expected_vat) > VAT_ROUNDING_TOLERANCE:
        errors[vat_field] = N_("La TVA ({rate} %) sur {excl} HT est de {expected}, pas de {vat}.",
                               rate=rate.replace(".", ","), excl=_euros(excl), expected=_euros(expected_vat),
                               vat=_euros(vat))
        return None
    if excl + vat != incl:
        errors[incl_field] = N_("HT + TVA ne font pas le TTC : {excl} + {vat} = {total}, et non {incl}.",
                                excl=_euros(excl), vat=_euros(vat), total=_euros(excl + vat), incl=_euros(incl))
        return None
    return Amounts(str(excl), rate, str(vat), str(incl))


PAPERWORK_MAX_PAGES = MESSAGE_MAX_FILES  # a quote or an invoice photographed a page at a time


def _paperwork(keys: list[str], names: list[str], errors: dict[str, str], field: str, missing: str
               ) -> tuple[FilePair, ...] | None:
    if not keys:
        errors[field] = missing
        return None
    if len(keys) > PAPERWORK_MAX_PAGES:
        errors[field] = N_("Pas plus de {count} pages en photos.", count=PAPERWORK_MAX_PAGES)
        return None
    padded = names + [""] * (len(keys) - len(names))
    return tuple(zip(keys, padded[: len(keys)], strict=True))


def validate_quote(form: dict[str, str], keys: list[str], names: list[str], today: date) -> Result[QuoteForm]:
    errors: dict[str, str] = {}
    amounts = _amounts(form, errors, excl_field="amount_excl", incl_field="amount_incl", prefix="", positive=False)
    until = _date(form, "valid_until", errors, missing=N_("Indiquez la date de validité du devis."))
    if until is not None and until < today:
        errors["valid_until"] = N_("La date de validité est déjà passée.")
    comment = _text(form, "comment")
    if len(comment) > COMMENT_MAX:
        errors["comment"] = N_("Le commentaire dépasse {limit} caractères.", limit=COMMENT_MAX)
    files = _paperwork(keys, names, errors, "quote_file", missing=N_("Joignez le devis (PDF ou photos)."))
    if errors or amounts is None or until is None or files is None:
        return Result(errors=errors)
    return Result(QuoteForm(amounts, until.isoformat(), comment, files))


def _invoice(form: dict[str, str], keys: list[str], names: list[str], errors: dict[str, str]) -> InvoiceForm | None:
    amounts = _amounts(form, errors, excl_field="invoice_amount_excl", incl_field="invoice_amount", prefix="invoice_",
                       positive=True)
    number = _text(form, "invoice_number")
    if not number:
        errors["invoice_number"] = N_("Indiquez le numéro de facture.")
    elif len(number) > INVOICE_NUMBER_MAX:
        errors["invoice_number"] = N_("Le numéro de facture dépasse {limit} caractères.", limit=INVOICE_NUMBER_MAX)
    files = _paperwork(keys, names, errors, "invoice_file", missing=N_("Joignez la facture (PDF ou photos)."))
    if amounts is None or files is None or "invoice_number" in errors:
        return None
    return InvoiceForm(amounts, number, files)


def validate_invoice(form: dict[str, str], keys: list[str], names: list[str]) -> Result[InvoiceForm]:
    errors: dict[str, str] = {}
    invoice = _invoice(form, keys, names, errors)
    return Result(errors=errors) if errors or invoice is None else Result(invoice)


def validate_completion(form: dict[str, str], proofs: list[FilePair], invoice_keys: list[str], invoice_names: list[str],
                        today: date) -> Result[CompletionForm]:
    errors: dict[str, str] = {}
    done_on = _date(form, "done_on", errors, missing=N_("Indiquez la date de fin d'intervention."))
    if done_on is not None and done_on > today:
        errors["done_on"] = N_("La date de fin ne peut pas être dans le futur.")
    elif done_on is not None and done_on < today - timedelta(days=COMPLETION_PAST_DAYS):
        errors["done_on"] = N_("La date de fin est trop ancienne.")
    if not proofs:
        errors["proof_file"] = N_("Joignez au moins une photo ou un justificatif d'intervention.")
    elif len(proofs) > MESSAGE_MAX_FILES:
        errors["proof_file"] = TOO_MANY_FILES
    comment = _text(form, "comment")
    if len(comment) > COMMENT_MAX:
        errors["comment"] = N_("Le commentaire dépasse {limit} caractères.", limit=COMMENT_MAX)
    wants_invoice = bool(invoice_keys or _text(form, "invoice_amount") or _text(form, "invoice_amount_excl")
                         or _text(form, "invoice_number"))
    invoice = _invoice(form, invoice_keys, invoice_names, errors) if wants_invoice else None
    if errors or done_on is None:
        return Result(errors=errors)
    return Result(CompletionForm(done_on.isoformat(), comment, tuple(proofs), invoice))


def validate_late(form: dict[str, str], planned_time: str | None) -> Result[str]:
    """'Je serai en retard': the new arrival time, later than the planned one, the same day."""
    raw = _text(form, "late_until")
    hour = _parse_time(raw)
    if not raw:
        return Result(errors={"late_until": N_("Indiquez votre nouvelle heure d'arrivée.")})
    if hour is None:
        return Result(errors={"late_until": N_("Heure invalide (format attendu : HH:MM).")})
    if planned_time and hour.strftime("%H:%M") <= planned_time:
        return Result(errors={"late_until": N_("La nouvelle heure doit être après l'heure prévue.")})
    return Result(hour.strftime("%H:%M"))



# -- people: contractors, managers, sign-in ------------------------------------------------------

NAME_MAX = 200  # a name, a company, a trade
CONTACT_INPUT_MAX = 254  # what is read of a typed phone number or email address
LANGUAGES = ("fr", "en")


@dataclass(frozen=True)
class ContractorProfile:
    """What a manager types about a contractor, checked and normalised (what the directory saves)."""

    name: str
    company: str
    trade: str
    phone: str | None  # E.164
    email: str | None
    channels: list[str]
    language: str = "fr"


@dataclass(frozen=True)
class Invitation:
    name: str
    email: str
    language: str
    role: str


def _contact(normalise: Callable[[str], str], raw: str, name: str, errors: dict[str, str],
             optional: bool = True) -> str | None:
    """The contact normalised, None when left empty (if optional), or a field error (the library's message)."""
    try:
        return normalise(raw[:CONTACT_INPUT_MAX]) if raw or not optional else None
    except contacts.InvalidContact as invalid:
        errors[name] = str(invalid)
        return None


def _language(form: dict[str, str], errors: dict[str, str]) -> str:
    language = form.get("language") or ""
    if language not in LANGUAGES:
        errors["language"] = N_("Choisissez la langue : français ou anglais.")
    return language


def validate_contractor(form: dict[str, str], channels: list[str]) -> Result[ContractorProfile]:
    """A contractor's card: a name, at least one channel, and the contact each channel needs (a
    mobile for SMS: a landline gets none)."""
    errors: dict[str, str] = {}
    name, company, trade = _text(form, "name"), _text(form, "company"), _text(form, "trade")
    if not name:
        errors["name"] = N_("Indiquez le nom de l'intervenant.")
    for field_name, value in (("name", name), ("company", company), ("trade", trade)):
        if len(value) > NAME_MAX:
            errors[field_name] = N_("Ce champ dépasse {limit} caractères.", limit=NAME_MAX)
    raw_phone, raw_email = _text(form, "phone"), _text(form, "email")
    phone = _contact(contacts.normalise_phone, raw_phone, "phone", errors)
    email = _contact(contacts.normalise_email, raw_email, "email", errors)
    chosen = tuple(c for c in CHANNELS if c in channels)
    if not chosen:
        errors["channels"] = N_("Choisissez au moins un canal : SMS ou e-mail.")
    if "sms" in chosen and not raw_phone:
        errors["phone"] = N_("Indiquez un numéro de téléphone pour l'envoi par SMS.")
    elif "sms" in chosen and phone and not contacts.receives_sms(phone):
        errors["phone"] = N_("Ce numéro est un fixe : il ne peut pas recevoir de SMS. Indiquez un mobile ou choisissez l'e-mail.")
    if "email" in chosen and not raw_email:
        errors["email"] = N_("Indiquez une adresse e-mail pour l'envoi par e-mail.")
    language = _language(form, errors)
    if errors:
        return Result(errors=errors)
    return Result(ContractorProfile(name, company, trade, phone, email, list(chosen), language))


def validate_role(role: str, roles: tuple[str, ...]) -> Result[str]:
    """One of `roles` (the directory's, so this module stays free of it)."""
    return Result(role) if role in roles else Result(errors={"role": N_("Choisissez le rôle : gestionnaire ou administrateur.")})


def validate_invitation(form: dict[str, str], roles: tuple[str, ...]) -> Result[Invitation]:
    """A new manager: a name, a valid email address, a language and a role."""
    errors: dict[str, str] = {}
    name = _text(form, "name")
    if not name:
        errors["name"] = N_("Indiquez le nom du gestionnaire.")
    elif len(name) > NAME_MAX:
        errors["name"] = N_("Ce champ dépasse {limit} caractères.", limit=NAME_MAX)
    email = _contact(contacts.normalise_email, _text(form, "email"), "email", errors, optional=False)
    language = _language(form, errors)
    role = form.get("role") or ""
    errors.update(validate_role(role, roles).errors)
    if errors or email is None:
        return Result(errors=errors)
    return Result(Invitation(name, email, language, role))


def validate_manager_phone(form: dict[str, str]) -> Result[str | None]:
    """A manager's phone: optional (empty removes it), else a real number, kept in E.164."""
    errors: dict[str, str] = {}
    phone = _contact(contacts.normalise_phone, _text(form, "phone"), "phone", errors)
    return Result(errors=errors) if errors else Result(phone)


# A host name as a mail exchanger takes it: labels of letters, digits and hyphens, a dot between them.
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def validate_agency(form: dict[str, str]) -> Result[agency.Agency]:
    """The agency profile: its name (opens every SMS), the SMS sender ID the networks show, a phone
    contractors can call, its postal address, and the domain replies by email go to (may be empty)."""
    errors: dict[str, str] = {}
    name, sender_id, address = _text(form, "name"), _text(form, "sms_sender_id"), _text(form, "postal_address")
    reply_domain = _text(form, "reply_domain").lower().rstrip(".")
    if not name:
        errors["name"] = N_("Indiquez le nom de l'agence.")
    elif len(name) > agency.NAME_MAX:
        errors["name"] = N_("Ce champ dépasse {limit} caractères.", limit=agency.NAME_MAX)
    if not agency.SENDER_ID.match(sender_id):
        errors["sms_sender_id"] = N_("L'expéditeur SMS compte 1 à 11 lettres ou chiffres sans espace ni accent, "
                                     "dont au moins une lettre.")
    phone = _contact(contacts.normalise_phone, _text(form, "phone"), "phone", errors, optional=False)
    if not address:
        errors["postal_address"] = N_("Indiquez l'adresse postale de l'agence.")
    elif len(address) > ADDRESS_MAX:
        errors["postal_address"] = N_("Ce champ dépasse {limit} caractères.", limit=ADDRESS_MAX)
    if reply_domain and not DOMAIN.match(reply_domain):
        errors["reply_domain"] = N_("Indiquez un nom de domaine, par exemple reponses.agence.fr.")
    if errors or phone is None:
        return Result(errors=errors)
    return Result(agency.Agency(name, sender_id, phone, address, reply_domain))


def validate_login_email(raw: str) -> Result[str]:
    """Only the shape: whether the address is known is never told on the page."""
    email = raw.strip()
    if "@" not in email or len(email) > CONTACT_INPUT_MAX:
        return Result(errors={"email": N_("Indiquez une adresse e-mail valide.")})
    return Result(email)
