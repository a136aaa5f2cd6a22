""""Sửa đăng ký": a sent registration the site has not yet screened, corrected from "Lịch sử đăng ký"."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.app import App
from models.tables import Credential, Person, Registration, Site, table
from tests.factories import registered
from tests.helpers import Chat
from tests.scripts import soon


async def edit(chat: Chat, code: str, field: str) -> None:
    if chat.flow != "records":
        await chat.press("records")
    await chat.press(f"edit:{code}")
    assert f"Sửa đăng ký mã {code}" in chat.prompt and "Họ và tên: Nguyễn Văn An" in chat.prompt
    await chat.press(field)


async def test_a_corrected_name_is_saved_and_the_qr_reissued(chat: Chat, app: App) -> None:
    code = await registered(chat)
    with app.store.engine.connect() as conn:
        before = conn.execute(select(table(Credential).c.id)).scalars().all()
    await edit(chat, code, "full_name")
    assert "Họ và tên người được tiêm" in chat.prompt
    await chat.send("Nguyễn Văn Ân")
    assert f"Đã cập nhật đăng ký mã {code}: Họ và tên là Nguyễn Văn Ân." in chat.text
    assert chat.flow == "records" and "Nguyễn Văn Ân" in chat.prompt
    with app.store.engine.connect() as conn:
        person = conn.execute(select(table(Person))).one()
        after = conn.execute(select(table(Credential).c.id)).scalars().all()
    assert (person.full_name, person.name_key) == ("Nguyễn Văn Ân", "nguyen van an")
    assert len(after) == len(before) + 1  # a new card for the new name, pushed to the account's chats


async def test_a_new_date_is_checked_like_on_the_form(chat: Chat, app: App) -> None:
    code = await registered(chat)
    await edit(chat, code, "preferred_date")
    await chat.send("01/01/2020")
    assert "từ ngày mai" in chat.prompt and chat.step == "preferred_date"
    await chat.send(soon(20))
    assert "Ngày muốn tiêm là" in chat.text
    with app.store.engine.connect() as conn:
        registration = conn.execute(select(table(Registration))).one()
    assert registration.preferred_date.strftime("%d/%m/%Y") == soon(20)


async def test_the_same_cccd_typed_again_is_not_taken_for_another_registration(chat: Chat, app: App) -> None:
    code = await registered(chat)
    await edit(chat, code, "id_type")
    await chat.send("001090123456")  # its own document, unchanged
    assert "Đã cập nhật" in chat.text and "đã có một đăng ký đang chờ" not in chat.text
    await edit(chat, code, "id_type")
    await chat.send("001085123456")  # a year the birth date contradicts: refused in plain words
    assert "Số CCCD này ghi năm sinh 1985" in chat.prompt and chat.step == "id_type"


async def test_a_scheduled_registration_can_no_longer_be_edited(chat: Chat, app: App) -> None:
    code = await registered(chat)
    await chat.press("records")
    with app.store.engine.begin() as conn:
        conn.execute(update(table(Registration)).values(status="scheduled"))
    await chat.send(button=f"edit:{code}")  # a button shown before the site scheduled it
    assert "đã có lịch tiêm" in chat.prompt and chat.step == "booking_code"
    assert not [c for c in chat.last[-1].choices if c.payload.startswith("edit:")]


async def test_a_new_ward_brings_its_own_site_and_old_addresses_are_understood(chat: Chat, app: App) -> None:
    code = await registered(chat)  # Phường Bến Thành, its station
    await edit(chat, code, "ward_code")
    assert chat.step == "ward_code"
    await chat.send("P. Ben Nghe, Q.1")  # an old ward of the old District 1: Phường Sài Gòn today
    assert "Đã chọn: Phường Sài Gòn" in chat.text
    assert "Nhà Văn hóa Thanh niên" in chat.text  # the ward's one site, said
    assert f"Đã cập nhật đăng ký mã {code}: Xã/Phường là Phường Sài Gòn." in chat.text
    assert "Điểm tiêm: Nhà Văn hóa Thanh niên (điểm tiêm)." in chat.text and chat.flow == "records"
    with app.store.engine.connect() as conn:
        person = conn.execute(select(table(Person))).one()
        registration = conn.execute(select(table(Registration))).one()
    assert person.ward_code == 26740 and registration.site_id is not None
    with app.store.engine.connect() as conn:
        site_ward = conn.execute(select(table(Site).c.ward_code).where(table(Site).c.id == registration.site_id))
        assert site_ward.scalar_one() == 26740


async def test_the_priority_group_can_be_changed_while_waiting(chat: Chat, app: App) -> None:
    code = await registered(chat)
    await edit(chat, code, "priority_group")
    assert "nhóm" in chat.prompt.casefold() and chat.step == "priority_group"
    await chat.send("giao vien")  # a teacher: group 8, typed as people type it
    assert f"Đã cập nhật đăng ký mã {code}: Nhóm ưu tiên là 8. Giáo viên" in chat.text, chat.text
    with app.store.engine.connect() as conn:
        assert conn.execute(select(table(Person).c.priority_group)).scalar_one() == 8
