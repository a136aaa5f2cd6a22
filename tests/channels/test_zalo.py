"""Zalo through a fake Zalo Bot API over real HTTP: numbered menus, passwords on the one-time page, pictures
fetched by the platform from our expiring URLs, linking by code, webhook and polling."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import aiohttp
import pytest
import zxingcpp
from aiohttp import web
from PIL import Image

from bot.app import App, build
from bot.channels.webchat.transcript import CHANNEL as WEB_CHANNEL
from bot.channels.zalo import runtime
from bot.channels.zalo.api import ZaloApi
from bot.channels.zalo.core import ZaloChannel
from bot.channels.zalo.text import messages, split
from bot.engine import Choice, Reply
from bot.engine.storage import conversations
from bot.services.access import staff
from bot.services.certificates import credentials
from bot.services.certificates.qr_reader import QR_ONLY
from bot.services.vaccination import doses
from bot.services.values.dates import FixedClock, now, use_clock
from bot.services.values.phones import parse_mobile
from handlers.registration import DETAILS
from tests.conftest import cheap_settings
from tests.fakes.zalo_api import FakeZalo, Limits
from tests.helpers import (
    PASSWORD,
    Chat,
    answer_form,
    free_port,
    photographed_qr,
    read_sms,
    send_form,
    signup,
    until_serving,
)
from tests.scripts import Button, details, history, in_order

SECRET = "zalo-webhook-secret-for-tests"
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/s/[A-Za-z0-9_-]+)")


@dataclass
class Zalo:
    fake: FakeZalo
    channel: ZaloChannel
    app: App
    http: aiohttp.ClientSession
    chat: str = "zalo-user-1"

    async def say(self, text: str, chat: str | None = None) -> None:
        assert await self.fake.deliver(self.fake.text(chat or self.chat, text)) == 200
        await self.channel.idle()

    @property
    def texts(self) -> list[str]:
        return self.fake.texts(self.chat)

    @property
    def last(self) -> str:
        return self.texts[-1]

    async def pick(self, payload: str) -> None:
        """Type the number the last menu shows for the choice (found by its label, as a person reads it)."""
        key = conversations.conversation_key("zalo", self.chat)
        state = await self.app.store.run(lambda conn: conversations.load(conn, key, default_locale="vi", lock=False))
        label = next((lbl for lbl, p in state.offered if p == payload), None)
        assert label is not None, (payload, state.offered, self.last)
        number = re.search(rf"^(\d+)\. {re.escape(label)}$", self.last, re.M)
        if number is None:  # "Quay lại", "Bỏ qua": typed as words
            assert f"“{label}”" in self.last, (label, self.last)
            await self.say(label)
        else:
            await self.say(number.group(1))

    def link(self) -> str:
        found = LINK.findall(self.last)
        assert found, self.last
        return str(found[-1])

    async def type_password(self, link: str, password: str = PASSWORD) -> tuple[int, str]:
        async with self.http.post(link, data={"password": password}) as response:
            page = await response.text()
        await self.channel.idle()
        return response.status, page


async def _serve(tmp_path: Path, *, webhook: bool) -> AsyncIterator[Zalo]:
    fake = FakeZalo()
    await fake.start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = cheap_settings(tmp_path).model_copy(update={
        "zalo_token": fake.token, "zalo_api_url": fake.base_url, "public_url": base, "port": port,
        "zalo_webhook_url": f"{base}/zalo/webhook" if webhook else "", "zalo_webhook_secret": SECRET,
        "zalo_rate_global": 1000, "zalo_rate_per_chat": 1000})
    app = build(settings)
    web_app = app.web_app()
    channel = await runtime.start_zalo(settings, app.engine, app.pusher, app.engine.services.qr.media, web_app)
    await runtime.register_once(settings, app.engine, channel)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    polling = None if webhook else asyncio.create_task(channel.poll(timeout=1))
    async with aiohttp.ClientSession() as http:
        yield Zalo(fake, channel, app, http)
    if polling is not None:
        polling.cancel()
    await channel.idle()
    await runner.cleanup()
    await channel.api.close()
    await fake.stop()
    app.close()


@pytest.fixture
async def zalo(tmp_path: Path) -> AsyncIterator[Zalo]:
    async for harness in _serve(tmp_path, webhook=True):
        yield harness


async def _signup(z: Zalo, phone: str = "0912345678") -> None:
    await z.say("xin chào")
    assert re.search(r"^1\. Đăng ký tài khoản$", z.last, re.M) and "Trả lời bằng số thứ tự" in z.last
    await z.say("1")
    await z.say("Phan Văn Tài")
    await z.say(phone)
    await z.say(await read_sms(z.app.engine, phone))
    assert "mật khẩu không gõ vào khung trò chuyện này" in z.last
    first_link = z.link()
    await z.say(PASSWORD)  # typed in the chat anyway: refused, and a new link offered
    assert "không nhận mật khẩu gõ trong khung trò chuyện" in z.last and z.link() != first_link
    status, page = await z.type_password(z.link())
    assert status == 200 and "nhập lại mật khẩu" in page  # the next question, on the page
    status, page = await z.type_password(LINK.findall(z.last)[-1])
    assert status == 200 and "quay lại Zalo" in page
    assert "Tạo tài khoản thành công" in "\n".join(z.texts[-2:])
    assert await z.app.pusher.run_once() == 1  # the SMS went out


async def test_a_whole_registration_on_zalo_with_the_qr_fetched_from_our_url(
        zalo: Zalo, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await _signup(zalo)
    assert "1. Đăng ký tiêm chủng" in zalo.last
    await zalo.say("1")
    for _, answer in in_order(details(), DETAILS):
        if isinstance(answer, Button):
            await zalo.pick(answer.payload)
        else:
            await zalo.say(answer)
    await zalo.say("ko")  # the history checklist
    assert "kiểm tra lại thông tin" in zalo.last
    for payload in ("ok", "tick", "confirm"):
        await zalo.pick(payload)
    code = re.search(r"Mã đặt tiêm: (\d{16})", "\n".join(zalo.texts[-3:]))
    assert code
    assert await zalo.app.pusher.run_once() == 1
    await zalo.channel.idle()
    photo = zalo.fake.photos(zalo.chat)[-1]
    assert "/media/x/" in photo["photo_url"] and "Mã QR của Nguyễn Văn An" in photo["caption"]
    assert "Nguyen" not in photo["photo_url"] and "001090123456" not in photo["photo_url"]
    first = _decoded(photo["photo"])
    assert credentials.verify(first, zalo.app.engine.services.trusted).valid

    key = zalo.app.engine.services.signing_key
    await zalo.app.store.run(lambda conn: doses.record(conn, key, booking_code=code.group(1), vaccine="janssen",
                                                       lot="J1", given_on=date.today()))
    assert await zalo.app.pusher.run_once() == 1
    await zalo.channel.idle()
    pushed = zalo.fake.photos(zalo.chat)[-1]
    assert "ghi nhận mũi 1 (Janssen)" in pushed["caption"] and "đã tiêm đủ liều" in pushed["caption"]
    assert _decoded(pushed["photo"]) != first

    sent = zalo.fake.sent_texts()
    assert all(len(text) <= 2000 for text in sent)
    assert not any(PASSWORD in text for text in sent)
    assert PASSWORD not in caplog.text


def _decoded(png: bytes) -> str:
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=QR_ONLY)
    assert len(found) == 1
    return str(found[0].text)


async def test_an_expiring_picture_url_stops_working_and_cannot_be_forged(zalo: Zalo) -> None:
    await _signup(zalo)
    media = zalo.app.engine.services.qr.media
    token = media.token("any-credential")
    media.put(token, b"\x89PNG not really")
    url = zalo.channel.sender.photo_url(token)
    assert url is not None
    async with zalo.http.get(url) as response:
        assert response.status == 200
    forged = re.sub(r"(/media/x/[0-9a-f]{40})\.(\d+)\.", lambda m: f"{m.group(1)}.{int(m.group(2)) + 86400}.", url)
    async with zalo.http.get(forged) as response:
        assert response.status == 404
    clock = FixedClock(now() + timedelta(hours=2))
    previous = use_clock(clock)
    try:
        async with zalo.http.get(url) as response:
            assert response.status == 404
    finally:
        use_clock(previous)


async def test_a_password_link_works_once_only_for_its_question_and_for_ten_minutes(zalo: Zalo) -> None:
    await zalo.say("/start")
    await zalo.say("Đăng nhập")
    await zalo.say("0912345678")
    link = zalo.link()
    async with zalo.http.get(link) as response:  # a link preview: shows the page, uses nothing up
        assert response.status == 200 and 'type="password"' in await response.text()
        assert "form-action 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["Cache-Control"] == "no-store"
    status, page = await zalo.type_password(link, "sai-mat-khau-1")
    assert status == 200 and "Số điện thoại hoặc mật khẩu không đúng" in page  # asked again, on the page
    status, page = await zalo.type_password(link, "sai-mat-khau-2")
    assert status == 410 and "đã được dùng hoặc đã hết hạn" in page

    clock = FixedClock(now())
    previous = use_clock(clock)
    try:
        await zalo.say("quay lại")
        await zalo.say("0912345678")
        late = zalo.link()
        clock.advance(timedelta(minutes=10, seconds=1))
        status, page = await zalo.type_password(late)
        assert status == 410
    finally:
        use_clock(previous)

    moved_on = zalo.link()
    await zalo.say("quay lại")  # the conversation left the password question: its link is void
    status, _ = await zalo.type_password(moved_on)
    assert status == 410
    async with zalo.http.post(moved_on.rsplit("/", 1)[0] + "/not-a-token!", data={"password": "x"}) as response:
        assert response.status == 404


async def test_webhook_secret_duplicates_and_malformed_events(zalo: Zalo, caplog: pytest.LogCaptureFixture) -> None:
    fake = zalo.fake
    assert await fake.deliver(fake.text(zalo.chat, "/start"), secret="wrong") == 403
    assert await fake.deliver(fake.text(zalo.chat, "/start"), secret="") == 403
    await zalo.channel.idle()
    assert fake.sent[zalo.chat] == []
    event = fake.text(zalo.chat, "/start")
    assert await fake.deliver(event) == 200
    await zalo.channel.idle()
    answered = len(fake.sent[zalo.chat])
    assert answered > 0
    assert await fake.deliver(event) == 200  # the platform delivers it again: applied once
    await zalo.channel.idle()
    assert len(fake.sent[zalo.chat]) == answered
    caplog.clear()
    for body in (b"not json", b"[]", b"{}", b'{"ok": true, "result": {"event_name": "message.text.received"}}',
                 b'{"event_name": "message.text.received", "message": {"chat": {"id": "x"}, "message_id": "1",'
                 b' "text": 5}}', b'{"result": {"message": {"chat": {"id": {"a": 1}}}}}', b"1" * 70_000):
        assert await fake.post_raw(body) in (200, 413)
    await zalo.channel.idle()
    assert len(fake.sent[zalo.chat]) == answered and len(fake.sent["x"]) == 0
    assert not [r for r in caplog.records if r.exc_info]


async def test_stickers_photos_and_groups_are_answered_without_a_crash(zalo: Zalo) -> None:
    fake = zalo.fake
    await zalo.say("/start")
    assert await fake.deliver(fake.sticker(zalo.chat)) == 200
    await zalo.channel.idle()
    assert "chỉ đọc được tin nhắn chữ" in zalo.last
    assert await fake.deliver(fake.photo(zalo.chat, "http://127.0.0.1:9/nowhere.jpg")) == 200
    await zalo.channel.idle()
    assert "chỉ đọc được tin nhắn chữ" in zalo.last
    group = fake.event("group-1", text="/start")
    group["message"]["chat"]["chat_type"] = "GROUP"
    for _ in range(2):
        assert await fake.deliver(group) == 200
    await zalo.channel.idle()
    assert [m["text"] for m in fake.sent["group-1"]] == [
        "Hệ thống chỉ trò chuyện riêng với từng người để giữ kín thông tin cá nhân. Vui lòng nhắn riêng cho tài "
        "khoản này."]


async def test_linking_a_zalo_chat_to_a_web_account_with_a_code(zalo: Zalo) -> None:
    web = Chat(zalo.app.engine, "web-chat-link-1", channel=WEB_CHANNEL)
    await signup(web, phone="0912345678")
    await zalo.app.pusher.run_once()  # the sign-up's SMS
    assert "Liên kết Zalo" in [c.label for c in web.last[-1].choices]
    await web.press("link_code")
    code = re.search(r"Mã liên kết: (\d{3}) (\d{3})", web.text)
    assert code
    await zalo.say("/start")
    assert "Liên kết tài khoản có sẵn" in zalo.last
    await zalo.pick("link_chat")
    await zalo.say("000000" if code.group(1) + code.group(2) != "000000" else "111111")
    assert "Mã không đúng hoặc đã hết hạn" in zalo.last
    await zalo.say(f"{code.group(1)} {code.group(2)}")
    assert "Đã liên kết cuộc trò chuyện này" in "\n".join(zalo.texts[-2:])
    assert "Xin chào Nguyễn Văn An" in zalo.last
    assert await zalo.app.pusher.run_once() == 1  # the web chat is told
    notices = [m.get("text", "") for _, m in await zalo.app.engine.messages_after(WEB_CHANNEL, web.chat_id, 0)]
    assert any("vừa được liên kết với một cuộc trò chuyện Zalo" in t for t in notices)
    # The code was used up: another chat cannot use it again.
    other = "zalo-user-2"
    await zalo.say("/start", other)
    await zalo.say("Liên kết tài khoản có sẵn", other)
    await zalo.say(code.group(1) + code.group(2), other)
    assert "Mã không đúng hoặc đã hết hạn" in zalo.fake.texts(other)[-1]


async def test_code_guesses_are_slowed_down(zalo: Zalo) -> None:
    await zalo.say("/start")
    await zalo.pick("link_chat")
    for guess in ("123456", "234567", "345678"):
        await zalo.say(guess)
    assert "thử lại sau" in zalo.last or "Vui lòng" in zalo.last
    await zalo.say("456789")
    assert "Mã không đúng" not in zalo.last  # the fourth guess is not even checked


def test_a_long_reply_is_split_at_boundaries_and_a_menu_is_never_split() -> None:
    paragraph = "Câu một của đoạn văn dài. " * 30  # ~780 characters
    text = "\n\n".join(paragraph.strip() for _ in range(7))  # ~5,500 characters
    text += "\n\n" + "x" * 300
    assert len(text) > 5000
    reply = Reply(text, choices=[Choice(f"Lựa chọn số {n}", f"c{n}") for n in range(1, 9)]
                  + [Choice("Quay lại", "nav:back")], locale="vi")
    parts = messages(reply)
    assert all(len(p) <= 2000 for p in parts)
    menu = [p for p in parts if "1. Lựa chọn số 1" in p]
    assert len(menu) == 1 and "8. Lựa chọn số 8" in menu[0] and "“Quay lại”" in menu[0]
    assert menu[0] is parts[-1]
    body = "".join(p for p in parts).replace("\n", "").replace(" ", "")
    assert body.startswith(text.replace("\n", "").replace(" ", ""))
    for part in parts[:-1]:
        assert part.endswith((".", "x")), part[-20:]  # cut at a paragraph or sentence end, never mid-word
    long_word = "a" * 4500
    assert [len(p) for p in split(long_word)] == [2000, 2000, 500]


async def test_polling_takes_one_event_at_a_time_and_treats_408_as_nothing_new(tmp_path: Path) -> None:
    async for z in _serve(tmp_path, webhook=False):
        assert z.fake.webhook is None
        await z.fake.deliver(z.fake.text(z.chat, "/start"))
        await z.fake.wait_sent(z.chat, 1)
        polls = sum(1 for name, _ in z.fake.calls if name == "getUpdates")
        await z.fake.wait_calls("getUpdates", polls + 3)  # an empty result and a 408 went by: still polling
        started = len(z.fake.sent[z.chat])
        await z.fake.deliver(z.fake.text(z.chat, "2"))
        await z.fake.deliver(z.fake.text(z.chat, "0912345678"))
        sent = await z.fake.wait_sent(z.chat, started + 2)
        assert "Số điện thoại" in sent[-2]["text"] and "mật khẩu" in sent[-1]["text"]  # in order


async def test_pushes_to_many_chats_keep_zalos_pace_and_obey_a_429(tmp_path: Path) -> None:
    from bot.channels.pacing import Pacer
    from bot.channels.zalo.core import Sender

    fake = FakeZalo(limits=Limits(per_chat_per_second=2, global_per_second=40))
    await fake.start()
    app = build(cheap_settings(tmp_path))
    api = ZaloApi(fake.token, fake.base_url)
    await api.start()
    try:
        for pacer, label in ((Pacer(40, 2), "at the limits"), (Pacer(200, 50), "too fast")):
            fake.sent.clear()
            sender = Sender(api, pacer, app.engine.services.qr.media, "http://127.0.0.1:1")
            chats = [f"c{n}" for n in range(30)]
            results = await asyncio.gather(*(sender.send(chat, Reply(f"Thông báo {k}")) for chat in chats
                                             for k in range(3)))
            assert all(results), label
            for chat in chats:
                assert [m["text"] for m in fake.sent[chat]] == [f"Thông báo {k}" for k in range(3)], label
        assert fake.too_many > 0 and fake.ignored_pause == 0  # the fast pacer met 429s and obeyed each
    finally:
        await api.close()
        await fake.stop()
        app.close()


async def test_the_password_page_in_a_real_browser(zalo: Zalo, tmp_path: Path) -> None:
    """The page a Zalo user opens from the link, in Debian's headless Chromium on a phone-sized screen."""
    from playwright.async_api import async_playwright, expect

    from tests.channels.test_webchat_page import CHROMIUM, FLAGS

    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed")
        pytest.skip("chromium not installed (apt-get install chromium)")
    await zalo.say("/start")
    await zalo.pick("signup")
    for text in ("Đặng Thu Thảo", "0912345678"):
        await zalo.say(text)
    await zalo.say(await read_sms(zalo.app.engine, "0912345678"))
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        await page.goto(zalo.link())
        await expect(page.locator("main")).to_contain_text("đặt mật khẩu")
        field = page.get_by_label("Mật khẩu")
        await expect(field).to_have_attribute("type", "password")
        await expect(field).to_have_attribute("autocomplete", "new-password")
        await field.fill("ngan")  # too short: said on the page, asked again there
        await page.get_by_role("button", name="Gửi").click()
        await expect(page.locator("main")).to_contain_text("Mật khẩu cần ít nhất 8 ký tự")
        await page.get_by_label("Mật khẩu").fill(PASSWORD)
        await page.get_by_role("button", name="Gửi").click()
        await expect(page.locator("main")).to_contain_text("nhập lại mật khẩu")
        await page.get_by_label("Mật khẩu").fill(PASSWORD)
        await page.get_by_role("button", name="Gửi").click()
        await expect(page.locator("main")).to_contain_text("Mời Anh/Chị quay lại Zalo để tiếp tục")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390
        await page.screenshot(path=str(tmp_path / "secret-page.png"))
        await browser.close()
    await zalo.channel.idle()
    assert "Tạo tài khoản thành công" in "\n".join(zalo.texts[-2:])
    assert not any(PASSWORD in text for text in zalo.fake.sent_texts())


