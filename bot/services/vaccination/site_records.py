"""A site's own dose records, imported from its system's CSV or XLSX export and matched to registered people.

Matching (domain §7): the ID number exactly; otherwise the folded name, the birth date and the phone together.
A row that fits more than one person is never merged: it is reported as ambiguous and kept. A row that fits
no one is kept too, and recorded as a dose the moment that person registers (:func:`match_registered`), so a
person vaccinated before they had an account gets their coloured QR at once. A row that cannot be a dose
record (a bad date, an unknown vaccine, a dose before birth …) is rejected, with its reason.

    file ──read_table──▶ header → columns ──parse_row──▶ Row | Rejected
         ──import_rows (chunks of 1,000, two queries each)──▶ doses (matched) · site_record (kept) · Report
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from bot import i18n
from bot.services.access import audit, scope
from bot.services.access.staff import Role
from bot.services.blobs import uploads
from bot.services.certificates import credentials
from bot.services.certificates.keys import SigningKey
from bot.services.messaging import outbox
from bot.services.reference import vaccines
from bot.services.vaccination import doses
from bot.services.values import states
from bot.services.values.dates import from_sheet, today, utcnow
from bot.services.values.errors import Invalid
from bot.services.values.phones import parse_mobile
from bot.services.values.text import clean, fold, identifier, printable
from models.tables import Dose, ImportBatch, Person, Reaction, Registration, SiteRecord, table

RECORD, BATCH, PERSON, DOSE, REGISTRATION, REACTION = (
    table(SiteRecord), table(ImportBatch), table(Person), table(Dose), table(Registration), table(Reaction))
CHUNK = 1000
MAX_ROWS = 500_000

# Column names a site's export may use, folded (no tones, lower case, letters and digits only).
HEADERS: dict[str, tuple[str, ...]] = {
    "full_name": ("hovaten", "hoten", "ten", "fullname", "name", "hotennguoitiem"),
    "birth_date": ("ngaysinh", "ngaythangnamsinh", "birthdate", "dateofbirth", "dob"),
    "sex": ("gioitinh", "gioi", "sex", "gender"),
    "id_number": ("socccd", "cccd", "socccdcmnd", "cccdcmnd", "cmnd", "sogiayto", "sodinhdanh", "giaytotuythan",
                  "socmnd", "idnumber", "id", "socccdcmndhochieu"),
    "phone": ("sodienthoai", "dienthoai", "sdt", "phone", "phonenumber", "didong"),
    "vaccine": ("vacxin", "vaccine", "loaivacxin", "tenvacxin", "loaivaccine"),
    "lot": ("solo", "lo", "lot", "lovacxin", "solovacxin", "lotnumber"),
    "given_on": ("ngaytiem", "ngaytiemchung", "date", "ngay", "vaccinationdate"),
    "dose_number": ("muiso", "mui", "muithu", "dose", "dosenumber", "lantiem"),
    "reaction": ("phanungsautiem", "phanung", "reaction", "reactions", "adverseevent", "phanungsautiemchung"),
}
REQUIRED = ("full_name", "birth_date", "vaccine", "given_on")


@dataclass(frozen=True, slots=True)
class Row:
    number: int  # the line in the file (the header is line 1)
    full_name: str
    name_key: str
    birth_date: date
    sex: str | None
    id_number: str | None
    phone: str | None
    vaccine: str
    lot: str
    given_on: date
    dose_number: int | None
    bad_phone: str | None = None  # a phone that is not one, on a row kept by its ID number: said in the report
    reaction: str | None = None  # "Phản ứng sau tiêm" as the site wrote it: kept with the dose


@dataclass(frozen=True, slots=True)
class Problem:
    """A row not recorded (rejected or ambiguous), with the catalog key of the reason."""

    number: int
    outcome: str  # rejected / ambiguous; noted (the row recorded, something in it said); title (skipped above
    # the header)
    reason: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    rows: int = 0
    matched: int = 0
    duplicates: int = 0  # already recorded (the same person, the same day)
    unmatched: int = 0
    ambiguous: int = 0
    rejected: int = 0
    problems: list[Problem] = field(default_factory=list)
    people: int = 0  # whose QR changed (each is pushed once)
    batch_id: int | None = None

    def counts(self) -> dict[str, int]:
        return {"rows": self.rows, "matched": self.matched, "duplicates": self.duplicates,
                "unmatched": self.unmatched, "ambiguous": self.ambiguous, "rejected": self.rejected,
                "people": self.people}


class BadFile(Invalid):
    """The file as a whole cannot be read (not a table, no header we know, columns missing)."""


# ---- reading --------------------------------------------------------------------------------------------------


def _header_key(value: Any) -> str:
    return "".join(ch for ch in fold(str(value or "")) if ch.isalnum())


def columns(header: Iterable[Any]) -> dict[str, int]:
    """Which column holds which field; raises :class:`BadFile` naming the fields it cannot find."""
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = _header_key(cell)
        for name, spellings in HEADERS.items():
            if key in spellings and name not in found:
                found[name] = index
    missing = [name for name in REQUIRED if name not in found]
    if missing:
        raise BadFile("import.missing_columns", columns=", ".join(missing))
    return found


MAX_COLUMNS = 64  # a dose table has about ten; a sheet claiming 16,384 is read as its first 64
MAX_CELL = 1000  # characters of a cell that are looked at


def read_table(data: bytes, file_name: str, bounds: uploads.Bounds = uploads.CHAT) -> Iterator[list[Any]]:
    """The file's rows (the header first), from CSV (UTF-8, with or without BOM, or Windows-1258; comma,
    semicolon or tab) or XLSX (the first sheet), within ``bounds`` (a chat's by default; the command line's are
    larger): raises :class:`BadFile` with the reason for a file too large, one that unpacks to too much, or a
    damaged one."""
    try:
        if file_name.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
            uploads.check_zip(data, bounds)
            return _xlsx_rows(data)
        uploads.check_size(data, bounds)
    except Invalid as bad:
        raise BadFile(bad.key, **bad.params) from None
    return _csv_rows(data)


def _xlsx_rows(data: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        # The sheet's own claim of its size ("A1:XFD1048576") is not believed: only the cells it holds are read.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
    except Exception as error:  # a damaged or foreign file: what openpyxl raises varies
        raise BadFile("import.not_a_table") from error
    while True:
        try:
            values = next(rows, None)
        except Exception as error:
            raise BadFile("import.not_a_table") from error
        if values is None:
            break
        yield list(values)
    book.close()


def _csv_rows(data: bytes) -> Iterator[list[Any]]:
    for encoding in ("utf-8-sig", "cp1258"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise BadFile("import.not_a_table")
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        for values in csv.reader(io.StringIO(text), dialect):
            yield values[:MAX_COLUMNS]
    except csv.Error as error:  # a field longer than the csv module's limit, a NUL in a cell's quotes …
        raise BadFile("import.bad_csv") from error


def parse_row(number: int, values: list[Any], where: dict[str, int]) -> Row | Problem:
    def cell(name: str) -> str:
        index = where.get(name)
        value = values[index] if index is not None and index < len(values) else None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        # What no database takes (a NUL) or no one typed (control characters) is left out; a cell is short.
        return clean(printable(str(value)[:MAX_CELL])) if value is not None else ""

    def raw(name: str) -> Any:
        index = where.get(name)
        return values[index] if index is not None and index < len(values) else None

    def rejected(reason: str, **params: Any) -> Problem:
        return Problem(number, "rejected", reason, params)

    name = cell("full_name")[:120]
    if not name:
        return rejected("import.reason_no_name")
    try:
        birth = from_sheet(raw("birth_date"))
    except Invalid:
        return rejected("import.reason_bad_birth_date", value=cell("birth_date")[:20])
    try:
        given_on = from_sheet(raw("given_on"))
    except Invalid:
        return rejected("import.reason_bad_date", value=cell("given_on")[:20])
    if given_on > today():
        return rejected("import.reason_future_date", value=given_on.strftime("%d/%m/%Y"))
    if given_on < birth:
        return rejected("import.reason_before_birth")
    vaccine = vaccines.find(cell("vaccine"))
    if vaccine is None:
        return rejected("import.reason_unknown_vaccine", value=cell("vaccine")[:40])
    phone, phone_problem = None, None
    id_number = identifier(cell("id_number"))[:20] or None
    if cell("phone"):
        try:
            phone = parse_mobile(cell("phone"))
        except Invalid:
            if id_number is None:  # the phone was the row's only key
                return rejected("import.reason_bad_phone", value=cell("phone")[:20])
            phone_problem = cell("phone")[:20]  # the row is kept by its ID; the phone is reported
    if id_number is None and phone is None:
        return rejected("import.reason_no_identifier")
    dose_number = None
    if cell("dose_number"):
        digits = "".join(ch for ch in cell("dose_number") if ch.isascii() and ch.isdigit())
        if not digits or not 1 <= int(digits) <= 10:
            return rejected("import.reason_bad_dose_number", value=cell("dose_number")[:10])
        dose_number = int(digits)
    sex = {"nam": "M", "male": "M", "m": "M", "nu": "F", "female": "F", "f": "F"}.get(fold(cell("sex")))
    return Row(number, name, fold(name), birth, sex, id_number, phone, vaccine,
               " ".join(cell("lot").split())[:40] or "-", given_on, dose_number, phone_problem,
               cell("reaction")[:500] or None)


# ---- matching -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    id: int
    owner_account_id: int
    id_type: str
    id_number: str
    name_key: str
    birth_date: date
    phone: str


_CANDIDATE_COLUMNS = (PERSON.c.id, PERSON.c.owner_account_id, PERSON.c.id_type, PERSON.c.id_number,
                      PERSON.c.name_key, PERSON.c.birth_date, PERSON.c.phone)


def _candidates(conn: Connection, rows: list[Row], role: Role | None = None) -> tuple[
        dict[str, list[Candidate]], dict[tuple[str, date], list[Candidate]]]:
    """Everyone any of these rows could be, within ``role``'s scope (:mod:`bot.services.access.scope`; everyone from the
    command line): by ID number, and by (folded name, birth date). Nobody outside it is matched or named in a
    reason, so a site's report never tells whether an ID is registered elsewhere."""
    ids = sorted({r.id_number for r in rows if r.id_number})
    names = sorted({r.name_key for r in rows})
    by_id: dict[str, list[Candidate]] = {}
    by_name: dict[tuple[str, date], list[Candidate]] = {}
    if ids:
        for r in conn.execute(select(*_CANDIDATE_COLUMNS).where(PERSON.c.id_number.in_(ids))):
            by_id.setdefault(r.id_number, []).append(Candidate(*r))
    if names:
        for r in conn.execute(select(*_CANDIDATE_COLUMNS).where(PERSON.c.name_key.in_(names))):
            by_name.setdefault((r.name_key, r.birth_date), []).append(Candidate(*r))
    if role is not None:
        allowed = scope.covered(conn, role, {c.id for found in (*by_id.values(), *by_name.values()) for c in found})
        by_id = {k: kept for k, v in by_id.items() if (kept := [c for c in v if c.id in allowed])}
        by_name = {k: kept for k, v in by_name.items() if (kept := [c for c in v if c.id in allowed])}
    return by_id, by_name


