"""What a call for partners (Article 9) keeps: its terms, its applications and every score.

Read by the call's conditions, effects and notices, and by the command line. Until the
schema has a place of its own for them, a call's selection criteria and closing date are
case notes (kinds ``call_criteria`` and ``call_closing_on``): the latest note is the
current term and every earlier one stays readable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import insert, select
from sqlmodel import Session

from db.models import ApplicationReview, CallApplication, CaseNote, Organisation, User
from states.common import REVIEW_CRITERIA

LIFECYCLE = "city_call"
CRITERIA_NOTE = "call_criteria"
CLOSING_NOTE = "call_closing_on"
# The most a reviewer can give one application: four criteria scored 1 to 5.
MAX_REVIEW_TOTAL = 5 * len(REVIEW_CRITERIA)


@dataclass(frozen=True)
class CallTerms:
    criteria: str
    closing_on: date | None


def _latest_note(session: Session, proposal_id: int, kind: str) -> str | None:
    return session.execute(
        select(CaseNote.text)
        .where(CaseNote.proposal_id == proposal_id, CaseNote.kind == kind)
        .order_by(CaseNote.id.desc())
        .limit(1)
    ).scalar()


def call_terms(session: Session, proposal_id: int) -> CallTerms:
    closing = _latest_note(session, proposal_id, CLOSING_NOTE)
    return CallTerms(
        criteria=_latest_note(session, proposal_id, CRITERIA_NOTE) or "",
        closing_on=date.fromisoformat(closing) if closing else None,
    )


def note_closing_date(session: Session, proposal_id: int, closing_on: date, author_id: int, now) -> None:
    session.execute(insert(CaseNote).values(
        proposal_id=proposal_id, kind=CLOSING_NOTE, text=closing_on.isoformat(), author_id=author_id, created_at=now))


# --- The scores, as the selection and the notices present them.


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
    """Every application of a call with every review, ranked by the reviewers' mean total.

    Withdrawn applications are listed (unranked): nothing of the record is dropped.
    """
    apps = session.execute(
        select(CallApplication, Organisation.name)
        .join(Organisation, Organisation.id == CallApplication.organisation_id)
        .where(CallApplication.proposal_id == proposal_id)
        .order_by(CallApplication.id)
    ).all()
    table = {
        a.id: ApplicationScores(a.id, a.organisation_id, name, a.summary, a.proposed_amount_yen, a.withdrawn, a.selected)
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
    ranked = sorted((a for a in table.values() if not a.withdrawn and a.reviews),
                    key=lambda a: -a.average_total)
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


def unselected_applicants(proposal_id: int):
    """A subquery: the organisations that applied to the call, were not selected, did not withdraw."""
    return select(CallApplication.organisation_id).where(
        CallApplication.proposal_id == proposal_id,
        CallApplication.withdrawn.is_(False),
        CallApplication.selected.is_(False),
    )


def reviewers_done(session: Session, proposal_id: int) -> list[int]:
    """The reviewers of a call who have reviewed every application not withdrawn."""
    active = list(session.execute(
        select(CallApplication.id).where(CallApplication.proposal_id == proposal_id,
                                         CallApplication.withdrawn.is_(False))
    ).scalars())
    if not active:
        return []
    rows = session.execute(
        select(ApplicationReview.reviewer_id, ApplicationReview.application_id)
        .where(ApplicationReview.application_id.in_(active))
    ).all()
    done: dict[int, set[int]] = {}
    for reviewer_id, application_id in rows:
        done.setdefault(reviewer_id, set()).add(application_id)
    return sorted(r for r, apps in done.items() if apps >= set(active))
