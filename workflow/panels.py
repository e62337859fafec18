"""The second stage of a round's screening: the public presentation, scored by a review panel.

The secretariat names a round's panel (審査委員会: city staff and outside experts, any
role) and schedules each group's presentation (date and time in Japan time, a place
and/or an online link, the order of presentation); the group is told by a
``presentation_scheduled`` notice. Each panel member scores every criterion of the
round, 0 to the criterion's ``max_points``, and may correct the scores until the
secretariat records the presentation. A member with a conflict of interest on a case
(declared on it, or belonging to the proposing group) is recused: they cannot score it
and are left out of its totals.

Per proposal Kyodo computes each member's weighted total out of 100
(``workflow.rounds.weighted_total``), the mean of the members without a conflict who
scored, its rank in the round, and whether it reaches the round's pass mark. All of it
is exact (Fractions): a mean of exactly the pass mark passes.

Scores are confidential: staff see them with the members' names; ``panel_results`` gives
them without names, for publishing with the round's results. Every change is kept in the
directory's trail under the subject "round".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from typing import Any, Mapping

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from config import Settings, get_settings
from db.models import (Organisation, PanelMember, PanelScore, PresentationSlot, Proposal, ProposalRound,
                       RoundCriterion, User)
from workflow.calendar.clock import JST, Clock, SystemClock, to_japan, to_utc
from workflow.directory import record
from workflow.engine.outbox import common_context, enqueue
from workflow.engine.recipients import resolve
from workflow.errors import InvalidInput, NotAllowed, NotFound
from workflow.rounds import MAX_INT, RoundProblems, weighted_total
from workflow.rules.content import EARLIEST_DATE, LATEST_DATE
from workflow.rules.rounds import in_panel_stage, panel_status

NOTICE_KIND = "presentation_scheduled"
# The group's contacts, as the proposer of a case is reached (``workflow.engine.recipients``).
ADDRESSED_AS = "proposer"
MAX_PLACE = 300
MAX_URL = 500
MAX_POSITION = 999

_WIDE = str.maketrans("０１２３４５６７８９－：", "0123456789-:")


# --- the panel


def _round(session: Session, round_id: int) -> ProposalRound:
    row = session.get(ProposalRound, round_id)
    if row is None:
        raise NotFound(f"募集 {round_id} は登録されていません。", f"no round {round_id}")
    return row


def members(session: Session, round_id: int) -> list[tuple[int, str]]:
    """The panel's members as (user id, name), in the order they joined."""
    return [tuple(r) for r in session.execute(
        select(User.id, User.name).join(PanelMember, PanelMember.user_id == User.id)
        .where(PanelMember.round_id == round_id).order_by(PanelMember.id)).all()]


def add_member(session: Session, round_id: int, user_id: Any, *, actor_id: int | None = None,
               clock: Clock | None = None) -> bool:
    """Make a person a member of the round's panel; False when they are one already."""
    clock = clock or SystemClock()
    _round(session, round_id)
    uid = _id(user_id, "user_id", ("審査委員", "the panel member"))
    user = session.get(User, uid)
    if user is None or not user.active:
        raise InvalidInput("user_id", "その利用者は登録されていないか、無効になっています。",
                           "no active user with that id")
    if session.execute(select(PanelMember.id).where(PanelMember.round_id == round_id,
                                                    PanelMember.user_id == uid)).first():
        return False
    session.add(PanelMember(round_id=round_id, user_id=uid, added_at=clock.now()))
    try:
        session.flush()
    except IntegrityError:  # added meanwhile by someone else
        session.rollback()
        return False
    record(session, "round", round_id, "panel_member_added", actor_id=actor_id, clock=clock,
           details={"user_id": uid, "name": user.name})
    return True


def remove_member(session: Session, round_id: int, user_id: Any, *, actor_id: int | None = None,
                  clock: Clock | None = None) -> None:
    """Take a person off the panel (illness, a conflict on many cases …).

    Their scores stay on record but no longer count; refused once a proposal they scored
    has had its presentation recorded, whose results must not change afterwards.
    """
    _round(session, round_id)
    uid = _id(user_id, "user_id", ("審査委員", "the panel member"))
    row = session.execute(select(PanelMember).where(PanelMember.round_id == round_id,
                                                    PanelMember.user_id == uid)).scalar()
    if row is None:
        raise NotFound("その方はこの募集の審査委員ではありません。", "that person is not on the round's panel")
    scored = session.execute(select(Proposal).where(
        Proposal.round_id == round_id,
        Proposal.id.in_(select(PanelScore.proposal_id).where(PanelScore.member_id == uid)))).scalars().all()
    if any(not in_panel_stage(p) for p in scored):
        raise InvalidInput("user_id", "この審査委員が採点した提案の公開プレゼンテーションが記録済みのため、審査委員から外せません。",
                           "a proposal this member scored has had its presentation recorded: the member stays on the panel")
    session.delete(row)
    session.flush()
    record(session, "round", round_id, "panel_member_removed", actor_id=actor_id, clock=clock,
           details={"user_id": uid})


