"""A site's dose records, imported from CSV or XLSX and matched to registered people (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import unicodedata
from datetime import date, datetime, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from bot.app import App
from bot.services.access import audit
from bot.services.certificates import credentials
from bot.services.vaccination import site_records
from bot.services.values.dates import today
from models.tables import Dose, Outbox, Person, SiteRecord, table
from tests.factories import logged_in
from tests.helpers import Chat, answer_form, send_form
from tests.scripts import details, history

HEADER = ["Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Số điện thoại", "Vắc xin", "Số lô", "Ngày tiêm",
          "Mũi số"]
D1 = today() - timedelta(days=120)
D2 = today() - timedelta(days=30)


def _dmy(day: date) -> str:
    return day.strftime("%d/%m/%Y")


async def _register(app: App, chat_id: str, phone: str, **changes: str) -> None:
    chat = Chat(app.engine, chat_id)
    await logged_in(chat, name=str(changes.get("full_name", "Nguyễn Văn An")), phone=phone)
    await chat.press("register_self")
    await answer_form(chat, {**details(**changes), **history()})
    await send_form(chat)
    assert "ĐĂNG KÝ THÀNH CÔNG" in chat.text, chat.text


def _csv(rows: list[list[str]]) -> bytes:
    lines = [",".join(HEADER)] + [",".join(row) for row in rows]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


async def _import(app: App, data: bytes, name: str = "site.csv") -> site_records.Report:
    key = app.engine.services.signing_key
    return await app.store.run(lambda conn: site_records.import_rows(
        conn, key, site_records.parse_table(site_records.read_table(data, name)), file_name=name, site_id=1))


async def _level(app: App, id_number: str) -> str:
    def read(conn: object) -> str:
        person = table(Person)
        person_id = conn.execute(select(person.c.id).where(person.c.id_number == id_number)).scalar_one()  # type: ignore[attr-defined]
        issued = credentials.current(conn, person_id)  # type: ignore[arg-type]
        assert issued is not None
        return issued.level

    return await app.store.run(read)


async def test_rows_match_by_id_or_by_name_birth_and_phone_and_are_never_merged_on_a_guess(app: App) -> None:
    await _register(app, "an", "0912345678")  # Nguyễn Văn An, 001090123456, 01/07/1990
    await _register(app, "binh", "0912345679", full_name="Trần Văn Bình", id_type="001091234567",
                    birth_date="05/05/1991")
    for n, phone in ((1, "0912345680"), (2, "0912345681")):  # two accounts, each registering the same "Cúc"
        await _register(app, f"cuc{n}", phone, full_name="Lê Thị Cúc", id_type=f"00118500000{n}",
                        birth_date="09/09/1985")
    await app.store.run(lambda conn: conn.execute(table(Person).update()
                                                  .where(table(Person).c.full_name == "Lê Thị Cúc")
                                                  .values(phone="+84912999999")))
    report = await _import(app, _csv([
        ["Nguyễn Văn An", "01/07/1990", "Nam", "001090123456", "", "AstraZeneca", "AZ1", _dmy(D1), "1"],
        ["TRAN VAN BINH", "05/05/1991", "nam", "", "0912 345 679", "astra", "AZ2", _dmy(D1), "1"],
        ["Le Thi Cuc", "09/09/1985", "Nữ", "", "0912999999", "Pfizer", "PF1", _dmy(D1), "1"],
        ["Phạm Văn Dũng", "02/02/1980", "Nam", "001080999888", "0933333333", "Moderna", "MD1", _dmy(D1), "1"],
        ["Hồ Văn Em", "31/02/1980", "Nam", "001080999777", "", "Moderna", "MD1", _dmy(D1), "1"],
        ["Hồ Văn Em", "01/02/1980", "Nam", "001080999777", "", "Sputnik Z", "SZ", _dmy(D1), "1"],
        ["Hồ Văn Em", "01/02/2030", "Nam", "001080999777", "", "Moderna", "MD1", "01/02/2020", "1"],
        ["", "", "", "", "", "", "", "", ""],
        ["Nguyễn Văn An", "01/07/1990", "Nam", "001090123456", "", "AstraZeneca", "AZ1", _dmy(D1), "1"],
    ]))
    assert report.counts() == {"rows": 8, "matched": 2, "duplicates": 1, "unmatched": 1, "ambiguous": 1,
                               "rejected": 3, "people": 2}
    reasons = {p.number: p.reason for p in report.problems}
    assert reasons == {4: "import.reason_several_name", 6: "import.reason_bad_birth_date",
                       7: "import.reason_unknown_vaccine", 8: "import.reason_before_birth"}
    assert await _level(app, "001090123456") == "partial"  # amber by the import alone
    assert await _level(app, "001091234567") == "partial"
    assert await _level(app, "001185000001") == "none"  # ambiguous: nobody's QR changed
    lines = site_records.problem_lines("vi", report)
    assert "Dòng 7: bị loại – không rõ loại vắc xin \"Sputnik Z\"" in lines
    assert "Dòng 4: khớp nhiều người – họ tên, ngày sinh và số điện thoại khớp nhiều người" in lines
    report_file = site_records.report_csv("vi", report).decode("utf-8-sig")
    assert report_file.splitlines()[0] == "Dòng,Kết quả,Lý do" and "ngày sinh không hợp lệ (31/02/1980)" in report_file

    def kept(conn: object) -> list[tuple[str, str]]:
        record = table(SiteRecord)
        return [(r.full_name, r.state) for r in conn.execute(select(record).order_by(record.c.row_number))]  # type: ignore[attr-defined]

    assert await app.store.run(kept) == [("Le Thi Cuc", "ambiguous"), ("Phạm Văn Dũng", "unmatched")]
    pushes = await app.store.run(lambda conn: conn.execute(
        select(table(Outbox).c.chat_id).where(table(Outbox).c.kind == "dose_qr")).scalars().all())
    assert sorted(pushes) == ["an", "binh"]  # each matched person's chats get the new QR, once
    entries = await app.store.run(lambda conn: audit.entries(conn))
    assert [e.action for e in entries if e.action in ("import", "dose")].count("import") == 1

    # The unmatched row's person registers later: the dose is theirs at once, the first QR already amber.
    await _register(app, "dung", "0933333333", full_name="Phạm Văn Dũng", id_type="001080999888",
                    birth_date="02/02/1980")
    assert await _level(app, "001080999888") == "partial"
    assert await app.store.run(kept) == [("Le Thi Cuc", "ambiguous")]


async def test_a_qr_turns_amber_then_green_by_imports_alone_from_xlsx(app: App) -> None:
    await _register(app, "an", "0912345678")
    for given_on, number in ((D1, 1), (D2, 2)):
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(HEADER)
        sheet.append(["Nguyễn Văn An", datetime(1990, 7, 1), "Nam", "001090123456", "0912345678", "Vaxzevria",
                      "AZ9", datetime.combine(given_on, datetime.min.time()), number])
        data = io.BytesIO()
        book.save(data)
        report = await _import(app, data.getvalue(), "export.xlsx")
        assert (report.matched, report.rejected) == (1, 0)
        assert await _level(app, "001090123456") == ("partial" if number == 1 else "complete")


async def test_a_file_that_is_not_a_dose_table_is_refused_with_what_is_missing(app: App) -> None:
    with pytest.raises(site_records.BadFile) as missing:
        await _import(app, "Tên,Địa chỉ\r\nA,B\r\n".encode())
    assert missing.value.key == "import.missing_columns"
    assert "birth_date" in missing.value.params["columns"]
    with pytest.raises(site_records.BadFile):
        await _import(app, b"PK\x03\x04 not really a workbook", "x.xlsx")


async def test_an_id_that_fits_someone_born_another_day_is_not_merged(app: App) -> None:
    await _register(app, "an", "0912345678")  # Nguyễn Văn An, 001090123456, 01/07/1990
    report = await _import(app, _csv([
        ["Nguyễn Văn An", "01/07/1991", "Nam", "001090123456", "", "Pfizer", "P1", _dmy(D1), "1"]]))
    assert (report.matched, report.ambiguous) == (0, 1)
    assert [p.reason for p in report.problems] == ["import.reason_birth_differs"]
    assert await _level(app, "001090123456") == "none"


def test_headers_in_vietnamese_english_and_without_diacritics() -> None:
    for header in (HEADER, ["full_name", "dob", "sex", "id_number", "phone", "vaccine", "lot", "date", "dose"],
                   ["HO TEN", "NGAY SINH", "GIOI TINH", "CCCD/CMND", "SDT", "LOAI VAC XIN", "SO LO", "NGAY TIEM",
                    "MUI THU"]):
        assert site_records.columns(header) == {name: n for n, name in enumerate(
            ["full_name", "birth_date", "sex", "id_number", "phone", "vaccine", "lot", "given_on", "dose_number"])}


def _cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: a letter with its vowel mark, the tone as a combining mark."""
    out = b""
    for char in text:
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = list(unicodedata.normalize("NFD", char))
        for keep in range(len(marks), -1, -1):
            try:
                out += (unicodedata.normalize("NFC", base + "".join(marks[:keep])) + "".join(marks[keep:])).encode(
                    "cp1258")
                break
            except UnicodeEncodeError:
                continue
    return out


