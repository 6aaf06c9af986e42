"""The new text of an emailed reply: quoted history, reply headers and signatures removed.

mail-parser-reply (maintained, MIT, no dependencies) splits a body at "Le … a écrit :", "On … wrote:",
Outlook's "De : / Envoyé : / À : / Objet :" blocks and quoted lines, and removes signatures ("-- ",
"Cordialement", …). What it leaves, phones' own signatures, is removed here. HTML-only mail is
turned into text first, without its scripts, styles or quoted history.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

TEXT_MAX_CHARS = 100_000  # read at most this much of a body: a reply is short, its history may not be
_PHONE_SIGNATURE = re.compile(
    r"\n\s*(?:envoy[ée] (?:de|depuis) mon \S+.*|sent from my \S+.*|provenance : \S+.*|get outlook for \S+.*)\s*$",
    re.IGNORECASE)


def new_text(body: str) -> str:
    """Only what the sender wrote this time."""
    from mailparser_reply import EmailReplyParser  # imported here: only the receive function reads replies

    text = body[:TEXT_MAX_CHARS].replace("\r\n", "\n").replace("\r", "\n")
    replies = EmailReplyParser(languages=["fr", "en"]).read(text).replies
    latest = replies[0].body if replies else text
    return _PHONE_SIGNATURE.sub("", "\n" + latest).strip()


# Containers of quoted history in HTML mail: Gmail, Apple Mail and Thunderbird (cite), Outlook.
_QUOTE_MARKERS = ("gmail_quote", "moz-cite-prefix", "divrplyfwdmsg", "yahoo_quoted", "protonmail_quote")
_BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "hr"}
_SKIPPED = {"script", "style", "head", "title", "template", "noscript", "svg", "iframe", "object"}


class _TextOfHtml(HTMLParser):
    """Text of HTML as a reader sees it; stops at the quoted history."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.quoted = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.quoted:
            return
        marks = " ".join(f"{name}={value or ''}" for name, value in attrs).lower()
        if (tag == "blockquote" and "cite" in marks) or any(marker in marks for marker in _QUOTE_MARKERS):
            self.quoted = True
            return
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED and self.skipping:
            self.skipping -= 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping and not self.quoted:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html[:TEXT_MAX_CHARS])
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
