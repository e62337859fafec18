"""Realistic contexts for every notice kind: for tests and for previewing the templates.

The people, the group and the project are made up; the shape of each context is the one
the engine hands to ``notifications.render.render``.
"""

from __future__ import annotations

from datetime import date

from notifications.render import KINDS, normalise_language

# What the city says about itself differs by language; what citizens wrote does not.
_CITY = {
    "ja": {
        "city_name": "横浜市",
        "sender_section": "市民局 市民協働推進課",
        "mayor_title": "横浜市長",
        "contact_section": "市民局 市民協働推進課 協働推進担当",
    },
    "en": {
        "city_name": "City of Yokohama",
        "sender_section": "Citizen Collaboration Promotion Division, Civic Affairs Bureau",
        "mayor_title": "Mayor of Yokohama",
        "contact_section": "Collaboration Promotion Unit, Citizen Collaboration Promotion Division",
    },
}

_REASONS = (
    "地域の高齢者の見守りと子どもの居場所づくりを一体で行う点に公益性が高く認められる。\n"
    "役割分担と費用分担が具体的に示されており、事業を遂行する能力も十分と判断した。\n"
    "なお、実施に当たっては所管課と実施区域を調整すること。"
)


def sample_context(kind: str, language: str = "ja") -> dict:
    if kind not in KINDS:
        raise ValueError(f"unknown notice kind {kind!r}")
    city = _CITY[normalise_language(language)]
    common = {
        # The group's letter; a test or a preview passes addressed_as="department" for the
        # department's copy.
        "addressed_as": "proposer",
        "recipient_name": "山田 花子",
        "proposal": {"id": 42, "title": "多世代が集う地域食堂と見守りネットワークづくり"},
        "organisation": {
            "name": "NPO法人 みなとみらい地域ささえあいネット",
            "representative_title": "理事長",
            "representative_name": "山田 花子",
        },
        "department": {"name": "健康福祉局 地域福祉保健課"},
        "case_url": "https://kyodo.city.example.jp/proposals/42",
        "city_name": city["city_name"],
        "sender_section": city["sender_section"],
    }
    return common | _SPECIFIC[kind](city)


_SPECIFIC = {
    "receipt": lambda city: {
        "submitted_on": date(2021, 7, 30),
        "due_on": date(2021, 9, 17),
    },
    "revision_requested": lambda city: {
        "revision_request": "1. 実施区域（中区・西区）ごとの開催回数を記載してください。\n"
                            "2. 見守り活動で得た個人情報の取扱いを、役割分担の欄に追記してください。",
        "due_on": date(2021, 8, 20),
    },
    "review_assigned": lambda city: {
        "addressed_as": "reviewer",
        "recipient_name": "佐藤 一郎",
        "due_on": date(2021, 8, 31),
    },
    "decision": lambda city: {
        "outcome": "adopted",
        "document_number": "市市協第566号",
        "decided_on": date(2021, 9, 16),
        "reasons": _REASONS,
        "article": "第10条第2項",
        "mayor_title": city["mayor_title"],
        "contact": {
            "section": city["contact_section"],
            "email": "sh-kyodo@city.example.jp",
            "phone": "045-671-0000",
        },
    },
    "contract_concluded": lambda city: {
        "contract": {
            "form": "contribution",
            "exempt": False,
            "period_start": date(2021, 10, 1),
            "period_end": date(2023, 3, 31),
            "amount_yen": 1_200_000,
        },
    },
    "own_project_received": lambda city: {
        "own_project": {
            "title": "地域食堂での子ども向け学習支援",
            "started_on": date(2021, 11, 1),
            "ended_on": None,
        },
        "which": "start",
    },
    "evaluation_requested": lambda city: {
        "period_label_fy": 2021,
        "due_on": date(2022, 6, 30),
        "side": "partner",
    },
    "evaluation_published": lambda city: {
        "period_label_fy": 2021,
        "public_url": "https://kyodo.city.example.jp/public/evaluations/42/2021",
    },
    "reminder": lambda city: {
        # Escalated: the secretariat is asked to look into a step the department is late with.
        "addressed_as": "secretariat",
        "waits_on": "department",
        "recipient_name": "市民協働推進課 担当者",
        "deadline": {
            "label_ja": "提案の採否の決定",
            "label_en": "decision on the proposal",
            "due_on": date(2021, 9, 17),
        },
        "step": "overdue",
        "days": 3,
        "escalated": True,
        "late_party_ja": "健康福祉局 地域福祉保健課",
        "late_party_en": "Community Welfare and Health Division, Health and Social Welfare Bureau",
        "escalated_to_ja": "市民協働推進課（事務局）及び所管課長",
        "escalated_to_en": "Collaboration section (secretariat) and the head of the department in charge",
    },
    "reviewer_digest": lambda city: {
        "addressed_as": "reviewer",
        "recipient_name": "佐藤 一郎",
        "case_url": "https://kyodo.city.example.jp/reviews",
        "today": date(2021, 9, 1),
        "items": [
            {"id": 42, "title": "多世代が集う地域食堂と見守りネットワークづくり",
             "state_ja": "審査中", "state_en": "Under review", "due_on": date(2021, 8, 31), "overdue": True},
            {"id": 57, "title": "河川敷の外来植物を市民と調べる生きもの調査",
             "state_ja": "審査中", "state_en": "Under review", "due_on": date(2021, 9, 14), "overdue": False},
        ],
    },
}


