"""The deployment zip as Lambda's python3.13 runtime runs it: templates inside, bytecode compiled by
3.13 and no other, wheels built for 3.13, no botocore; the app imports and renders from the
unzipped folder on the target interpreter with only boto3/botocore beside it, and every function
answers its real event shape against the moto server, for staging and prod."""

from __future__ import annotations

import json
import os
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from chalice.test import Client

from infra import as_lambda
from infra.build import RUNTIME_PROVIDED, TARGET_CACHE_TAG, target_python
from tests.infra.test_bounces import notifications, ses_event, sns
from tests.integration.conftest import People, link_path, new_ticket, sent_messages, tomorrow_paris
from tests.integration.test_timers import act

TARGET_BYTES = 20 * 1024 * 1024
STAGES = ("staging", "prod")


def _target_magic_number() -> bytes:
    code = "import importlib.util, sys; sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())"
    return bytes.fromhex(subprocess.run([str(target_python()), "-c", code], check=True, capture_output=True,
                                        text=True).stdout)


def test_zip_holds_the_templates_and_unchecked_hash_bytecode(package_dir: Path) -> None:
    archive = zipfile.ZipFile(package_dir / "deployment.zip")
    names = set(archive.namelist())
    assert "app.py" in names and "templates/admin/login.html" in names
    assert "templates/messages/intervention_request.email.html" in names
    assert "chalicelib/i18n/locale/en/LC_MESSAGES/relais.mo" in names  # English, read by gettext on Lambda
    assert not [n for n in names if n.endswith(".po")]  # the catalogs' source stays in the repository
    assert not any(n.startswith(("babel/", "Babel-", "babel-")) for n in names)  # Babel extracts at build time only
    tag = TARGET_CACHE_TAG
    magic = _target_magic_number()
    for module in ("app", "chalicelib/i18n/rendering", "chalicelib/outbox/dispatcher", "jinja2/environment"):
        pyc = f"{Path(module).parent}/__pycache__/{Path(module).name}.{tag}.pyc".removeprefix("./")
        header = archive.read(pyc)[:16]
        assert header[:4] == magic  # the target interpreter's bytecode, which it will use
        assert int.from_bytes(header[4:8], "little") == 0b01  # hash-based, source not checked
    # Bytecode of any other interpreter would be ignored by the runtime: none is shipped.
    assert [n for n in names if n.endswith(".pyc") and not n.endswith(f".{tag}.pyc")] == []
    # Compiled parts (MarkupSafe's speedups) are built for the target, not for the build machine.
    extensions = [n for n in names if n.endswith(".so")]
    assert extensions and all(".cpython-313-x86_64-linux-gnu." in n for n in extensions), extensions
    assert not any(n.split("/")[0].split("-")[0].lower() in RUNTIME_PROVIDED for n in names)
    # Every page and message also comes as a compiled template module, with its bytecode.
    templates = [n for n in names if n.startswith("templates/") and n.endswith((".html", ".txt"))]
    compiled = [n for n in names if n.startswith("compiled_templates/tmpl_") and n.endswith(".py")]
    compiled_pyc = [n for n in names if n.startswith("compiled_templates/__pycache__/tmpl_") and n.endswith(f".{tag}.pyc")]
    assert len(templates) >= 60 and len(compiled) == len(compiled_pyc) == len(templates)
    assert (package_dir / "deployment.zip").stat().st_size <= TARGET_BYTES


RENDER = """
import json, sys
import jinja2
import app
from chalicelib.i18n import rendering
from chalicelib.outbox import notification_text
from chalicelib.data.models import Ticket
assert app.__file__.startswith(sys.argv[1]), app.__file__
assert rendering.__cached__ and 'botocore' in sys.modules
def parsing(*args, **kwargs):
    raise AssertionError("a template was compiled at run time")
jinja2.Environment.compile = parsing  # the package's templates come compiled
from chalicelib.config import settings
from chalicelib.data import agency
agency.current = lambda: settings().agency  # no table here: the default profile
page = rendering.render("admin/login.html", session=None, errors={}, email="")
params = {"reference": "2026-00001", "title": "Fuite", "description": "Fuite au lot 12.", "site_address": "14 rue des Lilas",
          "access_notes": "", "urgency": "urgent", "request_kind": "intervention", "contractor_name": "Karim",
          "manager_name": "Claire", "planned_date": None, "planned_time": None, "link_number": 1}
email = notification_text.render_email("intervention_request", "fr", params, "https://relais.example.fr/t/X/Y")
sms = notification_text.render_sms("intervention_request", "fr", params, "https://relais.example.fr/t/X/Y")
english_sms = notification_text.render_sms("intervention_request", "en", params, "https://relais.example.fr/t/X/Y")

from chalicelib.outbox import ics  # its VTIMEZONE comes from the packaged tzdata
planned = {**params, "planned_date": "2026-12-01", "planned_time": "14:30", "ics": "cancel", "sequence": 3}
calendar = ics.calendar_file("01KB2Z8ZK1V3X4Y5Z6A7B8C9D0", planned, "https://relais.example.fr/t/X/Y", "k@example.fr")
import markupsafe
print(json.dumps({"page": page, "subject": email.subject, "html": email.html, "sms": sms, "english_sms": english_sms,
                  "ics": calendar.data.decode(),
                  "loader": type(rendering.environment().loader).__name__, "version": sys.version.split()[0],
                  "speedups": "markupsafe._speedups" in sys.modules}))
"""


