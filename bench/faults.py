"""Faults, counted: `sskdt run --workers N` on PostgreSQL, citizens registering through Telegram's webhook (the
fake Bot API plays Telegram: it redelivers an update until it gets a 200, and runs the method a webhook answer
carries), while things go wrong. Not part of the tests; each part prints its counts.

    PYTHONPATH=. .venv/bin/python bench/faults.py [citizens]

    duplicates   2 workers; a third of the updates delivered twice at once, and every update delivered again
                 (stale, out of order) after the next one was applied
    kill         2 workers; one is SIGKILLed when 40 % of the updates are in: the other finishes, the supervisor
                 starts it again
    two nodes    two `sskdt run` processes (own data directories, one schema, the key and secret from files), the
                 updates to each in turn as a proxy balances; node A SIGKILLed at 40 % and not started again: node
                 B finishes, takes over the outbox, nothing lost or sent twice
    outage       2 workers on a PostgreSQL cluster of the script's own (initdb, its own port): stopped
                 (`pg_ctl stop -m fast`) when 40 % are in and started again 3 s later: the webhook answers 503,
                 the fake redelivers, the workers reconnect by themselves
    errors       2 workers; the fake enforces Telegram's global rate (the bot's setting, not twice it) and
                 answers every 5th message the bot itself sends (pushes, answers that are not a webhook's)
                 with 500 or 429: retried, each delivered once, no request while a 429's pause runs on
                 either worker, and no 429 for going over the rate (the two workers split it)
    throughput   1 worker and 2 workers, no faults: updates/s
    pause heard  first of all: how soon a second worker pauses after the first was told 429 (NOTIFY)

Each part checks, in the database and in what the fake received: every registration exactly once, every
conversation back at the menu, every chat sent the same number of messages (a reply sent twice shows).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import create_engine, text

from bench.common import cpu_seconds_of, postgres_cpu_seconds, save
from bot.services.values.dates import today
from tests.fakes.telegram_api import FakeTelegram, WebPolicy
from tests.helpers import free_port, until, until_serving
from tests.scripts import details, history, registration_bodies

POSTGRES = os.environ.get("SSKDT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECRET = "faults-webhook-secret"
PASSWORD = "mat-khau-faults-1"
RATE = 60  # messages/s the fake allows the bot in the errors part; each of two workers alone would send more


class PrivatePostgres:
    """A PostgreSQL cluster of this script's own (a temporary directory, a free port), so that it can be stopped
    and started for real without touching the machine's server."""

    def __init__(self) -> None:
        self.directory = tempfile.mkdtemp(prefix="sskdt-faults-pg-")
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *argv: str) -> None:
        command = list(argv)
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            subprocess.run(["chown", "-R", "postgres:", self.directory], check=True)
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True)

    def create(self) -> PrivatePostgres:
        self._run("initdb", "-D", f"{self.directory}/data", "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-locale")
        self.start()
        return self

    def start(self) -> None:
        self._run("pg_ctl", "-D", f"{self.directory}/data", "-l", f"{self.directory}/log", "-w", "-o",
                  f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c max_connections=200",
                  "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", f"{self.directory}/data", "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


class Service:
    """A fresh schema, the fake Bot API, and `sskdt run --workers N` pointed at both."""

    def __init__(self, workers: int, *, postgres: PrivatePostgres | None = None, fail_every: int = 0,
                 rate_global: int = 0) -> None:
        self.workers = workers
        self.schema = "faults_" + uuid.uuid4().hex[:10]
        self.postgres = postgres
        self.admin_url = postgres.url if postgres is not None else POSTGRES
        self.url = f"{self.admin_url}?options=-csearch_path%3D{self.schema}"
        self.rate_global = rate_global  # 0: unlimited (the fake enforces nothing)
        limits = WebPolicy(per_chat_per_second=1000, global_per_second=rate_global, per_chat_burst=1000)
        self.fake = FakeTelegram(fail_every=fail_every, limits=limits if rate_global else None)
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.sent_updates = 0

    async def _start(self) -> None:
        """The schema and the fake Bot API, before any `sskdt run`."""
        admin = create_engine(self.admin_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        admin.dispose()
        await self.fake.start()

    def node_env(self, webhook_port: int, **more: str) -> dict[str, str]:
        """What `sskdt run` is given: the schema, the fake Bot API, a webhook there, cheap hashes, quiet logs."""
        return dict(os.environ, SSKDT_DATABASE_URL=self.url, SSKDT_TELEGRAM_TOKEN=self.fake.token,
                    SSKDT_TELEGRAM_API_URL=self.fake.base_url,
                    SSKDT_TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{webhook_port}/telegram/webhook",
                    SSKDT_TELEGRAM_WEBHOOK_SECRET=SECRET,
                    SSKDT_TELEGRAM_RATE_GLOBAL=str(self.rate_global or 1_000_000),
                    SSKDT_TELEGRAM_RATE_PER_CHAT="1000000", SSKDT_TELEGRAM_BURST_PER_CHAT="1000",
                    SSKDT_ARGON2_MEMORY_KIB="8", SSKDT_ARGON2_TIME_COST="1", SSKDT_CPU_QUEUE="1000000",
                    SSKDT_LOG_LEVEL="ERROR", SSKDT_METRICS_ADDR="", **more)

    async def __aenter__(self) -> Service:
        await self._start()
        env = self.node_env(self.port)
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--workers", str(self.workers), "--port",
                                      str(self.port), "--data-dir", tempfile.mkdtemp(prefix="sskdt-faults-")],
                                     env=env)
        await until_serving(f"http://127.0.0.1:{self.port}/readyz", self.proc)
        await until(lambda: self.fake.webhook is not None, "the webhook to be registered")
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        await self.fake.stop()
        admin = create_engine(self.admin_url)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
        admin.dispose()

    def workers_pids(self) -> list[int]:
        assert self.proc is not None
        found = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True, check=False)
        return sorted(int(pid) for pid in found.stdout.split())

    def pending_pushes(self) -> int:
        db = create_engine(self.url)
        with db.connect() as conn:
            found = int(conn.execute(text("SELECT count(*) FROM outbox WHERE state = 'pending'")).scalar_one())
        db.dispose()
        return found

    def counts(self) -> dict[str, int]:
        db = create_engine(self.url)
        with db.connect() as conn:
            found = {name: int(conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one())
                     for name in ("account", "person", "registration")}
            found["conversations_not_at_the_menu"] = int(conn.execute(text(
                "SELECT count(*) FROM conversation WHERE flow <> 'menu' OR step <> 'choice'")).scalar_one())
        db.dispose()
        return found


