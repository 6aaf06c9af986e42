"""Jinja2 for pages and messages. Autoescape is on for every HTML template; plain-text
templates (SMS, email text) are not HTML, so they are rendered as written."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib import formatting, i18n

if TYPE_CHECKING:
    from jinja2 import Environment

# templates/ sits beside chalicelib/ in the repo and at the zip root in the Lambda package.
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


@lru_cache(maxsize=1)
def environment() -> Environment:
    # Imported on first render, not at import: functions that render nothing start faster.
    from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html",), disabled_extensions=("txt",), default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals.update(step_headlines=formatting.STEP_HEADLINES, alert_headlines=formatting.ALERT_HEADLINES,
                       event_icons=formatting.EVENT_ICONS)
    env.filters.update({
        "long_date": pass_context(lambda context, value: formatting.long_date(value, context.get("lang", "fr"))),
        "label": pass_context(lambda context, value, table: formatting.label(value, table, context.get("lang", "fr"))),
        "local_datetime": formatting.local_datetime,
        "filesize": formatting.filesize,
        "money": pass_context(lambda context, value: formatting.money(value, context.get("lang", "fr"))),
    })
    return env


def render(template: str, language: str = "fr", **context: Any) -> str:
    lang = i18n.normalise(language)
    return environment().get_template(template).render(_=i18n.translator(lang), lang=lang, **context)