# The city's call for partners (Article 9).
_CALL_REASONS = (
    "地域の高齢者の見守りと子どもの居場所づくりを一体で行う点に公益性が高く認められる。\n"
    "役割分担と費用分担が具体的に示されており、事業を遂行する能力も十分と判断した。"
)


def _call_decision(city):
    return {
        "document_number": "市市協第612号",
        "decided_on": date(2021, 10, 1),
        "reasons": _CALL_REASONS,
        "article": "第9条第1項",
        "mayor_title": city["mayor_title"],
        "contact": {"section": city["contact_section"], "email": "sh-kyodo@city.example.jp", "phone": "045-671-0000"},
    }

_SPECIFIC.update({
    "call_review_assigned": lambda city: {
        "addressed_as": "reviewer",
        "recipient_name": "佐藤 一郎",
        "due_on": date(2021, 8, 31),
        "criteria": "地域での活動実績\n個人情報の取扱いと安全管理の体制",
        "applications": [
            {"id": 7, "organisation": "NPO法人 みなとみらい地域ささえあいネット"},
            {"id": 8, "organisation": "一般社団法人 こどもの居場所づくり協会"},
        ],
    },
    "call_selected": lambda city: _call_decision(city),
    "call_not_selected": lambda city: {
        **_call_decision(city),
        "addressed_as": "unselected_applicants",
        "partner_selected": True,
        "selected_organisation": {"name": "一般社団法人 こどもの居場所づくり協会"},
        "own_result": {"application_id": 7, "average_total": 14.5, "max_total": 20, "rank": 2, "ranked": 3,
                       "reviews": 2},
    },
})


# Letters about a person's account, not about a case (workflow/accounts.py writes them):
# a one-time link to set a password.
_SPECIFIC.update({
    "account_invitation": lambda city: {
        "addressed_as": None,
        "login": "yamada",
        "link": "https://kyodo.city.example.jp/password/set?token=sample-one-time-token",
        "valid_hours": 72,
    },
    "password_reset": lambda city: {
        "addressed_as": None,
        "login": "yamada",
        "link": "https://kyodo.city.example.jp/password/set?token=sample-one-time-token",
        "valid_hours": 1,
    },
})


# Written by the reminder scan for a group whose proposal in a round is still a draft
# a few days before the round closes (notifications/round_closing.py).
_SPECIFIC.update({
    "round_closing": lambda city: {
        "round": {"id": 3, "title_ja": "令和3年度 市民協働事業提案制度（テーマ提示型）",
                  "title_en": "Citizen collaboration proposals, FY2021 (themes offered by departments)",
                  "opens_on": date(2021, 6, 1), "closes_on": date(2021, 7, 30)},
        "days": 3,
    },
})


# Written when the secretariat schedules a group's public presentation in a round
# (workflow/panels.py): the date is the Japan date, the time Japan time as written.
_SPECIFIC.update({
    "presentation_scheduled": lambda city: {
        "round": {"id": 5, "title_ja": "令和9年度 市民協働事業提案制度（自由提案型）",
                  "title_en": "Citizen collaboration proposals, FY2027 (free proposals)"},
        "slot": {"date": date(2027, 7, 10), "time": "14:30", "place": "市庁舎 1階 市民協働ホール",
                 "online_url": "https://meet.city.example.jp/presentation-2027", "position": 3},
    },
})
