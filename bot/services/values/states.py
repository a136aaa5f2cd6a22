"""The states records move through, one enum each: the same values as the database's columns, and mypy checks
every comparison. What is "open" is said here once."""

from __future__ import annotations

from enum import StrEnum


class Registration(StrEnum):
    """``registration.status``: submitted → scheduled → done, or cancelled."""

    SUBMITTED = "submitted"
    SCHEDULED = "scheduled"
    DONE = "done"
    CANCELLED = "cancelled"


OPEN_REGISTRATION = (Registration.SUBMITTED, Registration.SCHEDULED)  # waiting for a slot, or given one


class Appointment(StrEnum):
    """``appointment.state``: booked → confirmed → attended, or declined / cancelled."""

    BOOKED = "booked"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    ATTENDED = "attended"


OPEN_APPOINTMENT = (Appointment.BOOKED, Appointment.CONFIRMED)


class Outbox(StrEnum):
    """``outbox.state``: pending → sent, or superseded (an answer overtaken), blocked (by the person), failed (past
    its tries), expired (undeliverable for days)."""

    PENDING = "pending"
    SENT = "sent"
    SUPERSEDED = "superseded"
    BLOCKED = "blocked"
    FAILED = "failed"
    EXPIRED = "expired"


class Claim(StrEnum):
    """``document_claim.state``: open → moved / rejected."""

    OPEN = "open"
    MOVED = "moved"
    REJECTED = "rejected"


class SiteRecord(StrEnum):
    """``site_record.state``: kept because it matched no one, or several, or waiting for staff (a candidate)."""

    UNMATCHED = "unmatched"
    AMBIGUOUS = "ambiguous"
    CANDIDATE = "candidate"
