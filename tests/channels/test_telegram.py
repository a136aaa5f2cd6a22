"""Telegram through a fake Bot API server over real HTTP, on both runtimes (aiogram and python-telegram-bot)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web

from bot.app import App
from bot.channels.pacing import Pacer
from bot.channels.telegram.api import TelegramApi
from bot.channels.telegram.core import CAPABILITIES as TELEGRAM
from bot.channels.telegram.core import Sender, TelegramChannel, incoming
from bot.channels.telegram.runtime import make_api
from bot.engine.types import Reply
from bot.services.access import staff
from bot.services.vaccination import doses
from bot.services.values.dates import FixedClock, use_clock
from bot.services.values.phones import parse_mobile
from handlers.registration import DETAILS
from tests.fakes.telegram_api import FakeTelegram, WebPolicy
from tests.helpers import PASSWORD, payload_of, photographed_qr, read_sms
from tests.scripts import Button, details, in_order

SECRET = "webhook-secret-for-tests"
RUNTIMES = ["aiogram", "ptb"]


@dataclass
class Harness:
    fake: FakeTelegram
    channel: TelegramChannel
    app: App
    chat: int = 5001

    async def say(self, text: str) -> dict[str, Any]:
        update, status = await self.fake.deliver(self.fake.text(self.chat, text))
        assert status == 200
        return update

    async def press(self, label_or_data: str) -> None:
        for label, data in self.fake.buttons(self.chat):
            if payload_of(data) == label_or_data or label_or_data in label:
                _, status = await self.fake.deliver(self.fake.press(self.chat, data))
                assert status == 200
                return
        raise AssertionError(f"no button {label_or_data!r} in {self.fake.buttons(self.chat)}")

    @property
    def last_text(self) -> str:
        return self.fake.texts(self.chat)[-1]


async def _serve(channel: TelegramChannel) -> tuple[web.AppRunner, str]:
    app = web.Application()
    channel.webhook_route(app, "/telegram/webhook", SECRET)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/telegram/webhook"


@pytest.fixture(params=RUNTIMES)
async def tg(request: pytest.FixtureRequest, sqlite_app: App) -> AsyncIterator[Harness]:
    fake = FakeTelegram()
    await fake.start()
    api = make_api(request.param, fake.token, fake.base_url)
    await api.start()
    media = sqlite_app.engine.services.qr.media
    channel = TelegramChannel(api, sqlite_app.engine, Sender(api, Pacer(1000, 1000), media,
                                                             files=sqlite_app.engine.services.files))
    sqlite_app.pusher.deliverers["telegram"] = channel.deliver_push
    runner, url = await _serve(channel)
    await api.set_webhook(url, SECRET)
    yield Harness(fake, channel, sqlite_app)
    await runner.cleanup()
    await api.close()
    await fake.stop()


async def _signup(h: Harness) -> None:
    await h.say("/start")
    await h.press("signup")
    await h.say("Phan Văn Tài")
    assert "Số điện thoại" in h.last_text
    markup = h.fake.last(h.chat)["reply_markup"]
    assert markup["keyboard"][0][0]["request_contact"] is True  # the contact button
    await h.fake.deliver(h.fake.contact(h.chat, "+84987654321", own=False))
    assert "số của người khác" in h.last_text
    await h.fake.deliver(h.fake.contact(h.chat, "+84912345678", own=True))
    assert "đặt mật khẩu" in h.last_text
    for _ in range(2):
        update = await h.say(PASSWORD)
        assert (h.chat, update["message"]["message_id"]) in h.fake.deleted  # the password is removed
    assert "Tạo tài khoản thành công" in "\n".join(h.fake.texts(h.chat)[-2:])


async def _register(h: Harness) -> str:
    await h.press("Đăng ký tiêm chủng")
    for _, answer in in_order(details(), DETAILS):  # one's own phone is the account's: not asked
        if isinstance(answer, Button):
            await h.press(answer.payload)
        else:
            await h.say(answer)
    await h.say("ko")  # the history checklist: "ko" is "Không có mục nào"
    assert "kiểm tra lại thông tin" in h.last_text
    for payload in ("ok", "tick", "confirm"):
        await h.press(payload)
    code = re.search(r"Mã đặt tiêm: (\d{16})", "\n".join(h.fake.texts(h.chat)[-3:]))
    assert code
    return code.group(1)


async def test_full_registration_ends_with_the_qr_photo(tg: Harness) -> None:
    await _signup(tg)
    code = await _register(tg)
    assert await tg.app.pusher.run_once() == 1
    photo = tg.fake.last(tg.chat)
    assert photo["photo"] and "Mã QR của Nguyễn Văn An" in photo["caption"]
    uploads = [p for name, p in tg.fake.calls if name == "sendPhoto"]
    assert isinstance(uploads[-1]["photo"], bytes)
    await tg.press("certificate")  # one person: the QR at once
    resent = [p for name, p in tg.fake.calls if name == "sendPhoto"][-1]
    assert resent["photo"] == photo["photo"][0]["file_id"]  # uploaded once, then sent by file_id
    key = tg.app.engine.services.signing_key
    await tg.app.store.run(lambda conn: doses.record(conn, key, booking_code=code, vaccine="janssen", lot="J1",
                                                     given_on=date.today()))
    assert await tg.app.pusher.run_once() == 1
    pushed = tg.fake.last(tg.chat)
    assert pushed["photo"] and "ghi nhận mũi 1 (Janssen)" in pushed["caption"]
    assert "đã tiêm đủ liều" in pushed["caption"]


async def test_buttons_carry_codes_and_stickers_are_answered(tg: Harness) -> None:
    await tg.say("/start")
    assert [payload_of(data) for _, data in tg.fake.buttons(tg.chat)] == ["signup", "login", "forgot", "language"]
    await tg.fake.deliver(tg.fake.sticker(tg.chat))
    assert "chỉ đọc được tin nhắn chữ" in tg.last_text
    await tg.fake.deliver(tg.fake.photo(tg.chat))
    assert "chỉ đọc được tin nhắn chữ" in tg.last_text
    await tg.say("2")
    assert "Số điện thoại của tài khoản" in tg.last_text


async def test_a_one_message_answer_rides_in_the_webhook_response(tg: Harness) -> None:
    """The greeting and the menu come as one message with the menu's buttons, and Telegram sends it from the
    webhook's answer: the bot makes no request of its own, so nothing waits for one."""
    await tg.say("/start")
    (answer,) = tg.fake.sent[tg.chat]
    assert answer["text"].startswith("Xin chào Anh/Chị") and "Anh/Chị muốn làm gì?" in answer["text"]
    assert [payload_of(data) for _, data in tg.fake.buttons(tg.chat)] == ["signup", "login", "forgot", "language"]
    assert tg.fake.answered_in_webhook == 1 and tg.fake.count("sendMessage") == 1
    await tg.press("signup")
    assert "Họ và tên" in tg.last_text and tg.fake.answered_in_webhook == 2


