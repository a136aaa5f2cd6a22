"""The tables. Times are stored in UTC; the chat shows them in Asia/Ho_Chi_Minh.

The per-message path uses these tables through SQLAlchemy Core (``Model.__table__``), not ORM sessions:
DESIGN §3 measures the async ORM at ~2.6 ms a transaction against ~70 µs for raw SQLite.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, datetime: DateTime(timezone=False)}


class Account(Base):
    __tablename__ = "account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(16), unique=True)  # E.164
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(5), default="vi")
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ChannelIdentity(Base):
    """Which messenger chats belong to an account: where pushes for that account go."""

    __tablename__ = "channel_identity"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(80))
    user_id: Mapped[str] = mapped_column(String(80))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Site(Base):
    __tablename__ = "site"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    province_code: Mapped[int] = mapped_column(Integer, index=True)
    ward_code: Mapped[int] = mapped_column(Integer, index=True)
    address: Mapped[str] = mapped_column(String(255))
    daily_capacity: Mapped[int] = mapped_column(Integer, default=200)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)  # told to citizens (a reaction)


class Person(Base):
    """Someone an account registered: the account holder or a family member."""

    __tablename__ = "person"
    __table_args__ = (
        UniqueConstraint("owner_account_id", "id_type", "id_number"),
        Index("ix_person_id_number", "id_number"),
        Index("ix_person_phone", "phone"),
        Index("ix_person_name_key", "name_key", "birth_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    relation: Mapped[str] = mapped_column(String(20))  # "self" or a relation code
    full_name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120))  # folded: no tones, đ → d, lower case
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))  # "M" / "F"
    ethnicity: Mapped[str | None] = mapped_column(String(40), nullable=True)  # one of the 54, as officially written
    # Asked of passport holders; NULL with a CCCD or CMND, which only Vietnamese citizens hold.
    nationality: Mapped[str | None] = mapped_column(String(60), nullable=True)
    id_type: Mapped[str] = mapped_column(String(10))  # cccd / cmnd / passport
    id_number: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str] = mapped_column(String(16))
    insurance_number: Mapped[str | None] = mapped_column(String(15), nullable=True)
    occupation: Mapped[str] = mapped_column(String(200))
    workplace: Mapped[str | None] = mapped_column(String(255), nullable=True)
    priority_group: Mapped[int] = mapped_column(Integer)
    province_code: Mapped[int] = mapped_column(Integer)
    ward_code: Mapped[int] = mapped_column(Integer)
    address: Mapped[str | None] = mapped_column(String(255), nullable=True)
    credential_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    # A duplicate record closed by staff (/gop): its doses and registrations now belong to this person.
    merged_into: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Registration(Base):
    __tablename__ = "registration"
    __table_args__ = (Index("ix_registration_province_status", "province_code", "status"),
                      Index("ix_registration_site_status", "site_id", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    booking_code: Mapped[str] = mapped_column(String(16), unique=True)
    # Set to "<id_type>:<id_number>" while the registration is open, NULL once done or cancelled: the
    # unique index makes "one open registration per person" hold whoever registers them.
    open_key: Mapped[str | None] = mapped_column(String(40), unique=True, nullable=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), nullable=True)
    province_code: Mapped[int] = mapped_column(Integer)
    preferred_date: Mapped[date] = mapped_column(Date)
    preferred_session: Mapped[str] = mapped_column(String(10))
    dose_number: Mapped[int] = mapped_column(Integer)
    previous_dose: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    status: Mapped[str] = mapped_column(String(12))  # submitted → scheduled → done / cancelled
    screening: Mapped[dict[str, Any]] = mapped_column(JSON)
    screening_flags: Mapped[str] = mapped_column(String(60))  # e.g. "contraindicated,defer"
    consent_at: Mapped[datetime] = mapped_column(DateTime)
    consent_version: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The course (issue 26): after a dose that leaves it incomplete the registration waits again for dose
    # ``dose_number``, listed from ``due_on`` (the recommended interval) and never booked before ``earliest_on``
    # (the minimum). A postponement sets both to its day. ``due_told_on``: the day the person was told.
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    earliest_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    due_told_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The doctor's screening decision for the dose due (eligible / postponed / referred), cleared by a dose.
    decision: Mapped[str | None] = mapped_column(String(10), nullable=True)
    decision_note: Mapped[str | None] = mapped_column(String(200), nullable=True)  # the reason, as typed
    decision_place: Mapped[str | None] = mapped_column(String(200), nullable=True)  # where a referral sends them
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The dose made of ``previous_dose`` (declared at registration) once staff confirmed it from the card.
    declared_dose_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Conversation(Base):
    """One chat's place in the conversation; survives restarts."""

    __tablename__ = "conversation"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)  # "<channel>:<chat id>"
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), nullable=True)
    locale: Mapped[str] = mapped_column(String(5))
    flow: Mapped[str] = mapped_column(String(30))
    step: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    draft: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class ProcessedUpdate(Base):
    """Update keys already applied: a messenger's retry is answered once and never applied twice."""

    __tablename__ = "processed_update"

    update_key: Mapped[str] = mapped_column(String(120), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class ChatMessage(Base):
    """Bot messages kept for channels that read them back (the web chat's ``GET …?after=``)."""

    __tablename__ = "chat_message"
    __table_args__ = (Index("ix_chat_message_conv", "conversation_key", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    conversation_key: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AuditLog(Base):
    """Who (an account, in a role, for a site) looked up, changed or verified whose record, when, and with
    what result. Never the values looked for: a search says how it searched ("phone"), not the number."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_person", "person_id", "created_at"),
                      Index("ix_audit_actor", "actor_account_id", "action", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_account_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    role: Mapped[str | None] = mapped_column(String(10), nullable=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(40))  # lookup / dose / verify / refused
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), nullable=True)
    result: Mapped[str] = mapped_column(String(40), default="ok")
    subject: Mapped[str] = mapped_column(Text)  # how: "phone", "cccd", "booking", "name+birth", a verdict …
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class WebSession(Base):
    """A web chat session the server issued: the cookie's token (only its hash is kept) and its chat."""

    __tablename__ = "web_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie's token
    chat_id: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    seen_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class ScannerDevice(Base):
    """A phone or computer signed in to the checkpoint scanner (``/kiemtra``) by a one-time link from the chat:
    only hashes of the link's and the device's tokens are kept; a device stays signed in 7 days."""

    __tablename__ = "scanner_device"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    link_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)  # until it is opened
    link_expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)  # the device's cookie
    label: Mapped[str] = mapped_column(String(80), default="")  # what the device said it is (browser, system)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    signed_in_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    seen_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Blob(Base):
    """A QR picture or a file handed to a chat, kept in the database when several nodes serve one deployment (on
    one node the data directory keeps them): ``<kind>/<token>``, the bytes, the file's name and owner."""

    __tablename__ = "blob"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class CheckpointCount(Base):
    """How many codes a scanner checked, by day and verdict: counts, never who (no name, no credential id)."""

    __tablename__ = "checkpoint_count"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("scanner_device.id"), primary_key=True)
    verdict: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class LoginThrottle(Base):
    """Wrong passwords counted per (phone, source): a stranger slows down only their own tries, never the
    owner's from another device. The key is a hash: no phone number is kept here."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    blocked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class OneTimeCode(Base):
    """A code sent by SMS to prove a phone number: only its hash is kept; 5 minutes, 5 tries, single use."""

    __tablename__ = "one_time_code"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of (phone, purpose)
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    tries: Mapped[int] = mapped_column(Integer)
    sent: Mapped[int] = mapped_column(Integer)  # codes sent in the current window (per-number send limit)
    window_start: Mapped[datetime] = mapped_column(DateTime, index=True)


class SecretLink(Base):
    """A one-time link to the page where a password is typed, for chats where a typed password could not be
    deleted (Zalo): bound to one conversation and the step that asked, used once, valid 10 minutes."""

    __tablename__ = "secret_link"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token in the URL
    conversation_key: Mapped[str] = mapped_column(String(120))
    step: Mapped[str] = mapped_column(String(80))  # "flow.step" that asked for the password
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class LinkCode(Base):
    """A 6-digit code shown in a logged-in chat that logs another chat (Zalo) into the same account: kept as a
    keyed hash, used once, valid 10 minutes."""

    __tablename__ = "link_code"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class Appointment(Base):
    """A slot a site gave a waiting registration: day and session, and what the person answered. While it is
    booked or confirmed ``open_key`` holds the registration's id: the unique index makes double booking
    impossible, whoever allocates at the same moment."""

    __tablename__ = "appointment"
    __table_args__ = (Index("ix_appointment_site_day", "site_id", "day", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    day: Mapped[date] = mapped_column(Date)
    session: Mapped[str] = mapped_column(String(10))  # morning / afternoon / allday
    state: Mapped[str] = mapped_column(String(12))  # booked → confirmed / declined / cancelled
    open_key: Mapped[int | None] = mapped_column(Integer, unique=True, nullable=True)
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class ImportBatch(Base):
    """One file of dose records a site imported, and its report."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), nullable=True)
    file_name: Mapped[str] = mapped_column(String(200))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class SiteRecord(Base):
    """A site's dose record that matched no one, or more than one person: kept to be matched when that person
    registers (then recorded as a dose and deleted); never merged on a guess."""

    __tablename__ = "site_record"
    __table_args__ = (Index("ix_site_record_name", "name_key", "birth_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), nullable=True)
    row_number: Mapped[int] = mapped_column(Integer)
    full_name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(1), nullable=True)
    id_number: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    phone: Mapped[str | None] = mapped_column(String(16), nullable=True)
    vaccine: Mapped[str] = mapped_column(String(20))
    lot: Mapped[str] = mapped_column(String(40))
    given_on: Mapped[date] = mapped_column(Date)
    dose_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    state: Mapped[str] = mapped_column(String(10))  # unmatched / ambiguous / candidate (waits for staff)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    # "candidate": the person who registered with its ID number and birth date but another name or phone; the
    # record becomes their dose only when staff confirm it (papers checked), never by itself.
    candidate_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", name="fk_site_record_candidate"),
                                                            nullable=True, index=True)


