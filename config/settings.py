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
    required_reviews: int = Field(2, ge=1, description="reviews needed before coordination and decision")
    document_prefix: str = Field("市市協", description="prefix of decision document numbers (市市協第566号)")
    deadline_days: dict[str, int] = Field(
        default_factory=dict,
        description='JSON object overriding a deadline\'s business days, e.g. {"review": 15}',
    )

    @field_validator("deadline_days")
    @classmethod
    def _positive_days(cls, value: dict[str, int]) -> dict[str, int]:
        bad = [k for k, v in value.items() if v < 1]
        if bad:
            raise ValueError(f"deadline days must be at least 1: {', '.join(bad)}")
        return value

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'kyodo.sqlite3'}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
