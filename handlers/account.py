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
from bot.engine.flow import Answer, Ask, Flow, Go, text_of
from bot.services import accounts, throttle
from bot.services.dates import to_local
from bot.services.errors import Invalid
from bot.services.passwords import check_strength
from bot.services.text import is_person_name
from handlers import names
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


# The privacy notice's summary comes with the first question of a sign-up (the whole notice: /privacy).
NAME = Ask("full_name", "account.ask_name", text_of(120, check=person_name),
           params=lambda ctx: {"privacy": ctx.t("privacy.short")})
PHONE = Ask("phone", "account.ask_phone", _new_phone, contact=True, keypad="tel")
PASSWORD = Ask("password", "account.ask_password", _password, secret=True)


def _password_again(ctx: Ctx, answer: Answer) -> bool:
    return ctx.services.passwords.matches_fingerprint(ctx.get(PASSWORD) or "", answer.text or "")


def _create(ctx: Ctx, same: bool) -> Go:
    if not same:
        ctx.forget(PASSWORD.name)
        ctx.say("account.password_mismatch")
        return Go(names.SIGNUP, PASSWORD.name)
    password_hash = ctx.compute("password_hash", ctx.services.passwords.hash, ctx.incoming.text or "")
    name, phone = ctx.get(NAME) or "", ctx.get(PHONE) or ""
    try:
        account_id = accounts.create(ctx.conn, phone=phone, name=name, password_hash=password_hash, locale=ctx.locale)
    except accounts.PhoneTaken:
        ctx.say("account.phone_taken")
        return Go(names.SIGNUP, PHONE.name)
    ctx.log_in(account_id)
    ctx.say("account.created", name=name)
    return ctx.home()


SIGNUP = Flow(
    names.SIGNUP,
    title="account.title_signup",
    steps=(
        NAME,
        PHONE,
        PASSWORD,
        Ask("password_again", "account.ask_password_again", _password_again, secret=True, then=_create),
    ),
)


def _wait_message(until: datetime) -> Invalid:
    return Invalid("account.wait", until=to_local(until).strftime("%H:%M:%S"))


def _login_phone(ctx: Ctx, answer: Answer) -> str:
    """Any mobile number: whether it has an account is said by nothing until the password, and then only as
    "number or password wrong", the same for both."""
    phone = phone_answer(ctx, answer)
    until = throttle.blocked_until(ctx.conn, phone, ctx.source)
    if until is not None:
        raise _wait_message(until)
    return phone


LOGIN_PHONE = Ask("phone", "account.ask_login_phone", _login_phone, contact=True, keypad="tel")


def _check_password(ctx: Ctx, answer: Answer) -> int:
    """The account id once the password is right. An unknown number costs the same hash and gets the same
    answer as a wrong password; failures slow down this (phone, source) only."""
    phone = ctx.get(LOGIN_PHONE) or ""
    until = throttle.blocked_until(ctx.conn, phone, ctx.source)
    if until is not None:
        raise _wait_message(until)
    target = accounts.login_target(ctx.conn, phone)
    stored = target.password_hash if target is not None else ctx.services.passwords.decoy
    ok = ctx.compute("password_ok", ctx.services.passwords.verify, stored, answer.text or "")
    if not ok or target is None:
        until = throttle.failed(ctx.conn, phone, ctx.source)
        if until is not None:
            raise _wait_message(until)
        raise Invalid("account.wrong_credentials")
    throttle.succeeded(ctx.conn, phone, ctx.source)
    return target.id


def _logged_in(ctx: Ctx, account_id: int) -> Go:
    account = ctx.log_in(account_id)
    if account is not None:
        ctx.say("account.logged_in", name=account.name)
    return ctx.home()


LOGIN = Flow(
    names.LOGIN,
    title="account.title_login",
    steps=(
        LOGIN_PHONE,
        Ask("password", "account.ask_login_password", _check_password, secret=True, then=_logged_in),
    ),
)
