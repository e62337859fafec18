"""Every role's path through the web pages, as a person would walk it (SQLite and PostgreSQL)."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from db.models import Notice, Proposal
from tests.support import EVAL, SCORES
from tests.web.conftest import PASSWORD, Visitor


def state_of(world, pid: int) -> str:
    world.s.expire_all()
    state = world.s.execute(select(Proposal.state).where(Proposal.id == pid)).scalar_one()
    world.s.commit()
    return state


def version_of(world, pid: int) -> int:
    world.s.expire_all()
    version = world.s.execute(select(Proposal.version).where(Proposal.id == pid)).scalar_one()
    world.s.commit()
    return version


def act(v: Visitor, world, pid: int, trigger: str, page: str = "case", **inputs):
    data = {"trigger": trigger, "version": str(version_of(world, pid)), "page": page, **inputs}
    return v.post(f"/proposals/{pid}/actions", data)


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_group_registers_writes_a_draft_attaches_and_submits(web, world, visitor):
    v = visitor()
    r = v.post("/register", {"org_name": "みなと子育てネット", "kind": "npo", "representative_title": "理事長",
                             "representative_name": "森 さくら", "org_email": "info@minato.example.jp",
                             "login": "mori", "name": "森 さくら", "email": "mori@example.jp",
                             "password": "long enough secret", "password_confirm": "long enough secret"})
    assert r.headers["location"] == "/portal"
    v._csrf = None
    portal = v.follow(r)
    assert "みなと子育てネット" in portal.text and "新しい提案" in portal.text
    org_id = int(re.search(r"/proposals/new\?organisation_id=(\d+)", portal.text).group(1))

    # A validation message stands beside the field it concerns; nothing is saved.
    bad = v.post("/proposals/new", {"organisation_id": str(org_id), "title": "子育てひろば", "field": "5",
                                    "estimated_cost_yen": "たくさん"})
    assert bad.status_code == 422
    assert 'id="f-estimated_cost_yen-error"' in bad.text and "概算事業費は0以上の整数" in bad.text
    assert 'aria-invalid="true"' in bad.text

    r = v.post("/proposals/new", {"organisation_id": str(org_id), "title": "子育てひろば", "field": "5",
                                  "estimated_cost_yen": "１，２００，０００", "confidential_fields": "estimated_cost_yen"})
    pid = int(r.headers["location"].rsplit("/", 1)[1])
    page = v.follow(r)
    assert "下書き" in page.text and "1,200,000円" in page.text

    # Submitting an incomplete draft names the condition of Article 10(1).
    r = act(v, world, pid, "submit")
    assert r.status_code == 422 and "提案書の必須項目" in r.text
    assert state_of(world, pid) == "draft"

    r = v.post(f"/proposals/{pid}/edit", {"version": str(version_of(world, pid)), "title": "子育てひろば", "field": "5",
                                          "purpose": "親子の孤立を防ぐ", "content": "週1回のひろば", "proposed_roles": "会：運営／市：会場",
                                          "estimated_cost_yen": "1200000", "confidential_fields": "estimated_cost_yen"})
    assert r.status_code == 303

    up = v.client.post(f"/proposals/{pid}/attachments", data={"csrf_token": v.csrf()},
                       files={"file": ("計画書.pdf", PDF, "application/pdf")})
    assert up.status_code == 303
    fake = v.client.post(f"/proposals/{pid}/attachments", data={"csrf_token": v.csrf()},
                         files={"file": ("計画書.pdf", PNG, "application/pdf")})
    page = v.follow(fake)
    assert "ファイルの中身が拡張子と一致しません" in page.text
    assert len(re.findall(r'href="/attachments/\d+"', page.text)) == 1  # only the real PDF was kept

    r = act(v, world, pid, "submit")
    assert r.status_code == 303 and state_of(world, pid) == "submitted"
    page = v.follow(r)
    assert "受付" in page.text and "提案の受付" in page.text  # the receipt notice is listed


def test_reviewer_reviews_from_the_queue(web, world, as_):
    pid = world.new_proposal(title="審査待ちの提案")
    world.to_under_review(pid)
    r1 = as_("reviewer1")
    queue = r1.get("/queue")
    assert "審査待ちの提案" in queue.text and f"/proposals/{pid}/review" in queue.text

    world.clock.advance(days=30)
    queue = r1.get("/queue")
    assert "期限超過" in queue.text

    r = act(r1, world, pid, "submit_review", "review", score_technique="4", review_comment="よい")
    assert r.status_code == 422
    assert 'id="submit_review-score_expertise-error"' in r.text
    r = act(r1, world, pid, "submit_review", "review", **{k: str(v) for k, v in SCORES.items()})
    assert r.headers["location"] == "/queue"
    assert "審査待ちの提案" not in r1.get("/queue").text

    # Not assigned: the case does not exist for them.
    assert as_("reviewer3").get(f"/proposals/{pid}").status_code == 404


def test_a_member_of_the_group_cannot_be_its_reviewer(web, world, as_):
    pid = world.new_proposal()
    world.do(pid, "submit", "proposer")
    s = as_("secretariat")
    page = s.get(f"/proposals/{pid}")
    assert f'value="{world["member_reviewer"].user_id}"' not in page.text  # not even offered
    r = act(s, world, pid, "start_review", reviewer_ids=[str(world["member_reviewer"].user_id),
                                                          str(world["reviewer1"].user_id)],
            department_id=str(world.dept))
    assert r.status_code == 422 and "構成員は審査員になれません" in r.text
    r = act(s, world, pid, "start_review", reviewer_ids=[str(world["reviewer1"].user_id),
                                                          str(world["reviewer2"].user_id)],
            department_id=str(world.dept))
    assert r.status_code == 303 and state_of(world, pid) == "under_review"


def test_department_coordinates_and_sends_back_for_revision(web, world, as_):
    pid = world.new_proposal(title="調整する提案")
    world.to_in_coordination(pid)
    d = as_("department")
    assert "調整する提案" in d.get("/queue").text
    assert act(d, world, pid, "log_coordination", note="団体と電話で打合せ").status_code == 303
    assert act(d, world, pid, "request_revision", revision_request="安全管理を追記してください").status_code == 303
    assert state_of(world, pid) == "revision_requested"

    p = as_("proposer")
    page = p.get(f"/proposals/{pid}")
    assert "安全管理を追記してください" in page.text and "団体と電話で打合せ" in page.text
    r = act(p, world, pid, "resubmit", revision_note="追記しました")
    assert r.status_code == 422 and "修正依頼の後に提案書が修正されていること" in r.text
    edit = p.get(f"/proposals/{pid}/edit")
    assert edit.status_code == 200
    r = p.post(f"/proposals/{pid}/edit", {"version": str(version_of(world, pid)), "title": "調整する提案", "field": "2",
                                          "purpose": "川辺を守る", "content": "月1回の清掃（保険加入）",
                                          "proposed_roles": "団体：清掃／市：広報", "note": "安全管理"})
    assert r.status_code == 303
    assert act(p, world, pid, "resubmit", revision_note="追記しました").status_code == 303
    assert act(d, world, pid, "refer_for_decision", department_opinion="採用が適当").status_code == 303
    assert state_of(world, pid) == "awaiting_decision"


def test_decision_cannot_be_sent_without_reasons(web, world, as_):
    pid = world.new_proposal(title="決裁を待つ提案")
    world.to_awaiting_decision(pid)
    a = as_("approver")
    page = a.get(f"/proposals/{pid}/decision")
    assert re.search(r'<textarea id="adopt-reject-reasons" name="reasons" rows="4" required', page.text)
    r = act(a, world, pid, "adopt", "decision", reasons="   ")
    assert r.status_code == 422
    assert 'id="adopt-reject-reasons-error"' in r.text and "この項目を入力してください" in r.text
    assert state_of(world, pid) == "awaiting_decision"
    r = act(a, world, pid, "adopt", "decision", reasons="公益性が高く、役割分担が明確なため。")
    assert r.status_code == 303 and state_of(world, pid) == "contracting"

    p = as_("proposer")
    page = p.get(f"/proposals/{pid}")
    assert "公益性が高く、役割分担が明確なため。" in page.text and "採用" in page.text
    assert "提案の採否の決定通知" in page.text or "市民協働事業の提案について" in page.text


def test_stale_version_is_a_conflict(web, world, as_):
    pid = world.new_proposal()
    world.to_awaiting_decision(pid)
    a = as_("approver")
    stale = version_of(world, pid) - 1
    r = a.post(f"/proposals/{pid}/actions", {"trigger": "adopt", "version": str(stale), "page": "decision",
                                             "reasons": "理由"})
    assert r.status_code == 409 and "他の人が更新しました" in r.text
    assert state_of(world, pid) == "awaiting_decision"


def test_contract_editor_concludes_and_amends(web, world, as_):
    pid = world.new_proposal(estimated_cost_yen=800_000, desired_contract_form="subsidy")
    world.to_contracting(pid)
    d = as_("department")
    page = d.get(f"/proposals/{pid}/contract")
    assert 'name="partner_ids"' in page.text and 'value="800000"' in page.text  # starts from the proposal
    terms = dict(contract_form="subsidy", partner_ids=[str(world.org)], purpose="保全", process="月例清掃",
                 role_sharing="団体：実施／市：調整", cost_sharing="補助金", responsibility_sharing="事故は団体",
                 period_start="2026-06-01", period_end="2027-03-31", amount_yen="800,000")
    r = act(d, world, pid, "conclude_contract", "contract", **{**terms, "purpose": ""})
    assert r.status_code == 422 and 'id="conclude_contract-purpose-error"' in r.text
    r = act(d, world, pid, "conclude_contract", "contract", **terms)
    assert r.status_code == 303 and state_of(world, pid) == "in_progress"
    r = act(d, world, pid, "amend_contract", "contract", amendment_reason="回数を追加", new_amount_yen="900000")
    assert r.headers["location"] == f"/proposals/{pid}/contract"
    page = d.get(f"/proposals/{pid}/contract")
    assert "第1回変更" in page.text and "900000" in page.text


def test_evaluation_by_both_sides_then_publication(web, world, as_):
    pid = world.new_proposal(title="評価する事業", content="秘密の手法", confidential_fields=["content"])
    world.to_evaluating(pid)
    evaluation = {k: v for k, v in EVAL.items()}
    assert act(as_("proposer"), world, pid, "submit_final_evaluation", **evaluation).status_code == 303
    assert act(as_("department"), world, pid, "submit_final_evaluation", **evaluation).status_code == 303
    assert act(as_("secretariat"), world, pid, "publish_final_evaluation").status_code == 303
    assert state_of(world, pid) == "closed"

    public = Visitor(web).get(f"/public/proposals/{pid}")
    assert public.status_code == 200
    assert "目標を達成" in public.text and "非公開です（条例第13条）" in public.text
    assert "秘密の手法" not in public.text


def test_compliance_board_lists_late_duties_by_article(web, world, as_):
    pid = world.new_proposal(title="放置された提案")
    world.to_awaiting_decision(pid)
    world.clock.advance(days=90)
    page = as_("secretariat").get("/secretariat/compliance")
    assert page.status_code == 200
    assert "第10条第2項" in page.text and "放置された提案" in page.text and "採否の決定（速やかに）" in page.text


def test_failed_notices_are_shown_and_sent_again(web, world, as_):
    pid = world.new_proposal()
    world.do(pid, "submit", "proposer")
    world.s.execute(update(Notice).values(status="failed", last_error="550 mailbox unavailable"))
    world.s.commit()
    s = as_("secretariat")
    page = s.get("/secretariat/notices")
    assert "550 mailbox unavailable" in page.text
    nid = int(re.search(r"/secretariat/notices/(\d+)/resend", page.text).group(1))
    r = s.post(f"/secretariat/notices/{nid}/resend")
    assert r.status_code == 303
    world.s.expire_all()
    assert world.s.get(Notice, nid).status == "pending"
    world.s.commit()


def test_secretariat_sees_all_but_drafts(web, world, as_):
    draft = world.new_proposal(title="まだ下書き")
    sent = world.new_proposal(title="提出済みの提案")
    world.do(sent, "submit", "proposer")
    page = as_("secretariat").get("/secretariat")
    assert "提出済みの提案" in page.text and "まだ下書き" not in page.text
    assert as_("secretariat").get(f"/proposals/{draft}").status_code == 404


def test_english_switch_and_era_dates(web, world, as_):
    pid = world.new_proposal(title="英語の確認")
    world.to_awaiting_decision(pid)
    a = as_("approver")
    ja = a.get(f"/proposals/{pid}")
    assert "令和8年" in ja.text and 'lang="ja"' in ja.text
    en = a.get(f"/proposals/{pid}?lang=en")
    assert 'lang="en"' in en.text and "Awaiting decision" in en.text and "2026" in en.text
    assert "kyodo_lang=en" in en.headers.get("set-cookie", "")
    assert "Awaiting decision" in a.get(f"/proposals/{pid}").text  # remembered


def test_password_login_and_logout(web, world, visitor):
    v = visitor()
    assert v.login("p", "wrong password!").status_code == 401
    r = v.login("p", PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/portal"
    r = v.post("/logout")
    assert r.status_code == 303
    assert v.get("/portal").headers["location"].startswith("/login")
