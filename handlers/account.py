"""Accounts: creating one, logging in, a forgotten password, a new phone number.

    signup: full_name → phone → (SMS code) → password → password_again ─ mismatch ─▶ password
                                                                    └ created ─▶ menu (logged in)
    login:  phone → password ─ wrong ─▶ again; after 3, growing waits for this device (or "Quên mật khẩu")
                             └ right ─▶ menu (logged in)
    forgot_password: phone → (SMS code) → password → password_again ─▶ menu (logged in)
    change_phone:    phone → (SMS code) ─▶ the account's number

A number is proven by the code sent to it, or on Telegram by sharing one's own contact (then no code is
asked). Nothing says whether a number has an account before it is proven. Passwords are read from the message,
hashed or verified off the event loop, and never stored in the conversation: "type it again" is checked
against a keyed fingerprint.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.engine.answers import Answer, Go
from bot.engine.context import Ctx
from bot.engine.flow import Ask, Flow, text_of
from bot.engine.types import Choice
from bot.services.people import accounts, budgets, otp, throttle
from bot.services.people.passwords import check_strength
from bot.services.values.errors import Invalid
from bot.services.values.phones import display
from bot.services.values.text import is_person_name
from handlers import names
from handlers.common import phone_answer, wait_until


def person_name(value: str) -> str:
    if not is_person_name(value):
        raise Invalid("person.name_letters")
    return value


# ---- proving a phone number: an SMS code, or one's own contact on Telegram ----------------------------------
CONTACT = "contact"  # the code's answer when a shared own contact proved the number
Proven = Callable[[Ctx, str], Go | None]
SendsTo = Callable[[Ctx, str], bool]


def _send_code(ctx: Ctx, phone: str, purpose: str, *, deliver: bool) -> None:
    # Counted whether or not it is delivered: the budget says nothing about whether the number has an account.
    budgets.spend_sms(ctx.conn, ctx.services.budgets, chat=ctx.state.key, address=ctx.source)
    otp.send(ctx.conn, ctx.services.pepper, phone=phone, purpose=purpose, deliver=deliver,
             text=ctx.t("otp.sms", service=ctx.t("web.title")))
    ctx.pushes_queued()


def proof(purpose: str, prompt: str, proven: Proven, *, sends_to: SendsTo | None = None) -> tuple[Ask[str], Ask[str]]:
    """The two questions that prove a phone number: the number, then the 6 digits of the SMS (or "Gửi lại mã").
    A shared own contact proves it at once and the code is not asked. ``proven`` runs once it is proven.
    ``sends_to`` says whether the SMS really goes out (a forgotten password: only to a number with an account);
    every answer is the same either way."""

    def phone_of(ctx: Ctx) -> str:
        return ctx.get(phone_step) or ""

    def send(ctx: Ctx, phone: str) -> None:
        _send_code(ctx, phone, purpose, deliver=sends_to is None or sends_to(ctx, phone))

    def read_phone(ctx: Ctx, answer: Answer) -> str:
        phone = phone_answer(ctx, answer)
        if answer.contact_phone is not None and answer.contact_is_own:
            ctx.memo("contact_proof", lambda: True)
        else:
            send(ctx, phone)
        return phone

    def read_code(ctx: Ctx, answer: Answer) -> str:
        if answer.payload == "resend":
            send(ctx, phone_of(ctx))
            raise Invalid("otp.resent")
        budgets.try_code(ctx.conn, ctx.services.budgets, chat=ctx.state.key, address=ctx.source)
        otp.check(ctx.conn, ctx.services.pepper, phone=phone_of(ctx), purpose=purpose, code=answer.text or "")
        return "sms"

    def by_contact(ctx: Ctx, _phone: str) -> Go | None:
        if ctx.memo("contact_proof", lambda: False):
            ctx.put(code_step, CONTACT)
            return proven(ctx, CONTACT)
        return None

    code_step: Ask[str] = Ask(f"{purpose}_code", "otp.ask", read_code, keypad="numeric", then=proven,
                              autocomplete="one-time-code",
                              choices=lambda ctx: [Choice(ctx.t("otp.resend"), "resend")],
                              params=lambda ctx: {"phone": display(phone_of(ctx))})
    phone_step: Ask[str] = Ask("phone", prompt, read_phone, contact=True, keypad="tel",
                               dependents=(code_step.name,), then=by_contact)
    return phone_step, code_step


# ---- a new password, typed twice -----------------------------------------------------------------------------


def _fingerprint(ctx: Ctx, answer: Answer) -> str:
    password = check_strength(answer.text or "")
    return ctx.services.passwords.fingerprint(password)


def password_twice(flow: str, prompt: str, done: Callable[[Ctx, str], Go]) -> tuple[Ask[str], Ask[bool]]:
    """"Mật khẩu" and "Nhập lại": the same twice, hashed once (off the DB thread); ``done`` gets the hash."""
    first: Ask[str] = Ask("password", prompt, _fingerprint, secret=True, autocomplete="new-password")

    def same(ctx: Ctx, answer: Answer) -> bool:
        return ctx.services.passwords.matches_fingerprint(ctx.get(first) or "", answer.text or "")

    def then(ctx: Ctx, matches: bool) -> Go:
        if not matches:
            ctx.forget(first.name)
            ctx.say("account.password_mismatch")
            return Go(flow, first.name)
        return done(ctx, ctx.compute("password_hash", ctx.services.passwords.hash, ctx.incoming.text or ""))

    return first, Ask("password_again", "account.ask_password_again", same, secret=True, then=then,
                      autocomplete="new-password")


# ---- sign-up ---------------------------------------------------------------------------------------------------

# The privacy notice's summary comes with the first question of a sign-up (the whole notice: /privacy).
NAME = Ask("full_name", "account.ask_name", text_of(120, check=person_name),
           params=lambda ctx: {"privacy": ctx.t("privacy.short")})


def _taken_is_said_once_proven(ctx: Ctx, _how: str) -> Go | None:
    if accounts.phone_taken(ctx.conn, ctx.get(PHONE) or ""):
        ctx.say("account.phone_taken")
        return Go(names.LOGIN, fresh=True)
    return None


def _create(ctx: Ctx, password_hash: str) -> Go:
    name, phone = ctx.get(NAME) or "", ctx.get(PHONE) or ""
    try:
        account_id = accounts.create(ctx.conn, phone=phone, name=name, password_hash=password_hash, locale=ctx.locale)
    except accounts.PhoneTaken:  # taken since the number was proven
        ctx.say("account.phone_taken")
        return Go(names.LOGIN, fresh=True)
    ctx.log_in(account_id)
    ctx.say("account.created", name=name)
    return ctx.home()


PHONE, SIGNUP_CODE = proof("signup", "account.ask_phone", _taken_is_said_once_proven)
PASSWORD, PASSWORD_AGAIN = password_twice(names.SIGNUP, "account.ask_password", _create)

SIGNUP = Flow(
    names.SIGNUP,
    title="account.title_signup",
    exits=(names.LOGIN,),
    steps=(NAME, PHONE, SIGNUP_CODE, PASSWORD, PASSWORD_AGAIN),
)


# ---- log-in ----------------------------------------------------------------------------------------------------


def _login_phone(ctx: Ctx, answer: Answer) -> str:
    """Any mobile number: whether it has an account is said by nothing until the password, and then only as
    "number or password wrong", the same for both."""
    phone = phone_answer(ctx, answer)
    until = throttle.blocked_until(ctx.conn, phone, ctx.source)
    if until is not None:
        raise wait_until(until)
    return phone


LOGIN_PHONE = Ask("phone", "account.ask_login_phone", _login_phone, contact=True, keypad="tel")


def _check_password(ctx: Ctx, answer: Answer) -> int:
    """The account id once the password is right. An unknown number costs the same hash and gets the same
    answer as a wrong password; failures slow down this (phone, source) only."""
    if answer.payload == FORGOT_BUTTON:
        return FORGOT_CHOSEN
    phone = ctx.get(LOGIN_PHONE) or ""
    until = throttle.blocked_until(ctx.conn, phone, ctx.source)
    if until is not None:
        raise wait_until(until)
    target = accounts.login_target(ctx.conn, phone)
    stored = target.password_hash if target is not None else ctx.services.passwords.decoy
    ok = ctx.compute("password_ok", ctx.services.passwords.verify, stored, answer.text or "")
    if not ok or target is None:
        until = throttle.failed(ctx.conn, phone, ctx.source)
        if until is not None:
            raise wait_until(until)
        raise Invalid("account.wrong_credentials")
    throttle.succeeded(ctx.conn, phone, ctx.source)
    return target.id


FORGOT_BUTTON, FORGOT_CHOSEN = "forgot", 0  # "Quên mật khẩu" at the password: a code instead of waiting


def _logged_in(ctx: Ctx, account_id: int) -> Go:
    if account_id == FORGOT_CHOSEN:  # the number just typed is the one to prove: its code goes out at once
        phone = ctx.get(LOGIN_PHONE) or ""
        ctx.forget("password")
        if not phone:
            return Go(names.FORGOT, fresh=True)
        _send_code(ctx, phone, "reset", deliver=_has_account(ctx, phone))
        return Go(names.FORGOT, RESET_CODE.name)
    account = ctx.log_in(account_id)
    if account is not None:
        ctx.say("account.logged_in", name=account.name)
    return ctx.home()


LOGIN = Flow(
    names.LOGIN,
    title="account.title_login",
    steps=(
        LOGIN_PHONE,
        Ask("password", "account.ask_login_password", _check_password, secret=True, then=_logged_in,
            autocomplete="current-password",
            choices=lambda ctx: [Choice(ctx.t("menu.forgot"), FORGOT_BUTTON)]),
    ),
    exits=(names.FORGOT,),
)


# ---- "Quên mật khẩu": a new password once the number is proven -------------------------------------------------


def _has_account(ctx: Ctx, phone: str) -> bool:
    return accounts.phone_taken(ctx.conn, phone)


def _reset_proven(ctx: Ctx, _how: str) -> Go | None:
    if not _has_account(ctx, ctx.get(RESET_PHONE) or ""):  # a contact (or a code never sent) for no account
        ctx.say("account.no_account_for_contact")
        return ctx.home()
    return None


def _reset(ctx: Ctx, password_hash: str) -> Go:
    phone = ctx.get(RESET_PHONE) or ""
    account_id = accounts.set_password(ctx.conn, phone, password_hash)
    if account_id is None:
        return ctx.home()
    throttle.succeeded(ctx.conn, phone, ctx.source)
    # Whoever knew the old password is out: every other chat and web cookie of the account ends, and is told.
    ended = accounts.end_other_sessions(ctx.conn, account_id, keep=(ctx.incoming.channel, ctx.incoming.chat_id))
    if ended:
        ctx.pushes_queued()
    account = ctx.log_in(account_id)
    ctx.say("account.password_reset", name=account.name if account else "")
    if ended:
        ctx.say("account.other_sessions_ended", count=ended)
    return ctx.home()


# The code goes out only to a number with an account; the answers are the same for any number.
RESET_PHONE, RESET_CODE = proof("reset", "account.ask_reset_phone", _reset_proven, sends_to=_has_account)
NEW_PASSWORD, NEW_PASSWORD_AGAIN = password_twice(names.FORGOT, "account.ask_new_password", _reset)

FORGOT = Flow(
    names.FORGOT,
    title="account.title_forgot",
    steps=(RESET_PHONE, RESET_CODE, NEW_PASSWORD, NEW_PASSWORD_AGAIN),
)


# ---- "Đổi số điện thoại": the new number proven by a code sent to it --------------------------------------------


def _change(ctx: Ctx, _how: str) -> Go:
    """The new number is proven: it becomes the account's (unless another account has it)."""
    if ctx.account_id is None:
        ctx.say("account.login_first")
        return ctx.home()
    phone = ctx.get(CHANGE_PHONE) or ""
    if not accounts.change_phone(ctx.conn, ctx.account_id, phone):
        ctx.say("account.phone_in_use")
    else:
        ctx.account_changed()
        ctx.say("account.phone_changed", phone=display(phone))
    return ctx.home()


CHANGE_PHONE, CHANGE_CODE = proof("change", "account.ask_new_phone", _change)

CHANGE = Flow(
    names.CHANGE_PHONE,
    title="account.title_change_phone",
    steps=(CHANGE_PHONE, CHANGE_CODE),
)
