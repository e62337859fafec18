"""Staff sign-in through the city's identity provider (OpenID Connect, by Authlib).

``/login/oidc`` sends the browser to the provider (authorization code flow, with state
and nonce kept in the signed session cookie); ``/login/oidc/callback`` takes the code,
checks the ID token (signature, issuer, audience, nonce) and asks
``workflow.identity_provider`` which Kyodo account it stands for. The provider's own
session is left alone: signing out of Kyodo ends Kyodo's session only.

Off unless ``KYODO_OIDC_ISSUER`` is set (both routes then answer 404).
"""

from __future__ import annotations

import logging
from typing import Any

import httpx2
from authlib.integrations.starlette_client import OAuth, OAuthError
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse

from db.session import write
from web.deps import ClockDep, SessionDep
from web.pages import render
from web.routes.auth import home_of, safe_next
from web.security import sign_in
from web.settings import WebSettings
from workflow import identity_provider
from workflow.actors import load_actor

router = APIRouter(include_in_schema=False)
log = logging.getLogger("kyodo.web.oidc")
CALLBACK_PATH = "/login/oidc/callback"
NEXT_KEY = "oidc_next"


def provider(request: Request):
    """The Authlib client of this app, registered on first use; None when OIDC is off."""
    settings: WebSettings = request.app.state.web_settings
    if not settings.oidc_enabled:
        return None
    client = getattr(request.app.state, "oidc_client", None)
    if client is None:
        oauth = OAuth()
        client = oauth.register(
            "city", client_id=settings.oidc_client_id, client_secret=settings.oidc_client_secret or None,
            server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": settings.oidc_scopes, "timeout": 10.0})
        request.app.state.oidc_client = client
    return client


def policy_of(settings: WebSettings) -> identity_provider.Policy:
    return identity_provider.Policy(roles_claim=settings.oidc_roles_claim, role_map=dict(settings.oidc_role_map),
                                    department_claim=settings.oidc_department_claim,
                                    trust_email=settings.oidc_trust_email)


def _refused(request: Request, status: int, ja: str, en: str):
    return render(request, "login.html", {"next": "", "login": "", "error": (ja, en)}, status=status)


def _unreachable(request: Request, exc: Exception):
    log.warning("identity provider unreachable: %s", exc)
    return _refused(request, 503, "職員認証の基盤に接続できませんでした。しばらくしてからやり直してください。",
                    "The city's sign-in service could not be reached. Please try again shortly.")


@router.get("/login/oidc")
async def start(request: Request, next: str | None = None):
    client = provider(request)
    if client is None:
        raise HTTPException(404)
    target = safe_next(next)
    if target:
        request.session[NEXT_KEY] = target[:2000]
    callback = request.app.state.settings.base_url.rstrip("/") + CALLBACK_PATH
    try:
        return await client.authorize_redirect(request, callback)
    except (httpx2.HTTPError, OAuthError, ValueError, KeyError) as exc:
        return _unreachable(request, exc)


@router.get(CALLBACK_PATH)
async def callback(request: Request, db: SessionDep, clock: ClockDep):
    client = provider(request)
    if client is None:
        raise HTTPException(404)
    if request.query_params.get("error"):
        # The person declined, or the provider refused them: nothing to sign in.
        return _refused(request, 401, "職員認証でログインできませんでした。もう一度お試しください。",
                        "Signing in with the city's account did not complete. Please try again.")
    try:
        token = await client.authorize_access_token(request)
        claims: dict[str, Any] = dict(token.get("userinfo") or {})
        settings: WebSettings = request.app.state.web_settings
        if settings.oidc_roles_claim and settings.oidc_roles_claim not in claims:
            # Some providers put the roles in the userinfo answer only.
            more = await client.userinfo(token=token)
            if more.get("sub") == claims.get("sub"):
                claims = {**more, **claims}
    except OAuthError as exc:
        log.warning("OIDC callback refused: %s", exc)
        return _refused(request, 400, "職員認証の応答を確認できませんでした。最初からやり直してください。",
                        "The sign-in answer could not be verified. Please start again.")
    except (httpx2.HTTPError, ValueError, KeyError) as exc:
        return _unreachable(request, exc)
    try:
        with write(db):
            user_id = identity_provider.sign_in(db, claims, policy_of(request.app.state.web_settings), clock)
    except identity_provider.SignInRefused as exc:
        log.info("OIDC sign-in refused for subject %r: %s", claims.get("sub"), exc.message_en)
        return _refused(request, 403, f"{exc.message_ja}{exc.hint_ja}", f"{exc.message_en}; {exc.hint_en}.")
    target = request.session.pop(NEXT_KEY, None)
    sign_in(request, db, user_id)
    actor = load_actor(db, user_id)
    db.rollback()
    request.state.actor = actor
    return RedirectResponse(target or home_of(actor), status_code=303)
