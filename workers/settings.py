"""Settings: the only module that reads environment variables and the config file.

Environment (all optional; unset means the embedded default):
``KOERS_DATABASE_URL`` SQLAlchemy URL (default: SQLite file ``koers.db`` in ``KOERS_HOME``),
``KOERS_BROKER_URL`` ``amqp://…`` (unset: in-process broker),
``KOERS_SMTP_URL`` ``smtp://host:port`` (unset: local spool folder),
``KOERS_CONFIG`` a TOML file, ``KOERS_SECRET_KEY`` signs reply tokens (refused when weaker than
32 random bytes), ``KOERS_OIDC_CLIENT_SECRET`` the console's single sign-on client secret,
``KOERS_HOME`` folder for the embedded database, spool and key (default ``./.koers``),
``KOERS_IMAP_PASSWORD`` the password of the ``[mailbox]`` account (mailbox mode).
Without KOERS_CONFIG and KOERS_SMTP_URL the packaged ``embedded.toml`` is used: example mailboxes
for every municipality, so that the embedded default shows the whole flow into the spool folder.

Unknown config keys are an error that names the key: a typo must not silently fall back to a
default for something as important as an escalation address.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from workers.mail_settings import (
    INBOUND_KEYS,
    OUTBOUND_KEYS,
    InboundConfig,
    OutboundConfig,
    parse_inbound,
    parse_outbound,
)
from workers.mailbox_settings import PASSWORD_VARIABLE, MailboxConfigError, MailboxSettings, parse_mailbox
from workers.settings_web import WebConfigError, WebSettings, check_secret_key, parse_web
from workflows.durations import Duration, DurationError, parse_duration

EMBEDDED_CONFIG = Path(__file__).with_name("embedded.toml")
DEFAULT_INSTITUTIONS = ("PI Veenhuizen", "PI Leeuwarden")
# Detainees from the region serve short sentences in the region's own prisons ("de gevangenis bedient de
# regio", the 2019 plan); a region that follows its people elsewhere lists those institutions in the config.
DEFAULT_DETAINEE_INSTITUTIONS = DEFAULT_INSTITUTIONS
DEFAULT_TIMERS = {
    "first_reminder": "5 werkdagen",
    "second_reminder": "10 werkdagen",
    "escalate_after": "15 werkdagen",
    "escalate_before_report": "5 werkdagen",
    "partial_follow_up": "5 werkdagen",
    "escalate_before_release": "10 werkdagen",  # detainees: escalate this long before the release date
}


class ConfigError(ValueError):
    """The config file or an environment variable is invalid; the message names the key."""


@dataclass(frozen=True)
class MunicipalityConfig:
    mailbox: str | None = None
    reply_from: tuple[str, ...] = ()
    team: str | None = None
    phone: str | None = None
    address: str | None = None
    # Record an outcome read from prose at once when every field was read with confidence (off: always ask).
    record_confident_proposals: bool = False
    require_tls: bool = False  # mail to this municipality only over an encrypted relay connection


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    broker_url: str | None
    smtp_url: str | None
    secret_key: bytes | None
    rabbitmq_api: str | None = None  # management HTTP API for `koers status` (default: broker host, port 15672)
    sender: str = "Zelfmelders 3Noord <zelfmelders@koers.example>"
    reply_domain: str = "antwoord.koers.example"
    institutions: tuple[str, ...] = DEFAULT_INSTITUTIONS
    detainee_institutions: tuple[str, ...] = DEFAULT_DETAINEE_INSTITUTIONS
    timers: dict[str, Duration] = field(default_factory=dict)
    inbound_listen: str = "127.0.0.1:2525"
    web_listen: str = "127.0.0.1:8080"
    web: WebSettings = field(default_factory=WebSettings)  # the console's other [web] keys and [web.oidc]
    # seconds between runs of the scheduler's jobs
    sweep_interval: float = 5.0
    relay_interval: float = 0.5
    reconcile_interval: float = 30.0
    # personal data of closed cases is purged this long after closing
    retention: timedelta = timedelta(days=365)
    provinces: dict[str, dict[str, str]] = field(default_factory=dict)
    municipalities: dict[str, MunicipalityConfig] = field(default_factory=dict)
    mailbox: MailboxSettings | None = None  # [mailbox]: `koers mail-fetch` (and `koers run`) read replies there
    config_path: Path | None = None
    inbound: InboundConfig = field(default_factory=InboundConfig)
    outbound: OutboundConfig = field(default_factory=OutboundConfig)

    @property
    def is_embedded(self) -> bool:
        """True when no broker is configured: everything runs in one process."""
        return self.broker_url is None

    @property
    def spool_dir(self) -> Path:
        return self.home / "spool"

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")


_SECTIONS: dict[str, set[str]] = {
    "koers": {"sender", "reply_domain", "institutions", "detainee_institutions", "retention"},
    "timers": set(DEFAULT_TIMERS),
    "inbound": INBOUND_KEYS,
    "outbound": OUTBOUND_KEYS,
    "web": {"listen", "trusted_proxies", "secure_cookies", "oidc"},
    "scheduler": {"sweep_interval", "relay_interval", "reconcile_interval"},
    "provinces": set(),
    "municipalities": set(),
    "mailbox": set(),  # checked by workers.mailbox_settings
}
_PROVINCE_KEYS = {"escalation"}
_MUNICIPALITY_KEYS = {"mailbox", "reply_from", "team", "phone", "address", "record_confident_proposals",
                      "require_tls"}


def _check_keys(where: str, table: dict[str, Any], allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(f"onbekende sleutel {where}.{key} in de configuratie")


def _flag(where: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: gebruik true of false")
    return value


def _parse_config(data: dict[str, Any], oidc_secret: str | None = None) -> dict[str, Any]:
    _check_keys("", data, set(_SECTIONS))
    out: dict[str, Any] = {}
    koers = data.get("koers", {})
    _check_keys("koers", koers, _SECTIONS["koers"])
    for key in ("sender", "reply_domain"):
        if key in koers:
            out[key] = str(koers[key])
    if "retention" in koers:
        try:
            retention = parse_duration(str(koers["retention"]))
        except DurationError as exc:
            raise ConfigError(f"koers.retention: {exc}") from exc
        if retention.delta is None:
            raise ConfigError("koers.retention: geef een exacte duur (bijv. P365D), geen werkdagen")
        out["retention"] = retention.delta
    for key in ("institutions", "detainee_institutions"):
        if key in koers:
            out[key] = _names(koers[key], f"koers.{key}")
    timers_raw = data.get("timers", {})
    _check_keys("timers", timers_raw, _SECTIONS["timers"])
    timers = {}
    for key, default in DEFAULT_TIMERS.items():
        try:
            timers[key] = parse_duration(str(timers_raw.get(key, default)))
        except DurationError as exc:
            raise ConfigError(f"timers.{key}: {exc}") from exc
    out["timers"] = timers
    for section in ("inbound", "web"):
        table = data.get(section, {})
        _check_keys(section, table, _SECTIONS[section])
        if "listen" in table:
            out[f"{section}_listen"] = str(table["listen"])
    try:
        out["web"] = parse_web({k: v for k, v in data.get("web", {}).items() if k != "listen"}, oidc_secret)
    except WebConfigError as exc:
        raise ConfigError(str(exc)) from exc
    out.update(_mail_sections(data))
    scheduler = data.get("scheduler", {})
    _check_keys("scheduler", scheduler, _SECTIONS["scheduler"])
    for key, value in scheduler.items():
        try:
            duration = parse_duration(str(value))
        except DurationError as exc:
            raise ConfigError(f"scheduler.{key}: {exc}") from exc
        if duration.delta is None:
            raise ConfigError(f"scheduler.{key}: geef een exacte duur (bijv. PT5S), geen werkdagen")
        out[key] = duration.delta.total_seconds()
    provinces = {}
    for name, table in data.get("provinces", {}).items():
        _check_keys(f"provinces.{name}", table, _PROVINCE_KEYS)
        provinces[name] = {k: str(v) for k, v in table.items()}
    out["provinces"] = provinces
    municipalities = {}
    for code, table in data.get("municipalities", {}).items():
        _check_keys(f"municipalities.{code}", table, _MUNICIPALITY_KEYS)
        municipalities[code.upper()] = MunicipalityConfig(
            mailbox=table.get("mailbox"),
            reply_from=tuple(str(x).lower() for x in table.get("reply_from", ())),
            team=table.get("team"),
            phone=table.get("phone"),
            address=table.get("address"),
            record_confident_proposals=_flag(f"municipalities.{code}.record_confident_proposals",
                                             table.get("record_confident_proposals", False)),
            require_tls=table.get("require_tls", False) is True,
        )  # fmt: skip
    out["municipalities"] = municipalities
    if "mailbox" in data:
        try:
            out["mailbox"] = parse_mailbox(data["mailbox"], out["inbound"])
        except MailboxConfigError as exc:
            raise ConfigError(str(exc)) from exc
    return out


def _names(value: object, where: str) -> tuple[str, ...]:
    """A list of names (institutions): a single string would be read letter by letter, so it is an error."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where}: geef een lijst van namen, bijv. [\"PI Veenhuizen\", \"PI Leeuwarden\"]")
    return tuple(value)


