"""The record is what the person said, in that question: typed numbers on the history checklist are answers,
a button answers only the question it was offered for, and typed text is never replaced by a button's label."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from bot.app import App
from bot.channels.zalo.text import menu
from bot.engine import Choice, Reply
from bot.engine.storage import conversations
from bot.services.access import audit, staff
from bot.services.certificates import credentials
from bot.services.people import claims
from bot.services.vaccination import site_records
from bot.services.values.dates import today
from models.tables import Account, Dose, Outbox, Person, Site, table
from tests.factories import logged_in, staff_member
from tests.helpers import Chat, answer_form, payload_of, send_form, setup_state
from tests.scripts import SKIP, details, history


async def registering(chat: Chat, *, until: str | None = None) -> None:
    await logged_in(chat)
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
    setup_state(chat, "history", "checklist", {"sex": "M"})
    await chat.send(other="sticker")  # the checklist shown, with its numbered menu
    assert "“Không có mục nào”" in menu(chat.last[-1])
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
    await logged_in(chat)
    logout = next(c.payload for c in chat.last[-1].choices if payload_of(c.payload) == "logout")
    await chat.press("register_self")
    await answer_form(chat, details(), until="birth_date")
    await chat.send(button=logout)
    assert "Nút này thuộc câu hỏi trước" in chat.prompt and chat.step == "birth_date"
    assert answers(app, chat)["full_name"] == "Nguyễn Văn An"


# ---- somebody else's record: kept site records and documents registered by another account -----------------


HEADER = "Họ và tên,Ngày sinh,Giới tính,Số CCCD,Số điện thoại,Vắc xin,Số lô,Ngày tiêm,Mũi số"


async def _officer(app: App, phone: str = "0901000003") -> Chat:
    return await staff_member(app, staff.SITE_STAFF, phone=phone)


async def _kept_two_doses(app: App) -> None:
    """The site imports a woman's two doses before she has an account: CCCD, birth date, phone."""
    rows = [HEADER] + [f"Nguyễn Thị Hoa,01/07/1990,Nữ,001190123456,0987654321,Pfizer,PF{n},{day},{n}"
                       for n, day in ((1, _dmy(today() - timedelta(days=90))), (2, _dmy(today() - timedelta(days=30))))]
    key = app.engine.services.signing_key
    data = "\r\n".join(rows).encode()
    with app.store.engine.connect() as conn:
        site = conn.execute(select(table(Site).c.id).where(table(Site).c.code == "HCM-BT-01")).scalar_one()
    report = await app.store.run(lambda conn: site_records.import_rows(
        conn, key, site_records.parse_table(site_records.read_table(data, "a.csv")), file_name="a.csv", site_id=site))
    assert report.unmatched == 2


def _dmy(day: date) -> str:
    return day.strftime("%d/%m/%Y")


async def _register(chat: Chat, *, name: str, phone: str, **changes: str) -> None:
    await logged_in(chat, name=name, phone=phone)
    await chat.press("register_self")
    await answer_form(chat, {**details(full_name=name, id_type="001190123456", **changes), **history(female=True)})


def _level(app: App) -> str | None:
    with app.store.engine.connect() as conn:
        person_id = conn.execute(select(table(Person).c.id)).scalars().first()
        issued = credentials.current(conn, person_id) if person_id is not None else None
    return issued.level if issued is not None else None


async def test_an_id_and_birth_date_alone_do_not_take_someone_elses_doses(chat: Chat, app: App) -> None:
    await _kept_two_doses(app)
    officer = await _officer(app)
    await _register(chat, name="Trần Văn Mạo", phone="0911111111")  # her CCCD and birth date, another name
    await send_form(chat)
    assert "ĐĂNG KÝ THÀNH CÔNG" in chat.text and "cán bộ điểm tiêm sẽ kiểm tra giấy tờ" in chat.text.lower()
    assert _level(app) == "none"  # no dose, no amber or green QR
    with app.store.engine.connect() as conn:
        doses = conn.execute(select(table(Dose).c.id)).all()
    assert doses == []
    await officer.send("/tra 001190123456")
    assert "chờ xác nhận" in officer.text and "Nguyễn Thị Hoa" in officer.text
    record = int(re.findall(r"/ghep (\d+)", officer.text)[0])
    await officer.send(f"/ghep {record}")
    assert "Đã kiểm tra giấy tờ" in officer.prompt
    await officer.press("no")  # not the same person: kept apart
    assert f"Hồ sơ #{record} được giữ riêng" in officer.text and _level(app) == "none"


async def test_a_kept_record_joins_when_the_name_and_phone_agree(chat: Chat, app: App) -> None:
    await _kept_two_doses(app)
    await _register(chat, name="Nguyen Thi Hoa", phone="0987654321")  # as she types it, no diacritics
    await send_form(chat)
    assert _level(app) == "complete"


