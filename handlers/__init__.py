"""The conversations, one module per stage. :func:`build_registry` hands them to the engine, checked."""

from __future__ import annotations

from bot.engine.registry import Registry, RegistryError
from bot.services.registration import registrations
from bot.services.values import payloads
from handlers import faq, names
from handlers.account import CHANGE, FORGOT, LOGIN, SIGNUP
from handlers.amend import AMEND
from handlers.appointments import APPOINTMENTS, PREFIX, answer_button
from handlers.certificate import CERTIFICATE
from handlers.consent import CONSENT
from handlers.fix_dose import FIX_DOSE
from handlers.history import HISTORY
from handlers.link_chat import LINK
from handlers.merge import MERGE
from handlers.my_data import MY_DATA
from handlers.my_registrations import CANCEL, RECORDS
from handlers.reactions import REACTION, SITE_REACTIONS, check_button
from handlers.record_checks import CONFIRM_RECORD, TRANSFER
from handlers.registration import DETAILS
from handlers.scanner_devices import DEVICES
from handlers.screening import DECLARED, NO_SHOW, SCREEN
from handlers.settings import LANGUAGE
from handlers.site_work import ANNOUNCE, EXPORT, IMPORT, STATS
from handlers.staff import DOSE, LOOKUP, VERIFY
from handlers.start import MENU, RESUME
from handlers.waiting_list import ALLOCATE, LIST

FLOWS = (MENU, RESUME, SIGNUP, LOGIN, FORGOT, CHANGE, DETAILS, HISTORY, CONSENT, RECORDS, CANCEL, AMEND, LANGUAGE,
         CERTIFICATE, LOOKUP, DOSE, VERIFY, MY_DATA, LINK, APPOINTMENTS,
         LIST, ALLOCATE, IMPORT, EXPORT, STATS, ANNOUNCE, CONFIRM_RECORD, TRANSFER, SCREEN, NO_SHOW, DECLARED,
         FIX_DOSE, REACTION, SITE_REACTIONS, MERGE, DEVICES)
# Buttons that work whatever the chat is doing (a pushed notice's), by their payload's prefix.
ACTIONS = {PREFIX: answer_button, payloads.REACTION.prefix: check_button}


def build_registry() -> Registry:
    """Every flow, with its targets and stored fields checked: a wrong name fails here, not in a chat."""
    registry = Registry.build(FLOWS, home=names.MENU, language=names.LANGUAGE, actions=ACTIONS,
                              questions=faq.answer)
    for flow in FLOWS:
        for step in flow.steps:
            if step.store is not None:
                try:
                    registrations.check_store(step.store, step.name)
                except ValueError as exc:
                    raise RegistryError(f"{flow.name}.{step.name}: {exc}") from exc
    return registry
