"""The rules of a call for partners (Article 9), read as the ordinance reads."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from db.models import AuditEvent, CallApplication, Decision, Notice, Proposal
from tests.calls.conftest import CLOSING_ON, scores
from workflow import calls
from workflow.engine.authorization import can_see
from workflow.errors import ConditionNotMet, InvalidInput, InvalidState, MissingInput, NotAllowed
from workflow.engine.outbox import decode


def state_and_version(world, pid):
    world.s.expire_all()
    p = world.s.get(Proposal, pid)
    n = world.s.execute(select(func.count()).select_from(AuditEvent).where(AuditEvent.proposal_id == pid)).scalar_one()
    world.s.commit()
    return p.state, p.version, n


def refused(world, pid, exc_type, trigger, who, **inputs):
    before = state_and_version(world, pid)
    with pytest.raises(exc_type) as info:
        world.do(pid, trigger, who, **inputs)
    assert state_and_version(world, pid) == before, "a refused trigger changed the case"
    return info.value


def review_all(city, pid, apps, reviewers=("reviewer1", "reviewer2")):
    for app in apps:
        for r in reviewers:
            city.do(pid, "review_application", r, application_id=app, **scores(4, 4, 4, 4))


# --- Creating and opening the call


def test_only_department_staff_create_a_call(city):
    with pytest.raises(NotAllowed):
        calls.create_call(city.s, city["proposer"], title="x", purpose="y", criteria="z", closing_on=CLOSING_ON,
                          clock=city.clock)


def test_a_call_needs_its_selection_criteria(city):
    with pytest.raises(MissingInput):
        city.new_call(criteria="  ")


def test_a_call_cannot_open_with_a_closing_date_already_past(city):
    pid = city.new_call(closing_on=date(2026, 4, 1))
    err = refused(city, pid, ConditionNotMet, "open_call", "department")
    assert "call_ready" in err.failed
    city.do(pid, "open_call", "department", closing_on=date(2026, 5, 15))  # a new date, given when opening
    city.s.expire_all()
    assert city.s.get(Proposal, pid).closing_on == date(2026, 5, 15)


def test_a_draft_call_is_not_open_to_applicants(city):
    pid = city.new_call()
    refused(city, pid, InvalidState, "submit_application", "proposer", organisation_id=city.org,
            application_summary="応募")
    row = city.s.get(Proposal, pid)
    assert not can_see(city.s, city["outsider"], row)
    city.do(pid, "open_call", "department")
    city.s.expire_all()
    assert can_see(city.s, city["outsider"], city.s.get(Proposal, pid))


# --- Applying


def test_a_group_applies_only_for_its_own_organisation(city):
    pid = city.new_call()
    city.do(pid, "open_call", "department")
    refused(city, pid, NotAllowed, "submit_application", "outsider", organisation_id=city.org,
            application_summary="他団体の名前で応募")


def test_an_organisation_applies_once(city):
    pid = city.new_call()
    city.do(pid, "open_call", "department")
    city.apply_as(pid, "proposer")
    err = refused(city, pid, ConditionNotMet, "submit_application", "proposer", organisation_id=city.org,
                  application_summary="二度目")
    assert err.failed == ["organisation_has_not_applied"]


def test_applications_are_accepted_up_to_and_including_the_closing_date(city):
    pid = city.new_call()
    city.do(pid, "open_call", "department")
    city.clock.advance_to_date(CLOSING_ON)
    city.apply_as(pid, "proposer")
    city.clock.advance_to_date(date(2026, 5, 1))
    err = refused(city, pid, ConditionNotMet, "submit_application", "outsider", organisation_id=city.other_org,
                  application_summary="締切後")
    assert err.failed == ["call_accepting"]


def test_applications_close_only_after_the_closing_date_and_only_with_an_applicant(city):
    pid = city.new_call()
    city.do(pid, "open_call", "department")
    reviewers = [city["reviewer1"].user_id]
    err = refused(city, pid, ConditionNotMet, "close_applications", "department", reviewer_ids=reviewers)
    assert err.failed == ["closing_date_passed"]
    city.clock.advance_to_date(date(2026, 5, 7))
    err = refused(city, pid, ConditionNotMet, "close_applications", "department", reviewer_ids=reviewers)
    assert err.failed == ["has_applications"]


def test_a_group_withdraws_only_its_own_application(city):
    pid = city.new_call()
    city.do(pid, "open_call", "department")
    app = city.apply_as(pid, "proposer")
    refused(city, pid, NotAllowed, "withdraw_application", "outsider", application_id=app)
    city.do(pid, "withdraw_application", "proposer", application_id=app, withdrawal_reason="体制が整わないため")
    assert city.s.get(CallApplication, app).withdrawn
    err = refused(city, pid, ConditionNotMet, "withdraw_application", "proposer", application_id=app)
    assert err.failed == ["application_active"]


# --- Reviewing (Article 9(2))


def test_a_member_of_an_applicant_cannot_review_the_call(city):
    pid = city.new_call()
    city.do(pid, "open_call", "department")
    city.apply_as(pid, "outsider")
    city.apply_as(pid, "proposer")
    city.clock.advance_to_date(date(2026, 5, 7))
    err = refused(city, pid, InvalidInput, "close_applications", "department",
                  reviewer_ids=[city["reviewer1"].user_id, city["member_reviewer"].user_id])
    assert "応募団体の構成員" in err.message_ja


def test_every_application_needs_its_reviews_before_selection(city):
    pid = city.new_call()
    apps = city.to_reviewing(pid)
    review_all(city, pid, [apps["proposer"], apps["outsider"]])
    city.do(pid, "review_application", "reviewer1", application_id=apps["third"], **scores(3, 3, 3, 3))
    err = refused(city, pid, ConditionNotMet, "refer_for_selection", "department", department_opinion="急ぎ")
    assert err.failed == ["applications_reviewed"]
    # A withdrawn application needs no review.
    city.do(pid, "withdraw_application", "third", application_id=apps["third"])
    city.do(pid, "refer_for_selection", "department", department_opinion="二者から選定")


def test_a_reviewer_reviews_each_application_once_and_only_if_assigned(city):
    pid = city.new_call()
    apps = city.to_reviewing(pid)
    city.do(pid, "review_application", "reviewer1", application_id=apps["proposer"], **scores(4, 4, 4, 4))
    err = refused(city, pid, ConditionNotMet, "review_application", "reviewer1", application_id=apps["proposer"],
                  **scores(5, 5, 5, 5))
    assert err.failed == ["application_reviewable"]
    refused(city, pid, NotAllowed, "review_application", "reviewer3", application_id=apps["proposer"],
            **scores(5, 5, 5, 5))


def test_scores_are_one_to_five_on_all_four_criteria(city):
    pid = city.new_call()
    apps = city.to_reviewing(pid)
    refused(city, pid, InvalidInput, "review_application", "reviewer1", application_id=apps["proposer"],
            **scores(6, 4, 4, 4))
    partial = scores(4, 4, 4, 4)
    del partial["score_quality"]
    refused(city, pid, MissingInput, "review_application", "reviewer1", application_id=apps["proposer"], **partial)


def test_reviewers_who_reviewed_everything_are_not_asked_again(city):
    from workflow.engine.recipients import resolve

    pid = city.new_call()
    apps = city.to_reviewing(pid)
    for app in apps.values():
        city.do(pid, "review_application", "reviewer1", application_id=app, **scores(4, 4, 4, 4))
    row = city.s.get(Proposal, pid)
    assert [r.user_id for r in resolve(city.s, "reviewer", row)] == [city["reviewer2"].user_id]


# --- Selection (Article 9(1)): with reasons, from the reviewed applications


def test_selection_needs_reasons(city):
    pid = city.new_call()
    apps = city.to_reviewing(pid)
    review_all(city, pid, apps.values())
    city.do(pid, "refer_for_selection", "department", department_opinion="意見")
    err = refused(city, pid, MissingInput, "select", "approver", selected_application_id=apps["third"], reasons=" ")
    assert err.missing == ["reasons"]


def test_only_the_approver_selects(city):
    pid = city.new_call()
    apps = city.to_reviewing(pid)
    review_all(city, pid, apps.values())
    city.do(pid, "refer_for_selection", "department", department_opinion="意見")
    refused(city, pid, NotAllowed, "select", "department", selected_application_id=apps["third"], reasons="理由")


def test_a_withdrawn_or_foreign_application_cannot_be_selected(city):
    pid = city.new_call()
    apps = city.to_reviewing(pid)
    review_all(city, pid, apps.values())
    city.do(pid, "withdraw_application", "outsider", application_id=apps["outsider"])
    city.do(pid, "refer_for_selection", "department", department_opinion="意見")
    err = refused(city, pid, ConditionNotMet, "select", "approver", selected_application_id=apps["outsider"],
                  reasons="理由")
    assert err.failed == ["application_selectable"]
    other = city.new_call(title="別の公募", closing_on=date(2026, 6, 30))
    city.do(other, "open_call", "department")
    foreign = city.apply_as(other, "third")
    refused(city, pid, ConditionNotMet, "select", "approver", selected_application_id=foreign, reasons="理由")


def test_a_withdrawn_applicant_is_not_notified_of_the_result(city):
    pid = city.new_call()
    apps = city.to_reviewing(pid)
    review_all(city, pid, apps.values())
    city.do(pid, "withdraw_application", "outsider", application_id=apps["outsider"])
    city.do(pid, "refer_for_selection", "department", department_opinion="意見")
    city.do(pid, "select", "approver", selected_application_id=apps["third"], reasons="最も高い評価")
    told = city.s.execute(select(Notice.recipient_id).where(Notice.kind == "call_not_selected")).scalars().all()
    assert sorted(told) == sorted([city["proposer"].user_id, city["member_reviewer"].user_id])
    assert city.s.get(Proposal, pid).organisation_id == city.third_org


def test_no_suitable_applicant_ends_the_call_with_reasons_and_tells_everyone(city):
    from notifications.render import render

    pid = city.new_call()
    apps = city.to_reviewing(pid)
    review_all(city, pid, apps.values())
    city.do(pid, "refer_for_selection", "department", department_opinion="いずれも基準に達しない")
    refused(city, pid, MissingInput, "cancel_call", "approver")
    city.do(pid, "cancel_call", "approver", reasons="いずれの応募も安全管理体制が選定基準に達しなかったため")
    city.s.expire_all()
    p = city.s.get(Proposal, pid)
    assert (p.state, p.organisation_id) == ("call_cancelled", None)
    decision = city.s.execute(select(Decision).where(Decision.proposal_id == pid)).scalar_one()
    assert decision.outcome == "not_adopted"
    notices = city.s.execute(select(Notice).where(Notice.kind == "call_not_selected")).scalars().all()
    orgs = {decode(n.context)["organisation"]["name"] for n in notices}
    assert orgs == {"みどりの会", "青葉台自治会", "NPO法人 まちの防災ラボ"}
    for n in notices:
        ctx = decode(n.context)
        assert ctx["partner_selected"] is False and ctx["selected_organisation"] is None
        text = render("call_not_selected", n.language, ctx).text
        assert ("選定なし" in text) if n.language == "ja" else ("No partner selected" in text)


def test_a_draft_call_is_dropped_by_its_department_without_notices(city):
    pid = city.new_call()
    city.do(pid, "cancel_call", "department", reasons="予算が措置されなかったため")
    assert city.s.get(Proposal, pid).state == "call_cancelled"
    assert city.s.execute(select(func.count()).select_from(Notice)).scalar_one() == 0



def test_reviewers_are_asked_with_every_application_and_the_criteria(city):
    from notifications.render import render

    pid = city.new_call(criteria="安全管理体制 <b>重視</b>\n地域での実績")
    city.to_reviewing(pid)
    notice = city.s.execute(select(Notice).where(Notice.kind == "call_review_assigned")).scalars().first()
    ctx = decode(notice.context)
    assert ctx["due_on"] is not None and len(ctx["applications"]) == 3
    for lang in ("ja", "en"):
        out = render("call_review_assigned", lang, ctx)
        assert "NPO法人 まちの防災ラボ" in out.text and city.s.get(Proposal, pid).title in out.subject
        assert "&lt;b&gt;重視&lt;/b&gt;" in out.html and "<b>重視</b>" in out.text


def test_after_the_call_closes_only_its_applicants_can_see_it(city):
    from workflow import directory
    from workflow.actors import load_actor
    from workflow.engine.authorization import can_see
    from workflow.engine import load_case_row

    newcomer_org = directory.add_organisation(city.s, "後から登録した会", "voluntary_group", "新井", clock=city.clock)
    newcomer_id = directory.add_user(city.s, "late", "新井", "late@example.jp", ("proposer",),
                                     organisation_ids=(newcomer_org,), clock=city.clock)
    city.s.commit()
    newcomer = load_actor(city.s, newcomer_id)
    pid = city.new_call()
    apps = city.to_reviewing(pid, who=("proposer", "outsider"))
    review_all(city, pid, apps.values())
    city.do(pid, "refer_for_selection", "department", department_opinion="いずれも基準に達しない")
    city.do(pid, "cancel_call", "approver", reasons="基準に達しなかったため")
    row = load_case_row(city.s, pid)
    assert can_see(city.s, city["proposer"], row)  # an applicant reads the outcome
    assert not can_see(city.s, newcomer, row)  # a group that never applied does not


# --- A review that can always finish, by people without a conflict of interest


def _add_person(city, key: str, roles: tuple[str, ...], **kwargs) -> None:
    from workflow import directory
    from workflow.actors import load_actor

    user_id = directory.add_user(city.s, f"x-{key}", key, f"{key}@city.jp", roles, clock=city.clock, **kwargs)
    city.s.commit()
    city.actors[key] = load_actor(city.s, user_id)
    city.s.commit()


def test_the_review_of_a_call_cannot_start_with_one_reviewer(city):
    pid = city.new_call()
    city.do(pid, "open_call", "department")
    city.apply_as(pid, "outsider")
    city.clock.advance_to_date(date(2026, 5, 7))
    err = refused(city, pid, InvalidInput, "close_applications", "department", reviewer_ids=[city["reviewer1"].user_id])
    assert err.name == "reviewer_ids" and "2人以上" in err.message_ja


def test_a_call_reviewer_is_replaced_or_added_and_every_application_still_gets_its_reviews(city):
    pid = city.new_call()
    apps = city.to_reviewing(pid, who=("outsider", "third"))
    r1, r2, r3 = (city[r].user_id for r in ("reviewer1", "reviewer2", "reviewer3"))
    # reviewer1 reviewed one application, then fell ill: their review stays, they cannot be replaced.
    city.do(pid, "review_application", "reviewer1", application_id=apps["outsider"], **scores(4, 4, 4, 4))
    err = refused(city, pid, InvalidInput, "replace_reviewer", "department", leaving_reviewer_id=r1,
                  incoming_reviewer_id=r3, replacement_reason="病気療養のため")
    assert err.name == "leaving_reviewer_id"
    refused(city, pid, NotAllowed, "add_reviewer", "other_department", reviewer_ids=[r3])
    city.do(pid, "add_reviewer", "department", reviewer_ids=[r3])
    asked = city.s.execute(select(Notice.email).where(Notice.kind == "call_review_assigned")
                           .order_by(Notice.id.desc())).scalars().first()
    assert asked == "r3@city.jp"
    # reviewer2 declares a conflict of interest and takes no further part: reviewer1 and the
    # added reviewer3 give every application its two reviews.
    city.do(pid, "declare_conflict", "reviewer2", conflict_reason="応募団体の事業に関わっています")
    refused(city, pid, NotAllowed, "review_application", "reviewer2", application_id=apps["third"],
            **scores(3, 3, 3, 3))
    for app in apps.values():
        city.do(pid, "review_application", "reviewer3", application_id=app, **scores(3, 4, 3, 4))
    city.do(pid, "review_application", "reviewer1", application_id=apps["third"], **scores(4, 4, 4, 4))
    assert city.do(pid, "refer_for_selection", "department", department_opinion="適当").to_state \
        == "awaiting_selection"


def test_a_declared_call_reviewer_is_replaced(city):
    from workflow.engine.recipients import resolve

    pid = city.new_call()
    apps = city.to_reviewing(pid, who=("outsider",))
    r2, r3 = city["reviewer2"].user_id, city["reviewer3"].user_id
    city.do(pid, "declare_conflict", "reviewer2", conflict_reason="応募団体の顧問です")
    # Nobody asks them for the review any more.
    assert r2 not in [r.user_id for r in resolve(city.s, "reviewer", city.s.get(Proposal, pid))]
    city.do(pid, "replace_reviewer", "secretariat", leaving_reviewer_id=r2, incoming_reviewer_id=r3,
            replacement_reason="利害関係の申出")
    city.s.expire_all()
    assert [r.user_id for r in resolve(city.s, "reviewer", city.s.get(Proposal, pid))] == [
        city["reviewer1"].user_id, r3]
    review_all(city, pid, apps.values(), reviewers=("reviewer1", "reviewer3"))
    city.do(pid, "refer_for_selection", "department", department_opinion="適当")


def test_nobody_of_an_applicant_coordinates_or_selects(city):
    _add_person(city, "member_staff", ("department",), department_id=city.dept, organisation_ids=(city.third_org,))
    _add_person(city, "member_approver", ("approver",), organisation_ids=(city.other_org,))
    pid = city.new_call()
    city.do(pid, "open_call", "department")
    apps = {w: city.apply_as(pid, w) for w in ("outsider", "third")}
    city.clock.advance_to_date(date(2026, 5, 7))
    reviewers = [city["reviewer1"].user_id, city["reviewer2"].user_id]
    err = refused(city, pid, NotAllowed, "close_applications", "member_staff", reviewer_ids=reviewers)
    assert "応募団体に所属" in err.message_ja
    city.do(pid, "close_applications", "department", reviewer_ids=reviewers)
    review_all(city, pid, apps.values())
    city.do(pid, "refer_for_selection", "department", department_opinion="適当")
    err = refused(city, pid, NotAllowed, "select", "member_approver", selected_application_id=apps["outsider"],
                  reasons="自団体を選定")
    assert "belong to" in err.message_en
    # Once its application is withdrawn, the group has no stake left in the call.
    city.do(pid, "withdraw_application", "outsider", application_id=apps["outsider"])
    assert city.do(pid, "select", "member_approver", selected_application_id=apps["third"],
                   reasons="唯一の応募で内容も適当").to_state == "contracting"
