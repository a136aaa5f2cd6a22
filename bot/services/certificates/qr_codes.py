"""The picture of a credential: rendered once (CPU work, run off the event loop on the pictures' own threads),
then cached."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from bot import i18n
from bot.services.blobs.media import MediaStore
from bot.services.certificates import qr_image
from bot.services.certificates.credentials import Issued
from bot.services.reference import vaccines

Draw = Callable[..., bytes]  # qr_image.render's signature: (text, *, level, label, name) -> PNG bytes


class QrImages:
    def __init__(self, media: MediaStore, draw: Draw = qr_image.render, *, threads: int = 4) -> None:
        self.media = media
        self.draw = draw  # here, or in the drawing process (bot.services.certificates.drawing)
        # Threads of their own: a picture waiting for the drawing process must not hold up a password's hash.
        self.threads = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sskdt-pictures")

    def token(self, issued: Issued, locale: str = i18n.DEFAULT_LOCALE) -> str:
        return self.media.token(_key(issued.id, locale))

    def cached(self, issued: Issued, locale: str = i18n.DEFAULT_LOCALE) -> str | None:
        """The picture's token if it is drawn already (then kept as long as the message about to show it)."""
        token = self.token(issued, locale)
        return token if self.media.renew(token) else None

    def ensure(self, issued: Issued, label: str, locale: str = i18n.DEFAULT_LOCALE) -> str:
        """Render and store the picture (``label`` on it, for a chat in ``locale``) unless it exists; return its
        media token."""
        token = self.token(issued, locale)
        if not self.media.renew(token):  # drawn before: kept as long as this new message showing it
            self.media.put(token, self.draw(issued.text, level=issued.level, label=label, name=issued.full_name))
        return token

    def forget(self, credential_ids: list[str]) -> None:
        """The pictures of these credentials, removed (their person was deleted)."""
        for credential_id in credential_ids:
            for locale in i18n.LOCALES:
                self.media.remove(self.media.token(_key(credential_id, locale)))

    def close(self) -> None:
        self.threads.shutdown(wait=False, cancel_futures=True)
        self.media.close()


def _key(credential_id: str, locale: str) -> str:
    """A picture per credential, and one more per chat language other than Vietnamese (its label differs)."""
    return credential_id if locale == i18n.DEFAULT_LOCALE else f"{credential_id}:{locale}"


def label(issued: Issued, locale: str = i18n.DEFAULT_LOCALE) -> str:
    """The label printed on the picture, with the dose count: Vietnamese, which a checkpoint officer reads, and,
    for a chat in another language, that language on a second line ("CHƯA TIÊM" over "NOT VACCINATED")."""
    key = vaccines.LOOKS[issued.level].label
    said = i18n.t(i18n.DEFAULT_LOCALE, key, doses=issued.dose_count)
    if locale == i18n.DEFAULT_LOCALE or locale not in i18n.LOCALES:
        return said
    return f"{said}\n{i18n.t(locale, key, doses=issued.dose_count)}"


def caption(locale: str, issued: Issued, *, declared: int = 0) -> str:
    """What the chat says under the picture, in the chat's language; ``declared`` doses the person said they had
    are named as waiting for a site's confirmation (the picture does not count them yet)."""
    status = i18n.t(locale, f"qr.status_{issued.level}", doses=issued.dose_count)
    frame = i18n.t(locale, f"qr.frame_{issued.level}")
    said = i18n.t(locale, "qr.caption", name=issued.full_name, frame=frame, status=status)
    return said + ("\n" + i18n.t(locale, "qr.declared_waiting", count=declared) if declared else "")
