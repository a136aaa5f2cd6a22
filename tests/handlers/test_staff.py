"""Staff in the chat: who may do what (the authorization matrix), /tra, /tiem, /xacminh, and the audit."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import cbor2
import pytest
from PIL import Image
from sqlalchemy import select

from bot.app import App
from bot.services.access import audit, staff
from bot.services.certificates import cose, credentials
from bot.services.reference import vaccines
from bot.services.values.dates import dmy, today, utcnow
from bot.services.values.phones import parse_mobile
from models.tables import table
from tests.factories import logged_in, registered, staff_member
from tests.handlers.test_certificate import _pushes, _verify_image
from tests.helpers import Chat

CITIZEN_PHONE = "0912345678"


async def _staff(app: App, name: str, phone: str, role: str | None, site: str | None = None) -> Chat:
    if role is not None:
        return await staff_member(app, role, site, phone=phone, name=name, chat_id="s-" + phone)
    chat = Chat(app.engine, "s-" + phone)
    await logged_in(chat, name=name, phone=phone)
    return chat


async def _people(app: App, chat: Chat) -> dict[str, Chat]:
    """A registered citizen (at Bến Thành) and one chat for every kind of caller."""
    await registered(chat)
    return {
        "citizen": chat,
        "checker": await _staff(app, "Lê Kiểm Tra", "0901000001", staff.CHECKER),
        "other_site": await _staff(app, "Võ Sài Gòn", "0901000002", staff.SITE_STAFF, "HCM-SG-01"),
        "site_staff": await _staff(app, "Phạm Bến Thành", "0901000003", staff.SITE_STAFF, "HCM-BT-01"),
        "admin": await _staff(app, "Trần Quản Trị", "0901000004", staff.ADMIN),
    }



async def _registered_and_officer(app: App, chat: Chat) -> Chat:
    """The citizen registered at Bến Thành, and a staff member of that site."""
    await registered(chat)
    return await _staff(app, "Phạm Bến Thành", "0901000003", staff.SITE_STAFF, "HCM-BT-01")


# What each caller gets: "ok" (the command runs), "unknown" (exactly the reply to an unknown command),
# "none" (it runs but finds no one: another site's person).
MATRIX = {
    "/tra 001090123456": {"citizen": "unknown", "checker": "unknown", "other_site": "none", "site_staff": "ok",
                          "admin": "ok"},
    "/tiem 001090123456 AZ AB1234": {"citizen": "unknown", "checker": "unknown", "other_site": "none",
                                      "site_staff": "ok", "admin": "ok"},
    "/xacminh": {"citizen": "unknown", "checker": "ok", "other_site": "ok", "site_staff": "ok", "admin": "ok"},
}


@pytest.mark.parametrize("command", list(MATRIX))
async def test_the_authorization_matrix(chat: Chat, app: App, command: str) -> None:
    people = await _people(app, chat)
    for who, expected in MATRIX[command].items():
        caller = people[who]
        unknown = await caller.send("/khonglenhnay")
        unknown_text = [r.text for r in unknown]
        replies = await caller.send(command)
        texts = [r.text for r in replies]
        if expected == "unknown":
            assert texts == unknown_text, (who, command, texts)  # nothing tells the command exists
        elif expected == "none":
            assert "Không tìm thấy" in "\n".join(texts), (who, command, texts)
        else:
            assert "không có lệnh này" not in "\n".join(texts), (who, command, texts)
            assert "Không tìm thấy" not in "\n".join(texts), (who, command, texts)
        await caller.send("/menu")


async def test_help_lists_only_what_the_caller_may_use(chat: Chat, app: App) -> None:
    people = await _people(app, chat)
    await people["checker"].send("/help")
    assert "/xacminh" in people["checker"].text and "/tiem" not in people["checker"].text
    await people["site_staff"].send("/help")
    assert all(c in people["site_staff"].text for c in ("/tra", "/tiem", "/xacminh"))
    await people["citizen"].send("/help")
    assert "/tra" not in people["citizen"].text and "Lệnh của cán bộ" not in people["citizen"].text
    await people["checker"].send("/menu")
    assert people["checker"].payloads()[:1] == ["staff:verify"]


async def test_lookup_shows_registration_history_flags_doses_and_qr(chat: Chat, app: App) -> None:
    await logged_in(chat)
    await chat.press("register_self")
    from tests.helpers import answer_form, send_form
    from tests.scripts import Button, details, history

    await answer_form(chat, details())
    await answer_form(chat, history(q7=Button("yes"), q2=Button("unknown")))
    await send_form(chat)
    officer = await _staff(app, "Phạm Bến Thành", "0901000003", staff.SITE_STAFF, "HCM-BT-01")
    for query in ("0912 345 678", "001090123456", "nguyen van an 01/07/1990"):
        await officer.send(f"/tra {query}")
        text = officer.text
        assert "Nguyễn Văn An" in text and "sinh 01/07/1990" in text, (query, text)
        assert "2. COVID-19 trong 6 tháng (Không rõ)" in text and "7. bệnh mạn tính đang tiến triển (Có)" in text
        assert "khung xám — chưa tiêm mũi nào" in text
        assert "•••••••••456" in text and "001090123456" not in text  # the ID is masked
    code = re.search(r"Đăng ký (\d{16})", officer.text)
    assert code
    await officer.send(f"tra {code.group(1)}")  # the bare word, on the "Tiếp theo?" question
    assert "Nguyễn Văn An" in officer.text


async def test_a_dose_through_the_chat_pushes_amber_then_green(chat: Chat, app: App) -> None:
    officer = await _registered_and_officer(app, chat)
    first = dmy(today() - timedelta(days=60))
    await officer.send(f"/tiem 001090123456 AstraZeneca AB1234 {first}")
    assert "Đã ghi nhận mũi 1 (AstraZeneca (Vaxzevria), lô AB1234)" in officer.text and "khung vàng" in officer.text
    pushed = await _pushes(app, chat)  # the citizen's chat receives the new QR
    assert _verify_image(app, pushed[-1]["image_url"]).level == vaccines.PARTIAL
    await officer.send("/tiem 001090123456 comirnaty FK1234")
    assert "Đã ghi nhận mũi 2" in officer.text and "khung xanh" in officer.text
    pushed = await _pushes(app, chat, after=int(str(pushed[-1]["id"])))
    assert len(pushed) == 1 and _verify_image(app, pushed[0]["image_url"]).level == vaccines.COMPLETE


REFUSALS = [
    ("/tiem 001090123456 Sputnik-X L1", "Không có vắc xin mã Sputnik-X"),
    (f"/tiem 001090123456 Pfizer L1 {dmy(today() + timedelta(days=2))}", "Ngày này chưa tới"),
    ("/tiem 001090123456 Pfizer L1 01/01/1989", "trước ngày sinh"),
    ("/tiem 001090123456 Pfizer", "Thiếu thông tin"),
    ("/tiem 009999999999 Pfizer L1", "Không tìm thấy đăng ký"),
]


@pytest.mark.parametrize(("command", "reason"), REFUSALS)
async def test_a_dose_is_refused_with_the_reason(chat: Chat, app: App, command: str, reason: str) -> None:
    officer = await _registered_and_officer(app, chat)
    await officer.send(command)
    assert reason in officer.prompt, officer.prompt
    assert officer.step == "dose_args"  # asked again, nothing recorded


async def test_the_same_dose_twice_is_refused_and_a_short_interval_asks_first(chat: Chat, app: App) -> None:
    officer = await _registered_and_officer(app, chat)
    earlier = dmy(today() - timedelta(days=10))
    await officer.send(f"/tiem 001090123456 Moderna M1 {earlier}")
    await officer.send(f"/tiem 001090123456 Moderna M1 {earlier}")
    assert f"đã có một mũi tiêm được ghi nhận ngày {earlier}" in officer.prompt
    await officer.send("/tiem 001090123456 Spikevax M2")  # today: 10 days after, the minimum is 28
    assert "cách mũi trước (Moderna (Spikevax)) 10 ngày, ngắn hơn khoảng cách tối thiểu 28 ngày" in officer.prompt
    await officer.press("no")
    assert "Chưa ghi nhận mũi tiêm" in officer.text
    await officer.send("/tiem 001090123456 Spikevax M2")
    await officer.press("yes")  # the doctor decides
    assert "Đã ghi nhận mũi 2" in officer.text


def _photo(app: App, token: str, *, quality: int = 60, width: int = 640) -> bytes:
    png = app.engine.services.qr.media.get(token)
    assert png is not None
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image = image.resize((width, round(image.height * width / image.width)))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality)
    return out.getvalue()


async def test_verify_a_photographed_qr_superseded_and_tampered(chat: Chat, app: App) -> None:
    await registered(chat)
    await app.pusher.run_once()
    with app.store.engine.connect() as conn:
        issued = credentials.current(conn, 1)
    assert issued is not None
    token = app.engine.services.qr.token(issued)
    app.engine.services.qr.ensure(issued, "CHƯA TIÊM")
    before = _photo(app, token)
    checker = await _staff(app, "Lê Kiểm Tra", "0901000001", staff.CHECKER)
    await checker.send("/xacminh")
    await checker.send(photo=before)
    assert "✅ HỢP LỆ" in checker.text and "Nguyễn Văn An · sinh 01/07/1990" in checker.text
    officer = await _staff(app, "Phạm Bến Thành", "0901000003", staff.SITE_STAFF, "HCM-BT-01")
    await officer.send("/tiem 001090123456 Janssen J1")
    await checker.send(photo=before)  # the picture taken before the dose
    assert "KHÔNG CÒN HIỆU LỰC" in checker.text
    tampered = issued.text[:-6] + ("A" if issued.text[-6] != "A" else "B") + issued.text[-5:]
    await checker.send(tampered)
    assert "❌" in checker.text
    await checker.send(photo=b"not a picture")
    assert "Không đọc được mã QR" in checker.prompt


async def test_every_staff_action_is_audited_and_the_citizen_sees_which_site(chat: Chat, app: App) -> None:
    officer = await _registered_and_officer(app, chat)
    await officer.send("/tra 001090123456")
    await officer.send("/tiem 001090123456 Pfizer FK1")
    await officer.send("/tiem 001090123456 Pfizer FK1")  # refused: the same day
    with app.store.engine.connect() as conn:
        found = audit.entries(conn, staff_phone=parse_mobile("0901000003"))
    assert [(e.action, e.result) for e in found] == [("lookup", "ok"), ("dose", "ok"), ("dose", "refused")]
    assert all("001090123456" not in e.how for e in found)  # never the number looked for
    await chat.send("/menu")
    await chat.press("seen_by")
    assert "Trạm Y tế phường Bến Thành — tra cứu hồ sơ" in chat.text
    assert "Trạm Y tế phường Bến Thành — ghi nhận mũi tiêm" in chat.text
    assert "Phạm" not in chat.text  # which site, not which person


async def test_staff_commands_need_a_recent_log_in(chat: Chat, app: App) -> None:
    officer = await _staff(app, "Phạm Bến Thành", "0901000003", staff.SITE_STAFF, "HCM-BT-01")
    unknown = [r.text for r in await officer.send("/khonglenhnay")]
    from sqlalchemy import update

    from models.tables import Conversation

    stale = (utcnow() - timedelta(hours=13)).isoformat()
    with app.store.engine.begin() as conn:
        rows = conn.execute(select(table(Conversation).c.key, table(Conversation).c.data)).all()
        for key, data in rows:
            data = dict(data)
            data["logged_in_at"] = stale
            conn.execute(update(table(Conversation)).where(table(Conversation).c.key == key).values(data=data))
    assert [r.text for r in await officer.send("/tra 001090123456")] == unknown


async def test_several_matches_are_listed_a_page_at_a_time(chat: Chat, app: App) -> None:
    from tests.helpers import answer_form, send_form
    from tests.scripts import Button, details, history

    await registered(chat)
    for n in range(5):  # five family members notified on the same phone
        await chat.press("register_family")
        if chat.step == "resume":
            await chat.press("no")
        await chat.press("sibling")
        await answer_form(chat, details(full_name="Nguyễn Văn " + ("Một", "Hai", "Ba", "Bốn", "Năm")[n],
                                        id_number=f"00109012340{n}",
                                        phone=Button("account_phone")))
        await answer_form(chat, history())
        await send_form(chat)
    admin = await _staff(app, "Trần Quản Trị", "0901000004", staff.ADMIN)
    await admin.send(f"/tra {CITIZEN_PHONE}")
    assert "Tìm thấy 6 người (trang 1/2)" in admin.text and admin.text.count("👤") == 5
    await admin.press("next")
    assert "trang 2/2" in admin.text and admin.text.count("👤") == 1
    assert "previous" in admin.payloads() and "next" not in admin.payloads()


async def test_a_pasted_code_with_two_spaces_in_a_row_is_verified_as_it_is(app: App) -> None:
    """Base45 counts the space among its letters: about one code in seven holds two in a row, which the chat's
    tidying of typed text must not fold into one."""
    key = app.engine.services.signing_key
    now = int(utcnow().timestamp())
    for n in range(20_000):  # a few tries find one
        body = {"ver": "1.3.0", "nam": {"fn": "Nguyen", "gn": "An"}, "dob": "1990-07-01", "id": f"SSKDT:{n:024X}"}
        claims = {credentials.CLAIM_ISS: "VN", credentials.CLAIM_IAT: now, credentials.CLAIM_EXP: now + 86_400,
                  credentials.CLAIM_CARD: body}
        text = cose.wrap(credentials.CARD, cose.sign(cbor2.dumps(claims), key.private, key.kid))
        if "  " in text:
            break
    checker = await _staff(app, "Lê Kiểm Tra", "0901000001", staff.CHECKER)
    await checker.send("/xacminh")
    await checker.send(text + "\n")
    assert "giả mạo" not in checker.text and "Nguyen An" in checker.text, checker.text
