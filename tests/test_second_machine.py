"""The README's steps for a node on another machine, run as written (issue 30).

The other machine is a network namespace of its own (its own addresses and ports, reaching this one over a
virtual cable), the way a second server on the station's network reaches the first. On the first machine: node A
(`sskdt run`), PostgreSQL published on the private address (as `SSKDT_DB_PUBLISH` makes Docker do, by a
forwarder to the server this suite uses) and the province's SMS gateway. On the second: the README's block, with
this test's values in its first lines and nothing else changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.channels.test_server_process import Server

ROOT = Path(__file__).resolve().parent.parent
MARK = "<!-- second machine: tests/test_second_machine.py runs this block -->"

pytestmark = pytest.mark.skipif(os.geteuid() != 0 and not os.environ.get("CI"),
                                reason="a network namespace needs root (CI runs as root)")


def readme_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(re.escape(MARK) + r"\n```sh\n(.*?)\n```", text, re.S)
    assert found, "the README's block for a second machine is gone"
    return found.group(1)


def with_values(block: str, values: dict[str, str]) -> str:
    """The block with this machine's values on its variable lines (``NAME=value  # why``); every other line as
    written. Each value must be one the block asks for."""
    asked: set[str] = set()

    def fill(line: str) -> str:
        found = re.match(r"([A-Z_]+)=", line)
        if found and found.group(1) in values:
            asked.add(found.group(1))
            return f"{found.group(1)}={json.dumps(values[found.group(1)])}"
        return line

    filled = "\n".join(fill(line) for line in block.splitlines())
    assert asked == set(values), f"the block no longer asks for {set(values) - asked}"
    return filled


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@contextlib.contextmanager
def second_machine() -> Iterator[tuple[str, str, str]]:
    """A namespace joined to this one by a virtual cable: (its name, this side's address, its address)."""
    n = os.getpid() % 200 + 20
    name, here, there = f"sskdt-m2-{n}", f"vsk{n}a", f"vsk{n}b"
    subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False, timeout=30)  # a run killed
    _ip("netns", "add", name)
    try:
        _ip("link", "add", here, "type", "veth", "peer", "name", there)
        _ip("link", "set", there, "netns", name)
        _ip("addr", "add", f"10.77.{n}.1/24", "dev", here)
        _ip("link", "set", here, "up")
        _ip("-n", name, "addr", "add", f"10.77.{n}.2/24", "dev", there)
        _ip("-n", name, "link", "set", there, "up")
        _ip("-n", name, "link", "set", "lo", "up")
        yield name, f"10.77.{n}.1", f"10.77.{n}.2"
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False, timeout=30)
        subprocess.run(["ip", "link", "del", here], capture_output=True, check=False, timeout=30)


class Forwarder:
    """PostgreSQL published on an address: what Docker's port publishing does, a TCP relay to the server."""

    def __init__(self, address: str, port: int, target: tuple[str, int]) -> None:
        self.loop = asyncio.new_event_loop()
        self.target = target
        self.server = self.loop.run_until_complete(asyncio.start_server(self._relay, address, port))
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def close(self) -> None:
        self.server.close()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


