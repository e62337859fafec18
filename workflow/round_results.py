"""A round's results: decided together by the approver, published together on one day.

Deciding: every proposal of a round waiting for the approver's decision is shown at once,
with its document-screening reviews and, when the review panel scored it, the panel's
mean, rank and pass. The approver gives each an outcome and its own reasons; one submit
decides them all through ``workflow.engine.core.apply_together``, in one transaction:
if any case is refused (it changed meanwhile, a condition no longer holds), none is
decided and the refusal names that case.

Publishing: the round's decisions are public from its ``publication_on`` (a Japan date
on the app's clock), never before: the results page does not exist before that day and
the round's cases stay off the public lists (``workflow.queries.public``). The panel's
totals are shown per anonymous member (委員1, 委員2 …), never with names; a case not
adopted is listed without the fields its group asked to keep confidential (Article 13).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, false, func, or_, select
from sqlmodel import Session

from config import Settings
from db.models import Decision, Organisation, Proposal, ProposalRound, Review, User
from states import Lifecycle, Transition, all_versions, get_lifecycle
from workflow.actors import Actor
from workflow.calendar.clock import Clock, SystemClock, japan_today
from workflow.engine.core import Outcome, apply_together
from workflow.errors import InvalidInput, KyodoError, NotFound
from workflow.panels import panel_results
from workflow.queries.cases import applicable
from workflow.rounds import RoundView, view

APPROVER = "approver"
ADOPTED = "adopted"  # Decision.outcome written by an adopting transition (Transition.outcome)
MAX_REASONS = 10_000


def decision_choices(lc: Lifecycle, state: str) -> list[Transition]:
    """The approver's decisions offered in ``state``: transitions that record an outcome."""
    return [t for t in lc.available_from(state) if t.outcome and APPROVER in t.roles]


def _deciding_states() -> list[tuple[str, int, list[str]]]:
    """(lifecycle, version, states) where the approver decides a case, read from ``states/``."""
    out = []
    for lc in all_versions():
        names = [s.name for s in lc.states if decision_choices(lc, s.name)]
        if names:
            out.append((lc.name, lc.version, names))
    return out


def _waiting_where():
    parts = [and_(Proposal.lifecycle == name, Proposal.lifecycle_version == version, Proposal.state.in_(states))
             for name, version, states in _deciding_states()]
    return or_(*parts) if parts else false()


# --- the panel's results (``workflow.panels``; none while the round has no panel scores)


@dataclass(frozen=True)
class PanelLine:
    totals: tuple[float, ...]  # the members' totals, anonymous, highest first
    mean: float | None
    rank: int | None
    passed: bool | None


def panel_lines(session: Session, round_id: int) -> dict[int, PanelLine]:
    """The panel's result per proposal of the round; empty while the round has no panel scores."""
    return {r["proposal_id"]: PanelLine(tuple(float(t) for t in r["member_totals"]),
                                        None if r["mean"] is None else float(r["mean"]), r["rank"], r["passed"])
            for r in panel_results(session, round_id)}


# --- deciding together


@dataclass(frozen=True)
class ReviewLine:
    reviewer: str
    scores: tuple[int, int, int, int]
    comment: str


@dataclass(frozen=True)
class Waiting:
    id: int
    title: str
    organisation: str | None
    lifecycle: str
    lifecycle_version: int
    state: str
    version: int
    reviews: tuple[ReviewLine, ...]
    panel: PanelLine | None
    choices: tuple[Transition, ...]


def _round(session: Session, round_id: int) -> ProposalRound:
    row = session.get(ProposalRound, round_id)
    if row is None:
        raise NotFound(f"募集 {round_id} は登録されていません。", f"no round {round_id}")
    return row


