"""Provinces and wards as they are since 1/7/2025 (34 provinces, 3,321 wards), from `vietnam-provinces`.

Search is accent-insensitive, knows the common aliases ("hcm", "sài gòn", "hn"), and looks for a ward only
inside the chosen province, because numbered wards repeat across provinces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from vietnam_provinces import Province, ProvinceCode, Ward, WardCode
from vietnam_provinces import legacy as old

from bot.services.values.text import clean, fold

# Folded alias → province code. The package's search knows none of these.
PROVINCE_ALIASES: dict[str, int] = {
    "hcm": 79, "tphcm": 79, "tp hcm": 79, "hcmc": 79, "sai gon": 79, "saigon": 79, "sg": 79,
    "ho chi minh city": 79, "hn": 1, "ha noi": 1, "hanoi": 1, "tp hn": 1, "dn": 48, "da nang": 48,
    "hp": 31, "hai phong": 31, "ct": 92, "can tho": 92, "hue": 46, "tt hue": 46, "thua thien hue": 46,
}
_UNIT_WORDS = ("thanh pho ", "tinh ", "tp. ", "tp ", "phuong ", "xa ", "dac khu ", "thi tran ", "tt ")


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


@dataclass(frozen=True, slots=True)
class _Names:
    """Places with their folded names split in words, and the first place of each whole name: most people type
    a name whole, answered by one lookup instead of a pass over every ward of the province."""

    entries: tuple[tuple[Place, str, tuple[str, ...]], ...]
    exact: dict[str, Place]

    @classmethod
    def of(cls, places: tuple[tuple[Place, str], ...]) -> _Names:
        exact: dict[str, Place] = {}
        for place, name in places:
            exact.setdefault(name, place)
        return cls(tuple((place, name, tuple(name.split())) for place, name in places), exact)


@cache
def _province_names() -> _Names:
    return _Names.of(_provinces())


@cache
def _ward_names(province_code: int) -> _Names:
    return _Names.of(_wards(province_code))


def _rank(query: str, names: _Names, limit: int) -> list[Place]:
    key = _strip_unit(fold(query))
    if not key:
        return []
    whole = names.exact.get(key)
    if whole is not None:
        return [whole]
    words = key.split()
    scored: list[tuple[int, str, Place]] = []
    for place, name, parts in names.entries:
        if name.startswith(key):
            score = 1
        elif all(any(part.startswith(w) for part in parts) for w in words):
            score = 2
        elif key in name:
            score = 3
        else:
            continue
        scored.append((score, name, place))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [place for _, _, place in scored[:limit]]


def search_provinces(query: str, limit: int = 6) -> list[Place]:
    key = fold(query).replace(".", "").strip()
    if key in PROVINCE_ALIASES:
        return [province(PROVINCE_ALIASES[key])]
    found = _rank(query, _province_names(), limit)
    if not found:
        # A pre-2025 province name ("Bình Dương") still finds the province it became.
        legacy = Province.search_from_legacy(query)
        found = list(dict.fromkeys(province(int(item.province.code)) for item in legacy))[:limit]
    return found


def search_wards(province_code: int, query: str, limit: int = 6) -> list[Place]:
    return _rank(query, _ward_names(province_code), limit)


def example_ward(province_code: int) -> str:
    """A ward of this province to show as an example of what to type (its name without "Phường"/"Xã")."""
    wards = sorted(_wards(province_code), key=lambda entry: entry[0].code)
    if not wards:
        return ""
    for place, _ in wards:  # one whose name was not also a district's: typed bare, it is answered at once
        unit = Ward.from_code(WardCode(place.code)).division_type.value  # "phường", "xã", "đặc khu"
        bare = " ".join(place.name.split()[len(unit.split()):]) or place.name
        was_district = legacy_ward(province_code, f"{_Unit.HUYEN.value} {bare}")
        if was_district is None or was_district.places == (place,):
            return bare
    return wards[0][0].name


@dataclass(frozen=True, slots=True)
class Legacy:
    """A pre-2025 unit a person typed ("Xã Đức Hạnh", "Huyện Bù Gia Mập") and today's units covering it;
    ``origins``, when given, names the old unit behind each place ("Phường 12, Quận Gò Vấp"), so that several
    candidates are told apart."""

    old_name: str
    places: tuple[Place, ...]
    origins: tuple[str, ...] = ()


def _matches(query: str, name: str) -> bool:
    """Same name, folded, unit words aside ("Tỉnh Bình Phước" and "binh phuoc")."""
    return _strip_unit(fold(name)) == _strip_unit(fold(query))


@cache
def _old_provinces(province_code: int) -> tuple[int, ...]:
    """The pre-2025 provinces merged into this one (the province itself when it was not merged)."""
    today_province = Province.from_code(ProvinceCode(province_code))
    return tuple(int(p.code) for p in today_province.get_legacy_sources())


@lru_cache(maxsize=4096)
def _new_wards(old_ward_code: int, province_code: int) -> tuple[Place, ...]:
    return tuple(ward(int(found.ward.code)) for found in Ward.search_from_legacy(code=old_ward_code)
                 if int(found.ward.province_code) == province_code)


# The pre-2025 units of an old province by their bare folded name: (position, name, code) of each, built once.
# A scan folding every old name of a merged province (Hồ Chí Minh City: three) took ~47 ms a question.
OldUnits = dict[str, tuple[tuple[int, str, Any], ...]]


def _index(units: Iterable[Any]) -> OldUnits:
    index: dict[str, list[tuple[int, str, Any]]] = {}
    for position, unit in enumerate(units):
        index.setdefault(_bare(unit.name, unit.division_type.value), []).append((position, unit.name, unit.code))
    return {name: tuple(found) for name, found in index.items()}


@cache
def _old_wards(old_province: int) -> OldUnits:
    return _index(old.Ward.iter_by_province(old.ProvinceCode(old_province)))


@cache
def _old_districts(old_province: int) -> OldUnits:
    return _index(old.District.iter_by_province(old.ProvinceCode(old_province)))


@cache
def _district_prefixes() -> tuple[str, ...]:
    """Districts were abolished on 1/7/2025: a name typed after a district's type ("huyện", "quận", "thị xã",
    from the data) is a pre-2025 district. Told apart before folding ("Quận 1" is a district, "Quán Thánh" a
    ward); typed without diacritics too, except "quan", which is ambiguous. A type that is also a province's
    today ("thành phố") says nothing."""
    today = {p.division_type.value.casefold() for p in Province.iter_all()}
    kinds = {d.division_type.value.casefold() for d in old.District.iter_all()}
    kinds = {k for k in kinds if not any(t.startswith(k) for t in today)}
    prefixes = {k + " " for k in kinds} | {fold(k) + " " for k in kinds if fold(k) != "quan"}
    return tuple(sorted(prefixes))


_OLD_WARD_WORDS = ("xa ", "phuong ", "thi tran ", "tt ")


def _district_name(query: str) -> str | None:
    """The name part of a typed district ("huyện Bù Gia Mập" → "Bù Gia Mập"), or None."""
    text = clean(query).casefold()
    for prefix in _district_prefixes():
        if text.startswith(prefix):
            return text[len(prefix):]
    return None


def _bare(name: str, unit: str) -> str:
    """A unit's name without its type: "Huyện Bù Gia Mập" (type "huyện") → "bu gia map", folded."""
    return fold(" ".join(name.split()[len(unit.split()):]))


