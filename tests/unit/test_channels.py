"""The raw email SES sends when there are files: what a mail reader shows must be what we wrote."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest

from chalicelib.aws.channels import Attachment, Email, _mime

SUBJECTS = [
    "Intervention n°2026-00042 confirmée : jeudi 3 décembre 2026 à 14:30",
    "Demande n°2026-00042 : remplacement du groupe de sécurité du chauffe-eau électrique, façade côté cour, 5e étage",
    "Devis n°2026-00042 accepté — " + "réparation de l'étanchéité " * 7,
]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_a_long_accented_subject_reads_back_word_for_word(subject: str) -> None:
    email = Email("karim@plomberie-benali.fr", subject, "Bonjour", "<p>Bonjour</p>",
                  (Attachment("intervention.ics", "text/calendar", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),))
    raw = _mime(email)
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert parsed["Subject"] == subject
    assert [part.get_filename() for part in parsed.iter_attachments()] == ["intervention.ics"]


def test_only_the_subject_gets_a_long_line() -> None:
    """RFC 2045: base64 lines of 76 characters; strict mail gateways refuse longer ones."""
    html = "<p>" + "Le chauffe-eau fuit au groupe de sécurité. " * 40 + "</p>"
    email = Email("karim@plomberie-benali.fr", SUBJECTS[1], "Bonjour " * 200, html,
                  (Attachment("devis.pdf", "application/pdf", b"%PDF-1.7\n" + bytes(range(256)) * 40),))
    lines = _mime(email).splitlines()
    assert max(len(line) for line in lines if not line.startswith(b"Subject:")) <= 100


def test_a_calendar_file_goes_with_its_method_for_mail_readers() -> None:
    """Mail readers offer to add, move or remove the calendar entry from the part's `method`."""
    email = Email("karim@plomberie-benali.fr", "Intervention annulée", "Bonjour", "<p>Bonjour</p>",
                  (Attachment("intervention.ics", "text/calendar; method=CANCEL", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),))
    (part,) = BytesParser(policy=policy.default).parsebytes(_mime(email)).iter_attachments()
    assert part.get_content_type() == "text/calendar" and part.get_param("method") == "CANCEL"
    assert part.get_filename() == "intervention.ics" and part.get_content() == "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"


def test_an_email_with_files_carries_its_reply_to() -> None:
    """Replies by email land in the ticket: the Reply-To goes in the raw MIME as in SES's ReplyToAddresses."""
    address = "r.01jd3x1m6w7zq5r8t2y4b9c0ef.c1.abcdefghijklmnopqrstuvwxyz@reponses.gestion-demo.fr"
    email = Email("karim@plomberie-benali.fr", "Demande", "Bonjour", "<p>Bonjour</p>",
                  (Attachment("devis.pdf", "application/pdf", b"%PDF-1.7\n"),), reply_to=address)
    assert BytesParser(policy=policy.default).parsebytes(_mime(email))["Reply-To"] == address
    assert "Reply-To" not in BytesParser(policy=policy.default).parsebytes(_mime(Email("a@b.fr", "s", "t", "h")))