class DocumentClaim(Base):
    """"This document is mine": an account that could not register a document another account registered.
    The site checks the papers and moves the person to the claimant's account, or rejects the claim. While open,
    ``open_key`` ("<person>:<account>") keeps one claim per person and claimant."""

    __tablename__ = "document_claim"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    claimant_account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), nullable=True)
    state: Mapped[str] = mapped_column(String(10))  # open → moved / rejected
    open_key: Mapped[str | None] = mapped_column(String(80), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    decided_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class UsageCounter(Base):
    """What costs money or invites guessing, counted per hour for a chat, an address or the deployment (SMS sent,
    one-time codes tried). The key is a hash: no phone number or address is kept here."""

    __tablename__ = "usage_counter"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime, index=True)
    count: Mapped[int] = mapped_column(Integer)


class Staff(Base):
    """An account that works for the campaign: ``staff`` of one site, ``admin`` of all, ``checker`` (a
    checkpoint: verifies QR codes only)."""

    __tablename__ = "staff"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(10))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), nullable=True)
    added_at: Mapped[datetime] = mapped_column(DateTime)


class Dose(Base):
    """A dose given: matched to a person, or kept with the keys it came with until it can be matched."""

    __tablename__ = "dose"
    __table_args__ = (Index("ix_dose_person", "person_id", "given_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), nullable=True)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registration.id"), nullable=True)
    dose_number: Mapped[int] = mapped_column(Integer)
    vaccine: Mapped[str] = mapped_column(String(20))
    lot: Mapped[str] = mapped_column(String(40))
    given_on: Mapped[date] = mapped_column(Date)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), nullable=True)
    source: Mapped[str] = mapped_column(String(20))  # cli / staff / import
    recorded_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    followed_up_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # "how do you feel?" asked


