"""French text marked for translation, as code hands it to pages and messages (pure: no catalog).

`N_("…")` marks a msgid for Babel's extraction (`make i18n`) without translating it; chalicelib.i18n
translates it where it is shown, in the reader's language.
"""

from __future__ import annotations

from typing import Any


class Text(str):
    """French text with its values filled in, as code hands it to a page (a form error, a notice):
    it reads as the French sentence, and keeps its msgid and values for `translate`."""

    msgid: str
    values: dict[str, Any]

    def __new__(cls, msgid: str, values: dict[str, Any]) -> Text:
        text = super().__new__(cls, msgid.format(**values))
        text.msgid, text.values = msgid, values
        return text

    def __reduce__(self) -> tuple[type[Text], tuple[str, dict[str, Any]]]:  # copies keep the msgid and values
        return Text, (self.msgid, self.values)


def N_(msgid: str, /, **values: Any) -> str:
    """Marks French text for extraction without translating it: it is translated where it is
    shown, in the reader's language. With values, the French reads filled in (see Text)."""
    return Text(msgid, values) if values else msgid
