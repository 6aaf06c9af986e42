"""The text of every SMS and email, rendered from templates/messages/<name>.* in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib import i18n, rendering


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render_sms(template: str, language: str, params: dict[str, Any], url: str) -> str:
    lang = i18n.normalise(language)
    return " ".join(rendering.render(f"messages/{template}.sms.txt", lang, p=params, url=url).split())


def render_email(template: str, language: str, params: dict[str, Any], url: str) -> Rendered:
    lang = i18n.normalise(language)
    base = f"messages/{template}"
    subject = rendering.render(f"{base}.subject.txt", lang, p=params, url=url).strip()
    text = rendering.render(f"{base}.email.txt", lang, p=params, url=url, subject=subject)
    html = rendering.render(f"{base}.email.html", lang, p=params, url=url, subject=subject)
    return Rendered(" ".join(subject.split()), text, html)
