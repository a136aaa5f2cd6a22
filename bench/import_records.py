"""A site's 100,000-row dose file imported from the command line (`sskdt dose import`, with its progress bar).

    PYTHONPATH=. .venv/bin/python bench/import_records.py [ROWS] [--backend sqlite|postgresql] [--xlsx]

The database holds 5,000 registered people; the file has one row matching each of 3,000 of them by ID
number, 1,000 matching by name, birth date and phone only, 500 rows that must be rejected (an unknown vaccine,
an impossible date) and the rest people who have not registered (kept for later). Measured: the wall time of
the whole command (start-up, migrations, reading, matching, recording, re-issuing credentials, the report) and
rows per second; the report's counts are checked against what the file holds.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text

from bench.common import save
from bot.config import Settings
from bot.services.values.text import fold
from models.migrate import upgrade
from models.tables import Account, Person, Registration, Site, table

REGISTERED, BY_ID, BY_NAME, BAD = 5_000, 3_000, 1_000, 500
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thu", "Ngọc", "Quang"]
GIVEN = ["An", "Bình", "Cúc", "Dũng", "Hà", "Hải", "Hạnh", "Hùng", "Lan", "Linh", "Mai", "Nam", "Phúc", "Tâm",
         "Thảo", "Trang", "Tuấn", "Vy"]
HEADER = ["Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Số điện thoại", "Vắc xin", "Số lô", "Ngày tiêm",
          "Mũi số"]


def _person(n: int, rng: random.Random) -> dict[str, object]:
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 50))
    female = n % 2 == 1
    name = f"{rng.choice(SURNAMES)} {'Thị' if female else rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    cccd = f"0{n % 90 + 1:02d}{'1' if female else '0'}{born.year % 100:02d}{n:06d}"
    return {"full_name": name, "birth_date": born, "sex": "F" if female else "M", "id_number": cccd,
            "phone": f"+849{n:08d}"}


def seed(url: str, rng: random.Random) -> list[dict[str, object]]:
    engine = create_engine(url)
    now = datetime.now()
    people = [_person(n, rng) for n in range(REGISTERED)]
    with engine.begin() as conn:
        conn.execute(insert(table(Site)).values(code="HCM-BT-01", name="Trạm Y tế phường Bến Thành", province_code=79,
                                                ward_code=26734, address="1 Lê Lợi", daily_capacity=500))
        conn.execute(insert(table(Account)), [
            {"id": n + 1, "phone": p["phone"], "name": p["full_name"], "password_hash": "!",
             "locale": "vi", "created_at": now} for n, p in enumerate(people)])
        conn.execute(insert(table(Person)), [
            {"id": n + 1, "owner_account_id": n + 1, "relation": "self", "full_name": p["full_name"],
             "name_key": fold(str(p["full_name"])), "birth_date": p["birth_date"], "sex": p["sex"],
             "id_type": "cccd", "id_number": p["id_number"], "phone": p["phone"], "occupation": "-",
             "priority_group": 9, "province_code": 79, "ward_code": 26734, "created_at": now, "updated_at": now}
            for n, p in enumerate(people)])
        conn.execute(insert(table(Registration)), [
            {"person_id": n + 1, "booking_code": f"{10**15 + n}", "open_key": f"cccd:{p['id_number']}", "site_id": 1,
             "province_code": 79, "preferred_date": date.today() + timedelta(days=10), "preferred_session": "morning",
             "dose_number": 1, "status": "submitted", "screening": {}, "screening_flags": "", "consent_at": now,
             "consent_version": "bench", "created_at": now - timedelta(days=400)} for n, p in enumerate(people)])
    engine.dispose()
    return people


def write_file(path: Path, rows: int, people: list[dict[str, object]], rng: random.Random) -> dict[str, int]:
    given = date.today() - timedelta(days=200)
    vaccines = ["AstraZeneca", "Pfizer", "Moderna", "Vero Cell", "Comirnaty", "Sputnik V"]
    expected = {"matched": BY_ID + BY_NAME, "rejected": BAD, "unmatched": rows - BY_ID - BY_NAME - BAD}
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for n in range(rows):
            if n < BY_ID:
                p, cccd, phone = people[n], str(people[n]["id_number"]), ""
            elif n < BY_ID + BY_NAME:
                p, cccd = people[n], ""
                phone = "0" + str(p["phone"])[3:]
            else:
                p = _person(REGISTERED + n, rng)
                cccd, phone = str(p["id_number"]), ""
            vaccine = rng.choice(vaccines)
            day = given.strftime("%d/%m/%Y")
            if BY_ID + BY_NAME <= n < BY_ID + BY_NAME + BAD:
                vaccine, day = ("Sputnik Z", day) if n % 2 else (vaccine, "31/02/2021")
            born = p["birth_date"]
            assert isinstance(born, date)
            out.writerow([p["full_name"], born.strftime("%d/%m/%Y"), "Nữ" if p["sex"] == "F" else "Nam", cccd,
                          phone, vaccine, f"L{n % 97}", day, 1])
    return expected


def to_xlsx(csv_path: Path) -> Path:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    with csv_path.open(encoding="utf-8-sig") as fh:
        for row in csv.reader(fh):
            sheet.append(row)
    target = csv_path.with_suffix(".xlsx")
    book.save(target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", nargs="?", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--xlsx", action="store_true", help="import the same rows as an XLSX workbook")
    args = parser.parse_args()
    rng = random.Random(13)
    data_dir = Path(tempfile.mkdtemp(prefix="sskdt-import-"))
    env = {**os.environ, "SSKDT_DATA_DIR": str(data_dir), "SSKDT_LOG_LEVEL": "WARNING"}
    schema = ""
    if args.backend == "postgresql":
        schema = "bench_" + uuid.uuid4().hex[:10]
        admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        env["SSKDT_DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
    settings = Settings(data_dir=data_dir, database_url=env.get("SSKDT_DATABASE_URL", ""))
    upgrade(settings.effective_database_url)
    people = seed(settings.effective_database_url, rng)
    path = data_dir / "site-export.csv"
    expected = write_file(path, args.rows, people, rng)
    if args.xlsx:
        path = to_xlsx(path)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bot", "dose", "import", str(path), "--site", "HCM-BT-01"],
                          env=env, capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - started
    summary = done.stdout.splitlines()[0]
    counts = dict(zip(("rows", "matched", "people", "duplicates", "unmatched", "ambiguous", "rejected"),
                      map(int, re.findall(r"\d+", summary)[:7]), strict=True))
    assert counts["rows"] == args.rows and counts["matched"] == expected["matched"], summary
    assert counts["rejected"] == expected["rejected"] and counts["unmatched"] == expected["unmatched"], summary
    progress = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    result = {"rows": args.rows, "backend": args.backend, "format": path.suffix[1:], "seconds": round(elapsed, 1),
              "rows_per_second": round(args.rows / elapsed), **counts, "progress_bar_last_line": progress[-120:]}
    save(f"import_records_{args.backend}_{path.suffix[1:]}", result)
    print(f"{args.rows:,} rows ({path.suffix[1:]}, {args.backend}) in {elapsed:.1f} s: {args.rows / elapsed:,.0f} "
          f"rows/s — {summary}")
    if schema:
        admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
