"""Everyday answers at their questions (issue 28): what people type, and what is stored. Each row puts a chat at
the question (``setup_state``), sends the words as typed, and reads the answer the conversation kept."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from bot.engine.storage import conversations
from bot.services.values.dates import today
from handlers import names
from tests.factories import logged_in
from tests.helpers import Chat, setup_state

IN_EIGHT_DAYS = today() + timedelta(days=8)
NEXT_MONDAY = today() + timedelta(days=(0 - today().weekday() - 1) % 7 + 1)

# (flow, step, what is typed, the answer kept: a value, or None for "skipped", or "asked again")
TABLE: list[tuple[str, str, str, Any]] = [
    (names.DETAILS, "birth_date", "12081992", date(1992, 8, 12)),
    (names.DETAILS, "birth_date", "120892", date(1992, 8, 12)),
    (names.DETAILS, "birth_date", "5/3/59", date(1959, 3, 5)),
    (names.DETAILS, "birth_date", "05-03-1959", date(1959, 3, 5)),
    (names.DETAILS, "birth_date", "5.3.1959", date(1959, 3, 5)),
    (names.DETAILS, "preferred_date", "mai", today() + timedelta(days=1)),
    (names.DETAILS, "preferred_date", "thứ hai", NEXT_MONDAY),
    (names.DETAILS, "preferred_date", "tuần sau", NEXT_MONDAY),
    (names.DETAILS, "preferred_date", IN_EIGHT_DAYS.strftime("%d/%m"), IN_EIGHT_DAYS),
    (names.DETAILS, "preferred_date", IN_EIGHT_DAYS.strftime("%d%m%y"), IN_EIGHT_DAYS),
    (names.DETAILS, "priority_group", "Học sinh", 8),
    (names.DETAILS, "priority_group", "giao vien", 8),
    (names.DETAILS, "priority_group", "en:teacher", 8),  # "en:": in a chat in English
    (names.DETAILS, "preferred_date", "en:tomorrow", today() + timedelta(days=1)),
    (names.DETAILS, "insurance_number", "ko", None),
    (names.DETAILS, "insurance_number", "Không có", None),
    (names.DETAILS, "insurance_number", "no", None),
    (names.DETAILS, "workplace", "ko", None),
    (names.DETAILS, "occupation", "ko", "asked again"),
    (names.DETAILS, "prev_lot", "Không nhớ", None),
    (names.DETAILS, "prev_vaccine", "AstraZeneca", "astrazeneca"),
    (names.DETAILS, "prev_vaccine", "Pfizer", "pfizer"),
    (names.DETAILS, "prev_vaccine", "vero", "verocell"),
    (names.DETAILS, "ethnicity", "stieng", "Xtiêng"),
    (names.DETAILS, "ethnicity", "s'tieng", "Xtiêng"),
    (names.DETAILS, "ethnicity", "S'tiêng", "Xtiêng"),
    (names.DETAILS, "ethnicity", "Xtiêng", "Xtiêng"),
    (names.DETAILS, "ethnicity", "Hmong", "Mông"),
    (names.DETAILS, "relation", "Mẹ chồng", "parent"),
    (names.DETAILS, "relation", "con gái", "child"),
]


@pytest.mark.parametrize(("flow", "step", "typed", "kept"), TABLE, ids=[f"{r[1]}={r[2]}" for r in TABLE])
async def test_an_everyday_answer_at_its_question(chat: Chat, flow: str, step: str, typed: str, kept: Any) -> None:
    account = await logged_in(chat)
    extra = {"dose_number": 2} if step.startswith("prev_") else {}
    locale, _, typed = typed.rpartition(":") if typed.startswith("en:") else ("vi", "", typed)
    setup_state(chat, flow, step, extra, account_id=account, for_family=step == "relation", locale=locale)
    await chat.send(other="sticker")  # the question shown, with its buttons, as the person sees it
    await chat.send(typed)
    with chat.engine.store.engine.connect() as conn:
        state = conversations.load(conn, conversations.conversation_key(chat.channel, chat.chat_id),
                                   default_locale=locale, lock=False)
    if kept == "asked again":
        assert chat.step == step and step not in state.answers, chat.text
        return
    assert step in state.answers, chat.text
    value = state.answers[step]
    assert (date.fromisoformat(value) if isinstance(kept, date) else value) == kept, chat.text


async def test_menu_words(chat: Chat) -> None:
    await logged_in(chat)
    await chat.send("dang ky tiem")
    assert chat.flow == names.DETAILS, chat.text
    await chat.send("/menu")
    await chat.send("mã qr")
    assert chat.flow in (names.CERTIFICATE, names.MENU) and "Chọn một trong các lựa chọn" not in chat.text, chat.text


async def test_questions_get_answers_wherever_the_chat_stands(chat: Chat) -> None:
    from tests.factories import registered

    code = await registered(chat)
    await chat.send("Khi nào tôi được tiêm?")
    assert f"(mã {code}): đã gửi, chờ xếp lịch" in chat.text and "thứ tự nhóm ưu tiên" in chat.text, chat.text
    assert chat.flow == names.MENU  # and the menu again
    await chat.send("cần mang gì?")
    assert "mang theo: CCCD" in chat.text
    await chat.send("hotline")
    assert "Đường dây nóng hỗ trợ: 1900 9095" in chat.text
    # In the middle of a form: answered, then the same question; a name stays a name.
    await chat.press("register_family")
    await chat.press("parent")
    await chat.send("tôi không hiểu")
    assert "Hệ thống đang hỏi Anh/Chị câu bên dưới" in chat.text and chat.step == "full_name", chat.text
    await chat.send("Trần Thị Khi Nào")
    assert chat.step != "full_name", chat.text  # a name, not a question


WARDS: list[tuple[int, str, Any]] = [
    (79, "Phường 12, Quận Gò Vấp", 26882),  # Phường An Hội Tây
    (79, "P.12 Q. Gò Vấp", 26882),
    (79, "Q. Gò Vấp, P12, TP HCM", 26882),
    (79, "phuong 12 quan go vap", 26882),
    (79, "Gò Vấp", "Phường An Hội Đông (trước đây: Quận Gò Vấp)"),  # today's ward, or the old district?
    (79, "Phường 12", "Phường An Hội Tây (trước đây: Phường 12, Quận Gò Vấp)"),
    (75, "xa binh thang, bu gia map", "Xã Đa Kia"),
]


@pytest.mark.parametrize(("province", "typed", "kept"), WARDS, ids=[w[1] for w in WARDS])
async def test_old_addresses_as_people_write_them(chat: Chat, province: int, typed: str, kept: Any) -> None:
    account = await logged_in(chat)
    setup_state(chat, names.DETAILS, "ward_code", {"province_code": province}, account_id=account)
    await chat.send(other="sticker")
    await chat.send(typed)
    with chat.engine.store.engine.connect() as conn:
        state = conversations.load(conn, conversations.conversation_key(chat.channel, chat.chat_id),
                                   default_locale="vi", lock=False)
    if isinstance(kept, int):
        assert state.answers.get("ward_code") == kept, chat.text
    elif kept.startswith("Xã"):
        assert kept in chat.text and "ward_code" in state.answers, chat.text
    else:
        assert kept in chat.choices() and chat.step == "ward_code", chat.choices()


async def test_an_english_first_message_is_answered_in_english_with_the_language_a_tap_away(chat: Chat) -> None:
    await chat.send("Hello, I want to register for vaccination")
    assert chat.text.startswith("Hello! This is the Electronic Health Book"), chat.text  # in English
    assert chat.flow == names.LANGUAGE and len(chat.payloads()) >= 2, chat.payloads()
    await chat.press("en")
    assert chat.flow == names.MENU and "Create account" in chat.choices(), chat.choices()


async def test_vietnamese_without_tones_stays_vietnamese(chat: Chat) -> None:
    await chat.send("xin chao, toi muon dang ky tiem")
    assert chat.flow == names.MENU and "Đăng ký tài khoản" in chat.choices(), chat.choices()
