"""Creating an account (name, phone, password twice) and logging in (phone, password).

    signup: full_name → phone → password → password_again ─ mismatch ─▶ password
                                                          └ created ─▶ menu (logged in)
    login:  phone ─ locked ─▶ (says until when)
            phone → password ─ wrong ×5 ─▶ locked 15 min
                             └ right ─▶ menu (logged in)

Passwords are read from the message, hashed or verified off the event loop, and never stored in the
conversation: "type it again" is checked against a keyed fingerprint that is dropped once the account exists.
"""

from __future__ import annotations

from datetime import datetime

from bot.engine.context import Ctx
from bot.engine.flow import Answer, Ask, Flow, text_of
from bot.services import accounts
from bot.services.dates import to_local
from bot.services.errors import Invalid
from bot.services.passwords import check_strength
from bot.services.text import is_person_name
from handlers.common import phone_answer


def person_name(value: str) -> str:
    if not is_person_name(value):
        raise Invalid("person.name_letters")
    return value


def _new_phone(ctx: Ctx, answer: Answer) -> str:
    phone = phone_answer(ctx, answer)
    if accounts.phone_taken(ctx.conn, phone):
        raise Invalid("account.phone_taken")
    return phone


def _password(ctx: Ctx, answer: Answer) -> str:
    password = check_strength(answer.text or "")
    return ctx.services.passwords.fingerprint(password)


def _password_again(ctx: Ctx, answer: Answer) -> str:
    password = answer.text or ""
    return "same" if ctx.services.passwords.matches_fingerprint(str(ctx.data["password"]), password) else "differs"


def _create(ctx: Ctx, verdict: str) -> None:
    if verdict != "same":
        ctx.data.pop("password", None)
        ctx.say("account.password_mismatch")
        ctx.go("signup", "password")
        return
    passwords = ctx.services.passwords
    password_hash = ctx.compute("password_hash", passwords.hash, ctx.incoming.text or "")
    try:
        account_id = accounts.create(
            ctx.conn, phone=str(ctx.data["phone"]), name=str(ctx.data["full_name"]),
            password_hash=password_hash, locale=ctx.locale,
        )
    except accounts.PhoneTaken:
        ctx.say("account.phone_taken")
        ctx.go("signup", "phone")
        return
    _logged_in(ctx, account_id)
    ctx.say("account.created", name=ctx.data["full_name"])
    ctx.go("menu", fresh=True)


def _logged_in(ctx: Ctx, account_id: int) -> None:
    ctx.state.account_id = account_id
    incoming = ctx.incoming
    accounts.bind_chat(
        ctx.conn, channel=incoming.channel, chat_id=incoming.chat_id, user_id=incoming.user_id,
        account_id=account_id,
    )


SIGNUP = Flow(
    "signup",
    title="account.title_signup",
    steps=(
        Ask("full_name", "account.ask_name", text_of(120, check=person_name)),
        Ask("phone", "account.ask_phone", _new_phone, contact=True),
        Ask("password", "account.ask_password", _password, secret=True),
        Ask("password_again", "account.ask_password_again", _password_again, secret=True, then=_create),
    ),
)


def _locked_message(until: datetime) -> Invalid:
    return Invalid("account.locked", until=to_local(until).strftime("%H:%M %d/%m/%Y"))


def _existing_phone(ctx: Ctx, answer: Answer) -> str:
    phone = phone_answer(ctx, answer)
    target = accounts.login_target(ctx.conn, phone)
    if target is None:
        raise Invalid("account.no_such_phone")
    if target.locked_until is not None:
        raise _locked_message(target.locked_until)
    return phone


def _check_password(ctx: Ctx, answer: Answer) -> int:
    target = accounts.login_target(ctx.conn, str(ctx.data["phone"]))
    if target is None:  # deleted meanwhile
        raise Invalid("account.no_such_phone")
    if target.locked_until is not None:
        raise _locked_message(target.locked_until)
    ok = ctx.compute("password_ok", ctx.services.passwords.verify, target.password_hash, answer.text or "")
    if not ok:
        until = accounts.record_failure(ctx.conn, target.id)
        if until is not None:
            raise _locked_message(until)
        raise Invalid("account.wrong_password")
    accounts.record_success(ctx.conn, target.id)
    return target.id


def _login_done(ctx: Ctx) -> None:
    _logged_in(ctx, int(ctx.data["password"]))
    account = ctx.account()
    if account is not None:
        ctx.state.locale = account.locale
        ctx.say("account.logged_in", name=account.name)
    ctx.go("menu", fresh=True)


LOGIN = Flow(
    "login",
    title="account.title_login",
    steps=(
        Ask("phone", "account.ask_login_phone", _existing_phone, contact=True),
        Ask("password", "account.ask_login_password", _check_password, secret=True),
    ),
    done=_login_done,
)