class TwoNodes(Service):
    """Two nodes of one deployment (issue 30): two `sskdt run` processes, each its own data directory, one schema,
    the same key and secret mounted from files; the fake delivers each update to the next node in turn, as a
    balancing proxy would, and a delivery that fails goes to the other on its retry."""

    def __init__(self) -> None:
        super().__init__(1)
        self.ports = [free_port(), free_port()]
        self.procs: list[subprocess.Popen[bytes]] = []

    async def __aenter__(self) -> TwoNodes:
        await self._start()
        mounted = Path(tempfile.mkdtemp(prefix="sskdt-faults-secrets-"))
        subprocess.run([sys.executable, "-m", "bot", "keys", "generate", "--out", str(mounted), "--issuer", "faults"],
                       check=True, capture_output=True)
        (mounted / "pepper.key").write_bytes(os.urandom(32))
        for port in self.ports:
            env = self.node_env(self.ports[0], SSKDT_SIGNING_KEY_FILE=str(mounted / "signing-key.pem"),
                                SSKDT_PEPPER_FILE=str(mounted / "pepper.key"))
            proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port), "--data-dir",
                                     tempfile.mkdtemp(prefix="sskdt-faults-node-")], env=env)
            self.procs.append(proc)
            await until_serving(f"http://127.0.0.1:{port}/readyz", proc)
        self.proc = self.procs[0]
        await until(lambda: self.fake.webhook is not None, "the webhook to be registered")
        self.fake.balanced = [f"http://127.0.0.1:{port}/telegram/webhook" for port in self.ports]
        return self

    async def __aexit__(self, *_exc: object) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)
        self.proc = None
        await super().__aexit__()

    def workers_pids(self) -> list[int]:
        return [proc.pid for proc in self.procs if proc.poll() is None]