def legacy_ward(province_code: int, query: str) -> Legacy | None:
    """A commune, ward or district that existed before 1/7/2025 inside this province, typed by its old name,
    and the wards of today it became (a district became several; two old communes of the same name, all of
    theirs)."""
    district = _district_name(query)
    key = fold(district) if district is not None else _strip_unit(fold(query))
    if not key:
        return None
    names: list[str] = []
    found: list[Place] = []
    for old_province in _old_provinces(province_code):
        if district is None:
            for _, name, code in _old_wards(old_province).get(key, ()):
                names.append(name)
                found.extend(_new_wards(int(code), province_code))
        if not found and not fold(query).startswith(_OLD_WARD_WORDS):
            districts = _old_districts(old_province)
            for _, name, code in sorted(d for k in dict.fromkeys((key, key.removeprefix("quan ")))
                                        for d in districts.get(k, ())):
                names.append(name)
                found.extend(p for w in old.Ward.iter_by_district(code) for p in _new_wards(int(w.code), province_code))
    if not found:
        return None
    return Legacy(", ".join(dict.fromkeys(names)), tuple(dict.fromkeys(found)))


# Abbreviations of unit types as addresses are written: "P.12", "Q. Gò Vấp", "tx Bình Long", "TT Thanh Bình".
# The unit words themselves come from the data's own division types.
_Unit = old.VietNamDivisionType
_ABBREVIATED = (
    (re.compile(r"(?i)\b(?:p|f)\.?\s*(?=\d)"), _Unit.PHUONG), (re.compile(r"(?i)\bp\.\s*"), _Unit.PHUONG),
    (re.compile(r"(?i)\bq\.?\s*(?=\d)"), _Unit.QUAN), (re.compile(r"(?i)\bq\.\s*"), _Unit.QUAN),
    (re.compile(r"(?i)\btx\.?\s+"), _Unit.THI_XA), (re.compile(r"(?i)\btt\.?\s+"), _Unit.THI_TRAN),
    (re.compile(r"(?i)\bh\.\s*"), _Unit.HUYEN), (re.compile(r"(?i)\bx\.\s*"), _Unit.XA),
)
_DISTRICT_WORDS = sorted({w for u in (_Unit.QUAN, _Unit.HUYEN, _Unit.THI_XA) for w in (u.value, fold(u.value))})
_DISTRICT_INSIDE = re.compile(r"(?i)\s(?=(?:" + "|".join(map(re.escape, _DISTRICT_WORDS)) + r")\s)")