def is_member(session: Session, user_id: int) -> bool:
    return session.execute(select(PanelMember.id).where(PanelMember.user_id == user_id)).first() is not None


def candidates(session: Session, round_id: int) -> list[tuple[int, str, str]]:
    """Active people who could join the panel: (id, name, login), not members yet."""
    taken = select(PanelMember.user_id).where(PanelMember.round_id == round_id)
    return [tuple(r) for r in session.execute(
        select(User.id, User.name, User.login).where(User.active.is_(True), User.id.not_in(taken))
        .order_by(User.name, User.id)).all()]


# --- reading what people type


def _id(value: Any, name: str, label: tuple[str, str]) -> int:
    bad = InvalidInput(name, f"{label[0]}を選んでください。", f"choose {label[1]}")
    if isinstance(value, bool):
        raise bad
    if isinstance(value, int):
        number = value
    else:
        text = str(value if value is not None else "").strip()
        if not re.fullmatch(r"[0-9]{1,12}", text):
            raise bad
        number = int(text)
    if not 1 <= number <= MAX_INT:
        raise bad
    return number


def _points(value: Any, c: RoundCriterion) -> int | None:
    """Points as typed (full-width digits too), or None when they are not a whole number from 0 to max."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip().translate(_WIDE)
        if not re.fullmatch(r"[0-9]{1,3}", text):
            return None
        number = int(text)
    else:
        return None
    return number if 0 <= number <= c.max_points else None


def _starts_at(found: dict, value: Any) -> datetime | None:
    """A date and time in Japan time, as a browser's datetime-local field sends it (2027-06-12T14:30)."""
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=JST)
    else:
        text = str(value if value is not None else "").strip().translate(_WIDE)
        m = re.fullmatch(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}:[0-9]{2})(:[0-9]{2})?", text)
        dt = None
        if m:
            try:
                dt = datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}").replace(tzinfo=JST)
            except ValueError:
                dt = None
    if dt is None or not EARLIEST_DATE <= to_japan(dt).date() <= LATEST_DATE:
        found["starts_at"] = ("開始日時を「2027-06-12T14:30」の形（日本時間）で入力してください。",
                              "give the start as a date and time in Japan time, as 2027-06-12T14:30")
        return None
    return to_utc(dt)


def _line(found: dict, data: Mapping[str, Any], name: str, limit: int, label: tuple[str, str]) -> str:
    value = data.get(name)
    value = "" if value is None else str(value).strip()
    if "\x00" in value or "\n" in value or "\r" in value:
        found[name] = (f"{label[0]}は1行で入力してください。", f"{label[1]} is one line")
    elif len(value) > limit:
        found[name] = (f"{label[0]}は{limit:,}文字以内で入力してください（{len(value):,}文字あります）。",
                       f"{label[1]} is at most {limit:,} characters ({len(value):,} given)")
    return value


# --- the presentations


def _panel_case(session: Session, proposal_id: Any, *, lock: bool = False) -> Proposal:
    """A proposal of a round that is at its public presentation now.

    ``lock``: hold the case's row until the caller commits, so that the presentation
    cannot be recorded (the engine updates that row) while scores are being written: the
    scores land before the record, or are refused after it, never in between.
    """
    pid = _id(proposal_id, "proposal_id", ("提案", "a proposal"))
    q = select(Proposal).where(Proposal.id == pid).execution_options(populate_existing=True)
    p = session.execute(q.with_for_update() if lock else q).scalar()
    if p is None or p.round_id is None:
        raise NotFound(f"募集に応募した提案 {pid} はありません。", f"no proposal {pid} made in a round")
    if not in_panel_stage(p):
        raise InvalidInput("proposal_id", "この提案は公開プレゼンテーションの段階にないため、日程の設定や採点はできません。",
                           "the proposal is not at its public presentation: it cannot be scheduled or scored now")
    return p


