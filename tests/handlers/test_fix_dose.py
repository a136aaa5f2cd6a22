"""A dose recorded wrongly, corrected (issue 27): moved to the right person, edited, removed; each person's QR
re-issued and pushed, the earlier one "không còn hiệu lực" at a checkpoint, both told, the audit with before and
after, the registration and appointment reopened, the statistics following."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.app import App
from bot.channels.webchat.transcript import CHANNEL as WEB
from bot.services.access import audit, staff
from bot.services.certificates import credentials
from bot.services.values.phones import parse_mobile
from models.tables import Registration, table
from tests.factories import logged_in, staff_member
from tests.helpers import Chat, answer_form, photographed_qr, send_form
from tests.scripts import details, history


async def _citizen(app: App, n: int, name: str, cccd: str) -> tuple[Chat, str]:
    chat = Chat(app.engine, f"citizen-{n}", channel=WEB)
    await logged_in(chat, name=name, phone=f"091200000{n}")
    await chat.press("register_self")
    await answer_form(chat, {**details(full_name=name, id_type=cccd), **history()})
    await send_form(chat)
    code = re.search(r"Mã đặt tiêm: (\d{16})", chat.text)
    assert code, chat.text
    return chat, code.group(1)


async def _told(app: App, chat: Chat, after: int = 0) -> str:
    await app.pusher.run_once()
    return "\n".join(str(m.get("text")) for _, m in await app.engine.messages_after(WEB, chat.chat_id, after))


async def test_a_dose_on_the_wrong_person_is_moved_and_both_are_told(app: App) -> None:
    lan, lan_code = await _citizen(app, 1, "Trần Thị Lan", "079190000111")
    hoa, hoa_code = await _citizen(app, 2, "Trần Thị Hoa", "079190000222")
    officer = await staff_member(app, staff.SITE_STAFF, chat_id="officer", channel=WEB)
    await officer.send("/thongke")
    assert "Mũi tiêm đã ghi nhận: 0" in officer.text

    # Lan is at the desk; the officer types Hoa's code.
    await officer.send(f"/tiem {hoa_code} Pfizer FK1")
    assert "Đã ghi nhận mũi 1" in officer.text and "Trần Thị Hoa" in officer.text
    hoa_person = await app.store.run(lambda conn: conn.execute(select(table(Registration).c.person_id).where(
        table(Registration).c.booking_code == hoa_code)).scalar_one())
    amber = await app.store.run(lambda conn: credentials.current(conn, hoa_person))
    assert amber is not None and amber.level == "partial"
    amber_photo = photographed_qr(app, hoa_person)  # her amber QR, as a checkpoint would see it
    seen = len(await app.engine.messages_after(WEB, hoa.chat_id, 0))

    await officer.send(f"/suatiem {hoa_code}")
    assert "Mũi 1: Pfizer-BioNTech (Comirnaty), lô FK1" in officer.text, officer.text
    await officer.send("1")  # the dose's number
    await officer.press("move")
    await officer.send(hoa_code)
    assert "chính là người đang có mũi tiêm này" in officer.text and officer.step == "fix_to"
    await officer.send(lan_code)
    assert "mũi này chuyển từ Trần Thị Hoa sang Trần Thị Lan" in officer.text, officer.text
    await officer.press("yes")
    assert "Mã QR của 2 người đã được cấp lại" in officer.text, officer.text

    told_hoa = await _told(app, hoa)
    assert "ghi nhầm cho Trần Thị Hoa một mũi tiêm (Pfizer-BioNTech (Comirnaty), ngày" in told_hoa, told_hoa
    latest_hoa = "\n".join(str(m.get("text")) for _, m in
                           (await app.engine.messages_after(WEB, hoa.chat_id, 0))[seen:])
    assert "khung xám" in latest_hoa, latest_hoa  # back to no dose
    assert "Điểm tiêm đã ghi nhận cho Trần Thị Lan mũi tiêm" in await _told(app, lan)

    # Hoa's amber QR, shown at a checkpoint, is no longer valid; her registration waits again.
    await officer.send("/xacminh")
    await officer.send(photo=amber_photo)
    assert "KHÔNG CÒN HIỆU LỰC" in officer.text, officer.text
    statuses = await app.store.run(lambda conn: dict(conn.execute(select(
        table(Registration).c.booking_code, table(Registration).c.status)).all()))
    assert statuses[hoa_code] == "submitted" and statuses[lan_code] == "submitted"  # Lan: waiting for dose 2
    await officer.send("/thongke")
    assert "Mũi tiêm đã ghi nhận: 1" in officer.text

    # The audit has the before and the after.
    entries = await app.store.run(lambda conn: audit.entries(conn, staff_phone=parse_mobile("0901000003")))
    moved = [e for e in entries if e.action == "fixdose"]
    assert len(moved) == 2 and "moved from person" in moved[0].how and "pfizer lot FK1" in moved[0].how


async def test_edit_and_remove_by_the_site_that_recorded_it_only(app: App) -> None:
    lan, lan_code = await _citizen(app, 1, "Trần Thị Lan", "079190000111")
    officer = await staff_member(app, staff.SITE_STAFF, chat_id="officer", channel=WEB)
    other = await staff_member(app, staff.SITE_STAFF, "HCM-SG-01", phone="0901000009", chat_id="other", channel=WEB)
    await officer.send(f"/tiem {lan_code} Pfizer FK1")
    await other.send(f"/suatiem {lan_code}")
    assert "Không tìm thấy người này" in other.text  # another site's person

    await officer.send(f"/suatiem {lan_code}")
    await officer.send("1")
    await officer.press("edit")
    await officer.send("Modrna X1")
    assert "Không có vắc xin mã Modrna" in officer.text and officer.step == "fix_values"
    await officer.send("Moderna MD77")
    assert "Sau: Mũi 1: Moderna (Spikevax), lô MD77" in officer.text, officer.text
    await officer.press("yes")
    told = await _told(app, lan)
    assert "Trước: Pfizer-BioNTech (Comirnaty), lô FK1" in told and "Nay: Moderna (Spikevax), lô MD77" in told, told

    await officer.send(f"/suatiem {lan_code}")
    await officer.send("1")
    await officer.press("remove")
    await officer.send("ghi trùng")
    await officer.press("yes")
    assert "Mã QR của 1 người đã được cấp lại (khung xám)" in officer.text, officer.text
    assert "đã xóa mũi tiêm Moderna (Spikevax)" in await _told(app, lan)
    await officer.send(f"/suatiem {lan_code}")
    assert "không có mũi tiêm nào do điểm tiêm" in officer.text