def match(row: Row, by_id: dict[str, list[Candidate]],
          by_name: dict[tuple[str, date], list[Candidate]]) -> tuple[Candidate | None, str]:
    """(the one person, "") or (None, "unmatched" | a reason key for an ambiguous row)."""
    if row.id_number and row.id_number in by_id:
        found = by_id[row.id_number]
        if len(found) > 1:
            return None, "import.reason_several_id"
        if found[0].birth_date != row.birth_date:  # a mistyped ID must not credit someone else's record
            return None, "import.reason_birth_differs"
        return found[0], ""
    if row.phone is None:
        return None, "unmatched"
    found = [c for c in by_name.get((row.name_key, row.birth_date), []) if c.phone == row.phone]
    if not found:
        return None, "unmatched"
    if len(found) > 1:
        return None, "import.reason_several_name"
    person = found[0]
    if row.id_number and person.id_type == "cccd" and len(row.id_number) == 12 and person.id_number != row.id_number:
        return None, "import.reason_id_differs"  # the same name, birth and phone, but another citizen ID
    return person, ""


# ---- importing ------------------------------------------------------------------------------------------------


Progress = Callable[[int], None]


HEADER_SEARCH = 10  # a district's sheet has a title (and a blank row or two) above its header


def parse_table(rows: Iterable[list[Any]], limit: int = MAX_ROWS) -> Iterator[Row | Problem]:
    """A table whose header is on one of its first :data:`HEADER_SEARCH` rows (the rows above it, a title,
    are skipped and said), read row by row (blank lines skipped). Raises :class:`BadFile` for an empty table,
    missing columns, or more than ``limit`` rows."""
    iterator = iter(rows)
    above: list[list[Any]] = []
    where: dict[str, int] | None = None
    first_error: BadFile | None = None
    for values in iterator:
        try:
            where = columns(values)
            break
        except BadFile as bad:
            first_error = first_error or bad
            above.append(values)
            if len(above) >= HEADER_SEARCH:
                break
    if where is None:
        raise first_error or BadFile("import.empty")
    for number, values in enumerate(above, 1):
        if any(v not in (None, "") for v in values):
            yield Problem(number, "title", "import.reason_title_row")
    for number, values in enumerate(iterator, len(above) + 2):
        if number - 1 > limit:
            raise BadFile("import.too_many_rows", limit=limit)
        if any(v not in (None, "") for v in values):
            yield parse_row(number, list(values), where)


