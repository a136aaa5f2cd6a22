"""Bad input: a specific reason, the same question again, nothing already entered lost."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import App
from bot.services.dates import today
from models.tables import Person, table
from tests.helpers import Chat, answer_form, signup
from tests.scripts import details, history

QUESTION_NAME = "Họ và tên người được tiêm"
QUESTION_BIRTH = "Ngày sinh"


async def at_details(chat: Chat, step: str) -> None:
    """Signed up, registering oneself, answered everything before ``step``."""
    await signup(chat)
    await chat.press("register_self")
    await answer_form(chat, details(), until=step)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "Bạn chưa nhập gì"),
        ("   ", "Bạn chưa nhập gì"),
        ("A" * 10_000, "tối đa 120 ký tự"),
        ("Nguyễn Văn 3", "không có chữ số"),
        ("😀😀", "không có chữ số hay ký hiệu"),
    ],
)
async def test_bad_names_are_refused_with_a_reason(chat: Chat, text: str, reason: str) -> None:
    await at_details(chat, "full_name")
    await chat.send(text)
    assert reason in chat.prompt
    assert QUESTION_NAME in chat.prompt


async def test_nfd_vietnamese_is_stored_as_nfc(chat: Chat) -> None:
    await at_details(chat, "full_name")
    await chat.send(unicodedata.normalize("NFD", "Nguyễn Thị Ánh"))
    await answer_form(chat, details())
    await answer_form(chat, history())
    assert "Họ và tên: Nguyễn Thị Ánh" in chat.prompt
    assert unicodedata.is_normalized("NFC", chat.prompt)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31/02/2000", "Không có ngày 31/02/2000"),
        ((today() + timedelta(days=3)).strftime("%d/%m/%Y"), "không thể ở tương lai"),
        ("1990-07-01", "ngày/tháng/năm"),
        ("1/7/90", "4 chữ số"),
        ("hôm qua", "ngày/tháng/năm"),
    ],
)
async def test_bad_birth_dates(chat: Chat, text: str, reason: str) -> None:
    await at_details(chat, "birth_date")
    await chat.send(text)
    assert reason in chat.prompt and QUESTION_BIRTH in chat.prompt


async def test_birth_date_is_echoed_in_words(chat: Chat) -> None:
    await at_details(chat, "birth_date")
    await chat.send("1/7/1990")
    assert "Đã ghi nhận: 1 tháng 7 năm 1990." in chat.text


@pytest.mark.parametrize(
    ("cccd", "reason"),
    [
        ("001190123456", "Chữ số thứ 4 của CCCD (1)"),  # female digit for a man
        ("001290123456", "Chữ số thứ 4 của CCCD (2)"),  # 2000s for someone born in 1990
        ("001091123456", "Chữ số thứ 5–6 của CCCD (91)"),
        ("00109012345", "đúng 12 chữ số (bạn nhập 11)"),
        ("00109012345X", "chỉ gồm chữ số"),
    ],
)
async def test_cccd_cross_check(chat: Chat, cccd: str, reason: str) -> None:
    await at_details(chat, "id_number")
    await chat.send(cccd)
    assert reason in chat.prompt and "Số Căn cước công dân" in chat.prompt


@pytest.mark.parametrize(
    ("phone", "reason"),
    [
        ("01623456789", "đã đổi sang 0323456789"),
        ("091234567", "10 chữ số"),
        ("+1 202 555 0100", "số di động Việt Nam"),
        ("abc", "chỉ gồm chữ số"),
    ],
)
async def test_bad_phones(chat: Chat, phone: str, reason: str) -> None:
    await at_details(chat, "phone")
    await chat.send(phone)
    assert reason in chat.prompt and "Số điện thoại di động" in chat.prompt


async def test_someone_elses_contact_is_refused(chat: Chat) -> None:
    await at_details(chat, "phone")
    await chat.send(contact_phone="0987654321", contact_is_own=False)
    assert "số của người khác" in chat.prompt


async def test_preferred_date_must_be_after_today(chat: Chat) -> None:
    await at_details(chat, "preferred_date")
    await chat.send(today().strftime("%d/%m/%Y"))
    assert "từ ngày mai" in chat.prompt and "Ngày muốn được tiêm" in chat.prompt


async def test_photo_and_sticker_keep_the_question(chat: Chat) -> None:
    await at_details(chat, "sex")
    await chat.send(photo=b"\x89PNG....")
    assert "chỉ đọc được tin nhắn chữ" in chat.prompt and "Giới tính" in chat.prompt
    await chat.send(other="sticker")
    assert "Giới tính" in chat.prompt


async def test_typed_number_and_label_work_like_buttons(chat: Chat) -> None:
    await at_details(chat, "sex")
    await chat.send("nữ")
    assert "Dân tộc" in chat.prompt
    await chat.send("/quaylai")
    assert "Giới tính" in chat.prompt
    await chat.send("1")
    assert "Dân tộc" in chat.prompt
    await chat.send("1")  # the one choice offered: Kinh
    assert "Loại giấy tờ" in chat.prompt


@pytest.mark.parametrize(
    ("typed", "shown"),
    [("kinh", "Kinh"), ("Tay", "Tày"), ("ê đê", "Ê Đê"), ("EDE", "Ê Đê"), ("hmong", "Mông"), ("H'Mông", "Mông"),
     ("dân tộc Mường", "Mường"), ("khome", "Khmer"), ("van kieu", "Bru - Vân Kiều"), ("Ro Mam", "Rơ Măm")],
)
async def test_ethnicity_typed_any_way_is_stored_as_officially_written(chat: Chat, typed: str, shown: str) -> None:
    await at_details(chat, "ethnicity")
    await chat.send(typed)
    assert "Loại giấy tờ" in chat.prompt, chat.prompt
    await answer_form(chat, details())
    await answer_form(chat, history())
    assert f"Dân tộc: {shown}\n" in chat.prompt


async def test_unknown_ethnicity_is_explained_and_can_be_skipped(chat: Chat) -> None:
    await at_details(chat, "ethnicity")
    await chat.send("Viking")
    assert "không tìm thấy dân tộc \"Viking\"" in chat.prompt and "Dân tộc?" in chat.prompt
    await chat.press("nav:skip")
    assert "Loại giấy tờ" in chat.prompt


async def test_nationality_is_asked_of_passport_holders_only(chat: Chat, app: App) -> None:
    await at_details(chat, "id_type")
    await chat.press("passport")
    await chat.send("B1234567")
    assert "Quốc tịch?" in chat.prompt
    await chat.send("viet nam")
    assert "Số điện thoại di động" in chat.prompt
    await chat.send("/quaylai")
    await chat.send("Hàn Quốc")
    await answer_form(chat, details())
    await answer_form(chat, history())
    assert "Quốc tịch: Hàn Quốc" in chat.prompt
    await chat.press("ok")
    await chat.press("tick")
    await chat.press("confirm")
    with app.store.engine.connect() as conn:
        person = conn.execute(select(table(Person))).one()
    assert (person.ethnicity, person.nationality, person.id_type) == ("Kinh", "Hàn Quốc", "passport")


async def test_a_cccd_holder_is_not_asked_the_nationality(chat: Chat) -> None:
    await at_details(chat, "id_number")
    await chat.send("001090123456")
    assert "Số điện thoại di động" in chat.prompt


async def test_back_keeps_earlier_answers_and_progress_is_shown(chat: Chat) -> None:
    await at_details(chat, "ethnicity")
    await chat.press("nav:back")
    assert "Giới tính" in chat.prompt and chat.prompt.startswith("Bước 1/3 · Thông tin đăng ký tiêm")
    await chat.send("quay lại")
    assert QUESTION_BIRTH in chat.prompt
    await answer_form(chat, details())
    await answer_form(chat, history())
    assert "Họ và tên: Nguyễn Văn An" in chat.prompt


async def test_unknown_command_is_explained(chat: Chat) -> None:
    await at_details(chat, "sex")
    await chat.send("/xyz")
    assert "không hiểu lệnh" in chat.prompt and "Giới tính" in chat.prompt


async def test_help_explains_and_stays(chat: Chat) -> None:
    await at_details(chat, "sex")
    await chat.send("/help")
    assert "ngày/tháng/năm" in chat.text and "Giới tính" in chat.prompt