async def _registered_citizen(zalo: Zalo) -> None:
    citizen = Chat(zalo.app.engine, "web-citizen", channel=WEB_CHANNEL)
    await signup(citizen)
    await citizen.press("register_self")
    await answer_form(citizen, {**details(), **history()})
    await send_form(citizen)


async def _officer_linked(zalo: Zalo, menu_words: str) -> Chat:
    """A site officer signed up on the web chat, whose Zalo chat is linked by the code shown there."""
    officer = Chat(zalo.app.engine, "web-officer", channel=WEB_CHANNEL)
    await signup(officer, name="Phạm Bến Thành", phone="0901000003")
    await zalo.app.store.run(lambda conn: staff.add(conn, phone=parse_mobile("0901000003"), role=staff.SITE_STAFF,
                                                    site_code="HCM-BT-01"))
    await officer.send("/menu")
    await officer.press("link_code")
    code = re.search(r"Mã liên kết: (\d{3}) (\d{3})", officer.text)
    assert code
    await zalo.say("/start")
    await zalo.say(menu_words)
    await zalo.say(code.group(1) + code.group(2))
    return officer


async def test_staff_linked_by_code_verify_a_photographed_qr_on_zalo(zalo: Zalo) -> None:
    """A site officer with an account from the web chat links Zalo by code (no password in Zalo), then checks a
    citizen's QR photographed with the phone: Zalo hands the picture over as a URL, the bot downloads it."""
    await _registered_citizen(zalo)
    await _officer_linked(zalo, "Lien ket tai khoan co san")  # typed without diacritics, as many do
    assert "Xin chào Phạm Bến Thành" in zalo.last and "Xác minh" in zalo.last  # the staff menu, numbered

    await zalo.say("/xacminh")
    photo_url = zalo.fake.host_photo(photographed_qr(zalo.app, 1))  # Zalo keeps the picture, hands over a URL
    assert await zalo.fake.deliver(zalo.fake.photo(zalo.chat, photo_url)) == 200
    await zalo.channel.idle()
    assert "✅ HỢP LỆ" in "\n".join(zalo.texts[-2:])


