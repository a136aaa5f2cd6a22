"""The picture of a credential: rendered once (CPU work, run by callers off the event loop), then cached."""

from __future__ import annotations

from bot import i18n
from bot.services import qr_image, vaccines
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


def label(issued: Issued) -> str:
    """The label printed on the picture: always Vietnamese, with the dose count."""
    return i18n.t("vi", vaccines.LOOKS[issued.level].label, doses=issued.dose_count)


def caption(locale: str, issued: Issued) -> str:
    """What the chat says under the picture, in the chat's language."""
    status = i18n.t(locale, f"qr.status_{issued.level}", doses=issued.dose_count)
    frame = i18n.t(locale, f"qr.frame_{issued.level}")
    return i18n.t(locale, "qr.caption", name=issued.full_name, frame=frame, status=status)