def process_cpu(pid: int) -> float:
    return cpu_seconds_of(f"/proc/{pid}/stat")


async def nodes_throughput(citizens: int) -> dict[str, Any]:
    """One node, then two nodes on this machine, no faults; the load (the fake Telegram and the citizens) from this
    process, a separate one. Each part's CPU reported as its share of the machine's."""
    cores = os.cpu_count() or 1
    async with Service(1) as one:
        assert one.proc is not None
        before = process_cpu(one.proc.pid)
        single = await surge(one, citizens)
        single["node_cpu_share"] = [round((process_cpu(one.proc.pid) - before) / single["wall_s"] / cores, 3)]
    async with TwoNodes() as two:
        before_each = [process_cpu(p.pid) for p in two.procs]
        double = await surge(two, citizens)
        double["node_cpu_share"] = [round((process_cpu(p.pid) - b) / double["wall_s"] / cores, 3)
                                    for p, b in zip(two.procs, before_each, strict=True)]
    return {"cores": cores, "one_node": single, "two_nodes": double,
            "ratio": round(double["updates_per_s"] / single["updates_per_s"], 3)}


async def kill_node_a(service: Service) -> None:
    assert isinstance(service, TwoNodes)
    os.kill(service.procs[0].pid, signal.SIGKILL)
    service.procs[0].wait(timeout=10)
    print(f"  SIGKILL node A ({service.procs[0].pid})", flush=True)


class TelegramCitizen:
    """Signs up (sharing their own contact), registers themselves: every update through the webhook, retried like
    Telegram retries (until a 200), some delivered twice or again out of order."""

    def __init__(self, service: Service, number: int, *, duplicates: bool, redeliveries: Counter[str]) -> None:
        self.service, self.fake = service, service.fake
        self.chat = 700_000 + number
        self.number = number
        self.duplicates = duplicates
        self.redeliveries = redeliveries
        self.previous: dict[str, Any] | None = None

    async def _post(self, update: dict[str, Any]) -> None:
        content = {k: v for k, v in update.items() if k != "update_id"}
        for _ in range(600):
            try:
                _, status = await self.fake.deliver(content, update_id=update["update_id"])
                if status == 200:
                    return
                self.redeliveries[f"HTTP {status}"] += 1
            except aiohttp.ClientError:
                self.redeliveries["connection"] += 1
            await asyncio.sleep(0.2)  # Telegram's redelivery, compressed
        raise RuntimeError(f"update {update['update_id']} never got a 200")

    async def send(self, content: dict[str, Any]) -> None:
        update = {"update_id": next(UPDATE_IDS), **content}
        if self.duplicates and update["update_id"] % 3 == 0:
            await asyncio.gather(self._post(update), self._post(update))
        else:
            await self._post(update)
        if self.duplicates and self.previous is not None:
            await self._post(self.previous)  # stale, after a newer one: must change nothing
        self.previous = update
        self.service.sent_updates += 1

    async def say(self, words: str) -> None:
        await self.send(self.fake.text(self.chat, words))

    async def press(self, data: str) -> None:
        await self.send(self.fake.press(self.chat, data))

    async def register(self, soon: str) -> None:
        await self.say("/start")
        await self.press("signup")
        await self.say("Trần Thị Mai")
        await self.send(self.fake.contact(self.chat, f"+849{self.number:08d}", own=True))
        await self.say(PASSWORD)
        await self.say(PASSWORD)
        await self.press("register_self")
        year = 1950 + self.number % 50
        cccd = f"001{'1' if year < 2000 else '3'}{year % 100:02d}{self.number % 1_000_000:06d}"
        person = details(full_name="Trần Thị Mai", birth_date=f"01/07/{year}", id_number=cccd,
                         occupation="Giáo viên", preferred_date=soon)
        for body in registration_bodies(person, history(female=True)):
            await (self.press(body["button"]) if "button" in body else self.say(body["text"]))
        for payload in ("ok", "tick", "confirm"):
            await self.press(payload)


UPDATE_IDS = itertools.count(1)


