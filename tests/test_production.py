"""Production mode refuses to start until it is ready; development keys say what they are."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import main
from bot.app import signing_key
from bot.config import Settings
from bot.services.certificates import credentials, keys


def _run(data_dir: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> int:
    monkeypatch.setenv("SSKDT_ENV", "production")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return main(["run", "--data-dir", str(data_dir)])


def test_production_refuses_each_missing_piece(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(tmp_path, monkeypatch) == 2
    err = capsys.readouterr().err
    assert "refusing to start in production" in err
    assert "persistent volume" in err  # a temporary directory
    assert "no signing key" in err and "SSKDT_PUBLIC_URL must be the service's https://" in err
    keys.generate(tmp_path / "keys", issuer=keys.DEVELOPMENT_ISSUER)
    assert _run(tmp_path, monkeypatch, SSKDT_PUBLIC_URL="http://bot.example.vn") == 2
    err = capsys.readouterr().err
    assert "development key" in err and "SSKDT_PUBLIC_URL" in err


def test_a_development_key_is_marked_in_the_trust_list_and_at_verify(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    key = signing_key(Settings(data_dir=tmp_path))  # created on a first start in development
    assert keys.is_development(key.certificate)
    listed = keys.trust_list(keys.trusted(tmp_path / "keys"))["keys"]
    assert listed[0]["development"] is True
    from bot.services.certificates import cose

    text = cose.wrap(credentials.CARD, cose.sign(b"\xa0", key.private, key.kid))
    assert main(["verify", "--data-dir", str(tmp_path), text]) == 1
    assert "signed by a development key: not valid at checkpoints" in capsys.readouterr().out
    provisioned = keys.generate(tmp_path / "other", issuer="Sở Y tế tỉnh Đồng Nai")
    assert not keys.is_development(provisioned.certificate)
