"""Single sign-on users: the identity provider's claims decide the role and the municipality.

``identity_of`` maps the claims of a verified ID token to an ``Identity`` (pure: testable
without a provider); ``provision`` makes or updates the matching user row. The provider is the
source of truth for the role and the municipality, so they are taken anew at every login; an
operator can still switch such a user off in Koers (``koers users deactivate``). A user whose
claim values map to no role, or to more than one, is refused: guessing could show a municipality's
cases to someone who may not see them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from schema import audit
from schema.console_models import User
from schema.models import MunicipalityRow
from workers.settings_web import OPERATOR, OidcSettings
from workflows.states import AuditKind

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,99}$")


class SsoRefused(Exception):
    """The provider vouched for the person, but Koers does not let them in; the message is Dutch."""


@dataclass(frozen=True)
class Identity:
    subject: str  # issuer + " " + sub: unique and stable, unlike a name or an address
    username: str
    display_name: str
    role: str  # operator | municipal
    cbs_code: str | None


def _values(claim: object) -> list[str]:
    if isinstance(claim, str):
        return [claim]
    if isinstance(claim, list | tuple):
        return [str(v) for v in claim]
    return []


def identity_of(settings: OidcSettings, claims: dict[str, object]) -> Identity:
    """The identity for verified ``claims``; raises ``SsoRefused`` when the claim maps to no single role."""
    sub = str(claims.get("sub") or "")
    if not sub:
        raise SsoRefused("de identity provider gaf geen gebruikers-id (sub)")
    targets = {settings.roles[v] for v in _values(claims.get(settings.claim)) if v in settings.roles}
    if not targets:
        raise SsoRefused("uw account heeft geen groep of rol die toegang geeft tot Koers")
    if len(targets) > 1:
        raise SsoRefused("uw account heeft meer dan één rol of gemeente in Koers; vraag uw beheerder dat op te lossen")
    target = targets.pop()
    username = str(claims.get(settings.username_claim) or claims.get("email") or "").strip().lower()
    if not _USERNAME.match(username):
        username = "sso-" + hashlib.sha256(sub.encode()).hexdigest()[:16]
    display = str(claims.get(settings.name_claim) or username).strip()[:200]
    role, cbs_code = (OPERATOR, None) if target == OPERATOR else ("municipal", target)
    return Identity(f"{settings.issuer} {sub}"[:400], username, display, role, cbs_code)


def provision(db: Session, identity: Identity, now: datetime, address: str) -> int:
    """The user row for ``identity``, made or brought up to date; the login is audited. Returns the user's id."""
    if identity.cbs_code and db.get(MunicipalityRow, identity.cbs_code) is None:
        raise SsoRefused(f"web.oidc.roles wijst naar {identity.cbs_code}, geen gemeente van 3Noord")
    user = db.scalars(select(User).where(User.oidc_subject == identity.subject)).one_or_none()
    if user is None:
        user = _add(db, identity, now)
    elif not user.active:
        raise SsoRefused("uw account is in Koers uitgeschakeld")
    elif (user.role, user.cbs_code, user.display_name) != (identity.role, identity.cbs_code, identity.display_name):
        user.role, user.cbs_code, user.display_name = identity.role, identity.cbs_code, identity.display_name
        audit.record(db, AuditKind.USER_UPDATED, actor="oidc", at=now,
                     details={"username": user.username, "role": user.role, "cbs_code": user.cbs_code})  # fmt: skip
    user.last_login_at = now
    audit.record(db, AuditKind.LOGIN, actor=f"web:{user.username}", at=now, details={"address": address,
                 "method": "oidc"})  # fmt: skip
    return user.id


def _add(db: Session, identity: Identity, now: datetime) -> User:
    if db.scalar(select(User.id).where(User.username == identity.username)) is not None:
        raise SsoRefused(f"de gebruikersnaam {identity.username} hoort al bij een ander account in Koers")
    user = User(username=identity.username, display_name=identity.display_name, password_hash="", role=identity.role,
                cbs_code=identity.cbs_code, active=True, created_at=now, oidc_subject=identity.subject)  # fmt: skip
    db.add(user)
    db.flush()
    audit.record(db, AuditKind.USER_ADDED, actor="oidc", at=now,
                 details={"username": user.username, "role": user.role, "cbs_code": user.cbs_code})  # fmt: skip
    return user
