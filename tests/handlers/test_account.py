"""Account creation and log-in, with the mistakes people make."""

from __future__ import annotations

import re

from bot.app import App
from tests.helpers import PASSWORD, Chat, at_password, read_sms, signup


async def at_signup_password(chat: Chat, phone: str = "0912345678") -> None:
    """A sign-up at its password question: name, phone, and the SMS code."""
    await chat.send("/start")
    await chat.press("signup")
    await chat.send("Lê Văn Cường")
    await chat.send(phone)
    assert "mã xác nhận 6 chữ số" in chat.prompt
    await chat.send(await read_sms(chat.engine, phone))


async def test_password_mismatch_asks_both_again(chat: Chat) -> None:
    await at_signup_password(chat)
    first = await chat.send(PASSWORD)
    assert first[0].delete_incoming and first[-1].secret_prompt
    await chat.send(PASSWORD + "x")
    assert "không giống nhau" in chat.text and "đặt mật khẩu" in chat.prompt
    await chat.send("short")
    assert "ít nhất 8 ký tự" in chat.prompt
    await chat.send(PASSWORD)
    await chat.send(PASSWORD)
    assert "Tạo tài khoản thành công" in chat.text


async def test_password_prompts_are_secret_and_ask_for_deletion(chat: Chat) -> None:
    await at_signup_password(chat)
    assert chat.last[-1].secret_prompt
    replies = await chat.send(PASSWORD)
    assert replies[0].delete_incoming
    assert PASSWORD not in chat.text


async def test_a_taken_number_is_said_only_to_whoever_proves_it(chat: Chat, app: App) -> None:
    await signup(chat)
    other = Chat(app.engine, chat.chat_id + "-2")
    await other.send("/start")
    await other.press("signup")
    await other.send("Phạm Thị Dung")
    await other.send("+84 912 345 678")
    assert "mã xác nhận" in other.prompt and "đã có tài khoản" not in other.text  # nothing said yet
    await other.send("000000")
    assert "Mã không đúng" in other.prompt
    await other.send(await read_sms(app.engine, "0912345678"))  # the owner of the number
    assert "đã có tài khoản" in other.text and other.flow == "login"


async def test_codes_expire_allow_five_tries_and_are_used_once(chat: Chat, app: App) -> None:
    from datetime import timedelta

    from bot.services.values.dates import FixedClock, now, use_clock

    await chat.send("/start")
    await chat.press("signup")
    await chat.send("Lê Văn Cường")
    await chat.send("0912345678")
    code = await read_sms(app.engine, "0912345678")
    wrong = "999999" if code != "999999" else "888888"
    for left in (4, 3, 2, 1, 0):
        await chat.send(wrong)
        assert f"còn {left} lần thử" in chat.prompt
    await chat.send(code)  # right, but no tries left
    assert "quá số lần cho phép" in chat.prompt
    await chat.press("resend")
    assert "Đã gửi mã mới" in chat.prompt
    fresh = await read_sms(app.engine, "0912345678")
    previous = use_clock(FixedClock(now() + timedelta(minutes=6)))
    try:
        await chat.send(fresh)
        assert "hết hạn" in chat.prompt
    finally:
        use_clock(previous)
    await chat.press("resend")
    await chat.press("resend")
    assert "quá nhiều mã" in chat.prompt  # at most 3 in 15 minutes


async def test_forgotten_password_with_the_sms_code(chat: Chat, app: App) -> None:
    await signup(chat)
    await chat.press("logout")
    await chat.press("login")
    await chat.send("0912345678")
    await chat.press("forgot")  # from the password question: a code instead of waiting
    assert "mã xác nhận 6 chữ số" in chat.prompt and "0912 345 678" in chat.prompt  # the number not asked again
    assert chat.step == "reset_code"
    await chat.send(await read_sms(app.engine, "0912345678"))
    await chat.send("mật-khẩu-mới-2026")
    await chat.send("mật-khẩu-mới-2026")
    assert "Đã đặt mật khẩu mới" in chat.text
    await chat.press("logout")
    await chat.press("login")
    await chat.send("0912345678")
    await chat.send("mật-khẩu-mới-2026")
    assert "Đăng nhập thành công" in chat.text


async def test_forgotten_password_for_a_number_without_account_says_the_same(chat: Chat, app: App) -> None:
    await signup(chat)
    await chat.press("logout")
    answers = []
    for phone in ("0912345678", "0987000111"):  # an account, and no account
        probe = Chat(app.engine, "forgot-" + phone)
        await probe.send("/start")
        await probe.press("forgot")
        asked = (await probe.send(phone))[-1].text
        await probe.send("123456" if await read_sms(app.engine, "0912345678") != "123456" else "654321")
        wrong = probe.prompt
        for _ in range(3):
            await probe.press("resend")
        answers.append(tuple(re.sub(r"[\d ]{9,}", "<số>", t) for t in (asked, wrong, probe.prompt)))
    assert "mã xác nhận 6 chữ số" in answers[0][0] and "Mã không đúng" in answers[0][1]
    assert "quá nhiều mã" in answers[0][2]  # the send limit holds for both numbers alike
    assert answers[0] == answers[1]  # the number aside, word for word