async def test_files_on_zalo_are_links_and_a_file_cannot_be_sent_to_zalo(zalo: Zalo) -> None:
    await _registered_citizen(zalo)
    officer = await _officer_linked(zalo, "Liên kết tài khoản có sẵn")
    await zalo.say("/nhap")
    assert "Zalo không gửi được tệp cho hệ thống" in zalo.last
    await zalo.say("/xuat")
    await zalo.say("Tất cả")
    link = re.search(r"📎 (\S+\.xlsx): (http://\S+/files/z/[A-Za-z0-9_-]+)", "\n".join(zalo.texts[-2:]))
    assert link, zalo.texts[-2:]
    async with zalo.http.get(link.group(2)) as response:
        assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
        assert (await response.read())[:2] == b"PK"  # an XLSX workbook
    await officer.send("/xuat")
    await officer.press("all")
    [web_file] = [r for r in officer.last if r.document_key]
    async with zalo.http.get(link.group(2).rsplit("/", 1)[0] + f"/{web_file.document_key}") as response:
        assert response.status == 404  # a web chat's file is not served by Zalo's route


async def test_sskdt_run_serves_zalo_by_webhook(tmp_path: Path) -> None:
    """The real server process with a Zalo token: the webhook is registered once, events are answered."""
    import os
    import subprocess
    import sys

    fake = FakeZalo()
    await fake.start()
    port = free_port()
    env = dict(os.environ, SSKDT_ZALO_TOKEN=fake.token, SSKDT_ZALO_API_URL=fake.base_url,
               SSKDT_ZALO_WEBHOOK_URL=f"http://127.0.0.1:{port}/zalo/webhook", SSKDT_ZALO_WEBHOOK_SECRET=SECRET,
               SSKDT_PUBLIC_URL=f"http://127.0.0.1:{port}", SSKDT_LOG_LEVEL="WARNING")
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port), "--data-dir", str(tmp_path)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        await fake.wait_calls("setWebhook", 1, timeout=60)
        assert fake.webhook == {"url": f"http://127.0.0.1:{port}/zalo/webhook", "secret_token": SECRET}
        await until_serving(f"http://127.0.0.1:{port}/", proc, seconds=30)
        assert await fake.deliver(fake.text("z-proc", "xin chào")) == 200
        (message,) = await fake.wait_sent("z-proc", 1)  # the greeting and the menu, in one message
        assert message["text"].startswith("Xin chào Anh/Chị")
        assert "1. Đăng ký tài khoản" in message["text"] and "3. Liên kết tài khoản có sẵn" in message["text"]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        await fake.stop()


