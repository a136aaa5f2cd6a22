"""Vaccination sites: the ones in a ward first, else the province's; demo sites for a first start."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, select, update

from bot.services.reference import places
from bot.services.values.text import fold
from models.db import rows
from models.tables import Site, table

SITE = table(Site)


@dataclass(frozen=True, slots=True)
class SiteView:
    id: int
    code: str
    name: str
    address: str
    ward_code: int
    phone: str | None = None  # the site's number, for a citizen who needs it (a reaction after vaccination)


# Raw (models.db.rows), by what they select on: every registration offers its ward's and province's sites and
# shows the chosen one twice.
_BY = {column: f"SELECT id, code, name, address, ward_code, phone FROM site WHERE {column} = ? ORDER BY name"
       for column in ("ward_code", "province_code", "code", "id")}


def _views(conn: Connection, column: str, value: object) -> list[SiteView]:
    return [SiteView(*row) for row in rows(conn, _BY[column], value)]


def for_place(conn: Connection, province_code: int, ward_code: int, limit: int = 8) -> list[SiteView]:
    """Sites of the ward, then the rest of the province's, nearest administrative unit first."""
    in_ward = _views(conn, "ward_code", ward_code)
    rest = [s for s in _views(conn, "province_code", province_code) if s.ward_code != ward_code]
    return (in_ward + rest)[:limit]


def by_code(conn: Connection, code: str) -> SiteView | None:
    found = _views(conn, "code", code.strip().upper())
    return found[0] if found else None


def get(conn: Connection, site_id: int) -> SiteView | None:
    found = _views(conn, "id", site_id)
    return found[0] if found else None


# Demo data only: real sites come from the province's own list.
DEMO_SITES: tuple[tuple[str, str, int, int, str], ...] = (
    ("HN-BD-01", "Trạm Y tế phường Ba Đình", 1, 4, "Số 1 phố Đội Cấn, Ba Đình, Hà Nội"),
    ("HN-BD-02", "Bệnh viện Đa khoa Xanh Pôn (điểm tiêm)", 1, 4, "12 Chu Văn An, Ba Đình, Hà Nội"),
    ("HN-HK-01", "Trạm Y tế phường Hoàn Kiếm", 1, 70, "128 Hàng Trống, Hoàn Kiếm, Hà Nội"),
    ("HCM-BT-01", "Trạm Y tế phường Bến Thành", 79, 26743, "Số 2 Lê Lợi, Bến Thành, TP. Hồ Chí Minh"),
    ("HCM-SG-01", "Nhà Văn hóa Thanh niên (điểm tiêm)", 79, 26740, "4 Phạm Ngọc Thạch, Sài Gòn, TP. Hồ Chí Minh"),
    ("DN-HC-01", "Trung tâm Y tế Hải Châu", 48, 20242, "38 Cao Thắng, Hải Châu, Đà Nẵng"),
)


DEMO_PHONES = {"HN-BD-01": "024 3823 0001", "HN-BD-02": "024 3825 3531", "HN-HK-01": "024 3828 0002",
               "HCM-BT-01": "028 3822 0003", "HCM-SG-01": "028 3829 0004"}


def seed_demo(conn: Connection) -> int:
    """Insert the demo sites that are missing; return how many were added."""
    existing = set(conn.execute(select(SITE.c.code)).scalars())
    rows = [
        {"code": c, "name": n, "province_code": p, "ward_code": w, "address": a, "daily_capacity": 200,
         "phone": DEMO_PHONES.get(c)}
        for c, n, p, w, a in DEMO_SITES
        if c not in existing
    ]
    if rows:
        conn.execute(insert(SITE), rows)
    return len(rows)


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(SITE)).scalar_one())


# Importing the province's list ------------------------------------------------------------------------------
IMPORT_COLUMNS = ("code", "name", "province_code", "ward_code", "address", "daily_capacity")
# Headers as a district's sheet writes them, folded (no tones, lower case, letters and digits only).
HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "code": ("code", "madiemtiem", "ma", "madiem", "macoso", "sitecode"),
    "name": ("name", "tendiemtiem", "ten", "tencoso", "sitename"),
    "province_code": ("provincecode", "matinh", "matinhthanhpho", "matinhthanh", "tinh"),
    "ward_code": ("wardcode", "maphuongxa", "maxaphuong", "maxa", "maphuong", "phuongxa"),
    "address": ("address", "diachi"),
    "phone": ("phone", "sodienthoai", "dienthoai", "sdt", "hotline"),
    "daily_capacity": ("dailycapacity", "capacity", "congsuat", "congsuatngay", "congsuattiem", "soluongngay",
                       "suatngay", "sosuatngay", "suattiemmoingay"),
}


def header_columns(header: list[str]) -> dict[str, str]:
    """Which header cell holds which of :data:`IMPORT_COLUMNS` (English or Vietnamese, with or without
    diacritics); missing ones are absent."""
    found: dict[str, str] = {}
    for cell in header:
        key = "".join(ch for ch in fold(cell) if ch.isalnum())
        for column, words in HEADER_WORDS.items():
            if key in words and column not in found:
                found[column] = cell
    return found


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: int
    updated: int
    bad: list[tuple[int, str]]  # (line number, reason)


def import_rows(conn: Connection, rows: list[dict[str, str]]) -> ImportReport:
    """Add or update sites by code from rows with :data:`IMPORT_COLUMNS`; a bad row is reported, not fatal."""
    added = updated = 0
    bad: list[tuple[int, str]] = []
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        try:
            values = _site_values(row)
        except ValueError as exc:
            bad.append((line, str(exc)))
            continue
        done = conn.execute(update(SITE).where(func.upper(SITE.c.code) == values["code"]).values(**values)).rowcount
        if done:
            updated += 1
        else:
            conn.execute(insert(SITE).values(**values))
            added += 1
    return ImportReport(added, updated, bad)


def _site_values(row: dict[str, str]) -> dict[str, object]:
    missing = [c for c in IMPORT_COLUMNS if not (row.get(c) or "").strip()]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    code = row["code"].strip().upper()  # "hcm-bt-01" is "HCM-BT-01": codes are matched whatever their case
    if len(code) > 20:
        raise ValueError("code longer than 20 characters")
    try:
        province, ward, capacity = int(row["province_code"]), int(row["ward_code"]), int(row["daily_capacity"])
    except ValueError:
        raise ValueError("province_code, ward_code and daily_capacity must be whole numbers") from None
    if not places.is_province(province):
        raise ValueError(f"no province with code {province} (codes since 1/7/2025)")
    if not places.is_ward_of(ward, province):
        raise ValueError(f"ward {ward} is not in province {province}")
    if capacity <= 0:
        raise ValueError("daily_capacity must be positive")
    values: dict[str, object] = {"code": code, "name": row["name"].strip()[:200], "province_code": province,
                                 "ward_code": ward, "address": row["address"].strip()[:255],
                                 "daily_capacity": capacity}
    if (row.get("phone") or "").strip():  # optional: a list without it keeps the numbers already there
        values["phone"] = " ".join(row["phone"].split())[:20]
    return values


def all_sites(conn: Connection) -> list[tuple[str, str, int, int, int]]:
    rows = conn.execute(select(SITE.c.code, SITE.c.name, SITE.c.province_code, SITE.c.ward_code,
                               SITE.c.daily_capacity).order_by(SITE.c.code))
    return [(r.code, r.name, r.province_code, r.ward_code, r.daily_capacity) for r in rows]
