"""What the QR picture and its caption say: the label is always Vietnamese, the caption the chat's language."""

from __future__ import annotations

from bot.services import qr_codes, vaccines
from bot.services.credentials import Issued


def _issued(level: str, doses: int) -> Issued:
    return Issued("id", 1, "hc1", "HC1:x", doses, level, "Nguyễn Văn An")


def test_label_is_vietnamese_with_the_dose_count() -> None:
    assert qr_codes.label(_issued(vaccines.NONE, 0)) == "CHƯA TIÊM"
    assert "1 MŨI" in qr_codes.label(_issued(vaccines.PARTIAL, 1))
    assert qr_codes.label(_issued(vaccines.COMPLETE, 2)).startswith("ĐÃ TIÊM ĐỦ LIỀU")


def test_caption_follows_the_chat_language_and_names_the_person() -> None:
    assert "Nguyễn Văn An" in qr_codes.caption("en", _issued(vaccines.PARTIAL, 1))
    assert qr_codes.caption("en", _issued(vaccines.NONE, 0)) != qr_codes.caption("vi", _issued(vaccines.NONE, 0))
