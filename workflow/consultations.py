"""Prior consultation (事前相談): a group asks the secretariat for a talk before it applies.

A contact of a group (a member in the proposer role) requests one with its topic and the
dates that suit the group, for a round or in general; the secretariat records that it
was held, on which day, with its notes. A round may require one before a proposal in it
is submitted (``round_consultation_held``): one held for that round, or for none, counts.

The notes are the secretariat's own: they are never shown to the group, on the public
pages or through the API. What a group reads of its consultations is ``GroupConsultation``,
which has no notes at all, so no page of a group can show them by mistake. Requests and
records are kept in the directory's trail (subject "consultation"), without the notes.

The functions write nothing until the caller commits (``db.session.write``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from db.models import Consultation, Organisation, ProposalRound, User
from workflow.actors import Actor
from workflow.calendar.clock import Clock, SystemClock, japan_today
from workflow.calendar.japan import era_date
from workflow.directory import record
from workflow.errors import InvalidInput, NotAllowed, NotFound
from workflow.rules.content import EARLIEST_DATE, MAX_TEXT

SUBJECT = "consultation"
REQUESTED, HELD, HELD_CORRECTED = "requested", "held", "record_corrected"
MAX_TOPIC = 2000
MAX_DATES = 500


def _text(name: str, value: Any, limit: int, ja: str, en: str, *, required: bool) -> str:
    text = "" if value is None else str(value).strip()
    if "\x00" in text:
        raise InvalidInput(name, f"{ja}に使えない文字（NUL）が含まれています。", f"{en} contains a NUL character")
    if len(text) > limit:
        raise InvalidInput(name, f"{ja}は{limit:,}文字以内で入力してください。", f"{en}: at most {limit:,} characters")
    if required and not text:
        raise InvalidInput(name, f"{ja}を入力してください。", f"{en} is required")
    return text


def _date(name: str, value: Any, ja: str, en: str) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value or "").strip())
        except ValueError:
            raise InvalidInput(name, f"{ja}を「2027-04-20」の形で入力してください。", f"{en}: use the form 2027-04-20") from None
    return value


def _may_request(actor: Actor, organisation_id: int) -> None:
    if "proposer" not in actor.roles or organisation_id not in actor.organisation_ids:
        raise NotAllowed("事前相談は、所属する団体の名前でのみ申し込めます。",
                         "you can request a consultation only for a group you belong to", allowed_roles=("proposer",))


def _may_record(actor: Actor) -> None:
    if "secretariat" not in actor.roles:
        raise NotAllowed("事前相談の記録は、市民協働推進課（事務局）のみが行えます。",
                         "only the secretariat records consultations", allowed_roles=("secretariat",))


def request(session: Session, actor: Actor, organisation_id: int, *, topic: Any, preferred_dates: Any,
            round_id: int | None = None, clock: Clock | None = None) -> int:
    """A group's request for a consultation; returns its number."""
    clock = clock or SystemClock()
    _may_request(actor, organisation_id)
    if session.get(Organisation, organisation_id) is None:
        raise NotFound(f"団体 {organisation_id} は登録されていません。", f"no organisation {organisation_id}")
    topic = _text("topic", topic, MAX_TOPIC, "相談したい内容", "the topic", required=True)
    dates = _text("preferred_dates", preferred_dates, MAX_DATES, "希望する日時", "the preferred dates", required=True)
    if round_id is not None:
        r = session.get(ProposalRound, round_id)
        if r is None or r.published_at is None or r.closes_on < japan_today(clock):
            raise InvalidInput("round_id", "その募集は公表されていないか、受付を終了しています。",
                               "that round is not published or has closed")
    row = Consultation(organisation_id=organisation_id, round_id=round_id, requested_by=actor.user_id,
                       requested_at=clock.now(), preferred_dates=dates, topic=topic)
    session.add(row)
    session.flush()
    record(session, SUBJECT, row.id, REQUESTED, actor_id=actor.user_id, clock=clock,
           details={"organisation_id": organisation_id, "round_id": round_id})
    return row.id


