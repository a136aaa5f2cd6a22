"""One person, two records (issue 27): asked at registration before a second record is made; found by staff in
/tra and merged with /gop; one QR, pushed to both families."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.app import App
from bot.channels.webchat.transcript import CHANNEL as WEB
from bot.services.access import staff
from models.tables import Person, table
from tests.factories import logged_in, staff_member
from tests.helpers import Chat, answer_form, send_form
from tests.scripts import Button, details, history

MAI = {"full_name": "Nguyễn Thị Mai", "birth_date": "01/02/1960"}


async def _mother_registers_herself(app: App) -> tuple[Chat, str]:
    mother = Chat(app.engine, "mother", channel=WEB)
    await logged_in(mother, name="Nguyễn Thị Mai", phone="0912000001")
    await mother.press("register_self")
    await answer_form(mother, {**details(**MAI, id_type="001160000111"), **history()})
    await send_form(mother)
    code = re.search(r"Mã đặt tiêm: (\d{16})", mother.text)
    assert code, mother.text
    return mother, code.group(1)


async def _son_registers_her(app: App, son: Chat) -> None:
    await son.press("register_family")
    await son.press("parent")
    await answer_form(son, {**details(full_name="Nguyen Thi Mai", birth_date="01/02/1960", id_type=Button("cmnd"),
                                      id_number="123456789", sex=Button("F"), phone="0912000001"),
                            **history()})


async def test_asked_at_registration_then_merged_by_staff_with_one_qr_for_both_families(app: App) -> None:
    mother, _code = await _mother_registers_herself(app)
    son = Chat(app.engine, "son", channel=WEB)
    await logged_in(son, name="Trần Văn Nam", phone="0912000002")
    await _son_registers_her(app, son)
    await send_form(son)
    assert "Đây có phải là Nguyễn Thị Mai, đã đăng ký ngày" in son.text, son.text
    await son.press("same")
    assert "không tạo hồ sơ mới" in son.text
    people = await app.store.run(lambda conn: conn.execute(select(table(Person).c.id)).all())
    assert len(people) == 1  # no second record

    # Asked again, he says it is someone else: the second record is made (staff will see both).
    await _son_registers_her(app, son)
    await send_form(son)
    await son.press("other")
    assert "ĐĂNG KÝ THÀNH CÔNG" in son.text, son.text
    officer = await staff_member(app, staff.SITE_STAFF, chat_id="officer", channel=WEB)
    await officer.send("/tra 001160000111")
    assert "Có thể trùng hồ sơ: Nguyen Thi Mai" in officer.text, officer.text
    second = await app.store.run(lambda conn: conn.execute(
        select(table(Person).c.id_number).where(table(Person).c.id_number != "001160000111")).scalar_one())
    await officer.send(f"/tiem {second} Pfizer FK1")
    assert "Đã ghi nhận mũi 1" in officer.text

    await officer.send(f"/gop 001160000111 {second}")
    assert "Giữ lại: Nguyễn Thị Mai" in officer.text and "1 mũi tiêm" in officer.text, officer.text
    await officer.press("yes")
    assert "Đã gộp: 1 mũi tiêm chuyển sang hồ sơ giữ lại" in officer.text, officer.text
    await app.pusher.run_once()
    for chat in (mother, son):
        said = "\n".join(str(m.get("text")) for _, m in await app.engine.messages_after(WEB, chat.chat_id, 0))
        assert "gộp hai hồ sơ trùng của Nguyễn Thị Mai" in said and "khung vàng" in said, (chat.chat_id, said)
    await officer.send(f"/tra {second}")
    assert "Không tìm thấy" in officer.text  # the closed record is not shown: the kept one is
    await officer.send("/tra 001160000111")
    assert "Mũi 1" in officer.text and "Có thể trùng" not in officer.text, officer.text
