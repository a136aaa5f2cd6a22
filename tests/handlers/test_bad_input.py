"""Bad input: a specific reason, the same question again, nothing already entered lost."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import App
from bot.services.values.dates import today
from models.tables import Person, table
from tests.factories import logged_in
from tests.helpers import Chat, answer_form, send_form
from tests.scripts import Button, details, history

QUESTION_NAME = "Họ và tên người được tiêm"
QUESTION_BIRTH = "Ngày sinh"


async def at_details(chat: Chat, step: str) -> None:
    """Signed up, registering oneself, answered everything before ``step``."""
    await logged_in(chat)
    await chat.press("register_self")
    await answer_form(chat, details(), until=step)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "Anh/Chị chưa nhập nội dung"),
        ("   ", "Anh/Chị chưa nhập nội dung"),
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
        ("01/07/1890", "cách đây quá xa"),  # "1/7/90" is 1990 now: two digits are read
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
    assert "Đã ghi nhận: ngày 01 tháng 7 năm 1990." in chat.text


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("00109012345", "(có 11 chữ số)"),
        ("00109012345X", "(có 11 chữ số)"),
        ("12345", "Số CCCD hoặc mã định danh cá nhân gồm 12 chữ số"),
    ],
)
async def test_an_id_number_of_no_known_shape_is_explained(chat: Chat, number: str, reason: str) -> None:
    await at_details(chat, "id_type")
    await chat.send(number)
    assert reason in chat.prompt and "Số CCCD hoặc mã định danh cá nhân (12 chữ số)" in chat.prompt


async def test_a_birth_year_the_cccd_contradicts_is_said_in_plain_words(chat: Chat) -> None:
    await at_details(chat, "id_type")
    await chat.send("001085123456")  # born in 1985, says the CCCD
    await chat.send("01/07/1990")
    assert "Số CCCD này ghi năm sinh 1985, nhưng ngày sinh đã khai là năm 1990" in chat.prompt
    assert QUESTION_BIRTH in chat.prompt
    await chat.send("01/07/1985")
    assert "Dân tộc" in chat.prompt  # the sex came from the CCCD: not asked


async def test_the_sex_read_from_the_cccd_is_shown_and_a_contradicting_edit_refused(chat: Chat) -> None:
    await at_details(chat, "id_type")
    await answer_form(chat, details(id_number="001190123456"))  # a woman's CCCD
    await answer_form(chat, history(female=True))
    assert "Giới tính: Nữ" in chat.prompt
    await chat.press("edit")
    await chat.press("sex")
    await chat.press("M")
    assert "Số CCCD này ghi giới tính nữ, nhưng Anh/Chị khai Nam" in chat.prompt and "Giới tính?" in chat.prompt


async def at_phone(chat: Chat) -> None:
    """A family member's form at the phone question (one's own phone is the account's, not asked)."""
    await logged_in(chat)
    await chat.press("register_family")
    await chat.press("spouse")
    await answer_form(chat, details(full_name="Trần Thị Mai", id_number="001190123456"), until="phone")
    assert chat.step == "phone", chat.prompt


@pytest.mark.parametrize(
    ("phone", "reason"),
    [
        ("01623456789", "đã đổi thành 0323456789"),
        ("091234567", "10 chữ số"),
        ("+1 202 555 0100", "số di động Việt Nam"),
        ("abc", "chỉ gồm chữ số"),
    ],
)
async def test_bad_phones(chat: Chat, phone: str, reason: str) -> None:
    await at_phone(chat)
    await chat.send(phone)
    assert reason in chat.prompt and "Số điện thoại di động" in chat.prompt


async def test_someone_elses_contact_is_refused(chat: Chat) -> None:
    await at_phone(chat)
    await chat.send(contact_phone="0987654321", contact_is_own=False)
    assert "số của người khác" in chat.prompt


async def test_preferred_date_must_be_after_today(chat: Chat) -> None:
    await at_details(chat, "preferred_date")
    await chat.send(today().strftime("%d/%m/%Y"))
    assert "từ ngày mai" in chat.prompt and "Ngày muốn được tiêm" in chat.prompt


async def test_photo_and_sticker_keep_the_question(chat: Chat) -> None:
    await at_details(chat, "ethnicity")
    await chat.send(photo=b"\x89PNG....")
    assert "chỉ đọc được tin nhắn chữ" in chat.prompt and "Dân tộc?" in chat.prompt
    await chat.send(other="sticker")
    assert "Dân tộc?" in chat.prompt


