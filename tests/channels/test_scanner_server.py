"""The checkpoint scanner's server side: a one-time link from the chat signs a phone in, the data it keeps, the
counts it reports, "/thietbi" signing it out (real HTTP on loopback)."""

from __future__ import annotations

import re

import aiohttp
from sqlalchemy import select

from bot.app import App
from bot.services.access import staff
from bot.services.certificates import credentials
from models.tables import CheckpointCount, table
from tests.factories import registered, staff_member
from tests.helpers import Chat


async def _link(chat: Chat) -> str:
    await chat.press("staff:scanner")
    found = re.search(r"/kiemtra/mo/\S+", chat.text)
    assert found, chat.text
    return found.group(0)


async def test_a_checker_signs_a_phone_in_with_a_one_time_link(sqlite_app: App, web_base_url: str) -> None:
    citizen = Chat(sqlite_app.engine, "citizen")
    await registered(citizen)
    checker = await staff_member(sqlite_app, staff.CHECKER, None, phone="0901000001", name="Lê Kiểm Tra")
    assert "staff:scanner" in checker.payloads()
    link = await _link(checker)
    assert "dùng một lần" in checker.text and checker.flow == "menu"

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as phone:
        async with phone.get(web_base_url + "/kiemtra/data.json") as before:
            assert before.status == 401  # nothing without signing in
        android = {"User-Agent": "Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 (KHTML, like Gecko) "
                                 "Chrome/131.0 Mobile Safari/537.36"}
        async with phone.get(web_base_url + link, allow_redirects=False, headers=android) as opened:
            assert opened.status == 303 and opened.headers["Location"] == "/kiemtra"
            cookie = opened.cookies["sskdt_scanner"]
            assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/kiemtra"
        async with phone.get(web_base_url + "/kiemtra/data.json") as response:
            assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
            data = await response.json()
        assert data["keys"] and data["keys"][0]["spki"] and data["keys"][0]["development"] is True
        assert data["superseded"] == [] and data["revoked"] == []
        async with phone.post(web_base_url + "/kiemtra/counts", json={"counts": {"valid": 3, "forged": 1}}) as sent:
            assert sent.status == 200
        async with phone.post(web_base_url + "/kiemtra/counts", json={"counts": {"valid": "x"}}) as bad:
            assert bad.status == 400
        async with aiohttp.ClientSession() as other, \
                other.get(web_base_url + link, allow_redirects=False) as again:  # the same link, another phone
            assert again.status == 410 and "đã được dùng" in await again.text()
        async with phone.get(web_base_url + "/kiemtra") as page:
            assert page.status == 200 and "'wasm-unsafe-eval'" in page.headers["Content-Security-Policy"]
        async with phone.get(web_base_url + "/kiemtra/vendor/zxing-wasm/zxing_reader.wasm") as wasm:
            assert wasm.status == 200 and wasm.headers["Content-Type"] == "application/wasm"

        await checker.send("/thietbi")
        assert "• Android · Chrome: đăng nhập" in checker.prompt  # listed by a short label, never the whole agent
        sign_out = next(c.payload for c in checker.last[-1].choices if "Đăng xuất" in c.label)
        await checker.send(button=sign_out)
        assert "Đã đăng xuất 1 thiết bị" in checker.text
        async with phone.get(web_base_url + "/kiemtra/data.json") as after:
            assert after.status == 401  # signed out from the chat: no data to scan with
    with sqlite_app.store.engine.connect() as conn:
        kept = dict(conn.execute(select(table(CheckpointCount).c.verdict, table(CheckpointCount).c.count)).all())
    assert kept == {"valid": 3, "forged": 1}  # counts only: no name, no credential id
    admin = await staff_member(sqlite_app, staff.ADMIN, None, phone="0901000009", name="Quản Trị")
    await admin.send("/thongke")
    assert "Máy quét kiểm dịch hôm nay: 4 lượt quét (3 hợp lệ, 1 không hợp lệ)" in admin.text


async def test_a_replaced_credential_is_in_the_list_by_its_hash_only(sqlite_app: App, web_base_url: str) -> None:
    citizen = Chat(sqlite_app.engine, "citizen")
    await registered(citizen)
    key = sqlite_app.engine.services.signing_key
    with sqlite_app.store.engine.begin() as conn:
        first = credentials.current(conn, 1)
        assert first is not None
        credentials.issue(conn, 1, key)  # a newer one replaces it
    checker = await staff_member(sqlite_app, staff.CHECKER, None, phone="0901000001", name="Lê Kiểm Tra")
    link = await _link(checker)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as phone:
        await phone.get(web_base_url + link)
        async with phone.get(web_base_url + "/kiemtra/data.json") as response:
            data = await response.json()
    assert data["superseded"] == [credentials.withdrawal_hash(first.id)]
    assert first.id not in str(data)


async def test_a_citizen_has_no_scanner(chat: Chat) -> None:
    await registered(chat)
    assert "staff:scanner" not in chat.payloads()
    await chat.send("/thietbi")
    assert chat.flow != "scanner_devices"