async def test_a_wrong_token_stops_the_start_with_a_plain_reason(tmp_path: Path) -> None:
    fake = FakeZalo()
    await fake.start()
    settings = cheap_settings(tmp_path).model_copy(update={"zalo_token": "123:wrong", "zalo_api_url": fake.base_url})
    app = build(settings)
    try:
        with pytest.raises(SystemExit, match="SSKDT_ZALO_TOKEN was refused by the Zalo Bot API"):
            await runtime.start_zalo(settings, app.engine, app.pusher, app.engine.services.qr.media, app.web_app())
    finally:
        app.close()
        await fake.stop()


async def test_a_password_page_post_that_is_not_its_form_is_a_4xx_and_uses_nothing_up(zalo: Zalo) -> None:
    await zalo.say("/start")
    await zalo.say("Đăng nhập")
    await zalo.say("0912345678")
    link = zalo.link()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for body, headers, status in (
            (b"\xff\xfe=\xff", form, 400), (b"password=%ff%fe", form, 400), (b"a=1&" * 10, form, 400),
            (b"--x\r\nbroken", {"Content-Type": "multipart/form-data; boundary=x"}, 415),
            (b'{"password": "x"}', {"Content-Type": "application/json"}, 415),
            (b"password=" + b"a" * 5000, form, 413)):
        async with zalo.http.post(link, data=body, headers=headers) as response:
            assert response.status == status, body[:20]
    status, page = await zalo.type_password(link, "sai-mat-khau-1")  # the link still works
    assert status == 200 and "không đúng" in page