def _expanded(text: str) -> str:
    for pattern, words in _ABBREVIATED:
        text = pattern.sub(words.value + " ", text)
    return " ".join(text.split())


def _parts(province_code: int, query: str) -> tuple[str, str | None]:
    """(the ward, the old district or None) of an address typed in one line, in either order, with or without
    commas, the province ("TP HCM", "Bình Phước") left out."""
    text = _expanded(query)
    pieces = [p.strip() for p in text.split(",") if p.strip()]
    if len(pieces) == 1:
        pieces = [p.strip() for p in _DISTRICT_INSIDE.split(pieces[0]) if p.strip()]
    pieces = [p for p in pieces if not _is_this_province(province_code, p)] or pieces[:1]
    if len(pieces) < 2:
        return pieces[0] if pieces else "", None
    districts = [p for p in pieces if _district_name(p) is not None]
    if districts:
        ward_part = next(p for p in pieces if p not in districts)
        return ward_part, districts[0]
    return pieces[0], pieces[1]  # "xa binh thang, bu gia map": the ward, then the district


def _is_this_province(province_code: int, text: str) -> bool:
    key = fold(text).replace(".", "").strip()
    if PROVINCE_ALIASES.get(key) == province_code or key in ("tp", "thanh pho"):
        return True
    found = _rank(text, _province_names(), 1)
    if found and found[0].code == province_code and _strip_unit(fold(text)) == _strip_unit(fold(found[0].name)):
        return True
    legacy = legacy_province(text)
    return legacy is not None and legacy.places[0].code == province_code


@cache
def _old_district_name(code: int) -> str:
    return str(old.District.from_code(old.DistrictCode(code)).name)


def _in_old_district(province_code: int, ward_text: str, district_text: str) -> Legacy | None:
    """A pre-2025 commune or ward named inside its pre-2025 district, and the ward of today it became."""
    district = _district_name(district_text)
    district_key = fold(district) if district is not None else _strip_unit(fold(district_text))
    ward_key = _strip_unit(fold(ward_text))
    names, origins, found = [], [], []
    for old_province in _old_provinces(province_code):
        districts = _old_districts(old_province)
        for _, district_full, code in (d for k in dict.fromkeys((district_key, district_key.removeprefix("quan ")))
                                       for d in districts.get(k, ())):
            for unit in old.Ward.iter_by_district(code):
                if _bare(unit.name, unit.division_type.value) == ward_key:
                    for place in _new_wards(int(unit.code), province_code):
                        names.append(f"{unit.name}, {district_full}")
                        origins.append(f"{unit.name}, {district_full}")
                        found.append(place)
    if not found:
        return None
    return Legacy(", ".join(dict.fromkeys(names)), tuple(found), tuple(origins))


