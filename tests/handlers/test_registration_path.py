"""The main path, as a person types it, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.app import App
from models.tables import Person, Registration, table
from tests.helpers import Chat, answer_form, send_form, signup
from tests.scripts import Button, details, history


async def register_self(chat: Chat) -> str:
    """The whole path for the account holder; returns the booking code."""
    await chat.press("register_self")
    assert "Bước 1/3" in chat.prompt
    await answer_form(chat, details())
    assert "Bước 2/3 · Tiền sử tiêm" in chat.prompt
    await answer_form(chat, history())
    assert "kiểm tra lại thông tin" in chat.prompt
    await chat.press("ok")
    assert "PHIẾU ĐỒNG Ý" in chat.prompt
    await chat.press("tick")
    await chat.press("confirm")
    match = re.search(r"Mã đặt tiêm: (\d{16})", chat.text)
    assert match, chat.text
    return match.group(1)


async def test_full_registration_gives_booking_code_summary_site_and_priority_notice(
    chat: Chat, app: App
) -> None:
    await signup(chat)
    code = await register_self(chat)
    assert "Trạm Y tế phường Bến Thành" in chat.text
    assert "đăng ký trước không có nghĩa là được tiêm trước" in chat.text
    assert "•••••••••456" in chat.text  # the ID number is masked in the confirmation
    assert chat.payloads()[0] == "register_self"  # back on the menu
    with app.store.engine.connect() as conn:
        row = conn.execute(select(table(Registration)).where(table(Registration).c.booking_code == code)).one()
        person = conn.execute(select(table(Person))).one()
    assert row.status == "submitted" and row.screening["q10"] == "no" and row.screening_flags == ""
    assert person.full_name == "Nguyễn Văn An" and person.name_key == "nguyen van an"


async def test_registration_appears_in_history_and_can_be_cancelled(chat: Chat) -> None:
    await signup(chat)
    code = await register_self(chat)
    await chat.press("records")
    assert code in chat.prompt and "chờ xếp lịch" in chat.prompt
    await chat.press(f"cancel:{code}")
    assert "chắc chắn muốn hủy" in chat.prompt
    await chat.press("yes")
    assert f"Đã hủy đăng ký mã {code}" in chat.text
    assert "đã hủy" in chat.prompt
    assert not [c for c in chat.last[-1].choices if c.payload.startswith("cancel:")]


async def test_same_person_cannot_hold_two_open_registrations(chat: Chat, app: App) -> None:
    await signup(chat)
    await register_self(chat)
    other = Chat(app.engine, chat.chat_id + "-other")
    await signup(other, name="Trần Thị Bình", phone="0987654321")
    await other.press("register_family")
    await other.press("other")
    await answer_form(other, details(phone=Button("account_phone")), until="id_type")
    await other.send("001090123456")  # the first person's CCCD: said at once, before any other answer
    assert "Số giấy tờ này đã có đăng ký từ một tài khoản khác" in other.prompt
    assert "Bến Thành" not in other.prompt and "Nguyễn" not in other.prompt  # no site, no date, no name
    assert "Số CCCD hoặc mã định danh" in other.prompt and other.step == "id_type"  # still at the ID


async def test_family_member_registration_under_the_same_account(chat: Chat) -> None:
    await signup(chat)
    await chat.press("register_family")
    assert "là gì của Anh/Chị" in chat.prompt
    await chat.press("child")
    child = details(full_name="Nguyễn Thị Hoa", birth_date="05/03/2012", sex=Button("F"), id_number="001312123456",
                    phone=Button("account_phone"))
    await answer_form(chat, child, until="phone")
    assert "chưa đủ 18 tuổi" in chat.prompt  # a guardian's phone
    await answer_form(chat, child)
    await answer_form(chat, history(female=True))
    assert "Quan hệ: Con" in chat.prompt
    await send_form(chat)
    assert "ĐĂNG KÝ THÀNH CÔNG" in chat.text
    await chat.press("records")
    assert "Nguyễn Thị Hoa" in chat.prompt