def parse_file(data: bytes, file_name: str, limit: int = MAX_ROWS) -> list[Row | Problem] | BadFile:
    """The whole file parsed (no database: the chat runs this off the database thread), or why it cannot be."""
    try:
        return list(parse_table(read_table(data, file_name), limit))
    except BadFile as bad:
        return bad


def import_rows(
    conn: Connection, key: SigningKey, rows: Iterable[Row | Problem], *, file_name: str, site_id: int | None,
    role: Role | None = None, progress: Progress | None = None,
) -> Report:
    """Record parsed rows (:func:`parse_table`) for ``role`` (a staff member in the chat; None from the command
    line). The caller's transaction holds everything: a crash keeps nothing of a half-read file. ``progress`` is
    told how many rows were read so far. The import and each person whose record changed are audited."""
    recorded_by = role.account_id if role is not None else None
    report = Report()
    batch_id = conn.execute(insert(BATCH).values(site_id=site_id, file_name=printable(file_name)[:200], counts={},
                                                 created_by=recorded_by, created_at=utcnow())
                            .returning(BATCH.c.id)).scalar_one()
    report.batch_id = batch_id
    changed: dict[int, tuple[Candidate, Row]] = {}
    chunk: list[Row] = []
    read = 0
    for parsed in rows:
        report.rows += 1
        read = parsed.number - 1
        if isinstance(parsed, Problem):
            if parsed.outcome == "title":  # not a row of the table: said, not counted
                report.rows -= 1
            else:
                report.rejected += 1
            report.problems.append(parsed)
        else:
            if parsed.bad_phone is not None:
                report.problems.append(Problem(parsed.number, "noted", "import.reason_bad_phone_kept",
                                               {"value": parsed.bad_phone}))
            chunk.append(parsed)
        if len(chunk) >= CHUNK:
            _import_chunk(conn, chunk, report, changed, batch_id=batch_id, site_id=site_id, role=role)
            chunk = []
            if progress is not None:
                progress(read)
    if chunk:
        _import_chunk(conn, chunk, report, changed, batch_id=batch_id, site_id=site_id, role=role)
    if progress is not None:
        progress(read)
    for person, row in changed.values():  # one new credential and one push per person, the latest dose named
        audit.record(conn, role, "dose", person_id=person.id, how="import")
        issued = credentials.issue(conn, person.id, key)
        doses.push_new_qr(conn, person.owner_account_id, person.id, issued, vaccine=row.vaccine,
                          number=_dose_count(conn, person.id), given_on=row.given_on,
                          next_due=doses.next_dose(conn, person.id))
    report.people = len(changed)
    report.problems.sort(key=lambda p: p.number)
    conn.execute(BATCH.update().where(BATCH.c.id == batch_id).values(counts=report.counts()))
    audit.record(conn, role, "import", how=f"batch {batch_id}: {report.rows} rows, {report.matched} matched",
                 result="ok" if report.rows else "none")
    return report