def _with_districts(province_code: int, legacy: Legacy, key: str) -> Legacy:
    """Several of today's wards for one old name ("Phường 12"): each with the old district it was in."""
    origins: list[str] = []
    places: list[Place] = []
    for old_province in _old_provinces(province_code):
        for _, name, code in _old_wards(old_province).get(key, ()):
            unit = old.Ward.from_code(old.WardCode(int(code)))
            for place in _new_wards(int(code), province_code):
                places.append(place)
                origins.append(f"{name}, {_old_district_name(int(unit.district_code))}")
    if len(places) < 2:
        return legacy
    return Legacy(legacy.old_name, tuple(places), tuple(origins))


def find_wards(province_code: int, query: str, limit: int = 6) -> tuple[list[Place], Legacy | None]:
    """Today's wards matching what was typed; a pre-2025 ward named with its old district ("Phường 12, Quận Gò
    Vấp", "xa binh thang, bu gia map", "P.12 Q. Gò Vấp") finds the one ward it became; failing that (or for a
    district, which no longer exists), the wards a pre-2025 unit of that name became, each with its old
    district when there are several; a name that is a ward today and was a district too asks which is meant."""
    ward_text, district_text = _parts(province_code, query)
    if district_text is not None:
        within = _in_old_district(province_code, ward_text, district_text)
        if within is not None:
            return list(dict.fromkeys(within.places)), within
    if "," in query or district_text is None:  # without a comma a split may be wrong ("phuong quan thanh")
        query = ward_text or query
    if _district_name(query) is None:
        current = search_wards(province_code, query, limit)
        if current:
            bare = _strip_unit(fold(query)) == fold(query)  # "Gò Vấp", not "Phường Gò Vấp"
            also = legacy_ward(province_code, f"{_Unit.HUYEN.value} {query}") if len(current) == 1 and bare else None
            if also is not None and also.places != (current[0],):  # "Gò Vấp": the ward today, or the district?
                others = [p for p in also.places if p != current[0]]
                return [current[0], *others], Legacy(also.old_name, (current[0], *others),
                                                     ("", *(also.old_name for _ in others)))
            return current, None
    legacy = legacy_ward(province_code, query)
    if legacy is None:
        return [], None
    if len(legacy.places) > 1 and _district_name(query) is None:
        legacy = _with_districts(province_code, legacy, _strip_unit(fold(query)))
    return list(legacy.places), legacy


@lru_cache(maxsize=1024)
def legacy_province(query: str) -> Legacy | None:
    """A province as it was named before 1/7/2025 ("Bình Phước"), and the province it is part of now.

    Today's names and the aliases are answered without the (slow) legacy search."""
    key = _strip_unit(fold(query))
    if not key or fold(query).replace(".", "").strip() in PROVINCE_ALIASES or _rank(query, _province_names(), 1):
        return None
    for item in Province.search_from_legacy(query):
        source = old.Province.from_code(old.ProvinceCode(item.source_code))
        if _matches(query, source.name):
            return Legacy(source.name, (province(int(item.province.code)),))
    return None


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


def ward_name(code: int) -> str:
    """The ward's name, or its code when the code is not one (a row written before a change of the list)."""
    try:
        return ward(code).name
    except (ValueError, KeyError):
        return str(code)


def is_province(code: int) -> bool:
    return any(p.code == code for p, _ in _provinces())


def is_ward_of(code: int, province_code: int) -> bool:
    """A ward code that exists and lies in the province (a pressed button may be stale or forged)."""
    try:
        return ward_province(code) == province_code
    except (ValueError, KeyError):
        return False
