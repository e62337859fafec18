"""The notices read as the ordinance asks: the Article 10(2) decision states its reasons."""

from __future__ import annotations

import copy
import re

import pytest
from jinja2 import UndefinedError

from notifications.render import KINDS, Rendered, render
from states.vocabulary import LANGUAGES
from notifications.samples import sample_context

MULTILINE_REASONS = (
    "提案の公益性は認められる。\n"
    "しかし、同種の事業を既に市が実施しており、協働で行う必要性が低い。\n"
    "  （字下げもそのまま）"
)


def context(kind: str, language: str = "ja", **changes) -> dict:
    ctx = copy.deepcopy(sample_context(kind, language))
    ctx.update(changes)
    return ctx


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_in_both_languages(kind, language):
    r = render(kind, language, sample_context(kind, language))
    assert isinstance(r, Rendered)
    assert r.subject and "\n" not in r.subject and "\r" not in r.subject
    assert r.text.strip() and r.html.strip()
    assert r.html.lstrip().startswith("<!DOCTYPE html>") and f'<html lang="{language}">' in r.html
    # A forgotten None guard shows up as the word "None" in a citizen's mail.
    for part in (r.subject, r.text, r.html):
        assert "None" not in part and "{{" not in part and "{%" not in part
    assert "<style" not in r.html  # inline styles only: many mail clients drop <style>


def test_decision_notice_in_japanese_follows_the_official_layout():
    ctx = context("decision", reasons=MULTILINE_REASONS)
    r = render("decision", "ja", ctx)
    for expected in (
        "市市協第566号",
        "令和3年9月16日",
        "NPO法人 みなとみらい地域ささえあいネット",
        "理事長　山田 花子　様",
        "横浜市長",
        "市民協働事業の提案について（通知）",
        "横浜市市民協働条例第10条第2項の規定により",
        "次のとおり決定したので通知します。",
        "記",
        "1　提案事業名",
        "多世代が集う地域食堂と見守りネットワークづくり",
        "2　決定内容\n　　採用",
        "3　理由",
        "協働契約の締結に向けて、所管課（健康福祉局 地域福祉保健課）から改めて御連絡します。",
        "以上",
        "045-671-0000",
    ):
        assert expected in r.text, expected
    assert MULTILINE_REASONS in r.text  # verbatim, line breaks and indentation kept
    # Document number and date come first, before the addressee.
    assert r.text.index("市市協第566号") < r.text.index("令和3年9月16日") < r.text.index("理事長")
    assert "市市協第566号" in r.subject and "\n" not in r.subject


def test_decision_html_right_aligns_number_and_date_and_keeps_reason_lines():
    r = render("decision", "ja", context("decision", reasons=MULTILINE_REASONS))
    assert re.search(r'text-align:right;">市市協第566号<br>令和3年9月16日</p>', r.html)
    assert "しかし、同種の事業を既に市が実施しており、協働で行う必要性が低い。<br>" in r.html
    assert "第10条第2項" in r.html


def test_decision_not_adopted_gives_the_outcome_and_whom_to_ask():
    r = render("decision", "ja", context("decision", outcome="not_adopted", reasons=MULTILINE_REASONS))
    assert "2　決定内容\n　　不採用" in r.text
    assert "下記の担当までお問い合わせください" in r.text
    assert "協働契約の締結に向けて" not in r.text
    assert "sh-kyodo@city.example.jp" in r.text
    assert MULTILINE_REASONS in r.text


def test_decision_in_english_is_a_faithful_translation():
    ctx = context("decision", "en", reasons=MULTILINE_REASONS)
    r = render("decision", "en", ctx)
    for expected in ("市市協第566号", "16 September 2021", "山田 花子, 理事長",
                     "NPO法人 みなとみらい地域ささえあいネット", "Mayor of Yokohama",
                     "Article 10(2) of the City of Yokohama Citizen Collaboration Ordinance",
                     "2. Decision\n   Adopted", "prepare the collaboration contract"):
        assert expected in r.text, expected
    assert MULTILINE_REASONS in r.text
    r = render("decision", "en", context("decision", "en", outcome="not_adopted"))
    assert "Not adopted" in r.text and "please contact the office below" in r.text


