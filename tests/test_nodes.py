"""Beyond one machine (issue 30): every node of a deployment signs with one key and keeps one secret, mounted from
files; a node with another refuses to start in production, naming both."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from bot.app import build, production_problems, same_deployment
from bot.config import Settings
from bot.services.certificates import keys
from bot.services.values.dates import FixedClock, now, use_clock
from tests.conftest import cheap_settings


def _mounted(tmp_path: Path) -> tuple[Path, Path]:
    """The key pair and the secret as a deployment mounts them read-only on every node."""
    secrets_dir = tmp_path / "mounted"
    keys.generate(secrets_dir, issuer="Sở Y tế (test)")
    pepper = secrets_dir / "pepper.key"
    pepper.write_bytes(os.urandom(32))
    for path in secrets_dir.iterdir():
        path.chmod(0o400)
    return secrets_dir / keys.KEY_FILE, pepper


def _node(tmp_path: Path, name: str, database: str, key: Path, pepper: Path) -> Settings:
    settings = cheap_settings(tmp_path / name, database_url=database)
    return settings.model_copy(update={"signing_key_file": str(key), "pepper_file": str(pepper)})


def test_two_nodes_with_the_mounted_key_and_secret_sign_and_name_pictures_alike(tmp_path: Path) -> None:
    key, pepper = _mounted(tmp_path)
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    first, second = (build(_node(tmp_path, name, database, key, pepper)) for name in ("node-a", "node-b"))
    try:
        a, b = first.engine.services, second.engine.services
        assert a.signing_key.kid == b.signing_key.kid and not keys.is_development(a.signing_key.certificate)
        assert a.qr.media.token("URN:UVCI:01:VN:X") == b.qr.media.token("URN:UVCI:01:VN:X")
        assert not (tmp_path / "node-a" / "keys").exists()  # nothing generated beside the mounted files
        assert not (tmp_path / "node-b" / "secrets" / "pepper.key").exists()
    finally:
        first.close()
        second.close()


def test_a_node_with_another_key_refuses_to_start_in_production(tmp_path: Path) -> None:
    key, pepper = _mounted(tmp_path)
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    first = build(_node(tmp_path, "node-a", database, key, pepper))
    try:
        stray = keys.generate(tmp_path / "stray", issuer="Sở Y tế (test)")
        production = first.settings.model_copy(update={"env": "production"})
        with pytest.raises(SystemExit) as refused:
            same_deployment(production, first.store, stray, pepper.read_bytes())
        said = str(refused.value)
        assert keys.fingerprint(stray.certificate)[:16] in said
        assert keys.fingerprint(first.engine.services.signing_key.certificate)[:16] in said
        assert "SSKDT_SIGNING_KEY_FILE" in said
        with pytest.raises(SystemExit, match="pepper_check"):  # the same key, another secret
            same_deployment(production, first.store, first.engine.services.signing_key, os.urandom(32))
    finally:
        first.close()


def test_a_short_secret_file_is_refused_with_how_to_make_one(tmp_path: Path) -> None:
    key, _ = _mounted(tmp_path)
    short = tmp_path / "short.key"
    short.write_bytes(b"0123")
    with pytest.raises(SystemExit, match="head -c 32 /dev/urandom"):
        build(_node(tmp_path, "node-a", f"sqlite:///{tmp_path / 's.db'}", key, short))


def test_on_postgresql_a_picture_and_a_file_made_by_one_node_are_served_by_another(
        tmp_path: Path, pg_schema_url: str) -> None:
    key, pepper = _mounted(tmp_path)
    first, second = (build(_node(tmp_path, name, pg_schema_url, key, pepper)) for name in ("node-a", "node-b"))
    try:
        a, b = first.engine.services, second.engine.services
        token = a.qr.media.token("URN:UVCI:01:VN:X")
        a.qr.media.put(token, b"\\x89PNG picture")
        assert b.qr.media.get(token) == b"\\x89PNG picture"  # node B serves node A's picture
        name = a.qr.media.expiring_name(token, timedelta(hours=1))
        assert b.qr.media.get_expiring(name) == b"\\x89PNG picture"  # the same secret: B honours A's link
        assert a.files is not None and b.files is not None
        file_token = a.files.put(b"ma,ten\\n1,An\\n", "xuat.csv", owner="web:chat-1")
        assert b.files.get(file_token, owner_prefix="web:chat-1") == (b"ma,ten\\n1,An\\n", "xuat.csv", "web:chat-1")
        assert b.files.get(file_token, owner_prefix="web:chat-2") is None  # another chat's: nothing
        assert not list((tmp_path / "node-a").glob("media/*")) and not list((tmp_path / "node-a").glob("files/*"))
        previous = use_clock(FixedClock(now() + timedelta(hours=2)))
        try:
            assert b.files.expire() == 1 and a.files.get(file_token, owner_prefix="web:") is None
        finally:
            use_clock(previous)
    finally:
        first.close()
        second.close()


def test_the_key_and_the_secret_given_in_the_environment_are_the_files_own(tmp_path: Path) -> None:
    """Where secrets come as environment variables (a platform's secret store): the key and its certificate as
    PEM text, the secret as hex. A node given them that way is the same deployment as one given the files."""
    key, pepper = _mounted(tmp_path)
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    from_files = build(_node(tmp_path, "node-a", database, key, pepper))
    given = cheap_settings(tmp_path / "node-b", database_url=database).model_copy(update={
        "signing_key": key.read_text(), "signing_cert": key.with_name(keys.CERT_FILE).read_text(),
        "pepper": pepper.read_bytes().hex()})
    from_env = build(given)
    try:
        a, b = from_files.engine.services, from_env.engine.services
        assert a.signing_key.kid == b.signing_key.kid
        assert a.qr.media.token("URN:UVCI:01:VN:X") == b.qr.media.token("URN:UVCI:01:VN:X")
        assert not (tmp_path / "node-b" / "keys").exists() and not (tmp_path / "node-b" / "secrets").exists()
        production = given.model_copy(update={"env": "production", "data_dir": Path("/srv/sskdt"),
                                              "sms_url": "https://sms.example.vn", "public_url": "https://x.vn"})
        assert production_problems(production) == []
    finally:
        from_files.close()
        from_env.close()


def test_secrets_given_wrongly_in_the_environment_are_refused_saying_how(tmp_path: Path) -> None:
    key, pepper = _mounted(tmp_path)
    base = cheap_settings(tmp_path / "node", database_url=f"sqlite:///{tmp_path / 'n.db'}")
    for wrong in ("0123", "not hex at all, but long enough to pass a length check alone"):
        with pytest.raises(SystemExit, match="openssl rand -hex 32"):
            build(base.model_copy(update={"pepper": wrong}))
    with pytest.raises(SystemExit, match="both set: keep one"):
        build(base.model_copy(update={"pepper": os.urandom(32).hex(), "pepper_file": str(pepper)}))
    other = keys.generate(tmp_path / "other", issuer="Sở Y tế (test)")
    production = base.model_copy(update={"env": "production", "data_dir": Path("/srv/sskdt"),
                                         "sms_url": "https://sms.example.vn", "public_url": "https://x.vn"})
    cases = {  # what is given → what production says
        "go together": {"signing_key": key.read_text()},
        "do not belong together": {"signing_key": key.read_text(),
                                   "signing_cert": other.certificate.public_bytes(Encoding.PEM).decode()},
        "both set": {"signing_key": key.read_text(), "signing_cert": "-", "signing_key_file": str(key)},
    }
    for said, given in cases.items():
        problems = production_problems(production.model_copy(update=given))
        assert any(said in problem for problem in problems), (said, problems)