async def test_webhook_rejects_a_wrong_secret_and_applies_a_repeat_once(tg: Harness) -> None:
    before = len(tg.fake.sent[tg.chat])
    _, status = await tg.fake.deliver(tg.fake.text(tg.chat, "/start"), secret="wrong")
    assert status == 401
    _, status = await tg.fake.deliver(tg.fake.text(tg.chat, "/start"), secret=None)
    assert status == 401
    assert len(tg.fake.sent[tg.chat]) == before
    update, _ = await tg.fake.deliver(tg.fake.text(tg.chat, "/start"))
    after_first = len(tg.fake.sent[tg.chat])
    assert after_first > before
    content = {k: v for k, v in update.items() if k != "update_id"}
    _, status = await tg.fake.deliver(content, update_id=update["update_id"])
    assert status == 200 and len(tg.fake.sent[tg.chat]) == after_first


@asynccontextmanager
async def connected(runtime: str, limits: WebPolicy | None = None) -> AsyncIterator[tuple[FakeTelegram, TelegramApi]]:
    """A fake Bot API and a runtime's client connected to it."""
    fake = FakeTelegram(limits=limits)
    await fake.start()
    api = make_api(runtime, fake.token, fake.base_url)
    await api.start()
    try:
        yield fake, api
    finally:
        await api.close()
        await fake.stop()