# The digest lists its items; an account's letters are about the account.
NOT_ABOUT_ONE_CASE = ("reviewer_digest", "account_invitation", "password_reset")


def test_html_escapes_what_citizens_typed_and_text_keeps_it():
    title = '<script>alert("x")</script> & 子ども食堂'
    proposal = {"id": 42, "title": title}
    for kind in KINDS:
        r = render(kind, "ja", context(kind, proposal=proposal))
        assert "<script>" not in r.html
        if kind not in NOT_ABOUT_ONE_CASE:
            assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; 子ども食堂" in r.html
            assert title in r.text
    r = render("decision", "ja", context("decision", reasons="<b>理由</b>\n二行目"))
    assert "&lt;b&gt;理由&lt;/b&gt;<br>\n二行目" in r.html


def test_subject_is_one_line_even_when_the_title_has_line_breaks():
    proposal = {"id": 42, "title": "abc\r\nBcc: evil@example.com\n\u2028次の行"}
    for kind in KINDS:
        for language in LANGUAGES:
            subject = render(kind, language, context(kind, language, proposal=proposal)).subject
            assert "\r" not in subject and "\n" not in subject and "\u2028" not in subject
    assert "abc Bcc: evil@example.com 次の行" in render("receipt", "ja", context("receipt", proposal=proposal)).subject


def test_a_missing_context_key_is_an_error_not_a_blank():
    ctx = context("decision")
    del ctx["reasons"]
    with pytest.raises(UndefinedError):
        render("decision", "ja", ctx)
    ctx = context("decision")
    del ctx["contact"]["phone"]
    with pytest.raises(UndefinedError):
        render("decision", "en", ctx)


def test_an_unknown_branch_value_is_refused():
    with pytest.raises(ValueError, match="outcome"):
        render("decision", "ja", context("decision", outcome="adopted "))
    with pytest.raises(ValueError, match="unknown notice kind"):
        render("decisions", "ja", context("decision"))


def test_unknown_language_falls_back_to_japanese():
    ctx = context("receipt")
    assert render("receipt", "fr", ctx) == render("receipt", "ja", ctx)
    assert render("receipt", "", ctx) == render("receipt", "ja", ctx)
    assert render("receipt", "en-GB", ctx) == render("receipt", "en", ctx)


def test_amounts_dates_and_contract_forms_follow_the_language():
    ja = render("contract_concluded", "ja", context("contract_concluded"))
    en = render("contract_concluded", "en", context("contract_concluded", "en"))
    assert "1,200,000円" in ja.text and "負担金" in ja.text and "令和3年10月1日から令和5年3月31日まで" in ja.text
    assert "¥1,200,000" in en.text and "Shared-cost contribution" in en.text and "1 October 2021 to 31 March 2023" in en.text
    assert "1,200,000円" in ja.html and "¥1,200,000" in en.html


def test_a_contract_waived_as_a_minor_case_says_so_under_article_12():
    contract = {"form": None, "exempt": True, "period_start": None, "period_end": None, "amount_yen": None}
    r = render("contract_concluded", "ja", context("contract_concluded", contract=contract))
    assert "第12条第1項" in r.text and "軽易なもの" in r.text and "締結を省略" in r.subject
    assert "契約金額" not in r.text and "契約形態" not in r.text
    assert "No collaboration contract" in render("contract_concluded", "en", context("contract_concluded", "en", contract=contract)).subject


def test_own_project_end_notice():
    own = {"title": "学習支援", "started_on": sample_context("own_project_received")["own_project"]["started_on"],
           "ended_on": sample_context("decision")["decided_on"]}
    r = render("own_project_received", "ja", context("own_project_received", own_project=own, which="end"))
    assert "終了の届出" in r.subject and "第11条第2項" in r.text and "終了日　　：令和3年9月16日" in r.text


