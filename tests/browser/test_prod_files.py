"""Files as on AWS: the app runs with the prod stage's settings and no endpoint override, so it
presigns on the real S3 host names; Chromium enforces the pages' CSP and does real CORS
(preflights included) with the bucket's CORS rules of infra/template.yml, answered as S3 would by
the stand-in in front of moto (tests/browser/aws_network.py), which the requests to
`*.amazonaws.com` reach, the app's and the browser's alike.

A contractor sends a photo and a PDF from the phone and sees the photo's thumbnail; the manager
sees it too and downloads both.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from local.harness import wait_until
from tests.browser.aws_network import AwsFront, aws_front
from tests.browser.conftest import BASE_URL, CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, ROOT, SHOTS, Relais, running_relais
from tests.browser.test_conversation import PDF, PDF_NAME, _jpeg, _loads, _open_box, _uploaded, _watch
from tests.conftest import REGION
from tests.integration.conftest import contractor_path, new_ticket, sent_messages

PHOTO_NAME = "joint fendu.jpg"


def prod_environment() -> dict[str, str]:
    """What Lambda gives the prod stage's functions: the template's environment (its literal values and
    the stage; the stack's names are the test's resources, already in the environment), the region,
    and no endpoint override."""
    from cfnlint.decode import cfn_yaml

    template = cfn_yaml.loads((ROOT / "infra" / "template.yml").read_text(), "template.yml")
    declared = template["Globals"]["Function"]["Environment"]["Variables"]
    stage = {name: ("prod" if value == {"Ref": "Stage"} else value) for name, value in declared.items()}
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_ENDPOINT_URL")}
    return {**env, **{name: value for name, value in stage.items() if isinstance(value, str)},
            "AWS_REGION": REGION, "RELAIS_BASE_URL": BASE_URL}


def bucket_cors_rules(app_origin: str) -> list[dict[str, Any]]:
    """The CORS rules of the files bucket in infra/template.yml, with the stack's parameters filled in."""
    from cfnlint.decode import cfn_yaml

    template = cfn_yaml.loads((ROOT / "infra" / "template.yml").read_text(), "template.yml")
    rules = json.loads(json.dumps(template["Resources"]["FilesBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]))
    parameters = {"AppOrigin": app_origin}
    for rule in rules:
        rule["AllowedOrigins"] = [parameters[o["Ref"]] if isinstance(o, dict) else o for o in rule["AllowedOrigins"]]
    return list(rules)


# --- fixtures -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def prod_relais(moto_server: str) -> Iterator[Relais]:
    launcher = (sys.executable, "-m", "tests.browser.aws_network", moto_server)
    with running_relais(moto_server, stage="prod", env=prod_environment(), launcher=launcher) as running:
        yield running


@pytest.fixture(scope="module")
def front(moto_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AwsFront]:
    with aws_front(moto_server, bucket_cors_rules(BASE_URL), tmp_path_factory.mktemp("aws-front")) as running:
        yield running


@pytest.fixture(scope="module")
def aws_browser(browser: Any, front: AwsFront) -> Iterator[Any]:
    """Chromium whose connections to `*.amazonaws.com` reach the front (its certificate is the test's)."""
    chromium = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=[
        *CHROMIUM_ARGS, f"--host-rules=MAP *.amazonaws.com 127.0.0.1:{front.port}"])
    try:
        yield chromium
    finally:
        chromium.close()


def _context(browser: Any, options: dict[str, Any]) -> Iterator[Any]:
    context = browser.new_context(base_url=BASE_URL, ignore_https_errors=True, **options)
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def aws_phone(aws_browser: Any) -> Iterator[Any]:
    yield from _context(aws_browser, PHONE)


@pytest.fixture
def aws_desktop(aws_browser: Any) -> Iterator[Any]:
    yield from _context(aws_browser, DESKTOP)


def _sign_in_from_the_mailbox(relais: Relais, page: Any) -> None:
    """No dev outbox in prod: the login email is read where SES (moto) got it."""
    page.goto("/admin/login")
    page.get_by_label("Adresse e-mail").fill(str(relais.people.manager.email))
    page.get_by_role("button", name="Recevoir le lien de connexion").click()
    page.wait_for_load_state()
    login = re.compile(rf"{re.escape(BASE_URL)}/admin/login/[A-Za-z0-9_-]+")

    def login_emails() -> list[str]:
        return [m["body"] for m in sent_messages(os.environ["AWS_ENDPOINT_URL"])["email"] if login.search(m["body"])]

    match = login.search(wait_until("the login email", login_emails, 10)[-1])
    assert match
    page.goto(match.group(0))
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(f"{BASE_URL}/admin")


# --- the test -----------------------------------------------------------------------------------------

def test_files_reach_s3_and_come_back_under_the_prod_csp(prod_relais: Relais, front: AwsFront, aws_phone: Any,
                                                        aws_desktop: Any) -> None:
    files_origin = f"https://{os.environ['RELAIS_BUCKET']}.s3.{REGION}.amazonaws.com"
    ticket = new_ticket(prod_relais.people)
    form = aws_phone.new_page()
    seen = _watch(form)
    photo = _jpeg(form)
    response = form.goto(contractor_path(ticket.ticket_id))
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert f"connect-src 'self' {files_origin};" in csp and f" {files_origin};" in csp.split("img-src", 1)[1]

    box = _open_box(form, "Contacter le gestionnaire")
    box.get_by_label("Votre message").fill("La photo du joint et le bon d'intervention.")
    box.locator("#message-files").set_input_files([
        {"name": PHOTO_NAME, "mimeType": "image/jpeg", "buffer": photo},
        {"name": PDF_NAME, "mimeType": "application/pdf", "buffer": PDF}])
    _loads(_uploaded(box, PHOTO_NAME).locator("img.upload-thumb"))
    _uploaded(box, PDF_NAME)
    box.get_by_role("button", name="Envoyer le message").click()
    expect(form.locator("section.confirmation h1")).to_have_text("Votre message a bien été envoyé")
    form.get_by_role("link", name="Afficher à nouveau l'intervention").click()
    message = form.locator(".events li.event-message.from-contractor")
    _loads(message.locator(".files a.thumb img"))  # the thumbnail, from S3
    expect(message.locator("a.file")).to_have_text(PDF_NAME)
    form.screenshot(path=str(SHOTS / "prod-contractor-files.png"), full_page=True)
    assert not seen["dialogs"] and not seen["csp"], seen

    # The browser asked S3 itself (preflight, then the POST) and the bucket's rule let it read the answer.
    uploads = [r for r in front.seen if r["method"] == "POST"]
    preflights = [r for r in front.seen if r["method"] == "OPTIONS"]
    assert len(uploads) == 2 and all(r["cors"] and r["origin"] == BASE_URL and r["status"] == 204 for r in uploads)
    assert preflights and all(r["allowed"] and r["preflight_for"] == "POST" for r in preflights), front.seen
    assert {f"https://{r['host']}" for r in front.seen} == {files_origin}

    manager = aws_desktop.new_page()
    seen_manager = _watch(manager)
    _sign_in_from_the_mailbox(prod_relais, manager)
    manager.goto(f"/admin/tickets/{ticket.ticket_id}")
    theirs = manager.locator("#events li.event-message.from-contractor")
    _loads(theirs.locator("a.thumb img"))
    with manager.expect_download() as pdf_download:
        theirs.locator("a.file").click()
    assert Path(pdf_download.value.path()).read_bytes() == PDF
    with manager.expect_response(re.compile(rf"^{re.escape(files_origin)}/")) as shown:
        theirs.locator("a.thumb").click()
    assert shown.value.status == 200 and shown.value.body() == photo
    assert not seen_manager["dialogs"] and not seen_manager["csp"], seen_manager
