"""Delivering the outbox: a new QR after a dose, the first QR after a registration.

    outbox row (same transaction as the dose) ──▶ Pusher: text in the chat's language, picture rendered
    off the event loop (once per credential) ──▶ the channel's deliverer ──▶ marked sent

A channel that keeps a transcript (the web chat) is delivered to by writing into it in the same transaction
that marks the row sent, so a push is delivered exactly once even if the process dies at any point. Other
channels register a deliverer that sends the message; the row is marked sent when it returns. A row whose
channel is not served by this process stays pending for the process that serves it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Connection

from bot import i18n
from bot.engine.storage import conversations
from bot.engine.store import Store, Unavailable
from bot.engine.types import Choice, Reply, reply_from_payload
from bot.services.campaign import announcements
from bot.services.certificates import credentials, qr_codes
from bot.services.certificates.credentials import Issued
from bot.services.certificates.qr_codes import QrImages
from bot.services.messaging import outbox
from bot.services.registration import appointments
from bot.services.vaccination import declared
from bot.services.values import payloads
from bot.services.values.dates import dmy

log = logging.getLogger(__name__)
REPORT_WAIT = timedelta(seconds=5)  # how often an announcement's report looks whether its batch is through
RECHECK_SENDING = timedelta(seconds=30)  # a kept answer its live process is still sending: looked at again

# Sends a reply to a chat id: False when the person blocked the bot; raises when it could not be sent.
Deliverer = Callable[[str, Reply], Awaitable[bool | None]]
Render = Callable[[Reply], dict[str, Any]]


class Pusher:
    def __init__(
        self, store: Store, qr: QrImages, transcripts: dict[str, Render], *,
        default_locale: str = i18n.DEFAULT_LOCALE, poll_seconds: float = 1.0, lock_rows: bool = False,
        process: str = "",
    ) -> None:
        self.store = store
        self.qr = qr
        self.default_locale = default_locale
        self.poll_seconds = poll_seconds
        self.transcripts = transcripts  # the engine's: channels whose messages are read back
        self.lock_rows = lock_rows
        self.process = process  # this process: the kept answers it is still sending are not recovered
        self.deliverers: dict[str, Deliverer] = {}
        self._wake = asyncio.Event()
        self._round = asyncio.Lock()  # one round at a time: two would deliver the same due items twice

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Unavailable:
                log.warning("push round skipped: the database is unreachable")
            except Exception:
                log.exception("push round failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()

    async def run_once(self) -> int:
        """Deliver what is due on the channels this process serves; return how many were delivered.

        Chats are served concurrently (the channel's pacer keeps the rates); one chat's pushes in order."""
        async with self._round:
            return await self._round_once()

    async def _round_once(self) -> int:
        items = await self.store.run(lambda conn: outbox.due(conn, 500))
        by_chat: dict[tuple[str, str], list[outbox.Item]] = {}
        for item in items:
            if item.channel in self.deliverers or item.channel in self.transcripts:
                by_chat.setdefault((item.channel, item.chat_id), []).append(item)
        gate = asyncio.Semaphore(64)

        async def one_chat(queue: list[outbox.Item]) -> int:
            async with gate:
                return sum([await self._deliver(item) for item in queue])

        return sum(await asyncio.gather(*(one_chat(queue) for queue in by_chat.values())))

    async def _deliver(self, item: outbox.Item) -> int:
        try:
            reply = await self._message(item)
            if reply is None:
                return 0
            render = self.transcripts.get(item.channel)
            if render is not None:
                await self.store.run(partial(self._into_transcript, item, render(reply)))
            else:
                delivered = await self.deliverers[item.channel](item.chat_id, reply)
                if delivered is False:
                    await self.store.run(lambda conn: outbox.mark_blocked(conn, item.id))
                    return 0
                # A sent SMS forgets its text (it carries a one-time code), a sent answer its words.
                await self.store.run(lambda conn: outbox.mark_sent(conn, item.id,
                                                                   forget=item.kind in ("sms", outbox.REPLY)))
            return 1
        except Exception:
            log.exception("push %d failed (channel=%s)", item.id, item.channel)
            await self.store.run(partial(outbox.retry_later, item=item, delay=timedelta(seconds=30)))
            return 0

    async def _message(self, item: outbox.Item) -> Reply | None:
        if item.kind == "sms":  # text made when queued (a one-time code): sent as it is
            return Reply(str(item.payload.get("text") or ""))
        if item.kind == outbox.REPLY:  # an answer whose process died (or gave up) before sending it
            if not await self.store.run(partial(self._recoverable, item)):
                return None
            return reply_from_payload(item.payload)
        if item.kind == "appointment":
            return await self._appointment(item)
        if item.kind == "reaction_check":  # the day after a dose: two answers, whatever the chat is doing
            locale = await self.store.run(partial(self._locale, item))
            dose = int(item.payload["dose_id"])
            choices = [Choice(i18n.t(locale, f"reaction.{label}"), payloads.REACTION.make(f"{answer}:{dose}"))
                       for label, answer in (("feel_ok", "ok"), ("feel_bad", "report"))]
            return Reply(i18n.t(locale, "push.reaction_check", name=str(item.payload.get("name") or ""),
                                date=str(item.payload.get("date") or "")), choices=choices, detached=True,
                         locale=locale)
        if item.kind == announcements.KIND:
            locale = await self.store.run(partial(self._locale, item))
            return Reply(i18n.t(locale, "push.announcement", text=str(item.payload.get("text") or "")), locale=locale)
        if item.kind == announcements.REPORT:
            return await self._report(item)
        if item.kind == "notice":  # a catalog message, in the chat's language when it is sent
            locale = await self.store.run(partial(self._locale, item))
            params = dict(item.payload.get("params") or {})
            # Words said in the reader's language (a vaccine, a session): kept as message keys until sent.
            params |= {name: ", ".join(i18n.t(locale, str(k)) for k in key) if isinstance(key, list)
                       else i18n.t(locale, str(key)) for name, key in (item.payload.get("keys") or {}).items()}
            return Reply(i18n.t(locale, str(item.payload["key"]), **params), locale=locale)

        def read(conn: Connection) -> tuple[str, Issued | None, int]:
            person_id = int(item.payload["person_id"])
            return self._locale(item, conn), credentials.current(conn, person_id), declared.awaiting(conn, person_id)

        locale, issued, waiting = await self.store.run(read)
        if issued is None:
            await self.store.run(lambda conn: outbox.mark_sent(conn, item.id))
            return None
        loop = asyncio.get_running_loop()
        token = await loop.run_in_executor(self.qr.threads, self.qr.ensure, issued, qr_codes.label(issued, locale),
                                           locale)
        if item.kind == "dose_qr":
            given = date.fromisoformat(str(item.payload["given_on"]))
            head = i18n.t(
                locale, "push.dose_recorded", name=issued.full_name, number=item.payload["dose_number"],
                vaccine=i18n.t(locale, f"vaccine.{item.payload['vaccine']}"), date=dmy(given),
            )
            if item.payload.get("next_due"):  # the course goes on: when the next dose is due
                head += "\n" + i18n.t(locale, "push.next_dose", number=item.payload["next_number"],
                                      date=dmy(date.fromisoformat(str(item.payload["next_due"]))))
        elif item.kind == "corrected_qr":  # after the notice saying what the site corrected
            head = i18n.t(locale, "push.corrected_qr", name=issued.full_name)
        else:
            head = i18n.t(locale, "push.registration_qr")
        return Reply(head + "\n\n" + qr_codes.caption(locale, issued, declared=waiting), image_key=token,
                     locale=locale)

    async def _appointment(self, item: outbox.Item) -> Reply | None:
        """A site's appointment (or its reminder), with its two answers; nothing once it is no longer open."""
        appointment_id = int(item.payload["appointment_id"])

        def read(conn: Connection) -> tuple[str, appointments.Notice | None]:
            return self._locale(item, conn), appointments.notice(conn, appointment_id)

        locale, found = await self.store.run(read)
        if found is None or found.state not in appointments.OPEN:
            await self.store.run(lambda conn: outbox.mark_sent(conn, item.id))
            return None
        key = "push.appointment_reminder" if item.payload.get("reminder") else "push.appointment"
        session = i18n.t(locale, f"session.{found.session}")
        text = i18n.t(locale, key, name=found.full_name, code=found.booking_code, site=found.site_name,
                      address=found.site_address, date=dmy(found.day), session=session)
        choices = [Choice(i18n.t(locale, f"appointment.{label}"), appointments.answer_payload(appointment_id,
                                                                                             coming=coming))
                   for label, coming in (("coming", True), ("not_coming", False))]
        return Reply(text, choices=choices, detached=True, locale=locale)

    async def _report(self, item: outbox.Item) -> Reply | None:
        """An announcement's delivery count, once every message of its batch is through."""
        batch = str(item.payload["batch"])

        def read(conn: Connection) -> tuple[str, dict[str, int]]:
            return self._locale(item, conn), announcements.progress(conn, batch)

        locale, counts = await self.store.run(read)
        if counts["pending"]:
            await self.store.run(lambda conn: outbox.postpone(conn, item.id, REPORT_WAIT))
            return None
        return Reply(i18n.t(locale, "push.announcement_report", total=int(item.payload.get("total", 0)), **counts),
                     locale=locale)

    def _recoverable(self, item: outbox.Item, conn: Connection) -> bool:
        """Whether to send a kept answer that is late. Not while its process is alive and still sending it (a
        long queue behind a messenger's limits is not a crash): it is looked at again later. Not once the
        conversation has moved on (the person wrote again and was answered, or its mark was lost after it went
        out): marked superseded. Otherwise it is the chat's latest answer, and lost: sent."""
        if outbox.still_sending(conn, item.id, self.process):
            outbox.postpone(conn, item.id, RECHECK_SENDING)
            return False
        key = conversations.conversation_key(item.channel, item.chat_id)
        current = conversations.load(conn, key, default_locale=self.default_locale, lock=False).version
        if current <= int(item.payload.get("version", current)):
            return True
        outbox.mark_superseded(conn, item.id)
        return False

    def _locale(self, item: outbox.Item, conn: Connection) -> str:
        key = conversations.conversation_key(item.channel, item.chat_id)
        return conversations.load(conn, key, default_locale=self.default_locale, lock=False).locale

    def _into_transcript(self, item: outbox.Item, payload: dict[str, Any], conn: Connection) -> None:
        if not outbox.still_pending(conn, item.id, lock=self.lock_rows):
            return  # another process delivered it
        key = conversations.conversation_key(item.channel, item.chat_id)
        conversations.append_messages(conn, key, [payload])
        outbox.mark_sent(conn, item.id)
