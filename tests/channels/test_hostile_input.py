"""Every bad input is a 4xx (a webhook's is 200 and dropped), never a 5xx, never a traceback; and the page
and API carry the security headers."""

from __future__ import annotations

import asyncio
import json
import logging
from urllib.parse import urlsplit

import aiohttp
import pytest

from tests.channels.test_telegram import SECRET, Harness
from tests.channels.test_telegram import tg as tg
from tests.channels.test_webchat_api import client, open_chat

NESTED = "[" * 20_000 + "]" * 20_000  # 40 KB: under the size cap, past any parser's recursion


def _multipart_without_photo() -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("attachment", b"%PDF-1.4", filename="a.pdf", content_type="application/pdf")
    return form

WEB_CASES = [
    # (what, how it is sent, expected status)
    ("a 5,000-digit client_id", {"json": {"text": "hi", "client_id": int("9" * 4000)}}, 400),
    ("JSON nested 20,000 deep", {"data": NESTED, "headers": {"Content-Type": "application/json"}}, 400),
    ("not JSON", {"data": b"\xff\xfe{", "headers": {"Content-Type": "application/json"}}, 400),
    ("text/plain (a cross-site POST)", {"data": '{"text": "/huy"}', "headers": {"Content-Type": "text/plain"}}, 415),
    ("a form post", {"data": {"text": "/huy"}}, 415),
    ("a body over 64 KB", {"json": {"text": "a" * 70_000}}, 413),
    ("a JSON array", {"json": ["text"]}, 400),
    ("text as an object", {"json": {"text": {"a": 1}}}, 400),
    ("a multipart with neither a photo nor a document", {"data": _multipart_without_photo()}, 400),
    ("a multipart with a broken part", {"data": b"--x\r\nbroken",
                                        "headers": {"Content-Type": "multipart/form-data; boundary=x"}}, 400),
    ("a multipart without a boundary", {"data": b"", "headers": {"Content-Type": "multipart/form-data"}}, 400),
    ("a multipart client_id not in UTF-8", {"data": b"--x\r\nContent-Disposition: form-data; name=\"client_id\""
                                                   b"\r\n\r\n\xff\xfe\r\n--x--\r\n",
                                           "headers": {"Content-Type": "multipart/form-data; boundary=x"}}, 400),
    ("a body over 64 KB of nesting", {"data": "[" * 40_000 + "]" * 40_000,
                                      "headers": {"Content-Type": "application/json"}}, 413),
]


@pytest.mark.parametrize(("what", "request_kwargs", "status"), WEB_CASES, ids=[c[0] for c in WEB_CASES])
async def test_bad_web_api_input_is_a_4xx(web_base_url: str, what: str, request_kwargs: dict[str, object],
                                          status: int, caplog: pytest.LogCaptureFixture) -> None:
    async with client() as http:
        url = await open_chat(http, web_base_url)
        with caplog.at_level(logging.WARNING):
            response = await http.post(url, **request_kwargs)  # type: ignore[arg-type]
        assert response.status == status, (what, await response.text())
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], what


@pytest.mark.parametrize("after", ["99999999999999999999999", "-1", "1e9", "", "١٢"])
async def test_a_bad_after_is_a_400(web_base_url: str, after: str) -> None:
    async with client() as http:
        url = await open_chat(http, web_base_url)
        assert (await http.get(url, params={"after": after})).status == 400


async def test_control_characters_bidi_overrides_and_lone_surrogates_are_removed(web_base_url: str) -> None:
    async with client() as http:
        url = await open_chat(http, web_base_url)
        await http.post(url, json={"text": "/start"})
        await http.post(url, json={"button": "signup"})
        raw = '{"text": "Nguy\\u1ec5n\\u202e V\\u0103n\\u0000 An\\ud800"}'
        response = await http.post(url, data=raw, headers={"Content-Type": "application/json"})
        assert response.status == 200
        text = (await response.json())["replies"][-1]["text"]
        assert "Số điện thoại" in text  # the name was accepted, cleaned: "Nguyễn Văn An"


async def test_the_page_and_the_api_carry_the_security_headers(web_base_url: str) -> None:
    async with client() as http:
        page = await http.get(web_base_url + "/")
        html = await page.text()
        api = await http.post(web_base_url + "/api/sessions")
        missing = await http.get(web_base_url + "/api/chats/nosuchchat01/messages")
    for response in (page, api, missing):
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Server"] == "sskdt"  # no versions named
    assert "<script>" not in html and "<style>" not in html  # nothing inline: the CSP allows none
    assert api.headers["Cache-Control"] == "no-store" and missing.status == 404


async def _raw_post(url: str, head: bytes, body: bytes) -> int:
    """An HTTP request written byte for byte (a header no client library would send)."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(b"POST " + parts.path.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 + head + b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    writer.close()
    return status


WEBHOOK_CASES = [
    ("an update without chat", {"update_id": 1, "message": {"message_id": 1, "text": "hi"}}),
    ("text as an object", {"update_id": 2, "message": {"message_id": 1, "chat": {"id": 5001}, "text": {"a": 1}}}),
    ("a chat id that is no number", {"update_id": 3, "message": {"message_id": 1, "chat": {"id": {"x": 1}},
                                                                  "text": "hi"}}),
    ("a callback without from", {"update_id": 4, "callback_query": {"id": "1", "data": "x"}}),
    ("no update_id", {"message": {"chat": {"id": 5001}, "text": "hi"}}),
    ("an update id of 5,000 digits", {"update_id": int("9" * 4000), "message": {"chat": {"id": 1}}}),
]


@pytest.mark.parametrize(("what", "update"), WEBHOOK_CASES, ids=[c[0] for c in WEBHOOK_CASES])
async def test_a_malformed_webhook_update_is_answered_200_and_dropped(
    tg: Harness, what: str, update: dict[str, object], caplog: pytest.LogCaptureFixture,
) -> None:
    url = tg.fake.webhook["url"] if tg.fake.webhook else ""
    sent_before = len(tg.fake.calls)
    with caplog.at_level(logging.WARNING):
        async with aiohttp.ClientSession() as http:
            body = json.dumps(update).encode() if "5,000" not in what else (
                b'{"update_id": ' + b"9" * 5000 + b', "message": {}}')
            response = await http.post(url, data=body, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET,
                                                                "Content-Type": "application/json"})
    assert response.status == 200, what
    assert [name for name, _ in tg.fake.calls[sent_before:] if name.startswith("send")] == []  # nothing processed
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], what
    assert all("hi" not in r.getMessage() for r in caplog.records)  # logged without content


async def test_a_webhook_secret_in_any_encoding_is_just_wrong(tg: Harness) -> None:
    url = tg.fake.webhook["url"] if tg.fake.webhook else ""
    body = json.dumps({"update_id": 9, **tg.fake.text(5001, "/start")}).encode()
    assert await _raw_post(url, b"X-Telegram-Bot-Api-Secret-Token: \xff\xfe\xfa\r\n", body) == 401
    assert await _raw_post(url, b"X-Telegram-Bot-Api-Secret-Token: " + NESTED[:10].encode() + b"\r\n", body) == 401
    assert await _raw_post(url, b"X-Telegram-Bot-Api-Secret-Token: " + SECRET.encode() + b"\r\n",
                           NESTED.encode()) == 200
