"""Turning every mistake a user can make into a message and a non-zero exit, never a traceback."""

from __future__ import annotations

import functools
import re
from typing import Callable

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError
from pydantic import ValidationError
from pydantic_settings import SettingsError

from cli.output import err_console
from workflow.errors import KyodoError


def fail(message_ja: str, message_en: str, hint_ja: str = "", hint_en: str = "", code: int = 1):
    err_console.print(f"[bold red]エラー:[/] {message_ja}")
    err_console.print(f"[dim]error: {message_en}[/]")
    if hint_ja or hint_en:
        err_console.print(f"[yellow]対処:[/] {hint_ja}")
        err_console.print(f"[dim]fix: {hint_en}[/]")
    raise typer.Exit(code)


def explain_settings_error(exc: Exception):
    """A bad ``KYODO_`` variable: which one, what is wrong, exit 1."""
    lines = []
    if isinstance(exc, ValidationError):
        for e in exc.errors():
            name = "KYODO_" + "_".join(str(p) for p in e.get("loc", ())).upper()
            lines.append(f"{name}: {e.get('msg', '')}")
    else:  # pydantic-settings could not even parse the value (JSON expected)
        field = re.search(r'field "([a-z_]+)"', str(exc))
        lines.append(f"KYODO_{field.group(1).upper() if field else '…'}: JSON として読めません / not valid JSON")
    fail("設定（KYODO_ で始まる環境変数）が正しくありません：" + "／".join(lines),
         "invalid setting: " + "; ".join(lines),
         "README の「設定」を確認してください。", "see Configuration in the README")


def friendly(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except KyodoError as exc:
            fail(exc.message_ja, exc.message_en, exc.hint_ja, exc.hint_en)
        except (ValidationError, SettingsError) as exc:
            explain_settings_error(exc)
        except (OperationalError, ProgrammingError) as exc:
            fail("データベースに接続できないか、表がありません。", str(exc.orig).strip().splitlines()[0],
                 "KYODO_DATABASE_URL を確認し、`kyodo db upgrade` を実行してください。",
                 "check KYODO_DATABASE_URL and run `kyodo db upgrade`")

    return wrapper
