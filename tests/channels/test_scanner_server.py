"""The checkpoint scanner's server side: a one-time link from the chat signs a phone in, the data it keeps, the
counts it reports, "/thietbi" signing it out (real HTTP on loopback)."""

from __future__ import annotations

import re
from datetime import timedelta

import aiohttp
from sqlalchemy import select, update

from bot.app import App
from bot.services.access import staff
from bot.services.certificates import credentials
from bot.services.values.dates import utcnow
from models.tables import CheckpointCount, Credential, table
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


async def test_a_device_that_kept_the_list_is_sent_only_what_was_withdrawn_since(sqlite_app: App,
                                                                                  web_base_url: str) -> None:
    """Every dose replaces a credential: a province's list is megabytes, and every device syncs every 5 minutes.
    A device names the list it kept (its generated_at) and is sent what was withdrawn since; once a day, or with
    no list kept, the whole list (which also drops the expired ones)."""
    citizen = Chat(sqlite_app.engine, "citizen")
    await registered(citizen)
    key = sqlite_app.engine.services.signing_key
    with sqlite_app.store.engine.begin() as conn:
        first = credentials.current(conn, 1)
        credentials.issue(conn, 1, key)  # replaces the first, before the device's sync
    assert first is not None
    checker = await staff_member(sqlite_app, staff.CHECKER, None, phone="0901000001", name="Lê Kiểm Tra")
    link = await _link(checker)
    url = web_base_url + "/kiemtra/data.json"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as phone:
        await phone.get(web_base_url + link)
        async with phone.get(url) as response:
            whole = await response.json()
        assert whole["full"] and whole["superseded"] == [credentials.withdrawal_hash(first.id)]
        with sqlite_app.store.engine.begin() as conn:
            second = credentials.current(conn, 1)
            credentials.issue(conn, 1, key)  # replaced after the sync
        assert second is not None
        async with phone.get(url, params={"since": whole["generated_at"]}) as response:
            since = await response.json()
        # What changed, and what changed in the 10 minutes before (a late commit is not missed), not the rest.
        assert not since["full"] and credentials.withdrawal_hash(second.id) in since["superseded"]
        assert since["keys"] == whole["keys"]
        with sqlite_app.store.engine.begin() as conn:  # the first replaced long ago: not sent again
            conn.execute(update(table(Credential)).where(table(Credential).c.id == first.id)
                         .values(superseded_at=utcnow() - timedelta(hours=2)))
        async with phone.get(url, params={"since": whole["generated_at"]}) as response:
            assert (await response.json())["superseded"] == [credentials.withdrawal_hash(second.id)]
        for stale in ((utcnow() - timedelta(days=2)).isoformat() + "Z", (utcnow() + timedelta(days=1)).isoformat()):
            async with phone.get(url, params={"since": stale}) as response:
                again = await response.json()
            assert again["full"] and len(again["superseded"]) == 2  # a day old, or from the future: the whole list
        for bad in ("yesterday", "2026-13-45", "x" * 5000, "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
            async with phone.get(url, params={"since": bad}) as response:
                assert response.status == 400
    async with aiohttp.ClientSession() as stranger, stranger.get(
            url, params={"since": whole["generated_at"]}) as response:
        assert response.status == 401  # nothing for a device that is not signed in, delta or not


async def test_a_citizen_has_no_scanner(chat: Chat) -> None:
    await registered(chat)
    assert "staff:scanner" not in chat.payloads()
    await chat.send("/thietbi")
    assert chat.flow != "scanner_devices"