async def surge(service: Service, citizens: int, *, duplicates: bool = False, fault: Any = None
                ) -> dict[str, Any]:
    service.sent_updates = 0
    redeliveries: Counter[str] = Counter()
    soon = (today() + timedelta(days=10)).strftime("%d/%m/%Y")
    crowd = [TelegramCitizen(service, n, duplicates=duplicates, redeliveries=redeliveries) for n in range(citizens)]
    expected = citizens * 30
    lags: list[float] = []
    probe = asyncio.ensure_future(loop_lag(lags))
    cpu_before = cpu_seconds(service)
    started = time.perf_counter()
    work = asyncio.gather(*(c.register(soon) for c in crowd))
    if fault is not None:
        while service.sent_updates < 0.4 * expected and not work.done():
            await asyncio.sleep(0.05)  # until 40 % of the updates are in
        await fault(service)
    await work
    wall = time.perf_counter() - started
    cpu = {name: round(after - cpu_before.get(name, 0.0), 1) for name, after in cpu_seconds(service).items()}
    probe.cancel()
    for _ in range(600):  # the QR pictures: pushed by the leading worker from the outbox
        if service.pending_pushes() == 0:
            break
        await asyncio.sleep(0.1)
    messages = Counter(len(service.fake.sent[c.chat]) for c in crowd)
    # No prompt of this script is asked twice in one chat: a text seen again is an answer sent twice.
    twice = sum(len(texts) - len(set(texts)) for texts in (
        [(m.get("text") or m.get("caption") or "") for m in service.fake.sent[c.chat]] for c in crowd))
    late = service.fake.ignored_after
    return {"citizens": citizens, "workers": service.workers, "updates": service.sent_updates,
            "updates_per_s": round(service.sent_updates / wall, 1), "wall_s": round(wall, 1),
            "redeliveries": dict(redeliveries), "messages_per_chat": dict(messages),
            "messenger_500s": service.fake.server_errors, "messenger_429s": service.fake.too_many,
            "429s_for_going_over_the_rate": service.fake.over_limit,
            "requests_during_a_429_pause": service.fake.ignored_retry_after,
            "their_ms_after_the_429": sorted(round(x * 1000) for x in late), "answers_sent_twice": twice,
            # The fake lives in this process's event loop: it sees a request (and runs a webhook's answer) only
            # when the loop comes to it, up to this late.
            "fake_loop_lag_ms_max": round(max(lags, default=0) * 1000),
            "cpu_seconds": cpu,  # where the time went: the workers, PostgreSQL, this script (fake and citizens)
            **service.counts()}


def cpu_seconds(service: Service) -> dict[str, float]:
    """CPU time used so far by the workers, by every PostgreSQL process, and by this script."""
    if isinstance(service, TwoNodes):
        workers = service.workers_pids()
    else:
        assert service.proc is not None  # one worker: the process itself; more: its children
        workers = service.workers_pids() if service.workers > 1 else [service.proc.pid]
    return {"workers": sum(process_cpu(pid) for pid in workers), "postgresql": postgres_cpu_seconds(),
            "script": time.process_time()}


async def loop_lag(lags: list[float], every: float = 0.01) -> None:
    """How late this event loop wakes a task that asked to sleep ``every`` seconds."""
    while True:
        asked = time.perf_counter()
        await asyncio.sleep(every)
        lags.append(time.perf_counter() - asked - every)


async def kill_one(service: Service) -> None:
    victim = service.workers_pids()[0]
    os.kill(victim, signal.SIGKILL)
    print(f"  SIGKILL worker {victim}", flush=True)


async def stop_database(service: Service) -> None:
    assert service.postgres is not None
    await asyncio.to_thread(service.postgres.stop)
    print("  PostgreSQL stopped for 3 s", flush=True)
    await asyncio.sleep(3)  # the outage itself
    await asyncio.to_thread(service.postgres.start)


def verdict(row: dict[str, Any]) -> str:
    consistent = (row["account"] == row["person"] == row["registration"] == row["citizens"]
                  and row["conversations_not_at_the_menu"] == 0 and row["answers_sent_twice"] == 0
                  and row["429s_for_going_over_the_rate"] == 0)
    if not consistent:
        return "NOT CONSISTENT"
    if len(row["messages_per_chat"]) > 1:
        return "nothing twice; some answers never reached their chat (see messages per chat)"
    return "all exactly once" if row["requests_during_a_429_pause"] == 0 else "all exactly once; see the pauses"


