"""A fresh Lambda container: opening the link loads only what the form reads; the first answer
loads the rest on the spot and is recorded. Run in a new interpreter, as a cold start is."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from chalicelib.data import store
from tests.integration.conftest import People, contractor_path, new_ticket, tomorrow_paris

ROOT = Path(__file__).resolve().parents[2]

FIRST_REQUESTS = """
import json, re, sys
from urllib.parse import urlencode
import app
from chalice.test import Client

def loaded():
    return sorted(m for m in sys.modules if m.startswith(("chalicelib", "boto3", "jinja2", "aws_lambda_powertools.utilities",
                                                          "mailparser_reply", "aiosmtpd")))

path, planned_date = sys.argv[1], sys.argv[2]
report = {"after_import": loaded(), "import_order": list(sys.modules)}
with Client(app.app) as client:
    page = client.http.get(path)
    report["get_status"], report["after_get"] = page.status_code, loaded()
    token = re.search(r'name="form_token" value="([^"]+)"', page.body.decode()).group(1)
    body = urlencode({"form_token": token, "decision": "accept", "planned_date": planned_date,
                      "planned_time": "14:30", "comment": ""})
    answer = client.http.post(path + "/answer", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    report["post_status"], report["after_post"] = answer.status_code, loaded()
print(json.dumps(report))
"""

# The use cases behind the POSTs and the admin's modules: none of them serves the form GET.
WRITE_SIDE = {"chalicelib.usecases.changes", "chalicelib.domain.forms", "chalicelib.usecases.tickets",
              "chalicelib.usecases.completion", "chalicelib.usecases.conversation", "chalicelib.aws.uploads",
              "chalicelib.usecases.auth", "chalicelib.data.directory", "chalicelib.data.listing",
              "chalicelib.usecases.ticket_admin", "chalicelib.usecases.quotes", "chalicelib.usecases.site_visit",
              "chalicelib.usecases.planning", "chalicelib.domain.contacts",
              # receive_email's (replies by email): the API never reads a received mail
              "chalicelib.usecases.inbound_mail", "chalicelib.domain.received_mail", "chalicelib.domain.reply_text",
              "chalicelib.aws.inbound", "chalicelib.data.reply_addresses", "chalicelib.domain.reply_address"}
# The manager's pages: their routes are registered at import, what they run is deferred.
ADMIN_PAGES = {"chalicelib.web.session", "chalicelib.web.admin.signin", "chalicelib.web.admin.tickets",
               "chalicelib.web.admin.actions", "chalicelib.web.people"}


def deferred_by_the_pages() -> set[str]:
    """Every module a page names in `deferred.modules(...)` (chalicelib/web/deferred.py)."""
    names: set[str] = set()
    for path in sorted((ROOT / "chalicelib" / "web").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "modules":
                names |= {f"chalicelib.{arg.value}" for arg in node.args if isinstance(arg, ast.Constant)}
    return names


def test_a_cold_start_loads_the_write_side_only_when_the_contractor_answers(people: People) -> None:
    ticket = new_ticket(people)
    path = contractor_path(ticket.ticket_id)
    run = subprocess.run([sys.executable, "-c", FIRST_REQUESTS, path, tomorrow_paris()], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])

    deferred = WRITE_SIDE | deferred_by_the_pages()
    assert {"chalicelib.usecases.ticket_admin", "chalicelib.data.listing"} < deferred_by_the_pages()  # it reads the pages
    assert ADMIN_PAGES <= set(report["after_import"])
    assert not deferred & set(report["after_import"])
    assert "boto3" not in report["after_import"] and "jinja2" not in report["after_import"]
    assert not [m for m in report["after_post"] if m.startswith(("mailparser_reply", "aiosmtpd"))]
    assert report["get_status"] == 200
    # pynamodb (and botocore) load from app.py's top frame, before any of chalicelib: loaded from deep
    # in the chain, they cost ~2,000 mmap/munmap syscalls more (app.py says why). sys.modules lists
    # modules in the order their import finished.
    order = report["import_order"]
    assert order.index("pynamodb.models") < order.index("chalicelib"), order
    assert not deferred & set(report["after_get"])
    assert "boto3" not in report["after_get"]  # AWS clients come from botocore, on pynamodb's session (chalicelib/aws/clients.py)

    assert report["post_status"] == 303  # to the confirmation
    assert {"chalicelib.usecases.changes", "chalicelib.domain.forms", "chalicelib.usecases.tickets"} <= set(report["after_post"])
    # The stream's batch utilities (~40 ms of imports) are the dispatcher Lambda's only.
    assert not [m for m in report["after_post"] if m.startswith("aws_lambda_powertools.utilities.batch")], report
    view = store.load_ticket(ticket.ticket_id)
    assert view.ticket.state == "scheduled" and view.ticket.planned_time == "14:30"


def test_aws_clients_reuse_the_botocore_session_of_the_table(aws: str) -> None:
    """A second session would load botocore's endpoint and retry data again on every cold start."""
    from chalicelib.aws import clients
    from chalicelib.data.models import RelaisItem

    clients.reset_clients()  # pynamodb's sessions are per thread: make this test's thread the one creating them
    loader = RelaisItem._get_connection().connection.session.get_component("data_loader")
    for service in ("ssm", "s3", "sesv2"):
        assert clients.client(service)._loader is loader