@pytest.mark.parametrize("runtime", RUNTIMES)
async def test_long_polling_answers(runtime: str, sqlite_app: App) -> None:
    async with connected(runtime) as (fake, api):
        channel = TelegramChannel(api, sqlite_app.engine, Sender(api, Pacer(), sqlite_app.engine.services.qr.media))
        await channel.setup_commands()
        polling = asyncio.create_task(channel.poll())
        try:
            await fake.deliver(fake.text(7001, "/start"))
            for _ in range(200):  # waiting for the bot's answer to arrive, bounded
                if fake.sent[7001]:
                    break
                await asyncio.sleep(0.05)
        finally:
            polling.cancel()
    (answer,) = fake.texts(7001)  # the greeting and the menu in one message
    assert answer.startswith("Xin chào Anh/Chị") and "Anh/Chị muốn làm gì?" in answer
    assert fake.count("setMyCommands") == 3 and fake.count("deleteWebhook") == 1


@pytest.mark.parametrize(("runtime", "burst"), [(r, b) for r in RUNTIMES for b in (1, 3)])
async def test_pacing_500_pushes_to_100_chats(runtime: str, burst: int, sqlite_app: App) -> None:
    # Telegram's 1/s per chat and 30/s, scaled; with a burst of 3 a reply's messages go out together.
    limits = WebPolicy(per_chat_per_second=10, global_per_second=100, per_chat_burst=burst)
    async with connected(runtime, limits) as (fake, api):
        pacer = Pacer(limits.global_per_second, limits.per_chat_per_second, burst)
        sender = Sender(api, pacer, sqlite_app.engine.services.qr.media)
        fake.blocked_by_user.add(9099)
        results = await asyncio.gather(*(sender.send(9000 + i % 100, Reply(f"push {i}")) for i in range(500)))
    delivered = [t for chat in range(9000, 9100) for t in fake.texts(chat)]
    assert sorted(delivered) == sorted(f"push {i}" for i in range(500) if 9000 + i % 100 != 9099)
    assert results.count(False) == 5 and 9099 in sender.blocked  # a user who blocked the bot is skipped
    assert fake.ignored_retry_after == 0


@pytest.mark.parametrize("runtime", RUNTIMES)
async def test_a_429_is_obeyed_and_nothing_is_lost(runtime: str, sqlite_app: App) -> None:
    async with connected(runtime) as (fake, api):
        sender = Sender(api, Pacer(1000, 1000), sqlite_app.engine.services.qr.media)
        fake.throttle_next(1)
        results = await asyncio.gather(*(sender.send(8000 + i, Reply(f"m{i}")) for i in range(3)))
    assert results == [True, True, True] and fake.too_many == 1 and fake.ignored_retry_after == 0
    assert sorted(t for i in range(3) for t in fake.texts(8000 + i)) == ["m0", "m1", "m2"]


async def _staff_chat(tg: Harness, chat: int, phone: str, role: str, site: str | None) -> Harness:
    officer = Harness(tg.fake, tg.channel, tg.app, chat=chat)
    await officer.say("/start")
    await officer.press("signup")
    for text in ("Phạm Bến Thành", phone):
        await officer.say(text)
    await officer.say(await read_sms(tg.app.engine, phone))  # a typed number is proven by the SMS code
    for text in (PASSWORD, PASSWORD):
        await officer.say(text)
    await tg.app.store.run(lambda conn: staff.add(conn, phone=parse_mobile(phone), role=role, site_code=site))
    return officer


