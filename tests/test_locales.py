"""Every message exists in Vietnamese and English, with the same placeholders, and no Vietnamese in Python."""

from __future__ import annotations

import re
import string
import unicodedata
from pathlib import Path

from bot import i18n

ROOT = Path(__file__).resolve().parent.parent


def _placeholders(value: object) -> set[str]:
    if not isinstance(value, str):
        return set()
    return {name for _, name, _, _ in string.Formatter().parse(value) if name}


def test_both_catalogs_have_the_same_keys_and_placeholders() -> None:
    vi, en = i18n.catalog("vi"), i18n.catalog("en")
    assert set(vi) == set(en)
    for key in vi:
        assert _placeholders(vi[key]) == _placeholders(en[key]), key


def test_vietnamese_catalog_is_nfc_and_has_diacritics() -> None:
    text = (ROOT / "locales" / "vi.toml").read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", text)
    assert "Đăng ký tiêm chủng" in text and "Kiểm tra thông tin và đồng ý tiêm" in text


def test_every_key_used_in_code_exists() -> None:
    keys = set(i18n.catalog("vi"))
    pattern = re.compile(r"""["']((?:common|account|registration|history|consent|summary|records|settings|menu|"""
                         r"""place|phone|id|date|person|family|priority|success|start|help|words|progress|dose"""
                         r"""|insurance|password|web|status|field|session|vaccine)\.[a-z_0-9]+)["']""")
    used = set()
    for path in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/*.py")]:
        used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    missing = {k for k in used if k not in keys and not any(x.startswith(k + ".") for x in keys)}
    assert not missing


def test_no_vietnamese_text_in_python_outside_data_tables() -> None:
    vietnamese = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.IGNORECASE)
    allowed = {"bot/services/registration/sites.py"}  # demo site names and addresses are data
    offenders = []
    for path in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/*.py"), *ROOT.glob("models/*.py")]:
        rel = str(path.relative_to(ROOT))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            stripped = code.strip()
            if rel in allowed or stripped.startswith(('"""', "'''")) or not vietnamese.search(code):
                continue
            offenders.append(f"{rel}:{number}")
    # Docstrings may quote the Vietnamese UI they describe; string literals in code may not.
    assert not [o for o in offenders if not _in_docstring(o)], offenders


def _in_docstring(location: str) -> bool:
    rel, number = location.rsplit(":", 1)
    lines = (ROOT / rel).read_text(encoding="utf-8").splitlines()
    quotes = sum(line.count('"""') for line in lines[: int(number) - 1])
    return quotes % 2 == 1


# The register of a public service: the citizen is "Anh/Chị", the service "hệ thống"; requests say "vui lòng".
FORBIDDEN = {
    "bạn": "address the citizen as Anh/Chị",
    "mình": "the service is \"hệ thống\"",
    "chúng ta": "the service is \"hệ thống\"",
    "nhé": "no \"nhé\" in a public service's messages",
    "nha": "no \"nha\" in a public service's messages",
    "bạn hãy": "use \"vui lòng\"",
}
# Lists of what people type (not what the service says) may hold any word.
TYPED_WORDS = ("words.", "answers.", "ethnicity.")


def test_the_vietnamese_catalog_keeps_a_public_services_register() -> None:
    offenders = []
    for key, value in i18n.catalog("vi").items():
        if key.startswith(TYPED_WORDS) or not isinstance(value, str):
            continue
        for word, why in FORBIDDEN.items():
            if re.search(rf"(?<!\w){word}(?!\w)", value, flags=re.IGNORECASE):
                offenders.append(f"{key}: {word!r} ({why})")
    assert not offenders, offenders


def test_requests_in_errors_are_polite_and_name_the_citizen_as_anh_chi() -> None:
    vi = i18n.catalog("vi")
    requests = [k for k, v in vi.items() if isinstance(v, str) and re.search(r"(?<!\w)(hãy|vui lòng)(?!\w)", v)]
    assert requests and all("vui lòng" in vi[k].lower() for k in requests), requests
    assert sum("Anh/Chị" in v for v in vi.values() if isinstance(v, str)) >= 30
