"""Reviews on the Article 9(2) criteria (technique, expertise, quality, capability to deliver).

One module for both lifecycles: a citizen proposal is reviewed as a whole; a call for
partners has each of its applications reviewed by every reviewer. Who is a reviewer of
a case, whether they are done, and whether enough reviews are in are answered here for
the engine, the worklists and the notices alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import and_, exists, func, insert, select

from db.models import ApplicationReview, CallApplication, Membership, Review, ReviewAssignment, UserRole
from states.common import REVIEW_CRITERIA
from workflow.errors import InvalidInput, NotAllowed
from workflow.rules.calls import application
from workflow.rules.cases import check_department

if TYPE_CHECKING:
    from workflow.engine.context import Case


def involved_organisations(case: Case) -> set[int]:
    """The organisations a reviewer must not belong to: the proposer, and every active applicant."""
    orgs = set(case.session.execute(
        select(CallApplication.organisation_id).where(
            CallApplication.proposal_id == case.proposal_id, CallApplication.withdrawn.is_(False))
    ).scalars())
    if case.proposal.organisation_id is not None:
        orgs.add(case.proposal.organisation_id)
    return orgs


def assign_reviewers(case: Case):
    """Assign the reviewers (and the department, where the trigger names one)."""
    v, session = case.values, case.session
    ids = v["reviewer_ids"]
    required = case.settings.required_reviews
    if len(ids) < required:
        raise InvalidInput("reviewer_ids", f"審査員は{required}人以上選んでください（審査には{required}件の審査結果が必要です）。",
                           f"choose at least {required} reviewers: the review needs {required} reviews")
    updates = {}
    if "department_id" in v:
        check_department(case, v["department_id"])
        updates["department_id"] = v["department_id"]
    reviewers = set(session.execute(
        select(UserRole.user_id).where(UserRole.user_id.in_(ids), UserRole.role == "reviewer")).scalars())
    not_reviewers = sorted(set(ids) - reviewers)
    if not_reviewers:
        raise InvalidInput("reviewer_ids", f"審査員として登録されていない利用者です：{not_reviewers}",
                           f"not reviewers: {not_reviewers}")
    conflicted = sorted(set(session.execute(
        select(Membership.user_id).where(
            Membership.user_id.in_(ids),
            Membership.organisation_id.in_(involved_organisations(case)),
        )
    ).scalars()))
    if conflicted:
        raise InvalidInput("reviewer_ids", f"提案団体・応募団体の構成員は審査員になれません：{conflicted}",
                           f"members of the proposing or applying organisations cannot review: {conflicted}")
    session.execute(insert(ReviewAssignment),
                    [dict(proposal_id=case.proposal_id, reviewer_id=r, assigned_at=case.now) for r in ids])
    return updates


def record_review(case: Case):
    scores = {c: case.values[c] for c in REVIEW_CRITERIA}
    if "application_id" not in case.values:
        case.session.execute(insert(Review).values(
            proposal_id=case.proposal_id, reviewer_id=case.actor.user_id, revision=case.proposal.revision,
            comment=case.values["review_comment"], submitted_at=case.now, **scores))
        return
    app = application(case, "application_id")
    if app.organisation_id in case.actor.organisation_ids:
        raise NotAllowed("自分が所属する団体の応募は審査できません。", "nobody reviews their own group's application",
                         allowed_roles=("reviewer",))
    case.session.execute(insert(ApplicationReview).values(
        application_id=app.id, reviewer_id=case.actor.user_id, comment=case.values["review_comment"],
        submitted_at=case.now, **scores))


# --- who still has to review (SQL, shared by the conditions, notices and worklists)


def pending_case_review(proposal_id, reviewer_id):
    """The reviewer has not reviewed the proposal."""
    return ~exists().where(Review.proposal_id == proposal_id, Review.reviewer_id == reviewer_id)


def pending_application_review(proposal_id, reviewer_id):
    """Some application of the call, not withdrawn, still lacks this reviewer's review."""
    a = CallApplication
    return exists().where(
        a.proposal_id == proposal_id, a.withdrawn.is_(False),
        ~exists().where(and_(ApplicationReview.application_id == a.id, ApplicationReview.reviewer_id == reviewer_id))
        .correlate_except(ApplicationReview),
    ).correlate_except(a)


# --- conditions


def reviewer_has_not_reviewed(case: Case) -> bool:
    return case.session.execute(
        select(Review.id).where(Review.proposal_id == case.proposal_id, Review.reviewer_id == case.actor.user_id)
    ).first() is None


def reviews_complete(case: Case) -> bool:
    count = case.session.execute(
        select(func.count()).select_from(Review).where(Review.proposal_id == case.proposal_id)).scalar_one()
    return count >= case.settings.required_reviews


def application_reviewable(case: Case) -> bool:
    app = application(case, "application_id")
    if app is None or app.withdrawn:
        return False
    return case.session.execute(
        select(ApplicationReview.id).where(
            ApplicationReview.application_id == app.id, ApplicationReview.reviewer_id == case.actor.user_id)
    ).first() is None


def active_applications(case: Case) -> list[int]:
    return list(case.session.execute(
        select(CallApplication.id).where(
            CallApplication.proposal_id == case.proposal_id, CallApplication.withdrawn.is_(False))
    ).scalars())


def applications_reviewed(case: Case) -> bool:
    active = active_applications(case)
    if not active:
        return False
    counts = dict(case.session.execute(
        select(ApplicationReview.application_id, func.count())
        .where(ApplicationReview.application_id.in_(active))
        .group_by(ApplicationReview.application_id)
    ).all())
    return all(counts.get(a, 0) >= case.settings.required_reviews for a in active)


EFFECTS = {"assign_reviewers": assign_reviewers, "record_review": record_review}
CONDITIONS = {f.__name__: f for f in (reviewer_has_not_reviewed, reviews_complete, application_reviewable,
                                      applications_reviewed)}
