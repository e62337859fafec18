"""The report's headings, in Japanese as the city prints them (English alongside in html)."""

from __future__ import annotations

TITLE_JA = "市民協働の状況（市民協働条例第20条）"
TITLE_EN = "The state of citizen collaboration (Article 20 of the Citizen Collaboration Ordinance)"
OWNER_KIND_JA = {"ward": "区役所", "bureau": "局"}
SECTIONS_JA = {
    "projects": "1　協働事業の数",
    "fields": "2　分野別の協働事業の数",
    "contracted": "3　協働契約のある事業（根拠別）",
    "list": "4　協働契約のある事業の一覧",
    "pages": "5　協働契約のある事業の報告",
    "checks": "検算",
}
PAGE_PARTS_JA = ("1　協働契約の相手方", "2　事業費", "3　事業内容", "4　事業実績", "5　協働で事業を行った効果")
NOT_RECORDED_JA = "（登録なし）"


def yen(amount: int | None) -> str:
    return "—" if amount is None else f"{amount:,}円"


def cost_text(page: dict) -> str:
    amount = yen(page["contract_amount_yen"])
    return f"{amount}（{page['cost_kind_ja']}）" if page["cost_kind_ja"] != "—" else amount
