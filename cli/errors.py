"""Turning every mistake a user can make into a message and a non-zero exit, never a traceback."""

from __future__ import annotations

import functools
from typing import Callable

import typer
from sqlalchemy.exc import OperationalError, ProgrammingError
from pydantic import ValidationError

from cli.output import err_console
from workflow.errors import KyodoError


def fail(message_ja: str, message_en: str, hint_ja: str = "", hint_en: str = "", code: int = 1):
    err_console.print(f"[bold red]エラー:[/] {message_ja}")
    err_console.print(f"[dim]error: {message_en}[/]")
    if hint_ja or hint_en:
        err_console.print(f"[yellow]対処:[/] {hint_ja}")
        err_console.print(f"[dim]fix: {hint_en}[/]")
    raise typer.Exit(code)


def friendly(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except KyodoError as exc:
            fail(exc.message_ja, exc.message_en, exc.hint_ja, exc.hint_en)
        except ValidationError as exc:
            fail("設定（KYODO_ で始まる環境変数）が正しくありません。", str(exc).splitlines()[0],
                 "README の「設定」を確認してください。", "see Configuration in the README")
        except (OperationalError, ProgrammingError) as exc:
            fail("データベースに接続できないか、表がありません。", str(exc.orig).strip().splitlines()[0],
                 "KYODO_DATABASE_URL を確認し、`kyodo db upgrade` を実行してください。",
                 "check KYODO_DATABASE_URL and run `kyodo db upgrade`")

    return wrapper
