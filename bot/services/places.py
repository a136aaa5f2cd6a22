"""Provinces and wards as they are since 1/7/2025 (34 provinces, 3,321 wards), from `vietnam-provinces`.

Search is accent-insensitive, knows the common aliases ("hcm", "sài gòn", "hn"), and looks for a ward only
inside the chosen province, because numbered wards repeat across provinces.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from vietnam_provinces import Province, ProvinceCode, Ward, WardCode

from bot.services.text import fold

# Folded alias → province code. The package's search knows none of these.
PROVINCE_ALIASES: dict[str, int] = {
    "hcm": 79, "tphcm": 79, "tp hcm": 79, "hcmc": 79, "sai gon": 79, "saigon": 79, "sg": 79,
    "ho chi minh city": 79, "hn": 1, "ha noi": 1, "hanoi": 1, "tp hn": 1, "dn": 48, "da nang": 48,
    "hp": 31, "hai phong": 31, "ct": 92, "can tho": 92, "hue": 46, "tt hue": 46, "thua thien hue": 46,
}
_UNIT_WORDS = ("thanh pho ", "tinh ", "tp. ", "tp ", "phuong ", "xa ", "dac khu ")


@dataclass(frozen=True, slots=True)
class Place:
    code: int
    name: str


def _strip_unit(key: str) -> str:
    for word in _UNIT_WORDS:
        if key.startswith(word):
            return key[len(word):]
    return key


@cache
def _provinces() -> tuple[tuple[Place, str], ...]:
    return tuple((Place(int(p.code), p.name), _strip_unit(fold(p.name))) for p in Province.iter_all())


@cache
def _wards(province_code: int) -> tuple[tuple[Place, str], ...]:
    return tuple(
        (Place(int(w.code), w.name), _strip_unit(fold(w.name)))
        for w in Ward.iter_by_province(ProvinceCode(province_code))
    )


def _rank(query: str, entries: tuple[tuple[Place, str], ...], limit: int) -> list[Place]:
    key = _strip_unit(fold(query))
    if not key:
        return []
    words = key.split()
    scored: list[tuple[int, str, Place]] = []
    for place, name in entries:
        if name == key:
            score = 0
        elif name.startswith(key):
            score = 1
        elif all(any(part.startswith(w) for part in name.split()) for w in words):
            score = 2
        elif key in name:
            score = 3
        else:
            continue
        scored.append((score, name, place))
    scored.sort(key=lambda item: (item[0], item[1]))
    if scored and scored[0][0] == 0:
        return [scored[0][2]]
    return [place for _, _, place in scored[:limit]]


def search_provinces(query: str, limit: int = 6) -> list[Place]:
    key = fold(query).replace(".", "").strip()
    if key in PROVINCE_ALIASES:
        return [province(PROVINCE_ALIASES[key])]
    found = _rank(query, _provinces(), limit)
    if not found:
        # A pre-2025 province name ("Bình Dương") still finds the province it became.
        legacy = Province.search_from_legacy(query)
        found = list(dict.fromkeys(province(int(item.province.code)) for item in legacy))[:limit]
    return found


def search_wards(province_code: int, query: str, limit: int = 6) -> list[Place]:
    return _rank(query, _wards(province_code), limit)


def province(code: int) -> Place:
    return _province(code)


@cache
def _province(code: int) -> Place:
    return next(p for p, _ in _provinces() if p.code == code)


@cache
def ward(code: int) -> Place:
    w = Ward.from_code(WardCode(code))
    return Place(int(w.code), w.name)


def ward_province(code: int) -> int:
    return int(Ward.from_code(WardCode(code)).province_code)


def is_province(code: int) -> bool:
    return any(p.code == code for p, _ in _provinces())


def is_ward_of(code: int, province_code: int) -> bool:
    """A ward code that exists and lies in the province (a pressed button may be stale or forged)."""
    try:
        return ward_province(code) == province_code
    except (ValueError, KeyError):
        return False
