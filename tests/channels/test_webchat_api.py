"""The web chat's JSON API over real HTTP on loopback."""

from __future__ import annotations

import aiohttp
import pytest


@pytest.fixture
def base_url(web_base_url: str) -> str:
    return web_base_url


async def test_text_buttons_and_history(base_url: str) -> None:
    url = f"{base_url}/api/chats/webtest0001/messages"
    async with aiohttp.ClientSession() as http:
        first = await (await http.post(url, json={"text": "/start"})).json()
        assert [c["payload"] for c in first["replies"][-1]["choices"]] == ["signup", "login", "language"]
        ids = [r["id"] for r in first["replies"]]
        assert ids == sorted(ids)
        second = await (await http.post(url, json={"button": "signup", "client_id": "c1"})).json()
        assert "Họ và tên" in second["replies"][-1]["text"]
        retry = await (await http.post(url, json={"button": "signup", "client_id": "c1"})).json()
        assert retry == {"replies": [], "duplicate": True}
        await http.post(url, json={"text": "Võ Thị Giang"})
        third = await (await http.post(url, json={"contact": {"phone": "0912345678"}})).json()
        assert third["replies"][-1]["secret_prompt"] is True
        history = await (await http.get(url, params={"after": str(ids[-1])})).json()
        texts = [m["text"] for m in history["messages"]]
        assert "Họ và tên" in texts[0] and third["replies"][-1]["text"] == texts[-1]
        assert all(m["id"] > ids[-1] for m in history["messages"])


async def test_photo_upload_is_answered_politely(base_url: str) -> None:
    url = f"{base_url}/api/chats/webtest0002/messages"
    async with aiohttp.ClientSession() as http:
        await http.post(url, json={"text": "/start"})
        form = aiohttp.FormData()
        form.add_field("photo", b"\x89PNG\r\n", filename="a.png", content_type="image/png")
        reply = await (await http.post(url, data=form)).json()
        assert "chỉ đọc được tin nhắn chữ" in reply["replies"][-1]["text"]


@pytest.mark.parametrize(
    ("path", "body", "error"),
    [
        ("/api/chats/short/messages", {"text": "hi"}, "chat_id"),
        ("/api/chats/webtest0003/messages", {"nothing": 1}, "send one of"),
        ("/api/chats/webtest0003/messages", ["not", "an", "object"], "JSON object"),
    ],
)
async def test_bad_requests_say_what_is_wrong(base_url: str, path: str, body: object, error: str) -> None:
    async with aiohttp.ClientSession() as http:
        response = await http.post(base_url + path, json=body)
        assert response.status == 400
        assert error in (await response.json())["error"]


async def test_page_is_served_in_both_languages(base_url: str) -> None:
    async with aiohttp.ClientSession() as http:
        vi = await (await http.get(base_url + "/")).text()
        en = await (await http.get(base_url + "/?lang=en")).text()
    assert "Nhập tin nhắn…" in vi and "Type a message…" in en and "{{" not in vi