def _dose_count(conn: Connection, person_id: int) -> int:
    return len(conn.execute(select(DOSE.c.id).where(DOSE.c.person_id == person_id)).all())


def _import_chunk(conn: Connection, rows: list[Row], report: Report, changed: dict[int, tuple[Candidate, Row]], *,
                  batch_id: int, site_id: int | None, role: Role | None) -> None:
    by = role.account_id if role is not None else None
    by_id, by_name = _candidates(conn, rows, role)
    kept: list[dict[str, Any]] = []
    now = utcnow()
    matched = [(row, *match(row, by_id, by_name)) for row in rows]
    # The days already recorded for the chunk's people, in one query (a file read back is all "already there").
    people = sorted({person.id for _, person, _ in matched if person is not None})
    recorded: set[tuple[int, date]] = set()
    for start in range(0, len(people), 1000):
        recorded.update((r.person_id, r.given_on) for r in conn.execute(
            select(DOSE.c.person_id, DOSE.c.given_on).where(DOSE.c.person_id.in_(people[start:start + 1000]))))
    for row, person, why in matched:
        if person is None:
            state = states.SiteRecord.UNMATCHED if why == "unmatched" else states.SiteRecord.AMBIGUOUS
            if state == states.SiteRecord.AMBIGUOUS:
                report.ambiguous += 1
                report.problems.append(Problem(row.number, "ambiguous", why))
            else:
                report.unmatched += 1
            kept.append({"batch_id": batch_id, "site_id": site_id, "row_number": row.number,
                         "full_name": row.full_name, "name_key": row.name_key, "birth_date": row.birth_date,
                         "sex": row.sex, "id_number": row.id_number, "phone": row.phone, "vaccine": row.vaccine,
                         "lot": row.lot, "given_on": row.given_on, "dose_number": row.dose_number, "state": state,
                         "created_at": now})
            continue
        if (person.id, row.given_on) not in recorded and _record(conn, person, row, site_id=site_id, by=by):
            recorded.add((person.id, row.given_on))
            report.matched += 1
            latest = changed.get(person.id)
            if latest is None or latest[1].given_on <= row.given_on:
                changed[person.id] = (person, row)
        else:
            report.duplicates += 1
    if kept:
        conn.execute(insert(RECORD), kept)