@dataclass(frozen=True)
class Slot:
    starts_at: datetime  # UTC
    place: str
    online_url: str
    position: int

    @property
    def local(self) -> datetime:
        return to_japan(self.starts_at)


def schedule(session: Session, proposal_id: Any, data: Mapping[str, Any], *, actor_id: int | None = None,
             clock: Clock | None = None, settings: Settings | None = None) -> bool:
    """Set when, where and in which order the group presents; the group is told. False when nothing changed."""
    clock = clock or SystemClock()
    settings = settings or get_settings()
    p = _panel_case(session, proposal_id)
    found: dict[str, tuple[str, str]] = {}
    starts_at = _starts_at(found, data.get("starts_at"))
    place = _line(found, data, "place", MAX_PLACE, ("会場", "the place"))
    url = _line(found, data, "online_url", MAX_URL, ("オンライン参加のURL", "the online link"))
    if "online_url" not in found and url and not re.fullmatch(r"https?://[^\s<>\"']+", url):
        found["online_url"] = ("オンライン参加のURLは「https://」で始まる形で入力してください。",
                               "the online link starts with https://")
    if "place" not in found and "online_url" not in found and not place and not url:
        found["place"] = ("会場またはオンライン参加のURLを入力してください。", "give a place or an online link (or both)")
    position = data.get("position")
    if position is None or (isinstance(position, str) and not position.strip()):
        position = 1 + (session.execute(select(func.count(PresentationSlot.id)).join(
            Proposal, Proposal.id == PresentationSlot.proposal_id).where(
            Proposal.round_id == p.round_id, Proposal.id != p.id)).scalar() or 0)
    text = str(position).strip().translate(_WIDE)
    if isinstance(position, bool) or not re.fullmatch(r"[0-9]{1,3}", text) or not 1 <= int(text) <= MAX_POSITION:
        found["position"] = (f"発表順は1から{MAX_POSITION}までの整数で入力してください。",
                             f"the order is a whole number from 1 to {MAX_POSITION}")
        order = None
    else:
        order = int(text)
    if found:
        raise RoundProblems(found)
    slot = session.execute(select(PresentationSlot).where(PresentationSlot.proposal_id == p.id)).scalar()
    values = {"starts_at": starts_at, "place": place, "online_url": url, "position": order}
    if slot is not None and all(_same(getattr(slot, k), v) for k, v in values.items()):
        return False
    if slot is None:
        slot = PresentationSlot(proposal_id=p.id, **values)
    else:
        for k, v in values.items():
            setattr(slot, k, v)
    session.add(slot)
    session.flush()
    local = to_japan(starts_at)
    record(session, "round", p.round_id, "presentation_scheduled", actor_id=actor_id, clock=clock,
           details={"proposal_id": p.id, "starts_at": local.isoformat(), "place": place, "online_url": url,
                    "position": order})
    r = session.get(ProposalRound, p.round_id)
    context = {
        **common_context(session, p, settings),
        "round": {"id": r.id, "title_ja": r.title_ja, "title_en": r.title_en},
        "slot": {"date": local.date(), "time": local.strftime("%H:%M"), "place": place, "online_url": url,
                 "position": order},
        "addressed_as": ADDRESSED_AS,
    }
    # Keyed per scheduling, like the engine's letters: the group's page folds the copies sent to
    # each of its contacts into one, and a new schedule is a new letter.
    when = clock.now()
    enqueue(session, kind=NOTICE_KIND, recipients=resolve(session, ADDRESSED_AS, p), context=context,
            proposal_id=p.id, now=when, key=f"s:{p.id}:{slot.id}:{NOTICE_KIND}:{when.timestamp():.6f}")
    return True


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, datetime) and isinstance(b, datetime):
        return to_utc(a) == to_utc(b)
    return a == b


def slot_of(session: Session, proposal_id: int) -> Slot | None:
    row = session.execute(select(PresentationSlot).where(PresentationSlot.proposal_id == proposal_id)).scalar()
    return Slot(to_utc(row.starts_at), row.place, row.online_url, row.position) if row else None


# --- scoring


def _criteria(session: Session, round_id: int) -> list[RoundCriterion]:
    return list(session.execute(select(RoundCriterion).where(RoundCriterion.round_id == round_id)
                                .order_by(RoundCriterion.position, RoundCriterion.id)).scalars())


