"""docker-compose.yml cannot run here (no Docker): it is checked against what `sskdt run` accepts instead, so
that it does not drift from the code (a variable renamed, a port moved)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.__main__ import parser
from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8")))


NODES = ("bot-a", "bot-b")


def test_every_variable_given_to_the_bot_is_a_setting() -> None:
    bot = _compose()["services"]["bot-a"]
    known = {f"SSKDT_{name.upper()}" for name in Settings.model_fields}
    given = set(bot["environment"])
    assert given <= known, given - known
    assert bot["environment"]["SSKDT_ENV"] == "production" and bot["environment"]["SSKDT_LOG_FORMAT"] == "json"
    example = (ROOT / "deploy" / "env.example").read_text(encoding="utf-8")
    for needed in re.findall(r"\$\{(\w+):\?", (ROOT / "docker-compose.yml").read_text(encoding="utf-8")):
        assert f"{needed}=" in example, f"{needed} is required by the compose file but not in deploy/env.example"


def test_the_command_and_ports_match_sskdt_run() -> None:
    services = _compose()["services"]
    bot = services["bot-a"]
    args = parser().parse_args(bot["command"][1:])
    assert args.command == "run" and args.workers == 2
    port = bot["environment"]["SSKDT_PORT"]
    metrics_port = bot["environment"]["SSKDT_METRICS_ADDR"].rpartition(":")[2]
    assert set(bot["expose"]) == {port, metrics_port}
    assert "ports" not in bot  # only the proxy is reachable from outside; metrics never
    assert f"reverse_proxy bot-a:{port} bot-b:{port}" in (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    assert f"EXPOSE {port}" in (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert f"127.0.0.1:{port}/readyz" in " ".join(bot["healthcheck"]["test"])
    proxy_address = services["proxy"]["networks"]["internal"]["ipv4_address"]
    assert bot["environment"]["SSKDT_TRUSTED_PROXIES"] == proxy_address  # X-Forwarded-For from Caddy only
    assert bot["environment"]["SSKDT_DATABASE_URL"].startswith("postgresql://")  # workers need PostgreSQL


def test_two_nodes_share_one_key_and_secret_and_nothing_else_on_disk() -> None:
    """Each node has its own data volume; the key and the secret are the same read-only files on both."""
    services = _compose()["services"]
    a, b = (services[name] for name in NODES)
    assert a["environment"] == b["environment"] and a["command"] == b["command"]
    assert a["environment"]["SSKDT_PEPPER_FILE"].startswith("/run/secrets/")
    assert a["environment"]["SSKDT_SIGNING_KEY_FILE"].startswith("/run/secrets/")
    data = [next(v for v in node["volumes"] if v.endswith(":/data")) for node in (a, b)]
    assert data[0] != data[1]  # a data directory each
    assert all("./deploy/secrets:/run/secrets:ro" in node["volumes"] for node in (a, b))
    assert set(services["proxy"]["depends_on"]) == set(NODES)
