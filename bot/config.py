"""Typed settings from ``SSKDT_*`` environment variables or a ``.env`` file; ``sskdt run`` options override."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SSKDT_", env_file=".env", extra="ignore")

    env: str = Field("development", description="development or production (refuses to start unless ready)")
    public_url: str = Field("", description="the https:// address where the service is reachable")
    data_dir: Path = Field(Path("data"), description="keys, media and the default SQLite file")
    database_url: str = Field("", description="SQLAlchemy URL; empty means sqlite:///<data_dir>/sskdt.db")
    signing_key_file: str = Field("", description="the QR signing key (PEM), mounted read-only, the same file on "
                                                  "every node; empty: <data_dir>/keys/signing-key.pem")
    signing_cert_file: str = Field("", description="its certificate (PEM); empty: signing-cert.pem beside the key")
    pepper_file: str = Field("", description="the deployment's 32-byte secret (passwords' pepper, picture names), "
                                             "mounted read-only, the same on every node; empty: "
                                             "<data_dir>/secrets/pepper.key, created on first start")
    signing_key: str = Field("", description="the signing key itself (PEM text), where secrets come as environment "
                                             "variables; with SSKDT_SIGNING_CERT, instead of the files")
    signing_cert: str = Field("", description="its certificate itself (PEM text), with SSKDT_SIGNING_KEY")
    pepper: str = Field("", description="the deployment's secret itself, 64 hex characters (openssl rand -hex 32), "
                                        "instead of SSKDT_PEPPER_FILE")
    host: str = Field("127.0.0.1", description="address the web chat and webhooks listen on")
    port: int = Field(8080, description="port the web chat and webhooks listen on")
    default_locale: str = Field("vi", description="language of new chats: vi or en")
    service_name: str = Field("", description="the service's name in the web chat's header; empty = the catalog's")
    hotline: str = Field("", description="the support hotline shown in the web chat's header; empty = 1900 9095")
    cpu_queue: int = Field(0, description="password hashes waiting or running at most (0 = 16 per core); "
                                          "beyond, 'busy' at once, with 2 places kept for log-ins")
    sms_url: str = Field("", description="SMS gateway URL (JSON {to, text}); empty = print codes on the console")
    sms_token: str = Field("", description="bearer token for the SMS gateway")
    sms_per_chat_hour: int = Field(5, description="SMS codes one chat may have sent in an hour")
    sms_per_address_hour: int = Field(30, description="SMS codes one client address may have sent in an hour")
    sms_per_hour: int = Field(5000, description="SMS codes the whole deployment sends in an hour (each costs money)")
    code_tries_per_chat_hour: int = Field(20, description="one-time codes one chat may type in an hour")
    code_tries_per_address_hour: int = Field(60, description="one-time codes one client address may type in an hour")
    rate_per_address: float = Field(20, description="web API requests a second per client address (burst ×3)")
    rate_per_chat: float = Field(5, description="web API requests a second per chat (burst ×4)")
    trusted_proxies: str = Field("", description="comma-separated proxy addresses whose X-Forwarded-For counts")
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    log_format: str = Field("text", description="text (lines for a person) or json (one object a line, with the "
                                                "request id, for a log collector)")
    metrics_addr: str = Field("127.0.0.1:9464", description="host:port of the Prometheus /metrics listener, kept "
                                                           "off the public one; empty: none")
    argon2_memory_kib: int = Field(19 * 1024, description="argon2id memory cost (OWASP minimum: 19456)")
    argon2_time_cost: int = Field(2, description="argon2id iterations")
    argon2_parallelism: int = Field(1, description="argon2id lanes")
    idle_days: int = Field(30, description="a conversation idle this long restarts politely")
    draft_days: int = Field(7, description="how long a half-finished registration is kept")
    transcript_days: int = Field(30, description="transcripts, idle conversations and QR pictures not shown since "
                                                 "are deleted after this")
    site_record_days: int = Field(365, description="imported dose records that matched no one are kept this long")
    drawing_process: bool | None = Field(None, description="draw QR pictures in a process of their own; empty = "
                                                          "when the machine has more than one core")
    db_workers: int = Field(0, description="DB threads; 0 = 1 on SQLite, one per core (2 to 8) on PostgreSQL")
    demo_seed: bool = Field(True, description="load demo vaccination sites into an empty database on run")
    telegram_token: str = Field("", description="Telegram bot token from BotFather; empty = no Telegram")
    telegram_runtime: str = Field("aiogram", description="Telegram library: aiogram or ptb (python-telegram-bot)")
    telegram_api_url: str = Field("https://api.telegram.org", description="Bot API server (self-hosted or a fake)")
    telegram_webhook_url: str = Field("", description="public HTTPS URL of the webhook; empty = long polling")
    telegram_webhook_secret: str = Field("", description="webhook secret; empty = generated into the data dir")
    telegram_rate_global: float = Field(30, description="messages per second the bot sends overall")
    telegram_rate_per_chat: float = Field(1, description="messages per second the bot sends to one chat")
    telegram_burst_per_chat: int = Field(3, description="messages one chat may get at once before that rate")
    zalo_token: str = Field("", description="Zalo Bot token (Zalo Bot Manager); empty = no Zalo")
    zalo_api_url: str = Field("https://bot-api.zaloplatforms.com", description="Zalo Bot API server (or a fake)")
    zalo_webhook_url: str = Field("", description="public HTTPS URL of the Zalo webhook; empty = polling")
    zalo_webhook_secret: str = Field("", description="Zalo webhook secret; empty = generated into the data dir")
    zalo_rate_global: float = Field(10, description="Zalo messages per second the bot sends overall")
    zalo_rate_per_chat: float = Field(1, description="Zalo messages per second the bot sends to one chat")
    zalo_burst_per_chat: int = Field(1, description="Zalo messages one chat may get at once before that rate")

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'sskdt.db').resolve()}"