def test_semicolon_csv_from_excel_in_windows_1258() -> None:
    text = ";".join(HEADER) + "\r\n" + ";".join(["Nguyễn Văn Ân", "01/07/1990", "Nam", "001090123456", "",
                                                   "AZ", "A1", "01/01/2022", "1"]) + "\r\n"
    rows = list(site_records.read_table(_cp1258(text), "x.csv"))
    assert site_records.columns(rows[0])["vaccine"] == 5
    parsed = site_records.parse_row(2, rows[1], site_records.columns(rows[0]))
    assert isinstance(parsed, site_records.Row) and parsed.full_name == "Nguyễn Văn Ân"


async def test_a_district_sheet_with_a_title_serial_dates_vial_names_and_a_bad_phone(app: App) -> None:
    """As a district writes it: a title and a blank row above the header, "AZD1222" as the vial says, the dose
    date an Excel serial number, the birth year in two digits, a phone that is not one beside a good CCCD."""
    await _register(app, "an", "0912345678")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["DANH SÁCH TIÊM CHỦNG COVID-19 – TRẠM Y TẾ PHƯỜNG BẾN THÀNH"])
    sheet.append([])
    sheet.append(["STT", *HEADER])
    serial = (D1 - date(1899, 12, 30)).days
    sheet.append([1, "Nguyễn Văn An", "01/07/90", "Nam", "0010 9012 3456", "09123", "AZD1222", "AZ 1234", serial, 1])
    sheet.append([2, "Lê Thị Hoa", "02/02/1992", "Nữ", "", "09123", "BNT162b2", "FK1", _dmy(D2), 1])
    data = io.BytesIO()
    book.save(data)
    report = await _import(app, data.getvalue(), "huyen.xlsx")
    assert (report.rows, report.matched, report.rejected) == (2, 1, 1)
    said = {(p.number, p.outcome, p.reason) for p in report.problems}
    assert (1, "title", "import.reason_title_row") in said  # the title, skipped and said
    assert (4, "noted", "import.reason_bad_phone_kept") in said  # the dose recorded, the phone reported
    assert (5, "rejected", "import.reason_bad_phone") in said  # no ID: the phone was its only key
    assert await _level(app, "001090123456") == "partial"

    def dose(conn: object) -> tuple[str, str, date]:
        row = conn.execute(select(table(Dose).c.vaccine, table(Dose).c.lot, table(Dose).c.given_on)).one()  # type: ignore[attr-defined]
        return row.vaccine, row.lot, row.given_on
    assert await app.store.run(dose) == ("astrazeneca", "AZ 1234", D1)
