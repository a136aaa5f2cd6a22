"""The chat page in a real headless Chromium (Debian's), on a phone-sized screen."""

from __future__ import annotations

import os
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect
from sqlalchemy import Connection

from bot.app import App
from bot.engine.storage import conversations
from bot.services.registration import sites
from bot.services.values.dates import dmy, today
from tests.factories import waiting_people
from tests.helpers import PASSWORD, Chat, read_sms, signup
from tests.scripts import details, history, registration_bodies

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture
def page_url(web_base_url: str) -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return web_base_url + "/"


async def test_create_an_account_through_the_page(page_url: str, sqlite_app: App, tmp_path: Path) -> None:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        await page.goto(page_url)
        await page.get_by_role("button", name="Đăng ký tài khoản").click()
        await expect(page.locator(".bot").last).to_contain_text("Họ và tên của Anh/Chị")
        box = page.locator("#input")
        await box.fill("Đặng Thu Thảo")
        await box.press("Enter")
        await expect(page.locator(".bot").last).to_contain_text("Số điện thoại di động")
        await box.fill("0912345678")
        await box.press("Enter")
        await expect(page.locator(".bot").last).to_contain_text("mã xác nhận 6 chữ số")
        await expect(box).to_have_attribute("inputmode", "numeric")
        await box.fill(await read_sms(sqlite_app.engine, "0912345678"))  # read on the phone
        await box.press("Enter")
        await expect(page.locator(".bot").last).to_contain_text("đặt mật khẩu")
        await expect(box).to_have_attribute("type", "password")
        await box.fill(PASSWORD)
        await box.press("Enter")
        await expect(page.locator(".bot").last).to_contain_text("nhập lại mật khẩu")
        await box.fill(PASSWORD)
        await box.press("Enter")
        await expect(page.locator(".bot").last).to_contain_text("Xin chào Đặng Thu Thảo")
        await expect(page.get_by_role("button", name="Đăng ký tiêm chủng")).to_be_visible()
        await expect(box).to_have_attribute("type", "text")
        assert PASSWORD not in await page.locator("#log").inner_text()
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # nothing overflows a phone screen
        await page.screenshot(path=str(tmp_path / "webchat.png"))
        await browser.close()


async def test_a_pushed_qr_shows_and_the_menu_stays_usable(page_url: str, sqlite_app: App) -> None:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        await page.goto(page_url + "?chat=pagepush0001")  # a chat id in the link has no effect
        await page.get_by_role("button", name="Đăng ký tài khoản").click()
        box = page.locator("#input")
        for text in ("Đặng Thu Thảo", "0912345678"):
            await box.fill(text)
            await box.press("Enter")
        await expect(page.locator(".bot").last).to_contain_text("mã xác nhận 6 chữ số")
        # Typed without waiting for the answers, as a fast typist does: nothing is dropped, the order is kept.
        for text in (await read_sms(sqlite_app.engine, "0912345678"), PASSWORD, PASSWORD):
            await box.fill(text)
            await box.press("Enter")
        await expect(page.get_by_role("button", name="Mã QR của tôi")).to_be_visible(timeout=15_000)
        # A push arrives (as after a registration or a dose): the page picks it up by polling.
        chat_id = await page.evaluate("document.body.dataset.chat")
        assert chat_id and chat_id != "pagepush0001"
        await sqlite_app.store.run(lambda conn: conversations.append_messages(
            conn, f"web:{chat_id}", [{"id": None, "text": "Mã QR mới", "choices": [], "image_url": None,
                                        "secret_prompt": False, "request_contact": False}]))
        await expect(page.locator(".bot").last).to_contain_text("Mã QR mới", timeout=10_000)
        await expect(page.get_by_role("button", name="Mã QR của tôi")).to_be_visible()
        await browser.close()


