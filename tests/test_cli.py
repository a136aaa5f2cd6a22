"""The administrative commands: sites, staff and the audit log, as an operator runs them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.app import App, build
from tests.conftest import cheap_settings
from tests.helpers import Chat, signup

SITES_CSV = (
    "\ufeffcode,name,province_code,ward_code,address,daily_capacity\n"
    "BP-PN-01,Trạm Y tế xã Phú Nghĩa,75,25267,Thôn 3,150\n"
    "HCM-BT-01,Trạm Y tế phường Bến Thành (mới),79,26743,Số 2 Lê Lợi,300\n"
    "BAD-01,Nowhere,99,1,Somewhere,100\n"
    "BAD-02,Wrong ward,1,26743,Somewhere,100\n"
    ",No code,1,4,Somewhere,100\n"
)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path


async def _registered(data_dir: Path) -> Chat:
    """A citizen registered (the standard form) in the data directory's database, the app closed again."""
    from tests.helpers import answer_form, send_form
    from tests.scripts import details, history

    app: App = build(cheap_settings(data_dir))
    try:
        chat = Chat(app.engine, "cli-citizen")
        await signup(chat)
        await chat.press("register_self")
        await answer_form(chat, {**details(), **history()})
        await send_form(chat)
    finally:
        app.close()
    return chat


def _run(data_dir: Path, *args: str) -> int:
    return main([*args, "--data-dir", str(data_dir)])


