"""Jinja2 for pages and messages. Autoescape is on for every HTML template; plain-text
templates (SMS, email text) are not HTML, so they are rendered as written."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib import i18n
from chalicelib.i18n import formatting

if TYPE_CHECKING:
    from jinja2 import BaseLoader, Environment

# templates/ sits beside chalicelib/ in the repo and at the zip root in the Lambda package.
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
# Only in the Lambda package (infra/build.py): the templates compiled to Python modules, so a
# cold start imports their bytecode instead of parsing and compiling each template.
COMPILED_DIR = TEMPLATES_DIR.parent / "compiled_templates"
RENDERED_SUFFIXES = (".html", ".txt")  # templates/static/ holds files served as they are


@lru_cache(maxsize=1)
def environment() -> Environment:
    # Imported on first render, not at import: functions that render nothing start faster.
    from jinja2 import FileSystemLoader, ModuleLoader

    if COMPILED_DIR.is_dir():
        return configured(ModuleLoader(str(COMPILED_DIR)))
    return configured(FileSystemLoader(str(TEMPLATES_DIR)))


def configured(loader: BaseLoader) -> Environment:
    """The one configuration, shared by the build that compiles the templates: autoescaping and
    whitespace control are decided when a template is compiled."""
    from jinja2 import Environment, pass_context, select_autoescape

    env = Environment(
        loader=loader,
        autoescape=select_autoescape(enabled_extensions=("html",), disabled_extensions=("txt",), default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals.update(step_headlines=formatting.STEP_HEADLINES, alert_headlines=formatting.ALERT_HEADLINES,
                       event_icons=formatting.EVENT_ICONS)
    env.filters.update({
        "long_date": pass_context(lambda context, value: formatting.long_date(value, context.get("lang", "fr"))),
        "day_and_hour": pass_context(
            lambda context, day, hour, until=None: formatting.day_and_hour(day, hour, context.get("lang", "fr"), until)),
        "label": pass_context(lambda context, value, table: formatting.label(value, table, context.get("lang", "fr"))),
        "planned": pass_context(lambda context, value: formatting.planned_of(value, context.get("lang", "fr"))),
        "local_datetime": formatting.local_datetime,
        "filesize": pass_context(lambda context, value: formatting.filesize(value, context.get("lang", "fr"))),
        "money": pass_context(lambda context, value: formatting.money(value, context.get("lang", "fr"))),
    })
    return env


def compile_all(source: Path, target: Path) -> None:
    """For infra/build.py: every page and message under `source`, as modules in `target`.
    A template that does not compile stops the build."""
    from jinja2 import FileSystemLoader

    configured(FileSystemLoader(str(source))).compile_templates(
        str(target), zip=None, ignore_errors=False, filter_func=lambda name: name.endswith(RENDERED_SUFFIXES))


def render(template: str, language: str = "fr", **context: Any) -> str:
    lang = i18n.normalise(language)
    return environment().get_template(template).render(_=i18n.translator(lang), lang=lang, **context)
