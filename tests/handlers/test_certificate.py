"""The QR in the chat: after registration, from "Mã QR của tôi", and pushed when a site records a dose."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.app import App
from bot.channels.webchat.transcript import render
from bot.engine.storage.conversations import messages_after
from bot.services.certificates import credentials, keys
from bot.services.certificates.qr_reader import read_codes
from bot.services.reference import vaccines
from bot.services.vaccination import doses
from bot.services.values.dates import FixedClock, today, use_clock
from models.tables import Outbox, table
from tests.factories import registered
from tests.helpers import PASSWORD, Chat, answer_form
from tests.scripts import Button, details


async def _pushes(app: App, chat: Chat, after: int = 0) -> list[dict[str, object]]:
    app.engine.keep_transcript(chat.channel, render)
    await app.pusher.run_once()
    rows = await app.store.run(lambda conn: messages_after(conn, f"{chat.channel}:{chat.chat_id}", after))
    return [dict(payload, id=i) for i, payload in rows if payload.get("image_url")]


def _verify_image(app: App, image_url: object) -> credentials.Verdict:
    token = str(image_url).removeprefix("/api/media/").removeprefix("/media/").removesuffix(".png")
    png = app.engine.services.qr.media.get(token)
    assert png is not None
    texts = read_codes(png)
    assert len(texts) == 1
    trusted = keys.trusted(app.settings.data_dir / "keys")
    return credentials.verify(texts[0], trusted)


async def _record(app: App, code: str, vaccine: str, days_ago: int = 0) -> None:
    key = app.engine.services.signing_key
    given_on = today() - timedelta(days=days_ago)
    await app.store.run(lambda conn: doses.record(conn, key, booking_code=code, vaccine=vaccine, lot="LOT-1",
                                                  given_on=given_on))


async def test_registration_is_followed_by_a_black_and_white_qr(chat: Chat, app: App) -> None:
    await registered(chat)
    assert "Mã QR sẽ được gửi ngay sau tin này" in chat.text
    pushes = await _pushes(app, chat)
    assert len(pushes) == 1 and "Mã QR của Nguyễn Văn An — khung xám: chưa tiêm mũi nào" in str(pushes[0]["text"])
    verdict = _verify_image(app, pushes[0]["image_url"])
    assert verdict.valid and verdict.level == vaccines.NONE and verdict.name == "Nguyễn Văn An"
    assert await _pushes(app, chat) == pushes  # delivered once, not again


async def test_my_qr_menu_sends_the_current_picture(chat: Chat, app: App) -> None:
    await registered(chat)
    await chat.press("certificate")  # one person registered: the picture at once, nobody to choose
    image = [r for r in chat.last if r.image_key]
    assert len(image) == 1 and "Mã QR của Nguyễn Văn An" in image[0].text
    assert _verify_image(app, f"/media/{image[0].image_key}.png").level == vaccines.NONE
    assert chat.payloads()[0] == "register_self"  # back on the menu


async def test_dose_push_arrives_mid_conversation_without_moving_the_step(chat: Chat, app: App) -> None:
    code = re.search(r"\d{16}", await registered(chat))
    assert code
    await chat.press("register_family")
    await chat.press("child")
    child = details(full_name="Nguyễn Thị Hoa", birth_date="05/03/2012", id_type=Button("birth_cert"),
                    id_number="123/2012", phone=Button("account_phone"))
    await answer_form(chat, child, until="sex")
    assert "Giới tính" in chat.prompt
    seen = await _pushes(app, chat)
    await _record(app, code.group(0), "astrazeneca", days_ago=60)
    first = [p for p in await _pushes(app, chat) if p not in seen]
    assert len(first) == 1 and "mũi 1 (AstraZeneca (Vaxzevria))" in str(first[0]["text"])
    assert _verify_image(app, first[0]["image_url"]).level == vaccines.PARTIAL
    await chat.press("F")  # the conversation is where it was
    assert "Dân tộc" in chat.prompt
    await _record(app, code.group(0), "pfizer")
    second = [p for p in await _pushes(app, chat) if p not in seen and p not in first]
    verdict = _verify_image(app, second[0]["image_url"])
    assert verdict.level == vaccines.COMPLETE and verdict.dose_number == 2


async def test_a_janssen_dose_is_green_at_once(chat: Chat, app: App) -> None:
    code = await registered(chat)
    await _pushes(app, chat)
    await _record(app, code, "janssen")
    pushes = await _pushes(app, chat)
    verdict = _verify_image(app, pushes[-1]["image_url"])
    assert verdict.level == vaccines.COMPLETE and verdict.series == 1
    with app.store.engine.connect() as conn:
        states = set(conn.execute(select(table(Outbox).c.state)).scalars())
    assert states == {"sent"}


async def test_every_chat_of_the_account_gets_the_push(chat: Chat, app: App) -> None:
    code = await registered(chat)
    other = Chat(app.engine, chat.chat_id + "-phone2")
    await other.send("/start")
    await other.press("login")
    await other.send("0912345678")
    await other.send(PASSWORD)
    await _record(app, code, "moderna")
    assert len(await _pushes(app, other)) == 1


async def test_a_picture_no_message_shows_any_more_is_deleted_and_drawn_again_when_asked(
        chat: Chat, app: App) -> None:
    """A QR picture carries a name and a health status: kept while a message of the transcript shows it (30 days
    after it was last shown, and a day's margin), then deleted; asked for again, the same credential is drawn
    again."""
    clock = FixedClock(datetime.now(UTC))
    previous = use_clock(clock)

    async def shown() -> str:
        await chat.press("certificate")
        if "Chào mừng Anh/Chị quay lại" in chat.text:  # after days away, the first message lands on the menu
            await chat.press("certificate")
        return next(r.image_key for r in chat.last if r.image_key)
    try:
        await registered(chat)
        token = await shown()
        media = app.engine.services.qr.media
        keep = timedelta(days=app.settings.transcript_days)
        clock.advance(timedelta(days=20))
        assert await shown() == token  # shown again: it lives 30 days from now
        clock.advance(timedelta(days=20))
        assert media.expire(keep) == 0 and media.get(token) is not None
        clock.advance(timedelta(days=12))
        assert media.expire(keep) >= 1 and media.get(token) is None  # 32 days since last shown: gone
        again = await shown()
        assert again == token and _verify_image(app, f"/media/{again}.png").valid  # the same credential, redrawn
    finally:
        use_clock(previous)
