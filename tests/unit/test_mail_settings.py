"""The [inbound] and [outbound] config keys: sensible defaults, and a typo or contradiction named, never ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from messaging.sender_auth import AuthMode
from workers.settings import ConfigError, load_settings


def settings_from(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    config = tmp_path / "koers.toml"
    config.write_text(text, encoding="utf-8")
    return load_settings({"KOERS_CONFIG": str(config), "KOERS_HOME": str(tmp_path)})


def test_defaults_are_verify_mode_with_limits_and_no_tls_or_dkim(tmp_path: Path) -> None:
    settings = settings_from(tmp_path, "")
    assert settings.inbound.authentication is AuthMode.VERIFY
    assert settings.inbound.trust_policy("antwoord.koers.example").authserv_id == "antwoord.koers.example"
    assert (settings.inbound.max_connections_per_ip, settings.inbound.max_messages_per_minute) == (10, 30)
    assert not settings.outbound.require_tls and settings.outbound.dkim_key is None


def test_the_example_config_is_valid(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "config" / "koers.example.toml"
    settings = load_settings({"KOERS_CONFIG": str(example), "KOERS_HOME": str(tmp_path)})
    assert settings.inbound.authentication is AuthMode.VERIFY and settings.municipalities["GM0080"].require_tls is False


def test_trusted_relay_with_its_keys(tmp_path: Path) -> None:
    settings = settings_from(tmp_path, '[inbound]\nauthentication = "trusted-relay"\nauthserv_id = "MX.Gemeente.NL"\n'
                                       'relay_networks = ["10.0.0.5/32"]\nnameservers = ["127.0.0.1:5353"]\n'
                                       '[municipalities.GM0080]\nrequire_tls = true\n')  # fmt: skip
    assert settings.inbound.trust_policy("x.example").authserv_id == "mx.gemeente.nl"
    assert settings.inbound.relay_networks == ("10.0.0.5/32",) and settings.municipalities["GM0080"].require_tls


@pytest.mark.parametrize(
    ("text", "named"),
    [('[inbound]\nauthentication = "trust-relay"\n', "inbound.authentication"),
     ('[inbound]\nauthentication = "trusted-relay"\n', "inbound.authserv_id"),
     ('[inbound]\ntls_cert = "/x.pem"\n', "inbound.tls_cert"),
     ("[inbound]\nrequire_tls = true\n", "inbound.require_tls"),
     ('[inbound]\nrequire_tls = "ja"\n', "inbound.require_tls"),
     ("[inbound]\nmax_messages_per_minute = 0\n", "inbound.max_messages_per_minute"),
     ('[inbound]\nrelay_networks = ["mx.gemeente.nl"]\n', "inbound.relay_networks"),
     ("[inbound]\nrequire_starttls = true\n", "inbound.require_starttls"),
     ('[outbound]\ndkim_selector = "koers"\n', "outbound.dkim_selector"),
     ("[outbound]\nrequire_ssl = true\n", "outbound.require_ssl")],
)  # fmt: skip
def test_a_typo_or_contradiction_is_an_error_naming_the_key(tmp_path: Path, text: str, named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        settings_from(tmp_path, text)
