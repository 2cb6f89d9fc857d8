"""The ``[mailbox]`` section: TLS unless turned off, the password only from the environment, typos named."""

from __future__ import annotations

from pathlib import Path

import pytest

from workers.settings import ConfigError, Settings, load_settings

RELAY = '[inbound]\nauthentication = "trusted-relay"\nauthserv_id = "mx.provider.example"\n'


def settings_with(tmp_path: Path, mailbox: str, inbound: str = RELAY, **env: str) -> Settings:
    config = tmp_path / "koers.toml"
    config.write_text(inbound + "[mailbox]\n" + mailbox, encoding="utf-8")
    return load_settings({"KOERS_HOME": str(tmp_path), "KOERS_CONFIG": str(config), **env})


REQUIRED = 'host = "outlook.office365.com"\nuser = "zelfmelders@gemeente.example"\n'


def test_defaults_are_tls_on_993_idle_and_the_password_from_the_environment(tmp_path: Path) -> None:
    mailbox = settings_with(tmp_path, REQUIRED, KOERS_IMAP_PASSWORD="s3cret-uit-de-omgeving").mailbox

    assert mailbox is not None
    assert (mailbox.tls, mailbox.port, mailbox.idle, mailbox.inbox) == (True, 993, True, "INBOX")
    assert mailbox.password == "s3cret-uit-de-omgeving"
    assert "s3cret-uit-de-omgeving" not in repr(mailbox)


def test_plain_imap_must_be_asked_for_and_defaults_to_port_143(tmp_path: Path) -> None:
    mailbox = settings_with(tmp_path, REQUIRED + 'tls = false\npoll_interval = "PT30S"\n').mailbox

    assert mailbox is not None and (mailbox.tls, mailbox.port, mailbox.poll_interval) == (False, 143, 30.0)


def test_without_the_section_there_is_no_mailbox(tmp_path: Path) -> None:
    config = tmp_path / "koers.toml"
    config.write_text("[koers]\n", encoding="utf-8")
    assert load_settings({"KOERS_HOME": str(tmp_path), "KOERS_CONFIG": str(config)}).mailbox is None


@pytest.mark.parametrize(("extra", "named"), [
    ('password = "geheim"\n', "mailbox.password hoort niet in het configuratiebestand: zet KOERS_IMAP_PASSWORD"),
    ('poort = 993\n', "onbekende sleutel mailbox.poort"),
    ('tls = "ja"\n', "mailbox.tls"),
    ('port = 0\n', "mailbox.port"),
    ('poll_interval = "5 werkdagen"\n', "mailbox.poll_interval"),
    ('processed = "INBOX"\n', "drie verschillende mappen"),
])  # fmt: skip
def test_a_wrong_key_is_named(tmp_path: Path, extra: str, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        settings_with(tmp_path, REQUIRED + extra)


@pytest.mark.parametrize("missing", ["host", "user"])
def test_host_and_user_are_required(tmp_path: Path, missing: str) -> None:
    lines = "".join(line + "\n" for line in REQUIRED.splitlines() if not line.startswith(missing))
    with pytest.raises(ConfigError, match=f"mailbox.{missing} ontbreekt"):
        settings_with(tmp_path, lines)


@pytest.mark.parametrize("inbound", ["", '[inbound]\nauthentication = "verify"\n'])
def test_mailbox_mode_requires_trusting_only_the_providers_authentication_results(tmp_path: Path,
                                                                                  inbound: str) -> None:  # fmt: skip
    with pytest.raises(ConfigError, match='vereist \\[inbound\\] authentication = "trusted-relay"'):
        settings_with(tmp_path, REQUIRED, inbound=inbound)
