"""Tables of the console: users, their sessions, login throttling, and API tokens for HTTP intake.

Passwords and tokens are stored as hashes only; so are session ids, so that a copy of the
database opens no session. A municipal user has a ``cbs_code`` and sees that municipality's
cases only; an operator (``cbs_code`` NULL) sees everything. A user who logs in through the
organisation's identity provider (OpenID Connect) has an ``oidc_subject`` and no password.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from schema.base import Base, JsonType, UtcDateTime


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))  # "" for a single-sign-on user: no password login
    role: Mapped[str] = mapped_column(String(20))  # operator | municipal
    cbs_code: Mapped[str | None] = mapped_column(ForeignKey("municipalities.cbs_code"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # issuer + " " + sub of the identity provider, for users who log in with single sign-on
    oidc_subject: Mapped[str | None] = mapped_column(String(400), unique=True)


class ConsoleSession(Base):
    """A console session: the cookie holds a random id, this row its SHA-256 digest.

    ``user_id`` is NULL for the short pre-login session of a single sign-on (it holds the
    state, nonce and PKCE verifier until the identity provider sends the browser back).
    """

    __tablename__ = "console_sessions"
    __table_args__ = (Index("ix_console_sessions_last_seen_at", "last_seen_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ThrottleRow(Base):
    """One budget of login attempts: ``account:NAME`` (backoff) or ``client:ADDRESS`` (a window)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime())
    next_allowed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    scope: Mapped[str] = mapped_column(String(20))  # workflows.states.TokenScope
    cbs_code: Mapped[str | None] = mapped_column(ForeignKey("municipalities.cbs_code"))  # scope "municipality"
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
