"""Abuse of cost and of links, as an attacker would try it: SMS budgets, code guessing, sessions left behind by a
password reset, sessions that never talk, half-sent requests, revoked and malformed credentials, formulas in an
export."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import aiohttp
import cbor2
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.app import App, build
from bot.channels import deadlines
from bot.engine.storage import web_sessions
from bot.engine.storage.conversations import load
from bot.services.access import staff
from bot.services.campaign import exports
from bot.services.certificates import cose, credentials, keys
from bot.services.people import budgets
from bot.services.values.dates import FixedClock, now, use_clock
from models.tables import Conversation, Outbox, WebSession, table
from tests.conftest import cheap_settings
from tests.factories import registered, staff_member
from tests.helpers import PASSWORD, Chat, read_sms, signup


def _sms_sent(app: App) -> int:
    with app.store.engine.connect() as conn:
        return len(conn.execute(select(table(Outbox).c.id).where(table(Outbox).c.channel == "sms")).all())


async def _asking_codes(chat: Chat, numbers: list[str], *, back: bool = True) -> None:
    """Sign-up's number question, answered with each number in turn (back to it after each code is sent)."""
    await chat.send("/start")
    await chat.press("signup")
    await chat.send("Kẻ Thử")
    for number in numbers:
        await chat.send(number)
        if chat.step != "signup_code" or not back:
            return
        await chat.send("/quaylai")


async def test_one_chat_cannot_send_sms_to_number_after_number(app: App) -> None:
    chat = Chat(app.engine, "pumper")
    await _asking_codes(chat, [f"09100000{n:02d}" for n in range(8)])
    assert "nhiều mã xác nhận trong một giờ" in chat.prompt and chat.step == "phone"
    assert _sms_sent(app) == budgets.Budgets().sms_per_chat


async def test_the_deployments_sms_budget_is_said_logged_and_measured(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = build(cheap_settings(tmp_path).model_copy(update={"sms_per_hour": 5}))
    try:
        caplog.set_level(logging.WARNING)
        for n in range(6):  # six chats, each asking one code
            await _asking_codes(Chat(app.engine, f"c{n}"), [f"09200000{n:02d}"])
        last = Chat(app.engine, "c-last")
        await _asking_codes(last, ["0920000099"])
        assert "tạm ngừng gửi tin nhắn mã xác nhận" in last.prompt
        assert _sms_sent(app) == 5
        warned = [r.getMessage() for r in caplog.records if "SMS budget" in r.getMessage()]
        assert len(warned) == 1 and not re.search(r"\d{6,}", warned[0])  # once, and no phone number in it
        assert budgets.SMS_USED._value.get() >= 1.0  # the metric says it is spent
    finally:
        app.close()


async def test_code_guessing_is_counted_per_chat(app: App) -> None:
    chat = Chat(app.engine, "guesser")
    await _asking_codes(chat, ["0930000001"], back=False)
    assert chat.step == "signup_code"
    for n in range(budgets.Budgets().code_tries_per_chat + 1):
        await chat.send(f"{n:06d}")
    assert "nhập sai mã quá nhiều lần" in chat.prompt


async def test_a_new_password_ends_the_accounts_other_sessions_and_tells_them(app: App) -> None:
    phone = "0912345678"
    first, second = Chat(app.engine, "device-1"), Chat(app.engine, "device-2")
    await signup(first)
    await second.send("/start")
    await second.press("login")
    await second.send(phone)
    await second.send(PASSWORD)
    assert "register_self" in second.payloads()
    await second.press("register_self")
    await second.send("Trần Thị Mẹ")  # a form half-filled there
    thief_free = Chat(app.engine, "device-3")
    await thief_free.send("/start")
    await thief_free.press("forgot")
    await thief_free.send(phone)
    await thief_free.send(await read_sms(app.engine, phone))
    await thief_free.send("mat-khau-moi-2")
    await thief_free.send("mat-khau-moi-2")
    assert "đăng xuất tài khoản trên 2 thiết bị" in thief_free.text
    with app.store.engine.connect() as conn:
        accounts_of = dict(conn.execute(select(table(Conversation).c.key, table(Conversation).c.account_id)).all())
        told = [r.chat_id for r in conn.execute(select(table(Outbox)).where(table(Outbox).c.kind == "notice"))]
    assert accounts_of["test:device-1"] is None and accounts_of["test:device-2"] is None
    assert accounts_of["test:device-3"] is not None
    assert sorted(told) == ["device-1", "device-2"]
    with app.store.engine.connect() as conn:
        state = load(conn, "test:device-2", default_locale="vi", lock=False)
    assert state.answers == {} and state.draft is None  # what was typed there is not left to the next person
    await first.send("/menu")
    assert "signup" in first.payloads()  # logged out there


async def test_sessions_that_never_send_a_message_are_pruned_within_the_hour(web_base_url: str,
                                                                              sqlite_app: App) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        for _ in range(3):  # cookie-less: a new session each time
            async with http.post(web_base_url + "/api/sessions", cookies={}) as response:
                assert response.status == 200
            http.cookie_jar.clear()
        async with http.post(web_base_url + "/api/sessions") as response:
            chat_id = (await response.json())["chat_id"]
        async with http.post(f"{web_base_url}/api/chats/{chat_id}/messages", json={"text": "/start"}) as response:
            assert response.status == 200
    previous = use_clock(FixedClock(now() + web_sessions.UNUSED + timedelta(minutes=1)))
    try:
        await sqlite_app.store.run(web_sessions.expire)
    finally:
        use_clock(previous)
    with sqlite_app.store.engine.connect() as conn:
        kept = conn.execute(select(table(WebSession).c.chat_id)).scalars().all()
    assert kept == [chat_id]


async def test_a_half_sent_request_is_closed_and_a_slow_body_gets_408(
        sqlite_app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deadlines, "HEADERS_SECONDS", 0.5)
    monkeypatch.setattr(deadlines, "BODY_SECONDS", 0.5)
    runner = deadlines.runner(sqlite_app.web_app())
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /api/sessions HTTP/1.1\r\nHost: x\r\n")  # and never the rest
        assert await asyncio.wait_for(reader.read(), timeout=30) == b""  # closed by the server
        writer.close()
        await writer.wait_closed()
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http, \
                http.post(f"http://127.0.0.1:{port}/api/sessions") as response:
            chat_id = (await response.json())["chat_id"]
            cookie = response.cookies["sskdt_session"].value
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"POST /api/chats/{chat_id}/messages HTTP/1.1\r\nHost: x\r\nCookie: sskdt_session={cookie}"
                     "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"text\"".encode())
        status = await asyncio.wait_for(reader.readline(), timeout=30)  # a tenth of the body, then nothing
        assert status.startswith(b"HTTP/1.1 408"), status
        writer.close()
        await writer.wait_closed()
    finally:
        await runner.cleanup()