async def test_staff_commands_on_telegram_and_a_photographed_qr_fetched_with_getfile(tg: Harness) -> None:
    await _signup(tg)
    await _register(tg)
    await tg.say("/khonglenhnay")
    unknown = tg.last_text
    await tg.say("/tra 001090123456")
    assert tg.last_text == unknown  # a citizen: exactly the unknown command's reply
    officer = await _staff_chat(tg, 6001, "0901000003", staff.SITE_STAFF, "HCM-BT-01")
    await officer.say("/tra 001090123456")
    assert any("Phan Văn Tài" in t or "Nguyễn Văn An" in t for t in tg.fake.texts(6001)[-4:])
    jpeg, thumbnail = photographed_qr(tg.app, 1), photographed_qr(tg.app, 1, width=90)
    await officer.say("/xacminh")
    _, status = await tg.fake.deliver(tg.fake.photo(6001, thumbnail, jpeg))
    assert status == 200
    assert "✅ HỢP LỆ" in tg.fake.texts(6001)[-2] or "✅ HỢP LỆ" in tg.fake.texts(6001)[-1]
    assert any(name == "getFile" for name, _ in tg.fake.calls)


async def test_a_site_file_sent_as_a_document_is_imported_and_the_report_comes_back_as_one(tg: Harness) -> None:
    await _signup(tg)
    await _register(tg)
    officer = await _staff_chat(tg, 6002, "0901000005", staff.SITE_STAFF, "HCM-BT-01")
    await officer.say("/nhap")
    rows = ["Họ và tên,Ngày sinh,Giới tính,Số CCCD,Số điện thoại,Vắc xin,Số lô,Ngày tiêm,Mũi số",
            f"Nguyễn Văn An,01/07/1990,Nam,001090123456,,Moderna,M1,{(date.today()).strftime('%d/%m/%Y')},1",
            "Ai Đó,01/01/1980,Nam,001080000001,,Moderna,M1,30/02/2021,1"]
    _, status = await tg.fake.deliver(tg.fake.document(6002, "\r\n".join(rows).encode(), "tiem-chung.csv"))
    assert status == 200
    assert any(name == "getFile" for name, _ in tg.fake.calls)
    [report] = [m for m in tg.fake.sent[6002] if "document" in m]
    assert "Đã đọc 2 dòng: 1 mũi được ghi nhận" in report["caption"]
    assert report["document"]["file_name"].endswith(".csv")
    assert "ngày tiêm không hợp lệ" in tg.fake.files[report["document"]["file_id"]].decode("utf-8-sig")
    assert await tg.app.pusher.run_once() >= 1
    assert "ghi nhận mũi 1 (Moderna (Spikevax))" in tg.fake.last(tg.chat)["caption"]


@dataclass
class KeptAnswers:
    """A Telegram channel whose answers are kept until sent, on a clock the test moves."""

    fake: FakeTelegram
    channel: TelegramChannel
    clock: FixedClock

    async def crash_after_commit(self, app: App, update: dict[str, Any]) -> list[int]:
        """Apply ``update`` and send nothing, as a process that died right after the commit; its kept answers."""
        parsed = incoming(update)
        assert parsed is not None
        return (await app.engine.handle(parsed[0], TELEGRAM)).queued


@asynccontextmanager
async def keeping_answers(app: App) -> AsyncIterator[KeptAnswers]:
    clock = FixedClock(datetime.now(UTC))
    previous = use_clock(clock)
    try:
        async with connected("aiogram") as (fake, api):
            channel = TelegramChannel(api, app.engine, Sender(api, Pacer(1000, 1000), app.engine.services.qr.media))
            app.pusher.deliverers["telegram"] = channel.deliver_push
            app.engine.keep_replies("telegram")
            yield KeptAnswers(fake, channel, clock)
    finally:
        use_clock(previous)