async def test_an_answer_lost_with_its_process_is_sent_later_once(zalo: Zalo) -> None:
    """Zalo answers are kept in the outbox with their event: committed, then the process dies before sending —
    the pusher sends them once overdue; answers that went out are not sent again."""
    from bot.channels.zalo.core import CAPABILITIES, incoming

    clock = FixedClock(now())
    previous = use_clock(clock)
    try:
        parsed = incoming(zalo.fake.text("z-lost", "xin chào"))
        assert parsed is not None
        outcome = await zalo.app.engine.handle(parsed[0], CAPABILITIES)  # committed; then the crash
        assert outcome.queued and not zalo.fake.sent["z-lost"]
        assert await zalo.app.pusher.run_once() == 0  # not overdue yet
        zalo.app.pusher.process = "a-restarted-process"  # the process is gone; a new one runs the pusher
        clock.advance(timedelta(seconds=31))
        assert await zalo.app.pusher.run_once() == len(outcome.queued)
        assert "1. Đăng ký tài khoản" in zalo.fake.texts("z-lost")[-1]  # the menu, as a numbered list

        await zalo.say("xin chào")  # sent at once, and marked
        sent = len(zalo.fake.sent[zalo.chat])
        await zalo.app.engine.flush_replies_sent()
        clock.advance(timedelta(seconds=31))
        assert await zalo.app.pusher.run_once() == 0 and len(zalo.fake.sent[zalo.chat]) == sent
    finally:
        use_clock(previous)
