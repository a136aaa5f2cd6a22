"""The composition root: builds storage, engine, flows and channels from :class:`Settings`."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from bot.channels.webchat import transcript as webchat
from bot.config import Settings
from bot.engine import Engine, Pusher, Reply
from bot.engine.context import Services
from bot.engine.storage import conversations, deploy_state, secret_links, web_sessions
from bot.engine.store import Store
from bot.services.blobs.backends import Backend, DatabaseBlobs
from bot.services.blobs.files import FileStore
from bot.services.blobs.media import MediaStore
from bot.services.blobs.uploads import UploadPool
from bot.services.certificates import drawing, keys, qr_image
from bot.services.certificates.keys import SigningKey
from bot.services.certificates.qr_codes import QrImages
from bot.services.messaging import outbox
from bot.services.messaging.sms import ConsoleSms, HttpSms, SmsSender
from bot.services.people import budgets, link_codes, otp, throttle
from bot.services.people.budgets import Budgets
from bot.services.people.passwords import HashCost, Passwords
from bot.services.registration import appointments, decisions, sites
from bot.services.vaccination import reactions, site_records
from bot.services.values.dates import utcnow
from handlers import build_registry, names
from models.db import is_sqlite, make_engine
from models.migrate import current_revision, head_revision, upgrade

log = logging.getLogger(__name__)


def read_or_create_secret(path: Path) -> bytes:
    """A 32-byte secret kept in a file readable by the owner only (never in the repository or database)."""
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        value = secrets.token_bytes(32)
        fh.write(value)
    return value


@dataclass
class App:
    settings: Settings
    store: Store
    engine: Engine
    cpu: ThreadPoolExecutor
    pusher: Pusher

    async def maintain(self, every: timedelta = timedelta(minutes=20)) -> None:
        """Housekeeping while the service runs: expire update keys (after 7 days), stale drafts, files handed to
        chats, and QR pictures no message shows any more."""
        ttl, keep = self.engine.services.draft_ttl, timedelta(days=self.settings.transcript_days)
        records = timedelta(days=self.settings.site_record_days)
        while True:
            try:
                await self.store.run(partial(housekeeping, draft_ttl=ttl, keep=keep, site_records_for=records))
                if self.engine.services.files is not None:
                    self.engine.services.files.expire()
                self.engine.services.qr.media.expire(keep)  # pictures live as long as the messages showing them
            except Exception:
                log.exception("housekeeping failed; retrying later")
            await asyncio.sleep(every.total_seconds())

    async def schedule(self, every: timedelta = timedelta(minutes=5)) -> None:
        """Timed work while the service runs: the evening-before reminders of appointments (from 18:00), the
        day's no-shows once it is over, the people due again (the next dose, a postponement's end), and the
        day-after question to the people vaccinated yesterday."""
        while True:
            try:
                told = await self.store.run(appointments.remind_due)
                for sweep in (appointments.sweep_missed, decisions.sweep_due, reactions.ask_day_after):
                    while (done := await self.store.run(sweep)) > 0:  # a batch at a time: short transactions
                        told += done
                if told:
                    self.pusher.wake()
            except Exception:
                log.exception("scheduled work failed; retrying later")
            await asyncio.sleep(every.total_seconds())

    async def ready(self) -> str | None:
        """None when the service can serve: the database answers and its schema is the code's; else why not."""
        from bot.engine import Unavailable

        try:
            current = await self.store.run(current_revision)
        except Unavailable:
            return "database unreachable"
        head = head_revision()
        return None if current == head else f"database schema at {current}, the code needs {head}: run sskdt migrate"

    def metrics_app(self) -> Any:
        from bot.channels.ops import metrics_app

        return metrics_app(self.engine, self.ready)

    def web_app(self) -> Any:
        """The web chat (page, API, media, trust list): the embedded default channel."""
        from bot.channels import secret_page
        from bot.channels.ops import add_health_routes, request_ids
        from bot.channels.webchat.server import PageInfo, WebPolicy, client_address, create_web_app

        settings = self.settings
        trusted = keys.trust_list(self.engine.services.trusted)
        page = PageInfo(settings.service_name, settings.hotline)
        policy = WebPolicy(per_address=settings.rate_per_address, address_burst=settings.rate_per_address * 3,
                        per_chat=settings.rate_per_chat, chat_burst=settings.rate_per_chat * 4,
                        trusted_proxies=tuple(p.strip() for p in settings.trusted_proxies.split(",") if p.strip()),
                        secure_cookies=settings.env == "production")
        web_app = create_web_app(self.engine, self.engine.services.qr.media, trusted, page, policy)
        secret_page.add_routes(web_app, self.engine, client_address)  # channels without in-chat passwords
        web_app.middlewares.insert(0, request_ids)
        add_health_routes(web_app, self.ready)  # for the load balancer
        return web_app

    def start_drawing(self, *, wait: bool = False) -> None:
        """Start the drawing processes ahead of the first picture (the service and the benchmarks do; a command
        that only sets things up, like the workers' supervisor, does not); ``wait``: until they are ready."""
        if self.engine.services.qr.draw is drawing.render:
            drawing.start(wait=wait)

    def close(self) -> None:
        self.store.close()
        self.cpu.shutdown(wait=False, cancel_futures=True)
        if self.engine.services.uploads is not None:
            self.engine.services.uploads.shutdown(wait=False, cancel_futures=True)
        self.engine.services.qr.close()