def may_score(session: Session, user_id: int, proposal: Any) -> None:
    """NotAllowed unless the person is on the proposal's round's panel and has no conflict on it."""
    status = panel_status(session, proposal)
    if user_id not in status.members:
        raise NotAllowed("この提案の募集の審査委員ではないため、採点できません。",
                         "you are not on the review panel of this proposal's round, so you cannot score it")
    if user_id in status.recused:
        raise NotAllowed("この提案について利害関係があるため（提案団体に所属しているか、利害関係を申し出ています）、採点できません。"
                         "この提案の集計からは除かれます。",
                         "you have a conflict of interest on this proposal (you belong to the proposing group or "
                         "declared a conflict), so you cannot score it; you are left out of its totals",
                         "事務局にお知らせください。", "tell the secretariat")


def record_scores(session: Session, proposal_id: Any, user_id: int, points: Mapping[Any, Any], *,
                  clock: Clock | None = None) -> bool:
    """A panel member's points on every criterion (by criterion key); False when nothing changed.

    Every criterion must be scored, each from 0 to its highest score; ``RoundProblems``
    names each one that is not.
    """
    clock = clock or SystemClock()
    p = _panel_case(session, proposal_id, lock=True)
    may_score(session, user_id, p)
    criteria = _criteria(session, p.round_id)
    if not criteria:
        raise InvalidInput("round", "この募集には審査基準が登録されていません。", "the round has no criteria to score")
    found: dict[str, tuple[str, str]] = {}
    given: dict[str, int] = {}
    for c in criteria:
        raw = points.get(c.key)
        value = _points(raw, c)
        if value is None:
            label_en = c.label_en or c.key
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                found[c.key] = (f"「{c.label_ja}」の評点を入力してください（0〜{c.max_points}）。",
                                f"score {label_en} (0 to {c.max_points})")
            else:
                found[c.key] = (f"「{c.label_ja}」の評点は0から{c.max_points}までの整数で入力してください。",
                                f"{label_en} is scored with a whole number from 0 to {c.max_points}")
        else:
            given[c.key] = value
    if found:
        raise RoundProblems(found)
    existing = {s.criterion_id: s for s in session.execute(select(PanelScore).where(
        PanelScore.proposal_id == p.id, PanelScore.member_id == user_id)).scalars()}
    changed = {}
    for c in criteria:
        row = existing.get(c.id)
        if row is not None and row.points == given[c.key]:
            continue
        changed[c.key] = {"before": row.points if row else None, "after": given[c.key]}
        if row is None:
            row = PanelScore(proposal_id=p.id, member_id=user_id, criterion_id=c.id, points=given[c.key],
                             scored_at=clock.now())
        else:
            row.points, row.scored_at = given[c.key], clock.now()
        session.add(row)
    if not changed:
        return False
    try:
        session.flush()
    except IntegrityError:  # the same member's other tab saved first
        session.rollback()
        raise InvalidInput("points", "同時に別の画面から採点が保存されました。画面を開き直して確認してください。",
                           "your scores were saved from another window at the same time: reload and check them") from None
    record(session, "round", p.round_id, "panel_scores_corrected" if existing else "panel_scored",
           actor_id=user_id, clock=clock, details={"proposal_id": p.id, "points": changed})
    return True


# --- the results


@dataclass(frozen=True)
class MemberTotal:
    user_id: int
    name: str
    total: Fraction | None  # None: not scored (every criterion) yet
    recused: bool


@dataclass(frozen=True)
class ProposalResult:
    proposal_id: int
    title: str
    organisation: str
    at_presentation: bool  # still in the panel's stage (scores may change)
    slot: Slot | None
    members: tuple[MemberTotal, ...]
    mean: Fraction | None
    rank: int | None
    passed: bool | None


def _mean(totals: list[Fraction]) -> Fraction | None:
    return sum(totals, Fraction(0)) / len(totals) if totals else None


