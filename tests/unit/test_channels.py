"""The raw email SES sends when there are files: what a mail reader shows must be what we wrote."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest

from chalicelib.channels import Attachment, Email, _mime

SUBJECTS = [
    "Intervention n°2026-00042 confirmée : jeudi 3 décembre 2026 à 14:30",
    "Demande n°2026-00042 : remplacement du groupe de sécurité du chauffe-eau électrique, façade côté cour, 5e étage",
    "Devis n°2026-00042 accepté — " + "réparation de l'étanchéité " * 7,
]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_a_long_accented_subject_reads_back_word_for_word(subject: str) -> None:
    email = Email("karim@plomberie-benali.fr", subject, "Bonjour", "<p>Bonjour</p>",
                  (Attachment("intervention.ics", "text/calendar", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),))
    parsed = BytesParser(policy=policy.default).parsebytes(_mime(email))
    assert parsed["Subject"] == subject
    assert [part.get_filename() for part in parsed.iter_attachments()] == ["intervention.ics"]
