"""The compliance board: every duty of the ordinance that is late right now, by article.

Derived from the open deadline rows past their due date, each read with its policy in
the case's own lifecycle (label, who it waits on, article). One kind of duty has no row
until someone acts: a deadline due a while after each fiscal year end (Article 15(1),
the annual evaluation) is opened by a transition once the year has ended, so a running
project whose year ended and whose deadline was never opened is found from its contract
period instead — for every lifecycle, from the transitions that open such a deadline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from db.models import Contract, Deadline, Department, Proposal
from states import LIFECYCLES, DeadlinePolicy, Lifecycle, all_versions, describe_deadline, get_lifecycle
from workflow.calendar.japan import business_days_between, fiscal_year, fiscal_year_end

# The deadline rule of a duty owed after each fiscal year end (``DeadlinePolicy.rule``).
AFTER_YEAR_END = "after_fiscal_year_end"


@dataclass(frozen=True)
class LateDuty:
    proposal_id: int
    title: str
    lifecycle: str
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
        select(Deadline, Proposal.title, Proposal.lifecycle, Proposal.state, Department.name_ja, Department.name_en)
        .join(Proposal, Proposal.id == Deadline.proposal_id)
        .outerjoin(Department, Department.id == Proposal.department_id)
        .where(Deadline.closed_at.is_(None), Deadline.due_on < today)
        .order_by(Deadline.due_on, Deadline.id)
    ).all()
    out = []
    for d, title, lifecycle, state, dept_ja, dept_en in rows:
        policy = describe_deadline(lifecycle, d.key)
        out.append(LateDuty(d.proposal_id, title, lifecycle, state, dept_ja, dept_en, policy, d.scope, d.due_on,
                            (today - d.due_on).days, business_days_between(d.due_on, today)))
    out.extend(_yearly_duties_never_opened(db, today))
    db.rollback()
    return out


def _yearly_openers() -> list[tuple[str, str, DeadlinePolicy]]:
    """(lifecycle, state, policy): where a transition opens a deadline owed after each year end."""
    found = []
    for lc in all_versions():
        for t in lc.transitions:
            for key in t.opens:
                policy = lc.deadline(key)
                if policy.rule == AFTER_YEAR_END:
                    found += [(lc.name, source, policy) for source in t.sources]
    return list(dict.fromkeys(found))


def _yearly_duties_never_opened(db: Session, today: date) -> list[LateDuty]:
    out = []
    for lifecycle, state, policy in _yearly_openers():
        rows = db.execute(
            select(Proposal.id, Proposal.title, Contract.period_start, Contract.period_end,
                   Department.name_ja, Department.name_en)
            .join(Contract, Contract.proposal_id == Proposal.id)
            .outerjoin(Department, Department.id == Proposal.department_id)
            .where(Proposal.lifecycle == lifecycle, Proposal.state == state)
        ).all()
        if not rows:
            continue
        # A fiscal year's duty was opened once a deadline row of its scope exists, open or closed.
        opened = set(db.execute(
            select(Deadline.proposal_id, Deadline.scope).join(Proposal, Proposal.id == Deadline.proposal_id)
            .where(Deadline.key == policy.key, Proposal.lifecycle == lifecycle, Proposal.state == state)).all())
        for pid, title, start, end, dept_ja, dept_en in rows:
            for fy in range(fiscal_year(start), fiscal_year(today)):
                due = fiscal_year_end(fy) + timedelta(days=policy.days)
                if fiscal_year_end(fy) < end and (pid, str(fy)) not in opened and due < today:
                    out.append(LateDuty(pid, title, lifecycle, state, dept_ja, dept_en, policy, str(fy), due,
                                        (today - due).days, business_days_between(due, today), opened=False))
    return out


def by_article(duties: list[LateDuty]) -> list[Article]:
    groups: dict[str, list[LateDuty]] = {}
    for duty in duties:
        groups.setdefault(duty.policy.article, []).append(duty)
    return [Article(a, groups[a]) for a in sorted(groups, key=_article_order)]


@dataclass(frozen=True)
class VersionCount:
    lifecycle: Lifecycle  # the version itself
    running: int


def running_by_version(db: Session) -> list[VersionCount]:
    """Running cases per lifecycle version, for lifecycles with cases on more than one version.

    During an amendment's transition period the board says how many cases still run under
    the old rules (and so under the old deadlines); afterwards the table disappears.
    """
    rows = db.execute(select(Proposal.lifecycle, Proposal.lifecycle_version, func.count())
                      .where(Proposal.closed_at.is_(None))
                      .group_by(Proposal.lifecycle, Proposal.lifecycle_version)).all()
    db.rollback()
    versions: dict[str, int] = {}
    for name, _version, _n in rows:
        versions[name] = versions.get(name, 0) + 1
    return [VersionCount(get_lifecycle(name, version), n) for name, version, n in sorted(rows)
            if versions[name] > 1]
