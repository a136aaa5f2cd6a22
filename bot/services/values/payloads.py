"""Button payloads, one declared kind each: ``<prefix>:<value>``, built and read here only (as aiogram's
``CallbackData``). A payload is a code, never text: a label can change, what it answers cannot.

The engine adds the stamp of the question a button belongs to (``payload~stamp``) and takes it off before a
flow reads the payload; kinds never see it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of payload: ``make`` builds it, ``value`` and ``number`` read it (None: another kind)."""

    prefix: str

    def make(self, value: str | int) -> str:
        return f"{self.prefix}:{value}"

    def value(self, payload: str | None) -> str | None:
        head, sep, rest = (payload or "").partition(":")
        return rest if sep and head == self.prefix else None

    def number(self, payload: str | None) -> int | None:
        """A whole number of ASCII digits (a code, an id); anything else is not one of this kind's."""
        found = self.value(payload)
        return int(found) if found and found.isascii() and found.isdigit() and len(found) < 19 else None


# Every kind of the conversations, in one place.
PROVINCE = Kind("prov")  # prov:<province code>
WARD = Kind("ward")  # ward:<ward code>
SITE = Kind("site")  # site:<site id> | site:pool
GROUP = Kind("group")  # group:<priority group> | group:info
ETHNICITY = Kind("eth")  # eth:<folded name of the group>
PERSON = Kind("person")  # person:<person id> (whose QR)
EDIT = Kind("edit")  # edit:<booking code> (correct a registration)
CANCEL = Kind("cancel")  # cancel:<booking code> | cancel:yes | cancel:no
CLAIM = Kind("claim")  # claim:<id type>:<id number> (a document another account registered)
APPOINTMENT = Kind("appt")  # appt:yes:<id> | appt:no:<id> (a notice's answer: works whatever the chat is doing)
SCREEN = Kind("screen")  # screen:<registration id> (a button beside a person in a list or a look-up)
FIXDOSE = Kind("fixdose")  # fixdose:<dose id> (a dose to correct, offered to staff who may)
REACTION = Kind("react")  # react:ok:<dose id> | react:report:<dose id> (the day-after question's answers)
