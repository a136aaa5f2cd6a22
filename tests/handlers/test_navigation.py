"""Language switches, drafts, edits from the summary, idle restarts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.app import App
from bot.services.dates import utcnow
from models.tables import Conversation, table
from tests.helpers import Chat, answer_form, signup
from tests.scripts import details, history


async def test_switching_language_mid_flow_keeps_the_step_and_answers(chat: Chat) -> None:
    await signup(chat)
    await chat.press("register_self")
    await answer_form(chat, details(), until="sex")
    assert "Giới tính" in chat.prompt
    await chat.send("/lang")
    await chat.press("en")
    assert "Switched to English." in chat.text
    assert "Sex?" in chat.prompt and chat.prompt.startswith("Step 1/3 · Registration details")
    assert [c.label for c in chat.last[-1].choices][:2] == ["Male", "Female"]
    await answer_form(chat, details())
    await answer_form(chat, history())
    assert "Full name: Nguyễn Văn An" in chat.prompt and "Date of birth: 01/07/1990" in chat.prompt
    await chat.send("/lang")
    await chat.press("vi")
    assert "Kiểm tra lại thông tin" in chat.prompt


async def test_menu_keeps_a_draft_and_offers_it_back(chat: Chat) -> None:
    await signup(chat)
    await chat.press("register_self")
    await answer_form(chat, details(), until="id_number")
    await chat.send("/menu")
    await chat.press("register_self")
    assert "Tiếp tục đăng ký đang dở?" in chat.prompt
    await chat.press("yes")
    assert "Số Căn cước công dân" in chat.prompt
    await answer_form(chat, details())
    await answer_form(chat, history())
    assert "Ngày sinh: 01/07/1990" in chat.prompt


async def test_declining_the_draft_starts_afresh(chat: Chat) -> None:
    await signup(chat)
    await chat.press("register_self")
    await answer_form(chat, details(), until="id_type")
    await chat.send("/menu")
    await chat.press("register_self")
    await chat.press("no")
    assert "Họ và tên người được tiêm" in chat.prompt


async def test_cancel_discards_the_form(chat: Chat) -> None:
    await signup(chat)
    await chat.press("register_self")
    await answer_form(chat, details(), until="id_type")
    await chat.send("/huy")
    assert "Đã hủy" in chat.text
    await chat.press("register_self")
    assert "Họ và tên người được tiêm" in chat.prompt


async def test_edit_from_summary_asks_only_what_changed(chat: Chat) -> None:
    await signup(chat)
    await chat.press("register_self")
    await answer_form(chat, details())
    await answer_form(chat, history())
    await chat.press("edit:province_code")
    assert "Tỉnh/Thành phố nơi bạn muốn tiêm" in chat.prompt
    await chat.send("ha noi")
    assert "Xã/Phường ở Thành phố Hà Nội" in chat.prompt  # the ward depends on the province
    await chat.send("ba dinh")
    assert "Chọn điểm tiêm" in chat.prompt  # and so does the site
    await chat.send("1")
    assert "Kiểm tra lại thông tin" in chat.prompt
    assert "Tỉnh/Thành phố: Thành phố Hà Nội" in chat.prompt and "Xã/Phường: Phường Ba Đình" in chat.prompt


async def test_changing_sex_to_female_asks_the_pregnancy_question_and_rechecks_cccd(chat: Chat) -> None:
    await signup(chat)
    await chat.press("register_self")
    await answer_form(chat, details())
    await answer_form(chat, history())
    await chat.press("edit:sex")
    await chat.press("F")
    assert "Số Căn cước công dân" in chat.prompt  # 001090… says male: asked again
    await chat.send("001190123456")
    assert "Câu 9/12" in chat.prompt
    await chat.press("no")
    assert "Giới tính: Nữ" in chat.prompt


async def test_province_without_sites_goes_to_the_pool(chat: Chat) -> None:
    await signup(chat)
    await chat.press("register_self")
    script = details(province_code="Cà Mau", ward_code="an xuyên")
    await answer_form(chat, script, until="site_id")
    assert "Tỉnh Cà Mau chưa có điểm tiêm nào" in chat.prompt
    await chat.press("site:pool")
    await answer_form(chat, script)
    await answer_form(chat, history())
    await chat.press("ok")
    await chat.press("tick")
    await chat.press("confirm")
    assert "danh sách chờ của Tỉnh Cà Mau" in chat.text


async def test_idle_conversation_restarts_politely(chat: Chat, app: App) -> None:
    await signup(chat)
    await chat.press("register_self")
    await answer_form(chat, details(), until="sex")
    with app.store.engine.begin() as conn:
        conn.execute(update(table(Conversation)).values(updated_at=utcnow() - timedelta(days=31)))
    await chat.send("Nam")
    assert "Chào bạn quay lại" in chat.text
    await chat.press("register_self")
    assert "Tiếp tục đăng ký đang dở?" in chat.prompt