async def test_logout_and_login(chat: Chat) -> None:
    await signup(chat)
    await chat.press("logout")
    assert "đã đăng xuất" in chat.text
    await chat.press("login")
    await chat.send("0912 345 678")
    await chat.send(PASSWORD)
    assert "Đăng nhập thành công" in chat.text
    assert chat.payloads()[0] == "register_self"


async def test_a_strangers_wrong_passwords_never_lock_the_owner_out(chat: Chat, app: App) -> None:
    """Ten wrong passwords from one source slow that source down; the owner elsewhere logs in at once."""
    await signup(chat)
    await chat.press("logout")
    stranger = await at_password(app.engine, "stranger-1")
    answers = []
    for _ in range(10):
        await stranger.send("wrong-password")
        answers.append(stranger.prompt)
    assert all("Số điện thoại hoặc mật khẩu không đúng" in a for a in answers[:3])
    assert all("thử lại" in a and "không đúng" not in a for a in answers[3:])  # then: wait
    await stranger.send(PASSWORD)  # even the right one waits, from this source
    assert "thử lại" in stranger.prompt and "Đăng nhập thành công" not in stranger.text
    assert "Quên mật khẩu" in answers[3]  # a code by SMS instead of waiting, for whoever owns the number
    assert "forgot" in stranger.payloads()
    await chat.press("login")  # the owner, from their own device
    await chat.send("0912345678")
    await chat.send(PASSWORD)
    assert "Đăng nhập thành công" in chat.text


async def test_an_unknown_number_and_a_wrong_password_get_the_same_answer(chat: Chat, app: App) -> None:
    await signup(chat)
    await chat.press("logout")
    answers = []
    for phone in ("0912345678", "0987000111"):  # an account, and no account
        other = Chat(app.engine, "probe-" + phone)
        await other.send("/start")
        await other.press("login")
        await other.send(phone)
        asked = other.prompt
        await other.send("wrong-password")
        answers.append((asked, other.prompt))
    assert answers[0] == answers[1]


async def test_changing_the_phone_number_proves_the_new_one(chat: Chat, app: App) -> None:
    await signup(chat)
    other = Chat(app.engine, "someone-else")
    await signup(other, name="Phạm Thị Dung", phone="0987654321")
    await chat.press("change_phone")
    await chat.send("0987654321")  # another account's number: proven first, then refused
    await chat.send(await read_sms(app.engine, "0987654321"))
    assert "thuộc một tài khoản khác" in chat.text
    await chat.press("change_phone")
    await chat.send("0903333333")
    await chat.send(await read_sms(app.engine, "0903333333"))
    assert "Đã đổi số điện thoại của tài khoản thành 0903 333 333" in chat.text
    await chat.press("logout")
    await chat.press("login")
    await chat.send("0903333333")
    await chat.send(PASSWORD)
    assert "Đăng nhập thành công" in chat.text


async def test_an_sms_reaches_the_gateway_over_http(tmp_path: object) -> None:
    """The HTTP gateway on loopback: JSON {to, text} with the bearer token; the outbox then forgets the text."""
    from pathlib import Path

    from aiohttp import web
    from sqlalchemy import select

    from bot.app import build
    from models.tables import Outbox, table
    from tests.conftest import cheap_settings

    received: list[tuple[str | None, dict[str, str]]] = []

    async def gateway(request: web.Request) -> web.Response:
        received.append((request.headers.get("Authorization"), await request.json()))
        return web.json_response({"ok": True})

    site_app = web.Application()
    site_app.router.add_post("/sms", gateway)
    runner = web.AppRunner(site_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    settings = cheap_settings(Path(str(tmp_path))).model_copy(
        update={"sms_url": f"http://127.0.0.1:{port}/sms", "sms_token": "gateway-token"})
    app = build(settings)
    try:
        chat = Chat(app.engine, "sms-http")
        await chat.send("/start")
        await chat.press("signup")
        await chat.send("Lê Văn Cường")
        await chat.send("0912345678")
        assert await app.pusher.run_once() == 1
        assert received[0][0] == "Bearer gateway-token" and received[0][1]["to"] == "+84912345678"
        code = received[0][1]["text"][:6]
        assert code.isdigit()
        with app.store.engine.connect() as conn:
            assert conn.execute(select(table(Outbox).c.payload)).scalar_one() == {}  # the code is not kept
        await chat.send(code)
        assert "đặt mật khẩu" in chat.prompt
    finally:
        app.close()
        await runner.cleanup()


async def test_the_code_of_the_earlier_sms_after_a_resend_is_said_to_be_replaced(chat: Chat, app: App) -> None:
    await chat.send("/start")
    await chat.press("signup")
    await chat.send("Lê Văn Cường")
    await chat.send("0912345678")
    first = await read_sms(app.engine, "0912345678")
    await chat.press("resend")
    newest = await read_sms(app.engine, "0912345678")
    if first != newest:  # one in a million they are the same
        await chat.send(first)
        assert "mã trong tin nhắn trước không còn dùng được" in chat.prompt and chat.step == "signup_code"
    await chat.send(newest)
    assert "đặt mật khẩu" in chat.prompt


async def test_after_sign_up_the_person_is_greeted_once(chat: Chat) -> None:
    await signup(chat)
    said = "\n".join(r.text for r in chat.last)
    assert said.count("Xin chào") == 1 and "Tạo tài khoản thành công" in said
