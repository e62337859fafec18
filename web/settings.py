"""The web tier's settings, read from ``KYODO_`` environment variables.

Kept apart from ``config/settings.py`` while the web tier is new; the names are final.
A server that runs with ``KYODO_ENV=production`` refuses the development secret key: a
known key would let anyone forge a session cookie.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "kyodo-development-secret-do-not-use-in-production"


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KYODO_", extra="ignore")

    env: str = Field("development", pattern="^(development|test|production)$")
    secret_key: str = Field(DEVELOPMENT_SECRET, description="signs session cookies; same on every instance")
    var_dir: Path = Path("var")
    attachment_dir: Path | None = Field(None, description="where uploads are stored; default <var_dir>/attachments")
    max_upload_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    # Every other request body (forms, the API's JSON): the longest content a person may
    # write (five texts of 20,000 characters, percent-encoded) fits with room to spare.
    max_body_bytes: int = Field(2 * 1024 * 1024, ge=1024,
                                description="largest request body except uploads; larger ones get 413 unread")
    redis_url: str = Field("", description="Redis for login rate limits; default the broker when it is Redis")
    broker_url: str = ""
    session_max_age_seconds: int = Field(8 * 3600, ge=60)
    cookie_secure: str = Field("auto", pattern="^(auto|always|never)$",
                               description="auto: Secure when the request came over HTTPS")
    login_max_failures: int = Field(5, ge=1, description="failures of one name from one address before delays start")
    login_max_failures_per_ip: int = Field(30, ge=1, description="failures from one address before delays start")
    login_window_seconds: int = Field(900, ge=10, description="the longest delay, in seconds")
    page_size: int = Field(50, ge=5, le=500)

    # Staff sign-in through the city's identity provider (OpenID Connect); off while the issuer is empty.
    oidc_issuer: str = Field("", description="the provider's issuer URL; its /.well-known/openid-configuration is read")
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scopes: str = Field("openid email profile", description="scopes asked for; openid is required")
    oidc_roles_claim: str = Field("roles", description="claim holding the person's roles; empty: roles set in Kyodo")
    oidc_role_map: dict[str, str] = Field(
        default_factory=dict,
        description='JSON: claim value -> Kyodo role, e.g. {"kyodo-approvers": "approver"}; '
                    "empty: values that are Kyodo role names")
    oidc_department_claim: str = Field("department", description="claim holding the department code; empty: none")
    oidc_trust_email: bool = Field(False, description="link an existing account by an e-mail address not verified")
    oidc_label_ja: str = "庁内アカウントでログイン（職員の方）"
    oidc_label_en: str = "City staff: sign in with your city account"

    @model_validator(mode="after")
    def _no_known_secret_in_production(self) -> "WebSettings":
        if self.env == "production" and (self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < 32):
            raise ValueError("KYODO_SECRET_KEY must be set to a random value of at least 32 characters "
                             "when KYODO_ENV=production")
        return self

    @model_validator(mode="after")
    def _oidc_complete(self) -> "WebSettings":
        if not self.oidc_issuer:
            return self
        from urllib.parse import urlsplit

        from workflow.identity_provider import policy_problems

        url = urlsplit(self.oidc_issuer)
        if url.scheme not in ("https", "http") or not url.netloc:
            raise ValueError("KYODO_OIDC_ISSUER must be the provider's URL, e.g. https://login.city.example.jp/realms/staff")
        if url.scheme == "http" and self.env == "production" and url.hostname not in ("localhost", "127.0.0.1"):
            raise ValueError("KYODO_OIDC_ISSUER must use https when KYODO_ENV=production")
        if not self.oidc_client_id:
            raise ValueError("KYODO_OIDC_CLIENT_ID must be set when KYODO_OIDC_ISSUER is")
        if "openid" not in self.oidc_scopes.split():
            raise ValueError("KYODO_OIDC_SCOPES must include openid")
        bad = policy_problems(self.oidc_role_map)
        if bad:
            raise ValueError(f"KYODO_OIDC_ROLE_MAP maps to roles the provider may not grant: {', '.join(bad)}")
        return self

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer)

    @property
    def effective_attachment_dir(self) -> Path:
        return self.attachment_dir or self.var_dir / "attachments"

    @property
    def effective_redis_url(self) -> str:
        if self.redis_url:
            return self.redis_url
        if self.broker_url.startswith(("redis://", "rediss://")):
            return self.broker_url
        return ""


@lru_cache
def get_web_settings() -> WebSettings:
    return WebSettings()
