"""The states records move through, one enum each: the same values as the database's columns, and mypy checks
every comparison. What is "open" is said here once."""

from __future__ import annotations

from enum import StrEnum


class Registration(StrEnum):
    """``registration.status``: submitted → scheduled → done, or cancelled, or referred (the doctor sent the
    person elsewhere). A dose that leaves the course incomplete puts it back to submitted, for the next dose."""

    SUBMITTED = "submitted"
    SCHEDULED = "scheduled"
    DONE = "done"
    CANCELLED = "cancelled"
    REFERRED = "referred"


OPEN_REGISTRATION = (Registration.SUBMITTED, Registration.SCHEDULED)  # waiting for a slot, or given one


class Appointment(StrEnum):
    """``appointment.state``: booked → confirmed → attended, or declined / cancelled, or missed (the day ended
    without a dose: "vắng")."""

    BOOKED = "booked"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    MISSED = "missed"


OPEN_APPOINTMENT = (Appointment.BOOKED, Appointment.CONFIRMED)


class Decision(StrEnum):
    """``registration.decision``: what the doctor decided at the screening table for the dose due."""

    ELIGIBLE = "eligible"  # "đạt": the dose may be given
    POSTPONED = "postponed"  # "hoãn": off the lists until a day
    REFERRED = "referred"  # "chuyển tuyến": to be vaccinated elsewhere (a hospital)


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
