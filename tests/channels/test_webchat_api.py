"""The web chat's JSON API over real HTTP on loopback."""

from __future__ import annotations

import aiohttp
import pytest
from yarl import URL

from bot.app import App
from tests.helpers import payload_of, read_sms


@pytest.fixture
def base_url(web_base_url: str) -> str:
    return web_base_url


def client() -> aiohttp.ClientSession:
    """A browser: keeps the session cookie (for 127.0.0.1 too)."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def open_chat(http: aiohttp.ClientSession, base_url: str) -> str:
    """The page's first call: the server issues the session and names the chat; returns its messages URL."""
    response = await http.post(f"{base_url}/api/sessions")
    assert response.status == 200
    chat_id = (await response.json())["chat_id"]
    return f"{base_url}/api/chats/{chat_id}/messages"


async def test_text_buttons_and_history(base_url: str, sqlite_app: App) -> None:
    async with client() as http:
        url = await open_chat(http, base_url)
        first = await (await http.post(url, json={"text": "/start"})).json()
        shown = [payload_of(c["payload"]) for c in first["replies"][-1]["choices"]]
        assert shown == ["signup", "login", "forgot", "language"]
        ids = [r["id"] for r in first["replies"]]
        assert ids == sorted(ids)
        second = await (await http.post(url, json={"button": "signup", "client_id": "c1"})).json()
        assert "Họ và tên" in second["replies"][-1]["text"]
        retry = await (await http.post(url, json={"button": "signup", "client_id": "c1"})).json()
        assert retry == {"replies": [], "duplicate": True}
        await http.post(url, json={"text": "Võ Thị Giang"})
        await http.post(url, json={"contact": {"phone": "0912345678"}})  # a web contact is just a typed number
        code = await read_sms(sqlite_app.engine, "0912345678")
        third = await (await http.post(url, json={"text": code})).json()
        assert third["replies"][-1]["secret_prompt"] is True
        history = await (await http.get(url, params={"after": str(ids[-1])})).json()
        texts = [m["text"] for m in history["messages"]]
        assert "Họ và tên" in texts[0] and third["replies"][-1]["text"] == texts[-1]
        assert all(m["id"] > ids[-1] for m in history["messages"])


async def test_photo_upload_is_answered_politely(base_url: str) -> None:
    async with client() as http:
        url = await open_chat(http, base_url)
        await http.post(url, json={"text": "/start"})
        form = aiohttp.FormData()
        form.add_field("photo", b"\x89PNG\r\n", filename="a.png", content_type="image/png")
        reply = await (await http.post(url, data=form)).json()
        assert "chỉ đọc được tin nhắn chữ" in reply["replies"][-1]["text"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"nothing": 1}, "send one of"),
        (["not", "an", "object"], "JSON object"),
    ],
)
async def test_bad_requests_say_what_is_wrong(base_url: str, body: object, error: str) -> None:
    async with client() as http:
        url = await open_chat(http, base_url)
        response = await http.post(url, json=body)
        assert response.status == 400
        assert error in (await response.json())["error"]
        short = await http.post(f"{base_url}/api/chats/short/messages", json={"text": "hi"})
        assert short.status == 400 and "chat_id" in (await short.json())["error"]


async def test_a_chat_id_without_its_session_opens_nothing(base_url: str) -> None:
    """The hijack: a second client that knows the chat id but not the cookie reads nothing, changes nothing."""
    async with client() as owner, client() as attacker:
        url = await open_chat(owner, base_url)
        await owner.post(url, json={"text": "/start"})
        await owner.post(url, json={"button": "signup"})
        await attacker.post(f"{base_url}/api/sessions")  # a session of its own does not open another's chat
        read = await attacker.get(url, params={"after": "0"})
        write = await attacker.post(url, json={"text": "/huy"})
        async with aiohttp.ClientSession() as bare:  # no cookie at all
            assert (await bare.get(url, params={"after": "0"})).status == 404
        assert (read.status, write.status) == (404, 404)
        assert await read.json() == await write.json() == {"error": "no such chat"}  # nothing said of the chat
        mine = await (await owner.get(url, params={"after": "0"})).json()
        assert "Họ và tên" in mine["messages"][-1]["text"]  # the owner's conversation is where it was
        assert (await owner.get(url, params={"after": "0"})).headers["Cache-Control"] == "no-store"


async def test_log_in_renews_the_cookie_and_log_out_leaves_nothing_to_read(base_url: str, sqlite_app: App) -> None:
    async with client() as http:
        url = await open_chat(http, base_url)
        for body in ({"text": "/start"}, {"button": "signup"}, {"text": "Võ Thị Giang"}, {"text": "0912345678"}):
            await http.post(url, json=body)
        await http.post(url, json={"text": await read_sms(sqlite_app.engine, "0912345678")})
        await http.post(url, json={"text": "mật-khẩu-an-toàn-1"})
        before = http.cookie_jar.filter_cookies(URL(url))["sskdt_session"].value
        await http.post(url, json={"text": "mật-khẩu-an-toàn-1"})  # the account is created and logged in
        after_login = http.cookie_jar.filter_cookies(URL(url))["sskdt_session"].value
        assert after_login != before
        async with aiohttp.ClientSession(cookies={"sskdt_session": before}) as stale:
            assert (await stale.get(url, params={"after": "0"})).status == 404  # the pre-log-in cookie is dead
        out = await (await http.post(url, json={"button": "logout"})).json()
        assert "đã đăng xuất" in out["replies"][0]["text"] and out["chat_id"] not in url
        assert (await http.get(url, params={"after": "0"})).status == 404  # the old chat: gone
        new_url = f"{base_url}/api/chats/{out['chat_id']}/messages"
        menu = await (await http.post(new_url, json={"button": "login"})).json()
        assert "Số điện thoại của tài khoản" in menu["replies"][-1]["text"]  # the conversation carries on


async def test_page_is_served_in_both_languages(base_url: str) -> None:
    async with client() as http:
        vi = await (await http.get(base_url + "/")).text()
        en = await (await http.get(base_url + "/?lang=en")).text()
    assert "Nhập tin nhắn…" in vi and "Type a message…" in en and "{{" not in vi