def housekeeping(conn: Connection, *, draft_ttl: timedelta, keep: timedelta = timedelta(days=30),
                 site_records_for: timedelta = timedelta(days=365)) -> None:
    """Forget update keys after 7 days, stale drafts after their lifetime, undeliverable pushes after 7 days,
    answers kept for delivery a day after they were dealt with,
    web chat sessions unused for 30 days, password throttles after a day; transcripts and idle conversations
    after ``keep`` (``SSKDT_TRANSCRIPT_DAYS``), abandoned sign-ups after a day; a site's records that matched
    no one after ``site_records_for`` (``SSKDT_SITE_RECORD_DAYS``)."""
    conversations.expire(conn, updates_after=timedelta(days=7), drafts_after=draft_ttl)
    outbox.expire_stale(conn, timedelta(days=7))
    outbox.forget_answers(conn, timedelta(days=1))
    web_sessions.expire(conn)
    throttle.expire(conn)
    otp.expire(conn)
    budgets.forget_old(conn)
    secret_links.expire(conn)
    link_codes.expire(conn)
    site_records.forget_old(conn, (utcnow() - site_records_for).date())
    conversations.forget_old(conn, keep=keep, signup_flow=names.SIGNUP)


def migrate(settings: Settings) -> None:
    upgrade(settings.effective_database_url)


