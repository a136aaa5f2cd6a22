"""A site's waiting list and its allocation of slots by priority, the appointment notices and the answers."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select, update

from bot.app import App
from bot.channels.webchat.transcript import CHANNEL as WEB
from bot.services.access import audit, staff
from bot.services.registration import appointments
from bot.services.values.dates import LOCAL_TZ, FixedClock, dmy, today, use_clock
from models.tables import Appointment, Site, table
from tests.factories import logged_in, staff_member
from tests.helpers import Chat, answer_form, send_form
from tests.scripts import Button, details, history

# (name, phone, priority group, birth date): registered in this order.
PEOPLE = [
    ("Nguyễn Văn An", "0912000001", 1, "01/01/1996"),
    ("Trần Văn Bình", "0912000002", 9, "01/01/1956"),
    ("Lê Văn Cường", "0912000003", 9, "01/01/1986"),
    ("Phạm Văn Dũng", "0912000004", 1, "01/01/1976"),
    ("Hoàng Văn Em", "0912000005", 12, "01/01/1946"),
    ("Vũ Văn Phúc", "0912000006", 9, "01/01/1956"),
]
# Em (80, group 12) is served in group 9 at the latest: 65 or over (domain §5).
EXPECTED_ORDER = ["Phạm Văn Dũng", "Nguyễn Văn An", "Hoàng Văn Em", "Trần Văn Bình", "Vũ Văn Phúc", "Lê Văn Cường"]


def _planned(text: str) -> list[str]:
    """The names of a plan, in its order (a person is two lines: the name, ★ if they asked for the day; then age)."""
    return re.findall(r"^\d+\. (.+?)(?: ★)?\n\s+\d+ tuổi", text, re.M)


async def _citizens(app: App) -> dict[str, Chat]:
    chats = {}
    for n, (name, phone, group, born) in enumerate(PEOPLE, 1):
        chat = Chat(app.engine, f"citizen{n}", channel=WEB)
        await logged_in(chat, name=name, phone=phone)
        await chat.press("register_self")
        cccd = f"0010{born[-2:]}{n:06d}"
        await answer_form(chat, {**details(full_name=name, id_type=cccd, birth_date=born,
                                           priority_group=Button(f"group:{group}")), **history()})
        await send_form(chat)
        assert "ĐĂNG KÝ THÀNH CÔNG" in chat.text, chat.text
        chats[name] = chat
    return chats


async def _officer(app: App) -> Chat:
    officer = await staff_member(app, staff.SITE_STAFF, chat_id="officer", channel=WEB)
    await app.store.run(lambda conn: conn.execute(update(table(Site)).where(table(Site).c.code == "HCM-BT-01")
                                                  .values(daily_capacity=5)))
    return officer


async def _notices(app: App, chat: Chat) -> list[dict[str, object]]:
    return [m for _, m in await app.engine.messages_after(WEB, chat.chat_id, 0) if "LỊCH HẸN TIÊM" in str(m.get("text"))
            or "NHẮC LỊCH" in str(m.get("text"))]


async def test_allocation_by_priority_within_capacity_notices_answers_and_reminders(app: App) -> None:
    people = await _citizens(app)
    officer = await _officer(app)
    day = today() + timedelta(days=2)

    await officer.send("/danhsach")
    await officer.press("all")
    listed = re.findall(r"^\d+\. (.+?) · \d+ tuổi", officer.text, re.M)
    assert listed == EXPECTED_ORDER  # priority group, then older first, then earlier registration

    await officer.send(f"/phanbo {dmy(day)} 4")
    assert _planned(officer.text) == EXPECTED_ORDER[:4]
    assert "Gửi thông báo lịch hẹn" in officer.text
    await officer.press("no")
    assert "Chưa phân bổ" in officer.text
    assert await app.store.run(lambda conn: conn.execute(select(table(Appointment))).all()) == []

    await officer.send(f"/phanbo {dmy(day)} 4 sáng")
    await officer.press("yes")
    assert "Đã phân bổ 4 suất" in officer.text
    assert await app.pusher.run_once() >= 4
    for name in EXPECTED_ORDER[:4]:
        [notice] = await _notices(app, people[name])
        assert f"Người được tiêm: {name}" in str(notice["text"]) and "Buổi sáng" in str(notice["text"])
        assert "CCCD" in str(notice["text"]) and "bảo hiểm y tế" in str(notice["text"])
        choices = notice["choices"]
        assert isinstance(choices, list) and [c["label"] for c in choices] == ["Tôi sẽ đến", "Không đến được"]
    assert await _notices(app, people[EXPECTED_ORDER[4]]) == []

    # Asked for 10 more: the capacity (5) leaves one, and nobody is booked twice.
    await officer.send(f"/phanbo {dmy(day)} 10")
    assert _planned(officer.text) == [EXPECTED_ORDER[4]]
    assert "còn trống 1" in officer.text
    await officer.press("yes")
    await officer.send(f"/phanbo {dmy(day)} 10")
    assert "đã hết suất" in officer.text

    # "Tôi sẽ đến" and "Không đến được", pressed in the middle of something else: the chat stays where it was.
    an, dung = people["Nguyễn Văn An"], people["Phạm Văn Dũng"]
    await an.press("records")
    [notice] = await _notices(app, an)
    await an.send(button=notice["choices"][1]["payload"])  # type: ignore[index]
    assert "không đến được" in an.text and "Suất tiêm được trả lại" in an.text
    assert an.flow == "records"
    [notice] = await _notices(app, dung)
    await dung.send(button=notice["choices"][0]["payload"])  # type: ignore[index]
    assert "sẽ đến tiêm" in dung.text
    await dung.send(button=notice["choices"][1]["payload"])  # type: ignore[index]
    assert "Hệ thống đã ghi nhận Phạm Văn Dũng không đến được" in dung.text  # a change of mind is allowed
    await app.pusher.run_once()
    told = [m.get("text", "") for _, m in await app.engine.messages_after(WEB, officer.chat_id, 0)]
    assert any("Nguyễn Văn An" in str(t) and "báo không đến được" in str(t) for t in told)

    # Two slots are free again: a second allocation fills them, never with those who declined that day.
    await officer.send(f"/phanbo {dmy(day)} 10")
    assert _planned(officer.text) == [EXPECTED_ORDER[5]]
    await officer.press("yes")
    await app.pusher.run_once()
    await an.send("/lichhen")
    assert "Chưa có lịch hẹn" in an.text

    # The evening before, once: not at 17:59, at 18:00, and never twice.
    evening = datetime.combine(day - timedelta(days=1), datetime.min.time()).replace(tzinfo=LOCAL_TZ)
    clock = FixedClock(evening + timedelta(hours=17, minutes=59))
    previous = use_clock(clock)
    try:
        assert await app.store.run(appointments.remind_due) == 0
        clock.advance(timedelta(minutes=1))
        assert await app.store.run(appointments.remind_due) == 4  # Bình, Phúc, Cường, Em
        assert await app.store.run(appointments.remind_due) == 0
        await app.pusher.run_once()
    finally:
        use_clock(previous)
    reminders = [m for m in await _notices(app, people["Trần Văn Bình"]) if "NHẮC LỊCH" in str(m.get("text"))]
    assert len(reminders) == 1
    assert await _notices(app, an) and not [m for m in await _notices(app, an) if "NHẮC LỊCH" in str(m.get("text"))]

    await people["Trần Văn Bình"].press("records")
    assert "📅 Lịch hẹn" in people["Trần Văn Bình"].text  # in "Lịch sử đăng ký" too

    entries = await app.store.run(lambda conn: audit.entries(conn))
    assert sum(1 for e in entries if e.action == "allocate") == 6
    assert sum(1 for e in entries if e.action == "list") == 6


async def test_a_citizen_or_a_checker_cannot_list_or_allocate(app: App) -> None:
    citizen = Chat(app.engine, "plain", channel=WEB)
    await logged_in(citizen)
    await citizen.send("/khonglenhnay")
    unknown = citizen.text
    for command in ("/danhsach", "/phanbo 05/12/2026 3"):
        await citizen.send(command)
        assert citizen.text == unknown
