"""A city's call for partners (Article 9): its terms, its applications and every score.

The terms (selection criteria, closing date) are columns of the case, written with its
content; applications are rows of their own. The score table ranks the applications by
the reviewers' mean total, withdrawn ones listed unranked, so nothing of the record is
dropped; the selection keeps the whole sheet as a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from sqlmodel import Session

from db.models import ApplicationReview, CallApplication, Organisation, User
from states.common import REVIEW_CRITERIA
from workflow.calendar.clock import japan_today
from workflow.errors import InvalidInput, NotAllowed
from workflow.rules import notes

if TYPE_CHECKING:
    from workflow.engine.context import Case

# The most a reviewer can give one application: four criteria scored 1 to 5.
MAX_REVIEW_TOTAL = 5 * len(REVIEW_CRITERIA)


def _not_member() -> NotAllowed:
    return NotAllowed("応募・取下げは、所属する団体の名前でのみできます。",
                      "you can apply or withdraw only for an organisation you belong to",
                      allowed_roles=("proposer",))


def application(case: Case, input_name: str):
    return case.session.execute(
        select(CallApplication).where(
            CallApplication.id == case.values[input_name], CallApplication.proposal_id == case.proposal_id)
    ).scalar()


def closing_on(case: Case):
    """The call's closing date: the one given with the trigger, else the one stored."""
    return case.values.get("closing_on") or case.proposal.closing_on


# --- effects


def set_closing_date(case: Case):
    if "closing_on" in case.values:
        return {"closing_on": case.values["closing_on"]}
    return None


def record_application(case: Case):
    v = case.values
    if v["organisation_id"] not in case.actor.organisation_ids:
        raise _not_member()
    if case.session.get(Organisation, v["organisation_id"]) is None:
        raise InvalidInput("organisation_id", f"団体 {v['organisation_id']} は登録されていません。",
                           f"no organisation {v['organisation_id']}")
    case.facts["application_id"] = case.session.execute(
        insert(CallApplication).values(
            proposal_id=case.proposal_id, organisation_id=v["organisation_id"], summary=v["application_summary"],
            proposed_amount_yen=v.get("proposed_amount_yen"), submitted_by=case.actor.user_id,
            submitted_at=case.now,
        ).returning(CallApplication.id)
    ).scalar_one()


def mark_application_withdrawn(case: Case):
    app = application(case, "application_id")
    if app.organisation_id not in case.actor.organisation_ids:
        raise _not_member()
    case.session.execute(update(CallApplication).where(CallApplication.id == app.id).values(withdrawn=True))
    reason = case.values.get("withdrawal_reason", "")
    notes.keep(case, "application_withdrawn", f"応募{app.id}の取下げ" + (f"：{reason}" if reason else ""))


# --- conditions (a rule about one organisation's application answers "yes" when the
# person is not its member: the effect then refuses them as not allowed, so nobody
# learns from a failed condition whether another group applied)


def call_accepting(case: Case) -> bool:
    closing = closing_on(case)
    return closing is not None and japan_today(case.clock) <= closing


def closing_date_passed(case: Case) -> bool:
    closing = closing_on(case)
    return closing is not None and japan_today(case.clock) > closing


def organisation_has_not_applied(case: Case) -> bool:
    org = case.values["organisation_id"]
    if org not in case.actor.organisation_ids:
        return True
    return case.session.execute(
        select(CallApplication.id).where(CallApplication.proposal_id == case.proposal_id,
                                         CallApplication.organisation_id == org)
    ).first() is None


def has_applications(case: Case) -> bool:
    return case.session.execute(
        select(CallApplication.id).where(CallApplication.proposal_id == case.proposal_id,
                                         CallApplication.withdrawn.is_(False))
    ).first() is not None


def application_active(case: Case) -> bool:
    app = application(case, "application_id")
    if app is not None and case.role == "proposer" and app.organisation_id not in case.actor.organisation_ids:
        return True
    return app is not None and not app.withdrawn


def application_selectable(case: Case) -> bool:
    app = application(case, "selected_application_id")
    return app is not None and not app.withdrawn


# --- the scores, as the selection, the notices and the pages present them


@dataclass
class ReviewLine:
    reviewer_id: int
    reviewer_name: str
    scores: dict[str, int]
    comment: str

    @property
    def total(self) -> int:
        return sum(self.scores.values())