def waiting(session: Session, round_id: int, *, clock: Clock | None = None,
            settings: Settings | None = None) -> tuple[RoundView, list[Waiting]]:
    """The round and its proposals waiting for the approver's decision, ranked by the panel when it scored.

    Each case offers the decisions that are for it: a project whose fiscal year has not
    begun is adopted to wait for its budget, one whose year has begun is adopted outright.
    """
    r = view(_round(session, round_id))
    rows = session.execute(
        select(Proposal, Organisation.name).outerjoin(Organisation, Organisation.id == Proposal.organisation_id)
        .where(Proposal.round_id == round_id, _waiting_where()).order_by(Proposal.id)).all()
    ids = [p.id for p, _ in rows]
    reviews: dict[int, list[ReviewLine]] = {pid: [] for pid in ids}
    if ids:
        for rv, name in session.execute(select(Review, User.name).join(User, User.id == Review.reviewer_id)
                                        .where(Review.proposal_id.in_(ids)).order_by(Review.id)):
            reviews[rv.proposal_id].append(ReviewLine(name, (rv.score_technique, rv.score_expertise,
                                                             rv.score_quality, rv.score_capability), rv.comment))
    panel = panel_lines(session, round_id)
    out = []
    for p, org in rows:
        lc = get_lifecycle(p.lifecycle, p.lifecycle_version)
        choices = applicable(session, lc, p, decision_choices(lc, p.state), clock=clock, settings=settings)
        out.append(Waiting(p.id, p.title, org, p.lifecycle, p.lifecycle_version, p.state, p.version,
                           tuple(reviews[p.id]), panel.get(p.id), tuple(choices)))
    out.sort(key=lambda w: (w.panel is None or w.panel.rank is None, w.panel.rank if w.panel else 0, w.id))
    return r, out


def rounds_waiting(session: Session) -> list[tuple[RoundView, int]]:
    """Rounds with proposals waiting for the approver's decision, and how many."""
    rows = session.execute(
        select(ProposalRound, func.count(Proposal.id)).join(Proposal, Proposal.round_id == ProposalRound.id)
        .where(_waiting_where()).group_by(ProposalRound.id).order_by(ProposalRound.id)).all()
    return [(view(r), n) for r, n in rows]


@dataclass(frozen=True)
class Pick:
    """What the approver chose for one case: the trigger (from the case's choices), the reasons, the version seen."""

    proposal_id: int
    trigger: str
    reasons: str
    version: int | None


class DecisionProblems(InvalidInput):
    """What is missing or wrong, per case, as (ja, en); nothing was decided."""

    def __init__(self, problems: dict[int, tuple[str, str]]):
        first = next(iter(problems))
        super().__init__(f"case_{first}", "／".join(ja for ja, _ in problems.values()),
                         "; ".join(en for _, en in problems.values()))
        self.problems = dict(problems)


class DecisionRefused(KyodoError):
    """The engine refused one case of the batch; nothing was decided. Names the case and why."""

    def __init__(self, proposal_id: int, title: str, cause: KyodoError):
        super().__init__(
            f"提案「{title}」（ID {proposal_id}）を決定できなかったため、どの提案も決定していません。理由：{cause.message('ja')}",
            f"Proposal “{title}” (ID {proposal_id}) could not be decided, so none was decided. "
            f"Reason: {cause.message('en')}")
        self.proposal_id = proposal_id
        self.cause = cause


