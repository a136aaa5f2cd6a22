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

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from bot.engine.context import Ctx
from bot.engine.flow import Answer, Ask, Flow, Go, text_of
from bot.engine.types import Choice
from bot.services import accounts, otp, throttle
from bot.services.dates import to_local
from bot.services.errors import Invalid
from bot.services.passwords import check_strength
from bot.services.phones import display
from bot.services.text import is_person_name
from handlers import names
from handlers.common import phone_answer


def person_name(value: str) -> str:
    if not is_person_name(value):
        raise Invalid("person.name_letters")
    return value


# ---- proving a phone number: an SMS code, or one's own contact on Telegram ----------------------------------
SIGNUP_CODE, RESET_CODE = "signup", "reset"
CONTACT = "contact"  # the code step's answer when a shared own contact proved the number


def _send_code(ctx: Ctx, phone: str, purpose: str) -> None:
    otp.send(ctx.conn, ctx.services.pepper, phone=phone, purpose=purpose,
             text=ctx.t("otp.sms", service=ctx.t("web.title")))
    ctx.pushes_queued()


def _proven_by_contact(ctx: Ctx, answer: Answer) -> bool:
    return answer.contact_phone is not None and answer.contact_is_own


def _new_phone(ctx: Ctx, answer: Answer) -> str:
    """Any mobile number: whether it already has an account is said only to whoever proves it is theirs."""
    phone = phone_answer(ctx, answer)
    if not _proven_by_contact(ctx, answer):
        _send_code(ctx, phone, SIGNUP_CODE)
    else:
        ctx.memo("contact_proof", lambda: True)
    return phone


def _code_step(purpose: str, phone: Callable[[Ctx], str]) -> Ask[str]:
    """"Mã xác nhận": the 6 digits of the SMS, or "Gửi lại mã"; skipped when a contact proved the number."""

    def parse(ctx: Ctx, answer: Answer) -> str:
        if answer.payload == "resend":
            _send_code(ctx, phone(ctx), purpose)
            raise Invalid("otp.resent")
        otp.check(ctx.conn, ctx.services.pepper, phone=phone(ctx), purpose=purpose, code=answer.text or "")
        return "sms"

    return Ask(f"{purpose}_code", "otp.ask", parse, keypad="numeric",
               choices=lambda ctx: [Choice(ctx.t("otp.resend"), "resend")],
               params=lambda ctx: {"phone": display(phone(ctx))})


Proven = Callable[[Ctx, str], Go | None]


def _proof_from_contact(code_step: Ask[str], proven: Proven) -> Proven:
    """A shared own contact proves the number at once: the code is not asked."""
    def then(ctx: Ctx, _phone: str) -> Go | None:
        if ctx.memo("contact_proof", lambda: False):
            ctx.put(code_step, CONTACT)
            return proven(ctx, CONTACT)
        return None
    return then


def _password(ctx: Ctx, answer: Answer) -> str:
    password = check_strength(answer.text or "")
    return ctx.services.passwords.fingerprint(password)


# The privacy notice's summary comes with the first question of a sign-up (the whole notice: /privacy).
NAME = Ask("full_name", "account.ask_name", text_of(120, check=person_name),
           params=lambda ctx: {"privacy": ctx.t("privacy.short")})
def _after_proof(ctx: Ctx, _how: str) -> Go | None:
    """The number is proven theirs: if it already has an account, it may be said now."""
    if accounts.phone_taken(ctx.conn, ctx.get(PHONE) or ""):
        ctx.say("account.phone_taken")
        return Go(names.LOGIN, fresh=True)
    return None


SIGNUP_CODE_STEP = _code_step(SIGNUP_CODE, lambda ctx: ctx.get(PHONE) or "")
PHONE: Ask[str] = Ask("phone", "account.ask_phone", _new_phone, contact=True, keypad="tel",
            dependents=(SIGNUP_CODE_STEP.name,), then=_proof_from_contact(SIGNUP_CODE_STEP, _after_proof))
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
    except accounts.PhoneTaken:  # taken since the number was proven
        ctx.say("account.phone_taken")
        return Go(names.LOGIN, fresh=True)
    ctx.log_in(account_id)
    ctx.say("account.created", name=name)
    return ctx.home()


