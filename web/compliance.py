"""The compliance board: every duty of the ordinance that is late right now, by article.

Derived from the open deadline rows past their due date, each joined with its policy in
``states/`` (label, who it waits on, article). One duty has no row until someone acts:
an annual evaluation (Article 15(1)) is opened by hand after the fiscal year ends, so a
project whose year ended and was never opened is found from its contract period instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session

from db.models import Contract, Deadline, Department, EvaluationPeriod, Proposal
from states import DeadlinePolicy, get_lifecycle
from workflow.calendar.japan import business_days_between, fiscal_year, fiscal_year_end


@dataclass(frozen=True)
class LateDuty:
    proposal_id: int
    title: str
    state: str
    department_ja: str | None
    department_en: str | None
    policy: DeadlinePolicy
    scope: str
    due: date
    calendar_days_late: int
    business_days_late: int
    opened: bool = True  # False: the duty's deadline was never opened (see module docstring)


@dataclass(frozen=True)
class Article:
    article: str
    duties: list[LateDuty]


def _article_order(article: str) -> tuple:
    numbers = [int(n) for n in re.findall(r"\d+", article)]
    return (0, numbers) if numbers else (1, [])


def late_duties(db: Session, today: date) -> list[LateDuty]:
    rows = db.execute(
        select(Deadline, Proposal.title, Proposal.state, Proposal.lifecycle, Department.name_ja, Department.name_en)
        .join(Proposal, Proposal.id == Deadline.proposal_id)
        .outerjoin(Department, Department.id == Proposal.department_id)
        .where(Deadline.closed_at.is_(None), Deadline.due_on < today)
        .order_by(Deadline.due_on, Deadline.id)
    ).all()
    out = []
    for d, title, state, lifecycle, dept_ja, dept_en in rows:
        policy = get_lifecycle(lifecycle).deadline(d.key)
        out.append(LateDuty(d.proposal_id, title, state, dept_ja, dept_en, policy, d.scope, d.due_on,
                            (today - d.due_on).days, business_days_between(d.due_on, today)))
    out.extend(_annual_evaluations_never_opened(db, today))
    db.rollback()
    return out


def _annual_evaluations_never_opened(db: Session, today: date) -> list[LateDuty]:
    lc = get_lifecycle("citizen_proposal")
    policy = lc.deadline("annual_evaluation")
    rows = db.execute(
        select(Proposal.id, Proposal.title, Proposal.state, Contract.period_start, Contract.period_end,
               Department.name_ja, Department.name_en)
        .join(Contract, Contract.proposal_id == Proposal.id)
        .outerjoin(Department, Department.id == Proposal.department_id)
        .where(Proposal.state == "in_progress", Proposal.lifecycle == lc.name)
    ).all()
    out = []
    for pid, title, state, start, end, dept_ja, dept_en in rows:
        opened = set(db.execute(select(EvaluationPeriod.fiscal_year).where(EvaluationPeriod.proposal_id == pid))
                     .scalars())
        for fy in range(fiscal_year(start), fiscal_year(today)):
            due = fiscal_year_end(fy) + timedelta(days=policy.days)
            if fiscal_year_end(fy) < end and fy not in opened and due < today:
                out.append(LateDuty(pid, title, state, dept_ja, dept_en, policy, str(fy), due,
                                    (today - due).days, business_days_between(due, today), opened=False))
    return out


def by_article(duties: list[LateDuty]) -> list[Article]:
    groups: dict[str, list[LateDuty]] = {}
    for duty in duties:
        groups.setdefault(duty.policy.article, []).append(duty)
    return [Article(a, groups[a]) for a in sorted(groups, key=_article_order)]
