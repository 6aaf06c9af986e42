"""Reading an emailed reply (no AWS): the new text only, the Reply-To's shape, the limits before parsing."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage

import pytest

from chalicelib.domain import received_mail, reply_address, reply_text
from chalicelib.domain.errors import Unreadable

FRENCH_GMAIL = ("Je passe jeudi à 8h.\n\nCordialement,\nKarim Benali\nPlomberie Benali\n\n"
                "Le lun. 30 nov. 2026 à 10:12, Gestion Démo <r.x@reponses.gestion-demo.fr> a écrit :\n"
                "> Bonjour,\n> Une fuite au lot 12.\n")
ENGLISH = "Fine by me.\n\nOn Mon, Nov 30, 2026 at 10:12 AM Gestion Demo <r.x@example.com> wrote:\n> Hello\n"
OUTLOOK = ("D'accord pour jeudi.\n\n________________________________\nDe : Gestion Démo <relais@gestion-demo.fr>\n"
           "Envoyé : lundi 30 novembre 2026 10:12\nÀ : Karim Benali <karim@plomberie-benali.fr>\n"
           "Objet : Demande d'intervention\n\nBonjour, une fuite.\n")


@pytest.mark.parametrize("body, new", [
    (FRENCH_GMAIL, "Je passe jeudi à 8h."),
    (ENGLISH, "Fine by me."),
    (OUTLOOK, "D'accord pour jeudi."),
    ("Bien reçu.\n\n-- \nKarim\n06 12 34 56 78\n", "Bien reçu."),
    ("Merci\n\nEnvoyé de mon iPhone\n", "Merci"),
    ("Thanks\n\nSent from my Galaxy\n", "Thanks"),
    ("Ligne 1\nLigne 2\n", "Ligne 1\nLigne 2"),
], ids=["gmail fr", "gmail en", "outlook fr", "signature", "iphone fr", "phone en", "plain"])
def test_only_the_new_text_is_kept(body: str, new: str) -> None:
    assert reply_text.new_text(body) == new


def test_html_becomes_text_without_scripts_styles_or_the_quoted_history() -> None:
    html = ("<style>p{}</style><p>Bonjour,<br>c'est <b>fait</b>.</p><script>alert(1)</script>"
            "<blockquote type=\"cite\">ancien</blockquote><p>après la citation</p>")
    assert reply_text.html_to_text(html) == "Bonjour,\nc'est fait."


def test_a_huge_reply_is_read_in_bounded_time_and_size() -> None:
    text = reply_text.new_text("mot " * 200_000 + "\n> cité\n" * 10_000)
    assert len(text) <= reply_text.TEXT_MAX_CHARS


def test_the_reply_address_round_trips_in_any_case_and_refuses_other_domains() -> None:
    secret = reply_address.contractor_secret("k" * 48, "01JD3X1M6W7ZQ5R8T2Y4B9C0EF", 1, "nonce")
    assert len(secret) == 26 and secret.islower()  # 128 bits, base32: survives a change of case
    address = reply_address.ReplyAddress("01JD3X1M6W7ZQ5R8T2Y4B9C0EF", reply_address.CONTRACTOR, 1, secret)
    text = f"{address.local_part()}@reponses.gestion-demo.fr"
    assert len(address.local_part()) <= 64
    assert reply_address.parse(text.upper(), "reponses.gestion-demo.fr") == address
    assert reply_address.parse(text, "autre.fr") is None
    assert reply_address.parse(f"x{text}", "reponses.gestion-demo.fr") is None
    assert reply_address.manager_secret("k" * 48, address.ticket_id, "A") != reply_address.manager_secret(
        "k" * 48, address.ticket_id, "B")  # a new owner, a new address


def _mail(**headers: str) -> bytes:
    message = EmailMessage()
    message["From"], message["Subject"] = headers.pop("From", "karim@plomberie-benali.fr"), headers.pop("Subject", "Re: x")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("OK")
    return message.as_bytes(policy=policy.SMTP)


@pytest.mark.parametrize("headers", [
    {"Auto_Submitted": "auto-replied"}, {"Precedence": "bulk"}, {"X_Autoreply": "yes"},
    {"Subject": "Out of Office: back on Monday"}, {"Subject": "Réponse automatique : absent"},
    {"From": "MAILER-DAEMON@mx.example.com"},
])
def test_automatic_mail_is_recognised(headers: dict[str, str]) -> None:
    assert received_mail.read(_mail(**headers)).auto_reply


def test_a_person_s_reply_is_not_automatic() -> None:
    mail = received_mail.read(_mail(Auto_Submitted="no", Subject="Re: Absence de fuite ?"))
    assert not mail.auto_reply and mail.sender == "karim@plomberie-benali.fr" and mail.text == "OK"


def test_limits_refuse_before_parsing() -> None:
    with pytest.raises(Unreadable, match="too_large"):
        received_mail.check_limits(b"x" * (received_mail.MAX_MESSAGE_BYTES + 1))
    with pytest.raises(Unreadable, match="too_many_parts"):
        received_mail.check_limits(b"Content-Type: text/plain\r\n" * (received_mail.MAX_PARTS + 1))
    with pytest.raises(Unreadable, match="too_deep"):  # nesting is what makes the parser slow
        received_mail.check_limits(b'Content-Type: multipart/mixed; boundary="b"\r\n' * (received_mail.MAX_CONTAINERS + 1))


def test_mangled_mime_is_read_or_refused_never_raises_anything_else() -> None:
    """Bytes flipped, cut and spliced (broken encodings, stray boundaries, huge quotes) into real
    replies: every one is either read or refused as Unreadable (seeded: the same cases every run)."""
    import random

    rng = random.Random(14)  # noqa: S311 - reproducible cases, not secrets
    message = EmailMessage()
    message["From"], message["Subject"] = "karim@plomberie-benali.fr", "=?utf-8?q?Re=3A_caf=C3=A9?="
    message.set_content("OK pour jeudi.\n\nLe lun. 30 nov. 2026, X <x@y.fr> a écrit :\n> Bonjour\n")
    message.add_alternative("<p>OK <b>pour</b> jeudi</p><blockquote type=cite>ancien</blockquote>", subtype="html")
    message.add_attachment(b"%PDF-1.7\n" + b"0" * 2000, maintype="application", subtype="pdf", filename="devis.pdf")
    original = message.as_bytes(policy=policy.SMTP)
    splices = [b"\r\n", b"=?utf-8?b?////?=", b'boundary="x"', b"Content-Type: multipart/mixed\r\n", b"\xff\xfe",
               b"=\r\n", b"> " * 500, b"Content-Transfer-Encoding: base64\r\n"]
    for _ in range(200):
        raw = bytearray(original)
        for _ in range(rng.randint(1, 20)):
            at = rng.randrange(len(raw))
            roll = rng.random()
            if roll < 0.4:
                raw[at] = rng.randrange(256)
            elif roll < 0.7:
                del raw[at:at + rng.randint(1, 50)]
            else:
                raw[at:at] = rng.choice(splices)
        try:
            mail = received_mail.read(bytes(raw))
        except Unreadable:
            continue
        assert isinstance(mail.text, str) and all(isinstance(f.data, bytes) for f in mail.files)
