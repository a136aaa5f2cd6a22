"""The ``sskdt`` command line. Channel libraries are imported only when a command needs them."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from bot.config import Settings

WORKER_INDEX = "SSKDT_WORKER_INDEX"  # bot/workers.py sets it for each worker it starts
RUN_OPTIONS = {
    "host": "address to listen on (SSKDT_HOST, default 127.0.0.1)",
    "port": "port to listen on (SSKDT_PORT, default 8080)",
    "database_url": "SQLAlchemy URL (SSKDT_DATABASE_URL; default: SQLite file in the data dir)",
    "data_dir": "folder for keys, media and the default SQLite file (SSKDT_DATA_DIR, default ./data)",
    "log_level": "DEBUG, INFO, WARNING or ERROR (SSKDT_LOG_LEVEL)",
    "log_format": "text or json (SSKDT_LOG_FORMAT)",
    "metrics_addr": "host:port of the Prometheus /metrics listener (SSKDT_METRICS_ADDR, default 127.0.0.1:9464; "
                    "empty: none)",
    "telegram_runtime": "aiogram (default) or ptb (SSKDT_TELEGRAM_RUNTIME); used when SSKDT_TELEGRAM_TOKEN is set",
}


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {
        name: getattr(args, name) for name in RUN_OPTIONS if getattr(args, name, None) is not None
    }
    return Settings(**overrides)


def _logging(level: str, fmt: str = "text") -> None:
    from bot.logs import configure

    configure(level, fmt)


GIL_SWITCH_SECONDS = 0.0005


async def _serve(settings: Settings) -> None:
    from aiohttp import web

    from bot.channels import deadlines

    # The event loop shares the GIL with the DB threads and the CPU pool: handing it over every 0.5 ms rather
    # than Python's 5 ms keeps a request from waiting behind a batch being applied (bench/open_loop.py 1000 100:
    # p99 68 and 52 ms against 80 and 139 ms, throughput unchanged).
    sys.setswitchinterval(GIL_SWITCH_SECONDS)

    from bot.app import build
    from bot.channels.webchat.server import web_limits
    from bot.leadership import Leadership
    from models.db import is_sqlite

    app = build(settings)
    app.start_drawing()
    web_app = app.web_app()
    background: list[asyncio.Task[None]] = []
    telegram = None
    if settings.telegram_token:
        from bot.channels.telegram.runtime import register_once, start_telegram

        telegram = await start_telegram(settings, app.engine, app.pusher, app.engine.services.qr.media, web_app)
        await register_once(settings, app.engine, telegram)
        if not settings.telegram_webhook_url:
            background.append(asyncio.create_task(telegram.poll()))
    zalo = None
    if settings.zalo_token:
        from bot.channels.zalo import runtime as zalo_runtime

        zalo = await zalo_runtime.start_zalo(settings, app.engine, app.pusher, app.engine.services.qr.media, web_app)
        await zalo_runtime.register_once(settings, app.engine, zalo)
        if not settings.zalo_webhook_url:
            background.append(asyncio.create_task(zalo.poll()))
    peers = None
    if not is_sqlite(settings.effective_database_url):  # other workers may share the messengers' limits
        from bot.peers import Peers

        peers = Peers(settings.effective_database_url, process=app.engine.process)
        for channel in (telegram, zalo):
            if channel is not None:
                peers.watch(channel.sender.pacer)
        for limit in web_limits(web_app):  # an address's requests count for the deployment, not one worker
            peers.share_with(limit)
        try:
            await peers.start()  # counted before the first message this worker sends
        except Exception:
            logging.getLogger("sskdt").warning("the other workers cannot be counted yet (database unreachable?)")
        background.append(asyncio.create_task(peers.run()))
    worker = os.environ.get(WORKER_INDEX)  # set by the supervisor of `sskdt run --workers N`
    runner = deadlines.runner(web_app)
    await runner.setup()
    # Workers share the port: the kernel spreads connections among them (SO_REUSEPORT).
    site = web.TCPSite(runner, settings.host, settings.port, reuse_port=worker is not None)
    await site.start()
    logging.getLogger("sskdt").info("web chat on http://%s:%d/%s", settings.host, settings.port,
                                    f" (worker {worker})" if worker is not None else "")
    metrics_runner = None
    if settings.metrics_addr and worker in (None, "0"):  # one listener adds up every worker's counts
        host, _, port = settings.metrics_addr.rpartition(":")
        metrics_runner = deadlines.runner(app.metrics_app())
        await metrics_runner.setup()
        try:
            await web.TCPSite(metrics_runner, host or "127.0.0.1", int(port)).start()
            logging.getLogger("sskdt").info("metrics on http://%s/metrics", settings.metrics_addr)
        except (OSError, ValueError) as exc:  # the port is taken (another instance): serve people anyway
            logging.getLogger("sskdt").warning("metrics not served: %s cannot be used (%s); set SSKDT_METRICS_ADDR",
                                               settings.metrics_addr, exc.__class__.__name__)
    leadership = Leadership(None if is_sqlite(settings.effective_database_url) else app.store.engine)

    async def duties() -> None:
        await asyncio.gather(app.maintain(), app.pusher.run(), app.schedule())

    leading = asyncio.create_task(leadership.run(duties))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        leading.cancel()
        leadership.close()
        for task in background:
            task.cancel()
        if peers is not None:
            await peers.close()
        if telegram is not None:
            await telegram.api.close()
        if zalo is not None:
            await zalo.api.close()
        await runner.cleanup()
        if metrics_runner is not None:
            await metrics_runner.cleanup()
        app.close()


def cmd_run(args: argparse.Namespace) -> int:
    from bot.app import production_problems

    settings = _settings(args)
    _logging(settings.log_level, settings.log_format)
    if settings.env not in ("development", "production"):
        print("SSKDT_ENV is development or production", file=sys.stderr)
        return 2
    if settings.env == "production":
        problems = production_problems(settings)
        if problems:
            print("refusing to start in production:", file=sys.stderr)
            for problem in problems:
                print(f"  - {problem}", file=sys.stderr)
            return 2
    workers = getattr(args, "workers", None) or 1
    if workers > 1:
        from bot.workers import supervise

        return supervise(settings, workers, _worker_argv(args))
    asyncio.run(_serve(settings))
    return 0


def _worker_argv(args: argparse.Namespace) -> list[str]:
    """The options this ``run`` was given, for its workers (the environment they inherit holds the rest)."""
    argv = ["run"]
    for option in RUN_OPTIONS:
        value = getattr(args, option, None)
        if value is not None:
            argv += ["--" + option.replace("_", "-"), str(value)]
    return argv


def cmd_migrate(args: argparse.Namespace) -> int:
    from bot.app import migrate

    settings = _settings(args)
    _logging(settings.log_level, settings.log_format)
    migrate(settings)
    print("database is up to date")
    return 0


def cmd_demo_seed(args: argparse.Namespace) -> int:
    from bot.app import migrate
    from bot.services.registration import sites
    from models.db import make_engine

    settings = _settings(args)
    migrate(settings)
    engine = make_engine(settings.effective_database_url)
    with engine.begin() as conn:
        added = sites.seed_demo(conn)
    engine.dispose()
    print(f"demo vaccination sites added: {added}")
    return 0


def _environment_help() -> str:
    lines = ["environment (or .env):"]
    for name, field in Settings.model_fields.items():
        lines.append(f"  SSKDT_{name.upper():<22} {field.description} (default: {field.default})")
    return "\n".join(lines)


def cmd_keys(args: argparse.Namespace) -> int:
    from bot.app import keys_dir
    from bot.services.certificates import keys

    settings = _settings(args)
    directory = Path(args.out) if args.out else keys_dir(settings)
    if keys.load(directory) is not None and not args.force:
        print(f"a signing key already exists in {directory} (use --force to replace it)", file=sys.stderr)
        return 1
    key = keys.generate(directory, issuer=args.issuer)
    print(f"signing key and certificate written to {directory} (key id {key.kid.hex()})")
    return 0


def cmd_dose_add(args: argparse.Namespace) -> int:
    if args.action == "import":
        return cmd_dose_import(args)
    if args.action in ("list", "edit", "remove"):
        return cmd_dose_fix(args)
    if not (args.booking_code and args.vaccine and args.lot and args.date):
        print("dose add needs --booking-code, --vaccine, --lot and --date", file=sys.stderr)
        return 2
    from bot import i18n
    from bot.app import migrate, signing_key
    from bot.services.vaccination import doses
    from bot.services.values.dates import parse_past_date
    from bot.services.values.errors import Invalid
    from models.db import make_engine

    settings = _settings(args)
    _logging(settings.log_level, settings.log_format)
    migrate(settings)
    engine = make_engine(settings.effective_database_url)
    try:
        given_on = parse_past_date(args.date)
        with engine.begin() as conn:
            done = doses.record(
                conn, signing_key(settings), booking_code=args.booking_code.strip(), vaccine=args.vaccine,
                lot=args.lot, given_on=given_on, source="cli", confirmed_interval=args.confirm_interval,
            )
    except Invalid as bad:
        print(i18n.t("en", bad.key, **bad.params), file=sys.stderr)
        return 1
    except doses.ShortInterval as short:
        print(f"only {short.days} days after the previous dose ({short.previous_vaccine}; minimum {short.minimum}): "
              "if the doctor decided so, repeat with --confirm-interval", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"dose {done.dose_number} recorded; new credential {done.credential.id} ({done.credential.level}); "
          f"{done.pushes} chat(s) will receive the new QR")
    return 0


def cmd_dose_fix(args: argparse.Namespace) -> int:
    """dose list --person CCCD | dose edit --id N [--vaccine V] [--lot L] [--date D] | dose remove --id N --reason R:
    corrections from the server (audited as the command line's), each person touched re-issued and told."""
    from sqlalchemy import select

    from bot import i18n
    from bot.app import migrate, signing_key
    from bot.services.vaccination import corrections
    from bot.services.values.dates import parse_past_date
    from bot.services.values.errors import Invalid
    from bot.services.values.text import identifier
    from models.db import make_engine
    from models.tables import Person, table

    settings = _settings(args)
    _logging(settings.log_level, settings.log_format)
    migrate(settings)
    engine = make_engine(settings.effective_database_url)
    try:
        with engine.begin() as conn:
            if args.action == "list":
                if not args.person:
                    print("dose list needs --person (the ID number)", file=sys.stderr)
                    return 2
                people = conn.execute(select(table(Person).c.id, table(Person).c.full_name).where(
                    table(Person).c.id_number == identifier(args.person))).all()
                for person in people:
                    print(f"{person.full_name} (person {person.id})")
                    for d in corrections.doses_of(conn, person.id):
                        print(f"  dose id {d.id}: #{d.number} {d.vaccine} lot {d.lot} on {d.given_on:%d/%m/%Y}"
                              f" at {d.site_name or 'elsewhere (declared)'}")
                if not people:
                    print("nobody with this ID number", file=sys.stderr)
                    return 1
                return 0
            dose = corrections.find(conn, args.id) if args.id else None
            if dose is None:
                print(f"dose {args.action} needs --id of an existing dose (see dose list)", file=sys.stderr)
                return 2
            if args.action == "edit":
                done = corrections.edit(conn, signing_key(settings), None, dose, vaccine=args.vaccine or dose.vaccine,
                                        lot=args.lot or dose.lot,
                                        given_on=parse_past_date(args.date) if args.date else dose.given_on)
            else:
                done = corrections.remove(conn, signing_key(settings), None, dose, reason=args.reason or "")
    except Invalid as bad:
        print(i18n.t("en", bad.key, **bad.params), file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"corrected: {len(done.people)} QR re-issued ({', '.join(done.levels)}), {done.pushes} chat(s) told")
    return 0


def cmd_dose_import(args: argparse.Namespace) -> int:
    """A site's dose records (CSV or XLSX) matched to registered people, with a progress bar and a report."""
    from pathlib import Path

    from sqlalchemy import select
    from tqdm import tqdm

    from bot import i18n
    from bot.app import signing_key
    from bot.services.blobs import uploads
    from bot.services.vaccination import site_records
    from bot.services.values.errors import Invalid
    from models.tables import Site, table

    if not args.file:
        print("dose import needs a file: sskdt dose import FILE.csv|FILE.xlsx", file=sys.stderr)
        return 2
    path = Path(args.file)
    settings = _settings(args)
    engine = _database(args)
    data = path.read_bytes()
    try:
        with engine.begin() as conn:
            site_id = None
            if args.site:
                site = table(Site)
                site_id = conn.execute(select(site.c.id).where(site.c.code == args.site)).scalar()
                if site_id is None:
                    print(f"no site with code {args.site} (sskdt site list)", file=sys.stderr)
                    return 1
            with tqdm(desc=path.name, unit=" rows", file=sys.stderr, mininterval=0.5) as bar:
                def progress(done: int) -> None:
                    bar.update(done - bar.n)

                rows = site_records.parse_table(site_records.read_table(data, path.name, uploads.SERVER))
                report = site_records.import_rows(conn, signing_key(settings), rows, file_name=path.name,
                                                  site_id=site_id, progress=progress)
    except Invalid as bad:
        print(i18n.t("en", bad.key, **bad.params), file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    report_path = Path(args.report) if args.report else path.with_name(path.stem + ".report.csv")
    report_path.write_bytes(site_records.report_csv("vi", report))
    print(site_records.summary("en", report))
    for line in site_records.problem_lines("en", report, limit=20):
        print("  " + line)
    print(f"report: {report_path}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """A site's list as an XLSX workbook (the same as /xuat in the chat); ``--doses``: one row per dose given from
    ``--from`` to ``--to`` (every site with ``--site all``), the file `dose import` reads back."""
    from datetime import timedelta
    from pathlib import Path

    from bot.services.access import audit
    from bot.services.campaign import exports
    from bot.services.registration import appointments, sites
    from bot.services.values.dates import parse_dmy, today
    from bot.services.values.errors import Invalid

    engine = _database(args)
    try:
        day = parse_dmy(args.date) if args.date else None
        last = parse_dmy(args.to) if args.to else (day or today())
        first = parse_dmy(args.since) if args.since else (day or last - timedelta(days=29))
        with engine.begin() as conn:
            site = None if args.doses and args.site.lower() == "all" else sites.by_code(conn, args.site)
            if site is None and not (args.doses and args.site.lower() == "all"):
                print(f"no site with code {args.site} (sskdt site list)", file=sys.stderr)
                return 1
            if args.doses:
                rows = exports.dose_rows(conn, site.id if site else None, first, last, args.locale)
                audit.record_many(conn, None, "export", [(p, "doses, command line")
                                                         for p in dict.fromkeys(r["person_id"] for r in rows)])
            else:
                rows = exports.site_list_rows(conn, site.id if site else 0, day, args.locale)
                for person in appointments.people_of(conn, [r["booking_code"] for r in rows]):
                    audit.record(conn, None, "export", person_id=person, how="command line")
    except Invalid:
        print("--date, --from and --to must be dd/mm/yyyy", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    code = site.code if site else "all"
    if args.doses:
        title = f"{first:%d-%m-%Y}_{last:%d-%m-%Y}"
        target = Path(args.output or f"mui-tiem-{code}-{title}.xlsx")
        target.write_bytes(exports.workbook(rows, args.locale, title, exports.DOSE_COLUMNS))
        print(f"{len(rows)} doses written to {target}")
        return 0
    title = day.strftime("%d-%m-%Y") if day else "all"
    target = Path(args.output or f"danh-sach-{code}-{title}.xlsx")
    target.write_bytes(exports.workbook(rows, args.locale, title))
    print(f"{len(rows)} registrations written to {target}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from models.backup import BackupError, backup

    settings = _settings(args)
    try:
        size = backup(settings.effective_database_url, Path(args.file))
    except BackupError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"database copied to {args.file} ({size:,} bytes, readable by you only). The signing keys in "
          f"{settings.data_dir / 'keys'} are not in it: keep them apart, in the province's key store.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from bot.app import migrate
    from models.backup import BackupError, restore

    settings = _settings(args)
    try:
        restore(settings.effective_database_url, Path(args.file), force=args.force)
    except BackupError as exc:
        print(exc, file=sys.stderr)
        return 2
    migrate(settings)  # a backup from an older version is brought up to date
    print(f"database restored from {args.file}; start the service again.")
    return 0


def _database(args: argparse.Namespace) -> Any:
    """The migrated database of the settings, for the administrative commands."""
    from bot.app import migrate
    from models.db import make_engine

    settings = _settings(args)
    _logging("WARNING")
    migrate(settings)
    return make_engine(settings.effective_database_url)


def cmd_site(args: argparse.Namespace) -> int:
    import csv
    from pathlib import Path

    from bot.services.registration import sites

    engine = _database(args)
    try:
        if args.action == "list":
            with engine.connect() as conn:
                for code, name, province, ward, capacity in sites.all_sites(conn):
                    print(f"{code:<12} {name}  (province {province}, ward {ward}, {capacity}/day)")
            return 0
        if not args.file:
            print("site import needs a CSV file", file=sys.stderr)
            return 2
        text = Path(args.file).read_text(encoding="utf-8-sig")  # Excel's CSV starts with a BOM
        try:
            dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        table = list(csv.reader(text.splitlines(), dialect))
        found = sites.header_columns(table[0] if table else [])
        rows = [{column: (line[table[0].index(cell)] if table[0].index(cell) < len(line) else "")
                 for column, cell in found.items()} for line in table[1:] if any(v.strip() for v in line)]
        missing = [c for c in sites.IMPORT_COLUMNS if c not in found]
        if missing:
            print(f"the header lacks: {', '.join(missing)} (columns: {', '.join(sites.IMPORT_COLUMNS)})",
                  file=sys.stderr)
            return 2
        with engine.begin() as conn:
            report = sites.import_rows(conn, rows)
    finally:
        engine.dispose()
    print(f"sites added: {report.added}, updated: {report.updated}, bad rows: {len(report.bad)}")
    for line, reason in report.bad:
        print(f"  line {line}: {reason}")
    return 1 if report.bad else 0


def cmd_staff(args: argparse.Namespace) -> int:
    from bot.services.access import staff
    from bot.services.values.errors import Invalid
    from bot.services.values.phones import parse_mobile

    engine = _database(args)
    try:
        if args.action == "list":
            with engine.connect() as conn:
                for member in staff.members(conn):
                    print(f"{member.phone:<14} {member.role:<8} {member.site_code or '-':<12} {member.name}")
            return 0
        if not args.phone:
            print(f"staff {args.action} needs --phone", file=sys.stderr)
            return 2
        try:
            phone = parse_mobile(args.phone)
        except Invalid:
            print("not a Vietnamese mobile number", file=sys.stderr)
            return 2
        with engine.begin() as conn:
            if args.action == "remove":
                removed = staff.remove(conn, phone=phone)
                print("removed" if removed else "that account has no staff role")
                return 0 if removed else 1
            staff.add(conn, phone=phone, role=args.role, site_code=args.site)
    except staff.StaffError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(f"{args.phone}: {args.role}" + (f" at {args.site}" if args.site else ""))
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime, time

    from bot.services.access import audit
    from bot.services.values.dates import LOCAL_TZ, parse_dmy
    from bot.services.values.errors import Invalid
    from bot.services.values.phones import parse_mobile
    from bot.services.values.text import identifier

    try:
        since = None
        if args.since:
            since = datetime.combine(parse_dmy(args.since), time(), LOCAL_TZ).astimezone(UTC).replace(tzinfo=None)
        phone = parse_mobile(args.staff) if args.staff else None
    except Invalid:
        print("--since is dd/mm/yyyy and --staff a Vietnamese mobile number", file=sys.stderr)
        return 2
    engine = _database(args)
    try:
        with engine.connect() as conn:
            found = audit.entries(conn, staff_phone=phone, id_number=identifier(args.person) if args.person else None,
                                  since=since)
    finally:
        engine.dispose()
    for e in found:
        print(f"{e.at:%Y-%m-%d %H:%M:%S} UTC  {e.actor_phone or '-':<13} {e.role or '-':<8} {e.site_code or '-':<12} "
              f"{e.action:<8} person {e.person_id or '-':<6} {e.result:<10} {e.how}")
    print(f"{len(found)} entries")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot import i18n
    from bot.app import keys_dir
    from bot.services.certificates import credentials, keys
    from bot.services.reference import vaccines

    settings = _settings(args)
    source = args.code
    texts = [source]
    # A credential's text starts with its prefix; anything else names a picture. Nothing is guessed from what
    # happens to exist on disk (a 3,000-character text is no file name to try).
    if not (args.text or source.strip().startswith((credentials.HC1, credentials.CARD))):
        from bot.services.certificates.qr_reader import PictureTooLarge, read_codes

        try:
            texts = read_codes(Path(source).read_bytes())
        except PictureTooLarge:
            print("the picture has too many pixels to decode", file=sys.stderr)
            return 2
        except OSError as error:
            print(f"cannot read the picture {source[:80]!r}: {error.strerror or error}; "
                  "a QR text starts with HC1: or SSKDT1: (or use --text)", file=sys.stderr)
            return 2
        if not texts:
            print("no QR code found in the image", file=sys.stderr)
            return 2
    trusted = keys.trusted(keys_dir(settings))
    verdict = credentials.verify(texts[0], trusted)
    if verdict.valid and verdict.credential_id:
        reason = _online_reason(settings, verdict.credential_id)
        if reason:
            verdict.valid, verdict.reason = False, reason
    label = i18n.t("vi", vaccines.LOOKS[verdict.level].label, doses=verdict.dose_number)
    print(f"name:        {verdict.name or '-'}")
    print(f"birth date:  {verdict.birth_date or '-'}")
    print(f"doses:       {verdict.dose_number}/{verdict.series or '-'}")
    print(f"colour:      {verdict.level} ({label}) - from the signed data")
    print(f"issued:      {verdict.issued_at or '-'}; expires: {verdict.expires_at or '-'}")
    print(f"verdict:     {'VALID' if verdict.valid else 'NOT VALID: ' + verdict.reason}")
    signer = trusted.get(verdict.kid) if verdict.kid else None
    if signer is not None and keys.is_development(signer):
        print("note:        signed by a development key: not valid at checkpoints")
        return 1
    return 0 if verdict.valid else 1


def _online_reason(settings: Settings, credential_id: str) -> str:
    """Online check when the database is at hand (revoked: its person deleted; superseded by a newer one);
    offline verification stands otherwise."""
    from bot.services.certificates import credentials
    from models.db import is_sqlite, make_engine

    url = settings.effective_database_url
    if is_sqlite(url) and not (settings.data_dir / "sskdt.db").exists() and not settings.database_url:
        return ""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if credentials.revoked(conn, credential_id):
                return "revoked: the person's record was deleted"
            return "superseded by a newer credential" if credentials.superseded(conn, credential_id) else ""
    except Exception:
        logging.getLogger("sskdt").warning("database not reachable: superseded check skipped")
        return ""
    finally:
        engine.dispose()


def cmd_flows(args: argparse.Namespace) -> int:
    """The conversation's state diagram, generated from the flows (committed as docs/flows.md)."""
    from handlers import build_registry

    registry = build_registry()
    if args.mermaid:
        print(flows_markdown(registry.mermaid()), end="")
    else:
        for flow in registry.flows.values():
            print(f"{flow.name}: {' → '.join(s.name for s in flow.steps)}")
    return 0


def flows_markdown(mermaid: str) -> str:
    return (
        "# The conversation's flows\n\nGenerated by `sskdt flows --mermaid` from the flow registry; a test fails "
        "when this file\ndiffers from what the registry generates. Each box is a flow, each inner state a "
        "question.\n\n```mermaid\n" + mermaid + "```\n"
    )


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="sskdt",
        description="Vaccination registration chatbot (the electronic health book). Settings come from SSKDT_* "
        "environment variables or a .env file; command options override them.",
    )
    sub = top.add_subparsers(dest="command", required=True)
    commands = (
        ("run", cmd_run, "serve the web chat (and messengers configured) on the embedded defaults"),
        ("migrate", cmd_migrate, "apply database migrations"),
        ("demo-seed", cmd_demo_seed, "load a handful of demo vaccination sites"),
        ("keys", cmd_keys, "keys generate: write a P-256 signing key and self-signed certificate"),
        ("dose", cmd_dose_add, "dose add: record a dose, re-issue the QR and push it to the citizen; "
                               "dose import FILE: a site's dose records (CSV/XLSX), matched to registered people; "
                               "dose list --person CCCD | edit --id N [--vaccine --lot --date] | "
                               "remove --id N --reason R: correct a recorded dose"),
        ("verify", cmd_verify, "verify a QR (PNG/JPEG file or its text): signature, expiry, superseded"),
        ("site", cmd_site, "site import FILE.csv | site list: the province's vaccination sites"),
        ("staff", cmd_staff, "staff add --phone 09… --role admin|staff|checker [--site CODE] | remove | list"),
        ("audit", cmd_audit, "print the audit log: who looked up, changed or verified whose record"),
        ("export", cmd_export, "export --site CODE [--date dd/mm/yyyy]: a site's list as an XLSX workbook; "
                               "--doses [--from --to]: one row per dose given"),
        ("flows", cmd_flows, "list the conversation's flows; --mermaid prints the state diagram (docs/flows.md)"),
        ("backup", cmd_backup, "backup FILE: a consistent copy of the SQLite database while the service runs "
                               "(PostgreSQL: says how, with pg_dump)"),
        ("restore", cmd_restore, "restore FILE --force: replace the SQLite database with a backup (service "
                                 "stopped), then migrate"),
    )
    for name, fn, help_text in commands:
        cmd = sub.add_parser(
            name, help=help_text, description=help_text, epilog=_environment_help(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        for option, option_help in RUN_OPTIONS.items():
            if name != "run" and option in ("host", "port", "telegram_runtime"):
                continue
            kind = int if option == "port" else str
            cmd.add_argument("--" + option.replace("_", "-"), dest=option, type=kind, help=option_help)
        cmd.set_defaults(fn=fn)
        if name == "run":
            cmd.add_argument("--workers", type=int, default=1,
                             help="worker processes sharing the port (PostgreSQL and webhooks only; a worker that "
                                  "dies is started again)")
        if name == "keys":
            cmd.add_argument("action", choices=["generate"])
            cmd.add_argument("--issuer", default="SSKDT demo issuer", help="common name in the certificate")
            cmd.add_argument("--force", action="store_true", help="replace an existing key")
            cmd.add_argument("--out", help="the directory to write to (default <data dir>/keys): the files every "
                                           "node mounts as SSKDT_SIGNING_KEY_FILE and SSKDT_SIGNING_CERT_FILE")
        elif name == "dose":
            from bot.services.reference.vaccines import VACCINES

            cmd.add_argument("action", choices=["add", "import", "list", "edit", "remove"])
            cmd.add_argument("file", nargs="?", help="import: a site's dose records, CSV or XLSX, with the columns "
                             "full name, birth date, sex, ID number, phone, vaccine, lot, date, dose number "
                             "(the Vietnamese headers too, with or without diacritics: see README)")
            cmd.add_argument("--site", help="import: the site whose records these are (its code)")
            cmd.add_argument("--report", help="import: where to write the report (default FILE.report.csv)")
            cmd.add_argument("--booking-code", help="add: the 16-digit booking code")
            cmd.add_argument("--vaccine",
                             help="the vaccine, by any of its names: " + ", ".join(
                                 sorted({n for v in VACCINES.values() for n in v.names})))
            cmd.add_argument("--lot", help="add: lot number")
            cmd.add_argument("--date", help="add: date given, dd/mm/yyyy")
            cmd.add_argument("--person", help="list: the person's ID number")
            cmd.add_argument("--id", type=int, help="edit, remove: the dose's id (see dose list)")
            cmd.add_argument("--reason", help="remove: why (kept in the audit log)")
            cmd.add_argument("--confirm-interval", action="store_true",
                             help="record a dose sooner after the previous one than the vaccine's minimum")
        elif name == "verify":
            cmd.add_argument("code", help="the QR text (it starts with HC1: or SSKDT1:), or a PNG/JPEG file of it")
            cmd.add_argument("--text", action="store_true", help="CODE is a QR text, whatever it starts with")
        elif name == "site":
            cmd.add_argument("action", choices=["import", "list"])
            cmd.add_argument("file", nargs="?", help="CSV (UTF-8, with or without BOM) with the columns "
                             "code,name,province_code,ward_code,address,daily_capacity")
        elif name == "staff":
            from bot.services.access.staff import ROLES

            cmd.add_argument("action", choices=["add", "remove", "list"])
            cmd.add_argument("--phone", help="the staff member's account phone number")
            cmd.add_argument("--role", choices=ROLES, default="staff")
            cmd.add_argument("--site", help="the site's code (staff work for one site)")
        elif name == "audit":
            cmd.add_argument("--staff", help="only this staff member's actions (phone number)")
            cmd.add_argument("--person", help="only actions on this person's record (ID number)")
            cmd.add_argument("--since", help="from this day on (dd/mm/yyyy)")
        elif name == "export":
            cmd.add_argument("--site", required=True, help="the site's code (with --doses, 'all': every site)")
            cmd.add_argument("--date", help="only this day's appointments and preferences (dd/mm/yyyy)")
            cmd.add_argument("--doses", action="store_true",
                             help="one row per dose given (the report a district asks for; dose import reads it)")
            cmd.add_argument("--from", dest="since", help="--doses: from this day (default: 30 days before --to)")
            cmd.add_argument("--to", help="--doses: to this day (default: today)")
            cmd.add_argument("--output", "-o", help="the file to write (default danh-sach-CODE-DATE.xlsx)")
            cmd.add_argument("--locale", default="vi", choices=["vi", "en"], help="the headers' language")
        elif name in ("backup", "restore"):
            cmd.add_argument("file", help="the backup file")
            if name == "restore":
                cmd.add_argument("--force", action="store_true", help="replace the database that is there")
        elif name == "flows":
            cmd.add_argument("--mermaid", action="store_true", help="print the Mermaid state diagram (Markdown)")
    return top


def main(argv: list[str] | None = None) -> int:
    os.umask(0o077)  # the database, its WAL, pictures and keys: readable by the service's user only
    args = parser().parse_args(argv)
    return int(args.fn(args))


if __name__ == "__main__":
    sys.exit(main())
