"""Two nodes of one deployment (issue 30): two `sskdt run` processes, each with its own data directory, one
PostgreSQL, the same key and secret mounted from files. A registration begun on node A is finished on node B,
and its QR picture is served by either node."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from handlers.registration import DETAILS
from tests.channels.test_server_process import Server, _messages
from tests.scripts import PASSWORD, Button, as_body, details, history, in_order, registration_bodies


class Node(Server):
    """A server whose database, key and secret are the deployment's, not its data directory's."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        super().__init__(data_dir)
        self.env = env


@pytest.fixture
def nodes(tmp_path: Path, pg_schema_url: str) -> Iterator[tuple[Node, Node]]:
    mounted = tmp_path / "secrets"
    subprocess.run([sys.executable, "-m", "bot", "keys", "generate", "--out", str(mounted),
                    "--issuer", "Sở Y tế (thử nghiệm)"], check=True, capture_output=True, timeout=60)
    (mounted / "pepper.key").write_bytes(os.urandom(32))
    env = {"SSKDT_DATABASE_URL": pg_schema_url, "SSKDT_SIGNING_KEY_FILE": str(mounted / "signing-key.pem"),
           "SSKDT_PEPPER_FILE": str(mounted / "pepper.key"), "SSKDT_METRICS_ADDR": ""}
    pair = (Node(tmp_path / "node-a", env), Node(tmp_path / "node-b", env))
    for node in pair:
        node.data_dir.mkdir()
        node.start()
    yield pair
    for node in pair:
        node.stop()


def _share_browser(a: Node, b: Node, name: str) -> None:
    """The same browser (one cookie jar, one chat) talking to either node, as behind a balancing proxy."""
    b._browsers[name] = a.browser(name)


def test_a_registration_begun_on_one_node_is_finished_on_the_other(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    chat = "twonodes0001"
    _share_browser(a, b, chat)
    person = details(full_name="Bùi Thị Hạnh", birth_date="02/09/1985", sex=Button("F"), id_number="001185123456",
                     occupation="Giáo viên")
    # The SMS code is printed by whichever node leads the outbox: read it on both consoles.
    for body in ({"text": "/start"}, {"button": "signup"}, {"text": "Bùi Thị Hạnh"}, {"text": "0912345678"}):
        a.send(chat, body)
    deadline = time.monotonic() + 30
    while not (codes := a._codes("0912345678") + b._codes("0912345678")):
        assert time.monotonic() < deadline, "no SMS code printed"
        time.sleep(0.05)  # waiting for the line, not for an outcome
    for text in (codes[-1], PASSWORD, PASSWORD):
        replies = b.send(chat, {"text": text})  # the sign-up finished on node B
    assert "Tạo tài khoản thành công" in replies[0]["text"]
    bodies = [as_body(answer) for _, answer in in_order(person, DETAILS)]
    half = len(bodies) // 2
    for body in ({"button": "register_self"}, *bodies[:half]):
        a.send(chat, body)  # half the form on node A …
    for body in registration_bodies(person, history(female=True))[half:]:
        replies = b.send(chat, body)  # … the rest on node B
    assert "kiểm tra lại thông tin" in replies[-1]["text"] and "Họ và tên: Bùi Thị Hạnh" in replies[-1]["text"]
    for body in ({"button": "ok"}, {"button": "tick"}, {"button": "confirm"}):
        replies = a.send(chat, body)
    assert "ĐĂNG KÝ THÀNH CÔNG" in replies[0]["text"]

    deadline = time.monotonic() + 30
    while not (pictures := [m for m in _messages(b, chat) if m.get("image_url")]):
        assert time.monotonic() < deadline, "the QR was not pushed"
        time.sleep(0.2)  # the leader's pusher sends it after the commit
    url = pictures[0]["image_url"]
    opener, _ = a.browser(chat)
    served = []
    for node in (a, b):  # the picture made by one node, served by both (a row of the database)
        with opener.open(f"http://127.0.0.1:{node.port}{url}", timeout=30) as response:
            assert response.status == 200 and response.headers["Content-Type"] == "image/png"
            served.append(response.read())
    assert served[0] == served[1] and served[0].startswith(b"\x89PNG")
    assert not list((a.data_dir / "media").glob("*.png")) and not list((b.data_dir / "media").glob("*.png"))
    stranger = urllib.request.build_opener()  # no cookie: nothing, from either node
    for node in (a, b):
        with pytest.raises(urllib.error.HTTPError) as refused:
            stranger.open(f"http://127.0.0.1:{node.port}{url}", timeout=30)
        assert refused.value.code == 404


def test_a_per_address_limit_holds_across_both_nodes(tmp_path: Path, pg_schema_url: str) -> None:
    """2 requests a second per address, a burst of 6, for the deployment: an address sending to both nodes in
    turn gets about 6, not 12 (each node allows its half once it has counted the other)."""
    env = {"SSKDT_DATABASE_URL": pg_schema_url, "SSKDT_METRICS_ADDR": "", "SSKDT_RATE_PER_ADDRESS": "2"}
    pair = (Node(tmp_path / "node-a", env), Node(tmp_path / "node-b", env))
    try:
        for node in pair:
            node.data_dir.mkdir()
            node.start()
        deadline = time.monotonic() + 30
        while not all("2 workers share" in node.log.read_text(errors="replace") for node in pair):
            assert time.monotonic() < deadline, "the nodes did not count each other"
            time.sleep(0.1)  # waiting for the count, not for an outcome
        started, allowed = time.monotonic(), 0
        for n in range(40):
            node = pair[n % 2]
            request = urllib.request.Request(f"http://127.0.0.1:{node.port}/api/sessions", data=b"", method="POST")
            try:
                urllib.request.urlopen(request, timeout=10).close()
                allowed += 1
            except urllib.error.HTTPError as refused:
                assert refused.code == 429 and refused.headers["Retry-After"]
        elapsed = time.monotonic() - started
        assert allowed <= 6 + 2 * elapsed + 1, (allowed, elapsed)  # the deployment's burst and rate, not twice
    finally:
        for node in pair:
            node.stop()


def test_node_a_killed_mid_surge_loses_nothing_and_sends_nothing_twice(pg_schema_url: str) -> None:
    """The fault script's part with two nodes, small: 12 citizens through Telegram's webhook, each update to the
    next node in turn as the proxy balances, redelivered until a 200 (as Telegram does); node A SIGKILLed when 40 %
    are in and never started again. Node B finishes every registration and takes over the outbox: each one once,
    every chat back at the menu, every chat sent the same messages, none twice."""
    import asyncio

    from bench import faults

    async def run() -> tuple[dict[str, Any], int | None, bool]:
        async with faults.TwoNodes() as two:
            row = await faults.surge(two, 12, fault=faults.kill_node_a)
            return row, two.procs[0].returncode, two.procs[1].poll() is None
    row, killed, b_alive = asyncio.run(run())
    assert killed == -signal.SIGKILL and b_alive  # A died mid-surge (at 40 %); B ran to the end
    assert row["account"] == row["person"] == row["registration"] == 12
    assert row["conversations_not_at_the_menu"] == 0
    assert row["answers_sent_twice"] == 0
    assert len(row["messages_per_chat"]) == 1, row["messages_per_chat"]  # the QR pushed to every chat, once
    assert sum(row["redeliveries"].values()) > 0  # the updates node A took with it came again, to B
