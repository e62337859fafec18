"""Authorization as a table: every role against every protected page and action.

Each row names who may; everyone else must be refused (403 or 404 — a case a person
may not see does not exist for them), and a visitor who is not signed in is sent to the
login page. Writes are tried by the refused roles first, so a wrongly allowed write
would show up as a changed case.
"""

from __future__ import annotations

from sqlalchemy import select, update

from db.models import Attachment, Notice, Proposal
from tests.support import COMPLETE, SCORES
from tests.web.conftest import LOGINS, Visitor
from tests.web.test_paths import PDF

ROLES = ("anonymous", "proposer", "outsider", "secretariat", "reviewer1", "reviewer3", "member_reviewer",
         "department", "other_department", "approver", "admin")
CITY_QUEUES = {"secretariat", "reviewer1", "reviewer3", "member_reviewer", "department", "other_department", "approver"}
SIGNED_IN = set(ROLES) - {"anonymous"}


def _state(world, pid):
    world.s.expire_all()
    row = world.s.execute(select(Proposal.state, Proposal.version).where(Proposal.id == pid)).one()
    world.s.commit()
    return row


def test_every_role_against_every_page_and_action(web, world):
    draft = world.new_proposal(title="下書き")
    awaiting = world.new_proposal(title="決裁待ち")
    world.to_awaiting_decision(awaiting)
    coordinating = world.new_proposal(title="調整中")
    world.to_in_coordination(coordinating)
    reviewing = world.new_proposal(title="審査中")
    world.to_under_review(reviewing)
    submitted = world.new_proposal(title="受付")
    world.do(submitted, "submit", "proposer")
    world.s.execute(update(Notice).where(Notice.proposal_id == submitted).values(status="failed"))
    world.s.commit()

    people = {who: Visitor(web) for who in ROLES}
    for who, v in people.items():
        if who != "anonymous":
            assert v.login(LOGINS[who]).status_code == 303, who

    people["proposer"].client.post(f"/proposals/{draft}/attachments", data={"csrf_token": people["proposer"].csrf()},
                                   files={"file": ("a.pdf", PDF, "application/pdf")})
    attachment = world.s.execute(select(Attachment.id)).scalar_one()
    notice = world.s.execute(select(Notice.id).where(Notice.status == "failed")).scalars().first()
    world.s.commit()

    pages = [
        ("/portal", {"proposer", "outsider"}),
        ("/queue", CITY_QUEUES),
        ("/department", {"department", "other_department"}),
        ("/secretariat", {"secretariat"}),
        ("/secretariat/compliance", {"secretariat", "admin"}),
        ("/secretariat/notices", {"secretariat", "admin"}),
        (f"/proposals/{awaiting}", {"proposer", "secretariat", "reviewer1", "department", "approver", "admin"}),
        (f"/proposals/{awaiting}/review", {"secretariat", "reviewer1", "department", "approver", "admin"}),
        (f"/proposals/{awaiting}/decision", {"secretariat", "department", "approver", "admin"}),
        (f"/proposals/{awaiting}/contract", {"secretariat", "department", "approver", "admin"}),
        (f"/proposals/{draft}", {"proposer"}),
        (f"/proposals/{draft}/edit", {"proposer"}),
        (f"/proposals/new?organisation_id={world.org}", {"proposer"}),
        (f"/attachments/{attachment}", {"proposer"}),
        (f"/organisations/{world.org}", {"proposer"}),
        ("/account", SIGNED_IN),
        ("/public", set(ROLES)),
        (f"/public/proposals/{awaiting}", set()),  # not adopted: not public, for anyone
    ]
    wrong = []
    for path, allowed in pages:
        for who in ROLES:
            status = people[who].get(path).status_code
            if who in allowed:
                ok = status == 200
            elif who == "anonymous" and path not in ("/public",) and not path.startswith("/public/"):
                ok = status == 303
            else:
                ok = status in (403, 404)
            if not ok:
                wrong.append(f"GET {path} as {who}: {status}")

    def transition(pid, trigger, **inputs):
        def send(v):
            version = _state(world, pid).version
            return v.post(f"/proposals/{pid}/actions", {"trigger": trigger, "version": str(version), **inputs})
        return send, lambda: _state(world, pid)

    actions = [
        ("adopt", {"approver"}, *transition(awaiting, "adopt", reasons="公益性が高いため")),
        ("refer_for_decision", {"department"}, *transition(coordinating, "refer_for_decision",
                                                           department_opinion="採用が適当")),
        ("submit_review", {"reviewer1"}, *transition(reviewing, "submit_review",
                                                     **{k: str(v) for k, v in SCORES.items()})),
        ("start_review", {"secretariat"}, *transition(submitted, "start_review",
                                                      reviewer_ids=[str(world["reviewer1"].user_id),
                                                                    str(world["reviewer2"].user_id)],
                                                      department_id=str(world.dept))),
        ("edit draft", {"proposer"}, lambda v: v.post(f"/proposals/{draft}/edit", {
            "version": str(_state(world, draft).version), **{k: str(v) for k, v in COMPLETE.items()},
            "title": "書き換え"}), lambda: _state(world, draft)),
        ("submit", {"proposer"}, *transition(draft, "submit")),
        ("add member", {"proposer"}, lambda v: v.post(f"/organisations/{world.org}/members", {
            "login": f"new{len(wrong)}", "name": "新人", "email": "n@example.jp", "password": "long enough pw",
            "password_confirm": "long enough pw"}), lambda: None),
        ("resend notice", {"secretariat", "admin"}, lambda v: v.post(f"/secretariat/notices/{notice}/resend"),
         lambda: None),
        ("make token", SIGNED_IN, lambda v: v.post("/account/tokens", {"name": "x"}), lambda: None),
    ]
    for name, allowed, send, observe in actions:
        for who in sorted(ROLES, key=lambda w: w in allowed):  # the refused first
            before = observe()
            status = send(people[who]).status_code
            if who in allowed:
                ok = status in (200, 303)
            elif who == "anonymous":
                ok = status == 303 and observe() == before
            else:
                ok = status in (403, 404) and observe() == before
            if not ok:
                wrong.append(f"POST {name} as {who}: {status}")
    assert not wrong, "\n".join(wrong)


def test_department_user_without_a_department_sees_no_cases(web, world):
    from sqlalchemy import update as sa_update

    from db.models import User
    from tests.web.conftest import Visitor
    from workflow.accounts import hash_password
    from workflow import directory

    pid = world.new_proposal(title="所管課未定の提案")
    world.do(pid, "submit", "proposer")
    directory.add_user(world.s, "nodept", "所属なし", "nodept@city.jp", ("department",), clock=world.clock)
    world.s.execute(sa_update(User).where(User.login == "nodept").values(password_hash=hash_password("pw-nodept-1")))
    world.s.commit()
    v = Visitor(web)
    assert v.login("nodept", "pw-nodept-1").status_code == 303
    page = v.get("/department")
    assert page.status_code in (200, 403)
    assert "所管課未定の提案" not in page.text
