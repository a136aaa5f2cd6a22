"""docker-compose.yml cannot run here (no image registry): Docker Compose's own parser reads it (`docker-compose
config`, no daemon needed) and it is checked against what `sskdt run` accepts, so that it does not drift from the
code (a variable renamed, a port moved)."""

from __future__ import annotations

import re
import shutil
import subprocess
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


def _compose_config(tmp_path: Path, *also: str, **values: str) -> subprocess.CompletedProcess[str]:
    """`docker-compose config` with deploy/env.example filled in as the README says (``values`` over it, a
    commented line of it taken when given), the files ``also`` over docker-compose.yml."""
    example = (ROOT / "deploy" / "env.example").read_text(encoding="utf-8")
    filled = {"POSTGRES_PASSWORD": "a-long-secret", "SSKDT_SMS_URL": "https://sms.example.vn/send", **values}
    lines = []
    for line in example.splitlines():
        name = line.removeprefix("# ").partition("=")[0]
        lines.append(f"{name}={filled[name]}" if name in filled and "=" in line else line)
    env_file = tmp_path / ".env"
    env_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    compose = shutil.which("docker-compose")
    assert compose, "docker-compose is missing: run scripts/test-services.sh"
    files = [arg for name in ("docker-compose.yml", *also) for arg in ("-f", str(ROOT / name))]
    return subprocess.run([compose, "--project-directory", str(ROOT), "--env-file", str(env_file), *files, "config"],
                          capture_output=True, text=True, timeout=60, check=False)


def _published(port: dict[str, Any] | str) -> tuple[str, int]:
    """(address, port) of a published port as compose prints it: long form, or "ip:published:target/tcp"."""
    if isinstance(port, dict):
        return str(port.get("host_ip", "0.0.0.0")), int(port["published"])
    address, published, _ = port.rsplit(":", 2)
    return address, int(published)


def test_docker_compose_reads_the_file_as_the_readme_fills_it(tmp_path: Path) -> None:
    done = _compose_config(tmp_path)
    assert done.returncode == 0, done.stderr
    services = yaml.safe_load(done.stdout)["services"]
    assert set(services) == {"db", "bot-a", "bot-b", "proxy"}
    for name in NODES:
        environment = services[name]["environment"]
        assert environment["SSKDT_PUBLIC_URL"] == "https://tiemchung.example.gov.vn"
        assert environment["SSKDT_DATABASE_URL"] == "postgresql://sskdt:a-long-secret@db:5432/sskdt"
        assert services[name]["command"] == ["sskdt", "run", "--workers", "2"]
    published = {(name, *_published(port)) for name in services for port in services[name].get("ports", [])}
    # The proxy's to the world; the nodes', their metrics and the database to nobody.
    assert published == {("proxy", "0.0.0.0", 80), ("proxy", "0.0.0.0", 443)}


def test_the_database_is_published_on_the_private_address_a_third_node_is_given(tmp_path: Path) -> None:
    """As the README says for a node on another machine: the address in .env, the second file with the first."""
    done = _compose_config(tmp_path, "deploy/publish-db.yml", SSKDT_DB_PUBLISH="10.0.0.5")
    assert done.returncode == 0, done.stderr
    (port,) = yaml.safe_load(done.stdout)["services"]["db"]["ports"]
    assert _published(port) == ("10.0.0.5", 5432)
    missing = _compose_config(tmp_path, "deploy/publish-db.yml")  # never on every address by default
    assert missing.returncode != 0 and "set SSKDT_DB_PUBLISH in .env" in missing.stderr
    example = (ROOT / "deploy" / "env.example").read_text(encoding="utf-8")
    assert "# COMPOSE_FILE=docker-compose.yml:deploy/publish-db.yml" in example


def test_docker_compose_refuses_to_start_without_the_database_password(tmp_path: Path) -> None:
    """An empty password in .env is not a database open to the internal network: compose stops and says which."""
    done = _compose_config(tmp_path, POSTGRES_PASSWORD="")
    assert done.returncode != 0
    assert "set POSTGRES_PASSWORD in .env" in done.stderr
