"""Every alert the manager can get has a kind the preferences page offers; the defaults are the issue's."""

from __future__ import annotations

import pytest

from chalicelib.domain import alerts
from chalicelib.domain.alerts import Delivery
from chalicelib.i18n.formatting import ALERT_HEADLINES

MANAGER_TEMPLATES = ("manager_accepted", "manager_refused", "manager_message")


@pytest.mark.parametrize("alert", sorted(ALERT_HEADLINES))
def test_every_manager_alert_has_a_kind(alert: str) -> None:
    assert alerts.kind_of("manager_alert", alert) in alerts.KINDS


def test_not_an_alert_goes_as_it_always_did() -> None:
    assert alerts.kind_of("login_link", None) is None
    assert alerts.delivery(None, "login_link", "normal", {"answers": "digest"}) is Delivery.IMMEDIATE


@pytest.mark.parametrize(("template", "alert", "urgency", "expected"), [
    ("manager_refused", None, "normal", Delivery.IMMEDIATE),  # a refusal: find someone else now
    ("manager_accepted", None, "normal", Delivery.DIGEST),
    ("manager_message", None, "normal", Delivery.IMMEDIATE),
    ("manager_alert", "delivery_failed", "normal", Delivery.IMMEDIATE),
    ("manager_alert", "submit_quote", "normal", Delivery.DIGEST),
    ("manager_alert", "answer_overdue", "normal", Delivery.DIGEST),
    ("manager_alert", "submit_quote", "urgent", Delivery.IMMEDIATE),  # anything urgent
    ("manager_alert", "complete", "emergency", Delivery.IMMEDIATE),
])
def test_the_defaults(template: str, alert: str | None, urgency: str, expected: Delivery) -> None:
    assert alerts.delivery(alerts.kind_of(template, alert), template, urgency, {}) is expected


def test_a_choice_wins_over_the_default_and_the_urgent_switch_can_be_turned_off() -> None:
    assert alerts.delivery("messages", "manager_message", "normal", {"messages": "digest"}) is Delivery.DIGEST
    assert alerts.delivery("quotes", "manager_alert", "urgent", {"quotes": "digest"}) is Delivery.IMMEDIATE
    assert alerts.delivery("quotes", "manager_alert", "urgent", {"quotes": "digest"}, urgent_at_once=False) is Delivery.DIGEST
    assert alerts.checked_choices({"quotes": "digest", "answers": "later", "nonsense": "digest"}) == {"quotes": "digest"}