def record_held(session: Session, actor: Actor, consultation_id: int, *, held_on: Any, notes: Any,
                clock: Clock | None = None) -> bool:
    """The secretariat records that a consultation was held, with its notes (or corrects the record).

    Returns False when nothing changed. The day cannot be in the future: a consultation
    booked for later is recorded once it has taken place.
    """
    clock = clock or SystemClock()
    _may_record(actor)
    row = session.get(Consultation, consultation_id)
    if row is None:
        raise NotFound(f"事前相談 {consultation_id} は見つかりません。", f"no consultation {consultation_id}")
    held = _date("held_on", held_on, "相談を行った日", "the day it was held")
    today = japan_today(clock)
    if not EARLIEST_DATE <= held <= today:
        raise InvalidInput("held_on", f"相談を行った日は、今日（{era_date(today)}）までの日付を入力してください。",
                           f"the day it was held cannot be after today ({today.isoformat()})")
    text = _text("notes", notes, MAX_TEXT, "相談の記録", "the notes", required=False).replace("\r\n", "\n")
    if row.held_on == held and row.notes == text:
        return False
    action = HELD if row.held_on is None else HELD_CORRECTED
    row.held_on, row.notes = held, text
    row.recorded_by, row.recorded_at = actor.user_id, clock.now()
    session.add(row)
    session.flush()
    # The notes stay out of the trail (it is read more widely than the consultation itself).
    record(session, SUBJECT, row.id, action, actor_id=actor.user_id, clock=clock,
           details={"organisation_id": row.organisation_id, "round_id": row.round_id,
                    "held_on": held.isoformat(), "notes_chars": len(text)})
    return True


# --- reading consultations


@dataclass(frozen=True)
class GroupConsultation:
    """A consultation as its group reads it: never the secretariat's notes."""

    id: int
    organisation_id: int
    organisation_name: str
    round_title_ja: str | None
    round_title_en: str | None
    topic: str
    preferred_dates: str
    requested_at: datetime | None
    held_on: date | None


@dataclass(frozen=True)
class SecretariatConsultation:
    """A consultation as the secretariat reads it, notes included."""

    id: int
    organisation_id: int
    organisation_name: str
    round_id: int | None
    round_title_ja: str | None
    round_title_en: str | None
    topic: str
    preferred_dates: str
    requested_at: datetime | None
    requested_by: str | None
    held_on: date | None
    notes: str
    recorded_by: str | None
    recorded_at: datetime | None


def for_groups(session: Session, organisation_ids: frozenset[int] | list[int]) -> list[GroupConsultation]:
    """The consultations of these groups, newest first (no notes)."""
    if not organisation_ids:
        return []
    rows = session.execute(
        select(Consultation.id, Consultation.organisation_id, Organisation.name, ProposalRound.title_ja,
               ProposalRound.title_en, Consultation.topic, Consultation.preferred_dates, Consultation.requested_at,
               Consultation.held_on)
        .join(Organisation, Organisation.id == Consultation.organisation_id)
        .outerjoin(ProposalRound, ProposalRound.id == Consultation.round_id)
        .where(Consultation.organisation_id.in_(sorted(organisation_ids)))
        .order_by(Consultation.id.desc()).limit(200)).all()
    return [GroupConsultation(*r) for r in rows]


def for_secretariat(session: Session, *, pending: bool | None = None, limit: int = 500) -> list[SecretariatConsultation]:
    """Every consultation, those still to be held first (oldest request first), then the held ones, newest first."""
    asker, recorder = aliased(User), aliased(User)
    q = (select(Consultation.id, Consultation.organisation_id, Organisation.name, Consultation.round_id,
                ProposalRound.title_ja, ProposalRound.title_en, Consultation.topic, Consultation.preferred_dates,
                Consultation.requested_at, asker.name, Consultation.held_on, Consultation.notes, recorder.name,
                Consultation.recorded_at)
         .join(Organisation, Organisation.id == Consultation.organisation_id)
         .outerjoin(ProposalRound, ProposalRound.id == Consultation.round_id)
         .outerjoin(asker, asker.id == Consultation.requested_by)
         .outerjoin(recorder, recorder.id == Consultation.recorded_by))
    if pending is True:
        q = q.where(Consultation.held_on.is_(None))
    elif pending is False:
        q = q.where(Consultation.held_on.is_not(None))
    rows = [SecretariatConsultation(*r) for r in session.execute(q.order_by(Consultation.id).limit(limit)).all()]
    waiting = [c for c in rows if c.held_on is None]
    held = sorted((c for c in rows if c.held_on is not None), key=lambda c: (c.held_on, c.id), reverse=True)
    return waiting + held


def rounds_to_consult(session: Session, today: date) -> list[ProposalRound]:
    """Published rounds a group may still consult about: not closed on ``today``."""
    return list(session.execute(
        select(ProposalRound).where(ProposalRound.published_at.is_not(None), ProposalRound.closes_on >= today)
        .order_by(ProposalRound.closes_on, ProposalRound.id)).scalars())
