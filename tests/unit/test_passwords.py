"""Passwords at OWASP strength, rehashed at login; a weak KOERS_SECRET_KEY is refused."""

from __future__ import annotations

import base64
import secrets
import subprocess
import sys

import pytest

from tests.conftest import REPO
from workers.settings import ConfigError, load_settings
from workers.settings_web import MIN_SECRET_BITS, secret_bits
from workers.web import credentials
from workers.web.credentials import hash_password, needs_rehash, verify_password


def test_passwords_are_hashed_with_scrypt_at_owasp_strength() -> None:
    stored = hash_password("een goed wachtwoord")
    assert stored.startswith("scrypt$131072$8$1$")
    assert verify_password("een goed wachtwoord", stored) and not needs_rehash(stored)
    assert needs_rehash(hash_password("een goed wachtwoord", n=2**14))
    assert needs_rehash("md5$abc")


@pytest.mark.parametrize("key", ["abc", "x" * 64, "test-secret-key-of-at-least-32-bytes!", "ab" * 40,
                                 "web-test-secret-key-of-at-least-32-bytes"])  # fmt: skip
def test_a_weak_secret_key_is_refused_with_a_dutch_message(key: str) -> None:
    with pytest.raises(ConfigError, match="KOERS_SECRET_KEY is te zwak.*token_urlsafe"):
        load_settings({"KOERS_SECRET_KEY": key, "KOERS_HOME": "/tmp/koers-weak-key"})


def test_every_generated_key_of_32_random_bytes_is_accepted() -> None:
    for _ in range(2000):
        raw = secrets.token_bytes(32)
        for key in (secrets.token_urlsafe(32), raw.hex(), base64.b64encode(raw).decode()):
            assert secret_bits(key) >= MIN_SECRET_BITS, key


def test_koers_web_with_a_weak_key_does_not_start(tmp_path: object) -> None:
    result = subprocess.run([sys.executable, "-m", "workers.cli", "web"], cwd=REPO, capture_output=True, text=True,
                            env={"KOERS_SECRET_KEY": "abc", "KOERS_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
                            timeout=60)  # fmt: skip
    assert result.returncode == 1  # a configuration error (2 is for usage)
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]  # one line
    assert "KOERS_SECRET_KEY is te zwak" in result.stderr


def test_the_embedded_default_still_generates_its_own_key(tmp_path: object) -> None:
    from workers.services import secret_key

    settings = load_settings({"KOERS_HOME": str(tmp_path)})
    assert secret_bits(secret_key(settings).decode()) >= MIN_SECRET_BITS


def test_scrypt_runs_at_most_a_few_at_once() -> None:
    assert credentials.MAX_PARALLEL_HASHES <= 4  # 128 MiB each