def make_private(data_dir: Path) -> None:
    """Personal data private on disk: the data directory 0700, everything in it the owner's alone (an
    installation made before this rule is corrected on start). Files created later follow the umask the
    command line sets (077)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    for path in data_dir.rglob("*"):
        if path.is_symlink():
            continue
        path.chmod(0o700 if path.is_dir() else 0o600)


def build(settings: Settings, *, run_migrations: bool = True) -> App:
    url = settings.effective_database_url
    make_private(settings.data_dir)
    if run_migrations:
        migrate(settings)
    sqlite = is_sqlite(url)
    # PostgreSQL: a thread per core, at least two (measured: 2 on 2 cores beats 1 and 4, bench/surge.py)
    workers = settings.db_workers or (1 if sqlite else min(8, max(2, os.cpu_count() or 2)))
    store = Store(make_engine(url, pool_size=workers + 1) if not sqlite else make_engine(url), workers=workers)
    if settings.demo_seed:
        with store.engine.begin() as conn:
            if sites.count(conn) == 0:
                log.info("empty database: loaded %d demo vaccination sites", sites.seed_demo(conn))
    # argon2-cffi releases the GIL: threads give real parallelism on the 2 cores.
    cpu = ThreadPoolExecutor(max_workers=max(os.cpu_count() or 1, 1), thread_name_prefix="sskdt-cpu")
    pepper = pepper_of(settings)
    passwords = Passwords(
        HashCost(settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism), pepper=pepper
    )
    # Separate keys derived from the one secret: media names must not help guess password fingerprints.
    separate = settings.drawing_process if settings.drawing_process is not None else (os.cpu_count() or 1) > 1
    media, files = blob_places(settings, url)
    qr = QrImages(MediaStore(media, hmac.new(pepper, b"media", hashlib.sha256).digest()),
                  drawing.render if separate else qr_image.render)
    signer = signing_key(settings)
    same_deployment(settings, store, signer, pepper)
    services = Services(
        passwords=passwords, cpu=cpu, signing_key=signer, qr=qr,
        trusted={**keys.trusted(keys_dir(settings)), signer.kid: signer.certificate},
        idle_after=timedelta(days=settings.idle_days),
        draft_ttl=timedelta(days=settings.draft_days), pepper=hmac.new(pepper, b"otp", hashlib.sha256).digest(),
        public_url=settings.public_url or f"http://{settings.host}:{settings.port}",
        files=FileStore(files),
        chat_linking=bool(settings.zalo_token), hotline=settings.hotline,
        uploads=UploadPool(on_failure=lambda key: site_records.BadFile(key)),
        budgets=Budgets(settings.sms_per_chat_hour, settings.sms_per_address_hour, settings.sms_per_hour,
                        settings.code_tries_per_chat_hour, settings.code_tries_per_address_hour),
    )
    engine = Engine(store, build_registry(), services, default_locale=settings.default_locale, row_locks=not sqlite,
                    cpu_queue=settings.cpu_queue)
    # The web chat is always served: its messages are kept for reading back, pushes included.
    engine.keep_transcript(webchat.CHANNEL, webchat.render, webchat.render_mine)
    pusher = Pusher(store, qr, engine.transcripts, default_locale=settings.default_locale, lock_rows=not sqlite,
                    process=engine.process)
    engine.after_push = pusher.wake
    sender: SmsSender = HttpSms(settings.sms_url, settings.sms_token) if settings.sms_url else ConsoleSms()

    async def send_sms(to: str, reply: Reply) -> None:
        await asyncio.get_running_loop().run_in_executor(None, sender.send, to, reply.text)

    pusher.deliverers[otp.SMS] = send_sms
    return App(settings, store, engine, cpu, pusher)


def blob_places(settings: Settings, url: str) -> tuple[Path | Backend, Path | Backend]:
    """Where pictures and files live: the data directory on SQLite (one node); the database on PostgreSQL, so that
    every node serves what any node made (an engine of their own: the pictures' threads, not the conversations')."""
    if is_sqlite(url):
        return settings.data_dir / "media", settings.data_dir / "files"
    engine = make_engine(url, pool_size=4)
    return DatabaseBlobs(engine, "media"), DatabaseBlobs(engine, "files")


def keys_dir(settings: Settings) -> Path:
    return settings.data_dir / "keys"


def pepper_of(settings: Settings) -> bytes:
    """The deployment's secret: given in the environment (``SSKDT_PEPPER``, hex), a file mounted read-only on every
    node (``SSKDT_PEPPER_FILE``), or one created in the data directory on first start (one node)."""
    if settings.pepper:
        if settings.pepper_file:
            raise SystemExit("SSKDT_PEPPER and SSKDT_PEPPER_FILE are both set: keep one")
        try:
            value = bytes.fromhex(settings.pepper.strip())
        except ValueError:
            value = b""
        if len(value) < 32:
            raise SystemExit("SSKDT_PEPPER must be 64 or more hex characters (openssl rand -hex 32)")
        return value
    if settings.pepper_file:
        value = Path(settings.pepper_file).read_bytes()
        if len(value) < 32:
            raise SystemExit(f"SSKDT_PEPPER_FILE {settings.pepper_file} holds {len(value)} bytes: 32 or more are "
                             "needed (head -c 32 /dev/urandom > pepper.key)")
        return value
    return read_or_create_secret(settings.data_dir / "secrets" / "pepper.key")


def mounted_key(settings: Settings) -> tuple[Path, Path] | None:
    """(key, certificate) files mounted on every node, or None: the data directory's keys."""
    if not settings.signing_key_file:
        return None
    key_path = Path(settings.signing_key_file)
    cert = Path(settings.signing_cert_file) if settings.signing_cert_file else key_path.with_name(keys.CERT_FILE)
    return key_path, cert


