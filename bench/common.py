"""Shared pieces of the benchmarks: a scripted citizen, timing helpers, result files."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bot.app import App, build
from bot.channels.webchat.server import CAPABILITIES as WEB
from bot.config import Settings
from bot.engine import Incoming, Reply
from tests.scripts import Button, as_body, details, history, registration_bodies

RESULTS = Path(__file__).parent / "results"
SMS_CODES: dict[int, dict[str, asyncio.Future[str]]] = {}  # id(app) → number → the code the phone shows
PASSWORD = "mat-khau-bench-1"
_keys = itertools.count()


def cpu_seconds_of(stat: str) -> float:
    """utime + stime of a process or thread (``/proc/<pid>/stat``, ``/proc/self/task/<tid>/stat``), in seconds;
    0 once it is gone."""
    try:
        fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError):
        return 0.0


def postgres_cpu_seconds() -> float:
    """CPU time used so far by every PostgreSQL server process on this machine."""
    found = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True, check=False).stdout.split()
    return sum(cpu_seconds_of(f"/proc/{pid}/stat") for pid in found)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else 0.0


def summary(latencies_s: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(latencies_s, 0.5) * 1e3, 2),
        "p99_ms": round(percentile(latencies_s, 0.99) * 1e3, 2),
        "mean_ms": round(statistics.fmean(latencies_s) * 1e3, 2) if latencies_s else 0.0,
    }


def save(name: str, result: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))


def make_app(backend: str, *, owasp_hash: bool, postgres_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/test",
             workers: int = 0) -> tuple[App, Any]:
    """A fresh app on SQLite (temp file) or PostgreSQL (a fresh schema); returns it and a cleanup function."""
    data_dir = Path(tempfile.mkdtemp(prefix="sskdt-bench-"))
    cost: dict[str, Any] = {} if owasp_hash else {"argon2_memory_kib": 8, "argon2_time_cost": 1}
    url = ""
    schema = ""
    if backend == "postgresql":
        schema = "bench_" + uuid.uuid4().hex[:10]
        admin = create_engine(postgres_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        url = f"{postgres_url}?options=-csearch_path%3D{schema}"
    # Every citizen's password waits its turn here: the surge measures throughput; what the bounded queue does
    # under a flood is bench/password_flood.py's.
    app = build(Settings(data_dir=data_dir, database_url=url, db_workers=workers, cpu_queue=1_000_000, **cost))
    # As the service does when it starts, and as a service that is up when a surge comes has finished doing: the
    # fork server's start (it imports the main module, ~0.9 s of both cores) is not part of any update's cost.
    app.start_drawing(wait=True)
    codes = SMS_CODES[id(app)] = {}

    async def read_sms(to: str, reply: Reply) -> None:  # the phone that receives the code: kept for the script
        found = re.search(r"\b(\d{6})\b", reply.text)
        future = codes.setdefault(to, asyncio.get_running_loop().create_future())
        if found and not future.done():
            future.set_result(found.group(1))

    app.pusher.deliverers["sms"] = read_sms

    def cleanup() -> None:
        app.close()
        if schema:
            admin = create_engine(postgres_url)
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

    return app, cleanup


class Script:
    """Types like a person who knows the form: the full path from account to consent, over any transport
    (:class:`Citizen` calls the engine in this process; ``bench/open_loop.py``'s goes through the web chat API)."""

    number: int
    latencies: list[float]
    hash_latencies: list[float]

    async def post(self, content: dict[str, Any]) -> list[Reply]:
        raise NotImplementedError

    async def sms(self, phone: str) -> str:
        raise NotImplementedError

    async def send(self, *, hashed: bool = False, **content: Any) -> list[Reply]:
        started = time.perf_counter()
        replies = await self.post(content)
        (self.hash_latencies if hashed else self.latencies).append(time.perf_counter() - started)
        return replies

    async def sign_up(self, name: str, phone: str, password: str) -> None:
        """An account through the conversation, the SMS code read where the phone shows it."""
        await self.send(text="/start")
        await self.send(button="signup")
        for typed in (name, phone):
            await self.send(text=typed)
        await self.send(text=await self.sms(phone))
        for typed in (password, password):
            await self.send(text=typed)

    async def at_password(self, phone: str) -> None:
        """Logged out, then at the log-in's password question (what a timed log-in starts from)."""
        await self.send(button="logout")
        await self.send(button="login")
        await self.send(text=phone)

    async def register(self, soon: str, *, relogin: bool = True) -> str:
        """Sign up, (with ``relogin``) log out and in again, register oneself. Without ``relogin`` the new
        account goes on logged in: one password hash in the whole registration."""
        phone = f"09{self.number:08d}"
        await self.send(text="/start")
        await self.send(button="signup")
        await self.send(text="Nguyễn Văn Bình")
        await self.send(text=phone)
        await self.send(text=await self.sms(phone))  # the SMS, read
        await self.send(text=PASSWORD)  # kept as a keyed fingerprint: not hashed
        await self.send(text=PASSWORD, hashed=True)
        if relogin:
            await self.send(button="logout")
            await self.send(button="login")
            await self.send(text=phone)
            await self.send(text=PASSWORD, hashed=True)
        await self.send(button="register_self")
        year = 1950 + self.number % 50
        cccd = f"001{'0' if year < 2000 else '2'}{year % 100:02d}{self.number % 1_000_000:06d}"
        person = details(full_name="Nguyễn Văn Bình", birth_date=f"01/07/{year}", id_number=cccd,
                         occupation="Kỹ sư", preferred_date=soon)
        for body in registration_bodies(person, history()):
            await self.send(**body)
        for step in (Button("ok"), Button("tick")):
            await self.send(**as_body(step))
        replies = await self.send(button="confirm")
        text_all = "\n".join(r.text for r in replies)
        if "ĐĂNG KÝ THÀNH CÔNG" not in text_all:
            raise RuntimeError(f"citizen {self.number} did not finish: {text_all[:200]}")
        return text_all


class Citizen(Script):
    """The script through the engine of an app in this process (no HTTP)."""

    def __init__(self, app: App, number: int) -> None:
        self.app = app
        self.number = number
        self.latencies = []
        self.hash_latencies = []

    @property
    def chat(self) -> str:
        return f"citizen{self.number}"

    async def post(self, content: dict[str, Any]) -> list[Reply]:
        incoming = Incoming(channel="web", chat_id=self.chat, user_id=self.chat, update_key=f"b{next(_keys)}",
                            **content)
        return (await self.app.engine.handle(incoming, WEB)).replies

    async def sms(self, phone: str) -> str:
        """The code, once the app's pusher (which the benchmark runs) has delivered the SMS."""
        codes = SMS_CODES[id(self.app)]
        return await codes.setdefault("+84" + phone[1:], asyncio.get_running_loop().create_future())
