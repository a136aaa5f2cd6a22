"""Files in the staff chat: a site's records imported (/nhap), the list exported as XLSX (/xuat), figures and a
chart (/thongke); files both ways on the web chat and Telegram, and a link on Zalo."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import aiohttp
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select, update

from bot.app import App
from bot.channels.webchat.transcript import CHANNEL as WEB
from bot.services.access import audit, staff
from bot.services.certificates import credentials
from bot.services.values.dates import today
from models.tables import Dose, Person, Registration, table
from tests.factories import logged_in, staff_member
from tests.helpers import PASSWORD, Chat, answer_form, send_form
from tests.scripts import Button, details, history

HEADER = "Họ và tên,Ngày sinh,Giới tính,Số CCCD,Số điện thoại,Vắc xin,Số lô,Ngày tiêm,Mũi số"


async def _registered(app: App) -> Chat:
    citizen = Chat(app.engine, "citizen-files", channel=WEB)
    await logged_in(citizen)
    await citizen.press("register_self")
    await answer_form(citizen, {**details(workplace="Sở Y tế TP. Hồ Chí Minh",
                                          priority_group=Button("group:1")), **history()})
    await send_form(citizen)
    return citizen


async def _officer(app: App, chat_id: str = "officer-files", phone: str = "0901000003") -> Chat:
    return await staff_member(app, staff.SITE_STAFF, phone=phone, chat_id=chat_id, channel=WEB)


def _file(app: App, key: str, owner: str) -> tuple[bytes, str]:
    files = app.engine.services.files
    assert files is not None
    found = files.get(key, owner_prefix=owner)
    assert found is not None
    return found[0], found[1]


async def test_import_export_and_statistics_in_the_chat(app: App) -> None:
    citizen = await _registered(app)
    officer = await _officer(app)
    given = (today() - timedelta(days=3)).strftime("%d/%m/%Y")
    csv = "\r\n".join([HEADER, f"Nguyễn Văn An,01/07/1990,Nam,001090123456,,AstraZeneca,AZ1,{given},1",
                       f"Lê Thị Hoa,02/02/1992,Nữ,001192000111,,Pfizer,PF1,{given},1",
                       "Trần Văn Sai,01/01/1980,Nam,001080000222,,Sputnik Z,X1,01/01/2021,1"]).encode()

    await officer.send("/nhap")
    assert "gửi tệp CSV hoặc Excel" in officer.text
    await officer.send("đây là tệp")
    assert "không phải tin nhắn chữ" in officer.text
    await officer.send(document=csv, document_name="tiem-chung.csv")
    assert "Đã đọc 3 dòng: 1 mũi được ghi nhận" in officer.text
    assert "Dòng 4: bị loại – không rõ loại vắc xin \"Sputnik Z\"" in officer.text
    [report] = [r for r in officer.last if r.document_key]
    data, name = _file(app, report.document_key or "", f"{WEB}:{officer.chat_id}")
    assert name.endswith(".csv") and "không rõ loại vắc xin" in data.decode("utf-8-sig")
    with app.store.engine.connect() as conn:
        issued = credentials.current(conn, 1)
    assert issued is not None and issued.level == "partial"  # the citizen's QR turned amber by the import
    assert await app.pusher.run_once() >= 1
    pushed = [m for _, m in await app.engine.messages_after(WEB, citizen.chat_id, 0) if m.get("image_url")]
    assert "ghi nhận mũi 1" in str(pushed[-1]["text"])

    await officer.send("/xuat")
    await officer.press("all")
    [export] = [r for r in officer.last if r.document_key]
    data, name = _file(app, export.document_key or "", f"{WEB}:{officer.chat_id}")
    assert name == "danh-sach-HCM-BT-01-tat-ca.xlsx"
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Mã đặt tiêm", "Họ và tên", "Ngày sinh"]
    row = [c.value for c in sheet[2]]
    assert row[1] == "Nguyễn Văn An" and row[2] == datetime(1990, 7, 1)  # a real date, not text
    assert sheet.cell(row=2, column=3).number_format == "DD/MM/YYYY"
    assert isinstance(row[0], str) and len(row[0]) == 16  # the booking code stays whole
    assert sheet.column_dimensions["B"].width >= 20 and sheet.freeze_panes == "A2"

    await app.store.run(lambda conn: conn.execute(update(table(Person)).values(workplace="Sở Y tế TP. Hồ Chí Minh")))
    await officer.send("/thongke")
    assert "Đăng ký: 1 · Mũi tiêm đã ghi nhận: 1" in officer.text
    assert "Sở Y tế TP. Hồ Chí Minh: 1" in officer.text and "AstraZeneca (Vaxzevria) – mũi 1: 1" in officer.text
    [chart] = [r for r in officer.last if r.image_key]
    png = app.engine.services.qr.media.get(chart.image_key or "")
    assert png is not None
    picture = Image.open(io.BytesIO(png))
    assert picture.format == "PNG" and picture.size == (1200, 900)

    entries = await app.store.run(lambda conn: audit.entries(conn))
    actions = [e.action for e in entries]
    assert {"import", "export", "stats"} <= set(actions)


async def test_files_over_the_web_api_only_to_their_own_session(sqlite_app: App, web_base_url: str) -> None:
    await _registered(sqlite_app)
    await _officer(sqlite_app, "officer-elsewhere", "0901000004")
    jar, other_jar = aiohttp.CookieJar(unsafe=True), aiohttp.CookieJar(unsafe=True)  # cookies of 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=jar) as http, aiohttp.ClientSession(cookie_jar=other_jar) as stranger:
        async with http.post(f"{web_base_url}/api/sessions") as r:
            chat_id = (await r.json())["chat_id"]
        api = f"{web_base_url}/api/chats/{chat_id}/messages"
        for body in ({"text": "/start"}, {"button": "login"}, {"text": "0901000004"}, {"text": PASSWORD},
                     {"text": "/nhap"}):
            async with http.post(api, json=body) as r:
                assert r.status == 200
        form = aiohttp.FormData()
        given = (today() - timedelta(days=2)).strftime("%d/%m/%Y")
        rows = [HEADER, f"Nguyễn Văn An,01/07/1990,Nam,001090123456,,Pfizer,P1,{given},1",
                "X,01/01/1980,Nam,,,Pfizer,P1,31/02/2021,1"]
        form.add_field("document", "\r\n".join(rows).encode(), filename="tiem.csv", content_type="text/csv")
        async with http.post(api, data=form) as r:
            [report] = [x for x in (await r.json())["replies"] if x["document_url"]]
        assert "Đã đọc 2 dòng: 1 mũi được ghi nhận" in report["text"]
        url, name = report["document_url"], report["document_name"]
        assert url.startswith("/api/files/") and name.endswith(".csv")
        async with http.get(web_base_url + url) as r:
            assert r.status == 200 and r.headers["Cache-Control"] == "no-store"
            assert "attachment" in r.headers["Content-Disposition"]
            assert "ngày tiêm không hợp lệ" in (await r.read()).decode("utf-8-sig")
        async with stranger.post(f"{web_base_url}/api/sessions") as r:
            assert r.status == 200
        async with stranger.get(web_base_url + url) as r:
            assert r.status == 404  # another session: as if it did not exist
        async with aiohttp.ClientSession() as nobody, nobody.get(web_base_url + url) as r:
            assert r.status == 404


async def test_the_dose_export_reads_back_as_the_same_doses(app: App) -> None:
    """/xuat "mui" → one row per dose given, with what a district's report asks for; sent back through /nhap it
    is the same doses (already recorded), nothing added; a day's list says who is booked and who only asked."""
    citizen = await _registered(app)
    officer = await _officer(app)
    await app.store.run(lambda conn: conn.execute(update(table(Person)).values(ethnicity="Kinh")))
    code = (await app.store.run(lambda conn: conn.execute(select(table(Registration).c.booking_code)).scalar_one()))
    await officer.send(f"/tiem {code} Pfizer FK 1234 {(today() - timedelta(days=2)).strftime('%d/%m/%Y')}")
    assert "lô FK 1234" in officer.text, officer.text  # a lot number with a space
    await citizen.send(button="react:report:1")
    await citizen.press("today")
    await citizen.send("1")
    await citizen.send("Sưng to bằng quả trứng")
    await citizen.press("mild")

    await officer.send("/xuat")
    await officer.press("doses")
    [export] = [r for r in officer.last if r.document_key]
    data, name = _file(app, export.document_key or "", f"{WEB}:{officer.chat_id}")
    assert name.startswith("mui-tiem-HCM-BT-01-") and "1 mũi tiêm" in officer.text
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert header == ["Số CCCD", "Họ và tên", "Ngày sinh", "Giới tính", "Dân tộc", "Số điện thoại", "Địa chỉ",
                      "Phường/xã", "Nhóm ưu tiên", "Vắc xin", "Số lô", "Mũi số", "Ngày tiêm", "Điểm tiêm",
                      "Phản ứng sau tiêm"]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert row["Số CCCD"] == "001090123456" and row["Dân tộc"] == "Kinh" and row["Vắc xin"] == "Pfizer"
    assert row["Số lô"] == "FK 1234" and row["Mũi số"] == 1 and row["Phường/xã"] == "Phường Bến Thành"
    assert row["Phản ứng sau tiêm"] == "Đau, sưng, đỏ chỗ tiêm; Nhẹ, vẫn sinh hoạt bình thường; Sưng to bằng quả trứng"

    await officer.send("/nhap")
    await officer.send(document=data, document_name=name)
    assert "Đã đọc 1 dòng: 0 mũi được ghi nhận" in officer.text and "1 mũi đã có từ trước" in officer.text
    doses = await app.store.run(lambda conn: conn.execute(select(table(Dose).c.id)).all())
    assert len(doses) == 1