def test_the_app_imports_and_renders_from_the_unzipped_package(package_dir: Path, tmp_path: Path) -> None:
    task = as_lambda.unpack(package_dir / "deployment.zip", tmp_path / "task")
    env = {"PATH": os.environ["PATH"], "AWS_DEFAULT_REGION": "eu-west-3", "PYTHONDONTWRITEBYTECODE": "1",
           "POWERTOOLS_LOG_LEVEL": "WARNING", "PYTHONPATH": f"{task}{os.pathsep}{as_lambda.runtime_libraries()}"}
    result = subprocess.run([str(target_python()), "-c", RENDER, str(task)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["version"].startswith("3.13.")
    assert "<form" in out["page"]
    assert "Fuite" in out["subject"] and "https://relais.example.fr/t/X/Y" in out["html"]
    assert "https://relais.example.fr/t/X/Y" in out["sms"]
    assert "METHOD:CANCEL" in out["ics"] and "BEGIN:VTIMEZONE\r\nTZID:Europe/Paris" in out["ics"]
    assert "work request" in out["english_sms"] and "demande" not in out["english_sms"]  # the catalog is in the zip
    # Templates come precompiled, from their bytecode: no Jinja2 parsing on a cold start.
    assert out["loader"] == "ModuleLoader"
    # MarkupSafe's C speedups load on the target (a 3.11 build would fall back to pure Python).
    assert out["speedups"] is True


# -- every function on its real event shape, for two stages ---------------------------------------

@dataclass(frozen=True)
class StagePackage:
    stage: str
    task: Path
    functions: dict[str, as_lambda.Function]
    template: dict[str, Any]

    def environment(self, function: str) -> dict[str, str]:
        """Only the variables the stage's template declares: its literal values, and for the stack's
        resources (Refs) the test's stand-ins on the moto server; plus the AWS_* ones Lambda sets
        (here the moto server's endpoint and test credentials)."""
        declared = {**self.template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {}),
                    **self.template["Resources"][self.functions[function].logical_id]["Properties"]
                    .get("Environment", {}).get("Variables", {})}
        aws = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
        return {**aws, **{k: v if isinstance(v, str) else os.environ[k] for k, v in declared.items()
                          if isinstance(v, str) or k in os.environ}}

    def invoke(self, function: str, *events: Any) -> list[Any]:
        outcome = as_lambda.invoke(self.task, self.functions[function], list(events), self.environment(function))
        assert outcome["version"].startswith("3.13.")
        return [invocation["result"] for invocation in outcome["invocations"]]


@pytest.fixture(scope="module", params=STAGES)
def stage_package(request: pytest.FixtureRequest, packaged: Callable[[str], Path],
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[StagePackage]:
    stage = str(request.param)
    built = packaged(stage)
    template = json.loads((built / "sam.json").read_text())
    task = as_lambda.unpack(built / "deployment.zip", tmp_path_factory.mktemp(f"task-{stage}"))
    yield StagePackage(stage, task, as_lambda.functions(template), template)


def api_gateway_get(path: str, resource: str) -> dict[str, Any]:
    """A REST API proxy event (payload 1.0) as API Gateway sends it for a phone's GET."""
    names = [part.strip("{}") for part in resource.split("/") if part.startswith("{")]
    values = [part for part, pattern in zip(path.split("/"), resource.split("/"), strict=True) if pattern.startswith("{")]
    headers = {"Host": "relais.example.fr", "Accept": "text/html", "User-Agent": "Mozilla/5.0 (Linux; Android 14)",
               "X-Forwarded-Proto": "https"}
    return {"resource": resource, "path": path, "httpMethod": "GET", "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()}, "queryStringParameters": None,
            "multiValueQueryStringParameters": None, "pathParameters": dict(zip(names, values, strict=True)),
            "stageVariables": None, "body": None, "isBase64Encoded": False,
            "requestContext": {"resourcePath": resource, "httpMethod": "GET", "path": f"/prod{path}", "stage": "prod",
                               "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "accountId": "123456789012",
                               "identity": {"sourceIp": "203.0.113.7", "userAgent": headers["User-Agent"]}}}


def test_every_function_answers_its_event_on_the_target_runtime(stage_package: StagePackage, client: Client,
                                                                 people: People, aws: str) -> None:
    from chalicelib.config import settings
    from chalicelib.data import directory
    from local import resources

    runtimes = {stage_package.template["Resources"][f.logical_id]["Properties"].get("Runtime")
                for f in stage_package.functions.values()}
    assert runtimes == {"python3.13"}  # python3.11 is deprecated on Lambda since 2026-06-30
    stream_arn = resources.stream_arn(os.environ["RELAIS_TABLE"])
    from local.stream import StreamReader

    reader = StreamReader(stream_arn)
    ticket = new_ticket(people)

    # The stream batch: the dispatcher sends the request by SMS and email.
    def dispatch() -> Any:
        records = reader.read()
        assert records, "nothing on the stream"
        return stage_package.invoke("dispatch_outbox", {"Records": [{**r, "eventSourceARN": stream_arn}
                                                                    for r in records]})[0]

    dispatch()
    sent = sent_messages(aws)
    assert len(sent["sms"]) == 1 and len(sent["email"]) == 1
    path = link_path(sent["sms"][0]["message"])

    # API Gateway's proxy event: the contractor's phone opens the link and gets the form.
    (page,) = stage_package.invoke("api_handler", api_gateway_get(path, "/t/{ticket_id}/{secret}"))
    assert page["statusCode"] == 200, page
    assert page["headers"]["Content-Type"].startswith("text/html")
    assert "<form" in page["body"] and "Fuite au lot 12." in page["body"]

    # The contractor accepts (in the test's process); the dispatcher, on the target, places the
    # presence check on the Scheduler, and the schedule's input is what fire_schedule gets.
    assert act(client, path, "answer", {"decision": "accept", "planned_date": tomorrow_paris(),
                                        "planned_time": "14:30"}).status_code == 303
    dispatch()
    import boto3

    held = boto3.client("scheduler").get_schedule(Name=f"{ticket.ticket_id}-presence_check",
                                                  GroupName=settings().schedule_group)
    texts_before = len(sent_messages(aws)["sms"])
    assert stage_package.invoke("fire_schedule", json.loads(held["Target"]["Input"])) == ["done"]
    dispatch()  # the presence check the timer wrote goes out to the contractor
    presence = [m["message"] for m in sent_messages(aws)["sms"]][texts_before:]
    assert len(presence) == 1 and path in presence[0], presence

    # SES's bounce through SNS: the address is marked undeliverable.
    email = min((n for n in notifications(ticket.ticket_id) if n.channel == "email" and n.audience == "contractor"),
                key=lambda n: n.notification_id)
    bounce = sns(ses_event("Bounce", email.provider_id, people.plumber.email or ""))
    assert stage_package.invoke("handle_bounce", bounce) == [{"recorded": 1}]
    contractor = directory.get_contractor(people.plumber.contractor_id)
    assert contractor is not None and contractor.email_undeliverable is True

    # SES's receipt rule: the contractor's emailed reply stored raw under inbound/, then receive_email
    # with its verdicts reads it (mail-parser-reply and the email package from the zip) into the thread.
    from chalicelib.aws import inbound
    from chalicelib.data import agency, reply_addresses
    from chalicelib.domain.agency import Agency
    from local import smtp
    from tests.integration.test_email_replies import KARIM, PDF, QUOTED, REPLY_DOMAIN, events, mime

    agency.save(Agency("Gestion Démo", "GESTDEMO", "+33478000000", "1 place Bellecour, Lyon", REPLY_DOMAIN), None,
                people.manager.manager_id)
    agency.forget()
    address = reply_addresses.for_contractor(ticket.ticket_id, 1)
    ses_id = smtp.new_message_id()
    inbound.store_raw(ses_id, mime(KARIM, address, "Devis joint.\n\n" + QUOTED, files=(("devis.pdf", "application/pdf", PDF),)))
    assert stage_package.invoke("receive_email", smtp.ses_event(ses_id, [address], KARIM)) == [{"recorded": 1}]
    [reply] = events(ticket.ticket_id, "message")
    assert reply.data["body"] == "Devis joint." and [f["name"] for f in reply.data["files"]] == ["devis.pdf"]