def _record(conn: Connection, person: Candidate, row: Row, *, site_id: int | None, by: int | None) -> bool:
    """The row as a dose of this person; False when that day's dose is already recorded."""
    if conn.execute(select(DOSE.c.id).where(DOSE.c.person_id == person.id, DOSE.c.given_on == row.given_on)
                    ).first() is not None:
        return False
    # An open registration made before this dose is answered by it; one made after is for a later dose.
    registered_by = datetime.combine(row.given_on, datetime.max.time())
    registration = conn.execute(
        select(REGISTRATION.c.id).where(REGISTRATION.c.person_id == person.id,
                                        REGISTRATION.c.status.in_(states.OPEN_REGISTRATION),
                                        REGISTRATION.c.created_at <= registered_by)
    ).scalar()
    doses.add(conn, person_id=person.id, registration_id=registration, site_id=site_id, vaccine=row.vaccine,
              lot=row.lot, given_on=row.given_on, source="import", recorded_by=str(by) if by else None)
    if row.reaction:  # the site's own note of a reaction: kept as written, its severity not said
        dose_id = conn.execute(select(DOSE.c.id).where(DOSE.c.person_id == person.id,
                                                       DOSE.c.given_on == row.given_on)).scalar_one()
        conn.execute(insert(REACTION).values(
            person_id=person.id, dose_id=dose_id, site_id=site_id, reported_by=by or 0, began_on=row.given_on,
            signs=[], details=row.reaction, severity="unknown", serious=False, created_at=utcnow()))
    return True


