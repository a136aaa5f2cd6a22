"""Operations: health and readiness for the load balancer, Prometheus metrics on a listener of their own, and
a request id on every response and log line."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text

from bot.app import App
from bot.logs import JsonFormatter, new_request_id, request_id
from tests.helpers import served, until_serving


@pytest.fixture
async def metrics_url(sqlite_app: App) -> AsyncIterator[str]:
    async with served(sqlite_app.metrics_app()) as base:
        yield base


async def test_health_readiness_and_metrics(sqlite_app: App, web_base_url: str, metrics_url: str) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        for path in ("/healthz", "/readyz"):
            async with http.get(web_base_url + path) as response:
                assert response.status == 200
        async with http.get(web_base_url + "/metrics") as response:
            assert response.status == 404  # never on the public listener
        async with http.post(f"{web_base_url}/api/sessions") as response:
            chat_id = (await response.json())["chat_id"]
        for n, words in enumerate(("/start", "/help")):
            async with http.post(f"{web_base_url}/api/chats/{chat_id}/messages",
                                 json={"text": words, "client_id": f"c{n}"}) as response:
                assert response.status == 200
        async with http.get(metrics_url + "/metrics") as response:
            assert response.status == 200
            body = await response.text()
    applied = next(line for line in body.splitlines()
                   if line.startswith('sskdt_updates_total{channel="web",outcome="applied"}'))
    assert float(applied.split()[-1]) >= 2
    assert "sskdt_update_seconds_bucket" in body and "sskdt_outbox_pending" in body and "sskdt_cpu_queue" in body


async def test_readiness_fails_while_the_schema_is_behind_the_code(sqlite_app: App, metrics_url: str) -> None:
    await sqlite_app.store.run(lambda conn: conn.execute(text("UPDATE alembic_version SET version_num = '0009'")))
    async with aiohttp.ClientSession() as http, http.get(metrics_url + "/readyz") as response:
        assert response.status == 503
        assert "run sskdt migrate" in await response.text()


async def test_every_response_carries_a_request_id(web_base_url: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(web_base_url + "/healthz", headers={"X-Request-Id": "lb-4f2a"}) as response:
            assert response.headers["X-Request-Id"] == "lb-4f2a"  # the proxy's, followed through
        async with http.get(web_base_url + "/healthz", headers={"X-Request-Id": "<script> 0912345678"}) as response:
            made = response.headers["X-Request-Id"]
            assert made != "<script> 0912345678" and made.isalnum()  # free text never reaches the logs


def test_json_log_lines_name_their_request() -> None:
    token = request_id.set("-")
    try:
        rid = new_request_id()
        record = logging.LogRecord("bot.engine", logging.WARNING, __file__, 1, "database unreachable: %d events",
                                   (3,), None)
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert line["request_id"] == rid and line["level"] == "WARNING"
    assert line["message"] == "database unreachable: 3 events"


async def test_a_taken_metrics_port_does_not_stop_the_service(tmp_path: Path) -> None:
    """A second `sskdt run` on one machine (or any program on 9464): people are served, metrics are said to be off."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        metrics_port = taken.getsockname()[1]
        with socket.socket() as free:
            free.bind(("127.0.0.1", 0))
            port = free.getsockname()[1]
        env = dict(os.environ, SSKDT_METRICS_ADDR=f"127.0.0.1:{metrics_port}", SSKDT_LOG_LEVEL="WARNING")
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port), "--data-dir", str(tmp_path)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            await until_serving(f"http://127.0.0.1:{port}/healthz", proc)
        finally:
            proc.terminate()
            _, errors = proc.communicate(timeout=30)
    assert "metrics not served" in errors
