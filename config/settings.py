"""Every setting Kyodo reads, from environment variables prefixed ``KYODO_``.

The defaults are the embedded ones: a SQLite file under ``./var/`` and no servers.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KYODO_", extra="ignore")

    var_dir: Path = Field(Path("var"), description="where the embedded database, broker and mail files live")
    database_url: str = Field("", description="SQLAlchemy URL; empty means sqlite:///<var_dir>/kyodo.sqlite3")
    db_pool_size: int = Field(
        10, ge=1, le=500,
        description="database connections each process keeps open (PostgreSQL); up to twice as many more "
                    "are opened at a burst. The web server answers up to 40 requests at once per process",
    )
    required_reviews: int = Field(2, ge=1, description="reviews needed before coordination and decision")
    document_prefix: str = Field("市市協", description="prefix of decision document numbers (市市協第566号)")
    deadline_days: dict[str, int] = Field(
        default_factory=dict,
        description='JSON object overriding a deadline\'s business days, e.g. {"review": 15}',
    )

    # Notices and reminders
    broker_url: str = Field("", description="Celery broker; empty means the embedded SQLite broker under var_dir")
    mail_transport: str = Field("file", pattern="^(file|smtp)$", description="file (write .eml) or smtp")
    mail_dir: Path | None = Field(None, description="where the file transport writes; default <var_dir>/mail")
    mail_from: str = Field("kyodo@city.example.jp", description="sender address of notices")
    mail_from_name: str = Field("横浜市 市民協働推進課", description="sender display name")
    message_id_domain: str = Field("kyodo.city.example.jp", description="right-hand side of Message-IDs")
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_security: str = Field("none", pattern="^(none|starttls|tls)$")
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_timeout: float = 30.0
    notice_max_attempts: int = Field(8, ge=1, description="after this many failed tries a notice is marked failed")
    notice_backoff_seconds: int = Field(30, ge=1, description="first retry delay; doubles each time")
    notice_lease_seconds: int = Field(300, ge=1, description="a claimed notice not finished after this is tried again")
    relay_interval_seconds: float = Field(10.0, gt=0)
    reminder_scan_seconds: float = Field(60.0, gt=0)
    city_name: str = "横浜市"
    mayor_title: str = "横浜市長"
    sender_section: str = "市民局 市民協働推進課"
    contact_email: str = "kyodo@city.example.jp"
    contact_phone: str = "045-000-0000"
    base_url: str = Field("http://127.0.0.1:8000", description="public address used in links")

    @field_validator("deadline_days")
    @classmethod
    def _positive_days(cls, value: dict[str, int]) -> dict[str, int]:
        bad = [k for k, v in value.items() if v < 1]
        if bad:
            raise ValueError(f"deadline days must be at least 1: {', '.join(bad)}")
        from states import LIFECYCLES

        known = {d.key for lc in LIFECYCLES.values() for d in lc.deadlines}
        unknown = sorted(set(value) - known)
        if unknown:
            # A misspelt key would silently leave the standard unchanged.
            raise ValueError(f"unknown deadline {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        """Accept the URL forms people copy (``postgres://`` from hosting panels), refuse nonsense early."""
        if not value:
            return value
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        if value.startswith("postgres://"):
            value = "postgresql://" + value[len("postgres://"):]
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("not a database URL; use postgresql://user@host:5432/name or sqlite:///path") from None
        if url.get_backend_name() not in ("postgresql", "sqlite"):
            raise ValueError(f"{url.get_backend_name()} is not supported; use PostgreSQL or SQLite")
        if url.drivername in ("postgresql", "postgresql+psycopg2"):  # psycopg 3 is what Kyodo installs
            url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'kyodo.sqlite3'}"

    @property
    def effective_broker_url(self) -> str:
        return self.broker_url or f"kyodo+sqlite:///{self.var_dir / 'broker.sqlite3'}"

    @property
    def embedded_broker(self) -> bool:
        return self.effective_broker_url.startswith(("kyodo+", "sqla+"))

    @property
    def effective_mail_dir(self) -> Path:
        return self.mail_dir or self.var_dir / "mail"


@lru_cache
def get_settings() -> Settings:
    return Settings()
