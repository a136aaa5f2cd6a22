"""Identity documents (domain §7): CCCD, CMND, passport, and the BHYT health-insurance card."""

from __future__ import annotations

import re
from datetime import date

from bot.services.values.errors import Invalid
from bot.services.values.text import identifier

# "cccd" is the 12-digit personal identification number: on a CCCD card, or a child's "mã định danh cá
# nhân" issued at birth registration (the same number). "birth_cert": a birth certificate's number.
ID_TYPES = ("cccd", "cmnd", "passport", "birth_cert")
BIRTH_CERT_MAX = 20


def guess_id_type(text: str) -> str | None:
    """The document a typed number belongs to, from its shape: 12 digits CCCD, 9 CMND, a letter and 7 digits a
    Vietnamese passport; None when the shape says nothing."""
    value = identifier(text)
    if value.isdigit():
        return {12: "cccd", 9: "cmnd"}.get(len(value))
    if re.fullmatch(r"[A-Z][0-9]{7}", value):
        return "passport"
    return None


def parse_id_number(id_type: str, text: str, *, sex: str | None, birth_date: date | None) -> str:
    """Validate an ID number of the chosen type; a CCCD is cross-checked with sex and birth year."""
    if id_type == "birth_cert":  # kept as written on the certificate ("123/2015", "Số 45, quyển 02")
        written = " ".join(text.split())
        if not any(ch.isdigit() for ch in written):
            raise Invalid("id.birth_cert_format")
        if len(written) > BIRTH_CERT_MAX:
            raise Invalid("id.birth_cert_length", max=BIRTH_CERT_MAX)
        return written
    value = identifier(text)
    if id_type == "cccd":
        if not value.isdigit():
            raise Invalid("id.cccd_digits")
        if len(value) != 12:
            raise Invalid("id.cccd_length", count=len(value))
        check_cccd(value, sex=sex, birth_date=birth_date)
        return value
    if id_type == "cmnd":
        if not value.isdigit() or len(value) not in (9, 12):
            raise Invalid("id.cmnd_format")
        return value
    if id_type == "passport":
        if re.fullmatch(r"[A-Z][0-9]{7}", value) or re.fullmatch(r"(?=.*[0-9])[A-Z0-9]{6,12}", value):
            return value
        raise Invalid("id.passport_format")
    raise Invalid("id.type_unknown")


def cccd_sex(value: str) -> str:
    """Digit 4 is century and sex: even for men, odd for women ("M" / "F")."""
    return "F" if int(value[3]) % 2 else "M"


def cccd_birth_year(value: str) -> int:
    """Digit 4 gives the century (0/1 1900s, 2/3 2000s, …), digits 5–6 the year in it."""
    return 1900 + 100 * (int(value[3]) // 2) + int(value[4:6])


def check_cccd(value: str, *, sex: str | None, birth_date: date | None) -> None:
    """A CCCD agrees with the declared sex and birth year; the error says so in the person's terms."""
    if birth_date is not None and cccd_birth_year(value) != birth_date.year:
        raise Invalid("id.cccd_year_mismatch", cccd_year=cccd_birth_year(value), year=birth_date.year)
    if sex is not None and cccd_sex(value) != sex:
        raise Invalid("id.cccd_says_female" if cccd_sex(value) == "F" else "id.cccd_says_male")


def parse_insurance(text: str) -> str:
    """A BHYT card number as on the card (15 characters) or the 10-digit social-insurance number."""
    value = identifier(text)
    if re.fullmatch(r"[0-9]{10}", value) or re.fullmatch(r"[A-Z]{2}[1-5][0-9]{2}[0-9]{10}", value):
        return value
    raise Invalid("insurance.format")


def insurance_key(number: str) -> str:
    """The 10-digit social-insurance number that keys a card, for matching records."""
    return number[-10:]


def mask(value: str) -> str:
    """Show only the last three characters: enough to recognise, not to copy."""
    return "•" * max(len(value) - 3, 0) + value[-3:]
