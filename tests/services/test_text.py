"""Folding for matching: what a person types with or without tones, decomposed or not, finds the same thing."""

from __future__ import annotations

import random
import unicodedata

import pytest
import vn_text

from bot.services.values import text
from bot.services.values.text import clean, fold

VIETNAMESE = "ăâđêôơưáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵĐĂÂÊÔƠƯ"
LATIN = [chr(c) for low, high in text._LATIN for c in range(low, high + 1)]


def _library(text: str) -> str:
    """The definition ``fold`` keeps to: vn_text's key of the cleaned text."""
    return " ".join(vn_text.fold(clean(text)).split())


@pytest.mark.parametrize(("typed", "key"), [
    ("Nguyễn Thị Ánh Tuyết", "nguyen thi anh tuyet"),
    ("nguyen   thi anh\u00a0tuyet", "nguyen thi anh tuyet"),
    (unicodedata.normalize("NFD", "Đồng ý"), "dong y"),  # typed on a keyboard that sends the tones apart
    ("Phường\u00adBa Đình", "phuongba dinh"),  # an invisible soft hyphen is not a space
    ("Cán bộ, nhân viên y tế!", "can bo nhan vien y te"),
    ("ΟΔΟΣ Σοφίας", "οδος σοφιας"),  # another script: its own rules (a final sigma)
    ("東京 Tokyo", "東京 tokyo"),
])
def test_typed_text_folds_to_its_matching_key(typed: str, key: str) -> None:
    assert fold(typed) == key


def test_every_latin_character_folds_as_the_library_says() -> None:
    assert [c for c in LATIN if fold(c) != _library(c)] == []


def test_mixed_text_folds_as_the_library_says() -> None:
    """Random strings of Latin letters, Vietnamese letters whole and decomposed, marks, spaces and punctuation
    (seeded: the same strings on every run)."""
    pool = LATIN + list(VIETNAMESE) * 20 + list(unicodedata.normalize("NFD", VIETNAMESE)) * 20 + list(
        "ab ,.-\u00ad\u00a0\t") * 20
    draw = random.Random(14)
    texts = ["".join(draw.choice(pool) for _ in range(draw.randint(0, 14))) for _ in range(50_000)]
    assert [t for t in texts if fold(t) != _library(t)] == []