async def test_header_keypads_and_a_new_qr_fully_in_view(page_url: str, sqlite_app: App, tmp_path: Path) -> None:
    """At 390 px: the service's name and hotline in the header, the number keypad on phone and ID questions,
    and a QR pushed after the registration scrolled fully into view."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = await browser.new_context(viewport={"width": 390, "height": 844})
        page = await context.new_page()
        await page.goto(page_url)
        await expect(page.locator("header")).to_contain_text("Đường dây nóng: 1900 9095")
        await page.get_by_role("button", name="Đăng ký tài khoản").click()
        box = page.locator("#input")
        await box.fill("Đặng Thu Thảo")
        await box.press("Enter")
        await expect(page.locator(".bot").last).to_contain_text("Số điện thoại di động")
        await expect(box).to_have_attribute("inputmode", "tel")
        await box.fill("0912345678")
        await box.press("Enter")
        await expect(page.locator(".bot").last).to_contain_text("mã xác nhận 6 chữ số")
        await expect(box).to_have_attribute("autocomplete", "one-time-code")  # the phone offers the SMS's code
        heights = await page.evaluate("() => [...document.querySelectorAll('.choices button, #send')]"
                                      ".map(b => b.getBoundingClientRect().height)")
        assert heights and min(heights) >= 44, heights  # a finger's size
        await box.fill(await read_sms(sqlite_app.engine, "0912345678"))
        await box.press("Enter")
        await expect(box).to_have_attribute("autocomplete", "new-password")  # a password manager offers one
        for text in (PASSWORD, PASSWORD):
            await box.fill(text)
            await box.press("Enter")
        await page.get_by_role("button", name="Đăng ký tiêm chủng").click()
        await page.get_by_role("button", name="Đặng Thu Thảo").click()
        await expect(page.locator(".bot").last).to_contain_text("Số CCCD hoặc mã định danh cá nhân")
        await expect(box).to_have_attribute("inputmode", "numeric")
        # The rest of the form through the same chat's API; the page follows by polling.
        script = details(full_name="Đặng Thu Thảo", id_number="001190123456")
        bodies = registration_bodies({k: v for k, v in script.items() if k != "full_name"}, history(female=True))
        api = page_url + "api/chats/" + await page.evaluate("document.body.dataset.chat") + "/messages"
        for body in [*bodies, {"button": "ok"}, {"button": "tick"}, {"button": "confirm"}]:
            response = await page.request.post(api, data=body)
            assert response.ok, await response.text()
        assert "ĐĂNG KÝ THÀNH CÔNG" in str(await response.json())
        await sqlite_app.pusher.run_once()  # the QR push, as the service's pusher sends it
        qr = page.locator(".bot img").last
        await expect(qr).to_be_visible(timeout=15_000)
        await page.wait_for_function(
            "() => { const img = [...document.querySelectorAll('.bot img')].pop();"
            " if (!img || !img.complete || !img.naturalWidth) return false;"
            " const r = img.getBoundingClientRect(), log = document.getElementById('log').getBoundingClientRect();"
            " return r.top >= log.top && r.bottom <= log.bottom; }",
            timeout=10_000,
        )
        await page.screenshot(path=os.environ.get("SSKDT_SCREENSHOT", str(tmp_path / "qr-in-view.png")))

        # A reload: the whole exchange again, the person's own messages too (a password only as hidden), and the
        # view at the last message once the pictures have their size.
        await page.reload()
        await expect(page.locator(".bot img").last).to_be_visible()
        mine = page.locator(".me")
        await expect(mine.filter(has_text="Đặng Thu Thảo").first).to_be_visible()
        await expect(mine.filter(has_text="đã ẩn")).to_have_count(2)
        assert PASSWORD not in await page.locator("#log").inner_text()
        await page.wait_for_function(
            "() => [...document.querySelectorAll('.bot img')].every(i => i.complete && i.naturalWidth) && (() => {"
            " const log = document.getElementById('log');"
            " return log.scrollTop + log.clientHeight >= log.scrollHeight - 48; })()", timeout=10_000)
        await page.screenshot(path=str(tmp_path / "after-reload.png"))

        # A second tab of the same session, then a log-out in the first: the first tab's screen is emptied of
        # the QR and the name; the second says its session ended and starts again on a tap.
        other = await page.context.new_page()  # the same browser: the same cookie
        await other.goto(page_url)
        await expect(other.locator(".bot img").last).to_be_visible()
        await page.get_by_role("button", name="Đăng xuất").last.click()
        await expect(page.locator(".bot").last).to_contain_text("Đăng ký tài khoản")
        await expect(page.locator(".bot img")).to_have_count(0)
        assert "Đặng Thu Thảo" not in await page.locator("#log").inner_text()
        await page.screenshot(path=str(tmp_path / "after-logout.png"))
        await expect(other.locator(".bot").last).to_contain_text("Phiên trò chuyện này đã kết thúc",
                                                                 timeout=10_000)
        await other.get_by_role("button", name="Bắt đầu lại").click()
        await expect(other.locator(".bot img")).to_have_count(0)
        await expect(other.get_by_role("button", name="Đăng nhập")).to_be_visible()
        await browser.close()


async def test_an_english_first_message_turns_the_page_english(page_url: str, tmp_path: Path) -> None:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        await page.goto(page_url)
        await expect(page.locator("#send")).to_have_text("Gửi")
        box = page.locator("#input")
        await box.fill("Hello, I want to register for vaccination")
        await box.press("Enter")
        await expect(page.locator(".bot").last).to_contain_text("language", ignore_case=True)
        await expect(page.locator("#send")).to_have_text("Send")
        await expect(box).to_have_attribute("placeholder", "Type a message…")
        await expect(page.locator("header")).to_contain_text("Hotline")
        await expect(page.locator("#privacy")).to_have_text("Privacy")
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        await page.screenshot(path=str(tmp_path / "english.png"))
        await browser.close()


async def test_a_site_officer_sends_a_file_from_the_page_and_downloads_the_report(page_url: str, sqlite_app: App,
                                                                                   tmp_path: Path) -> None:
    """The 📎 button: a site's CSV goes up as a document, the import's report comes back as a download link."""
    from bot.services.access import staff

    officer = Chat(sqlite_app.engine, "officer-page", channel="web")
    await signup(officer, name="Phạm Bến Thành", phone="0901000003")
    await sqlite_app.store.run(lambda conn: staff.add(conn, phone="+84901000003", role=staff.SITE_STAFF,
                                                      site_code="HCM-BT-01"))
    records = tmp_path / "ho-so.csv"
    records.write_text("Họ và tên,Ngày sinh,Số CCCD,Vắc xin,Số lô,Ngày tiêm\n"
                       "Lê Văn Mới,02/02/1992,001092000333,Pfizer,P1,01/08/2021\n"
                       "Sai Ngày,02/02/1992,001092000444,Pfizer,P1,32/08/2021\n", encoding="utf-8")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page(viewport={"width": 390, "height": 844}, accept_downloads=True)
        await page.goto(page_url)
        await page.get_by_role("button", name="Đăng nhập").click()
        box = page.locator("#input")
        for text in ("0901000003", PASSWORD, "/nhap"):
            await box.fill(text)
            await box.press("Enter")
        await expect(page.locator(".bot").last).to_contain_text("gửi tệp CSV hoặc Excel")
        await page.locator("#attach").set_input_files(str(records))
        link = page.locator("a.document").last
        await expect(link).to_contain_text(".csv", timeout=10_000)
        await expect(page.locator(".bot").filter(has=link)).to_contain_text("1 dòng bị loại")
        async with page.expect_download() as download_info:
            await link.click()
        download = await download_info.value
        saved = tmp_path / "report.csv"
        await download.save_as(saved)
        assert "ngày tiêm không hợp lệ (32/08/2021)" in saved.read_text(encoding="utf-8-sig")
        await browser.close()


async def test_a_plan_of_forty_reads_at_390_px_without_sideways_scrolling(page_url: str, sqlite_app: App,
                                                                          tmp_path: Path) -> None:
    """A commune's plan on a phone: every line wraps inside the bubble, the people set apart for the doctor are
    in it, and "Có" / "Không" are on screen after it."""
    from bot.services.access import staff

    officer = Chat(sqlite_app.engine, "officer-plan", channel="web")
    await signup(officer, name="Phạm Bến Thành", phone="0901000003")
    day = today() + timedelta(days=2)
    surnames = ("Nguyễn Thị", "Trần Văn", "Lê Hoàng", "Phạm Ngọc", "Huỳnh Thị", "Võ Minh", "Đặng Quốc", "Bùi Thu")
    given = ("Hạnh", "Phúc", "Bảo Ngọc", "Tuấn", "Thanh Tâm", "Hùng", "Mai Anh", "Dũng")

    def seed(conn: Connection) -> None:
        staff.add(conn, phone="+84901000003", role=staff.SITE_STAFF, site_code="HCM-BT-01")
        waiting_people(conn, [
            {"name": f"{surnames[n % 8]} {given[(n * 3) % 8]}", "group": (1, 9, 16, 12, 8)[n % 5],
             "born": date(1945 + (n * 7) % 50, 1 + n % 12, 1), "preferred": day if n % 3 else day + timedelta(days=1),
             "screening": {"q2": "yes"} if n % 13 == 4 else {}} for n in range(46)],
            site_id=sites.by_code(conn, "HCM-BT-01").id)  # type: ignore[union-attr]
    await sqlite_app.store.run(seed)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        await page.goto(page_url)
        await page.get_by_role("button", name="Đăng nhập").click()
        box = page.locator("#input")
        for text in ("0901000003", PASSWORD, f"/phanbo {dmy(day)} 40 sáng"):
            await box.fill(text)
            await box.press("Enter")
        plan = page.locator(".bot").filter(has_text="Phân bổ 40 suất")
        await expect(plan).to_contain_text("Cần bác sĩ khám kỹ: 3 người")
        sideways = await page.evaluate("() => [...document.querySelectorAll('.bot, #log')]"
                                       ".filter(e => e.scrollWidth > e.clientWidth + 1).length")
        assert sideways == 0
        await expect(page.get_by_role("button", name="Có")).to_be_visible()
        await page.screenshot(path=os.environ.get("SSKDT_SCREENSHOT", str(tmp_path / "plan-390.png")), full_page=True)
        await browser.close()