async def test_staff_confirm_a_waiting_record_after_checking_papers(chat: Chat, app: App) -> None:
    await _kept_two_doses(app)
    officer = await _officer(app)
    await _register(chat, name="Nguyễn Thị Hoà", phone="0911111111")  # her, with a new phone number
    await send_form(chat)
    assert _level(app) == "none"
    await officer.send("/tra 001190123456")
    first, second = (int(n) for n in re.findall(r"/ghep (\d+)", officer.text)[:2])
    await officer.send(f"/ghep {first} có")
    assert "Đã ghi nhận mũi 1" in officer.text
    await officer.send(f"/ghep {second} co")
    assert "Đã ghi nhận mũi 2" in officer.text and _level(app) == "complete"
    with app.store.engine.connect() as conn:
        actions = [r.action for r in audit.entries(conn)]
    assert actions.count("dose") >= 2


async def test_the_real_holder_of_a_registered_document_is_not_at_a_dead_end(chat: Chat, app: App) -> None:
    officer = await _officer(app)
    stranger = Chat(app.engine, "stranger")
    await _register(stranger, name="Trần Văn Mạo", phone="0911111111")
    await send_form(stranger)  # registered her CCCD under his account
    await logged_in(chat, name="Nguyễn Thị Hoa", phone="0987654321")
    await chat.press("register_self")
    await answer_form(chat, details(full_name="Nguyễn Thị Hoa"), until="id_type")
    await chat.send("001190123456")
    assert "đã có đăng ký từ một tài khoản khác" in chat.prompt and chat.step == "id_type"
    await chat.press("Báo điểm tiêm")
    assert "Hệ thống đã báo cho điểm tiêm" in chat.prompt
    claim = int(re.findall(r"yêu cầu số (\d+)", chat.prompt)[0])
    with app.store.engine.connect() as conn:
        notices = [r.payload for r in conn.execute(select(table(Outbox)).where(table(Outbox).c.kind == "notice"))]
    assert any(n.get("key") == "claim.staff_notice" and n["params"]["claim"] == claim for n in notices)
    await officer.send("/tra 001190123456")
    assert f"/chuyen {claim}" in officer.text
    await officer.send(f"/chuyen {claim}")
    await officer.press("yes")
    assert "Đã chuyển hồ sơ" in officer.text
    with app.store.engine.connect() as conn:
        owner = conn.execute(select(table(Person).c.owner_account_id)).scalar_one()
        accounts = dict(conn.execute(select(table(Account).c.phone, table(Account).c.id)).all())
        kinds = [(r.chat_id, r.kind) for r in conn.execute(select(table(Outbox)))]
    assert owner == accounts["+84987654321"]
    assert (chat.chat_id, "registration_qr") in kinds and (stranger.chat_id, "notice") in kinds


async def test_checking_documents_is_counted_and_then_answered_only_when_the_form_is_sent(chat: Chat, app: App) -> None:
    stranger = Chat(app.engine, "stranger")
    await _register(stranger, name="Trần Văn Mạo", phone="0911111111")
    await send_form(stranger)
    await logged_in(chat, name="Nguyễn Thị Hoa", phone="0987654321")
    await chat.press("register_self")
    await answer_form(chat, details(full_name="Nguyễn Thị Hoa"), until="id_type")
    for n in range(claims.CHECKS_PER_DAY):  # documents nobody registered: each one check
        await chat.send(f"00119012{n:04d}")
        assert chat.step == "birth_date", chat.prompt
        await chat.send("/quaylai")
        assert chat.step == "id_type"
    await chat.send("001190123456")  # registered by the stranger: past the budget, nothing is said now
    assert chat.step == "birth_date", chat.prompt
    await answer_form(chat, details(full_name="Nguyễn Thị Hoa"))
    await answer_form(chat, history(female=True))
    await send_form(chat)
    assert "Chưa gửi được" in chat.text and chat.step == "id_type"  # the form sent: now it is said, form kept
    await chat.send("001190123456")
    assert "Báo điểm tiêm" in chat.choices()[0]  # the way out, though the budget is spent
    with app.store.engine.connect() as conn:
        checks = [e for e in audit.entries(conn) if e.action == claims.CHECK and e.actor_phone == "+84987654321"]
    assert len(checks) == claims.CHECKS_PER_DAY


async def test_a_wrong_checklist_answer_is_not_followed_by_the_whole_list_again(chat: Chat) -> None:
    await registering(chat)
    assert chat.step == "checklist" and "1. Tiền sử phản vệ" in chat.prompt  # the first time: every item
    await chat.send("co bi di ung")
    assert "gõ số thứ tự các mục" in chat.prompt and "Danh sách 10 mục ở tin nhắn phía trên" in chat.prompt
    assert "1. Tiền sử phản vệ" not in chat.prompt and len(chat.prompt) < 600, len(chat.prompt)
    assert chat.step == "checklist"
