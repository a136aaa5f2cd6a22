"""The screening table's commands (issue 26): /sangloc, /vang, /xacnhan, and what /tiem, /phanbo and /danhsach do
with their decisions; each refusal answered with its reason, the chat left where it was."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select, update

from bot.app import App
from bot.channels.webchat.transcript import CHANNEL as WEB
from bot.services.access import staff
from bot.services.values.dates import dmy, today
from models.tables import Registration, table
from tests.factories import registered, staff_member
from tests.helpers import Chat

CCCD = "001090123456"  # the standard registration's


async def _site(app: App, chat: Chat) -> tuple[Chat, str]:
    """The citizen registered at Bến Thành (the standard form), and an officer of that site on the web chat."""
    code = await registered(chat)
    officer = await staff_member(app, staff.SITE_STAFF, chat_id="officer", channel=WEB)
    return officer, code


async def test_each_command_refuses_with_its_reason_and_keeps_the_chat_where_it_was(app: App, chat: Chat) -> None:
    officer, code = await _site(app, chat)
    other = await staff_member(app, staff.SITE_STAFF, "HN-BD-01", phone="0901000009", chat_id="other", channel=WEB)
    future = dmy(today() + timedelta(days=3))
    table_of_refusals = [
        # (who, what is typed, what the answer says, the step the chat stays at)
        (officer, f"/sangloc {code} hoan 01/01/2020 sốt", "Ngày hết hoãn phải sau hôm nay", "screen_args"),
        (officer, f"/sangloc {code} hoan", "gõ ngày hết hoãn", "screen_args"),
        (officer, f"/sangloc {code} hoan 01/01/2035", "xa quá 365 ngày", "screen_args"),
        (officer, f"/sangloc {code} tiêm luôn", "chưa hiểu kết luận \"tiêm\"", "screen_args"),
        (officer, f"/sangloc {code} chuyen", "gõ nơi chuyển đến", "screen_args"),
        (officer, "/sangloc 079999000111 dat", "Không tìm thấy đăng ký này", "screen_args"),  # nobody
        (other, f"/sangloc {code} dat", "Không tìm thấy đăng ký này", "screen_args"),  # another site's person
        (other, f"/vang {CCCD}", "Không tìm thấy đăng ký này", "noshow"),
        (officer, f"/vang {future}", "Ngày này chưa tới", "noshow"),
        (officer, f"/vang {code}", "không có lịch hẹn nào", None),
        (officer, f"/xacnhan {code}", "không có mũi khai nào", "declared_args"),
        (officer, f"/tiem {code} Pfizer FK1 {future}", "Ngày này chưa tới", "dose_args"),
        (officer, "/danhsach in", "cần một ngày", "filter"),
        (officer, f"/danhsach {future} in", "Chưa có ai được hẹn tiêm", "filter"),
        (officer, "/phanbo 01/01/2020 10", "Ngày này đã qua", "plan"),
    ]
    for who, typed, said, step in table_of_refusals:
        await who.send(typed)
        assert said in who.text, (typed, who.text)
        if step is not None:
            assert who.step == step, (typed, who.step)

    # Before the minimum interval: /tiem asks, with the reason; "Không" records nothing.
    await officer.send(f"/tiem {code} Pfizer FK1 {dmy(today() - timedelta(days=10))}")
    assert "Đã ghi nhận mũi 1" in officer.text and "Mũi 2 đến hạn từ" in officer.text, officer.text
    await officer.send(f"/tiem {code} Pfizer FK2")
    assert "cách mũi trước (Pfizer-BioNTech (Comirnaty)) 10 ngày, ngắn hơn khoảng cách tối thiểu 21 ngày" \
        in officer.text, officer.text
    await officer.send("không")
    assert "Chưa ghi nhận mũi tiêm" in officer.text
    # …and /phanbo does not offer the person before the minimum, nor /danhsach before the day it is due.
    await officer.send(f"/phanbo {dmy(today() + timedelta(days=1))} 10")
    assert "Không có đăng ký nào đang chờ" in officer.text, officer.text
    await officer.send(f"/phanbo {dmy(today() + timedelta(days=11))} 10")
    assert "Nguyễn Văn An" in officer.text and "mũi 2" in officer.text, officer.text
    await officer.send("bỏ 7")
    assert "số từ 1 đến 1" in officer.text and officer.step == "confirm"
    await officer.send("không")
    assert "Chưa phân bổ" in officer.text


async def test_a_postponement_from_the_list_button_reaches_the_citizen_and_ends_on_its_day(app: App) -> None:
    chat = Chat(app.engine, "citizen", channel=WEB)  # the web chat: pushes land in its transcript
    officer, code = await _site(app, chat)
    await officer.send("/danhsach")
    await officer.press("all")
    assert "Nguyễn Văn An" in officer.text and "•••••••••456" in officer.text  # the ID masked
    [button] = [p for p in officer.payloads() if p.startswith("screen:")]
    await officer.press(button)
    assert "Kết luận khám sàng lọc" in officer.text and "Mũi cần tiêm: 1" in officer.text
    await officer.press("postponed")
    await officer.send("20/13/2026 sốt")  # a slip: asked again, nothing recorded
    assert officer.step == "screen_detail"
    until = dmy(today() + timedelta(days=7))
    await officer.send(f"{until} Sốt 38,5 độ")
    assert f"hoãn tiêm đến {until} (Sốt 38,5 độ)" in officer.text, officer.text

    await app.pusher.run_once()
    told = "\n".join(str(m.get("text")) for _, m in await app.engine.messages_after(WEB, chat.chat_id, 0))
    assert f"hoãn tiêm cho Nguyễn Văn An đến ngày {until}. Lý do: Sốt 38,5 độ." in told, told
    await chat.send("/menu")
    await chat.press("records")
    assert f"Khám sàng lọc: hoãn tiêm đến {until} (Sốt 38,5 độ)" in chat.text, chat.text

    # Off the list and the plans until that day; /tiem asks before recording a dose meanwhile.
    await officer.send("/danhsach")
    await officer.press("all")
    assert "Không có đăng ký nào đang chờ" in officer.text
    await officer.send(f"/tiem {code} AstraZeneca AZ1")
    assert f"đang được hoãn tiêm đến {until} (lý do: Sốt 38,5 độ)" in officer.text, officer.text
    await officer.send("không")
    status = await app.store.run(lambda conn: conn.execute(select(table(Registration).c.status)).scalar_one())
    assert status == "submitted"


async def test_a_referral_closes_the_registration_and_tells_where_to_go(app: App, chat: Chat) -> None:
    officer, code = await _site(app, chat)
    await officer.send(f"/sangloc {CCCD} chuyen Bệnh viện Chợ Rẫy; tiền sử phản vệ độ 3")
    assert "chuyển tuyến đến Bệnh viện Chợ Rẫy (tiền sử phản vệ độ 3)" in officer.text, officer.text
    await chat.send("/menu")
    await chat.press("records")
    assert "đã chuyển tuyến" in chat.text and "Bệnh viện Chợ Rẫy" in chat.text, chat.text
    await officer.send(f"/tiem {code} Pfizer FK1")  # no longer this site's to dose: the hospital registers them
    assert "Không tìm thấy đăng ký nào" in officer.text, officer.text
    await officer.send(f"/sangloc {code} dat")
    assert "không còn mở" in officer.text


async def test_the_day_list_prints_on_a4_with_its_header_on_every_page(app: App, chat: Chat) -> None:
    officer, _code = await _site(app, chat)
    day = today() + timedelta(days=2)
    await app.store.run(lambda conn: conn.execute(update(table(Registration)).values(preferred_date=day)))
    await officer.send(f"/phanbo {dmy(day)} 5")
    await officer.send("có")
    await officer.send(f"/danhsach {dmy(day)} in")
    [sheet_reply] = [r for r in officer.last if r.document_key]
    files = app.engine.services.files
    assert files is not None
    found = files.get(sheet_reply.document_key or "", owner_prefix=f"{WEB}:{officer.chat_id}")
    assert found is not None
    sheet = load_workbook(io.BytesIO(found[0])).active
    assert sheet is not None
    assert f"DANH SÁCH TIÊM NGÀY {dmy(day)}" in str(sheet["A1"].value)
    header = [c.value for c in sheet[2]]
    assert header[0] == "STT" and header[-1] == "Ký tên" and "Giấy tờ" in header
    row = [c.value for c in sheet[3]]
    assert row[1] == "Nguyễn Văn An" and row[4] == "•••••••••456"  # the ID masked: the list goes on a wall
    assert sheet.print_title_rows == "$2:$2"
    assert sheet.page_setup.orientation == "landscape" and str(sheet.page_setup.paperSize) == "9"  # A4


async def test_after_dose_1_the_citizen_sees_dose_2_due_and_can_no_longer_amend_the_record(
        app: App, chat: Chat) -> None:
    officer, code = await _site(app, chat)
    await chat.send("/menu")
    await chat.press("records")
    assert any(p.startswith("edit:") for p in chat.payloads())  # waiting, no dose yet: "Sửa đăng ký"
    await officer.send(f"/tiem {code} Pfizer FK1")
    assert "Mũi 2 đến hạn từ" in officer.text, officer.text
    await chat.send("/menu")
    await chat.press("records")
    assert f"Mũi 2 đến hạn từ {dmy(today() + timedelta(days=21))}" in chat.text, chat.text
    # The name and the papers now carry a dose: the site corrects them, not the account.
    assert not any(p.startswith("edit:") for p in chat.payloads()), chat.payloads()
    await chat.send(button=f"edit:{code}")  # a forged (or API) payload: not a way in either
    assert chat.flow != "amend_registration", chat.text


async def test_a_sites_staff_announce_to_those_booked_on_a_day_and_only_their_sites(app: App, chat: Chat) -> None:
    officer, _code = await _site(app, chat)
    day = today() + timedelta(days=1)
    await app.store.run(lambda conn: conn.execute(update(table(Registration)).values(preferred_date=day)))
    await officer.send(f"/phanbo {dmy(day)} 5")
    await officer.send("có")
    await officer.send("/thongbao Ngày mai điểm tiêm bắt đầu từ 7 giờ 30, mang theo CCCD.")
    assert set(officer.payloads()) >= {"site", "booked", "due"} and "all" not in officer.payloads()
    await officer.send(button="all")  # the province's audience is not theirs: refused, asked again
    assert officer.step == "audience"
    await officer.press("booked")
    await officer.send(dmy(day))
    assert f"gửi tới 1 cuộc trò chuyện (người có lịch hẹn ngày {dmy(day)} tại điểm tiêm)" in officer.text, officer.text
    await officer.press("yes")
    assert "Đang gửi thông báo tới 1 cuộc trò chuyện" in officer.text
    other = await staff_member(app, staff.SITE_STAFF, "HCM-SG-01", phone="0901000009", chat_id="other", channel=WEB)
    await other.send("/thongbao Ngày mai điểm tiêm bắt đầu từ 7 giờ 30.")
    await other.press("booked")
    await other.send(dmy(day))
    assert "0 cuộc trò chuyện" in other.text, other.text  # another site's people are not theirs
