"""Text at the boundary: NFC for what people type, NFKC for identifiers, folding for matching."""

from __future__ import annotations

import re
import unicodedata

import vn_text

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2007]+")


def clean(text: str) -> str:
    """NFC, invisible characters removed, runs of (no-break) spaces folded to one, trimmed."""
    text = unicodedata.normalize("NFC", _INVISIBLE.sub("", text))
    return _SPACES.sub(" ", text).strip()


def identifier(text: str) -> str:
    """NFKC (full-width digits become ASCII), spaces, dots and dashes removed, upper case."""
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))
    return re.sub(r"[\s.\-_/]", "", text).upper()


def is_number(text: str) -> bool:
    """ASCII digits only: "³" and "٣" pass ``str.isdigit`` but not ``int``."""
    return text.isascii() and text.isdigit()


def fold(text: str) -> str:
    """Matching key: no tones, đ → d, lower case, single spaces. "Thành" and "Thanh" fold alike."""
    return " ".join(vn_text.fold(clean(text)).split())


def is_person_name(text: str) -> bool:
    """Letters (any script's, with their combining marks), spaces, apostrophes, hyphens and dots."""
    return all(ch.isalpha() or ch in " '-." or unicodedata.category(ch) == "Mn" for ch in text) and any(
        ch.isalpha() for ch in text
    )