async def pause_heard(times: int = 200) -> dict[str, float]:
    """How soon a second worker pauses after the first is told 429 (two workers' peers on one PostgreSQL, in this
    process, nothing else running): the window in which the other worker may still start a request."""
    from bot.channels.pacing import Pacer
    from bot.peers import Peers

    schema = "faults_" + uuid.uuid4().hex[:10]
    admin = create_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES}?options=-csearch_path%3D{schema}"
    pacers = [Pacer(30, 1, 3, channel="telegram"), Pacer(30, 1, 3, channel="telegram")]
    peers = [Peers(url), Peers(url)]
    delays = []
    try:
        for peer, pacer in zip(peers, pacers, strict=True):
            peer.watch(pacer)
            await peer.start()
        listening = asyncio.ensure_future(peers[1].run())
        for _ in range(times):
            told = time.perf_counter()
            pacers[0].pause(0.001)
            while pacers[1].pause_left() == 0:
                await asyncio.sleep(0)  # until the other worker has heard it
            delays.append(time.perf_counter() - told)
            await asyncio.sleep(0.002)  # the 1 ms pause runs out before the next
        listening.cancel()
    finally:
        for peer in peers:
            await peer.close()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    delays.sort()
    return {"p50_ms": round(delays[len(delays) // 2] * 1000, 2),
            "p99_ms": round(delays[int(len(delays) * 0.99)] * 1000, 2), "max_ms": round(delays[-1] * 1000, 2)}


async def main(citizens: int = 100) -> dict[str, Any]:
    results: dict[str, Any] = {}
    results["pause heard by the other worker"] = heard = await pause_heard()
    print(f"a 429's pause heard by the other worker after {heard['p50_ms']} ms (p50), {heard['p99_ms']} ms (p99), "
          f"{heard['max_ms']} ms (max)", flush=True)
    parts: tuple[tuple[str, int, dict[str, Any], dict[str, Any]], ...] = (
        ("duplicates", 2, {"duplicates": True}, {}),
        ("kill", 2, {"fault": kill_one}, {}),
        ("two nodes, one killed", 2, {}, {}),
        ("outage", 2, {"fault": stop_database}, {"postgres": True}),
        ("errors", 2, {}, {"fail_every": 5, "rate_global": RATE}),
        ("throughput, 1 worker", 1, {}, {}),
        ("throughput, 2 workers", 2, {}, {}),
    )
    for name, workers, options, setup in parts:
        if name == "two nodes, one killed":
            async with TwoNodes() as nodes:
                row = await surge(nodes, citizens, fault=kill_node_a)
            results[name] = row
            print(f"{name:<22} {row['updates_per_s']:>7} updates/s  registrations {row['registration']}/{citizens}  "
                  f"messages per chat {row['messages_per_chat']}  redeliveries {row['redeliveries']}  "
                  f"answers twice {row['answers_sent_twice']}  → {verdict(row)}", flush=True)
            continue
        postgres = PrivatePostgres().create() if setup.pop("postgres", False) else None
        try:
            async with Service(workers, postgres=postgres, **setup) as service:
                row = await surge(service, citizens, **options)
        finally:
            if postgres is not None:
                postgres.remove()
        results[name] = row
        print(f"{name:<22} {row['updates_per_s']:>7} updates/s  registrations {row['registration']}/{citizens}  "
              f"messages per chat {row['messages_per_chat']}  redeliveries {row['redeliveries']}  "
              f"500s {row['messenger_500s']} 429s {row['messenger_429s']} (over the rate "
              f"{row['429s_for_going_over_the_rate']}, requests during a pause {row['requests_during_a_429_pause']}"
              f" at {row['their_ms_after_the_429']} ms; the fake's loop up to {row['fake_loop_lag_ms_max']} ms late)"
              f"  answers twice {row['answers_sent_twice']}  CPU s {row['cpu_seconds']}  "
              f"→ {verdict(row)}", flush=True)
    save("faults", results)
    return results


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100))
