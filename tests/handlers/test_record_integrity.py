"""The record is what the person said, in that question: typed numbers on the history checklist are answers,
a button answers only the question it was offered for, and typed text is never replaced by a button's label."""

from __future__ import annotations

from bot.app import App
from bot.channels.zalo.text import menu
from bot.engine import Choice, Reply
from bot.services import conversations
from tests.helpers import Chat, answer_form, payload_of, setup_state, signup
from tests.scripts import SKIP, details


async def registering(chat: Chat, *, until: str | None = None) -> None:
    await signup(chat)
    await chat.press("register_self")
    await answer_form(chat, details(), until=until)


def answers(app: App, chat: Chat) -> dict[str, object]:
    with app.store.engine.connect() as conn:
        key = conversations.conversation_key(chat.channel, chat.chat_id)
        return conversations.load(conn, key, default_locale="vi", lock=False).answers


# ---- the history checklist: the numbers typed are the questions answered "Có" ----------------------------


async def test_typing_1_on_the_checklist_is_anaphylaxis_not_the_first_button(chat: Chat, app: App) -> None:
    await registering(chat)
    assert chat.step == "checklist"
    await chat.send("1")
    assert chat.step == "q1_agent", chat.prompt  # the allergen of question 1 is asked: "1" was a "Có"
    kept = answers(app, chat)
    assert kept["q1"] == "yes" and kept["q2"] == "no", kept
    await chat.send("penicillin")
    assert "Tiền sử: không có mục nào" not in chat.prompt
    assert "penicillin" in chat.prompt


async def test_typing_2_on_the_checklist_is_question_2_not_one_by_one(chat: Chat, app: App) -> None:
    await registering(chat)
    await chat.send("2")
    assert chat.flow == "consent", chat.prompt  # not "Trả lời từng câu"
    kept = answers(app, chat)
    assert kept["q2"] == "yes" and kept["q1"] == "no", kept


async def test_a_numbered_menu_lists_the_checklist_buttons_by_their_words() -> None:
    checklist = Reply("…gõ số thứ tự các mục đó (ví dụ: 1, 7)…", numbered=False,
                      choices=[Choice("Không có mục nào", "none"), Choice("Trả lời từng câu", "each")])
    shown = menu(checklist)
    assert "1. Không có mục nào" not in shown and "“Không có mục nào”" in shown
    assert "số thứ tự" not in shown  # no "answer by its number" hint where a number is an answer


async def test_on_zalo_the_checklist_digits_are_answers_too(app: App) -> None:
    from bot.channels.zalo.core import CAPABILITIES

    chat = Chat(app.engine, "z-checklist", channel="zalo-test", caps=CAPABILITIES)
    setup_state(app, chat, "history", "checklist", {"sex": "M"})
    await chat.send("1")
    assert chat.step == "q1_agent", chat.prompt


# ---- a button answers only the question it was offered for -------------------------------------------------


async def test_a_stale_priority_button_does_not_answer_the_province_question(chat: Chat, app: App) -> None:
    await registering(chat, until="priority_group")
    group_15 = next(c.payload for c in chat.last[-1].choices if payload_of(c.payload) == "group:15")
    await chat.press("group:8")
    assert chat.step == "province_code"
    before = answers(app, chat)
    await chat.send(button=group_15)  # a second tab still shows the priority question
    assert "Nút này thuộc câu hỏi trước" in chat.prompt
    assert chat.step == "province_code" and answers(app, chat) == before  # nothing changed
    assert "Tỉnh/Thành phố nơi muốn tiêm?" in chat.prompt  # the current question, asked again


async def test_an_old_skip_button_does_not_skip_a_question_never_shown(chat: Chat, app: App) -> None:
    await registering(chat, until="insurance_number")
    skip = next(c.payload for c in chat.last[-1].choices if payload_of(c.payload) == SKIP.payload)
    await chat.press(SKIP.payload)  # the insurance question's own "Bỏ qua"
    assert chat.step == "occupation", chat.prompt
    await chat.send("Kỹ sư")
    assert chat.step == "workplace"
    await chat.send(button=skip)  # the insurance question's "Bỏ qua", pressed on the old message
    assert "Nút này thuộc câu hỏi trước" in chat.prompt and chat.step == "workplace"
    assert "workplace" not in answers(app, chat)


async def test_a_button_of_the_same_question_asked_again_still_answers(chat: Chat) -> None:
    await registering(chat, until="priority_group")
    group_8 = next(c.payload for c in chat.last[-1].choices if payload_of(c.payload) == "group:8")
    await chat.send("không biết")  # not a group: the question is asked again
    assert chat.step == "priority_group"
    await chat.send(button=group_8)  # the first message's button: the same question, still answering it
    assert chat.step == "province_code", chat.prompt


async def test_an_old_menu_button_does_not_leave_a_form(chat: Chat, app: App) -> None:
    await signup(chat)
    logout = next(c.payload for c in chat.last[-1].choices if payload_of(c.payload) == "logout")
    await chat.press("register_self")
    await answer_form(chat, details(), until="birth_date")
    await chat.send(button=logout)
    assert "Nút này thuộc câu hỏi trước" in chat.prompt and chat.step == "birth_date"
    assert answers(app, chat)["full_name"] == "Nguyễn Văn An"
