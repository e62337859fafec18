"""A proposal made in a round (募集): received inside the round's window, after the prior
consultation the round asks for. A proposal outside any round meets both rules.

"Today" is the Japan date of the engine's clock; the window includes its last day whole.
When a rule does not hold, what a page can say of it with the round's own dates is kept
in ``case.memo`` under ``("unmet", name)`` as (Japanese, English).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlmodel import Session

from db.models import PanelMember, PanelScore, RoundCriterion
from states import lifecycle_of
from workflow import round_entry
from workflow.calendar.clock import japan_today
from workflow.rules.conflicts import conflicted_people

if TYPE_CHECKING:
    from workflow.engine.context import Case


def _round(case: Case):
    key = ("round", case.proposal.round_id)
    if key not in case.memo:
        case.memo[key] = round_entry.get_round(case.session, case.proposal.round_id)
    return case.memo[key]


def round_window_open(case: Case) -> bool:
    r = _round(case)
    if r is None:
        return True
    today = japan_today(case.clock)
    if round_entry.accepting(r, today):
        return True
    case.memo[("unmet", round_entry.WINDOW)] = round_entry.outside_window(r, today)
    return False


def round_consultation_held(case: Case) -> bool:
    r = _round(case)
    if r is None or not r.requires_consultation:
        return True
    if round_entry.consultation_held(case.session, case.proposal.organisation_id, r.id, japan_today(case.clock)):
        return True
    case.memo[("unmet", round_entry.CONSULTATION)] = round_entry.consultation_needed(r)
    return False


# --- the review panel (審査委員会) of a round's public presentation

# The condition that closes the panel's stage: the states a transition it guards leaves
# are those in which the panel scores. Read from the definition, so a lifecycle (or a
# version of one) without a public presentation has no panel stage.
PANEL_COMPLETE = "panel_scores_complete"


def panel_states(lc) -> frozenset[str]:
    return frozenset(s for t in lc.transitions if PANEL_COMPLETE in t.conditions for s in t.sources)


def in_panel_stage(proposal: Any) -> bool:
    """The case is where its round's panel scores (a round, and a state the panel's condition closes)."""
    return proposal.round_id is not None and proposal.state in panel_states(lifecycle_of(proposal))


@dataclass(frozen=True)
class PanelStatus:
    """Who of a round's panel scores a proposal, who is recused, and what each has given."""

    members: tuple[int, ...]  # user ids, in the order they joined the panel
    recused: frozenset[int]
    criteria: tuple[int, ...]  # criterion ids
    points: dict[int, dict[int, int]]  # member → criterion → points

    @property
    def active(self) -> tuple[int, ...]:
        return tuple(m for m in self.members if m not in self.recused)

    def complete(self, member: int) -> bool:
        given = self.points.get(member, {})
        return bool(self.criteria) and all(c in given for c in self.criteria)

    @property
    def waiting(self) -> tuple[int, ...]:
        """Members without a conflict who have not scored every criterion yet."""
        return tuple(m for m in self.active if not self.complete(m))


def panel_status(session: Session, proposal: Any) -> PanelStatus:
    members = tuple(session.execute(select(PanelMember.user_id).where(PanelMember.round_id == proposal.round_id)
                                    .order_by(PanelMember.id)).scalars())
    criteria = tuple(session.execute(select(RoundCriterion.id).where(RoundCriterion.round_id == proposal.round_id)
                                     .order_by(RoundCriterion.position, RoundCriterion.id)).scalars())
    points: dict[int, dict[int, int]] = {}
    for member, criterion, value in session.execute(
            select(PanelScore.member_id, PanelScore.criterion_id, PanelScore.points)
            .where(PanelScore.proposal_id == proposal.id)):
        points.setdefault(member, {})[criterion] = value
    recused = frozenset(conflicted_people(session, proposal, members)) if members else frozenset()
    return PanelStatus(members, recused, criteria, points)


def panel_scores_complete(case: Case) -> bool:
    """No round, or no panel set for it; else every member without a conflict has scored every criterion."""
    p = case.proposal
    if p.round_id is None:
        return True
    status = panel_status(case.session, p)
    if not status.members:
        return True
    if status.active and not status.waiting:
        return True
    if not status.active:
        said = ("審査委員全員に利害関係があるため、採点できる委員がいません。審査委員を追加してください。",
                "Every panel member has a conflict of interest on this proposal: add a panel member who can score it.")
    else:
        n = len(status.waiting)
        said = (f"審査委員{len(status.active)}名のうち{n}名の採点がそろっていません。全員の採点がそろってから記録してください。",
                f"{n} of the {len(status.active)} panel members without a conflict have not scored every criterion yet.")
    case.memo[("unmet", PANEL_COMPLETE)] = said
    return False


CONDITIONS = {f.__name__: f for f in (round_window_open, round_consultation_held, panel_scores_complete)}
