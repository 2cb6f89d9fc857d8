"""A real OpenID Connect provider for the single sign-on tests (``oidc-provider-mock``, built on authlib).

It runs in a thread on a free port, signs ID tokens with its own key, and lets a test set the
claims of a user (``PUT /users/{sub}``); the browser, or a test, authorizes on its form.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2

from workers.settings import EMBEDDED_CONFIG

CLIENT_SECRET = "sso-test-client-secret"  # noqa: S105 - the provider accepts any; Koers must send one
ROLES = '{ "koers-gm0080" = "GM0080", "koers-gm0014" = "GM0014", "koers-beheer" = "operator" }'


@contextmanager
def oidc_provider() -> Iterator[str]:
    """The provider's issuer URL while it runs (nonce required, as Koers always sends one)."""
    from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread(require_nonce=True) as server:
        yield f"http://127.0.0.1:{server.server_port}"


def set_user(issuer: str, sub: str, **claims: object) -> None:
    response = httpx2.put(f"{issuer}/users/{sub}", json=claims)
    assert response.status_code == 204


def sso_config(home: Path, issuer: str) -> Path:
    """The embedded config plus ``[web.oidc]`` for ``issuer``, groups mapped to two municipalities and operators."""
    path = home / "koers-sso.toml"
    path.write_text(EMBEDDED_CONFIG.read_text(encoding="utf-8") + f'\n[web.oidc]\nissuer = "{issuer}"\n'
                    f'client_id = "koers-console"\nclaim = "groups"\nlabel = "Inloggen met uw organisatie"\n'
                    f"roles = {ROLES}\n", encoding="utf-8")  # fmt: skip
    return path
