"""One rule of scope, checked where it acts: a person is a site's while they have an open registration, an open
appointment or a dose there; a role is read again at every step of a staff command."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.app import App
from bot.services.access import staff
from bot.services.values.dates import today
from bot.services.values.phones import parse_mobile
from models.tables import Dose, Outbox, table
from tests.factories import registered, staff_member
from tests.helpers import Chat

HEADER = "Họ và tên,Ngày sinh,Giới tính,Số CCCD,Số điện thoại,Vắc xin,Số lô,Ngày tiêm,Mũi số"


async def _officer(app: App, phone: str, role: str, site: str | None) -> Chat:
    return await staff_member(app, role, site, phone=phone, name="Cán Bộ")


def _doses(app: App) -> int:
    with app.store.engine.connect() as conn:
        return len(conn.execute(select(table(Dose).c.id)).all())


async def test_an_import_records_no_dose_for_another_sites_person_and_does_not_say_the_id_exists(
        chat: Chat, app: App) -> None:
    await registered(chat)  # registered at Bến Thành only
    officer = await _officer(app, "0901000002", staff.SITE_STAFF, "HCM-SG-01")  # another site's staff
    given = (today() - timedelta(days=3)).strftime("%d/%m/%Y")
    rows = [HEADER, f"Nguyễn Văn An,01/07/1990,Nam,001090123456,,AstraZeneca,AZ1,{given},1",
            f"Nguyễn Văn An,02/07/1991,Nam,001090123456,,AstraZeneca,AZ1,{given},1"]  # the ID, another birth date
    await officer.send("/nhap")
    await officer.send(document="\r\n".join(rows).encode(), document_name="sg.csv")
    assert "0 mũi được ghi nhận" in officer.text, officer.text
    assert "ngày sinh khác" not in officer.text  # nothing tells that this ID is registered somewhere
    assert _doses(app) == 0


async def test_a_cancelled_registration_takes_the_person_out_of_the_sites_scope(chat: Chat, app: App) -> None:
    code = await registered(chat)
    officer = await _officer(app, "0901000003", staff.SITE_STAFF, "HCM-BT-01")
    await officer.send("/tra 001090123456")
    assert "Nguyễn Văn An" in officer.text
    await chat.press("records")
    await chat.press(f"cancel:{code}")
    await chat.press("yes")
    await officer.send("/tra 001090123456")
    assert "Nguyễn Văn An" not in officer.text and "Không tìm thấy" in officer.text
    await officer.send(f"/tiem {code} AZ AB1234")
    assert "Nguyễn Văn An" not in officer.text and _doses(app) == 0
    admin = await _officer(app, "0901000004", staff.ADMIN, None)
    await admin.send(f"/tiem {code} AZ AB1234")
    assert "đã bị hủy" in admin.text and _doses(app) == 0  # not even an admin doses a cancelled booking


async def test_an_admin_demoted_mid_announcement_sends_nothing(chat: Chat, app: App) -> None:
    admin = await _officer(app, "0901000004", staff.ADMIN, None)
    await admin.send("/thongbao Lịch tiêm tuần tới đã được cập nhật.")
    await admin.press("all")
    assert "gửi tới" in admin.text
    await app.store.run(lambda conn: staff.add(conn, phone=parse_mobile("0901000004"), role=staff.CHECKER,
                                               site_code=None))
    await admin.press("yes")
    assert "không còn quyền" in admin.text and "Đang gửi thông báo" not in admin.text
    with app.store.engine.connect() as conn:
        kinds = [r[0] for r in conn.execute(select(table(Outbox).c.kind))]
    assert "announcement" not in kinds and "announce" not in kinds, kinds
