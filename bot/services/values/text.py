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


_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(text: str) -> str:
    """Without control characters (a NUL no database stores), bidi overrides or lone surrogates."""
    return _UNPRINTABLE.sub("", text)


def identifier(text: str) -> str:
    """NFKC (full-width digits become ASCII), spaces, dots and dashes removed, upper case."""
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))
    return re.sub(r"[\s.\-_/]", "", text).upper()


def is_number(text: str) -> bool:
    """ASCII digits only: "³" and "٣" pass ``str.isdigit`` but not ``int``."""
    return text.isascii() and text.isdigit()


def fold(text: str) -> str:
    """Matching key: no tones, đ → d, lower case, single spaces. "Thành" and "Thanh" fold alike.

    Latin text (Vietnamese included) is folded a character at a time from a table made once: the same key as
    ``vn_text.fold`` of the cleaned text (checked for every character of the table and on mixed strings,
    tests/services/test_text.py), 4–7× faster: every button label and most answers are folded on the database
    thread. Other scripts, whose case or composition can depend on the neighbouring letters, go through
    ``vn_text.fold``."""
    if _OTHER_SCRIPT.search(text) is None:  # NFC changes nothing here but what the table drops (the marks)
        return " ".join(text.translate(_FOLDED).split())
    return " ".join(vn_text.fold(clean(text)).split())


# Basic Latin to Latin Extended-B, the combining diacritics, and Latin Extended Additional (Vietnamese's
# precomposed letters): each character alone folds to its key (a letter or digit, a space, or nothing).
_LATIN = ((0x0000, 0x024F), (0x0300, 0x036F), (0x1E00, 0x1EFF))
_OTHER_SCRIPT = re.compile("[^" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in _LATIN) + "]")


def _fold_char(ch: str) -> str:
    """One character's part of ``vn_text.fold``: "" for a combining mark, " " for punctuation."""
    folded = unicodedata.normalize("NFD", vn_text.strip_stroke(vn_text.deaccent(ch)).lower())
    return "".join(c if c.isalnum() else " " for c in folded if not 0x300 <= ord(c) <= 0x36F)


_FOLDED = {code: _fold_char(chr(code)) for low, high in _LATIN for code in range(low, high + 1)}
_FOLDED[0xAD] = ""  # the soft hyphen is invisible (``clean`` drops it)


def is_person_name(text: str) -> bool:
    """Letters (any script's, with their combining marks), spaces, apostrophes, hyphens and dots."""
    return all(ch.isalpha() or ch in " '-." or unicodedata.category(ch) == "Mn" for ch in text) and any(
        ch.isalpha() for ch in text
    )