_CANDIDATE = select(*_CANDIDATE_COLUMNS).where(PERSON.c.id == bindparam("p_person"))
_KEPT_FOR = select(RECORD).where(
    RECORD.c.state != states.SiteRecord.CANDIDATE,
    (RECORD.c.id_number == bindparam("p_id"))
    | ((RECORD.c.name_key == bindparam("p_name")) & (RECORD.c.birth_date == bindparam("p_birth"))
       & (RECORD.c.phone == bindparam("p_phone"))),
)


@dataclass(frozen=True, slots=True)
class Joined:
    recorded: int  # doses recorded from the site's records
    waiting: int  # records with this person's ID and birth date but another name or phone: staff decide


def match_registered(conn: Connection, person_id: int) -> Joined:
    """A person just registered: the kept site records that are theirs, and theirs alone, become doses (the
    caller issues the credential, which then has the right colour).

    An ID number and a birth date are not enough: anyone who knows them could register under them and take the
    doses (and a green QR). A record found by its ID joins only when the folded name is the same too, and the
    phone where the record has one; otherwise it waits for the site's staff (``/tra`` shows it, ``/ghep``
    confirms it once the papers are checked), and the site is told."""
    person = conn.execute(_CANDIDATE, {"p_person": person_id}).first()
    if person is None:
        return Joined(0, 0)
    me = Candidate(*person)
    # Only what :func:`match` could give this person: a record with its ID number, or with its name, birth date
    # and phone (a missing one is NULL in the statement, and matches nothing).
    kept = conn.execute(_KEPT_FOR, {"p_id": me.id_number or None, "p_name": me.name_key, "p_birth": me.birth_date,
                                    "p_phone": me.phone}).all()
    if not kept:
        return Joined(0, 0)
    rows = [Row(r.row_number, r.full_name, r.name_key, r.birth_date, r.sex, r.id_number, r.phone, r.vaccine, r.lot,
                r.given_on, r.dose_number) for r in kept]
    by_id, by_name = _candidates(conn, rows)
    recorded = waiting = 0
    for record, row in zip(kept, rows, strict=True):
        person_found, _ = match(row, by_id, by_name)
        if person_found is None or person_found.id != me.id:
            continue  # still fits someone else too, or someone else: never merged on a guess
        if row.name_key != me.name_key or (row.phone is not None and row.phone != me.phone):
            conn.execute(update(RECORD).where(RECORD.c.id == record.id)
                         .values(state=states.SiteRecord.CANDIDATE, candidate_person_id=me.id))
            outbox.tell_site(conn, record.site_id, "records.candidate_staff_notice", record=record.id)
            waiting += 1
            continue
        if _record(conn, me, row, site_id=record.site_id, by=None):
            recorded += 1
        conn.execute(delete(RECORD).where(RECORD.c.id == record.id))
    return Joined(recorded, waiting)


@dataclass(frozen=True, slots=True)
class Waiting:
    """A kept record waiting for staff to say whether it is this person's."""

    id: int
    site_id: int | None
    full_name: str
    birth_date: date
    phone: str | None
    vaccine: str
    lot: str
    given_on: date
    person_id: int