class Gateway(ThreadingHTTPServer):
    """The province's SMS gateway: what it was asked to send."""

    def __init__(self, address: str) -> None:
        self.sent: list[dict[str, Any]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                gateway.sent.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__((address, 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def _wait(check: Any, what: str, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, what
        time.sleep(0.1)  # waiting for a node to come up, not for an outcome
    return found


def _get(url: str, cookie: str = "") -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as refused:
        return refused.code, b""
    except OSError:
        return 0, b""


@pytest.fixture
def deployment(tmp_path: Path, pg_schema_url: str) -> Iterator[dict[str, Any]]:
    """The first machine (node A, the database on its private address, the SMS gateway) and the second's
    working directory (the checkout's .venv, and ./secrets as copied from the first)."""
    mounted = tmp_path / "deploy-secrets"
    subprocess.run([sys.executable, "-m", "bot", "keys", "generate", "--out", str(mounted),
                    "--issuer", "Sở Y tế (thử nghiệm)"], check=True, capture_output=True, timeout=60)
    (mounted / "pepper.key").write_bytes(os.urandom(32))
    with second_machine() as (namespace, here, there):
        forwarder = Forwarder(here, 5432, ("127.0.0.1", 5432))
        gateway = Gateway(here)
        node_a = Server(tmp_path / "node-a")
        node_a.data_dir.mkdir()
        node_a.env = {"SSKDT_DATABASE_URL": pg_schema_url, "SSKDT_METRICS_ADDR": "",
                      "SSKDT_SIGNING_KEY_FILE": str(mounted / "signing-key.pem"),
                      "SSKDT_PEPPER_FILE": str(mounted / "pepper.key")}
        workdir = tmp_path / "machine-2"
        workdir.mkdir()
        (workdir / ".venv").symlink_to(ROOT / ".venv")  # the checkout, `make setup` run
        shutil.copytree(mounted, workdir / "secrets")
        # Production refuses a data directory under /tmp (lost on restart): the node's lives where a server's would.
        data = Path.home() / ".cache" / "sskdt-tests" / f"machine-2-{uuid.uuid4().hex[:8]}"
        values = {
            "DATABASE_URL": pg_schema_url.replace("@127.0.0.1:", f"@{here}:"), "PROXY": here, "SELF": there,
            "PUBLIC_URL": "https://tiemchung.example.gov.vn", "SMS_URL": f"http://{here}:{gateway.server_port}/sms",
            "SMS_TOKEN": "gateway-token", "SECRETS": str(workdir / "etc-sskdt"), "DATA": str(data),
        }
        try:
            node_a.start()
            yield {"namespace": namespace, "here": here, "there": there, "node_a": node_a, "workdir": workdir,
                   "values": values, "gateway": gateway}
        finally:
            node_a.stop()
            gateway.shutdown()
            forwarder.close()
            shutil.rmtree(data, ignore_errors=True)


def _run_block(deployment: dict[str, Any], log: Path) -> subprocess.Popen[bytes]:
    script = with_values(readme_block(), deployment["values"])
    with log.open("ab") as out:
        return subprocess.Popen(["ip", "netns", "exec", deployment["namespace"], "bash", "-euc", script],
                                cwd=deployment["workdir"], stdout=out, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=30)


def test_the_readme_steps_make_a_node_of_the_deployment_on_another_machine(deployment: dict[str, Any]) -> None:
    a: Server = deployment["node_a"]
    log = deployment["workdir"] / "node-b.log"
    node_b = _run_block(deployment, log)
    try:
        ready = f"http://{deployment['there']}:8080/readyz"
        _wait(lambda: _get(ready)[0] == 200 or node_b.poll() is not None, "node B did not come up")
        assert node_b.poll() is None, log.read_text(errors="replace")  # it started in production, not refused
        # It counts itself with node A (1 worker) at once: its share of every limit is the deployment's ÷ 3.
        _wait(lambda: "3 workers share" in log.read_text(errors="replace"), "node B did not count node A's worker")
        secrets = Path(deployment["values"]["SECRETS"])
        assert {p.name: p.stat().st_mode & 0o777 for p in secrets.iterdir()} == {
            "signing-key.pem": 0o400, "signing-cert.pem": 0o400, "pepper.key": 0o400}
        assert (deployment["workdir"] / "node.env").stat().st_mode & 0o777 == 0o600

        # A chat begun on node A is read on node B, behind the proxy (the cookie as the browser sends it).
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        request = urllib.request.Request(f"http://127.0.0.1:{a.port}/api/sessions", data=b"", method="POST")
        with opener.open(request, timeout=30) as response:
            chat = str(json.load(response)["chat_id"])
        a._browsers["second-machine"] = (opener, chat)
        a.send("second-machine", {"text": "/start"})
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        path = f"/api/chats/{chat}/messages?after=0"
        on_a = _get(f"http://127.0.0.1:{a.port}{path}", cookie)
        on_b = _get(f"http://{deployment['there']}:8080{path}", cookie)
        assert on_b[0] == 200 and json.loads(on_b[1])["messages"] == json.loads(on_a[1])["messages"]
        assert json.loads(on_b[1])["messages"]  # the menu node A answered with
        assert _get(f"http://{deployment['there']}:8080{path}")[0] == 404  # without the cookie: nothing
    finally:
        _stop(node_b)


def test_a_node_with_another_secret_refuses_to_start_naming_both(deployment: dict[str, Any]) -> None:
    (deployment["workdir"] / "secrets" / "pepper.key").write_bytes(os.urandom(32))  # not the deployment's
    log = deployment["workdir"] / "node-b.log"
    node_b = _run_block(deployment, log)
    try:
        assert node_b.wait(timeout=60) != 0
    finally:
        _stop(node_b)
    said = log.read_text(errors="replace")
    assert "differs from the deployment's" in said
    assert re.search(r"pepper_check: this node [0-9a-f]{16}…, the deployment [0-9a-f]{16}…", said), said
    assert _get(f"http://{deployment['there']}:8080/readyz")[0] == 0  # nothing listens
