"""Account creation and log-in, with the mistakes people make."""

from __future__ import annotations

from bot.app import App
from tests.helpers import PASSWORD, Chat, signup


async def test_password_mismatch_asks_both_again(chat: Chat) -> None:
    await chat.send("/start")
    await chat.press("signup")
    await chat.send("Lê Văn Cường")
    await chat.send("0912345678")
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
    await chat.send("/start")
    await chat.press("signup")
    await chat.send("Lê Văn Cường")
    replies = await chat.send("0912345678")
    assert replies[-1].secret_prompt
    replies = await chat.send(PASSWORD)
    assert replies[0].delete_incoming
    assert PASSWORD not in chat.text


async def test_phone_taken(chat: Chat, app: App) -> None:
    await signup(chat)
    other = Chat(app.engine, chat.chat_id + "-2")
    await other.send("/start")
    await other.press("signup")
    await other.send("Phạm Thị Dung")
    await other.send("+84 912 345 678")
    assert "đã có tài khoản" in other.prompt


async def test_logout_and_login(chat: Chat) -> None:
    await signup(chat)
    await chat.press("logout")
    assert "đã đăng xuất" in chat.text
    await chat.press("login")
    await chat.send("0912 345 678")
    await chat.send(PASSWORD)
    assert "Đăng nhập thành công" in chat.text
    assert chat.last[-1].choices[0].payload == "register_self"


async def test_five_wrong_passwords_lock_the_account_and_say_until_when(chat: Chat, app: App) -> None:
    await signup(chat)
    await chat.press("logout")
    await chat.press("login")
    await chat.send("0912345678")
    for _ in range(4):
        await chat.send("wrong-password")
        assert "Mật khẩu không đúng" in chat.prompt
    await chat.send("wrong-password")
    assert "tạm khóa" in chat.prompt and "thử lại sau" in chat.prompt
    await chat.send(PASSWORD)  # even the right one is refused while locked
    assert "tạm khóa" in chat.prompt
    other = Chat(app.engine, chat.chat_id + "-2")
    await other.send("/start")
    await other.press("login")
    await other.send("0912345678")
    assert "tạm khóa" in other.prompt


async def test_unknown_phone_at_login(chat: Chat) -> None:
    await chat.send("/start")
    await chat.press("login")
    await chat.send("0987000111")
    assert "Chưa có tài khoản" in chat.prompt
