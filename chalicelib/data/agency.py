"""The agency profile in force. For now the deployment's settings; later the profile a manager edits."""

from __future__ import annotations

from chalicelib.config import settings
from chalicelib.domain.agency import Agency


def current() -> Agency:
    return settings().agency
