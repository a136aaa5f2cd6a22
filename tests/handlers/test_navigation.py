"""Language switches, drafts, edits from the summary, idle restarts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.app import App
from bot.services.values.dates import utcnow
from models.tables import Conversation, table
from tests.factories import logged_in
from tests.helpers import Chat, answer_form, send_form
from tests.scripts import Button, details, history


async def test_switching_language_mid_flow_keeps_the_step_and_answers(chat: Chat) -> None:
    await logged_in(chat)
    await chat.press("register_self")
    await answer_form(chat, details(id_type=Button("passport"), id_number="B1234567"), until="sex")
    assert "Giới tính" in chat.prompt
    await chat.send("/lang")
    await chat.press("en")
    assert "Switched to English." in chat.text
    assert "Sex?" in chat.prompt and chat.prompt.startswith("Step 1/3 · Registration details")
    assert [c.label for c in chat.last[-1].choices][:2] == ["Male", "Female"]
    await chat.send("male")  # the everyday words of the chat's language
    await answer_form(chat, details(id_type=Button("passport"), id_number="B1234567", nationality="Lào"))
    await answer_form(chat, history())
    assert "Full name: Nguyễn Văn An" in chat.prompt and "Date of birth: 01/07/1990" in chat.prompt
    await chat.send("/lang")
    await chat.press("vi")
    assert "kiểm tra lại thông tin" in chat.prompt


async def test_menu_keeps_a_draft_and_offers_it_back(chat: Chat) -> None:
    await logged_in(chat)
    await chat.press("register_self")
    await answer_form(chat, details(), until="birth_date")
    await chat.send("/menu")
    await chat.press("register_self")
    assert "Tiếp tục đăng ký đang dở?" in chat.prompt
    await chat.press("yes")
    assert "Ngày sinh (ngày/tháng/năm" in chat.prompt
    await answer_form(chat, details())
    await answer_form(chat, history())
    assert "Ngày sinh: 01/07/1990" in chat.prompt


async def test_declining_the_draft_starts_afresh(chat: Chat) -> None:
    await logged_in(chat)
    await chat.press("register_self")
    await answer_form(chat, details(), until="id_type")
    await chat.send("/menu")
    await chat.press("register_self")
    await chat.press("no")
    assert "Họ và tên người được tiêm" in chat.prompt


async def test_cancel_discards_the_form(chat: Chat) -> None:
    await logged_in(chat)
    await chat.press("register_self")
    await answer_form(chat, details(), until="birth_date")
    await chat.send("/huy")
    assert "Hủy phần đang điền?" in chat.text and chat.step == "birth_date"
    await chat.send("không ạ")  # nothing is lost: the same question again
    assert "Không hủy" in chat.text and "Ngày sinh (ngày/tháng/năm" in chat.prompt
    await chat.send("hủy")
    await chat.send("co")
    assert "Đã hủy" in chat.text
    await chat.press("register_self")
    assert "Họ và tên người được tiêm" in chat.prompt


async def test_an_answer_typed_instead_of_confirming_the_cancel_is_taken_as_the_answer(chat: Chat) -> None:
    await logged_in(chat)
    await chat.press("register_self")
    await answer_form(chat, details(), until="birth_date")
    await chat.send("/huy")
    await chat.send("01/07/1990")
    assert "Đã ghi nhận: ngày 01 tháng 7 năm 1990." in chat.text and chat.step == "ethnicity"


async def test_edit_from_summary_asks_only_what_changed(chat: Chat) -> None:
    await logged_in(chat)
    await chat.press("register_self")
    await answer_form(chat, details())
    await answer_form(chat, history())
    await chat.press("edit")
    assert "muốn sửa mục nào" in chat.prompt and "1. Họ và tên" in chat.prompt
    await chat.press("province_code")
    assert "Tỉnh/Thành phố nơi muốn tiêm" in chat.prompt
    await chat.send("ha noi")
    assert "Xã/Phường ở Thành phố Hà Nội" in chat.prompt  # the ward depends on the province
    await chat.send("phuong ba dinh")  # bare, "Ba Đình" would ask: the ward today, or the old district?
    assert "chọn điểm tiêm" in chat.prompt  # and so does the site
    await chat.send("1")
    assert "kiểm tra lại thông tin" in chat.prompt
    assert "Tỉnh/Thành phố: Thành phố Hà Nội" in chat.prompt and "Xã/Phường: Phường Ba Đình" in chat.prompt


async def test_changing_sex_to_female_asks_the_pregnancy_question(chat: Chat) -> None:
    await logged_in(chat)
    await chat.press("register_self")
    await answer_form(chat, details(id_type=Button("passport"), id_number="B1234567", nationality="Lào"))
    await answer_form(chat, history())
    await chat.press("edit")
    await chat.press("sex")
    await chat.press("F")
    assert "Câu 9/11 · Đang mang thai" in chat.prompt  # numbered among the questions she is asked
    await chat.press("no")
    assert "Giới tính: Nữ" in chat.prompt


async def test_a_new_cccd_rereads_the_sex_and_asks_what_it_changes(chat: Chat) -> None:
    await logged_in(chat)
    await chat.press("register_self")
    await answer_form(chat, details())
    await answer_form(chat, history())
    assert "Giới tính: Nam" in chat.prompt
    await chat.press("edit")
    await chat.send("Loại giấy tờ")  # the field's name, typed
    await chat.send("001190123456")  # a woman's CCCD
    assert "Câu 9/11" in chat.prompt
    await chat.press("no")
    assert "Giới tính: Nữ" in chat.prompt and "Số giấy tờ: 001190123456" in chat.prompt


async def test_province_without_sites_goes_to_the_pool(chat: Chat) -> None:
    await logged_in(chat)
    await chat.press("register_self")
    script = details(province_code="Cà Mau", ward_code="an xuyên")
    await answer_form(chat, script, until="site_id")
    assert "Tỉnh Cà Mau chưa có điểm tiêm nào" in chat.prompt
    await chat.press("site:pool")
    await answer_form(chat, script)
    await answer_form(chat, history())
    await send_form(chat)
    assert "danh sách chờ của Tỉnh Cà Mau" in chat.text
    assert "khi có điểm tiêm.\n\nMã QR sẽ được gửi" in chat.text  # sentences apart, never "tiêm.Mã"


async def test_idle_conversation_restarts_politely(chat: Chat, app: App) -> None:
    await logged_in(chat)
    await chat.press("register_self")
    await answer_form(chat, details(), until="ethnicity")
    with app.store.engine.begin() as conn:
        conn.execute(update(table(Conversation)).values(updated_at=utcnow() - timedelta(days=31)))
    await chat.send("Kinh")
    assert "Chào mừng Anh/Chị quay lại" in chat.text
    await chat.press("register_self")
    assert "Tiếp tục đăng ký đang dở?" in chat.prompt
