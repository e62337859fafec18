"""The whole Article 9 story through the engine, on SQLite and on PostgreSQL.

The city calls for partners, three groups apply, every application is reviewed on the
four criteria, the approver selects one with reasons while every score is kept, the
selected group and the others are notified, and the project then runs through the same
contract, implementation and evaluation stages as an adopted citizen proposal.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from db.models import (
    ApplicationReview,
    AuditEvent,
    CallApplication,
    CaseNote,
    Contract,
    ContractPartner,
    Deadline,
    Decision,
    Notice,
    Proposal,
)
from notifications import render as render_module
from states import get_lifecycle
from tests.calls.conftest import CLOSING_ON, scores
from tests.support import EVAL, TERMS
from workflow.engine.outbox import decode


def read(world, stmt):
    rows = world.s.execute(stmt).scalars().all()
    world.s.commit()
    return rows


def case(world, pid) -> Proposal:
    world.s.expire_all()
    row = world.s.get(Proposal, pid)
    world.s.commit()
    return row


def render(kind, language, context):
    return render_module.render(kind, language, context)


def test_the_whole_article_9_story(city):
    lc = get_lifecycle("city_call")
    pid = city.new_call()
    p = case(city, pid)
    assert (p.lifecycle, p.state, p.organisation_id, p.department_id) == ("city_call", "draft", None, city.dept)

    # 公募: the call opens; the department must close it on the closing date.
    city.do(pid, "open_call", "department")
    assert case(city, pid).state == "open"
    due = read(city, select(Deadline.due_on).where(Deadline.proposal_id == pid, Deadline.key == "applications"))
    assert due == [CLOSING_ON]

    # Three groups apply, each for its own organisation.
    apps = {who: city.apply_as(pid, who) for who in ("proposer", "outsider", "third")}
    assert len(read(city, select(CallApplication).where(CallApplication.proposal_id == pid))) == 3

    # After the closing date: reviewers are assigned and asked to review every application.
    city.clock.advance_to_date(date(2026, 5, 7))
    r1, r2 = city["reviewer1"].user_id, city["reviewer2"].user_id
    city.do(pid, "close_applications", "department", reviewer_ids=[r1, r2])
    assert case(city, pid).state == "reviewing"
    asked = read(city, select(Notice).where(Notice.proposal_id == pid, Notice.kind == "call_review_assigned"))
    assert sorted(n.recipient_id for n in asked) == [r1, r2]
    assert [a["organisation"] for a in decode(asked[0].context)["applications"]] == [
        "みどりの会", "青葉台自治会", "NPO法人 まちの防災ラボ"]

    # Every application reviewed on the four Article 9(2) criteria by both reviewers.
    given = {
        "proposer": [scores(4, 4, 4, 4, "地域の実績が厚い"), scores(5, 4, 4, 5, "安全管理が具体的")],
        "outsider": [scores(3, 3, 4, 3), scores(3, 2, 3, 3)],
        "third": [scores(4, 5, 3, 4), scores(4, 4, 3, 3)],
    }
    for who, (a, b) in given.items():
        city.do(pid, "review_application", "reviewer1", application_id=apps[who], **a)
        city.do(pid, "review_application", "reviewer2", application_id=apps[who], **b)
    city.do(pid, "refer_for_selection", "department", department_opinion="みどりの会が最も適当")
    assert case(city, pid).state == "awaiting_selection"

    # Selection with reasons: the partner is set, the decision recorded, every score kept.
    reasons = "審査の平均点が最も高く、区内での訓練実績と安全管理体制が優れているため"
    city.do(pid, "select", "approver", selected_application_id=apps["proposer"], reasons=reasons)
    p = case(city, pid)
    assert (p.state, p.organisation_id) == ("contracting", city.org)
    decision = read(city, select(Decision).where(Decision.proposal_id == pid))[0]
    assert (decision.outcome, decision.reasons) == ("adopted", reasons)
    kept = read(city, select(ApplicationReview).join(CallApplication).where(CallApplication.proposal_id == pid))
    assert len(kept) == 6
    assert {(r.application_id, r.reviewer_id): r.score_technique for r in kept}[(apps["outsider"], r2)] == 3
    record = read(city, select(CaseNote.text).where(CaseNote.proposal_id == pid, CaseNote.kind == "selection_record"))
    assert len(record) == 1
    for name in ("みどりの会", "青葉台自治会", "NPO法人 まちの防災ラボ", "伊藤", "渡辺"):
        assert name in record[0]
    selected = read(city, select(CallApplication.id).where(CallApplication.proposal_id == pid,
                                                          CallApplication.selected.is_(True)))
    assert selected == [apps["proposer"]]
    event = read(city, select(AuditEvent).where(AuditEvent.proposal_id == pid, AuditEvent.trigger == "select"))[0]
    assert event.inputs == {"selected_application_id": apps["proposer"], "reasons": reasons}

    # Notices: the selected group and the department; each other group, as itself.
    outbox = read(city, select(Notice).where(Notice.proposal_id == pid, Notice.kind.in_(
        ["call_selected", "call_not_selected"])))
    by_kind = {}
    for n in outbox:
        by_kind.setdefault(n.kind, {})[n.recipient_id] = decode(n.context)
    # みどりの会 has two contacts (its member reviewer r4 is one of them) and the department one.
    contacts = {city["proposer"].user_id, city["member_reviewer"].user_id}
    assert set(by_kind["call_selected"]) == contacts | {city["department"].user_id}
    assert set(by_kind["call_not_selected"]) == {city["outsider"].user_id, city["third"].user_id}
    to_outsider = by_kind["call_not_selected"][city["outsider"].user_id]
    assert to_outsider["organisation"]["name"] == "青葉台自治会"
    assert to_outsider["selected_organisation"] == {"name": "みどりの会"}
    assert to_outsider["own_result"]["rank"] == 3 and to_outsider["own_result"]["ranked"] == 3
    assert to_outsider["reasons"] == reasons
    to_third = by_kind["call_not_selected"][city["third"].user_id]
    assert to_third["own_result"]["rank"] == 2 and to_third["own_result"]["average_total"] == 15.0
    for n in outbox:  # every notice renders in its recipient's language
        rendered = render(n.kind, n.language, decode(n.context))
        assert decision.document_number in rendered.subject
    ja = render("call_not_selected", "ja", to_outsider)
    assert "貴団体は選定されませんでした" in ja.text and "3団体中3位" in ja.text

    # From here the case is an adopted project like any other: contract → run → evaluate → publish.
    city.do(pid, "conclude_contract", "department", **{**TERMS, "partner_ids": [city.org]})
    assert case(city, pid).state == "in_progress"
    partners = read(city, select(ContractPartner.organisation_id).join(Contract).where(Contract.proposal_id == pid))
    assert partners == [city.org]
    city.do(pid, "report_progress", "proposer", progress_report="第1回訓練を実施")
    city.do(pid, "complete", "department", completion_report="年4回の訓練を実施")
    city.do(pid, "submit_final_evaluation", "proposer", **EVAL)
    city.do(pid, "submit_final_evaluation", "department", **EVAL)
    city.do(pid, "publish_final_evaluation", "secretariat")
    p = case(city, pid)
    assert p.state == "closed" and lc.state(p.state).final
    assert read(city, select(Deadline.id).where(Deadline.proposal_id == pid, Deadline.closed_at.is_(None))) == []
    contract_notice = read(city, select(Notice).where(Notice.proposal_id == pid, Notice.kind == "contract_concluded"))
    assert {n.recipient_id for n in contract_notice} == contacts
    trail = read(city, select(AuditEvent.trigger).where(AuditEvent.proposal_id == pid).order_by(AuditEvent.seq))
    assert trail[:3] == ["create", "open_call", "submit_application"]
    assert trail[-1] == "publish_final_evaluation"
