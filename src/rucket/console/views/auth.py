"""Log in with an access key and its secret; log out.

The login form carries its own CSRF token (a random value also set as a SameSite=Strict
cookie), so another site cannot log a browser in under the attacker's key.
"""

from __future__ import annotations

import hmac
import secrets

from rucket.console.context import Ctx
from rucket.console.session import COOKIE, TTL_MS
from rucket.console.web import Page, Route
from rucket.core.paths import CONSOLE as PREFIX

LOGIN_COOKIE = "rucket_console_login"


def cookie(name: str, value: str, max_age: int, secure: bool) -> tuple[str, str]:
    flags = f"Path={PREFIX}; HttpOnly; SameSite=Strict; Max-Age={max_age}" + ("; Secure" if secure else "")
    return "set-cookie", f"{name}={value}; {flags}"


async def home(ctx: Ctx) -> Page:
    return Page.redirect(f"{PREFIX}/buckets" if ctx.cred else f"{PREFIX}/login")


def _login_form(ctx: Ctx, status: int = 200, error: str = "", access_key: str = "") -> Page:
    token = secrets.token_urlsafe(24)
    out = ctx.render("login.html", status, login_token=token, error=error, access_key=access_key)
    out.headers.append(cookie(LOGIN_COOKIE, token, 3600, ctx.req.scheme == "https"))
    return out


async def login_form(ctx: Ctx) -> Page:
    if ctx.cred is not None:
        return Page.redirect(f"{PREFIX}/buckets")
    return _login_form(ctx)


async def login(ctx: Ctx) -> Page:
    form = ctx.req.form()
    expected = ctx.req.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, form.get("login_token", "")):
        return _login_form(ctx, 403, "The login form expired: please try again.")
    access_key, secret = form.get("access_key", "").strip(), form.get("secret_key", "")
    cred = ctx.svc.lookup(access_key) if access_key else None
    if cred is None or not hmac.compare_digest(cred.secret.encode(), secret.encode()):
        return _login_form(ctx, 401, "Invalid access key or secret key.", access_key)
    _, value = ctx.svc.sessions.issue(cred.access_key, cred.secret, ctx.svc.now_ms())
    out = Page.redirect(f"{PREFIX}/buckets")
    out.headers += [cookie(COOKIE, value, TTL_MS // 1000, ctx.req.scheme == "https"),
                    cookie(LOGIN_COOKIE, "", 0, ctx.req.scheme == "https")]
    return out


async def logout(ctx: Ctx) -> Page:
    out = Page.redirect(f"{PREFIX}/login")
    out.headers.append(cookie(COOKIE, "", 0, ctx.req.scheme == "https"))
    return out


ROUTES = (
    Route("GET", "", home, login=False),
    Route("GET", "/login", login_form, login=False),
    Route("POST", "/login", login, login=False),
    Route("POST", "/logout", logout),
)