async def test_typed_number_and_label_work_like_buttons(chat: Chat) -> None:
    await at_details(chat, "id_type")
    await chat.send("3")  # the third document: passport
    assert "Số Hộ chiếu?" in chat.prompt
    await chat.send("B1234567")
    await chat.send("01/07/1990")
    assert "Giới tính?" in chat.prompt  # a passport does not tell the sex
    await chat.send("nữ")
    assert "Quốc tịch?" in chat.prompt  # a passport holder: the nationality before any "Dân tộc"
    await chat.send("/quaylai")
    assert "Giới tính" in chat.prompt
    await chat.send("1")
    assert "Quốc tịch?" in chat.prompt
    await chat.send("Việt Nam")
    assert "Dân tộc" in chat.prompt


@pytest.mark.parametrize(
    ("typed", "shown"),
    [("kinh", "Kinh"), ("Tay", "Tày"), ("ê đê", "Ê Đê"), ("EDE", "Ê Đê"), ("hmong", "Mông"), ("H'Mông", "Mông"),
     ("dân tộc Mường", "Mường"), ("khome", "Khmer"), ("van kieu", "Bru - Vân Kiều"), ("Ro Mam", "Rơ Măm")],
)
async def test_ethnicity_typed_any_way_is_stored_as_officially_written(chat: Chat, typed: str, shown: str) -> None:
    await at_details(chat, "ethnicity")
    await chat.send(typed)
    assert "Số thẻ bảo hiểm y tế" in chat.prompt, chat.prompt
    await answer_form(chat, details())
    await answer_form(chat, history())
    assert f"Dân tộc: {shown}\n" in chat.prompt


async def test_unknown_ethnicity_is_explained_and_can_be_skipped(chat: Chat) -> None:
    await at_details(chat, "ethnicity")
    await chat.send("Viking")
    assert "không tìm thấy dân tộc \"Viking\"" in chat.prompt and "Dân tộc?" in chat.prompt
    await chat.press("nav:skip")
    assert "Số thẻ bảo hiểm y tế" in chat.prompt


async def test_nationality_is_asked_of_passport_holders_only(chat: Chat, app: App) -> None:
    await at_details(chat, "id_type")
    await chat.press("passport")
    await chat.send("B1234567")
    await answer_form(chat, details(id_type=Button("passport")), until="nationality")
    assert "Quốc tịch?" in chat.prompt
    await chat.send("viet nam")
    assert "Dân tộc" in chat.prompt  # a Vietnamese citizen with a passport: asked
    await chat.send("/quaylai")
    await chat.send("Hàn Quốc")
    assert "Số thẻ bảo hiểm y tế" in chat.prompt  # a foreigner: no "Dân tộc"; one's own phone is not asked
    await answer_form(chat, details(id_type=Button("passport")))
    await answer_form(chat, history())
    assert "Quốc tịch: Hàn Quốc" in chat.prompt
    await send_form(chat)
    with app.store.engine.connect() as conn:
        person = conn.execute(select(table(Person))).one()
    assert (person.ethnicity, person.nationality, person.id_type) == (None, "Hàn Quốc", "passport")


async def test_a_cccd_holder_is_not_asked_the_nationality(chat: Chat) -> None:
    await at_details(chat, "ethnicity")
    await chat.send("kinh")
    assert "Số thẻ bảo hiểm y tế" in chat.prompt


async def test_back_keeps_earlier_answers_and_progress_is_shown(chat: Chat) -> None:
    await at_details(chat, "ethnicity")
    await chat.press("nav:back")  # the sex, read from the CCCD, was never asked: back to the birth date
    assert QUESTION_BIRTH in chat.prompt and chat.prompt.startswith("Bước 1/3 · Thông tin đăng ký tiêm")
    await chat.send("quay lại")
    assert "Số CCCD hoặc mã định danh" in chat.prompt
    await answer_form(chat, details())
    await answer_form(chat, history())
    assert "Họ và tên: Nguyễn Văn An" in chat.prompt


async def test_unknown_command_is_explained(chat: Chat) -> None:
    await at_details(chat, "ethnicity")
    await chat.send("/xyz")
    assert "không có lệnh này" in chat.prompt and "Dân tộc?" in chat.prompt


async def test_help_explains_and_stays(chat: Chat) -> None:
    await at_details(chat, "ethnicity")
    await chat.send("/help")
    assert "ngày/tháng/năm" in chat.text and "Dân tộc?" in chat.prompt