def round_results(session: Session, round_id: int) -> list[ProposalResult]:
    """Per proposal of the round that reached its presentation: each member's total (staff only), mean, rank, pass.

    In presentation order, then by proposal number. Ranks are shared by equal means
    (1, 2, 2, 4); a proposal no member has scored has no mean, rank or pass yet.
    """
    r = _round(session, round_id)
    criteria = _criteria(session, round_id)
    people = members(session, round_id)
    rows = session.execute(select(Proposal, Organisation.name).outerjoin(
        Organisation, Organisation.id == Proposal.organisation_id).where(Proposal.round_id == round_id)
        .order_by(Proposal.id)).all()
    scored_ids = set(session.execute(select(PanelScore.proposal_id).join(
        Proposal, Proposal.id == PanelScore.proposal_id).where(Proposal.round_id == round_id)).scalars())
    slotted = set(session.execute(select(PresentationSlot.proposal_id).join(
        Proposal, Proposal.id == PresentationSlot.proposal_id).where(Proposal.round_id == round_id)).scalars())
    by_key = {c.id: c.key for c in criteria}
    out = []
    for p, org in rows:
        at = in_panel_stage(p)
        if not (at or p.id in scored_ids or p.id in slotted):
            continue
        status = panel_status(session, p)
        totals = []
        for uid, name in people:
            recused = uid in status.recused
            total = None
            if status.complete(uid):
                total = weighted_total(criteria, {by_key[c]: v for c, v in status.points[uid].items() if c in by_key})
            totals.append(MemberTotal(uid, name, total, recused))
        counted = [m.total for m in totals if not m.recused and m.total is not None]
        mean = _mean(counted)
        out.append(ProposalResult(p.id, p.title, org or "", at, slot_of(session, p.id), tuple(totals), mean, None,
                                  None if mean is None else mean >= r.pass_mark))
    means = sorted((x.mean for x in out if x.mean is not None), reverse=True)
    ranked = [x if x.mean is None else _with_rank(x, 1 + sum(1 for m in means if m > x.mean)) for x in out]
    far = MAX_POSITION + 1
    return sorted(ranked, key=lambda x: (x.slot.position if x.slot else far, x.proposal_id))


def _with_rank(x: ProposalResult, rank: int) -> ProposalResult:
    return ProposalResult(x.proposal_id, x.title, x.organisation, x.at_presentation, x.slot, x.members, x.mean,
                          rank, x.passed)


def panel_results(session: Session, round_id: int) -> list[dict[str, Any]]:
    """The results without names, for publication with the round's results (by rank).

    Per proposal: ``proposal_id``, ``title``, ``member_totals`` (the totals of the members
    without a conflict who scored, highest first, so that no order betrays a member),
    ``mean``, ``rank`` and ``passed``; values are exact Fractions (``fmt`` writes them).
    """
    found = round_results(session, round_id)
    found.sort(key=lambda x: (x.rank is None, x.rank or 0, x.proposal_id))
    return [{
        "proposal_id": x.proposal_id, "title": x.title,
        "member_totals": sorted((m.total for m in x.members if not m.recused and m.total is not None), reverse=True),
        "mean": x.mean, "rank": x.rank, "passed": x.passed,
    } for x in found]


def fmt(value: Fraction | None) -> str:
    """A total as people read it, to two decimals, cut (not rounded up) so that 59.996 never reads as 60.00."""
    if value is None:
        return "—"
    d = Decimal(value.numerator) / Decimal(value.denominator)
    return str(d.quantize(Decimal("0.01"), rounding=ROUND_DOWN))


# --- a member's own view


@dataclass(frozen=True)
class ToScore:
    proposal_id: int
    title: str
    organisation: str
    round_id: int
    round_title_ja: str
    round_title_en: str
    slot: Slot | None
    recused: bool
    points: dict[str, int]  # criterion key → the member's points so far
    done: bool


def to_score(session: Session, user_id: int) -> list[ToScore]:
    """The proposals at their presentation in the rounds whose panel the person is on, in presentation order."""
    round_ids = list(session.execute(select(PanelMember.round_id).where(PanelMember.user_id == user_id)).scalars())
    if not round_ids:
        return []
    out = []
    rows = session.execute(select(Proposal, Organisation.name, ProposalRound).join(
        ProposalRound, ProposalRound.id == Proposal.round_id).outerjoin(
        Organisation, Organisation.id == Proposal.organisation_id).where(Proposal.round_id.in_(round_ids))
        .order_by(Proposal.id)).all()
    keys: dict[int, dict[int, str]] = {}
    for p, org, r in rows:
        if not in_panel_stage(p):
            continue
        status = panel_status(session, p)
        by_key = keys.setdefault(r.id, {c.id: c.key for c in _criteria(session, r.id)})
        mine = {by_key[c]: v for c, v in status.points.get(user_id, {}).items() if c in by_key}
        out.append(ToScore(p.id, p.title, org or "", r.id, r.title_ja, r.title_en, slot_of(session, p.id),
                           user_id in status.recused, mine, status.complete(user_id)))
    far = MAX_POSITION + 1
    return sorted(out, key=lambda x: (x.round_id, x.slot.position if x.slot else far, x.proposal_id))

