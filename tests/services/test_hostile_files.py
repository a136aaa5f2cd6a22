"""Files built to cost: each is answered with its reason, within bounded memory, in the chat and on the command
line's reader alike; pictures too large to decode are refused before they are decoded."""

from __future__ import annotations

import io
import re
import struct
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from bot.app import App
from bot.services.access import staff
from bot.services.blobs import uploads
from bot.services.certificates.qr_reader import PictureTooLarge, read_codes
from bot.services.vaccination import site_records
from bot.services.values.dates import today
from models.tables import Person, table
from tests.factories import registered, staff_member
from tests.helpers import Chat

HEADER = "Họ và tên,Ngày sinh,Giới tính,Số CCCD,Số điện thoại,Vắc xin,Số lô,Ngày tiêm,Mũi số"
GIVEN = (today() - timedelta(days=3)).strftime("%d/%m/%Y")
ROW = f"Nguyễn Văn An,01/07/1990,Nam,001090123456,,AstraZeneca,AZ1,{GIVEN},1"


def _xlsx(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _repacked(data: bytes, change: Callable[[str, bytes], bytes], extra: dict[str, bytes] | None = None) -> bytes:
    """The same workbook with some of its parts rewritten (and others added)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info.filename)))
        for name, body in (extra or {}).items():
            target.writestr(name, body)
    return out.getvalue()


def shared_string_bomb() -> bytes:
    """394 KB that unpacks to 400 MB in the issue; here ~80 KB to 80 MB: the header's first cell is a shared
    string of 80 million letters."""
    base = _xlsx([HEADER.split(","), ROW.split(",")])
    huge = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">' \
           b"<si><t>" + b"A" * (80 * 1024 * 1024) + b"</t></si></sst>"

    def change(name: str, body: bytes) -> bytes:
        if name == "xl/worksheets/sheet1.xml":
            return re.sub(rb'<c r="A1" t="inlineStr"><is><t>[^<]*</t></is></c>', b'<c r="A1" t="s"><v>0</v></c>', body)
        if name == "[Content_Types].xml":
            return body.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
        if name == "xl/_rels/workbook.xml.rels":
            return body.replace(b"</Relationships>", b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.'
                                b'org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                                b"</Relationships>")
        return body

    return _repacked(base, change, {"xl/sharedStrings.xml": huge})


def claimed_dimension() -> bytes:
    """A 5 KB sheet whose dimension claims A1:XFD1048576, with one cell in that far corner (21 s of CPU in the
    issue): read as the rows it holds, up to the chat's limit, never as 16,384 columns."""
    base = _xlsx([HEADER.split(","), ROW.split(",")])

    def change(name: str, body: bytes) -> bytes:
        if not name.startswith("xl/worksheets/"):
            return body
        body = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', body)
        return body.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is>'
                                             b"</c></row></sheetData>")

    return _repacked(base, change)


def long_csv_field() -> bytes:
    return (HEADER + "\r\n" + '"' + "x" * 140_000 + '",01/07/1990,Nam,001090123456,,AZ,L,' + GIVEN + ",1").encode()


def nul_in_a_cell() -> bytes:
    return (HEADER + "\r\n" + ROW.replace("AZ1", "AZ\x001")).encode()


def too_large() -> bytes:
    return (HEADER + "\r\n").encode() + b"x" * (21 * 1024 * 1024)


def not_a_zip() -> bytes:
    return b"PK\x03\x04" + b"\x00" * 100


BAD_FILES = [
    # (the file, its name, the reason it is answered with (None: read), how many rows are read)
    (shared_string_bomb, "bomb.xlsx", "import.unpacks_too_large", 0),
    (claimed_dimension, "dimension.xlsx", "import.too_many_rows", 0),
    (long_csv_field, "long.csv", "import.bad_csv", 0),
    (nul_in_a_cell, "nul.csv", None, 1),
    (too_large, "large.csv", "import.file_too_large", 0),
    (not_a_zip, "damaged.xlsx", "import.not_a_table", 0),
]


@pytest.mark.parametrize(("make", "name", "reason", "rows"), BAD_FILES, ids=[b[1] for b in BAD_FILES])
def test_a_hostile_file_is_answered_with_its_reason_in_bounded_memory(
        make: Callable[[], bytes], name: str, reason: str | None, rows: int) -> None:
    data = make()
    tracemalloc.start()
    try:
        parsed = site_records.parse_file(data, name, 20_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    if reason is None:
        assert not isinstance(parsed, site_records.BadFile), parsed.key
        assert len(parsed) == rows
    else:
        assert isinstance(parsed, site_records.BadFile) and parsed.key == reason
    assert peak < 16 * 1024 * 1024, f"{name}: {peak / 1e6:.1f} MB allocated while reading"


@pytest.mark.parametrize(("make", "name", "reason", "rows"), BAD_FILES, ids=[b[1] for b in BAD_FILES])
async def test_in_the_chat_each_bad_file_gets_its_reason_and_nothing_breaks(
        app: App, make: Callable[[], bytes], name: str, reason: str | None, rows: int) -> None:
    citizen = Chat(app.engine, "citizen-hostile")
    await registered(citizen)
    officer = await staff_member(app, staff.SITE_STAFF, "HCM-BT-01", phone="0901000003", name="Phạm Bến Thành",
                                      chat_id="officer-hostile")
    await officer.send("/nhap")
    await officer.send(document=make(), document_name=name)
    assert "sự cố" not in officer.text
    if reason is None:
        assert f"Đã đọc {rows} dòng" in officer.text, officer.text
    else:
        assert officer.step == "file" and "Đã đọc" not in officer.text, officer.text  # asked again, with why
        assert {"import.unpacks_too_large": "giải nén", "import.bad_csv": "quá dài", "import.file_too_large": "lớn hơn",
                "import.not_a_table": "Không đọc được tệp", "import.too_many_rows": "quá 20000 dòng"}[reason] \
            in officer.text
    with app.store.engine.connect() as conn:  # no NUL reached the database, and the person is whole
        assert conn.execute(select(table(Person).c.full_name)).scalar_one() == "Nguyễn Văn An"


def huge_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A PNG whose header says 20000×20000 (400 million pixels): a few bytes, never decoded."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + \
        chunk(b"IEND", b"")


def test_a_picture_with_too_many_pixels_is_refused_before_it_is_decoded() -> None:
    tracemalloc.start()
    try:
        with pytest.raises(PictureTooLarge):
            read_codes(huge_png())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024


async def test_verifying_a_huge_picture_says_why(app: App) -> None:
    checker = await staff_member(app, staff.CHECKER, None, phone="0901000001", name="Lê Kiểm Tra",
                                      chat_id="checker-hostile")
    await checker.send("/xacminh")
    await checker.send(photo=huge_png())
    assert "Ảnh quá lớn" in checker.text and "sự cố" not in checker.text
    assert checker.step == "qr"


def test_the_command_line_reads_a_province_sized_sheet_that_a_chat_refuses() -> None:
    big = (HEADER + "\r\n").encode() + (ROW + "\r\n").encode() * 300_000  # 24 MB of good rows
    with pytest.raises(site_records.BadFile) as refused:  # the chat's bounds
        site_records.read_table(big, "big.csv")
    assert refused.value.key == "import.file_too_large"
    rows = site_records.parse_table(site_records.read_table(big, "big.csv", uploads.SERVER))
    first = [next(rows) for _ in range(3)]  # read, row by row
    assert [r.full_name for r in first if isinstance(r, site_records.Row)] == ["Nguyễn Văn An"] * 3
