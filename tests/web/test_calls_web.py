"""The Article 9 call for partners through the web pages, as its people walk it (SQLite and PostgreSQL).

A department writes and opens a call; two groups apply, each seeing only its own
application; after the closing date the department assigns reviewers; each reviewer
scores every application; the department refers; the approver selects with reasons;
the other applicant is told; the department concludes the contract. Along the way, a
step whose condition does not hold is not offered and the page says which condition;
a step that cannot be undone is confirmed before it is done.
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from db.models import Attachment, CallApplication, Notice, Proposal
from tests.support import SCORES
from tests.web.conftest import Visitor

CALL = {"title": "地域の防災訓練を企画・運営する協働事業", "field": "8", "purpose": "住民主体の防災訓練を区内全域に広げる",
        "content": "年4回の防災訓練の企画・運営と記録の作成", "estimated_cost_yen": "1,200,000",
        "desired_contract_form": "entrustment", "selection_criteria": "区内での活動実績と安全管理体制",
        "closing_on": "2026-04-30"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def fresh(world, stmt):
    world.s.expire_all()
    out = world.s.execute(stmt).all()
    world.s.commit()
    return out


def state_of(world, pid: int) -> str:
    return fresh(world, select(Proposal.state).where(Proposal.id == pid))[0][0]


def act(v: Visitor, world, pid: int, trigger: str, page: str = "case", **inputs):
    version = fresh(world, select(Proposal.version).where(Proposal.id == pid))[0][0]
    return v.post(f"/proposals/{pid}/actions", {"trigger": trigger, "version": str(version), "page": page, **inputs})


def offers(page_text: str) -> set[str]:
    """The triggers a page offers as buttons."""
    return set(re.findall(r'name="trigger" value="([a-z_]+)"', page_text))


def choices(page_text: str, name: str) -> set[str]:
    """The ids a form lets the person choose for an input (checkboxes, radios or a select)."""
    found = set(re.findall(rf'name="{name}" value="(\d+)"', page_text))
    box = re.search(rf'<select [^>]*name="{name}"[^>]*>(.*?)</select>', page_text, re.S)
    if box:
        found |= set(re.findall(r'<option value="(\d+)"', box.group(1)))
    return found


def test_the_article_9_path_through_the_web(web, world, as_):
    d = as_("department")
    form = d.get("/calls/new")
    assert form.status_code == 200 and 'name="selection_criteria"' in form.text and 'name="closing_on"' in form.text
    assert 'name="confidential_fields"' not in form.text  # a group's request (Art. 13), not the city's
    bad = d.post("/calls/new", {**CALL, "closing_on": "来月末"})
    assert bad.status_code == 422 and 'id="f-closing_on-error"' in bad.text
    r = d.post("/calls/new", CALL)
    assert r.status_code == 303
    pid = int(r.headers["location"].rsplit("/", 1)[1])
    page = d.follow(r)
    assert "公募準備中" in page.text and "区内での活動実績と安全管理体制" in page.text and "令和8年4月30日" in page.text
    assert {"open_call", "cancel_call"} <= offers(page.text) and f"/proposals/{pid}/edit" in page.text
    assert as_("proposer").get(f"/proposals/{pid}").status_code == 404  # a draft is the department's alone
    assert as_("other_department").get(f"/proposals/{pid}/edit").status_code in (403, 404)

    # The department revises its draft in the editor (a revision through the engine), then opens it.
    edit = d.get(f"/proposals/{pid}/edit")
    assert edit.status_code == 200 and 'value="2026-04-30"' in edit.text
    version = fresh(world, select(Proposal.version).where(Proposal.id == pid))[0][0]
    r = d.post(f"/proposals/{pid}/edit", {**CALL, "version": str(version),
                                          "selection_criteria": "区内での活動実績、安全管理体制、子育て世帯への配慮"})
    assert r.status_code == 303
    up = d.client.post(f"/proposals/{pid}/attachments", data={"csrf_token": d.csrf()},
                       files={"file": ("仕様書.pdf", PDF, "application/pdf")})
    assert up.status_code == 303
    (spec,), = fresh(world, select(Attachment.id).where(Attachment.proposal_id == pid))
    assert act(d, world, pid, "open_call").status_code == 303 and state_of(world, pid) == "open"

    # Two groups find it on their page and apply, each for its own organisation.
    p, o = as_("proposer"), as_("outsider")
    assert CALL["title"] in p.get("/portal").text
    assert p.get(f"/attachments/{spec}").content == PDF  # the call's documents are the applicants' to read
    page = p.get(f"/proposals/{pid}")
    assert choices(page.text, "organisation_id") == {str(world.org)}
    r = act(p, world, pid, "submit_application", organisation_id=str(world.org),
            application_summary="防災士による訓練の設計と自治会との連携", proposed_amount_yen="1100000")
    assert r.status_code == 303
    r = act(o, world, pid, "submit_application", organisation_id=str(world.other_org),
            application_summary="自治会の防災部による訓練の運営")
    assert r.status_code == 303
    apps = {org: aid for aid, org in fresh(world, select(CallApplication.id, CallApplication.organisation_id)
                                           .where(CallApplication.proposal_id == pid))}
    page = p.get(f"/proposals/{pid}")
    assert "防災士による訓練の設計" in page.text
    assert "自治会の防災部による訓練の運営" not in page.text and "青葉台自治会" not in page.text  # only its own
    assert "高橋" not in page.text  # not even who else applied, in the timeline
    assert "submit_application" not in offers(page.text) and "選べる「団体」がありません" in page.text

    # Before the closing date, closing is not offered, and the page says why.
    page = d.get(f"/proposals/{pid}")
    assert "close_applications" not in offers(page.text) and "応募締切日を過ぎるまで" in page.text
    world.clock.advance_to_date(date(2026, 5, 7))
    page = d.get(f"/proposals/{pid}")
    assert "close_applications" in offers(page.text)
    offered = choices(page.text, "reviewer_ids")
    assert str(world["reviewer1"].user_id) in offered
    assert str(world["member_reviewer"].user_id) not in offered  # a member of an applicant
    r = act(d, world, pid, "close_applications",
            reviewer_ids=[str(world["reviewer1"].user_id), str(world["reviewer2"].user_id)])
    assert r.status_code == 303 and state_of(world, pid) == "reviewing"

    page = d.get(f"/proposals/{pid}")
    assert "refer_for_selection" not in offers(page.text) and "審査結果が2件そろっていない応募があります" in page.text

    # Each reviewer scores every application on its review page, then has nothing left to review.
    for who in ("reviewer1", "reviewer2"):
        v = as_(who)
        page = v.get(f"/proposals/{pid}/review")
        assert choices(page.text, "application_id") == {str(a) for a in apps.values()}
        if who == "reviewer2":
            assert "伊藤の所見" not in page.text  # a reviewer reads only its own scores
        for aid in apps.values():
            r = act(v, world, pid, "review_application", "review", application_id=str(aid),
                    **{**{k: str(x) for k, x in SCORES.items()}, "review_comment": f"{world[who].name}の所見"})
            assert r.status_code == 303 and r.headers["location"] == f"/proposals/{pid}/review"
        page = v.get(f"/proposals/{pid}/review")
        assert "review_application" not in offers(page.text) and "選べる「応募」がありません" in page.text
        assert "この提案について、いま審査できることはありません" in page.text
    assert as_("reviewer3").get(f"/proposals/{pid}/review").status_code == 404  # not assigned

    # The department refers; the approver sees every score and selects with reasons.
    page = d.get(f"/proposals/{pid}")
    assert "refer_for_selection" in offers(page.text) and "応募と審査結果" in page.text
    assert act(d, world, pid, "refer_for_selection", department_opinion="みどりの会が適当").status_code == 303
    a = as_("approver")
    page = a.get(f"/proposals/{pid}/decision")
    assert page.status_code == 200 and {"select", "cancel_call"} <= offers(page.text)
    assert "青葉台自治会" in page.text and "みどりの会" in page.text
    assert "伊藤の所見" in page.text and "渡辺の所見" in page.text  # every score, for the decision
    r = act(a, world, pid, "select", "decision", selected_application_id=str(apps[world.org]), reasons=" ")
    assert r.status_code == 422 and state_of(world, pid) == "awaiting_selection"
    r = act(a, world, pid, "select", "decision", selected_application_id=str(apps[world.org]),
            reasons="区内での訓練実績と安全管理体制が優れているため")
    assert r.status_code == 303 and state_of(world, pid) == "contracting"

    # The other applicant is told, with the reasons; its page lists the notice.
    told = fresh(world, select(Notice.recipient_id).where(Notice.proposal_id == pid,
                                                          Notice.kind == "call_not_selected"))
    assert [r for (r,) in told] == [world["outsider"].user_id]
    assert "選定結果" in o.get("/portal").text

    # Then the shared contract stage: the form starts from the call and its selected partner.
    page = d.get(f"/proposals/{pid}/contract")
    assert re.search(rf'name="partner_ids" value="{world.org}" checked', page.text)
    terms = dict(contract_form="entrustment", partner_ids=[str(world.org)], purpose="防災訓練の普及",
                 process="年4回の訓練", role_sharing="団体：運営／市：広報", cost_sharing="委託料",
                 responsibility_sharing="事故は団体", period_start="2026-06-01", period_end="2027-03-31",
                 amount_yen="1100000")
    r = act(d, world, pid, "conclude_contract", "contract", **terms)
    assert r.status_code == 303 and state_of(world, pid) == "in_progress"
    page = p.get(f"/proposals/{pid}")
    assert page.status_code == 200 and "協働契約" in page.text


def test_what_is_not_possible_yet_is_said_not_offered(web, world, as_):
    pid = world.new_proposal(title="審査中の提案")
    world.to_under_review(pid)
    s = as_("secretariat")
    page = s.get(f"/proposals/{pid}")
    assert "finish_review" not in offers(page.text)
    assert "審査結果が2件そろっていません" in page.text
    r1 = as_("reviewer1")
    assert "submit_review" in offers(r1.get(f"/proposals/{pid}/review").text)
    world.do(pid, "submit_review", "reviewer1", **SCORES)
    page = r1.get(f"/proposals/{pid}/review")
    assert "submit_review" not in offers(page.text) and "この提案の審査結果は登録済みです" in page.text
    world.do(pid, "submit_review", "reviewer2", **SCORES)
    assert "finish_review" in offers(s.get(f"/proposals/{pid}").text)


def test_a_step_that_cannot_be_undone_is_confirmed_first(web, world, as_):
    pid = world.new_proposal(title="取り下げる提案")
    p = as_("proposer")
    page = p.get(f"/proposals/{pid}")
    assert 'value="withdraw" class="danger"' in page.text
    first = act(p, world, pid, "withdraw", withdrawal_reason="事情により")
    assert first.status_code == 200 and state_of(world, pid) == "draft"  # nothing happened yet
    assert "本当に「提案を取り下げる」を実行しますか？この操作は取り消せません。" in first.text
    form = re.search(r'<section class="confirm.*?</section>', first.text, re.S).group(0)
    hidden = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', form))
    assert hidden["confirmed"] == "1" and hidden["withdrawal_reason"] == "事情により" and hidden["csrf_token"]
    second = p.client.post(f"/proposals/{pid}/actions", data=hidden)
    assert second.status_code == 303 and state_of(world, pid) == "withdrawn"


def test_a_refusal_is_confirmed_only_when_it_could_be_done(web, world, as_):
    pid = world.new_proposal()
    world.to_awaiting_decision(pid)
    a = as_("approver")
    r = act(a, world, pid, "reject", "decision", reasons="")
    assert r.status_code == 422 and "本当に" not in r.text  # reasons first, then the question
    r = act(a, world, pid, "reject", "decision", reasons="公益性が認められないため")
    assert r.status_code == 200 and "本当に「不採用を決定する」を実行しますか" in r.text
    assert state_of(world, pid) == "awaiting_decision"
    r = act(a, world, pid, "reject", "decision", reasons="公益性が認められないため", confirmed="1")
    assert r.status_code == 303 and state_of(world, pid) == "not_adopted"


def test_a_removed_attachment_is_kept_for_the_record(web, world, as_, tmp_path):
    pid = world.new_proposal()
    p = as_("proposer")
    for name in ("計画書.pdf", "予算書.pdf"):
        p.client.post(f"/proposals/{pid}/attachments", data={"csrf_token": p.csrf()},
                      files={"file": (name, PDF, "application/pdf")})
    (aid, key), (other, _) = fresh(world, select(Attachment.id, Attachment.storage_key).order_by(Attachment.id))
    first = p.post(f"/attachments/{aid}/delete")
    assert first.status_code == 200 and "本当に「添付ファイルを削除する」を実行しますか" in first.text
    assert fresh(world, select(Attachment.removed_at).where(Attachment.id == aid))[0][0] is None
    version = fresh(world, select(Proposal.version).where(Proposal.id == pid))[0][0]
    r = p.post(f"/attachments/{aid}/delete", {"version": str(version), "confirmed": "1"})
    assert r.status_code == 303
    assert fresh(world, select(Attachment.removed_by).where(Attachment.id == aid))[0][0] == world["proposer"].user_id
    assert (tmp_path / "attachments" / key).is_file()  # the file is kept
    assert "計画書.pdf" not in p.get(f"/proposals/{pid}").text
    assert p.get(f"/attachments/{aid}").status_code == 404
    world.do(pid, "submit", "proposer")
    s = as_("secretariat")
    page = s.get(f"/proposals/{pid}")
    assert "計画書.pdf" in page.text and "山田さんが削除しました" in page.text
    assert s.get(f"/attachments/{aid}").status_code == 200
    # Submitted: the group may no longer change its files.
    assert p.post(f"/attachments/{other}/delete", {"confirmed": "1"}).status_code == 403
    assert fresh(world, select(Attachment.removed_at).where(Attachment.id == other))[0][0] is None
