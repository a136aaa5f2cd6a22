"""The picture of a credential: rendered once (CPU work, run by callers off the event loop), then cached."""

from __future__ import annotations

from bot.services import qr_image
from bot.services.credentials import Issued
from bot.services.media import MediaStore


class QrImages:
    def __init__(self, media: MediaStore) -> None:
        self.media = media

    def token(self, issued: Issued) -> str:
        return self.media.token(issued.id)

    def cached(self, issued: Issued) -> str | None:
        token = self.token(issued)
        return token if self.media.path(token) and self.media.get(token) is not None else None

    def ensure(self, issued: Issued, label: str) -> str:
        """Render and store the picture unless it exists; return its media token."""
        token = self.token(issued)
        path = self.media.path(token)
        if path is None or not path.exists():
            self.media.put(token, qr_image.render(issued.text, level=issued.level, label=label, name=issued.full_name))
        return token
