"""Routes the local stand-in adds to moto's own /moto-api/, read by the dev pages and the runner.

moto's /moto-api/data.json dumps every model it holds, the whole table included: seconds per
read after a few hundred tickets. These answer from the few objects asked for:

- `GET /moto-api/relais/messages?offset=0&limit=50`: the SMS and emails sent, newest first,
  with `total`; `?after=N` instead gives those after the first N, oldest first (the runner's
  incremental save). `POST` the same shape back to restore them after a restart.
- `GET /moto-api/relais/schedules?group=relais`: every schedule of a group with its time and
  input, in one call (the Scheduler API needs one GetSchedule per schedule).
- `POST /moto-api/relais/save-table?name=relais`: writes the table's items to
  `$RELAIS_LOCAL_DIR/table.json` (write, then rename), a few partitions at a time under the
  DynamoDB lock: a request waits for a few milliseconds at most, where a Scan costs moto
  O(table) per page, and no copy of the whole table is ever held in memory.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from typing import Any

# Every message sent, oldest first: {"id", "channel", "to", "subject", "body", "raw", "sent_at"}, and
# "reply_to" for an email sent with ReplyToAddresses (moto's SES model drops them).
_journal: list[dict[str, Any]] = []
_journal_lock = threading.Lock()
_applied = False


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _record(message: dict[str, Any]) -> None:
    with _journal_lock:
        _journal.append({"subject": "", "body": "", "raw": "", "sent_at": _now(), **message})


def _journal_sent_messages() -> None:
    from moto.ses.models import SESBackend
    from moto.sns.models import SNSBackend

    publish, send_email, send_raw_email = SNSBackend.publish, SESBackend.send_email, SESBackend.send_raw_email

    def journaled_publish(self: Any, *args: Any, **kwargs: Any) -> Any:
        message_id = publish(self, *args, **kwargs)
        if message_id in self.sms_messages:  # an SMS (not a topic message): by its own id, so two at once stay two
            phone, text = self.sms_messages[message_id]
            _record({"id": message_id, "channel": "sms", "to": phone, "body": text})
        return message_id

    def journaled_email(self: Any, *args: Any, **kwargs: Any) -> Any:
        message = send_email(self, *args, **kwargs)
        _record({"id": message.id, "channel": "email", "subject": message.subject, "body": message.body,
                 "to": ", ".join((message.destinations or {}).get("ToAddresses") or [])})
        return message

    def journaled_raw_email(self: Any, *args: Any, **kwargs: Any) -> Any:
        message = send_raw_email(self, *args, **kwargs)
        raw = message.raw_data
        _record({"id": message.id, "channel": "email", "raw": raw.decode(errors="replace") if isinstance(raw, bytes) else raw})
        return message

    _journal_reply_to()
    SNSBackend.publish = journaled_publish  # type: ignore[method-assign]
    SESBackend.send_email = journaled_email  # type: ignore[method-assign]
    SESBackend.send_raw_email = journaled_raw_email  # type: ignore[method-assign]


def _journal_reply_to() -> None:
    """SES v2's ReplyToAddresses, kept with the journaled message (the dev outbox answers to it)."""
    from moto.sesv2.responses import SESV2Response

    send_email = SESV2Response.send_email

    def journaled(self: Any) -> str:
        answer = send_email(self)
        reply_to = json.loads(self.body or "{}").get("ReplyToAddresses") or []
        message_id = json.loads(answer).get("MessageId")
        if reply_to:
            with _journal_lock:
                for message in reversed(_journal):
                    if message.get("id") == message_id:
                        message["reply_to"] = ", ".join(reply_to)
                        break
        return str(answer)

    SESV2Response.send_email = journaled  # type: ignore[method-assign]


def _json(status: int, body: Any) -> tuple[int, dict[str, str], str]:
    return status, {"Content-Type": "application/json"}, json.dumps(body, ensure_ascii=False)


def _number(request: Any, name: str, default: int) -> int:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else default


def messages(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    if request.method == "POST":
        restored = json.loads(request.get_data() or b"[]")
        with _journal_lock:
            known = {str(m.get("id")) for m in _journal}
            _journal[:0] = [m for m in restored if isinstance(m, dict) and str(m.get("id")) not in known]
        return _json(200, {"total": len(_journal)})
    with _journal_lock:
        total = len(_journal)
        if "after" in request.args:
            page = _journal[_number(request, "after", total):]
        else:
            end = max(total - _number(request, "offset", 0), 0)
            page = _journal[max(end - _number(request, "limit", 50), 0):end][::-1]
    return _json(200, {"total": total, "messages": page})


def schedules(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    from moto.scheduler.models import scheduler_backends

    wanted = request.args.get("group", "default")
    found = [{"name": s.name, "expression": s.schedule_expression, "timezone": s.schedule_expression_timezone,
              "input": s.target.get("Input") or "{}"}
             for account in list(scheduler_backends.values()) for backend in list(account.values())
             for group in list(backend.schedule_groups.values()) if group.name == wanted
             for s in list(group.schedules.values())]
    return _json(200, {"schedules": found})


SAVE_CHUNK = 200  # partitions serialised per hold of the DynamoDB lock


def save_table(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    from moto.dynamodb.models import dynamodb_backends

    from local.moto_patches import _lock
    from local.state import write_atomically

    directory, name = os.environ.get("RELAIS_LOCAL_DIR", ""), request.args.get("name", "")
    tables = [backend.tables[name] for account in list(dynamodb_backends.values())
              for backend in list(account.values()) if name in backend.tables]
    if not directory or not tables:
        return _json(404, {"error": f"no table {name!r} or RELAIS_LOCAL_DIR unset"})
    table, count = tables[0], 0
    path = os.path.join(directory, "table.json")
    with write_atomically(path) as out:
        out.write(b"[")
        with _lock:
            partitions = list(table.items)
        for start in range(0, len(partitions), SAVE_CHUNK):
            with _lock:  # each partition whole: a transaction on one ticket is in the file entirely or not at all
                chunk = [item.to_json()["Attributes"] for key in partitions[start:start + SAVE_CHUNK]
                         for item in _partition_items(table, key)]
            for item in chunk:
                out.write((b"," if count else b"") + json.dumps(item).encode())
                count += 1
        out.write(b"]")
    return _json(200, {"items": count})


def _partition_items(table: Any, key: Any) -> list[Any]:
    found = table.items.get(key)
    if found is None:
        return []
    return list(found.values()) if table.range_key_attr else [found]


def register() -> None:
    """Before the server builds its moto-api app (moto reads the paths when it does)."""
    global _applied
    if _applied:
        return
    from moto.moto_api._internal import urls
    from moto.moto_api._internal.models import MotoAPIBackend

    _journal_sent_messages()
    moto_reset = MotoAPIBackend.reset

    def reset(self: Any) -> None:
        moto_reset(self)
        with _journal_lock:
            _journal.clear()  # a fresh stand-in has sent nothing

    MotoAPIBackend.reset = reset  # type: ignore[method-assign]
    urls.url_paths["{0}/moto-api/relais/messages"] = messages
    urls.url_paths["{0}/moto-api/relais/schedules"] = schedules
    urls.url_paths["{0}/moto-api/relais/save-table"] = save_table
    _applied = True