@dataclass
class ApplicationScores:
    application_id: int
    organisation_id: int
    organisation_name: str
    summary: str
    proposed_amount_yen: int | None
    withdrawn: bool
    selected: bool
    reviews: list[ReviewLine] = field(default_factory=list)
    rank: int | None = None

    @property
    def average_total(self) -> float | None:
        """The mean of the reviewers' totals (out of ``MAX_REVIEW_TOTAL``)."""
        if not self.reviews:
            return None
        return round(sum(r.total for r in self.reviews) / len(self.reviews), 2)

    def criterion_average(self, name: str) -> float | None:
        if not self.reviews:
            return None
        return round(sum(r.scores[name] for r in self.reviews) / len(self.reviews), 2)

    def as_dict(self) -> dict[str, Any]:
        return {
            "application_id": self.application_id, "organisation": self.organisation_name,
            "withdrawn": self.withdrawn, "selected": self.selected, "rank": self.rank,
            "average_total": self.average_total, "max_total": MAX_REVIEW_TOTAL,
            "criteria": {c: self.criterion_average(c) for c in REVIEW_CRITERIA},
            "reviews": [{"reviewer": r.reviewer_name, **r.scores, "total": r.total, "comment": r.comment}
                        for r in self.reviews],
        }


def score_table(session: Session, proposal_id: int) -> list[ApplicationScores]:
    """Every application of a call with every review, ranked by the reviewers' mean total."""
    apps = session.execute(
        select(CallApplication, Organisation.name)
        .join(Organisation, Organisation.id == CallApplication.organisation_id)
        .where(CallApplication.proposal_id == proposal_id)
        .order_by(CallApplication.id)
    ).all()
    table = {
        a.id: ApplicationScores(a.id, a.organisation_id, name, a.summary, a.proposed_amount_yen, a.withdrawn,
                                a.selected)
        for a, name in apps
    }
    if table:
        reviews = session.execute(
            select(ApplicationReview, User.name)
            .join(User, User.id == ApplicationReview.reviewer_id)
            .where(ApplicationReview.application_id.in_(list(table)))
            .order_by(ApplicationReview.id)
        ).all()
        for r, name in reviews:
            table[r.application_id].reviews.append(
                ReviewLine(r.reviewer_id, name, {c: getattr(r, c) for c in REVIEW_CRITERIA}, r.comment))
    ranked = sorted((a for a in table.values() if not a.withdrawn and a.reviews), key=lambda a: -a.average_total)
    rank, previous = 0, None
    for i, a in enumerate(ranked, start=1):
        if a.average_total != previous:
            rank, previous = i, a.average_total
        a.rank = rank
    return list(table.values())


LABELS_JA = {"score_technique": "技術", "score_expertise": "専門性", "score_quality": "サービスの質",
             "score_capability": "遂行能力"}


def selection_record(table: list[ApplicationScores]) -> str:
    """The score sheet kept with the selection, as a person reads it (every review, every score)."""
    lines = [f"選定審査の結果（各審査員の合計点は{MAX_REVIEW_TOTAL}点満点）"]
    for a in table:
        status = "選定" if a.selected else ("取下げ" if a.withdrawn else "")
        head = f"応募{a.application_id} {a.organisation_name}"
        if a.rank is not None:
            head += f"：順位{a.rank} 平均{a.average_total}点"
        lines.append(head + (f"（{status}）" if status else ""))
        for r in a.reviews:
            parts = "・".join(f"{LABELS_JA[c]}{r.scores[c]}" for c in REVIEW_CRITERIA)
            lines.append(f"  {r.reviewer_name}：{parts}＝{r.total}点 {r.comment}".rstrip())
    return "\n".join(lines)


def takes_applications(lc) -> bool:
    """Whether a lifecycle version offers a way to apply to its cases (``record_application``):
    a case of one that does not has no applications, so no score sheet to read or keep."""
    key = (lc.name, lc.version)
    if key not in _TAKES_APPLICATIONS:
        _TAKES_APPLICATIONS[key] = any(t.effect == record_application.__name__ for t in lc.transitions)
    return _TAKES_APPLICATIONS[key]


_TAKES_APPLICATIONS: dict[tuple[str, int], bool] = {}


def unselected_applicants(proposal_id: int):
    """A subquery: the organisations that applied to the call, were not selected, did not withdraw."""
    return select(CallApplication.organisation_id).where(
        CallApplication.proposal_id == proposal_id,
        CallApplication.withdrawn.is_(False),
        CallApplication.selected.is_(False),
    )


def applied(session: Session, proposal_id: int, organisation_ids) -> bool:
    return bool(organisation_ids) and session.execute(
        select(CallApplication.id).where(CallApplication.proposal_id == proposal_id,
                                         CallApplication.organisation_id.in_(list(organisation_ids)))
    ).first() is not None


EFFECTS = {"set_closing_date": set_closing_date, "record_application": record_application,
           "mark_application_withdrawn": mark_application_withdrawn}
CONDITIONS = {f.__name__: f for f in (call_accepting, closing_date_passed, organisation_has_not_applied,
                                      has_applications, application_active, application_selectable)}
