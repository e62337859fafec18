"""Each recipient's letter is written for that recipient.

The group gets the decision addressed to it; the department in charge gets a copy (写し)
addressed to the department, saying the original went to the group. A notice the group
filed is acknowledged to the group and reported to the department. Escalated reminders
ask the late party to act and whoever it is escalated to to look into it. A title is
never followed by a second honorific.
"""

from __future__ import annotations

import copy
from datetime import date

import pytest
from sqlalchemy import select

from db.models import Notice, User
from notifications.render import KINDS, render
from notifications.samples import sample_context
from states.vocabulary import LANGUAGES
from workflow.engine.outbox import decode

REASONS = "地域の環境保全に資する継続的な取組であるため。\n審査員の評価も高い。"


def letters(session, kind: str, language: str | None = None) -> dict[str, object]:
    """The rendered letters of ``kind`` by recipient login, as each recipient will read them."""
    rows = session.execute(
        select(Notice, User.login).join(User, User.id == Notice.recipient_id)
        .where(Notice.kind == kind).order_by(Notice.id)
    ).all()
    return {login: render(n.kind, language or n.language, decode(n.context)) for n, login in rows}


def the_letter(text: str) -> str:
    """From the document number down to 以上: the formal letter itself."""
    return text[text.index("市市協第"):text.index("以上") + len("以上")]


# --- The decision (Art. 10(2)): the group's letter, and the department's copy.


def test_the_department_receives_a_copy_of_the_decision_addressed_to_it(world, session):
    pid = world.new_proposal()
    world.to_awaiting_decision(pid)
    world.do(pid, "adopt", "approver", reasons=REASONS)
    sent = letters(session, "decision")
    group, department = sent["p"], sent["d"]

    assert "写" not in group.subject + group.text + group.html
    assert group.text.startswith("市市協第")  # the group's letter as it always was

    assert department.subject.startswith("【写】市民協働事業の提案について（通知）")
    assert department.text.startswith("環境活動支援課\n松本 様\n")  # addressed to the department
    assert "みどりの会から提案のあった市民協働事業「川辺の清掃」について、採用と決定し" in department.text
    assert "通知書の原本は同団体に送付しましたので、所管課には写しを送付します。" in department.text
    assert "協働契約（市民協働条例第12条）の締結に向けて、同団体との調整をお願いします。" in department.text
    assert "【写】\n市市協第" in department.text
    assert the_letter(group.text) in department.text  # the copy is the group's letter, word for word
    assert ">写</span>" in department.html and "【写】" in department.html


def test_the_department_copy_of_a_rejection_says_nothing_more_is_asked(world, session):
    pid = world.new_proposal()
    world.to_awaiting_decision(pid)
    world.do(pid, "reject", "approver", reasons=REASONS)
    department = letters(session, "decision")["d"]
    assert "不採用と決定し" in department.text and "所管課での今後の手続はありません" in department.text
    assert "調整をお願いします" not in department.text.split("【写】")[0]


def test_the_department_copy_in_english():
    ctx = sample_context("decision", "en") | {"addressed_as": "department", "recipient_name": "Ken Nakamura"}
    r = render("decision", "en", ctx)
    assert r.subject.startswith("[Copy] Notice of decision on a citizen collaboration project proposal by ")
    assert "The original of the notice went to the group; this is the department's copy." in r.text
    assert "==================== COPY ====================\n市市協第566号" in r.text
    group = render("decision", "en", sample_context("decision", "en"))
    assert group.text[:group.text.index("Contact")] in r.text  # the group's letter, word for word
    assert ">COPY</span>" in r.html and "Copy" not in group.subject + group.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_department_copy_of_a_selection(language):
    ctx = sample_context("call_selected", language) | {"addressed_as": "department", "recipient_name": "中村 健"}
    r = render("call_selected", language, ctx)
    group = render("call_selected", language, sample_context("call_selected", language))
    if language == "ja":
        assert r.subject.startswith("【写】") and "【写】\n市市協第612号" in r.text
        assert "NPO法人 みなとみらい地域ささえあいネットを協働事業の相手方として選定し" in r.text
        assert "通知書の原本は同団体に送付しました" in r.text
        assert the_letter(group.text) in r.text
    else:
        assert r.subject.startswith("[Copy] Notice of selection of NPO法人 みなとみらい地域ささえあいネット")
        assert "this is the department's copy" in r.text
    assert "写" not in group.subject + group.text and "Copy" not in group.subject


def test_a_call_partner_is_told_and_the_department_gets_the_copy(session, clock):
    from tests.calls.conftest import CallWorld as Walk, scores

    city = Walk(session, clock)
    pid = city.new_call()
    apps = city.to_reviewing(pid)
    for app in apps.values():
        for r in ("reviewer1", "reviewer2"):
            city.do(pid, "review_application", r, application_id=app, **scores(4, 4, 4, 4))
    city.do(pid, "refer_for_selection", "department", department_opinion="適当")
    city.do(pid, "select", "approver", selected_application_id=apps["third"], reasons="最も高い評価")
    sent = letters(session, "call_selected", "ja")
    assert "写" not in sent["t"].subject
    assert sent["d"].subject.startswith("【写】") and sent["d"].text.startswith("環境活動支援課\n松本 様")
    assert "NPO法人 まちの防災ラボを協働事業の相手方として選定し" in sent["d"].text
    assert the_letter(sent["t"].text) in sent["d"].text


