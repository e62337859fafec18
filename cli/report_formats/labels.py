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
    "trends": "参考　協働事業の推移（年度別）",
    "rounds": "参考　協働事業提案の募集ごとの応募・採用の状況",
}
PAGE_PARTS_JA = ("1　協働契約の相手方", "2　事業費", "3　事業内容", "4　事業実績", "5　協働で事業を行った効果")
NOT_RECORDED_JA = "（登録なし）"
# The columns of the rounds' table (html, csv, xlsx), after the round and its year.
ROUND_COLUMNS_JA = {"applied": "応募数", "adopted": "採用数", "rejected": "不採用数", "undecided": "未決定"}

# The charts: each title and the name of each series, Japanese first, then English.
CHART_TITLES = {
    "owners": ("所管別の協働事業の数", "Projects by owner"),
    "fields": ("分野別の協働事業の数（区役所・局）", "Projects by field, ward offices and bureaus"),
    "origins": ("協働契約のある事業（根拠別）", "Contracted projects by origin"),
    "trends": ("協働事業の推移（年度別）", "Year on year"),
    "rounds": ("募集ごとの応募数・採用数", "Proposals and adoptions per round"),
}
SERIES = {
    "ward": ("区役所", "Ward offices"),
    "bureau": ("局", "Bureaus"),
    "projects": ("事業数", "Projects"),
    "contracted_projects": ("協働契約のある事業", "Contracted projects"),
    "contracts": ("契約件数", "Contracts"),
    "amount_yen": ("契約金額", "Contract amount"),
    "applied": ("応募数", "Proposals"),
    "adopted": ("採用数", "Adopted"),
}
PANELS = {
    "counts": ("事業数・契約件数", "Projects and contracts"),
    "amount": ("契約金額（円）", "Contract amount (yen)"),
}


def yen(amount: int | None) -> str:
    return "—" if amount is None else f"{amount:,}円"


def cost_text(page: dict) -> str:
    amount = yen(page["contract_amount_yen"])
    return f"{amount}（{page['cost_kind_ja']}）" if page["cost_kind_ja"] != "—" else amount
