"""Button payloads: every kind declared once, read back only as what it was built as."""

from __future__ import annotations

import pytest

from bot.services.values import payloads

KINDS = [v for v in vars(payloads).values() if isinstance(v, payloads.Kind)]


def test_every_kind_has_a_prefix_of_its_own() -> None:
    prefixes = [k.prefix for k in KINDS]
    assert len(prefixes) == len(set(prefixes)) and all(":" not in p and "~" not in p for p in prefixes)


@pytest.mark.parametrize("kind", KINDS, ids=[k.prefix for k in KINDS])
def test_a_payload_reads_back_as_its_kind_only(kind: payloads.Kind) -> None:
    built = kind.make(26743)
    assert kind.value(built) == "26743" and kind.number(built) == 26743
    assert all(other.value(built) is None for other in KINDS if other is not kind)


@pytest.mark.parametrize("payload", ["ward:²", "ward:", "ward:12a", "ward:-1", "ward", None, "wardx:1",
                                     "ward:" + "9" * 40])
def test_what_is_not_a_code_is_no_number(payload: str | None) -> None:
    assert payloads.WARD.number(payload) is None
