"""The conversations, one module per stage. :func:`build_registry` hands them to the engine."""

from __future__ import annotations

from bot.engine.flow import Registry
from handlers.account import LOGIN, SIGNUP
from handlers.certificate import CERTIFICATE
from handlers.consent import CONSENT
from handlers.history import HISTORY
from handlers.my_registrations import CANCEL, RECORDS
from handlers.registration import DETAILS
from handlers.settings import LANGUAGE
from handlers.start import MENU, RESUME


def build_registry() -> Registry:
    registry = Registry(home="menu")
    registry.add(MENU, RESUME, SIGNUP, LOGIN, DETAILS, HISTORY, CONSENT, RECORDS, CANCEL, LANGUAGE, CERTIFICATE)
    return registry
