"""Large exports under way: one item each, moved on by one request at a time (a lease with the
item's version as condition), so two pages polling the same export never write the same slice."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.data import keys, store
from chalicelib.data.models import ExportJob
from chalicelib.domain import clock, ids

KEPT_FOR = timedelta(days=1)
LEASE = timedelta(seconds=40)  # longer than a slice takes (API Gateway stops a request at 29 s)


def create(manager_id: str, kind: str, language: str, query: dict[str, str], now: datetime) -> ExportJob:
    job_id = ids.new_id()
    job = ExportJob(keys.export_pk(job_id), keys.EXPORT_SK, job_id=job_id, manager_id=manager_id, kind=kind,
                    language=language, query=query, status="running", created_at=clock.iso(now), expires=now + KEPT_FOR)
    job.save()
    return job


def find(job_id: str, manager_id: str) -> ExportJob | None:
    """The job, if it is this manager's (another's is as good as missing)."""
    if not ids.looks_valid(job_id):
        return None
    try:
        job = ExportJob.get(keys.export_pk(job_id), keys.EXPORT_SK, consistent_read=True)
    except ExportJob.DoesNotExist:
        return None
    return job if job.manager_id == manager_id else None


def claim(job: ExportJob, now: datetime) -> bool:
    """Takes the job for one slice; False when another request holds it or wrote meanwhile."""
    if job.status != "running" or (job.lease_until and job.lease_until > clock.iso(now)):
        return False
    job.lease_until = clock.iso(now + LEASE)
    return _saved(job)


def save_slice(job: ExportJob, **progress: Any) -> bool:
    """The slice's progress, and the lease given back (only if the job is still as claimed)."""
    for name, value in progress.items():
        setattr(job, name, value)
    job.lease_until = None
    return _saved(job)


def _saved(job: ExportJob) -> bool:
    try:
        job.save()  # the version attribute is the condition: still as read
    except PutError as exc:
        store.failed_conditions(exc)  # a busy table raises Busy
        return False
    return True
