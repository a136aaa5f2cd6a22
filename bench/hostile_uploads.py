"""A citizen's log-in while two hostile spreadsheets are read (issue 24): the files are read in a process of
their own, bounded, so the log-in waits for its own hash only. Measured with the OWASP-minimum cost.

    PYTHONPATH=. .venv/bin/python bench/hostile_uploads.py

The file is a 5 KB XLSX whose dimension claims A1:XFD1048576 with a cell in that corner (10 s of CPU to read
before the bounds). Run it against an older tree (``PYTHONPATH=/tmp/before``) to compare.
"""

from __future__ import annotations

import asyncio
import io
import re
import time
import zipfile
from functools import partial
from typing import Any

from openpyxl import Workbook
from sqlalchemy import Connection

from bench.common import Citizen, make_app, save
from bot.services.access import staff
from bot.services.values.phones import parse_mobile

HEADER = ["Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Số điện thoại", "Vắc xin", "Số lô", "Ngày tiêm"]


def far_corner_sheet() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(["Nguyễn Văn An", "01/07/1990", "Nam", "001090123456", "", "AstraZeneca", "AZ1", "01/12/2026"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as to:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                body = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', body)
                body = body.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t>'
                                                     b"</is></c></row></sheetData>")
            to.writestr(info.filename, body)
    return out.getvalue()


def _make_staff(conn: Connection, *, phone: str) -> None:
    staff.add(conn, phone=parse_mobile(phone), role=staff.SITE_STAFF, site_code="HCM-BT-01")


async def main() -> dict[str, Any]:
    app, cleanup = make_app("sqlite", owasp_hash=True)
    pusher = asyncio.create_task(app.pusher.run())  # delivers the SMS codes
    try:
        owner, officers = Citizen(app, 0), [Citizen(app, 1), Citizen(app, 2)]
        await owner.sign_up("Nguyễn Văn Bình", "0900000000", "mật-khẩu-của-chủ-1")
        for officer in officers:
            phone = f"09010000{officer.number:02d}"
            await officer.sign_up("Phạm Bến Thành", phone, "mật-khẩu-cán-bộ-1")
            await app.store.run(partial(_make_staff, phone=phone))
            await officer.send(text="/nhap")
        await owner.at_password("0900000000")
        alone = time.perf_counter()
        await owner.send(text="mật-khẩu-của-chủ-1")
        alone = time.perf_counter() - alone
        await owner.at_password("0900000000")

        data = far_corner_sheet()
        started = time.perf_counter()
        files = [asyncio.create_task(o.send(document=data, document_name="ds.xlsx")) for o in officers]
        await asyncio.sleep(0.2)  # both files are being read
        login = time.perf_counter()
        replies = await owner.send(text="mật-khẩu-của-chủ-1")
        during = time.perf_counter() - login
        answers = await asyncio.gather(*files)
        files_s = time.perf_counter() - started
        assert any("Đăng nhập thành công" in r.text for r in replies), replies[0].text
    finally:
        pusher.cancel()
        cleanup()
    result: dict[str, Any] = {"login_alone_ms": round(alone * 1000, 1),
                              "login_during_two_files_ms": round(during * 1000, 1),
                              "two_files_answered_s": round(files_s, 2),
                              "file_answer": answers[0][-1].text.split("\n")[0][:120]}
    print(f"log-in alone {result['login_alone_ms']} ms; while two hostile files are read "
          f"{result['login_during_two_files_ms']} ms; the files answered after {result['two_files_answered_s']} s: "
          f"{result['file_answer']!r}")
    return result


if __name__ == "__main__":
    save("hostile_uploads", asyncio.run(main()))