# --- What the group filed: acknowledged to the group, reported to the department.


def test_an_own_project_notice_is_acknowledged_to_the_group_and_reported_to_the_department(world, session):
    pid = world.new_proposal()
    world.to_in_progress(pid)
    world.do(pid, "notify_own_project_start", "proposer", own_project_title="学習支援",
             own_project_start=date(2026, 7, 1))
    for language in LANGUAGES:
        sent = letters(session, "own_project_received", language)
        group, department = sent["p"], sent["d"]
        if language == "ja":
            assert group.text.startswith("みどりの会\n山田 様\n")
            assert "届出を、次のとおり受け付けました" in group.text
            assert department.text.startswith("環境活動支援課\n松本 様\n")  # not under the group's name
            assert "みどりの会から、市民協働条例第11条第2項の規定による自主事業の開始の届出がありました" in department.text
            assert "届出団体　：みどりの会" in department.text
            assert department.subject.startswith("【届出】みどりの会から自主事業の開始の届出がありました")
            for said_to_the_filer in ("受け付けました", "ありがとう", "届出をお願いします"):
                assert said_to_the_filer not in department.subject + department.text + department.html
        else:
            assert "We have received your notice" in group.text
            assert "みどりの会 has notified the city" in department.text
            assert "your notice" not in department.text and "Thank you" not in department.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_end_of_an_own_project_reported_to_the_department(language):
    ctx = sample_context("own_project_received", language) | {"addressed_as": "department", "which": "end"}
    r = render("own_project_received", language, ctx)
    assert ("終了の届出がありました" in r.subject) if language == "ja" else ("end notified by" in r.subject)
    assert "ありがとう" not in r.text and "Thank you" not in r.text


# --- Reminders: the late party is asked to act; the escalation, to look into it.


def test_an_escalated_reminder_asks_the_late_party_to_act_and_the_secretariat_to_look_into_it(world, session):
    from config import Settings
    from notifications.reminders import scan
    from tests.notifications.test_reminders import at

    pid = world.new_proposal()
    world.to_under_review(pid)  # the reviewers' review is due 20 April 2026
    assert scan(session, at(date(2026, 4, 23)), Settings()) == 3  # 3 business days late: escalated
    sent = letters(session, "reminder")
    reviewer, secretariat = sent["r1"], sent["s"]
    assert "速やかに対応をお願いします" in reviewer.text
    assert "対応を促してください" not in reviewer.text and "要確認" not in reviewer.subject
    assert "このお知らせは市民協働推進課（事務局）にもお送りしています" in reviewer.text
    assert "審査員の対応待ちですが、期限を3開庁日過ぎています。状況を確認し、対応を促してください。" in secretariat.text
    assert secretariat.subject.startswith("【期限超過・要確認】")
    english = letters(session, "reminder", "en")
    assert english["r1"].subject.startswith("Review is 3 business days overdue")
    assert english["s"].subject.startswith("Action needed: ")


# --- Honorifics.


@pytest.mark.parametrize("name, salutation", [
    ("山田 花子", "山田 花子 様"),
    ("伊藤 教授（審査員）", "伊藤 教授（審査員）"),
    ("渡辺 氏（審査員）", "渡辺 氏（審査員）"),
    ("小林 局長（決裁者）", "小林 局長（決裁者）"),
    ("田中 誠（市民協働推進課）", "田中 誠 様（市民協働推進課）"),
    ("佐藤先生", "佐藤先生"),
    ("山田花子様", "山田花子様"),
    ("織田 信長", "織田 信長 様"),  # a name ending in 長 is a name
], ids=["bare name", "professor", "shi", "director", "note in brackets", "sensei", "sama", "name ending in 長"])
def test_a_title_is_never_followed_by_a_second_honorific(name, salutation):
    for kind in ("review_assigned", "reviewer_digest", "call_review_assigned", "receipt", "reminder",
                 "evaluation_requested"):
        ctx = copy.deepcopy(sample_context(kind)) | {"recipient_name": name}
        r = render(kind, "ja", ctx)
        assert salutation + "\n" in r.text, kind
        for doubled in ("教授（審査員） 様", "氏（審査員） 様", "局長（決裁者） 様", "様 様", "様様"):
            assert doubled not in r.text + r.html, kind
    from notifications.render import honorific

    assert honorific(name) == salutation


@pytest.mark.parametrize("kind", KINDS)
def test_no_kind_honours_a_titled_name_twice(kind):
    ctx = copy.deepcopy(sample_context(kind)) | {"recipient_name": "伊藤 教授（審査員）"}
    r = render(kind, "ja", ctx)
    assert "教授（審査員） 様" not in r.text + r.html and "教授（審査員）様" not in r.text + r.html


def test_the_representative_of_a_group_is_honoured_once():
    ctx = sample_context("decision")
    ctx["organisation"] = dict(ctx["organisation"], representative_name="山田 花子 様")
    r = render("decision", "ja", ctx)
    assert "理事長　山田 花子 様\n" in r.text and "様　様" not in r.text + r.html
    assert "理事長　山田 花子　様" in render("decision", "ja", sample_context("decision")).text
