"""``koers web`` (the console), ``koers users`` and ``koers tokens`` (who may use it)."""

from __future__ import annotations

import getpass
import json
import sys
from datetime import datetime, timedelta

import click
import uvicorn

from schema.console_models import ApiToken
from workers.bootstrap import bootstrap
from workers.cli.preflight import require_schema
from workers.cli.processes import configure_logging
from workers.web.accounts import AccountError, add_user, deactivate_user, list_users, set_password
from workers.web.api_tokens import DEFAULT_LIFETIME, MAX_LIFETIME, add_token, list_tokens, revoke_token, token_state
from workers.web.app import create_app
from workers.web.server import secure_cookies_for, server_config
from workflows.labels import TOKEN_SCOPES, TOKEN_STATES, label


@click.command()
@click.option("--listen", default=None, help="HOST:POORT (standaard [web] listen uit de configuratie).")
@click.option("--secure-cookies/--no-secure-cookies", default=None,
              help="Cookies alleen over HTTPS, met HSTS (standaard: aan, behalve op 127.0.0.1/localhost; "
                   "of [web] secure_cookies).")  # fmt: skip
@click.option("-v", "--verbose", is_flag=True)
def web(listen: str | None, secure_cookies: bool | None, verbose: bool) -> None:
    """De webconsole: overzicht, deadlines, zaken, beoordelen, dead letters, rapportage."""
    configure_logging(verbose)
    app = bootstrap()
    require_schema(app)
    address = listen or app.settings.web_listen
    try:
        secure = secure_cookies_for(app.settings, address, secure_cookies)
        config = server_config(create_app(app, secure_cookies=secure), address)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--listen") from exc
    scheme = "https (achter een TLS-proxy; cookies Secure, HSTS)" if secure else "http (alleen lokaal)"
    click.echo(f"koers web: luistert op {address}, {scheme} (gebruikers: koers users add)")
    uvicorn.Server(config).run()
    app.dispose()


@click.group()
def users() -> None:
    """Gebruikers van de webconsole."""


def _who() -> str:
    return f"cli:{getpass.getuser()}"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Wachtwoord", hide_input=True, confirmation_prompt="Nog een keer"))


@users.command(name="add")
@click.argument("username")
@click.option("--role", type=click.Choice(["operator", "municipal"]), required=True, help="Rol.")
@click.option("--municipality", default=None, help="CBS-code van de gemeente (bij --role municipal), bijv. GM0080.")
@click.option("--name", "display_name", default=None, help="Naam zoals de console die toont.")
@click.option("--password-stdin", is_flag=True, help="Lees het wachtwoord van de eerste regel van stdin.")
def add_command(username: str, role: str, municipality: str | None, display_name: str | None,
                password_stdin: bool) -> None:  # fmt: skip
    """Maak een gebruiker (wachtwoord minstens 12 tekens)."""
    password = _read_password(password_stdin)
    app = bootstrap()
    try:
        with app.sessions.begin() as session:
            add_user(session, username, role=role, password=password, now=app.clock(), cbs_code=municipality,
                     display_name=display_name, actor=_who())  # fmt: skip
    except AccountError as exc:
        click.echo(f"koers users add: {exc}", err=True)
        sys.exit(1)
    finally:
        app.dispose()
    where = f" {municipality.upper()}" if municipality else ""
    click.echo(f"gebruiker {username.strip().lower()} aangemaakt ({role}{where})")