_WAITING_COLUMNS = (RECORD.c.id, RECORD.c.site_id, RECORD.c.full_name, RECORD.c.birth_date, RECORD.c.phone,
                    RECORD.c.vaccine, RECORD.c.lot, RECORD.c.given_on, RECORD.c.candidate_person_id)


def waiting_for(conn: Connection, person_id: int) -> list[Waiting]:
    found = select(*_WAITING_COLUMNS).where(RECORD.c.candidate_person_id == person_id,
                                            RECORD.c.state == states.SiteRecord.CANDIDATE)
    return [Waiting(*r) for r in conn.execute(found.order_by(RECORD.c.given_on))]


def waiting(conn: Connection, record_id: int) -> Waiting | None:
    row = conn.execute(select(*_WAITING_COLUMNS).where(RECORD.c.id == record_id,
                                                       RECORD.c.state == states.SiteRecord.CANDIDATE)).first()
    return None if row is None else Waiting(*row)


def decide_waiting(conn: Connection, key: SigningKey, role: Role, record: Waiting, *, theirs: bool) -> int | None:
    """Staff checked the papers: the record is the person's (a dose, a new QR pushed; returns the dose's number,
    None when that day's dose was already recorded) or not (kept again, unmatched). Audited either way."""
    if not theirs:
        conn.execute(update(RECORD).where(RECORD.c.id == record.id)
                     .values(state=states.SiteRecord.UNMATCHED, candidate_person_id=None))
        audit.record(conn, role, "site_record", person_id=record.person_id, how=f"record {record.id}",
                     result="not theirs")
        return None
    me = Candidate(*conn.execute(_CANDIDATE, {"p_person": record.person_id}).one())
    row = Row(0, record.full_name, fold(record.full_name), record.birth_date, None, me.id_number, record.phone,
              record.vaccine, record.lot, record.given_on, None)
    added = _record(conn, me, row, site_id=record.site_id, by=role.account_id)
    conn.execute(delete(RECORD).where(RECORD.c.id == record.id))
    audit.record(conn, role, "dose", person_id=me.id, how=f"site record {record.id} confirmed")
    if not added:
        return None
    issued = credentials.issue(conn, me.id, key)
    number = _dose_count(conn, me.id)
    doses.push_new_qr(conn, me.owner_account_id, me.id, issued, vaccine=record.vaccine, number=number,
                      given_on=record.given_on, next_due=doses.next_dose(conn, me.id))
    return number


def forget_old(conn: Connection, older_than: date) -> int:
    """Kept records nobody claimed, after the retention period: deleted (personal data kept only as needed)."""
    return int(conn.execute(delete(RECORD).where(RECORD.c.created_at < datetime.combine(older_than,
                                                                                       datetime.min.time()))).rowcount)


# ---- the report -----------------------------------------------------------------------------------------------


def summary(locale: str, report: Report) -> str:
    """The counts, in the reader's language."""
    return i18n.t(locale, "import.summary", **report.counts())


def problem_lines(locale: str, report: Report, limit: int | None = None) -> list[str]:
    shown = report.problems if limit is None else report.problems[:limit]
    return [i18n.t(locale, "import.problem_line", row=p.number, outcome=i18n.t(locale, f"import.outcome_{p.outcome}"),
                   reason=i18n.t(locale, p.reason, **p.params)) for p in shown]


def report_csv(locale: str, report: Report) -> bytes:
    """Every row not recorded, with its reason: a file Excel opens as it is (UTF-8 with BOM)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([i18n.t(locale, "import.column_row"), i18n.t(locale, "import.column_outcome"),
                     i18n.t(locale, "import.column_reason")])
    for p in report.problems:
        writer.writerow([p.number, i18n.t(locale, f"import.outcome_{p.outcome}"), i18n.t(locale, p.reason, **p.params)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
