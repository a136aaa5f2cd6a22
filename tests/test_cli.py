"""The administrative commands: sites, staff and the audit log, as an operator runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.__main__ import main
from bot.app import App, build
from tests.conftest import cheap_settings
from tests.helpers import Chat, signup

SITES_CSV = (
    "\ufeffcode,name,province_code,ward_code,address,daily_capacity\n"
    "BP-PN-01,Trạm Y tế xã Phú Nghĩa,75,25267,Thôn 3,150\n"
    "HCM-BT-01,Trạm Y tế phường Bến Thành (mới),79,26743,Số 2 Lê Lợi,300\n"
    "BAD-01,Nowhere,99,1,Somewhere,100\n"
    "BAD-02,Wrong ward,1,26743,Somewhere,100\n"
    ",No code,1,4,Somewhere,100\n"
)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path


def _run(data_dir: Path, *args: str) -> int:
    return main([*args, "--data-dir", str(data_dir)])


def test_sites_import_with_a_bom_reports_bad_rows_and_lists(data_dir: Path, capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    path = data_dir / "sites.csv"
    path.write_text(SITES_CSV, encoding="utf-8")
    _run(data_dir, "demo-seed")
    assert _run(data_dir, "site", "import", str(path)) == 1  # bad rows: reported, the good ones kept
    out = capsys.readouterr().out
    assert "sites added: 1, updated: 1, bad rows: 3" in out
    assert "line 4: no province with code 99" in out and "line 5: ward 26743 is not in province 1" in out
    assert "line 6: missing code" in out
    assert _run(data_dir, "site", "list") == 0
    listed = capsys.readouterr().out
    assert "BP-PN-01     Trạm Y tế xã Phú Nghĩa" in listed and "Bến Thành (mới)" in listed


async def test_staff_add_list_remove_and_the_audit(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app: App = build(cheap_settings(data_dir))
    try:
        chat = Chat(app.engine, "cli-staff")
        await signup(chat, name="Phạm Bến Thành", phone="0901000003")
    finally:
        app.close()
    assert _run(data_dir, "staff", "add", "--phone", "0909999999", "--role", "staff", "--site", "HCM-BT-01") == 1
    assert "no account with this phone number" in capsys.readouterr().err
    assert _run(data_dir, "staff", "add", "--phone", "0901000003", "--role", "staff") == 1
    assert "give --site CODE" in capsys.readouterr().err
    assert _run(data_dir, "staff", "add", "--phone", "0901 000 003", "--role", "staff", "--site", "HCM-BT-01") == 0
    capsys.readouterr()
    assert _run(data_dir, "staff", "list") == 0
    assert "+84901000003   staff    HCM-BT-01    Phạm Bến Thành" in capsys.readouterr().out
    assert _run(data_dir, "audit", "--staff", "0901000003") == 0
    assert "0 entries" in capsys.readouterr().out
    assert _run(data_dir, "staff", "remove", "--phone", "0901000003") == 0
    capsys.readouterr()
    assert _run(data_dir, "staff", "list") == 0
    assert "+84901000003" not in capsys.readouterr().out
