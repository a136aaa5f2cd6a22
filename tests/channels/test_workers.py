"""`sskdt run --workers 2` on PostgreSQL: two processes behind one port take Telegram's webhook, a repeated update
is applied once whichever worker gets it, a worker killed mid-service is started again, and the metrics add up
both workers' counts."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.__main__ import main
from bot.config import Settings
from bot.workers import refusal
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import free_port, until

SECRET = "workers-webhook-secret"


def _workers(supervisor: int) -> set[int]:
    found = subprocess.run(["pgrep", "-P", str(supervisor)], capture_output=True, text=True, check=False).stdout
    return {int(pid) for pid in found.split()}


def test_more_than_one_worker_needs_postgresql_and_webhooks(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                            ) -> None:
    assert main(["run", "--workers", "2", "--data-dir", str(tmp_path)]) == 2
    assert "needs PostgreSQL" in capsys.readouterr().err
    polled = Settings(data_dir=tmp_path, database_url="postgresql://u@db/x", telegram_token="1:x")
    assert "needs webhooks: Telegram" in (refusal(polled, 2) or "")
    assert refusal(polled, 1) is None  # one worker may poll


async def test_two_workers_apply_each_update_once_and_survive_a_kill(tmp_path: Path, pg_schema_url: str) -> None:
    fake = FakeTelegram()
    await fake.start()
    port, metrics = free_port(), free_port()
    env = dict(os.environ, SSKDT_DATABASE_URL=pg_schema_url, SSKDT_TELEGRAM_TOKEN=fake.token,
               SSKDT_TELEGRAM_API_URL=fake.base_url, SSKDT_TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/webhook",
               SSKDT_TELEGRAM_WEBHOOK_SECRET=SECRET, SSKDT_METRICS_ADDR=f"127.0.0.1:{metrics}",
               SSKDT_ARGON2_MEMORY_KIB="1024", SSKDT_ARGON2_TIME_COST="1", SSKDT_LOG_LEVEL="WARNING")
    log = tmp_path / "supervisor.log"
    supervisor = subprocess.Popen([sys.executable, "-m", "bot", "run", "--workers", "2", "--port", str(port),
                                   "--data-dir", str(tmp_path)], env=env, stderr=log.open("wb"))
    try:
        async with aiohttp.ClientSession() as http:
            async def ready() -> bool:
                assert supervisor.poll() is None, "the supervisor exited"
                try:
                    async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                        return response.status == 200 and fake.webhook is not None
                except aiohttp.ClientError:
                    return False

            await until(ready, "the workers to serve")
            await until(lambda: len(_workers(supervisor.pid)) == 2, "two workers")

            async def each_twice(chats: range) -> None:
                for chat in chats:  # Telegram retrying an update while the first delivery is still being handled
                    update, _ = await fake.deliver(fake.text(chat, "/start"))
                    again = {k: v for k, v in update.items() if k != "update_id"}
                    await asyncio.gather(*(fake.deliver(again, update_id=update["update_id"]) for _ in range(2)))

            await each_twice(range(9000, 9020))
            assert all(len(fake.sent[chat]) == 1 for chat in range(9000, 9020))  # one answer each, not two or three

            # Both started at once and both registered the webhook: neither failed doing so.
            assert "exited" not in log.read_text(), log.read_text()
            victim = min(_workers(supervisor.pid))
            os.kill(victim, signal.SIGKILL)
            await until(lambda: victim not in _workers(supervisor.pid) and len(_workers(supervisor.pid)) == 2,
                         "the killed worker to be started again")
            await until(ready, "the workers to serve again")
            await each_twice(range(9100, 9110))
            assert all(len(fake.sent[chat]) == 1 for chat in range(9100, 9110))

            async def counted() -> bool:
                try:
                    async with http.get(f"http://127.0.0.1:{metrics}/metrics") as response:
                        body = await response.text()
                except aiohttp.ClientError:
                    return False
                applied = [float(line.split()[-1]) for line in body.splitlines()
                           if line.startswith('sskdt_updates_total{channel="telegram",outcome="applied"}')]
                return sum(applied) >= 30  # both workers' (and the killed one's) counts, added up

            await until(counted, "the metrics of both workers")
    finally:
        supervisor.terminate()
        supervisor.wait(timeout=30)
        await fake.stop()
    assert not _workers(supervisor.pid)  # stopping the supervisor stops its workers
