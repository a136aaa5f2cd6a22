"""Hourly budgets of what costs money or invites guessing: SMS sent, one-time codes tried.

Each SMS costs the site money, and a one-time code is six digits: one chat from one address once sent 120 SMS to
40 numbers in 48 s, and tried 75 reset codes across 5 accounts in 18 s. So each is counted for the chat, for the
client address (on the web; a messenger's user elsewhere) and, for SMS, for the whole deployment, in fixed hourly
windows kept in the database (every worker counts together). Past a budget the answer says so and when to try
again; when the deployment's SMS budget is 80 % spent, a log line (without any number) and the metric
``sskdt_sms_budget_used_ratio`` say so, for the operator to raise it or look for abuse.

Defaults (``SSKDT_SMS_PER_CHAT_HOUR`` …): 5 SMS a chat (a person needs one or two; the number's own limit is 3 in
15 minutes), 30 an address (a commune station's Wi-Fi, staff helping people sign up), 5,000 for the deployment
(about 4 million đồng an hour at 800 đồng an SMS: a province's busiest hour of sign-ups, not a drain); 20 code
tries a chat and 60 an address (5 tries a code, a few codes).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client import Gauge
from sqlalchemy import Connection, delete

from bot.services.values.dates import utcnow
from bot.services.values.errors import Invalid
from models.db import first, time_param
from models.tables import UsageCounter, table

log = logging.getLogger(__name__)
SMS_USED = Gauge("sskdt_sms_budget_used_ratio", "Share of this hour's SMS budget of the deployment spent",
                 multiprocess_mode="max")
WARN_AT = 0.8
WINDOW = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Budgets:
    sms_per_chat: int = 5
    sms_per_address: int = 30
    sms_per_deployment: int = 5000
    code_tries_per_chat: int = 20
    code_tries_per_address: int = 60


_SPEND = (
    'INSERT INTO usage_counter ("key", window_start, count) VALUES (?, ?, 1) ON CONFLICT ("key") DO UPDATE SET '
    "count = CASE WHEN usage_counter.window_start = excluded.window_start THEN usage_counter.count + 1 ELSE 1 END, "
    "window_start = excluded.window_start RETURNING count"
)
_warned: set[datetime] = set()  # the windows this process has warned about


def _key(kind: str, scope: str, value: str) -> str:
    return hashlib.sha256(f"{kind}\x00{scope}\x00{value}".encode()).hexdigest()


def _window(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


def _minutes_left(now: datetime) -> int:
    return max(1, int((_window(now) + WINDOW - now).total_seconds() // 60) + 1)


def _count(conn: Connection, key: str, window: datetime) -> int:
    row = first(conn, _SPEND, key, time_param(conn, window))
    return int(row[0]) if row else 1


def spend_sms(conn: Connection, budgets: Budgets, *, chat: str, address: str) -> None:
    """One SMS to be sent for this chat and address: counted, or refused (``Invalid``) past a budget."""
    now = utcnow()
    window = _window(now)
    limits = (("chat", chat, budgets.sms_per_chat), ("address", address, budgets.sms_per_address))
    for scope, value, limit in limits:
        if value and _count(conn, _key("sms", scope, value), window) > limit:
            raise Invalid("otp.budget_spent", minutes=_minutes_left(now))
    used = _count(conn, _key("sms", "deployment", ""), window)
    SMS_USED.set(used / max(budgets.sms_per_deployment, 1))
    if used >= WARN_AT * budgets.sms_per_deployment and window not in _warned:
        _warned.add(window)
        log.warning("the deployment's SMS budget for this hour is %d%% spent (SSKDT_SMS_PER_HOUR)", int(WARN_AT * 100))
    if used > budgets.sms_per_deployment:
        raise Invalid("otp.budget_deployment", minutes=_minutes_left(now))


def try_code(conn: Connection, budgets: Budgets, *, chat: str, address: str) -> None:
    """One one-time code typed: counted, or refused past the chat's or the address's budget."""
    now = utcnow()
    window = _window(now)
    for scope, value, limit in (("chat", chat, budgets.code_tries_per_chat),
                                ("address", address, budgets.code_tries_per_address)):
        if value and _count(conn, _key("code", scope, value), window) > limit:
            raise Invalid("otp.tries_spent", minutes=_minutes_left(now))


def forget_old(conn: Connection) -> int:
    """Counters of windows past (housekeeping)."""
    counter = table(UsageCounter)
    return int(conn.execute(delete(counter).where(counter.c.window_start < _window(utcnow()) - WINDOW)).rowcount)
