"""Appointment notices and announcements to many people through the fake Telegram Bot API at its enforced
limits: each delivered exactly once, every 429 obeyed, a blocked user counted apart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from bot.app import App
from bot.channels.webchat.transcript import CHANNEL as WEB
from bot.services.access import staff
from bot.services.registration import appointments, waiting
from bot.services.values.dates import FixedClock, age_on, now, today, use_clock
from bot.services.values.text import fold
from models.tables import Account, ChannelIdentity, Outbox, Person, Registration, table
from tests.fakes.telegram_api import FakeTelegram, pushes_through
from tests.helpers import Chat, signup

FIRST_CHAT = 700_000


def _citizens(app: App, count: int) -> None:
    """``count`` registered citizens of site 1, each with a Telegram chat (written directly: the registration
    conversation has its own tests)."""
    now = datetime.now()
    with app.store.engine.begin() as conn:
        conn.execute(insert(table(Account)), [
            {"id": 1000 + n, "phone": f"+8491{n:07d}", "name": f"Người {n}", "password_hash": "!",
             "locale": "vi", "created_at": now} for n in range(count)])
        conn.execute(insert(table(ChannelIdentity)), [
            {"channel": "telegram", "chat_id": str(FIRST_CHAT + n), "user_id": str(FIRST_CHAT + n),
             "account_id": 1000 + n, "created_at": now} for n in range(count)])
        conn.execute(insert(table(Person)), [
            {"id": 1000 + n, "owner_account_id": 1000 + n, "relation": "self", "full_name": f"Nguyễn Văn Số {n}",
             "name_key": fold(f"Nguyễn Văn Số {n}"), "birth_date": date(1950 + n % 50, 1, 1), "sex": "M",
             "id_type": "cccd", "id_number": f"0010{50 + n % 50:02d}{n:06d}", "phone": f"+8491{n:07d}",
             "occupation": "-", "priority_group": 1 + n % 16, "province_code": 79, "ward_code": 26743,
             "created_at": now, "updated_at": now} for n in range(count)])
        conn.execute(insert(table(Registration)), [
            {"person_id": 1000 + n, "booking_code": f"{2 * 10**15 + n}", "open_key": f"cccd:x{n}", "site_id": 1,
             "province_code": 79, "preferred_date": today() + timedelta(days=3), "preferred_session": "allday",
             "dose_number": 1, "status": "submitted", "screening": {}, "screening_flags": "", "consent_at": now,
             "consent_version": "test", "created_at": now} for n in range(count)])


@pytest.fixture
async def telegram(sqlite_app: App) -> AsyncIterator[FakeTelegram]:
    async with pushes_through(sqlite_app, per_chat=1, overall=60) as fake:
        yield fake


async def _deliver_all(app: App) -> None:
    """Rounds of the pusher until nothing due is left (a round takes up to 500)."""
    for _ in range(10):
        if await app.pusher.run_once() == 0:
            due = await app.store.run(lambda conn: conn.execute(
                select(table(Outbox).c.id).where(table(Outbox).c.state == "pending")).all())
            if not due:
                return


async def test_500_appointment_notices_each_delivered_once_within_the_limits(
        sqlite_app: App, telegram: FakeTelegram) -> None:
    _citizens(sqlite_app, 500)
    with sqlite_app.store.engine.begin() as conn:
        conn.execute(table(Account).insert().values(id=1, phone="+84901000003", name="Cán bộ", password_hash="!",
                                                    locale="vi", created_at=datetime.now()))
        staff.add(conn, phone="+84901000003", role=staff.SITE_STAFF, site_code="HCM-BT-01")
        conn.execute(table(Registration).update().values(site_id=1))
        from models.tables import Site
        conn.execute(table(Site).update().where(table(Site).c.id == 1).values(daily_capacity=600))
        role = staff.role_of(conn, 1)
        assert role is not None
        chosen = waiting.plan(conn, 1, today() + timedelta(days=3), 500)
        assert len(chosen.chosen) == 500
        served_in = [min(p.priority_group, 9) if age_on(p.birth_date, today()) >= 65 else p.priority_group
                     for p in chosen.chosen]  # 65 or over: group 9 at the latest
        assert served_in == sorted(served_in)
        booked = appointments.book(conn, role, 1, today() + timedelta(days=3), "allday",
                                   [p.registration_id for p in chosen.chosen])
    assert (booked.appointments, booked.people) == (500, 500)
    await _deliver_all(sqlite_app)
    for n in range(500):
        texts = telegram.texts(FIRST_CHAT + n)
        assert len(texts) == 1 and "LỊCH HẸN TIÊM" in texts[0], n  # exactly once
        assert [b[0] for b in telegram.buttons(FIRST_CHAT + n)] == ["Tôi sẽ đến", "Không đến được"]
    assert telegram.ignored_retry_after == 0


async def test_an_announcement_to_a_priority_group_counts_sent_and_blocked(
        sqlite_app: App, telegram: FakeTelegram) -> None:
    _citizens(sqlite_app, 40)  # groups 1 … 16 in turn: group 3 is citizens 2, 18 and 34
    telegram.blocked_by_user.add(FIRST_CHAT + 18)
    admin = Chat(sqlite_app.engine, "admin-web", channel=WEB)
    await signup(admin, name="Sở Y tế", phone="0901000009")
    await sqlite_app.store.run(lambda conn: staff.add(conn, phone="+84901000009", role=staff.ADMIN, site_code=None))
    await admin.send("/thongbao Lịch tiêm tuần tới đã được cập nhật. Vui lòng theo dõi thông báo của điểm tiêm.")
    await admin.press("group")
    await admin.send("3")
    assert "gửi tới 3 cuộc trò chuyện" in admin.text and "Lịch tiêm tuần tới" in admin.text
    await admin.press("yes")
    assert "Đang gửi thông báo tới 3 cuộc trò chuyện" in admin.text
    await _deliver_all(sqlite_app)
    for n in range(40):
        got = telegram.texts(FIRST_CHAT + n)
        assert got == (["📣 THÔNG BÁO\n\nLịch tiêm tuần tới đã được cập nhật. Vui lòng theo dõi thông báo của điểm "
                        "tiêm."] if n in (2, 34) else []), n
    previous = use_clock(FixedClock(now() + timedelta(seconds=10)))  # the report looks again a while later
    try:
        assert await sqlite_app.pusher.run_once() == 1
    finally:
        use_clock(previous)
    report = [m.get("text", "") for _, m in await sqlite_app.engine.messages_after(WEB, admin.chat_id, 0)][-1]
    assert report == "Đã gửi xong thông báo: 2/3 cuộc trò chuyện nhận được, 1 đã chặn hệ thống, 0 gửi lỗi."


async def test_a_citizen_cannot_send_an_announcement(sqlite_app: App) -> None:
    citizen = Chat(sqlite_app.engine, "citizen-web", channel=WEB)
    await signup(citizen)
    await citizen.send("/khonglenhnay")
    unknown = citizen.text
    await citizen.send("/thongbao xin chào mọi người")
    assert citizen.text == unknown
