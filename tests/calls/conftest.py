"""A small city with a department that calls for partners and three groups that apply."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.support import World
from workflow import calls, directory
from workflow.actors import load_actor

CLOSING_ON = date(2026, 4, 30)
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


def scores(t: int, e: int, q: int, c: int, comment: str = "妥当") -> dict[str, Any]:
    return dict(score_technique=t, score_expertise=e, score_quality=q, score_capability=c, review_comment=comment)


class CallWorld(World):
    """``World`` plus a third applicant group; ``proposer``, ``outsider`` and ``third`` apply."""

    def __init__(self, session, clock):
        super().__init__(session, clock)
        self.third_org = directory.add_organisation(session, "NPO法人 まちの防災ラボ", "npo", "佐々木 三郎",
                                                    representative_title="理事長", clock=clock)
        third = directory.add_user(session, "t", "佐々木", "t@example.jp", ("proposer",),
                                   organisation_ids=(self.third_org,), language="en", clock=clock)
        session.commit()
        self.actors["third"] = load_actor(session, third)
        session.commit()
        self.orgs = {"proposer": self.org, "outsider": self.other_org, "third": self.third_org}

    def new_call(self, **changes: Any) -> int:
        values = {**CALL, "closing_on": CLOSING_ON, **changes}
        return calls.create_call(self.s, self["department"], clock=self.clock, **values)

    def apply_as(self, pid: int, who: str, **changes: Any) -> int:
        out = self.do(pid, "submit_application", who, organisation_id=self.orgs[who], **{**APPLICATION, **changes})
        return out.facts["application_id"]

    def to_reviewing(self, pid: int, who=("proposer", "outsider", "third")) -> dict[str, int]:
        self.do(pid, "open_call", "department")
        apps = {w: self.apply_as(pid, w) for w in who}
        self.clock.advance_to_date(date(2026, 5, 7))
        self.do(pid, "close_applications", "department",
                reviewer_ids=[self["reviewer1"].user_id, self["reviewer2"].user_id])
        return apps


@pytest.fixture
def city(session, clock):
    return CallWorld(session, clock)
