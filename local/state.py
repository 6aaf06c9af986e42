"""What `make run` keeps under .local/ between runs, and how it comes back.

- `table.json`: every item of the table, written by the stand-in itself, replaced atomically.
- `files/` and `files.json`: every S3 object version (delete markers included), each body
  saved once; the manifest is replaced atomically after the bodies it names are on disk.
- `sent.jsonl`: the SMS and emails sent, appended as they come (a line cut by a crash is skipped).
- Timers are not saved: a start re-creates each ticket's schedules from the ticket itself
  (`planning.wanted`), as the product derives them after every change.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import boto3


@contextmanager
def write_atomically(path: Path | str) -> Iterator[BinaryIO]:
    """A reader (or the next start after a crash) sees the old file or the new one, never half."""
    final = Path(path)
    temporary = final.with_name(f".{final.name}.tmp")
    with open(temporary, "wb") as handle:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, final)


def _write(path: Path, data: bytes) -> None:
    with write_atomically(path) as handle:
        handle.write(data)


class LocalState:
    def __init__(self, directory: Path, table: str, endpoint: str) -> None:
        self.directory = directory
        self.table = table
        self.endpoint = endpoint.rstrip("/")
        self._messages_saved = 0
        self._aws = boto3.session.Session()  # its own: the saver runs in a thread of its own
        (directory / "files").mkdir(parents=True, exist_ok=True)

    # -- saving ------------------------------------------------------------------------------------

    def save(self) -> None:
        self.save_table()
        self.save_files()
        self.save_messages()

    def save_table(self) -> None:
        """The stand-in writes it (local/moto_extensions.py): a Scan would cost moto O(table) per page."""
        self._moto_api(f"save-table?name={self.table}", b"")

    def save_files(self) -> None:
        s3 = self._aws.client("s3")
        known = {self._identity(entry): entry for entry in self._manifest()}
        manifest: list[dict[str, Any]] = []
        for bucket in (b["Name"] for b in s3.list_buckets().get("Buckets", [])):
            versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status", "")
            for entry in self._listing(s3, bucket, versioning):
                saved = known.get(self._identity(entry))
                if not entry["delete_marker"]:
                    entry.update({k: saved[k] for k in ("file", "content_type", "metadata")} if saved
                                 else self._download(s3, entry))
                manifest.append(entry)
        _write(self.directory / "files.json", json.dumps(manifest).encode())
        wanted = {entry.get("file") for entry in manifest}
        for path in (self.directory / "files").iterdir():
            if path.name not in wanted:  # an overwritten or deleted object, once the manifest forgot it
                path.unlink(missing_ok=True)

    def save_messages(self) -> None:
        page = self._moto_api(f"messages?after={self._messages_saved}")
        if page["messages"]:
            with open(self.directory / "sent.jsonl", "a", encoding="utf-8") as handle:
                handle.writelines(json.dumps(m, ensure_ascii=False) + "\n" for m in page["messages"])
                handle.flush()
                os.fsync(handle.fileno())
        self._messages_saved += len(page["messages"])

    @staticmethod
    def _identity(entry: dict[str, Any]) -> str:
        return json.dumps([entry["bucket"], entry["key"], entry["version_id"], entry.get("etag", ""),
                           entry["delete_marker"]])

    @staticmethod
    def _listing(s3: Any, bucket: str, versioning: str) -> Iterator[dict[str, Any]]:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for marker in page.get("DeleteMarkers", []):
                yield {"bucket": bucket, "versioning": versioning, "key": marker["Key"], "version_id": marker["VersionId"],
                       "delete_marker": True, "modified": marker["LastModified"].isoformat(), "latest": marker["IsLatest"]}
            for version in page.get("Versions", []):
                yield {"bucket": bucket, "versioning": versioning, "key": version["Key"],
                       "version_id": version["VersionId"], "etag": version["ETag"], "delete_marker": False,
                       "modified": version["LastModified"].isoformat(), "latest": version["IsLatest"]}

    def _download(self, s3: Any, entry: dict[str, Any]) -> dict[str, Any]:
        version = {"VersionId": entry["version_id"]} if entry["version_id"] != "null" else {}
        response = s3.get_object(Bucket=entry["bucket"], Key=entry["key"], **version)
        name = hashlib.sha256(self._identity(entry).encode()).hexdigest()
        _write(self.directory / "files" / name, response["Body"].read())
        return {"file": name, "content_type": response.get("ContentType", ""), "metadata": response.get("Metadata", {})}

    def _manifest(self) -> list[dict[str, Any]]:
        path = self.directory / "files.json"
        return list(json.loads(path.read_text())) if path.exists() else []

    def _moto_api(self, path: str, body: bytes | None = None) -> dict[str, Any]:
        url, method = f"{self.endpoint}/moto-api/relais/{path}", "POST" if body is not None else "GET"
        request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - loopback only
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback only
            return dict(json.load(response))

    # -- restoring ---------------------------------------------------------------------------------

    def restore(self) -> bool:
        """Puts back what the last run saved; False on a first run (nothing saved yet)."""
        if not (self.directory / "table.json").exists():
            return False
        self.restore_table()
        self.restore_files()
        self.restore_messages()
        return True

    def restore_table(self) -> None:
        items = json.loads((self.directory / "table.json").read_text())
        client = self._aws.client("dynamodb")
        for start in range(0, len(items), 25):
            batch = [{"PutRequest": {"Item": item}} for item in items[start:start + 25]]
            client.batch_write_item(RequestItems={self.table: batch})

    def restore_files(self) -> None:
        s3 = self._aws.client("s3")
        entries = self._manifest()
        for bucket in {entry["bucket"] for entry in entries}:
            try:
                s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": s3.meta.region_name})
            except s3.exceptions.ClientError:  # already there (created by local/resources.py)
                pass
        for bucket, versioning in {(entry["bucket"], entry["versioning"]) for entry in entries if entry["versioning"]}:
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": versioning})
        # Oldest first, so the current version (or delete marker) ends up the current one again.
        # S3 lists a key's versions newest first: in the same second, the one listed later is older.
        order = sorted(range(len(entries)), key=lambda i: (entries[i]["modified"], entries[i].get("latest", False), -i))
        for entry in (entries[i] for i in order):
            if entry["delete_marker"]:
                s3.delete_object(Bucket=entry["bucket"], Key=entry["key"])
                continue
            body = (self.directory / "files" / entry["file"]).read_bytes()
            s3.put_object(Bucket=entry["bucket"], Key=entry["key"], Body=body, Metadata=entry.get("metadata") or {},
                          **({"ContentType": entry["content_type"]} if entry.get("content_type") else {}))

    def restore_messages(self) -> None:
        legacy = self.directory / "sent.json"  # written by versions before the journal, newest first
        older = list(reversed(json.loads(legacy.read_text(encoding="utf-8")))) if legacy.exists() else []
        journal: list[dict[str, Any]] = []
        path = self.directory / "sent.jsonl"
        for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
            try:
                journal.append(json.loads(line))
            except ValueError:  # the last line, cut by a crash mid-write
                continue
        # Rewritten without a cut line, so the lines appended next start on a line of their own.
        _write(path, "".join(json.dumps(m, ensure_ascii=False) + "\n" for m in journal).encode())
        self._messages_saved = int(self._moto_api("messages", json.dumps(older + journal).encode())["total"])


def recreate_timers() -> int:
    """Places every schedule the tickets want now (those due during the stop fire at once)."""
    from chalicelib.aws.schedules import Scheduler
    from chalicelib.config import settings
    from chalicelib.data.models import DigestEntry, Ticket
    from chalicelib.outbox import alert_routing
    from chalicelib.usecases import planning

    scheduler, placed = Scheduler(), 0
    for ticket in Ticket.scan():
        for step, timer in planning.wanted(ticket, settings().timers).items():
            scheduler.place(planning.schedule_name(ticket.ticket_id, step), timer.at, timer.payload(ticket.ticket_id))
            placed += 1
    for manager_id in {entry.manager_id for entry in DigestEntry.scan()}:  # a morning digest is waiting for them
        alert_routing.place_digest_schedule(manager_id)
        placed += 1
    return placed
