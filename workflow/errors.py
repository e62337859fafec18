"""The engine's errors, each with the words a person needs, in Japanese and English.

Raised in the engine and translated once at each edge (command line, HTTP).
"""

from __future__ import annotations


class KyodoError(Exception):
    """Base of every error a user can cause; ``hint`` says how to fix it."""

    code = "error"

    def __init__(self, message_ja: str, message_en: str, hint_ja: str = "", hint_en: str = ""):
        super().__init__(message_en)
        self.message_ja = message_ja
        self.message_en = message_en
        self.hint_ja = hint_ja
        self.hint_en = hint_en

    def message(self, language: str = "ja") -> str:
        return self.message_en if language == "en" else self.message_ja

    def hint(self, language: str = "ja") -> str:
        return self.hint_en if language == "en" else self.hint_ja


class NotFound(KyodoError):
    code = "not_found"


class NotAllowed(KyodoError):
    """The actor's role (or reach) does not permit this trigger on this case."""

    code = "not_allowed"

    def __init__(self, message_ja, message_en, hint_ja="", hint_en="", allowed_roles=()):
        super().__init__(message_ja, message_en, hint_ja, hint_en)
        self.allowed_roles = tuple(allowed_roles)


class MissingInput(KyodoError):
    code = "missing_input"

    def __init__(self, missing: list[tuple[str, str, str]]):
        names_ja = "、".join(ja for _, ja, _ in missing)
        names_en = ", ".join(en for _, _, en in missing)
        super().__init__(f"次の項目を入力してください：{names_ja}", f"missing input: {names_en}")
        self.missing = [name for name, _, _ in missing]


class InvalidInput(KyodoError):
    code = "invalid_input"

    def __init__(self, name: str, message_ja: str, message_en: str):
        super().__init__(message_ja, message_en)
        self.name = name


class InvalidState(KyodoError):
    """The trigger is not possible in the case's current state; says what is possible."""

    code = "invalid_state"

    def __init__(self, message_ja, message_en, possible: list[tuple[str, tuple[str, ...]]]):
        now_ja = "、".join(f"{t}（{'/'.join(r)}）" for t, r in possible) or "なし"
        now_en = "; ".join(f"{t} ({'/'.join(r)})" for t, r in possible) or "none"
        super().__init__(
            message_ja, message_en,
            f"現在できる操作：{now_ja}", f"possible now: {now_en}",
        )
        self.possible = possible


class ConditionNotMet(KyodoError):
    code = "condition_not_met"

    def __init__(self, failed: list[tuple[str, str, str]]):
        super().__init__(
            "条件を満たしていません：" + "／".join(ja for _, ja, _ in failed),
            "condition not met: " + "; ".join(en for _, _, en in failed),
        )
        self.failed = [name for name, _, _ in failed]


class Conflict(KyodoError):
    """Someone else changed the case since it was loaded; reload and try again."""

    code = "conflict"

    def __init__(self, proposal_id: int, current_version: int | None = None):
        super().__init__(
            f"提案 {proposal_id} は読み込んだ後に他の人が更新しました。",
            f"proposal {proposal_id} was changed by someone else since it was loaded",
            "最新の状態を確認してから、もう一度操作してください。",
            "reload it and try again",
        )
        self.proposal_id = proposal_id
        self.current_version = current_version
