"""Reviews on the Article 9(2) criteria (technique, expertise, quality, capability to deliver).

One module for both lifecycles: a citizen proposal is reviewed as a whole; a call for
partners has each of its applications reviewed by every reviewer. Who is a reviewer of
a case, whether they are done, and whether enough reviews are in are answered here for
the engine, the worklists and the notices alike.

So that a review can always finish, it starts only with as many reviewers as it needs
reviews, and reviewers can be added or replaced while it runs (illness, a conflict of
interest): a replaced reviewer's assignment is ended and kept, never deleted, and a
reviewer who is no longer asked (replaced, or who declared a conflict) owes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import and_, bindparam, exists, func, insert, select, update

from db.models import ApplicationReview, CallApplication, Review, ReviewAssignment, User, UserRole
from states.common import REVIEW_CRITERIA
from workflow.errors import InvalidInput, NotAllowed
from workflow.rules.calls import application
from workflow.rules.cases import check_department
from workflow.rules.conflicts import has_declared, interested_sql

if TYPE_CHECKING:
    from workflow.engine.context import Case

# The change's fact naming the reviewers it has just asked: the notice that asks them to
# review goes to them alone (recipient ``new_reviewers``), not to those asked before.
ASSIGNED = "assigned_reviewer_ids"

_USER = User.__table__
_ROLE = UserRole.__table__
_RA = ReviewAssignment.__table__
_REVIEW = Review.__table__
# Built once; what may keep each candidate from reviewing the case, read in one round trip.
_CANDIDATES = select(
    _USER.c.id,
    exists().where(_ROLE.c.user_id == _USER.c.id, _ROLE.c.role == "reviewer").label("is_reviewer"),
    interested_sql(bindparam("pid"), bindparam("org"), _USER.c.id).label("conflicted"),
    # A replaced reviewer's assignment is kept, ended: they are not asked again.
    exists().where(_RA.c.proposal_id == bindparam("pid"), _RA.c.reviewer_id == _USER.c.id).label("asked"),
).where(_USER.c.id.in_(bindparam("ids", expanding=True)))
_ASSIGN = insert(_RA)
_ADD_REVIEW = insert(_REVIEW)
_REVIEWED = select(_REVIEW.c.id).where(_REVIEW.c.proposal_id == bindparam("pid"),
                                       _REVIEW.c.reviewer_id == bindparam("uid"))
_REVIEW_COUNT = select(func.count()).select_from(_REVIEW).where(_REVIEW.c.proposal_id == bindparam("pid"))


def _check_candidates(case: Case, ids: list[int], input_name: str) -> None:
    """Refuse anyone who may not be asked to review this case, naming them."""
    found = {r.id: r for r in case.db.execute(
        _CANDIDATES, {"ids": list(ids), "pid": case.proposal_id, "org": case.proposal.organisation_id})}
    not_reviewers = sorted(i for i in set(ids) if i not in found or not found[i].is_reviewer)
    if not_reviewers:
        raise InvalidInput(input_name, f"審査員として登録されていない利用者です：{not_reviewers}",
                           f"not reviewers: {not_reviewers}")
    conflicted = sorted(i for i in set(ids) if found[i].conflicted)
    if conflicted:
        raise InvalidInput(input_name,
                           f"提案団体・応募団体の構成員は審査員になれません（利害関係を申し出た方も同じです）：{conflicted}",
                           f"members of the proposing or applying organisations, and people who declared a "
                           f"conflict of interest, cannot review: {conflicted}")
    asked = sorted(i for i in set(ids) if found[i].asked)
    if asked:
        raise InvalidInput(input_name, f"この案件の審査員に選ばれたことのある方です：{asked}",
                           f"already asked to review this case (now or before a replacement): {asked}")


def _assign(case: Case, ids: list[int]) -> None:
    case.db.execute(_ASSIGN, [dict(proposal_id=case.proposal_id, reviewer_id=r, assigned_at=case.now) for r in ids])
    case.facts.setdefault(ASSIGNED, []).extend(ids)


def assign_reviewers(case: Case):
    """Assign the reviewers (and the department, where the trigger names one).

    The review starts only with as many reviewers as it needs reviews: with fewer it
    could never finish.
    """
    v = case.values
    ids = v["reviewer_ids"]
    required = case.settings.required_reviews
    if len(ids) < required:
        raise InvalidInput("reviewer_ids", f"審査員は{required}人以上選んでください（審査には{required}件の審査結果が必要です）。",
                           f"choose at least {required} reviewers: the review needs {required} reviews")
    updates = {}
    if "department_id" in v:
        check_department(case, v["department_id"])
        updates["department_id"] = v["department_id"]
    _check_candidates(case, ids, "reviewer_ids")
    _assign(case, ids)
    return updates


def assign_more_reviewers(case: Case):
    """More reviewers during the review, checked as those chosen at its start were."""
    ids = case.values["reviewer_ids"]
    _check_candidates(case, ids, "reviewer_ids")
    _assign(case, ids)


def has_reviewed(case: Case, reviewer_id: int) -> bool:
    """Whether the reviewer submitted any review on the case (of the proposal, or of any application)."""
    of_case = select(Review.id).where(Review.proposal_id == case.proposal_id, Review.reviewer_id == reviewer_id)
    of_application = (select(ApplicationReview.id)
                      .join(CallApplication, CallApplication.id == ApplicationReview.application_id)
                      .where(CallApplication.proposal_id == case.proposal_id,
                             ApplicationReview.reviewer_id == reviewer_id))
    return case.session.execute(of_case.union_all(of_application).limit(1)).first() is not None


def hand_over_review(case: Case):
    """One reviewer leaves the review (illness, a conflict of interest) and another takes it up.

    The leaving reviewer's assignment is ended, never deleted: who ended it, when, why and
    who came instead stay on record. A reviewer whose review is in cannot leave: the review
    is part of the record the decision rests on.
    """
    v, session = case.values, case.session
    leaving, incoming = v["leaving_reviewer_id"], v["incoming_reviewer_id"]
    if leaving == incoming:
        raise InvalidInput("incoming_reviewer_id", "交代する審査員と新しい審査員が同じです。",
                           "the incoming reviewer is the one leaving")
    active = session.execute(
        select(ReviewAssignment.reviewer_id).where(
            ReviewAssignment.proposal_id == case.proposal_id, ReviewAssignment.reviewer_id == leaving,
            ReviewAssignment.ended_at.is_(None))
    ).first()
    if active is None:
        raise InvalidInput("leaving_reviewer_id", f"利用者 {leaving} はこの案件の審査員ではありません。",
                           f"user {leaving} is not a reviewer of this case")
    if has_reviewed(case, leaving):
        raise InvalidInput("leaving_reviewer_id",
                           "審査結果を登録済みの審査員は交代できません（審査結果は記録に残ります）。審査員の追加をご利用ください。",
                           "a reviewer who has submitted a review cannot be replaced (the review stays on "
                           "record); add a reviewer instead")
    _check_candidates(case, [incoming], "incoming_reviewer_id")
    session.execute(
        update(ReviewAssignment)
        .where(ReviewAssignment.proposal_id == case.proposal_id, ReviewAssignment.reviewer_id == leaving)
        .values(ended_at=case.now, ended_by=case.actor.user_id, end_reason=v["replacement_reason"],
                replaced_by=incoming))
    _assign(case, [incoming])


def record_review(case: Case):
    scores = {c: case.values[c] for c in REVIEW_CRITERIA}
    if "application_id" not in case.values:
        case.db.execute(_ADD_REVIEW, dict(
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


# Written on the tables, not the mapped classes, so that a statement using them stays a
# plain Core statement (the ORM's compilation layer costs more than the query).


def _still_asked(proposal_id, reviewer_id):
    """The reviewer's assignment has not ended and they declared no conflict: a review is owed."""
    ra = _RA.alias()
    return and_(exists().where(ra.c.proposal_id == proposal_id, ra.c.reviewer_id == reviewer_id,
                               ra.c.ended_at.is_(None)),
                ~has_declared(proposal_id, reviewer_id))


