"""Vietnamese mobile numbers: accept what people type, store E.164, explain old 11-digit numbers."""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberType

from bot.services.values.errors import Invalid
from bot.services.values.text import identifier

# The 2018 conversion of 11-digit mobile numbers (01xx → 0xx), per the Ministry's published table.
OLD_PREFIXES: dict[str, str] = {
    "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036", "0167": "037",
    "0168": "038", "0169": "039",
    "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
    "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    "0186": "056", "0188": "058", "0199": "059",
}


def parse_mobile(text: str) -> str:
    """Return the E.164 form of a Vietnamese mobile number or raise :class:`Invalid`."""
    raw = identifier(text).replace("(", "").replace(")", "")
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    elif raw.startswith("84") and len(raw) in (11, 12):
        raw = "+" + raw
    if not raw.lstrip("+").isdigit():
        raise Invalid("phone.not_digits")
    national = "0" + raw[3:] if raw.startswith("+84") else raw
    if len(national) == 11 and national[:4] in OLD_PREFIXES:
        suggestion = OLD_PREFIXES[national[:4]] + national[4:]
        raise Invalid("phone.old_format", suggestion=suggestion)
    if not raw.startswith("+") and len(national) != 10:
        raise Invalid("phone.length")
    try:
        number = phonenumbers.parse(raw, "VN")
    except phonenumbers.NumberParseException as exc:
        raise Invalid("phone.length") from exc
    if number.country_code != 84:
        raise Invalid("phone.not_vietnamese")
    if not phonenumbers.is_valid_number(number):
        raise Invalid("phone.invalid")
    if phonenumbers.number_type(number) not in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise Invalid("phone.not_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display(e164: str) -> str:
    """``+84912345678`` → ``0912 345 678``, the way people read it."""
    national = "0" + e164[3:] if e164.startswith("+84") else e164
    return f"{national[:4]} {national[4:7]} {national[7:]}"

