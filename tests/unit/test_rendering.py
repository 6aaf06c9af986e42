"""The Lambda package renders from templates compiled at build time (chalicelib/i18n/rendering.py):
every page, email and SMS must come out exactly as from the template files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, ModuleLoader, TemplateSyntaxError

from chalicelib.i18n import rendering
from chalicelib.outbox import notification_text
from tests.unit.test_i18n import MESSAGE_PARAMS, MESSAGE_TEMPLATES, PAGES, SMS_TEMPLATES

LINK = "https://relais.example/t/X/s"
# An automatic answer to a reply after the link was revoked gives the agency's phone, never a link.
WITHOUT_LINK = {"reply_refused"}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Environment:
    target = tmp_path_factory.mktemp("compiled_templates")
    rendering.compile_all(rendering.TEMPLATES_DIR, target)
    return rendering.configured(ModuleLoader(str(target)))


def _both(render: Any, monkeypatch: pytest.MonkeyPatch, compiled: Environment) -> tuple[Any, Any]:
    from_files = render()
    with monkeypatch.context() as patch:
        patch.setattr(rendering, "environment", lambda: compiled)
        from_modules = render()
    return from_files, from_modules


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(("template", "context"), PAGES, ids=[f"{t}-{i}" for i, (t, _) in enumerate(PAGES)])
def test_a_compiled_page_renders_as_its_template(template: str, context: dict[str, Any], language: str,
                                                  monkeypatch: pytest.MonkeyPatch, compiled: Environment) -> None:
    from_files, from_modules = _both(lambda: rendering.render(template, language, **context), monkeypatch, compiled)
    assert from_modules == from_files
    assert "<html" in from_modules


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("name", MESSAGE_TEMPLATES)
def test_a_compiled_email_renders_as_its_template(name: str, language: str, monkeypatch: pytest.MonkeyPatch,
                                                  compiled: Environment) -> None:
    from_files, from_modules = _both(lambda: notification_text.render_email(name, language, MESSAGE_PARAMS, LINK), monkeypatch,
                                     compiled)
    assert from_modules == from_files
    assert (LINK in from_modules.text) is (name not in WITHOUT_LINK)


@pytest.mark.parametrize("name", SMS_TEMPLATES)
def test_a_compiled_sms_renders_as_its_template(name: str, monkeypatch: pytest.MonkeyPatch, compiled: Environment) -> None:
    from_files, from_modules = _both(lambda: notification_text.render_sms(name, "fr", MESSAGE_PARAMS, LINK),
                                     monkeypatch, compiled)
    assert from_modules == from_files
    assert from_modules.endswith(LINK)


def test_compiled_templates_still_escape_html(compiled: Environment, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rendering, "environment", lambda: compiled)
    page = rendering.render("admin/login.html", session=None, errors={}, email='"><script>alert(1)</script>')
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_a_template_that_does_not_compile_stops_the_build(tmp_path: Path) -> None:
    source = tmp_path / "templates"
    (source / "static").mkdir(parents=True)
    (source / "static" / "relais.css").write_text("a { color: red }")  # served as is, never compiled
    (source / "ok.html").write_text("<p>{{ x }}</p>")
    (source / "broken.html").write_text("<p>{% if x %}</p>")
    with pytest.raises(TemplateSyntaxError):
        rendering.compile_all(source, tmp_path / "compiled")


def test_static_files_are_not_compiled(tmp_path: Path) -> None:
    source = tmp_path / "templates"
    (source / "static").mkdir(parents=True)
    (source / "static" / "upload.js").write_text("const a = `{{`;")  # not Jinja: compiling it would fail
    (source / "page.html").write_text("<p>{{ x }}</p>")
    rendering.compile_all(source, tmp_path / "compiled")
    assert len(list((tmp_path / "compiled").glob("tmpl_*.py"))) == 1