async def test_a_redelivered_update_carries_the_answers_its_dead_process_kept(sqlite_app: App) -> None:
    """The process that applied an update died before answering; Telegram delivers the update again (to the process
    that runs now): the person gets those answers with it, at once and once — not 30 s later from the pusher, by
    when they may have typed on and the answers would never come."""
    async with keeping_answers(sqlite_app) as kept:
        fake, channel = kept.fake, kept.channel
        update = {"update_id": 5151, **fake.text(7400, "/start")}
        assert await kept.crash_after_commit(sqlite_app, update)
        sqlite_app.engine.process = sqlite_app.pusher.process = "a-restarted-process"
        await channel.handle_update(update)  # the redelivery
        sent = fake.texts(7400)
        assert sent and "Anh/Chị muốn làm gì?" in sent[-1] and fake.buttons(7400)
        await channel.handle_update(update)  # and again (Telegram retries a slow answer): nothing more
        await sqlite_app.engine.flush_replies_sent()
        kept.clock.advance(timedelta(seconds=61))
        assert await sqlite_app.pusher.run_once() == 0  # not sent again later either
        assert fake.texts(7400) == sent


async def test_an_answer_lost_with_its_process_is_sent_later_and_a_sent_one_never_again(sqlite_app: App) -> None:
    """An update committed, then its answer does not go out: a redelivery while that process still runs is a
    duplicate (applied once, no answer: the process may still be sending it), and once the answer is overdue and
    its process gone, the pusher sends it. An answer that did go out is never sent again."""
    import json
    from functools import partial

    from sqlalchemy import text

    from bot.app import housekeeping

    async with keeping_answers(sqlite_app) as kept:
        fake, channel, clock = kept.fake, kept.channel, kept.clock
        update = {"update_id": 4242, **fake.text(7300, "/start")}
        assert await kept.crash_after_commit(sqlite_app, update) and not fake.sent[7300]
        await channel.handle_update(update)  # the redelivery
        assert not fake.sent[7300] and await sqlite_app.pusher.run_once() == 0  # not overdue yet
        clock.advance(timedelta(seconds=31))
        # Overdue, but its process is alive: it may still be sending it (a queue behind Telegram's limits
        # is not a crash), so it is left to that process.
        assert await sqlite_app.pusher.run_once() == 0
        sqlite_app.pusher.process = "a-restarted-process"  # the process is gone; a new one runs the pusher
        clock.advance(timedelta(seconds=31))
        assert await sqlite_app.pusher.run_once() == 2  # the greeting and the menu, once
        assert "Anh/Chị muốn làm gì?" in fake.texts(7300)[-1] and fake.buttons(7300)

        await channel.handle_update({"update_id": 4243, **fake.text(7301, "/start")})  # sent at once
        assert len(fake.sent[7301]) == 1
        await sqlite_app.engine.flush_replies_sent()  # within a second, or with the next event
        # A lost answer whose person has written again since: the newer answer stands, the lost one is
        # never sent late (it would ask a question already past).
        await kept.crash_after_commit(sqlite_app, {"update_id": 4244, **fake.text(7302, "/start")})
        await channel.handle_update({"update_id": 4245, **fake.text(7302, "/start")})  # no answer came: again
        answered = fake.texts(7302)
        assert len(answered) == 1 and "Anh/Chị muốn làm gì?" in answered[0]
        await sqlite_app.engine.flush_replies_sent()
        clock.advance(timedelta(seconds=31))
        assert await sqlite_app.pusher.run_once() == 0
        assert len(fake.sent[7301]) == 1 and fake.texts(7302) == answered

        rows = await sqlite_app.store.run(lambda conn: conn.execute(text(
            "SELECT state, payload FROM outbox WHERE kind = 'reply'")).all())
        assert rows and all(state in ("sent", "superseded") and json.loads(payload) == {}
                            for state, payload in rows)
        clock.advance(timedelta(days=1, minutes=1))
        await sqlite_app.store.run(partial(housekeeping, draft_ttl=timedelta(days=7)))
        left = await sqlite_app.store.run(lambda conn: conn.execute(text(
            "SELECT count(*) FROM outbox WHERE kind = 'reply'")).scalar_one())
        assert left == 0  # delivered answers do not stay on disk