@users.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Eén JSON-document op stdout.")
def list_command(as_json: bool) -> None:
    """Toon de gebruikers."""
    app = bootstrap()
    with app.sessions() as session:
        rows = [{"username": u.username, "display_name": u.display_name, "role": u.role, "cbs_code": u.cbs_code,
                 "active": u.active, "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None}
                for u in list_users(session)]  # fmt: skip
    app.dispose()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        state = "" if r["active"] else "  (uitgeschakeld)"
        click.echo(f"{r['username']:<24} {r['role']:<10} {r['cbs_code'] or '':<7} {r['display_name']}{state}")


@users.command(name="deactivate")
@click.argument("username")
def deactivate_command(username: str) -> None:
    """Schakel een gebruiker uit (inloggen kan dan niet meer; lopende sessies vervallen)."""
    app = bootstrap()
    try:
        with app.sessions.begin() as session:
            deactivate_user(session, username, now=app.clock(), actor=_who())
    except AccountError as exc:
        click.echo(f"koers users deactivate: {exc}", err=True)
        sys.exit(1)
    finally:
        app.dispose()
    click.echo(f"gebruiker {username} uitgeschakeld")


@users.command(name="passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Lees het nieuwe wachtwoord van de eerste regel van stdin.")
def passwd_command(username: str, password_stdin: bool) -> None:
    """Geef een gebruiker een nieuw wachtwoord (minstens 12 tekens); al zijn sessies eindigen."""
    password = _read_password(password_stdin)
    app = bootstrap()
    try:
        with app.sessions.begin() as session:
            ended = set_password(session, username, password, now=app.clock(), actor=_who())
    except AccountError as exc:
        click.echo(f"koers users passwd: {exc}", err=True)
        sys.exit(1)
    finally:
        app.dispose()
    click.echo(f"wachtwoord van {username.strip().lower()} gewijzigd; {ended} sessie(s) beëindigd")


@click.group()
def tokens() -> None:
    """API-tokens voor HTTP-intake (POST /api/intake)."""


@tokens.command(name="add")
@click.argument("name")
@click.option("--days", type=click.IntRange(1, MAX_LIFETIME.days), default=DEFAULT_LIFETIME.days, show_default=True,
              help="Hoe lang het token geldig is, in dagen.")
@click.option("--municipality", default=None, help="Alleen records van deze gemeente (CBS-code, bijv. GM0080).")
def add_token_command(name: str, days: int, municipality: str | None) -> None:
    """Maak een token; het wordt één keer getoond en alleen als hash bewaard."""
    app = bootstrap()
    try:
        with app.sessions.begin() as session:
            token = add_token(session, name, app.clock(), actor=_who(), lifetime=timedelta(days=days),
                              cbs_code=municipality)  # fmt: skip
    except AccountError as exc:
        click.echo(f"koers tokens add: {exc}", err=True)
        sys.exit(1)
    finally:
        app.dispose()
    click.echo(token)
    click.echo(f"token {name}: bewaar het nu, het wordt niet nog eens getoond (geldig {days} dagen)", err=True)


def _token_rows(now: datetime, rows: list[ApiToken]) -> list[dict[str, object]]:
    def at(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return [{"name": t.name, "scope": t.scope, "cbs_code": t.cbs_code, "state": token_state(t, now).value,
             "created_at": at(t.created_at), "expires_at": at(t.expires_at), "last_used_at": at(t.last_used_at),
             "revoked_at": at(t.revoked_at)} for t in rows]  # fmt: skip


@tokens.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Eén JSON-document op stdout.")
def list_tokens_command(as_json: bool) -> None:
    """Toon de tokens: bereik, status, verloopdatum en laatste gebruik (nooit het token zelf)."""
    app = bootstrap()
    with app.sessions() as session:
        rows = _token_rows(app.clock(), list_tokens(session))
    app.dispose()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        scope = label(TOKEN_SCOPES, r["scope"]) + (f" {r['cbs_code']}" if r["cbs_code"] else "")
        used = str(r["last_used_at"] or "nooit")[:16]
        click.echo(f"{r['name']:<24} {label(TOKEN_STATES, r['state']):<12} {scope:<28} verloopt "
                   f"{str(r['expires_at'])[:10]}  laatst gebruikt {used}")  # fmt: skip


@tokens.command(name="revoke")
@click.argument("name")
def revoke_token_command(name: str) -> None:
    """Trek een token in: het opent vanaf nu niets meer."""
    app = bootstrap()
    try:
        with app.sessions.begin() as session:
            revoke_token(session, name, now=app.clock(), actor=_who())
    except AccountError as exc:
        click.echo(f"koers tokens revoke: {exc}", err=True)
        sys.exit(1)
    finally:
        app.dispose()
    click.echo(f"token {name} ingetrokken")
