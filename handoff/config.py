"""Service settings, read once from the environment.

Every knob has a default that works on a developer machine, so `python -m handoff serve`
needs no configuration; production sets the secrets and the public URL.
"""
from __future__ import annotations

import ipaddress
import json
import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from .turn import TurnServer

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ATHENS = ZoneInfo("Europe/Athens")


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw else default


def _str(name: str, default: str) -> str:
    """A variable set but empty counts as unset (the compose file passes every setting through,
    empty unless the operator gave one)."""
    return os.environ.get(name) or default


def _flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")


def _ice_servers(raw: str) -> tuple[dict, ...]:
    """STUN servers only: a TURN user with a fixed password would be handed to every page and
    never expire, so TURN goes through HANDOFF_TURN_SECRET (time-limited credentials)."""
    servers = tuple(json.loads(raw))
    if any("username" in s or "credential" in s for s in servers):
        raise ValueError("HANDOFF_ICE_SERVERS: no static TURN users; set HANDOFF_TURN_SECRET and HANDOFF_TURN_URLS instead")
    return servers


def _networks(raw: str) -> tuple[str, ...]:
    """Comma-separated addresses or networks, checked now: a typo must not trust everyone or nobody silently."""
    networks = tuple(n.strip() for n in raw.split(",") if n.strip())
    for network in networks:
        ipaddress.ip_network(network, strict=False)  # ValueError names the bad one
    return networks


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    redis_url: str | None = None
    service_token: str | None = None
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    public_url: str = ""
    data_dir: Path = PROJECT_ROOT / "data"
    slot_minutes: int = 20
    min_lead_minutes: int = 60
    horizon_days: int = 28
    change_notice_hours: int = 8
    join_grace_minutes: int = 60
    no_show_minutes: int = 15
    demo_accounts_file: Path | None = None  # set (make run): demo console accounts, their log-ins written there
    rasa_url: str = "http://127.0.0.1:5005"  # the bot, for the citizen chat page's relay
    rasa_token: str | None = None  # Rasa's HTTP API token (chat history after a reload)
    chat_messages_per_minute: int = 20
    retention_days: int = 30  # a booking's personal data is erased this long after its slot
    max_bookings_per_citizen: int = 2  # future bookings per ΑΦΜ/ΑΜΚΑ and per mobile, one per topic; 0: no limit
    login_attempts_per_minute: int = 10  # console log-ins per client address
    login_check_threads: int = 1  # argon2 checks at once (each 64 MiB, 4 lanes, ~0.1-0.4 s of every core it gets)
    bookings_per_address_per_hour: int = 10  # bookings asked from one client address (through the chat page); 0: no limit
    public_requests_per_minute: int = 120  # slot and booking API requests per client address (not the bot's); 0: no limit
    # Our reverse proxies (addresses or networks): only from them is X-Forwarded-For believed.
    trusted_proxies: tuple[str, ...] = ()
    ice_servers: tuple[dict, ...] = ()  # STUN servers for the calls, e.g. [{"urls": "stun:…"}]
    turn_secret: str | None = None  # coturn's static-auth-secret: time-limited TURN credentials per call
    turn_urls: tuple[str, ...] = ()
    turn_ttl_seconds: int = 3600
    ice_addresses: tuple[str, ...] = ()  # local addresses offered as ICE candidates; () = all but loopback
    call_idle_seconds: int = 120  # nobody connected to a call this long: its media is closed (not the call)
    call_offers_per_minute: int = 30  # offers (joins and rejoins) per call and side
    max_body_bytes: int = 64 * 1024
    # Notifications (see notify_worker): SMTP and an SMS gateway; unset → files in outbox_dir.
    smtp_host: str = ""
    smtp_port: int = 0  # 0: 465 with TLS, 587 with STARTTLS, else 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_tls: bool = False
    smtp_from: str = ""  # e.g. "ΚΕΠ <no-reply@kep.example.gr>"
    sms_url: str = ""
    sms_key: str = ""
    sms_sender: str = "KEP"
    outbox_dir: Path = PROJECT_ROOT / "var" / "outbox"
    notify_max_attempts: int = 10
    notify_retry_seconds: float = 30.0  # first retry; doubles each time, at most an hour
    notify_claim_idle_seconds: int = 120  # a message held this long by a silent worker is taken over
    notify_lanes: int = 4  # messages one worker sends at the same time

    @property
    def turn(self) -> TurnServer | None:
        if not (self.turn_secret and self.turn_urls):
            return None
        return TurnServer(self.turn_secret, self.turn_urls, self.turn_ttl_seconds)

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"

    @classmethod
    def from_env(cls) -> Settings:
        if os.environ.get("HANDOFF_BEHIND_PROXY"):  # it believed X-Forwarded-For from anyone
            raise ValueError("HANDOFF_BEHIND_PROXY is gone: set HANDOFF_TRUSTED_PROXIES to the proxy's address or network")
        secret = os.environ.get("HANDOFF_SECRET_KEY")
        if not secret:
            log.warning(
                "HANDOFF_SECRET_KEY is not set: using a random key, so join links "
                "will stop working when the service restarts"
            )
            secret = secrets.token_urlsafe(32)
        return cls(
            host=_str("HANDOFF_HOST", "127.0.0.1"),
            port=_int("HANDOFF_PORT", 8080),
            redis_url=os.environ.get("REDIS_URL") or None,
            service_token=os.environ.get("HANDOFF_SERVICE_TOKEN") or None,
            secret_key=secret,
            public_url=_str("HANDOFF_PUBLIC_URL", ""),
            data_dir=Path(_str("HANDOFF_DATA_DIR", str(PROJECT_ROOT / "data"))),
            slot_minutes=_int("HANDOFF_SLOT_MINUTES", 20),
            min_lead_minutes=_int("HANDOFF_MIN_LEAD_MINUTES", 60),
            horizon_days=_int("HANDOFF_HORIZON_DAYS", 28),
            change_notice_hours=_int("HANDOFF_CHANGE_NOTICE_HOURS", 8),
            join_grace_minutes=_int("HANDOFF_JOIN_GRACE_MINUTES", 60),
            no_show_minutes=_int("HANDOFF_NO_SHOW_MINUTES", 15),
            demo_accounts_file=Path(os.environ["HANDOFF_DEMO_ACCOUNTS_FILE"]) if os.environ.get("HANDOFF_DEMO_ACCOUNTS_FILE") else None,
            rasa_url=_str("HANDOFF_RASA_URL", "http://127.0.0.1:5005"),
            rasa_token=os.environ.get("HANDOFF_RASA_TOKEN") or os.environ.get("RASA_TOKEN") or None,
            chat_messages_per_minute=_int("HANDOFF_CHAT_MESSAGES_PER_MINUTE", 20),
            retention_days=_int("HANDOFF_RETENTION_DAYS", 30),
            max_bookings_per_citizen=_int("HANDOFF_MAX_BOOKINGS_PER_CITIZEN", 2),
            login_attempts_per_minute=_int("HANDOFF_LOGIN_ATTEMPTS_PER_MINUTE", 10),
            login_check_threads=_int("HANDOFF_LOGIN_CHECK_THREADS", 1),
            bookings_per_address_per_hour=_int("HANDOFF_BOOKINGS_PER_ADDRESS_PER_HOUR", 10),
            public_requests_per_minute=_int("HANDOFF_PUBLIC_REQUESTS_PER_MINUTE", 120),
            trusted_proxies=_networks(_str("HANDOFF_TRUSTED_PROXIES", "")),
            ice_servers=_ice_servers(os.environ.get("HANDOFF_ICE_SERVERS") or "[]"),
            turn_secret=os.environ.get("HANDOFF_TURN_SECRET") or None,
            turn_urls=tuple(u.strip() for u in _str("HANDOFF_TURN_URLS", "").split(",") if u.strip()),
            turn_ttl_seconds=_int("HANDOFF_TURN_TTL_SECONDS", 3600),
            ice_addresses=tuple(a.strip() for a in _str("HANDOFF_ICE_ADDRESSES", "").split(",") if a.strip()),
            call_idle_seconds=_int("HANDOFF_CALL_IDLE_SECONDS", 120),
            call_offers_per_minute=_int("HANDOFF_CALL_OFFERS_PER_MINUTE", 30),
            smtp_host=_str("HANDOFF_SMTP_HOST", ""),
            smtp_port=_int("HANDOFF_SMTP_PORT", 0),
            smtp_user=_str("HANDOFF_SMTP_USER", ""),
            smtp_password=_str("HANDOFF_SMTP_PASSWORD", ""),
            smtp_starttls=_flag("HANDOFF_SMTP_STARTTLS"),
            smtp_tls=_flag("HANDOFF_SMTP_TLS"),
            smtp_from=_str("HANDOFF_SMTP_FROM", ""),
            sms_url=_str("HANDOFF_SMS_URL", ""),
            sms_key=_str("HANDOFF_SMS_KEY", ""),
            sms_sender=_str("HANDOFF_SMS_SENDER", "KEP"),
            outbox_dir=Path(_str("HANDOFF_OUTBOX_DIR", str(PROJECT_ROOT / "var" / "outbox"))),
            notify_max_attempts=_int("HANDOFF_NOTIFY_MAX_ATTEMPTS", 10),
            notify_retry_seconds=float(os.environ.get("HANDOFF_NOTIFY_RETRY_SECONDS") or 30),
            notify_claim_idle_seconds=_int("HANDOFF_NOTIFY_CLAIM_IDLE_SECONDS", 120),
            notify_lanes=_int("HANDOFF_NOTIFY_LANES", 4),
        )
