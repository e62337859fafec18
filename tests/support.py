"""A small city for tests: organisations, departments, people, and cases driven to a state."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from config import Settings
from workflow import calls, directory, engine, proposals
from workflow.actors import Actor, load_actor

COMPLETE = dict(title="川辺の清掃", purpose="川辺を守る", content="月1回の清掃", field=2, proposed_roles="団体：清掃／市：広報")
SCORES = dict(score_technique=4, score_expertise=4, score_quality=3, score_capability=5, review_comment="妥当")
TERMS = dict(contract_form="entrustment", purpose="保全", process="月例清掃", role_sharing="団体：実施／市：調整",
             cost_sharing="委託料", responsibility_sharing="事故は団体", period_start=date(2026, 6, 1),
             period_end=date(2027, 3, 31), amount_yen=500_000)
EVAL = dict(evaluation_results="目標を達成", role_sharing_assessment="適切", evaluation_comments="継続")


class World:
    def __init__(self, session, clock, settings: Settings | None = None):
        self.s, self.clock = session, clock
        self.settings = settings or Settings(required_reviews=2)
        c = clock
        self.org = directory.add_organisation(session, "みどりの会", "npo", "山田 花子", clock=c)
        self.other_org = directory.add_organisation(session, "青葉台自治会", "neighbourhood_association", "高橋", clock=c)
        self.dept = directory.add_department(session, "env", "環境活動支援課", "bureau", "環境創造局")
        self.other_dept = directory.add_department(session, "kohoku", "地域振興課", "ward", "港北区")
        ids = {
            "proposer": directory.add_user(session, "p", "山田", "p@example.jp", ("proposer",), organisation_ids=(self.org,), clock=c),
            "outsider": directory.add_user(session, "o", "高橋", "o@example.jp", ("proposer",), organisation_ids=(self.other_org,), clock=c),
            "secretariat": directory.add_user(session, "s", "田中", "s@city.jp", ("secretariat",), clock=c),
            "reviewer1": directory.add_user(session, "r1", "伊藤", "r1@city.jp", ("reviewer",), clock=c),
            "reviewer2": directory.add_user(session, "r2", "渡辺", "r2@city.jp", ("reviewer",), clock=c),
            "reviewer3": directory.add_user(session, "r3", "中村", "r3@city.jp", ("reviewer",), clock=c),
            "member_reviewer": directory.add_user(session, "r4", "山田次郎", "r4@city.jp", ("reviewer",),
                                                  organisation_ids=(self.org,), clock=c),
            "department": directory.add_user(session, "d", "松本", "d@city.jp", ("department",), department_id=self.dept, clock=c),
            "other_department": directory.add_user(session, "d2", "小川", "d2@city.jp", ("department",),
                                                   department_id=self.other_dept, clock=c),
            "approver": directory.add_user(session, "a", "小林", "a@city.jp", ("approver",), clock=c),
            "admin": directory.add_user(session, "admin", "管理者", "admin@city.jp", ("admin",), clock=c),
        }
        session.commit()
        self.actors: dict[str, Actor] = {k: load_actor(session, v) for k, v in ids.items()}
        session.commit()

    def __getitem__(self, who: str) -> Actor:
        return self.actors[who]

    def new_proposal(self, **content: Any) -> int:
        return proposals.create(self.s, self["proposer"], self.org, {**COMPLETE, **content}, clock=self.clock)

    def do(self, pid: int, trigger: str, who: str, **inputs: Any):
        return engine.apply(self.s, pid, trigger, self[who], inputs, clock=self.clock, settings=self.settings)

    # Paths through the lifecycle, each ending in the named state.
    def to_under_review(self, pid: int) -> None:
        self.do(pid, "submit", "proposer")
        self.do(pid, "start_review", "secretariat",
                reviewer_ids=[self["reviewer1"].user_id, self["reviewer2"].user_id], department_id=self.dept)

    def to_in_coordination(self, pid: int) -> None:
        self.to_under_review(pid)
        self.do(pid, "submit_review", "reviewer1", **SCORES)
        self.do(pid, "submit_review", "reviewer2", **SCORES)
        self.finish_review(pid)

    def finish_review(self, pid: int) -> None:
        """Close the review; under version 2 (令和9年4月1日施行) the public presentation comes first."""
        if self.do(pid, "finish_review", "secretariat").to_state == "public_presentation":
            self.do(pid, "record_presentation", "secretariat", note="公開プレゼンテーションを実施した")

    def to_awaiting_decision(self, pid: int) -> None:
        self.to_in_coordination(pid)
        self.do(pid, "refer_for_decision", "department", department_opinion="採用が適当")

    def to_contracting(self, pid: int) -> None:
        self.to_awaiting_decision(pid)
        self.do(pid, "adopt", "approver", reasons="公益性が高いため")

    def to_in_progress(self, pid: int, **terms: Any) -> None:
        self.to_contracting(pid)
        self.do(pid, "conclude_contract", "department", **{**TERMS, "partner_ids": [self.org], **terms})

    def to_evaluating(self, pid: int) -> None:
        self.to_in_progress(pid)
        self.do(pid, "complete", "department", completion_report="完了")

    def to_closed(self, pid: int) -> None:
        self.to_evaluating(pid)
        self.do(pid, "submit_final_evaluation", "proposer", **EVAL)
        self.do(pid, "submit_final_evaluation", "department", **EVAL)
        self.do(pid, "publish_final_evaluation", "secretariat")


# --- A city's call for partners (Article 9): the department calls, three groups may apply.

CALL_CLOSING_ON = date(2026, 4, 30)
CALL = dict(
    title="地域の防災訓練を企画・運営する協働事業",
    purpose="住民主体の防災訓練を区内全域に広げる",
    content="年4回の防災訓練の企画・運営と、訓練の記録の作成",
    criteria="区内での活動実績、訓練の安全管理体制、子育て世帯への配慮",
    field=8,
    estimated_cost_yen=1_200_000,
    contract_form="entrustment",
)
APPLICATION = dict(application_summary="防災士による訓練の設計と地域の自治会との連携", proposed_amount_yen=1_100_000)
# The people who apply for their own group: each is a contact of a different organisation.
APPLICANTS = ("proposer", "outsider", "third")


class CallWorld(World):
    """``World`` plus a third group; ``proposer``, ``outsider`` and ``third`` each apply for their own."""

    def __init__(self, session, clock, settings: Settings | None = None):
        super().__init__(session, clock, settings)
        self.third_org = directory.add_organisation(session, "NPO法人 まちの防災ラボ", "npo", "佐々木 三郎",
                                                    representative_title="理事長", clock=clock)
        third = directory.add_user(session, "t", "佐々木", "t@example.jp", ("proposer",),
                                   organisation_ids=(self.third_org,), language="en", clock=clock)
        session.commit()
        self.actors["third"] = load_actor(session, third)
        session.commit()
        self.orgs = {"proposer": self.org, "outsider": self.other_org, "third": self.third_org}

    def new_call(self, **changes: Any) -> int:
        values = {**CALL, "closing_on": CALL_CLOSING_ON, **changes}
        return calls.create_call(self.s, self["department"], clock=self.clock, **values)

    def apply_as(self, pid: int, who: str, **changes: Any) -> int:
        out = self.do(pid, "submit_application", who, organisation_id=self.orgs[who], **{**APPLICATION, **changes})
        return out.facts["application_id"]


_stored = iter(range(1, 10**9))


def stored_file(name: str = "事業計画書.pdf", size: int = 2048) -> dict[str, Any]:
    """What the web's upload store hands the engine for a file it kept (no bytes are written)."""
    n = next(_stored)
    return {"filename": name, "content_type": "application/pdf", "size": size, "sha256": f"{n:064x}",
            "storage_key": f"test-{uuid.uuid4().hex}"}