def test_sites_import_with_a_bom_reports_bad_rows_and_lists(data_dir: Path, capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    path = data_dir / "sites.csv"
    path.write_text(SITES_CSV, encoding="utf-8")
    _run(data_dir, "demo-seed")
    assert _run(data_dir, "site", "import", str(path)) == 1  # bad rows: reported, the good ones kept
    out = capsys.readouterr().out
    assert "sites added: 1, updated: 1, bad rows: 3" in out
    assert "line 4: no province with code 99" in out and "line 5: ward 26743 is not in province 1" in out
    assert "line 6: missing code" in out
    assert _run(data_dir, "site", "list") == 0
    listed = capsys.readouterr().out
    assert "BP-PN-01     Trạm Y tế xã Phú Nghĩa" in listed and "Bến Thành (mới)" in listed


async def test_staff_add_list_remove_and_the_audit(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app: App = build(cheap_settings(data_dir))
    try:
        chat = Chat(app.engine, "cli-staff")
        await signup(chat, name="Phạm Bến Thành", phone="0901000003")
    finally:
        app.close()
    assert _run(data_dir, "staff", "add", "--phone", "0909999999", "--role", "staff", "--site", "HCM-BT-01") == 1
    assert "no account with this phone number" in capsys.readouterr().err
    assert _run(data_dir, "staff", "add", "--phone", "0901000003", "--role", "staff") == 1
    assert "give --site CODE" in capsys.readouterr().err
    assert _run(data_dir, "staff", "add", "--phone", "0901 000 003", "--role", "staff", "--site", "HCM-BT-01") == 0
    capsys.readouterr()
    assert _run(data_dir, "staff", "list") == 0
    assert "+84901000003   staff    HCM-BT-01    Phạm Bến Thành" in capsys.readouterr().out
    assert _run(data_dir, "audit", "--staff", "0901000003") == 0
    assert "0 entries" in capsys.readouterr().out
    assert _run(data_dir, "staff", "remove", "--phone", "0901000003") == 0
    capsys.readouterr()
    assert _run(data_dir, "staff", "list") == 0
    assert "+84901000003" not in capsys.readouterr().out


async def test_dose_import_with_a_progress_bar_then_export_the_site_list(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import load_workbook

    await _registered(data_dir)
    records = data_dir / "ho-so-tiem.csv"
    records.write_text("Họ và tên;Ngày sinh;Số CCCD;Vắc xin;Số lô;Ngày tiêm\n"
                       "Nguyễn Văn An;01/07/1990;001090123456;Pfizer;P1;01/08/2021\n"
                       "Lê Văn Mới;02/02/1992;001092000333;Pfizer;P1;01/08/2021\n"
                       "Sai Ngày;02/02/1992;001092000444;Pfizer;P1;32/08/2021\n", encoding="utf-8-sig")
    assert _run(data_dir, "dose", "import", str(records), "--site", "HCM-BT-01") == 0
    captured = capsys.readouterr()
    assert "Read 3 rows: 1 doses recorded for registered people" in captured.out
    assert "Row 4: rejected – invalid vaccination date (32/08/2021)" in captured.out
    assert "3/3" in captured.err or "3 rows" in captured.err  # the progress bar, on stderr
    report = data_dir / "ho-so-tiem.report.csv"
    assert "ngày tiêm không hợp lệ (32/08/2021)" in report.read_text(encoding="utf-8-sig")
    target = data_dir / "list.xlsx"
    assert _run(data_dir, "export", "--site", "HCM-BT-01", "-o", str(target)) == 0
    sheet = load_workbook(target).active
    assert sheet is not None and sheet.cell(row=2, column=2).value == "Nguyễn Văn An"
    assert "1 registrations written" in capsys.readouterr().out
    assert _run(data_dir, "audit") == 0
    audit_out = capsys.readouterr().out
    assert "import" in audit_out and "export" in audit_out


async def test_dose_list_edit_remove_from_the_command_line(data_dir: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    chat = await _registered(data_dir)
    code = re.search(r"Mã đặt tiêm: (\d{16})", chat.text)
    assert code
    assert _run(data_dir, "dose", "add", "--booking-code", code.group(1), "--vaccine", "Pfizer", "--lot", "P1",
                "--date", "01/08/2021") == 0
    capsys.readouterr()
    assert _run(data_dir, "dose", "list", "--person", "001 090 123 456") == 0
    listed = capsys.readouterr().out
    found = re.search(r"dose id (\d+): #1 pfizer lot P1 on 01/08/2021", listed)
    assert found, listed
    assert _run(data_dir, "dose", "edit", "--id", found.group(1), "--lot", "P2") == 0
    assert "corrected: 1 QR re-issued (partial)" in capsys.readouterr().out
    assert _run(data_dir, "dose", "remove", "--id", found.group(1)) == 1
    assert "Please type why the dose is removed" in capsys.readouterr().err
    assert _run(data_dir, "dose", "remove", "--id", found.group(1), "--reason", "recorded twice") == 0
    assert "corrected: 1 QR re-issued (none)" in capsys.readouterr().out
    assert _run(data_dir, "audit") == 0
    audit_out = capsys.readouterr().out
    assert "pfizer lot P1 on 2021-08-01 -> pfizer lot P2 on 2021-08-01" in audit_out
    assert "removed; reason: recorded twice" in audit_out


async def test_backup_then_restore_brings_the_data_back(data_dir: Path, tmp_path_factory: pytest.TempPathFactory,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from sqlalchemy import text

    app = build(cheap_settings(data_dir))
    try:
        await signup(Chat(app.engine, "b1"), "Lê Thị Hoa", "0912000111")
    finally:
        app.close()
    copy = tmp_path_factory.mktemp("backups") / "sskdt-backup.db"
    assert _run(data_dir, "backup", str(copy)) == 0
    assert "keys" in capsys.readouterr().out  # the keys are said to be kept apart
    assert copy.stat().st_mode & 0o077 == 0  # personal data: the owner's alone
    assert _run(data_dir, "backup", str(copy)) == 2  # a backup is never overwritten

    app = build(cheap_settings(data_dir))
    try:
        await app.store.run(lambda conn: conn.execute(text("UPDATE account SET name = 'Đã bị sửa nhầm'")))
    finally:
        app.close()
    assert _run(data_dir, "restore", str(copy)) == 2  # not without --force
    assert "--force" in capsys.readouterr().err
    assert _run(data_dir, "restore", str(copy), "--force") == 0

    app = build(cheap_settings(data_dir))
    try:
        names = await app.store.run(lambda conn: conn.execute(text("SELECT name FROM account")).scalars().all())
    finally:
        app.close()
    assert names == ["Lê Thị Hoa"]


def test_restore_refuses_a_file_that_is_no_backup(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = data_dir / "not-a-backup.db"
    junk.write_bytes(b"hello, this is not SQLite" * 100)
    assert _run(data_dir, "restore", str(junk), "--force") == 2
    assert "not a backup of this service" in capsys.readouterr().err


def test_backup_of_postgresql_says_how_with_pg_dump(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql://sskdt:secret-pw@db.example:5432/sskdt"
    assert _run(data_dir, "backup", str(data_dir / "x.dump"), "--database-url", url) == 2
    said = capsys.readouterr().err
    assert "pg_dump --format=custom" in said and "pg_restore" in said and "secret-pw" not in said


def test_a_district_site_list_with_vietnamese_headers_and_codes_in_any_case(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = data_dir / "diem-tiem.csv"
    path.write_text("Mã điểm tiêm;Tên điểm tiêm;Mã tỉnh;Mã phường/xã;Địa chỉ;Công suất/ngày\n"
                    "hcm-bt-01;Trạm Y tế phường Bến Thành (mới);79;26743;Số 2 Lê Lợi;300\n", encoding="utf-8-sig")
    _run(data_dir, "demo-seed")
    assert _run(data_dir, "site", "import", str(path)) == 0
    assert "sites added: 0, updated: 1, bad rows: 0" in capsys.readouterr().out  # "hcm-bt-01" is HCM-BT-01
    assert _run(data_dir, "site", "list") == 0
    assert "HCM-BT-01    Trạm Y tế phường Bến Thành (mới)  (province 79, ward 26743, 300/day)" in \
        capsys.readouterr().out
