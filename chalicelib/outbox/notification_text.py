"""The text of every SMS and email, rendered from templates/messages/<name>.* in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib import i18n
from chalicelib.i18n import formatting, rendering

# Steps that share one template set, told apart by their headline.
_SHARED = {step: "contractor_step" for step in formatting.STEP_HEADLINES}


def _file(template: str) -> str:
    return _SHARED.get(template, template)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render_sms(template: str, language: str, params: dict[str, Any], url: str) -> str:
    lang = i18n.normalise(language)
    return " ".join(rendering.render(f"messages/{_file(template)}.sms.txt", lang, p={"step": template, **params},
                                     url=url).split())


def render_email(template: str, language: str, params: dict[str, Any], url: str) -> Rendered:
    lang = i18n.normalise(language)
    base = f"messages/{_file(template)}"
    params = {"step": template, **params}
    subject = rendering.render(f"{base}.subject.txt", lang, p=params, url=url).strip()
    text = rendering.render(f"{base}.email.txt", lang, p=params, url=url, subject=subject)
    html = rendering.render(f"{base}.email.html", lang, p=params, url=url, subject=subject)
    return Rendered(" ".join(subject.split()), text, html)
