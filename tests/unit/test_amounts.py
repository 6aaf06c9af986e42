"""Quotes and invoices carry HT, a VAT rate, the VAT and TTC, exact to the cent (Decimal, never float)."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain import forms
from chalicelib.i18n.formatting import money

TODAY = date(2026, 11, 29)
PDF = ["quotes/devis.pdf"], ["devis.pdf"]


def quote(**fields: str) -> forms.Result[forms.QuoteForm]:
    return forms.validate_quote({"valid_until": "2026-12-31", **fields}, *PDF, TODAY)


def invoice(**fields: str) -> forms.Result[forms.InvoiceForm]:
    return forms.validate_invoice({"invoice_number": "F-7", **fields}, *PDF)


def test_a_quote_records_ht_rate_vat_and_ttc_exactly() -> None:
    checked = quote(amount_excl="1 234,56", vat_rate="10", amount_incl="1 358,02")
    assert checked.ok and checked.value is not None
    assert checked.value.amounts.as_record() == {"amount_excl": "1234.56", "vat_rate": "10", "vat_amount": "123.46",
                                                 "amount_incl": "1358.02"}


def test_the_vat_typed_may_differ_from_the_rate_by_line_rounding_but_must_add_up_to_the_cent() -> None:
    assert quote(amount_excl="100,00", vat_rate="5.5", vat_amount="5,51", amount_incl="105,51").ok
    off = quote(amount_excl="100,00", vat_rate="5.5", vat_amount="5,51", amount_incl="105,50")
    assert off.errors["amount_incl"] == "HT + TVA ne font pas le TTC : 100,00 € + 5,51 € = 105,51 €, et non 105,50 €."


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"amount_excl": "1000", "amount_incl": "1200,01"}, "amount_incl", "HT + TVA ne font pas le TTC"),
    ({"amount_excl": "0.1", "vat_rate": "0", "amount_incl": "0.30"}, "amount_incl", "0,10 € + 0,00 € = 0,10 €"),
    ({"amount_excl": "1000", "vat_rate": "19.6", "amount_incl": "1196"}, "vat_rate", "Taux de TVA inconnu"),
    ({"amount_excl": "1000", "vat_amount": "150", "amount_incl": "1150"}, "vat_amount",
     "La TVA (20 %) sur 1\u202f000,00 € HT est de 200,00 €"),
    ({"amount_excl": "1000", "vat_amount": "-200", "amount_incl": "800"}, "vat_amount", "négatif"),
    ({"amount_excl": "=1+1", "amount_incl": "1200"}, "amount_excl", "Montant invalide"),
    ({"amount_excl": "", "amount_incl": "1200"}, "amount_excl", "Indiquez le montant HT."),
])
def test_amounts_that_do_not_add_up_are_refused_with_the_reason(fields: dict[str, str], field: str, message: str) -> None:
    checked = quote(**fields)
    assert not checked.ok and checked.value is None
    assert message in checked.errors[field]


def test_an_invoice_needs_its_ht_and_a_ttc_above_zero() -> None:
    assert invoice(invoice_amount="480,00").errors["invoice_amount_excl"] == "Indiquez le montant HT."
    assert "supérieur à zéro" in invoice(invoice_amount_excl="0", invoice_amount="0").errors["invoice_amount"]
    good = invoice(invoice_amount_excl="400", invoice_amount="480,00")
    assert good.value is not None and good.value.amount == "480.00" and good.value.amounts.vat == "80.00"


def test_money_is_printed_from_the_decimal_without_float_rounding() -> None:
    assert money("2.675") == "2,68 €"  # as a float, 2.675 is 2.67499999… and printed 2,67
    assert money("0.10") == "0,10 €" and money("9999999.99", "en") == "€9,999,999.99"