# ---- credentials: deleted people, malformed codes, the command line ----------------------------------------------


async def test_a_deleted_persons_qr_is_revoked_and_its_picture_gone(chat: Chat, app: App) -> None:
    await registered(chat)
    await app.pusher.run_once()
    with app.store.engine.connect() as conn:
        issued = credentials.current(conn, 1)
    assert issued is not None
    token = app.engine.services.qr.ensure(issued, "CHƯA TIÊM")
    await chat.press("my_data")
    await chat.press("delete")
    await chat.press("yes")
    assert app.engine.services.qr.media.get(token) is None  # the picture is gone
    with app.store.engine.connect() as conn:
        verdict = credentials.check(conn, issued.text, app.engine.services.trusted)
    assert not verdict.valid and credentials.verdict_kind(verdict) == "revoked"
    checker = await staff_member(app, staff.CHECKER, None, phone="0901000001", name="Lê Kiểm Tra",
                                      chat_id="checker")
    await checker.send("/xacminh")
    await checker.send(issued.text)
    assert "đã bị thu hồi" in checker.text
    result = subprocess.run([sys.executable, "-m", "bot", "verify", "--data-dir", str(app.settings.data_dir),
                             issued.text], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "SSKDT_DATABASE_URL": app.settings.database_url})
    assert result.returncode == 1 and "revoked" in result.stdout


def _infinite_doses(tmp_path: Path, key: keys.SigningKey | None = None) -> str:
    """An HC1 whose dose number is Infinity, signed by ``key`` (by default one nobody trusts: anyone can make it)."""
    key = key or keys.generate(tmp_path / "stranger")
    entry = {"dn": float("inf"), "sd": 2, "ci": "URN:UVCI:01:VN:X", "dt": "2026-01-01"}
    claims = {1: "VN", 4: 2_000_000_000, 6: 1_700_000_000, -260: {1: {"v": [entry], "nam": {"fn": "A"}}}}
    return cose.wrap(credentials.HC1, cose.sign(cbor2.dumps(claims), key.private, key.kid))


async def test_a_dose_number_of_infinity_is_not_valid_and_breaks_nothing(app: App, tmp_path: Path) -> None:
    assert not credentials.verify(_infinite_doses(tmp_path), app.engine.services.trusted).valid
    text = _infinite_doses(tmp_path, app.engine.services.signing_key)  # even signed by the service's own key
    assert not credentials.verify(text, app.engine.services.trusted).valid
    checker = await staff_member(app, staff.CHECKER, None, phone="0901000001", name="Lê Kiểm Tra",
                                      chat_id="checker")
    await checker.send("/xacminh")
    await checker.send(text)
    assert "KHÔNG HỢP LỆ" in checker.text and "sự cố" not in checker.text


@pytest.mark.parametrize("what", ["infinity", "long text"])
def test_sskdt_verify_tells_a_text_from_a_file(tmp_path: Path, what: str) -> None:
    text = _infinite_doses(tmp_path) if what == "infinity" else credentials.HC1 + "X" * 3000
    result = subprocess.run([sys.executable, "-m", "bot", "verify", "--data-dir", str(tmp_path / "d"), text],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "NOT VALID" in result.stdout, result.stderr
    assert "Traceback" not in result.stderr and "File name too long" not in result.stderr


def test_free_text_in_an_export_is_text_never_a_formula() -> None:
    row = {c: "" for c in exports.COLUMNS}
    row.update({"workplace": '=HYPERLINK("http://evil.example","Bấm vào đây")', "full_name": "@SUM(A1)"})
    data = exports.workbook([row], "vi", "t")
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    cells = [c for line in sheet.iter_rows(min_row=2) for c in line if isinstance(c.value, str) and c.value]
    assert cells and all(c.data_type == "s" for c in cells)


async def test_a_picture_link_without_its_deadline_and_mac_opens_nothing(sqlite_app: App, web_base_url: str) -> None:
    chat = Chat(sqlite_app.engine, "owner")
    await registered(chat)
    with sqlite_app.store.engine.connect() as conn:
        issued = credentials.current(conn, 1)
    assert issued is not None
    token = sqlite_app.engine.services.qr.ensure(issued, "CHƯA TIÊM")
    expiring = sqlite_app.engine.services.qr.media.expiring_name(token, timedelta(hours=1))
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{web_base_url}/media/x/{expiring}.png") as response:
            assert response.status == 200  # the signed link a messenger fetches
        for path in (f"/media/{token}.png", f"/api/media/{token}.png"):  # the token alone: nothing
            async with http.get(web_base_url + path) as response:
                assert response.status == 404, path
