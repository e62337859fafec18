"""A small city with a department that calls for partners and three groups that apply."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.support import APPLICATION, CALL, CALL_CLOSING_ON  # noqa: F401  (imported by the tests)
from tests.support import CallWorld as SharedCallWorld

CLOSING_ON = CALL_CLOSING_ON


def scores(t: int, e: int, q: int, c: int, comment: str = "妥当") -> dict[str, Any]:
    return dict(score_technique=t, score_expertise=e, score_quality=q, score_capability=c, review_comment=comment)


class CallWorld(SharedCallWorld):
    """The shared ``CallWorld`` plus the walk to the review these tests start from."""

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
