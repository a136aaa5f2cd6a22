"""The parsers on their own: phones, ID documents, insurance, dates, places, text."""

from __future__ import annotations

from datetime import date

import pytest

from bot.services.reference.places import search_provinces, search_wards
from bot.services.values.dates import parse_birth_date, parse_dmy
from bot.services.values.documents import (
    cccd_birth_year,
    cccd_sex,
    guess_id_type,
    insurance_key,
    parse_id_number,
    parse_insurance,
)
from bot.services.values.errors import Invalid
from bot.services.values.phones import parse_mobile
from bot.services.values.text import clean, fold, identifier


@pytest.mark.parametrize(
    "text",
    ["0912345678", "0912 345 678", "0912.345.678", "+84912345678", "84912345678", "0084912345678",
     "０９１２３４５６７８", "+84 (912) 345-678"],
)
def test_phone_forms_people_type(text: str) -> None:
    assert parse_mobile(text) == "+84912345678"


@pytest.mark.parametrize(
    ("text", "key"),
    [("01623456789", "phone.old_format"), ("0123456789", "phone.invalid"), ("12345", "phone.length"),
     ("+12025550100", "phone.not_vietnamese"), ("09x2345678", "phone.not_digits")],
)
def test_phone_errors(text: str, key: str) -> None:
    with pytest.raises(Invalid) as info:
        parse_mobile(text)
    assert info.value.key == key


def test_old_numbers_suggest_the_new_one() -> None:
    with pytest.raises(Invalid) as info:
        parse_mobile("0123 456 7890")
    assert info.value.params == {"suggestion": "0834567890"}


def test_cccd_cross_checks_century_sex_and_year() -> None:
    born = date(2003, 5, 1)
    assert parse_id_number("cccd", "079 303 123456", sex="F", birth_date=born) == "079303123456"
    with pytest.raises(Invalid, match=r"id\.cccd_says_male") as male:
        parse_id_number("cccd", "079203123456", sex="F", birth_date=born)
    assert male.value.params == {}
    with pytest.raises(Invalid, match=r"id\.cccd_year_mismatch") as year:
        parse_id_number("cccd", "079304123456", sex="F", birth_date=born)
    assert year.value.params == {"cccd_year": 2004, "year": 2003}
    with pytest.raises(Invalid, match=r"id\.cccd_year_mismatch") as century:
        parse_id_number("cccd", "079103123456", sex="F", birth_date=born)  # a woman born in 1903
    assert century.value.params == {"cccd_year": 1903, "year": 2003}


def test_the_shape_of_a_typed_number_tells_the_document() -> None:
    assert [guess_id_type(n) for n in ("079 303 123456", "012345678", "c1234567", "12345", "123/2015")] == [
        "cccd", "cmnd", "passport", None, None,
    ]
    assert (cccd_sex("079303123456"), cccd_birth_year("079303123456")) == ("F", 2003)
    assert parse_id_number("birth_cert", " Số 45,  quyển 02 ", sex=None, birth_date=None) == "Số 45, quyển 02"


def test_other_documents() -> None:
    assert parse_id_number("cmnd", "012345678", sex=None, birth_date=None) == "012345678"
    assert parse_id_number("passport", "c1234567", sex=None, birth_date=None) == "C1234567"
    with pytest.raises(Invalid):
        parse_id_number("passport", "ABCDEFG", sex=None, birth_date=None)


def test_insurance_is_kept_as_on_the_card_and_keys_on_the_ten_digits() -> None:
    assert parse_insurance("dn 479 0123456789") == "DN4790123456789"
    assert insurance_key(parse_insurance("DN4790123456789")) == insurance_key(parse_insurance("0123456789"))
    with pytest.raises(Invalid):
        parse_insurance("DN6790123456789")  # the benefit digit is 1–5


def test_dates() -> None:
    assert parse_dmy("1-7-1990") == parse_dmy("01.07.1990") == date(1990, 7, 1)
    with pytest.raises(Invalid, match=r"date\.no_such_day"):
        parse_dmy("29/02/2023")
    with pytest.raises(Invalid, match=r"date\.birth_future"):
        parse_birth_date("01/01/2999")


def test_province_aliases_and_accents() -> None:
    for query in ("hcm", "TP.HCM", "sài gòn", "Hồ Chí Minh", "ho chi minh"):
        assert [p.code for p in search_provinces(query)] == [79], query
    assert [p.code for p in search_provinces("Bình Dương")] == [79]  # merged in 2025


def test_wards_are_searched_inside_the_province() -> None:
    assert [w.name for w in search_wards(79, "ben thanh")] == ["Phường Bến Thành"]
    assert search_wards(1, "ben thanh") == []


def test_text_normalisation() -> None:
    assert clean("  Nguye\u0302\u0303n\u200b  Văn ") == "Nguyễn Văn"
    assert identifier("０１２ 345.678") == "012345678"
    assert fold("Đặng Thành") == fold("dang  thanh") == "dang thanh"
