"""Webhook secrets: from the settings, or generated once into the data directory (owner-only)."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path

from bot.config import Settings


def webhook_secret(settings: Settings, channel: str, configured: str) -> str:
    if configured:
        return configured
    path = Path(settings.data_dir) / "secrets" / f"{channel}-webhook.secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def header_matches(given: str, secret: str) -> bool:
    """A webhook's secret header against ours: compared as bytes, in constant time, before the body is read (a
    header of any encoding is just a wrong secret)."""
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), secret.encode())