def decide(session: Session, round_id: int, picks: list[Pick], actor: Actor, *, clock: Clock | None = None,
           settings: Settings | None = None) -> list[Outcome]:
    """Decide the round's waiting proposals together: all of ``picks`` in one transaction, or none.

    Every pick needs a choice the case offers and its own reasons; all problems are named at
    once before anything is tried.
    """
    clock = clock or SystemClock()
    _, cases = waiting(session, round_id, clock=clock, settings=settings)
    by_id = {w.id: w for w in cases}
    known = {pid: (title, rid) for pid, title, rid in session.execute(
        select(Proposal.id, Proposal.title, Proposal.round_id).where(Proposal.id.in_([p.proposal_id for p in picks])))}
    titles = {pid: title for pid, (title, _) in known.items()}
    session.rollback()  # end the reads: the engine's write opens its own transaction
    if not picks:
        raise InvalidInput("picks", "決定する提案がありません。", "there is no proposal to decide")
    problems: dict[int, tuple[str, str]] = {}
    for p in picks:
        title, rid = known.get(p.proposal_id, ("", None))
        w = by_id.get(p.proposal_id)
        if rid != round_id:
            problems[p.proposal_id] = (f"ID {p.proposal_id} はこの募集の提案ではありません。",
                                       f"ID {p.proposal_id} is not a proposal of this round")
        elif w is not None and p.trigger not in {t.trigger for t in w.choices}:
            problems[p.proposal_id] = (f"提案「{title}」の決定（採用・不採用）を選んでください。",
                                       f"choose adopt or do not adopt for “{title}”")
        elif not p.reasons.strip():
            problems[p.proposal_id] = (f"提案「{title}」の決定の理由を入力してください。",
                                       f"give the reasons for the decision on “{title}”")
        elif len(p.reasons) > MAX_REASONS:
            problems[p.proposal_id] = (f"提案「{title}」の理由は{MAX_REASONS:,}文字以内で入力してください。",
                                       f"the reasons for “{title}” are at most {MAX_REASONS:,} characters")
    if problems:
        raise DecisionProblems(problems)
    # A case that stopped waiting since the page was shown is left to the engine: it refuses
    # it inside the one transaction, and the refusal names the case.
    changes = [(p.proposal_id, p.trigger, {"reasons": p.reasons.strip()}, p.version) for p in picks]
    try:
        return apply_together(session, changes, actor, clock=clock, settings=settings)
    except KyodoError as exc:
        pid = getattr(exc, "proposal_id", None)
        if pid is None:
            raise
        raise DecisionRefused(pid, titles.get(pid, ""), exc) from exc


# --- the published results


@dataclass(frozen=True)
class ResultLine:
    id: int
    title: str | None  # None when the group asked to keep it confidential
    organisation: str | None
    reasons: str | None  # public for adopted proposals only
    document_number: str
    panel: PanelLine | None


@dataclass(frozen=True)
class Results:
    round: RoundView
    adopted: list[ResultLine] = field(default_factory=list)
    not_adopted: list[ResultLine] = field(default_factory=list)


def results_public(r: RoundView | ProposalRound, today: date) -> bool:
    """A round's results are public from its publication date (Japan date), never before or without one."""
    return r.publication_on is not None and r.publication_on <= today and r.published_at is not None


def public_results(session: Session, code: str, *, clock: Clock | None = None) -> Results | None:
    """The round's published results, or None before its publication date (the page does not exist yet)."""
    row = session.execute(select(ProposalRound).where(ProposalRound.code == code)).scalar()
    if row is None or not results_public(row, japan_today(clock or SystemClock())):
        session.rollback()
        return None
    panel = panel_lines(session, row.id)
    rows = session.execute(
        select(Proposal, Decision, Organisation.name).join(Decision, Decision.proposal_id == Proposal.id)
        .outerjoin(Organisation, Organisation.id == Proposal.organisation_id)
        .where(Proposal.round_id == row.id).order_by(Proposal.id)).all()
    out = Results(view(row))
    for p, d, org in rows:
        secret = set(p.confidential_fields or [])
        adopted = d.outcome == ADOPTED
        line = ResultLine(p.id, None if "title" in secret else p.title, org, d.reasons if adopted else None,
                          d.document_number, panel.get(p.id))
        (out.adopted if adopted else out.not_adopted).append(line)
    for lines in (out.adopted, out.not_adopted):
        lines.sort(key=lambda x: (x.panel is None or x.panel.rank is None, x.panel.rank if x.panel else 0, x.id))
    session.rollback()
    return out
