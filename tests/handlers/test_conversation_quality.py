"""What a citizen of Bù Gia Mập types, understood: answers kept exactly as typed, everyday short answers,
pre-2025 place names, examples that are valid, children, consent that never contradicts the answers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import App
from bot.services.values.dates import dmy, today
from models.tables import Person, Registration, table
from tests.factories import logged_in, registered
from tests.helpers import Chat, answer_form, send_form, signup
from tests.scripts import Button, details, history


async def registering(chat: Chat, *, name: str = "Nguyễn Văn An", until: str | None = None, **changes: object) -> None:
    await logged_in(chat, name=name)
    await chat.press("register_self")
    await answer_form(chat, details(**changes), until=until)  # type: ignore[arg-type]


# ---- bugs that changed or lost what the person typed ----------------------------------------------------


async def test_an_accented_name_is_kept_as_typed_not_replaced_by_the_account_name_button(chat: Chat) -> None:
    await registering(chat, name="tran van tuan", until="full_name")
    assert chat.choices()[0] == "tran van tuan"  # the account name, as a shortcut
    await chat.send("Trần Văn Tuấn")
    await answer_form(chat, details())
    await answer_form(chat, history())
    assert "Họ và tên: Trần Văn Tuấn" in chat.prompt


async def test_a_name_typed_in_another_case_than_the_button_is_kept_as_typed(chat: Chat) -> None:
    await registering(chat, name="dieu lam", until="full_name")
    await chat.send("Dieu Lam")  # the button's letters in another case: what the QR shows is what was typed
    await answer_form(chat, details())
    await answer_form(chat, history())
    assert "Họ và tên: Dieu Lam\n" in chat.prompt


async def test_the_account_name_typed_exactly_is_the_button(chat: Chat) -> None:
    await registering(chat, name="Lê Thị Hồng", until="full_name")
    await chat.send("  Lê Thị Hồng ")  # the label itself (spaces around it aside)
    await answer_form(chat, details())
    await answer_form(chat, history(female=True))
    assert "Họ và tên: Lê Thị Hồng\n" in chat.prompt


@pytest.mark.parametrize("name", ["Huy", "Menu", "Back", "Quay Lai"])
async def test_a_name_that_folds_to_a_universal_word_is_a_name(chat: Chat, name: str) -> None:
    await registering(chat, until="full_name")
    await chat.send(name)
    assert chat.step == "id_type", chat.text  # accepted, not taken for a command
    await answer_form(chat, details())
    await answer_form(chat, history())
    assert f"Họ và tên: {name}\n" in chat.prompt


async def test_a_word_that_is_no_valid_answer_is_taken_as_the_command_after_a_confirmation(chat: Chat) -> None:
    await registering(chat, until="ward_code")
    await chat.send("Huy")  # no ward of that name: the person meant "hủy", which is asked first
    assert "Hủy phần đang điền?" in chat.prompt
    await chat.send("khong")
    assert chat.flow == "details" and chat.step == "ward_code"  # still here, the form kept
    await chat.send("quay lai")  # not a ward either: back to the province, nothing lost
    assert chat.step == "province_code"


async def test_slash_cancel_asks_before_discarding_and_the_word_works_on_a_choice(chat: Chat) -> None:
    await registering(chat, until="preferred_session")
    await chat.send("huy")  # a choice question: the bare word, without diacritics, is the command
    assert "Hủy phần đang điền?" in chat.prompt
    await chat.send("ko")
    assert chat.step == "preferred_session" and "Buổi tiêm mong muốn?" in chat.prompt
    await chat.send("/huy")
    await chat.press("cancel:yes")
    assert "Đã hủy phần đang điền" in chat.text and chat.flow == "menu"


async def test_every_example_is_accepted_by_its_own_question(chat: Chat) -> None:
    await registering(chat, until="preferred_date", province_code="Bình Phước", ward_code="Phường Phước Long")
    example = re.search(r"ví dụ (\d\d/\d\d/\d{4})", chat.prompt)
    assert example and example.group(1) == dmy(today() + timedelta(days=7))
    await chat.send(example.group(1))
    assert chat.step == "preferred_session", chat.prompt
    assert re.search(r"Đã ghi nhận: (Thứ \w+|Chủ Nhật), ngày", chat.text)  # the day to come, with its weekday


@pytest.mark.parametrize("province", ["Hà Nội", "Bình Phước", "hcm", "Cà Mau", "Lào Cai"])
async def test_the_ward_example_belongs_to_the_chosen_province(chat: Chat, province: str) -> None:
    await registering(chat, until="ward_code", province_code=province)
    example = re.search(r'ví dụ "([^"]+)"', chat.prompt)
    assert example, chat.prompt
    await chat.send(example.group(1))
    assert chat.step != "ward_code", chat.prompt


# ---- everyday answers ----------------------------------------------------------------------------------

EVERYDAY = [
    # (question, typed, what it means, where the chat goes next)
    ("resume", "ko", "no"), ("resume", "k", "no"), ("resume", "khong", "no"), ("resume", "không ạ", "no"),
    ("resume", "co", "yes"), ("resume", "c", "yes"), ("resume", "có ạ", "yes"), ("resume", "ok", "yes"),
    ("resume", "dong y", "yes"), ("resume", "đồng ý", "yes"), ("resume", "1", "yes"), ("resume", "Có", "yes"),
    ("sex", "nam", "M"), ("sex", "nu", "F"), ("sex", "Nữ", "F"), ("sex", "2", "F"),
    ("preferred_session", "sang", "morning"), ("preferred_session", "chieu", "afternoon"),
    ("preferred_session", "ca ngay", "allday"), ("preferred_session", "buổi chiều nhé", "afternoon"),
    ("id_type", "cccd", "cccd"), ("id_type", "can cuoc", "cccd"), ("id_type", "cmnd", "cmnd"),
    ("id_type", "ho chieu", "passport"), ("id_type", "giay khai sinh", "birth_cert"),
    ("checklist", "ko", "none"), ("checklist", "không có", "none"), ("checklist", "dạ không", "none"),
    ("consent_tick", "dong y", "tick"), ("consent_tick", "đồng ý", "tick"), ("consent_tick", "ok", "tick"),
    ("q1", "ko", "no"), ("q1", "co", "yes"), ("q1", "khong ro", "unknown"), ("q1", "3", "unknown"),
]


@pytest.mark.parametrize(("step", "typed", "meaning"), EVERYDAY)
async def test_everyday_answers_are_understood(chat: Chat, app: App, step: str, typed: str, meaning: str) -> None:
    await logged_in(chat)
    await chat.press("register_self")
    if step == "resume":
        await answer_form(chat, details(), until="birth_date")
        await chat.send("/menu")
        await chat.press("register_self")
    elif step == "sex":
        await answer_form(chat, details(id_type=Button("passport"), id_number="B1234567"), until="sex")
    elif step == "id_type":
        await answer_form(chat, details(), until="id_type")
    elif step in ("checklist", "q1"):
        await answer_form(chat, details())
        if step == "q1":
            await chat.press("each")
    elif step == "consent_tick":
        await answer_form(chat, details())
        await answer_form(chat, history())
        await chat.press("ok")
    else:
        await answer_form(chat, details(), until=step)
    assert chat.step == step, chat.prompt
    await chat.send(typed)
    with app.store.engine.connect() as conn:
        from bot.engine.storage.conversations import conversation_key, load

        state = load(conn, conversation_key(chat.channel, chat.chat_id), default_locale="vi", lock=False)
    if step == "resume":
        assert chat.step == ("birth_date" if meaning == "yes" else "full_name"), chat.prompt
    elif step == "checklist":
        assert state.answers["q1"] == "no" and chat.flow == "consent", chat.prompt
    elif step == "consent_tick":
        assert chat.step == "consent_confirm", chat.prompt
    else:
        assert state.answers.get(step) == meaning, (chat.prompt, state.answers)


# ---- pre-2025 place names --------------------------------------------------------------------------------

LEGACY = [
    # Bình Phước (merged into Đồng Nai), Hà Nội's and Hồ Chí Minh City's old wards, Hải Phòng (with Hải Dương)
    ("Bình Phước", "Đức Hạnh", "Xã Đức Hạnh (cũ) nay thuộc Xã Phú Nghĩa"),
    ("Bình Phước", "duc hanh", "Xã Đức Hạnh (cũ) nay thuộc Xã Phú Nghĩa"),
    ("Bình Phước", "Bù Nho", "Xã Bù Nho (cũ) nay thuộc Xã Phú Riềng"),
    ("Bình Phước", "Thác Mơ", "Phường Thác Mơ (cũ) nay thuộc Phường Phước Long"),
    ("Bình Phước", "Long Thủy", "Phường Long Thủy (cũ) nay thuộc Phường Phước Long"),
    ("Bình Phước", "tan dong", "Phường Tân Đồng (cũ) nay thuộc Phường Bình Phước"),
    ("Hà Nội", "Phúc Xá", "Phường Phúc Xá (cũ) nay thuộc Phường Hồng Hà"),
    ("Hà Nội", "Quán Thánh", "Phường Quán Thánh (cũ) nay thuộc Phường Ba Đình"),
    # Hồ Chí Minh City (with Bình Dương and Bà Rịa – Vũng Tàu)
    ("hcm", "Thủ Thiêm", "Phường Thủ Thiêm (cũ) nay thuộc Phường An Khánh"),
    ("hcm", "Bến Nghé", "Phường Bến Nghé (cũ) nay thuộc Phường Sài Gòn"),
    ("hcm", "Phú Cường", "Phường Phú Cường (cũ) nay thuộc Phường Thủ Dầu Một"),
    ("hcm", "dinh hoa", "Phường Định Hoà (cũ) nay thuộc Phường Chánh Hiệp"),
    ("hcm", "Lai Hưng", "Xã Lai Hưng (cũ) nay thuộc Phường Bến Cát"),
    # Hải Phòng (with Hải Dương)
    ("Hải Phòng", "Cát Bi", "Phường Cát Bi (cũ) nay thuộc Phường Hải An"),
    ("Hải Phòng", "Quán Toan", "Phường Quán Toan (cũ) nay thuộc Phường Hồng An"),
    ("Hải Phòng", "Cẩm Thượng", "Phường Cẩm Thượng (cũ) nay thuộc Phường Thành Đông"),
    ("Hải Phòng", "ngoc chau", "Phường Ngọc Châu (cũ) nay thuộc Phường Hải Dương"),
    ("Hải Phòng", "Nhị Châu", "Phường Nhị Châu (cũ) nay thuộc Phường Hải Dương"),
]


@pytest.mark.parametrize(("province", "typed", "said"), LEGACY)
async def test_a_pre_2025_ward_is_found_and_explained_in_one_line(
    chat: Chat, province: str, typed: str, said: str,
) -> None:
    await registering(chat, until="ward_code", province_code=province)
    await chat.send(typed)
    assert said in chat.text and "từ ngày 01/7/2025" in chat.text, chat.text
    if chat.step == "ward_code":  # it became several wards: they are offered
        await chat.send("1")
    assert chat.step == "address", chat.prompt


@pytest.mark.parametrize(("province", "typed", "old", "one_of_today"), [
    ("Bình Phước", "huyện Bù Gia Mập", "Huyện Bù Gia Mập", "Xã Phú Nghĩa"),
    ("Bình Phước", "huyen bu gia map", "Huyện Bù Gia Mập", "Xã Đa Kia"),
    ("hcm", "Quận 1", "Quận 1", "Phường Bến Thành"),
])
async def test_a_pre_2025_district_offers_the_wards_it_became(
    chat: Chat, province: str, typed: str, old: str, one_of_today: str,
) -> None:
    await registering(chat, until="ward_code", province_code=province)
    await chat.send(typed)
    assert f"{old} (cũ) nay thuộc" in chat.prompt and one_of_today in chat.choices()
    await chat.send(one_of_today.split(" ", 1)[1])  # a candidate, typed without its unit
    assert chat.step in ("address", "site_id"), chat.prompt


async def test_a_pre_2025_province_is_explained(chat: Chat) -> None:
    await registering(chat, until="province_code")
    await chat.send("binh phuoc")
    assert "Tỉnh Bình Phước (cũ) nay thuộc Thành phố Đồng Nai, từ ngày 01/7/2025." in chat.text
    assert "Xã/Phường ở Thành phố Đồng Nai" in chat.prompt


# ---- the form fits the person ----------------------------------------------------------------------------


async def test_a_child_with_a_birth_certificate_signed_for_by_a_parent(chat: Chat, app: App) -> None:
    await logged_in(chat)
    await chat.press("register_family")
    await chat.press("child")
    born = dmy(today().replace(year=today().year - 8, day=1))
    child = details(full_name="Nguyễn Minh Khôi", id_type=Button("birth_cert"), id_number="Số 45, quyển 02",
                    birth_date=born, occupation="never asked", phone=Button("account_phone"))
    await answer_form(chat, child)
    await answer_form(chat, history())
    assert "Nghề nghiệp: Học sinh" in chat.prompt and "Số giấy tờ: Số 45, quyển 02" in chat.prompt
    await chat.press("ok")
    assert "Tôi là cha/mẹ hoặc người giám hộ của Nguyễn Minh Khôi" in chat.prompt
    assert "cam kết trong vòng 14 ngày" in chat.prompt
    await chat.press("tick")
    await chat.press("confirm")
    with app.store.engine.connect() as conn:
        person = conn.execute(select(table(Person))).one()
        registration = conn.execute(select(table(Registration))).one()
    assert (person.id_type, person.id_number, person.occupation) == ("birth_cert", "Số 45, quyển 02", "Học sinh")
    assert registration.consent_version.endswith("-gc")


async def test_a_child_may_give_the_personal_id_number(chat: Chat) -> None:
    await logged_in(chat)
    await chat.press("register_family")
    await chat.press("child")
    year = today().year - 3
    number = f"0013{year % 100:02d}123456"  # a girl born in the 2000s
    await answer_form(chat, details(full_name="Nguyễn Thị Na", id_number=number, birth_date=f"01/01/{year}",
                                    phone=Button("account_phone")))
    await answer_form(chat, history(female=True))
    assert "Giới tính: Nữ" in chat.prompt and "Nghề nghiệp: Trẻ em" in chat.prompt


async def test_another_vaccine_in_14_days_is_not_promised_away(chat: Chat, app: App) -> None:
    await registering(chat)
    await chat.send("3")  # the checklist: question 3 answered "Có"
    assert "vắc xin khác trong 14 ngày" in chat.prompt  # the summary shows it
    await chat.press("ok")
    assert "cam kết" not in chat.prompt.split("Anh/Chị đã khai")[0]
    assert "hệ thống không yêu cầu cam kết này" in chat.prompt
    await chat.press("tick")
    await chat.press("confirm")
    with app.store.engine.connect() as conn:
        registration = conn.execute(select(table(Registration))).one()
    assert registration.screening["q3"] == "yes" and registration.consent_version.endswith("-sn")


async def test_the_summary_shows_unsure_answers_and_the_allergen(chat: Chat) -> None:
    await registering(chat)
    await answer_form(chat, history(q2=Button("unknown"), q12=Button("yes"), q12_agent="hải sản"))
    assert "Có: dị ứng khác (hải sản)." in chat.prompt and "Không rõ: COVID-19 trong 6 tháng." in chat.prompt


async def test_editing_the_history_answers_one_question_again(chat: Chat) -> None:
    await registering(chat)
    await answer_form(chat, history())
    await chat.press("edit")
    await chat.press("history")
    assert "12." not in chat.prompt and "10. Tiền sử dị ứng" in chat.prompt  # a man: 10 questions, no gap
    await chat.send("7")
    assert "Câu 7/10 · Tiền sử bệnh mạn tính, đang tiến triển" in chat.prompt
    await chat.press("yes")
    assert chat.step == "summary" and "Có: bệnh mạn tính đang tiến triển." in chat.prompt


async def test_a_declared_earlier_dose_is_said_to_show_once_confirmed(chat: Chat) -> None:
    script = details(dose_number=Button("2"), prev_vaccine=Button("astrazeneca"), prev_date="01/06/2021",
                     prev_lot=Button("nav:skip"), prev_site=Button("nav:skip"))
    await logged_in(chat)
    await chat.press("register_self")
    await answer_form(chat, script)
    await answer_form(chat, history())
    await send_form(chat)
    assert "sẽ hiện trên mã QR khi điểm tiêm xác nhận" in chat.text
    await chat.press("certificate")  # "Mã QR của tôi": grey until a site confirms, and said so
    if chat.step == "person":
        await chat.press(chat.payloads()[0])
    assert "chưa tiêm mũi nào" in chat.text
    assert "1 mũi Anh/Chị đã khai đang chờ điểm tiêm xác nhận" in chat.text
    assert "ảnh chụp màn hình mã này vẫn dùng được" in chat.text


async def test_a_full_self_registration_takes_a_third_fewer_messages(chat: Chat) -> None:
    """From the first /start to "ĐĂNG KÝ THÀNH CÔNG", answering every question the form asks."""
    sent = 0
    original = chat.send

    async def counting(*args: object, **kwargs: object) -> object:
        nonlocal sent
        sent += 1
        return await original(*args, **kwargs)  # type: ignore[arg-type]

    chat.send = counting  # type: ignore[method-assign,assignment]
    await signup(chat)  # the walk itself: its messages are counted
    await chat.press("register_self")
    await answer_form(chat, details())
    await answer_form(chat, history())
    await send_form(chat)
    assert "ĐĂNG KÝ THÀNH CÔNG" in chat.text
    assert sent == 26, sent  # 38 before; 25 plus the SMS code that proves the number (a Telegram contact replaces it)


async def test_a_relative_living_in_the_same_home_takes_the_address_in_one_tap(chat: Chat, app: App) -> None:
    await registered(chat)  # the account holder: Phường Bến Thành, Thành phố Hồ Chí Minh
    await chat.press("register_family")
    await chat.press("parent")
    mother = details(full_name="Trần Thị Mai", id_number="079160123456", birth_date="01/01/1960",
                     phone=Button("account_phone"))
    await answer_form(chat, mother, until="province_code")
    home = next(c for c in chat.last[-1].choices if "Cùng nơi ở với Nguyễn Văn An" in c.label)
    assert "Phường Bến Thành" in home.label
    await chat.send(button=home.payload)
    assert chat.step == "preferred_date", chat.step  # ward, address and the ward's one site came with it
    await answer_form(chat, mother)
    await answer_form(chat, history(female=True))
    assert "Xã/Phường: Phường Bến Thành" in chat.prompt and "Trạm Y tế phường Bến Thành" in chat.prompt


async def test_a_person_of_sixty_seven_is_addressed_ong_ba_once_registered(chat: Chat) -> None:
    await logged_in(chat)
    await chat.press("register_self")
    await answer_form(chat, details(id_number="001059123456", birth_date="050359", priority_group=Button("group:8")))
    await answer_form(chat, history())
    await send_form(chat)
    assert "ĐĂNG KÝ THÀNH CÔNG" in chat.text
    await chat.send("/menu")
    assert "Ông/Bà muốn làm gì?" in chat.prompt and "Anh/Chị" not in chat.prompt
    await chat.press("register_family")
    assert "Anh/Chị/Em" in " ".join(c.label for c in chat.last[-1].choices)  # a relation keeps its name
