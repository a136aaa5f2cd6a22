"""The real server as a subprocess: killed with SIGKILL mid-registration, restarted, nothing lost.

The server's own log output (at DEBUG) is checked too: no password, ID number or health answer in it.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.services.values.dates import dmy, today
from handlers.registration import DETAILS
from tests.helpers import free_port
from tests.scripts import PASSWORD, Button, as_body, details, history, in_order, registration_bodies

CCCD = "001090123456"
AGENT = "penicillin-xyz"


class Server:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.log = data_dir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.env: dict[str, str] = {}  # more settings (a node of a deployment: its database, key, secret)
        self._browsers: dict[str, tuple[urllib.request.OpenerDirector, str]] = {}

    def start(self) -> None:
        env = dict(os.environ, SSKDT_ARGON2_MEMORY_KIB="1024", SSKDT_ARGON2_TIME_COST="1", SSKDT_LOG_LEVEL="DEBUG",
                   SSKDT_RATE_PER_CHAT="1000", SSKDT_RATE_PER_ADDRESS="1000")  # a scripted client is fast
        env.update(self.env)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--port", str(self.port), "--data-dir", str(self.data_dir)],
                stdout=out, stderr=subprocess.STDOUT, env=env,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)  # waiting for the port to open, not for an outcome
        raise AssertionError("server did not start: " + self.log.read_text())

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def browser(self, name: str) -> tuple[urllib.request.OpenerDirector, str]:
        """A client with its own cookie jar and the chat the server issued it (kept across restarts)."""
        if name not in self._browsers:
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
            request = urllib.request.Request(f"http://127.0.0.1:{self.port}/api/sessions", data=b"", method="POST")
            with opener.open(request, timeout=30) as response:
                self._browsers[name] = (opener, str(json.load(response)["chat_id"]))
        return self._browsers[name]

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/api/chats/{self.browser(name)[1]}/messages"

    def sign_up(self, chat: str, name: str, phone: str) -> None:
        """Through the API, with the SMS code read where a developer reads it: the console (this server's log)."""
        for body in ({"text": "/start"}, {"button": "signup"}, {"text": name}):
            self.send(chat, body)
        before = len(self._codes(phone))
        self.send(chat, {"text": phone})
        deadline = time.monotonic() + 30
        while len(codes := self._codes(phone)) == before:  # the SMS goes out after the commit, from the outbox
            assert time.monotonic() < deadline, "no SMS code printed: " + self.log.read_text(errors="replace")
            time.sleep(0.05)  # waiting for the line, not for an outcome
        for text in (codes[-1], PASSWORD, PASSWORD):
            self.send(chat, {"text": text})

    def _codes(self, phone: str) -> list[str]:
        """The codes printed for ``phone`` so far (the development SMS sender prints ``[SMS to +84…] text``)."""
        to = re.escape("+84" + phone.removeprefix("0"))
        return re.findall(rf"\[SMS to {to}\] (\d{{6}})\b", self.log.read_text(encoding="utf-8", errors="replace"))

    def send(self, chat: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        opener, _ = self.browser(chat)
        request = urllib.request.Request(
            self.url(chat), data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST",
        )
        with opener.open(request, timeout=30) as response:
            return list(json.load(response)["replies"])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    # A provisioned key, as in production (a development key's QR codes are flagged by `sskdt verify`).
    subprocess.run([sys.executable, "-m", "bot", "keys", "generate", "--data-dir", str(tmp_path),
                    "--issuer", "Sở Y tế (thử nghiệm)"], check=True, capture_output=True, timeout=60)
    srv = Server(tmp_path)
    srv.start()
    yield srv
    srv.stop()


def test_sigkill_mid_registration_then_restart_continues_at_the_same_step(server: Server) -> None:
    chat = "killtest0001"
    person = details(full_name="Bùi Thị Hạnh", birth_date="02/09/1985", sex=Button("F"), id_number="001185123456",
                     occupation="Giáo viên")
    bodies = [as_body(a) for _, a in in_order(person, DETAILS)]
    at_id = [b.get("text") for b in bodies].index("001185123456")
    server.sign_up(chat, "Bùi Thị Hạnh", "0912345678")
    for body in ({"button": "register_self"}, *bodies[:at_id]):
        replies = server.send(chat, body)
    assert "Số CCCD hoặc mã định danh" in replies[-1]["text"]
    server.kill()
    server.start()
    replies = server.send(chat, bodies[at_id])
    assert "Ngày sinh" in replies[-1]["text"]  # the next question: nothing was lost
    for body in registration_bodies(person, history(female=True, q1=Button("yes"), q1_agent=AGENT))[at_id + 1:]:
        replies = server.send(chat, body)
    assert "kiểm tra lại thông tin" in replies[-1]["text"] and "Họ và tên: Bùi Thị Hạnh" in replies[-1]["text"]
    server.stop()
    log = server.log.read_text(encoding="utf-8", errors="replace")
    assert "web chat on http://127.0.0.1" in log  # the log was captured
    for secret in (PASSWORD, "001185123456", AGENT, "Bùi Thị Hạnh", "0912345678"):
        assert secret not in log


def _messages(server: Server, chat: str) -> list[dict[str, Any]]:
    opener, _ = server.browser(chat)
    with opener.open(server.url(chat) + "?after=0", timeout=30) as r:
        return list(json.load(r)["messages"])


def _wait_for(server: Server, chat: str, text: str, deadline_seconds: float = 20) -> list[dict[str, Any]]:
    """Poll the chat until a message with ``text`` arrives (the service pushes on its own schedule)."""
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        found = [m for m in _messages(server, chat) if text in m.get("text", "")]
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"no message with {text!r}: {[m['text'][:60] for m in _messages(server, chat)]}")


def _dose_cli(server: Server, code: str, vaccine: str, days_ago: int = 0) -> None:
    env = dict(os.environ, SSKDT_LOG_LEVEL="WARNING")
    given_on = dmy(today() - timedelta(days=days_ago))
    subprocess.run(
        [sys.executable, "-m", "bot", "dose", "add", "--data-dir", str(server.data_dir), "--booking-code", code,
         "--vaccine", vaccine, "--lot", "LOT-9", "--date", given_on],
        check=True, env=env, capture_output=True, timeout=60,
    )


def test_doses_from_another_process_are_pushed_and_survive_a_kill(server: Server) -> None:
    chat = "dosepush0001"
    person = details(full_name="Trịnh Văn Lâm", birth_date="02/09/1985", id_number="001085123456",
                     occupation="Thợ điện", priority_group=Button("group:7"), preferred_session=Button("afternoon"))
    server.sign_up(chat, "Trịnh Văn Lâm", "0987654321")
    for body in ({"button": "register_self"}, *registration_bodies(person, history())):
        replies = server.send(chat, body)
    for body in ({"button": "ok"}, {"button": "tick"}, {"button": "confirm"}):
        replies = server.send(chat, body)
    code = next(m.group(1) for r in replies if (m := re.search(r"Mã đặt tiêm: (\d{16})", r["text"])))
    _wait_for(server, chat, "Mã QR đăng ký tiêm")

    _dose_cli(server, code, "AstraZeneca", days_ago=60)  # another process, while the service runs (by its name)
    first = _wait_for(server, chat, "ghi nhận mũi 1")
    assert first[0]["image_url"].startswith("/api/media/")
    # Personal data private on disk: the data directory 0700; the database, its WAL and the pictures 0600.
    modes = {p.relative_to(server.data_dir).as_posix(): p.stat().st_mode & 0o777 for p in server.data_dir.rglob("*")
             if p.name != "server.log"}
    assert server.data_dir.stat().st_mode & 0o777 == 0o700
    assert modes["sskdt.db"] == 0o600 and modes.get("sskdt.db-wal", 0o600) == 0o600
    assert [m for m in modes if m.startswith("media/")] and all(
        mode == (0o700 if (server.data_dir / name).is_dir() else 0o600) for name, mode in modes.items()), modes

    server.kill()  # the dose is recorded while nothing runs: the push waits in the outbox
    _dose_cli(server, code, "pfizer")
    server.start()
    second = _wait_for(server, chat, "ghi nhận mũi 2")
    server.stop()
    server.start()
    assert [m["id"] for m in _wait_for(server, chat, "ghi nhận mũi 2")] == [second[0]["id"]]  # once
    picture = f"http://127.0.0.1:{server.port}{second[0]['image_url']}"
    with pytest.raises(urllib.error.HTTPError) as stranger:  # the link alone opens nothing
        urllib.request.urlopen(picture, timeout=30)
    assert stranger.value.code == 404
    with server.browser(chat)[0].open(picture, timeout=30) as r:  # the session it was shown to
        png = r.read()
    path = server.data_dir / "green.png"
    path.write_bytes(png)
    verdict = subprocess.run([sys.executable, "-m", "bot", "verify", "--data-dir", str(server.data_dir), str(path)],
                             capture_output=True, text=True, timeout=60)
    assert verdict.returncode == 0 and "complete" in verdict.stdout and "2/2" in verdict.stdout