SIGNUP = Flow(
    names.SIGNUP,
    title="account.title_signup",
    exits=(names.LOGIN,),
    steps=(
        NAME,
        PHONE,
        replace(SIGNUP_CODE_STEP, then=_after_proof),
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
    if answer.payload == FORGOT_BUTTON:
        return FORGOT_CHOSEN
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


FORGOT_BUTTON, FORGOT_CHOSEN = "forgot", 0  # "Quên mật khẩu" at the password: a code instead of waiting


def _logged_in(ctx: Ctx, account_id: int) -> Go:
    if account_id == FORGOT_CHOSEN:
        return Go(names.FORGOT, fresh=True)
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
            choices=lambda ctx: [Choice(ctx.t("menu.forgot"), FORGOT_BUTTON)]),
    ),
    exits=(names.FORGOT,),
)


# ---- "Quên mật khẩu": a new password once the number is proven -------------------------------------------------


def _reset_phone(ctx: Ctx, answer: Answer) -> str:
    """The answer is the same whether the number has an account or not; only its owner receives a code."""
    phone = phone_answer(ctx, answer)
    if _proven_by_contact(ctx, answer):
        ctx.memo("contact_proof", lambda: True)
    elif accounts.phone_taken(ctx.conn, phone):
        _send_code(ctx, phone, RESET_CODE)
    return phone


def _reset_proven(ctx: Ctx, _how: str) -> Go | None:
    if not accounts.phone_taken(ctx.conn, ctx.get(RESET_PHONE) or ""):  # a contact for a number without one
        ctx.say("account.no_account_for_contact")
        return ctx.home()
    return None


RESET_CODE_STEP = _code_step(RESET_CODE, lambda ctx: ctx.get(RESET_PHONE) or "")
RESET_PHONE: Ask[str] = Ask("phone", "account.ask_reset_phone", _reset_phone, contact=True, keypad="tel",
                  dependents=(RESET_CODE_STEP.name,), then=_proof_from_contact(RESET_CODE_STEP, _reset_proven))
NEW_PASSWORD = Ask("password", "account.ask_new_password", _password, secret=True)


def _reset(ctx: Ctx, same: bool) -> Go:
    if not same:
        ctx.forget(NEW_PASSWORD.name)
        ctx.say("account.password_mismatch")
        return Go(names.FORGOT, NEW_PASSWORD.name)
    password_hash = ctx.compute("password_hash", ctx.services.passwords.hash, ctx.incoming.text or "")
    account_id = accounts.set_password(ctx.conn, ctx.get(RESET_PHONE) or "", password_hash)
    if account_id is None:
        return ctx.home()
    throttle.succeeded(ctx.conn, ctx.get(RESET_PHONE) or "", ctx.source)
    account = ctx.log_in(account_id)
    ctx.say("account.password_reset", name=account.name if account else "")
    return ctx.home()


FORGOT = Flow(
    names.FORGOT,
    title="account.title_forgot",
    steps=(
        RESET_PHONE,
        replace(RESET_CODE_STEP, then=_reset_proven),
        NEW_PASSWORD,
        Ask("password_again", "account.ask_password_again",
            lambda ctx, answer: ctx.services.passwords.matches_fingerprint(ctx.get(NEW_PASSWORD) or "",
                                                                           answer.text or ""),
            secret=True, then=_reset),
    ),
)


# ---- "Đổi số điện thoại": the new number proven by a code sent to it --------------------------------------------
CHANGE_CODE = "change"


def _changed_phone(ctx: Ctx, answer: Answer) -> str:
    phone = phone_answer(ctx, answer)
    if _proven_by_contact(ctx, answer):
        ctx.memo("contact_proof", lambda: True)
    else:
        _send_code(ctx, phone, CHANGE_CODE)
    return phone


def _change(ctx: Ctx, _how: str) -> Go:
    """The new number is proven: it becomes the account's (unless another account has it)."""
    if ctx.account_id is None:
        ctx.say("account.login_first")
        return ctx.home()
    phone = ctx.get(CHANGE_PHONE) or ""
    if not accounts.change_phone(ctx.conn, ctx.account_id, phone):
        ctx.say("account.phone_in_use")
    else:
        ctx.say("account.phone_changed", phone=display(phone))
    return ctx.home()


CHANGE_CODE_STEP = _code_step(CHANGE_CODE, lambda ctx: ctx.get(CHANGE_PHONE) or "")
CHANGE_PHONE: Ask[str] = Ask("phone", "account.ask_new_phone", _changed_phone, contact=True, keypad="tel",
                             dependents=(CHANGE_CODE_STEP.name,),
                             then=_proof_from_contact(CHANGE_CODE_STEP, _change))

CHANGE = Flow(
    names.CHANGE_PHONE,
    title="account.title_change_phone",
    steps=(CHANGE_PHONE, replace(CHANGE_CODE_STEP, then=_change)),
)
