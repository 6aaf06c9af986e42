"""Settings read from the environment, once. The same code runs locally and in Lambda."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

from chalicelib.domain.agency import Agency


@dataclass(frozen=True)
class Cadence:
    """How fast one urgency level is chased: the contractor's reminder and the manager's alert after
    the request goes unanswered, and the wait after a presence check before the manager is told."""

    reminder_hours: float
    answer_alert_hours: float
    presence_grace_minutes: float
    quiet_nights: bool = True  # no SMS to the contractor from 20:00 to 08:00 Europe/Paris: timers move to 08:00


# Urgency levels as the request form names them (chalicelib/domain/forms.py URGENCIES).
DEFAULT_CADENCES = {
    "normal": Cadence(24, 48, 30),
    "urgent": Cadence(4, 8, 20),
    "emergency": Cadence(1, 2, 15, quiet_nights=False),
}


@dataclass(frozen=True)
class Timers:
    """Delays of the time-driven steps (all configurable per stage)."""

    cadences: dict[str, Cadence] = field(default_factory=lambda: dict(DEFAULT_CADENCES))
    completion_offer_hours: float = 4
    invoice_first_days: float = 2
    invoice_every_days: float = 7
    invoice_max_requests: int = 3
    night_starts: int = 20  # hours, Europe/Paris
    night_ends: int = 8

    def cadence(self, urgency: str | None) -> Cadence:
        """An unknown urgency (none is stored, but data outlives code) is chased as a normal one."""
        return self.cadences.get(urgency or "normal") or self.cadences["normal"]


@dataclass(frozen=True)
class Settings:
    stage: str
    table_name: str
    bucket_name: str
    base_url: str
    sender_email: str
    signing_key_parameter: str
    agency: Agency  # the default profile (chalicelib/data/agency.py reads the one in force)
    ses_configuration_set: str  # "" locally; in the cloud SES reports bounces and complaints through it
    link_lifetime_days_after_close: int
    notification_max_attempts: int
    notification_backoff_seconds: int
    wrong_link_limit: int
    wrong_link_window_seconds: int
    region: str
    files_endpoint: str  # what the S3 client is built on: a local stand-in's URL, else S3's regional endpoint
    upload_limit_at_once: int  # upload permissions one link (or manager) may hold alive at once
    upload_limit_per_hour: int
    schedule_group: str
    schedule_target_arn: str
    scheduler_role_arn: str
    scheduler_dlq_arn: str
    timers: Timers

    @property
    def is_local(self) -> bool:
        return self.stage == "local"

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def files_on_aws(self) -> bool:
        return self.files_endpoint == _regional_s3(self.region)

    @property
    def files_origin(self) -> str:
        """Where browsers upload and load files from: the host the S3 client presigns, hence what
        the CSP allows (and what the bucket's CORS answers). On AWS the bucket is in the regional
        host name: botocore's default, the global host, is not in the CSP and a new bucket answers
        it with redirects. A local stand-in takes the bucket in the path."""
        if self.files_on_aws:
            return f"https://{self.bucket_name}.{self.files_endpoint.removeprefix('https://')}"
        return self.files_endpoint


_LOCAL_ARN = "arn:aws:"
_LOCAL_REGION = "eu-west-3:123456789012"


@lru_cache(maxsize=1)
def settings() -> Settings:
    env = os.environ.get
    region = env("AWS_REGION") or env("AWS_DEFAULT_REGION") or "eu-west-3"  # Lambda sets AWS_REGION
    return Settings(
        stage=env("RELAIS_STAGE", "prod"),  # the dev pages exist only where "local" is said explicitly
        table_name=env("RELAIS_TABLE", "relais"),
        bucket_name=env("RELAIS_BUCKET", "relais-files"),
        base_url=env("RELAIS_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        sender_email=env("RELAIS_SENDER_EMAIL", "relais@example.com"),
        signing_key_parameter=env("RELAIS_SIGNING_KEY_PARAMETER", "/relais/local/signing-key"),
        agency=Agency(
            name=env("RELAIS_AGENCY_NAME") or "Gestion Démo",
            # RELAIS_SMS_SENDER_ID: what the stack's SmsSenderId parameter sets (infra/template.yml).
            sms_sender_id=env("RELAIS_AGENCY_SMS_SENDER_ID") or env("RELAIS_SMS_SENDER_ID") or "GESTDEMO",
            phone=env("RELAIS_AGENCY_PHONE", "+33 4 78 00 00 00"),
            postal_address=env("RELAIS_AGENCY_ADDRESS", "12 rue de la République, 69002 Lyon"),
            reply_domain=env("RELAIS_AGENCY_REPLY_DOMAIN", ""),
        ),
        ses_configuration_set=env("RELAIS_SES_CONFIGURATION_SET", ""),
        link_lifetime_days_after_close=int(env("RELAIS_LINK_DAYS_AFTER_CLOSE", "30")),
        notification_max_attempts=int(env("RELAIS_NOTIFICATION_MAX_ATTEMPTS", "5")),
        notification_backoff_seconds=int(env("RELAIS_NOTIFICATION_BACKOFF_SECONDS", "60")),
        wrong_link_limit=int(env("RELAIS_WRONG_LINK_LIMIT", "20")),
        wrong_link_window_seconds=int(env("RELAIS_WRONG_LINK_WINDOW_SECONDS", "600")),
        region=region,
        files_endpoint=(env("AWS_ENDPOINT_URL_S3") or env("AWS_ENDPOINT_URL") or _regional_s3(region)).rstrip("/"),
        upload_limit_at_once=int(env("RELAIS_UPLOAD_LIMIT_AT_ONCE", "20")),
        upload_limit_per_hour=int(env("RELAIS_UPLOAD_LIMIT_PER_HOUR", "60")),
        schedule_group=env("RELAIS_SCHEDULE_GROUP", "relais"),
        # Locally these name nothing real: the pump fires due schedules itself.
        schedule_target_arn=env("RELAIS_SCHEDULE_TARGET_ARN", f"{_LOCAL_ARN}lambda:{_LOCAL_REGION}:function:relais-fire"),
        scheduler_role_arn=env("RELAIS_SCHEDULER_ROLE_ARN", "arn:aws:iam::123456789012:role/relais-scheduler"),
        scheduler_dlq_arn=env("RELAIS_SCHEDULER_DLQ_ARN", f"{_LOCAL_ARN}sqs:{_LOCAL_REGION}:relais-scheduler-dlq"),
        timers=Timers(
            cadences={urgency: _cadence(env(f"RELAIS_CADENCE_{urgency.upper()}"), default)
                      for urgency, default in DEFAULT_CADENCES.items()},
            completion_offer_hours=float(env("RELAIS_COMPLETION_OFFER_HOURS", "4")),
            invoice_first_days=float(env("RELAIS_INVOICE_FIRST_DAYS", "2")),
            invoice_every_days=float(env("RELAIS_INVOICE_EVERY_DAYS", "7")),
            invoice_max_requests=int(env("RELAIS_INVOICE_MAX_REQUESTS", "3")),
        ),
    )


def _cadence(value: str | None, default: Cadence) -> Cadence:
    """`RELAIS_CADENCE_<URGENCY>="reminder hours,alert hours,presence grace minutes"`, e.g. "4,8,20"."""
    if not value:
        return default
    reminder, alert, grace = (float(part) for part in value.split(","))
    return Cadence(reminder, alert, grace, default.quiet_nights)


def _regional_s3(region: str) -> str:
    return f"https://s3.{region}.amazonaws.com"
