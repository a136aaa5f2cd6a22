"""The flows' names, in one place: a misspelt name is an AttributeError at import, and the registry checks
at start-up that every name a flow leads to is registered."""

from __future__ import annotations

MENU = "menu"
RESUME = "resume"
SIGNUP = "signup"
LOGIN = "login"
FORGOT = "forgot_password"
CHANGE_PHONE = "change_phone"
DETAILS = "details"
HISTORY = "history"
CONSENT = "consent"
RECORDS = "records"
CANCEL = "cancel_registration"
AMEND = "amend_registration"
LOOKUP = "staff_lookup"
DOSE = "staff_dose"
VERIFY = "staff_verify"
MY_DATA = "my_data"
LANGUAGE = "language"
CERTIFICATE = "certificate"
LINK = "link_chat"