def provided_key(settings: Settings) -> SigningKey | None:
    """The key every node of a deployment is given: in the environment (``SSKDT_SIGNING_KEY`` and
    ``SSKDT_SIGNING_CERT``, PEM text) or in files mounted read-only; None: the data directory's. Raises
    ``ValueError`` (or ``OSError``) saying what is wrong with what was given."""
    if settings.signing_key or settings.signing_cert:
        if settings.signing_key_file:
            raise ValueError("SSKDT_SIGNING_KEY and SSKDT_SIGNING_KEY_FILE are both set: keep one")
        if not (settings.signing_key and settings.signing_cert):
            raise ValueError("SSKDT_SIGNING_KEY and SSKDT_SIGNING_CERT go together (the key and its certificate)")
        return keys.from_pem(settings.signing_key.encode(), settings.signing_cert.encode(), "SSKDT_SIGNING_KEY")
    if (mounted := mounted_key(settings)) is not None:
        return keys.load_pair(*mounted)
    return None


def signing_key(settings: Settings) -> SigningKey:
    """The issuer key: files mounted on every node (``SSKDT_SIGNING_KEY_FILE``, ``SSKDT_SIGNING_CERT_FILE``), or the
    data directory's; in development created on first start, marked as a development key (its QR codes say
    so at `sskdt verify` and in the trust list); production refuses to start without one (see
    :func:`production_problems`)."""
    if (given := provided_key(settings)) is not None:
        return given
    found = keys.load(keys_dir(settings))
    if found is None:
        log.warning("no signing key in %s: generated a development key, not valid at checkpoints (run "
                    "'sskdt keys generate' or install the province's key for production)", keys_dir(settings))
        found = keys.generate(keys_dir(settings), issuer=keys.DEVELOPMENT_ISSUER)
    return found


KEY_FACT, PEPPER_FACT = "signing_key_sha256", "pepper_check"


def same_deployment(settings: Settings, store: Store, signer: SigningKey, pepper: bytes) -> None:
    """Every node of a deployment signs with one key and keeps one secret: the first node to start records their
    fingerprints in the database (the pepper's as a keyed hash, never the secret); a node whose differ refuses to
    start in production, naming both (a development node says so and takes the database over)."""
    mine = {KEY_FACT: keys.fingerprint(signer.certificate),
            PEPPER_FACT: hmac.new(pepper, b"sskdt deployment", hashlib.sha256).hexdigest()[:32]}
    with store.engine.begin() as conn:
        stored = {fact: deploy_state.get(conn, fact) for fact in mine}
        different = [f"{fact}: this node {mine[fact][:16]}…, the deployment {(stored[fact] or '')[:16]}…"
                     for fact in mine if stored[fact] not in (None, mine[fact])]
        if different and settings.env == "production":
            raise SystemExit("this node's key or secret differs from the deployment's (" + "; ".join(different)
                             + "): give every node the same key and secret (SSKDT_SIGNING_KEY_FILE or "
                             "SSKDT_SIGNING_KEY, SSKDT_PEPPER_FILE or SSKDT_PEPPER)")
        if different:
            log.warning("this node's key or secret differs from the database's (%s): development, so the database "
                        "now records this node's", "; ".join(different))
        for fact, value in mine.items():
            if stored[fact] != value:
                deploy_state.put(conn, fact, value)


def production_problems(settings: Settings) -> list[str]:
    """What stops ``SSKDT_ENV=production`` from starting, each said plainly (empty: ready)."""
    problems = []
    data_dir = settings.data_dir.resolve()
    if not settings.data_dir.is_absolute() or str(data_dir).startswith(("/tmp", "/var/tmp", "/dev/shm")):
        problems.append(f"SSKDT_DATA_DIR must be an absolute path on a persistent volume (got {settings.data_dir}): "
                        "keys, the database and pictures would be lost on restart")
    given = bool(settings.signing_key or settings.signing_cert or settings.signing_key_file)
    try:
        key = provided_key(settings) if given else keys.load(keys_dir(settings))
    except (OSError, ValueError) as exc:
        key = None
        problems.append(f"the signing key given cannot be used: {exc}")
    if key is None and not given:
        problems.append(f"no signing key in {keys_dir(settings)}: install the province's key, or run "
                        "'sskdt keys generate --issuer NAME' and publish its certificate")
    elif key is not None and keys.is_development(key.certificate):
        problems.append("the signing key is a development key: QR codes it signs are not valid at checkpoints")
    if not settings.sms_url:
        problems.append("SSKDT_SMS_URL is not set: one-time codes would only be printed on the console")
    if not settings.public_url.startswith("https://"):
        problems.append("SSKDT_PUBLIC_URL must be the service's https:// address (cookies are Secure, "
                        "messengers reach it)")
    return problems
