"""Reactions after vaccination (issue 27): asked the day after, reported on the web chat, a serious one answered
with "Gọi 115" at once and pushed to the site's staff on Telegram; staff read them in /phanung and /tra."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from bot.app import App
from bot.channels.webchat.transcript import CHANNEL as WEB
from bot.services.access import staff
from bot.services.people import accounts
from bot.services.vaccination import reactions
from bot.services.values.dates import LOCAL_TZ, FixedClock, dmy, today, use_clock
from tests.factories import registered, staff_member
from tests.fakes.telegram_api import FakeTelegram, pushes_through
from tests.helpers import Chat, setup_state

STAFF_TELEGRAM = 910_001


@pytest.fixture
async def telegram(sqlite_app: App) -> AsyncIterator[FakeTelegram]:
    async with pushes_through(sqlite_app, per_chat=30, overall=1000) as fake:
        yield fake


async def test_a_serious_reaction_on_the_web_chat_reaches_the_sites_staff_on_telegram(
        sqlite_app: App, telegram: FakeTelegram) -> None:
    app = sqlite_app
    clock = FixedClock(datetime.now(LOCAL_TZ).replace(hour=9))
    previous = use_clock(clock)
    try:
        citizen = Chat(app.engine, "citizen", channel=WEB)
        code = await registered(citizen)
        officer = await staff_member(app, staff.SITE_STAFF, chat_id="officer", channel=WEB)
        await app.store.run(lambda conn: accounts.bind_chat(  # the officer also has Telegram
            conn, channel="telegram", chat_id=str(STAFF_TELEGRAM), user_id=str(STAFF_TELEGRAM),
            account_id=accounts.login_target(conn, "+84901000003").id))  # type: ignore[union-attr]
        await officer.send(f"/tiem {code} AstraZeneca AZ1")
        await citizen.send("/menu")
        assert "reaction" in citizen.payloads()  # "Báo phản ứng sau tiêm": a dose in the last 28 days

        # The next day the citizen is asked once how they feel; "Có dấu hiệu bất thường" opens the report.
        clock.advance(timedelta(days=1))
        assert await app.store.run(reactions.ask_day_after) == 1
        assert await app.store.run(reactions.ask_day_after) == 0
        await app.pusher.run_once()
        asked = [m for _, m in await app.engine.messages_after(WEB, citizen.chat_id, 0)
                 if "thấy thế nào" in str(m.get("text"))]
        assert len(asked) == 1 and f"Hôm qua ({dmy(today() - timedelta(days=1))})" in str(asked[0]["text"])
        await citizen.send("Tôi đang ở bước khác")  # the chat is elsewhere; the notice's button still works
        await citizen.send(button=f"react:report:{_dose_id(asked[0])}")
        assert "bắt đầu từ ngày nào" in citizen.text, citizen.text
        await citizen.press("today")
        assert "Dấu hiệu nặng" in citizen.text
        await citizen.send("0, 3")
        assert "từ 1 đến 15" in citizen.text and citizen.step == "reaction_signs"
        await citizen.send("2, 8")  # fever, difficulty breathing
        assert citizen.text.index("Gọi 115") < citizen.text.index("Mô tả thêm"), citizen.text  # before anything else
        assert "Điện thoại điểm tiêm: 028 3822 0003" in citizen.text
        await app.pusher.run_once()  # the site's staff, on Telegram, at once
        staff_saw = "\n".join(str(m.get("text")) for m in telegram.sent[STAFF_TELEGRAM])
        assert "PHẢN ỨNG NẶNG SAU TIÊM: Nguyễn Văn An" in staff_saw, staff_saw
        assert "Sốt dưới 39°C, Khó thở, thở rít" in staff_saw
        await citizen.send("Khó thở từ 8 giờ sáng")
        await citizen.press("moderate")
        assert "điểm tiêm đã được báo ngay" in citizen.text

        officer_account = await app.store.run(lambda conn: accounts.login_target(conn, "+84901000003").id)  # type: ignore[union-attr]
        setup_state(officer, "menu", account_id=officer_account)  # a new working day: logged in again
        await officer.send("/phanung")
        await officer.press("all")
        assert "🚨 Nguyễn Văn An" in officer.text and "Khó thở từ 8 giờ sáng" in officer.text, officer.text
        await officer.send(f"/tra {code}")
        assert "🚨 Nguyễn Văn An" in officer.text and "(Vừa, phải nghỉ ngơi)" in officer.text
    finally:
        use_clock(previous)


def _dose_id(message: dict[str, object]) -> str:
    choices = message.get("choices") or []
    payload = str(choices[1]["payload"])  # type: ignore[index]
    return payload.split("~")[0].rsplit(":", 1)[1]


async def test_a_mild_reaction_and_fine_the_day_after(app: App, chat: Chat) -> None:
    code = await registered(chat)
    officer = await staff_member(app, staff.SITE_STAFF)
    await officer.send(f"/tiem {code} Pfizer FK1")
    await chat.send(button="react:ok:1")
    assert "Cảm ơn Anh/Chị" in chat.text
    await chat.send("/menu")
    await chat.press("reaction")
    await chat.send(dmy(today() - timedelta(days=2)))
    assert "trước ngày tiêm" in chat.text and chat.step == "reaction_began"
    await chat.send("1")  # a digit on a date question: a date not understood, never the first button ("Hôm nay")
    assert chat.step == "reaction_began"
    await chat.press("today")
    await chat.send("1")
    assert "Gọi 115" not in chat.text
    await chat.press("Bỏ qua")
    await chat.press("mild")
    assert "Các dấu hiệu nhẹ thường hết sau 1–3 ngày" in chat.text
    found = await app.store.run(lambda conn: reactions.for_site(conn, None))
    assert [(r.signs, r.severity, r.serious) for r in found] == [(["injection_site"], "mild", False)]
