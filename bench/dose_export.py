"""A district's dose report (issue 27): 100,000 doses exported as one workbook (`sskdt export --doses --site all`)
and read back by `sskdt dose import` as the same doses; and a correction on a person whose account has many
chats, timed to the last push delivered.

    PYTHONPATH=. .venv/bin/python bench/dose_export.py [DOSES] [--chats N]

Each command runs as its own process (as an operator runs it): wall time and the process's peak memory (its
maximum resident set). Results: bench/results/dose_export.json and a table on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select

from bench.common import save
from bot.services.values.text import fold
from models.migrate import upgrade
from models.tables import Account, ChannelIdentity, Dose, Person, Site, table

VACCINES = ("astrazeneca", "pfizer", "moderna", "verocell")


def seed(url: str, count: int) -> None:
    """``count`` people of a district, one dose each at one of its 20 sites."""
    rng = random.Random(27)
    engine = create_engine(url)
    now = datetime(2026, 11, 1)
    with engine.begin() as conn:
        conn.execute(insert(table(Site)), [
            {"id": n + 1, "code": f"DN-{n:02d}", "name": f"Trạm Y tế số {n}", "province_code": 79, "ward_code": 26743,
             "address": "-", "daily_capacity": 500} for n in range(20)])
        for start in range(0, count, 10_000):
            block = range(start, min(start + 10_000, count))
            conn.execute(insert(table(Account)), [
                {"id": n + 1, "phone": f"+849{n:08d}", "name": f"Người {n}", "password_hash": "!", "locale": "vi",
                 "created_at": now} for n in block])
            conn.execute(insert(table(Person)), [
                {"id": n + 1, "owner_account_id": n + 1, "relation": "self", "full_name": f"Nguyễn Văn Số {n}",
                 "name_key": fold(f"Nguyễn Văn Số {n}"), "birth_date": date(1950, 1, 1) + timedelta(days=n % 18000),
                 "sex": "M", "ethnicity": "Kinh", "id_type": "cccd", "id_number": f"0792{n:08d}",
                 "phone": f"+849{n:08d}", "occupation": "-", "priority_group": 1 + n % 16, "province_code": 79,
                 "ward_code": 26743, "address": "Ấp 3", "created_at": now, "updated_at": now} for n in block])
            conn.execute(insert(table(Dose)), [
                {"person_id": n + 1, "registration_id": None, "dose_number": 1, "vaccine": rng.choice(VACCINES),
                 "lot": f"L{n % 97:03d}", "given_on": date(2026, 11, 1) + timedelta(days=n % 30),
                 "site_id": 1 + n % 20, "source": "import", "created_at": now} for n in block])
    engine.dispose()


def _run(env: dict[str, str], *args: str) -> tuple[float, float, str]:
    """A `sskdt` command in a process of its own: seconds, its own peak memory (MB) and its output."""
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "bot", *args], env=env, stdout=out, stderr=subprocess.STDOUT,
                                 text=True)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if child.returncode not in (0, 1):
        raise RuntimeError(text[-2000:])
    return seconds, usage.ru_maxrss / 1024, text


async def correction(chats: int) -> dict[str, Any]:
    """A dose removed from a person whose account has ``chats`` chats (web): seconds to the last push sent."""
    from bot.app import build
    from bot.config import Settings
    from bot.services.vaccination import corrections, doses
    from bot.services.values.dates import today

    data_dir = Path(tempfile.mkdtemp(prefix="sskdt-bench-"))
    app = build(Settings(data_dir=data_dir, argon2_memory_kib=8, argon2_time_cost=1))
    try:
        def prepare(conn: Any) -> int:
            conn.execute(insert(table(Account)).values(id=1, phone="+84900000001", name="A", password_hash="!",
                                                      locale="vi", created_at=datetime.now()))
            conn.execute(insert(table(ChannelIdentity)), [
                {"channel": "web", "chat_id": f"w{n}", "user_id": f"w{n}", "account_id": 1,
                 "created_at": datetime.now()} for n in range(chats)])
            conn.execute(insert(table(Person)).values(
                id=1, owner_account_id=1, relation="self", full_name="Nguyễn Văn An", name_key="nguyen van an",
                birth_date=date(1990, 1, 1), sex="M", id_type="cccd", id_number="079090000001",
                phone="+84900000001", occupation="-", priority_group=1, province_code=79, ward_code=26743,
                created_at=datetime.now(), updated_at=datetime.now()))
            doses.add(conn, person_id=1, registration_id=None, site_id=1, vaccine="pfizer", lot="P1",
                      given_on=today() - timedelta(days=3), source="staff", recorded_by=None)
            return int(conn.execute(select(table(Dose).c.id)).scalar_one())

        dose_id = await app.store.run(prepare)
        key = app.engine.services.signing_key
        started = time.perf_counter()

        def fix(conn: Any) -> None:
            found = corrections.find(conn, dose_id)
            assert found is not None
            corrections.remove(conn, key, None, found, reason="recorded twice")
        await app.store.run(fix)
        committed = time.perf_counter() - started
        sent = 0
        while sent < 2 * chats:  # the notice and the new QR, to every chat
            sent += await app.pusher.run_once()
        return {"chats": chats, "committed_s": round(committed, 3),
                "last_push_s": round(time.perf_counter() - started, 3), "pushes": sent}
    finally:
        app.close()


def main(count: int, chats: int) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="sskdt-bench-"))
    url = f"sqlite:///{data_dir / 'sskdt.db'}"
    upgrade(url)
    seed(url, count)
    env = {**os.environ, "SSKDT_DATA_DIR": str(data_dir), "PYTHONPATH": str(Path(__file__).parent.parent)}
    workbook = data_dir / "mui-tiem.xlsx"
    export_s, export_mb, out = _run(env, "export", "--site", "all", "--doses", "--from", "01/11/2026", "--to",
                                    "30/11/2026", "-o", str(workbook))
    assert f"{count} doses written" in out, out
    import_s, import_mb, out = _run(env, "dose", "import", str(workbook))
    assert f"0 doses recorded for registered people (0 people, their QR codes updated), {count} already recorded" \
        in out, out  # the same doses: nothing added
    fixed = asyncio.run(correction(chats))
    result = {"doses": count, "export_s": round(export_s, 2), "export_peak_mb": round(export_mb),
              "workbook_mb": round(workbook.stat().st_size / 1e6, 1), "reimport_s": round(import_s, 2),
              "reimport_peak_mb": round(import_mb),
              "reimport_report": next(line for line in out.splitlines() if line.startswith("Read "))[:200],
              "correction": fixed}
    print(f"export {count:,} doses: {export_s:.1f} s, peak {export_mb:.0f} MB, file {result['workbook_mb']} MB")
    print(f"re-import: {import_s:.1f} s, peak {import_mb:.0f} MB — {result['reimport_report']}")
    print(f"a correction, {chats} chats: committed in {fixed['committed_s']} s, last push at {fixed['last_push_s']} s")
    save("dose_export", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("doses", nargs="?", type=int, default=100_000)
    parser.add_argument("--chats", type=int, default=20)
    args = parser.parse_args()
    main(args.doses, args.chats)