def test_evaluation_names_the_fiscal_year_or_the_final_evaluation():
    r = render("evaluation_requested", "ja", context("evaluation_requested", period_label_fy=2020, side="city"))
    assert "令和2年度" in r.subject and "第15条第1項" in r.text and "市（健康福祉局 地域福祉保健課）" in r.text
    r = render("evaluation_requested", "en", context("evaluation_requested", "en", period_label_fy=None))
    assert "final" in r.subject and "the whole project (final evaluation)" in r.text
    r = render("evaluation_published", "ja", context("evaluation_published", period_label_fy=None))
    assert "事業終了後の評価" in r.text and "第15条第2項" in r.text
    assert "https://kyodo.city.example.jp/public/evaluations/42/2021" in r.html


@pytest.mark.parametrize("step, ja, en", [
    ("before", "期限まであと2開庁日です", "is due in 2 business days"),
    ("on_day", "本日が期限です", "is due today"),
    ("overdue", "期限を2開庁日過ぎています", "is 2 business days overdue"),
])
def test_reminder_says_how_near_the_deadline_is(step, ja, en):
    r = render("reminder", "ja", context("reminder", step=step, days=2, escalated=False))
    assert ja in r.text and ja in r.html and "提案の採否の決定" in r.subject
    assert "対応待ち" not in r.text
    r = render("reminder", "en", context("reminder", "en", step=step, days=2, escalated=False))
    assert en in r.text and en in r.subject


def test_escalated_reminder_names_who_is_late():
    ctx = context("reminder")
    del ctx["late_party_en"]  # the other language's key is not needed
    r = render("reminder", "ja", ctx)
    assert "要確認" in r.subject
    assert "健康福祉局 地域福祉保健課の対応待ち" in r.text
    r = render("reminder", "en", context("reminder", "en"))
    assert r.subject.startswith("Action needed: ")
    assert "waiting on Community Welfare and Health Division" in r.text


def test_reminder_not_escalated_needs_no_late_party():
    ctx = context("reminder", escalated=False, step="before", days=1)
    del ctx["late_party_ja"], ctx["late_party_en"]
    assert "1 business day:" in render("reminder", "en", ctx).subject


def test_reviewer_digest_marks_overdue_items():
    r = render("reviewer_digest", "ja", sample_context("reviewer_digest"))
    assert "2件（うち期限超過1件）" in r.subject and "令和3年9月1日現在" in r.subject
    assert "令和3年8月31日【期限超過】" in r.text
    assert "河川敷の外来植物を市民と調べる生きもの調査" in r.html
    empty = render("reviewer_digest", "en", context("reviewer_digest", "en", items=[]))
    assert "no proposals to review" in empty.text and "0 proposals" in empty.subject


@pytest.mark.parametrize("language", LANGUAGES)
def test_what_the_engine_may_leave_empty_is_left_out_not_printed(language):
    # A city's call (Art. 9) has no organisation before selection; a deadline may be unset.
    for kind in ("receipt", "revision_requested", "review_assigned", "contract_concluded",
                 "own_project_received", "evaluation_requested", "evaluation_published", "reminder"):
        ctx = context(kind, language, organisation=None, department=None)
        for key in ("due_on", "due_on"):
            if key in ctx:
                ctx[key] = None
        if kind == "evaluation_requested":
            ctx["side"] = "city"
        r = render(kind, language, ctx)
        assert "None" not in r.text + r.html, kind
    digest = context("reviewer_digest", language, proposal=None, organisation=None, department=None)
    digest["items"][1]["due_on"] = None
    assert "None" not in render("reviewer_digest", language, digest).text
    decision = context("decision", language)
    decision["contact"]["phone"] = ""
    r = render("decision", language, decision)
    assert "sh-kyodo@city.example.jp" in r.text and "電話　　　\n" not in r.text and "Phone:  \n" not in r.text


def test_a_paragraph_stays_a_paragraph_when_an_optional_sentence_is_left_out():
    for language in LANGUAGES:
        r = render("receipt", language, context("receipt", language, due_on=None))
        assert "\n\n" in r.text.split("10(2)" if language == "en" else "第10条第2項", 1)[1][:200]
