""""Dữ liệu của tôi": the privacy notice, downloading what is kept, deleting the account."""

from __future__ import annotations

import json
from datetime import timedelta

import aiohttp
from sqlalchemy import func, select

from bot.app import App
from bot.services.vaccination import doses
from bot.services.values.dates import today
from models.tables import Account, ChatMessage, Dose, Person, table
from tests.handlers.test_registration_path import register_self
from tests.helpers import PASSWORD, Chat, signup


async def test_sign_up_shows_the_privacy_notice_and_the_page_serves_it(chat: Chat, web_base_url: str) -> None:
    await chat.send("/start")
    await chat.press("signup")
    assert "chỉ dùng thông tin của Anh/Chị để tổ chức tiêm chủng" in chat.prompt and "/privacy" in chat.prompt
    async with aiohttp.ClientSession() as http:
        notice = await (await http.get(web_base_url + "/privacy")).text()
        page = await (await http.get(web_base_url + "/")).text()
    assert "Nghị định 13/2023" in notice and "Quyền của Anh/Chị" in notice and 'href="/privacy' in page


async def test_my_data_downloads_what_is_kept_as_a_readable_copy_and_the_json(chat: Chat, app: App) -> None:
    await signup(chat)
    code = await register_self(chat)
    await chat.press("my_data")
    await chat.press("export")
    assert "Tài khoản: Nguyễn Văn An, số điện thoại +84912345678" in chat.text
    assert "• Nguyễn Văn An (sinh 1990-07-01): 1 đăng ký, 0 mũi tiêm" in chat.text
    assert "{" not in chat.text  # no raw JSON poured into the chat
    readable, machine = [r for r in chat.last if r.document_key]
    files = app.engine.services.files
    assert files is not None
    owner = f"test:{chat.chat_id}"
    text, text_name, _ = files.get(readable.document_key or "", owner_prefix=owner) or (b"", "", "")
    body, json_name, _ = files.get(machine.document_key or "", owner_prefix=owner) or (b"", "", "")
    assert text_name.endswith(".txt") and json_name.endswith(".json")
    page = text.decode("utf-8")
    for heading in ("DỮ LIỆU CỦA ANH/CHỊ TRONG SỔ SỨC KHỎE ĐIỆN TỬ", "TÀI KHOẢN", "NGƯỜI ĐƯỢC ĐĂNG KÝ (1)",
                    f"Đăng ký mã {code}", "Mũi tiêm đã ghi nhận (0)"):
        assert heading in page, page
    for line in ("Quan hệ: Bản thân", "Ngày sinh: 01/07/1990", "Loại giấy tờ: CCCD / Mã định danh cá nhân",
                 "Xã/Phường: Phường Bến Thành", "Trạng thái: đã gửi, chờ xếp lịch", "Tiền sử: không có mục nào"):
        assert line in page, line
    assert "ward_code" not in page and "q1" not in page  # codes said in words
    data = json.loads(body)
    assert data["account"]["phone"] == "+84912345678"
    assert data["people"][0]["id_number"] == "001090123456"
    assert data["people"][0]["registrations"][0]["booking_code"] == code
    assert "password_hash" not in json.dumps(data) and "password" not in page.casefold()  # not even the hash


async def test_deleting_the_account_keeps_only_dose_records(chat: Chat, app: App) -> None:
    await signup(chat)
    code = await register_self(chat)
    key = app.engine.services.signing_key
    await app.store.run(lambda conn: doses.record(conn, key, booking_code=code, vaccine="pfizer", lot="L1",
                                                  given_on=today() - timedelta(days=1)))
    await chat.press("my_data")
    await chat.press("delete")
    assert "Không thể hoàn tác" in chat.prompt and "vẫn được lưu" in chat.prompt
    await chat.press("yes")
    assert "Hồ sơ mũi tiêm của 1 người vẫn được lưu" in chat.text
    assert chat.payloads()[0] == "signup"  # logged out
    with app.store.engine.connect() as conn:
        account = conn.execute(select(table(Account))).one()
        assert (account.name, account.password_hash) == ("", "!") and account.phone.startswith("deleted:")
        assert conn.execute(select(func.count()).select_from(table(Dose))).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(table(Person))).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(table(ChatMessage))).scalar_one() == 0
    await chat.press("login")
    await chat.send("0912345678")
    await chat.send(PASSWORD)
    assert "Số điện thoại hoặc mật khẩu không đúng" in chat.prompt  # the account is gone
    fresh = Chat(app.engine, "after-delete")
    await signup(fresh)  # the number may sign up again


async def test_deleting_an_account_without_doses_removes_its_people(chat: Chat, app: App) -> None:
    await signup(chat)
    await register_self(chat)
    await chat.press("my_data")
    await chat.press("delete")
    await chat.press("no")
    assert "Không xóa" in chat.text
    await chat.press("my_data")
    await chat.press("delete")
    await chat.press("yes")
    assert "Đã xóa tài khoản và dữ liệu của Anh/Chị." in chat.text
    with app.store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(table(Person))).scalar_one() == 0