def _mail_sections(data: dict[str, Any]) -> dict[str, Any]:
    _check_keys("outbound", data.get("outbound", {}), _SECTIONS["outbound"])
    try:
        return {"inbound": parse_inbound(data.get("inbound", {})), "outbound": parse_outbound(data.get("outbound", {}))}
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from the environment (default ``os.environ``) and ``KOERS_CONFIG``."""
    env = dict(os.environ if environ is None else environ)
    home = Path(env.get("KOERS_HOME", ".koers")).resolve()
    database_url = env.get("KOERS_DATABASE_URL") or f"sqlite:///{home / 'koers.db'}"
    config_path = Path(env["KOERS_CONFIG"]) if env.get("KOERS_CONFIG") else None
    if config_path is None and not env.get("KOERS_SMTP_URL"):
        # The embedded default: example mailboxes for every municipality, mail to the spool folder.
        config_path = EMBEDDED_CONFIG
    oidc_secret = env.get("KOERS_OIDC_CLIENT_SECRET") or None
    parsed: dict[str, Any] = _parse_config({})
    if config_path is not None:
        try:
            with config_path.open("rb") as fh:
                parsed = _parse_config(tomllib.load(fh), oidc_secret)
        except FileNotFoundError as exc:
            raise ConfigError(f"KOERS_CONFIG: bestand {config_path} bestaat niet") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"KOERS_CONFIG: {config_path} is geen geldige TOML: {exc}") from exc
    secret = env.get("KOERS_SECRET_KEY")
    if secret:
        try:
            check_secret_key(secret)
        except WebConfigError as exc:
            raise ConfigError(str(exc)) from exc
    if parsed.get("mailbox") is not None:
        parsed["mailbox"] = replace(parsed["mailbox"], password=env.get(PASSWORD_VARIABLE) or None)
    return Settings(
        home=home,
        database_url=database_url,
        broker_url=env.get("KOERS_BROKER_URL") or None,
        smtp_url=env.get("KOERS_SMTP_URL") or None,
        rabbitmq_api=env.get("KOERS_RABBITMQ_API") or None,
        secret_key=secret.encode() if secret else None,
        config_path=config_path,
        **parsed,
    )
