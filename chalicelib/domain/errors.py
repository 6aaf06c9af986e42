"""The exceptions that cross layers: raised by the domain, the data layer, the use cases or the AWS
adapters, and answered by the pages (chalicelib/web/). Each says what happened in the product's
terms, never which AWS call failed. Pure Python: every layer may import it.

Exceptions one module raises and catches itself stay in that module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.domain.lifecycle import Action, Actor, State


# -- a ticket and its form -------------------------------------------------------------------------

class NotFound(Exception):
    """No such ticket, contractor or manager."""


class Conflict(Exception):
    """Someone else changed the ticket first (optimistic locking): nothing was written."""


class AlreadySubmitted(Exception):
    """This exact form submission was already recorded (double click, retry)."""


class NotAllowed(Exception):
    """The action is not valid for this actor in this state (chalicelib/domain/lifecycle.py)."""

    def __init__(self, state: State, action: Action, actor: Actor) -> None:
        super().__init__(f"{actor} may not {action} a ticket in state {state}")
        self.state, self.action, self.actor = state, action, actor


class TooLateToReschedule(Exception):
    """The presence check was already sent: the contractor announces a delay instead."""


class TooSoon(Exception):
    """A manual reminder within the quiet interval after the last one; `next_at` says when the next may go."""

    def __init__(self, next_at: str) -> None:
        super().__init__(next_at)
        self.next_at = next_at


class ContractorUnavailable(Exception):
    """The chosen contractor is deactivated or cannot be reached on the chosen channels."""


class OwnerUnavailable(Exception):
    """The chosen manager does not exist, is deactivated, or already owns the ticket."""


class NotResendable(Exception):
    """Only a notification that failed for good can be sent again."""


class NothingChanged(Exception):
    """An edit of a sent request that holds the request as it is and no file: nothing to record or tell."""


class AbsenceLimited(Exception):
    """The occupant said "absent" too often or too soon after the last time: nothing recorded.
    `retry_at`: when the next one may be sent, an aware datetime (None: no more for this ticket)."""

    def __init__(self, retry_at: Any) -> None:
        super().__init__(retry_at)
        self.retry_at = retry_at


# -- what people send ------------------------------------------------------------------------------

class InvalidContact(ValueError):
    """A phone number or an email address that cannot be used; the message says why (French msgid)."""


class FileRejected(Exception):
    """A file that cannot be accepted; the message names the file and says why (French msgid)."""

    status = 400

    def __init__(self, name: str, reason: str, key: str = "") -> None:
        super().__init__(f"{name}: {reason}")
        self.name, self.reason, self.key = name, reason, key


class TooManyUploads(FileRejected):
    status = 429


class Unreadable(Exception):
    """A received email refused before reading: too large, too many parts, nested too deep (`reason`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MessageRejected(Exception):
    """Field errors (French msgids) and files refused, each named; nothing was recorded."""

    def __init__(self, errors: dict[str, str], files: list[FileRejected] | None = None) -> None:
        super().__init__(errors)
        self.errors, self.files = errors, files or []


# -- links and sign-in ----------------------------------------------------------------------------

class LinkNotFound(Exception):
    """Malformed, unknown, or for another ticket: 404, with nothing said about why."""


class LinkGone(Exception):
    """Revoked, or the ticket ended long enough ago: 410 (in the language of the ticket's contractor)."""

    def __init__(self, language: str = "fr") -> None:
        super().__init__(language)
        self.language = language


class LoginLinkInvalid(Exception):
    """Unknown, already used or expired login link."""


# -- the directory ---------------------------------------------------------------------------------

class Duplicate(Exception):
    """Some contacts are already someone else's: field name ("phone", "email") → the holder's id."""

    def __init__(self, holders: dict[str, str]) -> None:
        super().__init__(", ".join(sorted(holders)))
        self.holders = holders


class Changed(Exception):
    """The profile changed between reading it and saving it: nothing was saved."""


class AlreadyExists(Exception):
    """A profile with this id is already saved: the same form was sent twice."""


class NotAdministrateur(Exception):
    """Whoever asked is no longer an active administrateur (changed meanwhile): nothing was saved."""


class Busy(Exception):
    """DynamoDB refused a write (or, failing inside, did not confirm it), and not because of anyone's
    change: throttled, busy with another transaction on the same items, or an internal error. People
    get a "try again in a moment" page (web/http.py); a Lambda function fails and is invoked again.
    Either way the same write comes again, which the conditions and submission ids make harmless."""