class Reaction(Base):
    """A reaction after vaccination the citizen reported: when it began, the signs (codes of the checklist), what
    they wrote (as typed), how bad; ``serious`` when a sign calls for emergency care (the site is told at once)."""

    __tablename__ = "reaction"
    __table_args__ = (Index("ix_reaction_site_created", "site_id", "created_at"),
                      Index("ix_reaction_person", "person_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", name="fk_reaction_person"))
    dose_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # kept if the dose is corrected away
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", name="fk_reaction_site"), nullable=True)
    reported_by: Mapped[int] = mapped_column(Integer)  # the account
    began_on: Mapped[date] = mapped_column(Date)
    signs: Mapped[list[str]] = mapped_column(JSON)
    details: Mapped[str | None] = mapped_column(String(500), nullable=True)
    severity: Mapped[str] = mapped_column(String(10))  # mild / moderate / severe
    serious: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Credential(Base):
    """Every signed QR issued: the newest one of a person is current, older ones verify as superseded."""

    __tablename__ = "credential"
    __table_args__ = (Index("ix_credential_person", "person_id", "issued_at"),
                      Index("ix_credential_superseded_at", "superseded_at"))  # a scanner's sync: what changed since

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the certificate id inside the QR
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    kind: Mapped[str] = mapped_column(String(8))  # card / hc1
    dose_count: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(10))  # none / partial / complete
    qr_text: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class RevokedCredential(Base):
    """A credential whose person was deleted ("Dữ liệu của tôi → Xóa"): its QR verifies as revoked. Only the
    certificate id is kept: nothing says whose it was."""

    __tablename__ = "revoked_credential"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    revoked_at: Mapped[datetime] = mapped_column(DateTime, index=True)


_KEPT = "kind = 'reply' AND state = 'pending'"


class Outbox(Base):
    """Messages to push (a new QR after a dose): written in the same transaction as their cause."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "state", "not_before"),
        # The answers still kept for delivery, by chat (a redelivered update looks for its chat's): few rows.
        Index("ix_outbox_kept", "channel", "chat_id", sqlite_where=text(_KEPT), postgresql_where=text(_KEPT)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(10))  # pending / sent / blocked / failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    batch: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)  # an announcement's id


class DeployState(Base):
    """Small facts shared by every worker of a deployment (e.g. which webhook is registered)."""

    __tablename__ = "deploy_state"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


def table(model: type[Base]) -> Table:
    """The Core table of a model, typed as such, for the statements on the per-message path."""
    return cast(Table, model.__table__)