def pending_case_review(proposal_id, reviewer_id):
    """The reviewer is still asked and has not reviewed the proposal."""
    r = _REVIEW.alias()
    return and_(_still_asked(proposal_id, reviewer_id),
                ~exists().where(r.c.proposal_id == proposal_id, r.c.reviewer_id == reviewer_id))


def pending_application_review(proposal_id, reviewer_id):
    """The reviewer is still asked, and some application of the call, not withdrawn, lacks their review."""
    a, ar = CallApplication.__table__.alias(), ApplicationReview.__table__.alias()
    return and_(_still_asked(proposal_id, reviewer_id), exists().where(
        a.c.proposal_id == proposal_id, a.c.withdrawn.is_(False),
        ~exists().where(and_(ar.c.application_id == a.c.id, ar.c.reviewer_id == reviewer_id)).correlate_except(ar),
    ).correlate_except(a))


# --- conditions


def reviewer_has_not_reviewed(case: Case) -> bool:
    return case.db.execute(_REVIEWED, {"pid": case.proposal_id, "uid": case.actor.user_id}).first() is None


def reviews_complete(case: Case) -> bool:
    count = case.db.execute(_REVIEW_COUNT, {"pid": case.proposal_id}).scalar_one()
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


EFFECTS = {f.__name__: f for f in (assign_reviewers, assign_more_reviewers, hand_over_review, record_review)}
CONDITIONS = {f.__name__: f for f in (reviewer_has_not_reviewed, reviews_complete, application_reviewable,
                                      applications_reviewed)}
